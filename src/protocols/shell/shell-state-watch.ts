import type { Classification } from '../../model/action.js';

/**
 * Flags of a judged line that say it changes the shell's own state (a
 * variable that decides what runs, a function, an alias, an option). When
 * such a line is let through, the state bash reports next is what the line
 * was judged to do, and becomes the expected state.
 */
const ANNOUNCED_CHANGES = new Set([
  'shell_state',
  'nameref',
  'dynamic_assignment',
  'dynamic_arithmetic',
  'function_definition',
  'alias',
  'source',
  'eval',
  'trap',
  'dynamic_command',
  'encoded_command',
  'history_exec',
]);

/**
 * Compares what bash reports of its own state before each prompt (variables
 * such as PATH and BASH_ENV, functions, aliases, options) with what the
 * judged lines announced. Bash can change that state in ways no line shows
 * (`x='PATH=0'` on one line, `(( x ))` on the next: arithmetic evaluates the
 * value), so the shell's answer is taken over the model: once it differs
 * unannounced, or is missing, the session stays unmodelled for good (marks
 * printed by a program can add doubt, never remove it).
 */
export class ShellStateWatch {
  private expected: string | null = null;
  private first = true;
  private announced = false;
  private doubt: string | null = null;

  /** Why the state is not what was modelled; null while it is. */
  get unmodelled(): string | null {
    return this.doubt;
  }

  /** A line was let through: if it announced a change, the next report is expected to differ. */
  allowed(classification: Classification): void {
    if (classification.facts.flags.some((f) => ANNOUNCED_CHANGES.has(f))) this.announced = true;
  }

  /** Bash reported its state before a prompt (null: the report was missing or too long). */
  reported(state: string | null): void {
    const announced = this.announced;
    this.announced = false;
    if (state === null) {
      this.doubt ??= 'bash did not report its state before the prompt';
      return;
    }
    if (this.first || announced) {
      this.first = false;
      this.expected = state;
      return;
    }
    if (state !== this.expected) this.doubt ??= 'the shell state (variables, functions, aliases or options) changed in a way no judged line announced';
  }
}
