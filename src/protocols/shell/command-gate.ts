import type { Logger } from 'pino';
import { InternalError } from '../../errors.js';
import type { ShellClassifier } from '../../classifiers/shell/index.js';
import type { Gate } from '../../gate/gate.js';
import type { HoldNotice } from '../../gate/hold-notice.js';
import type { Verdict } from '../../gate/verdict.js';
import { denyVerdict } from '../../gate/verdicts.js';
import { createAction } from '../../model/action.js';
import type { Principal } from '../../model/principal.js';
import type { Classification } from '../../model/action.js';
import { maxRisk } from '../../model/risk-level.js';
import { heldLines, waitingLine } from './hold-lines.js';

/** Where a session shows that its command is held (stderr of an exec, the terminal of a shell). */
export interface HoldDisplay {
  held(lines: readonly string[]): void;
  /** The live waiting line, repeated every notice interval. */
  waiting(line: string): void;
  /** The verdict arrived. */
  ended(): void;
  /**
   * A step-up of the requester is held and can be confirmed here: a terminal
   * asks for the code at Airlock's own prompt and gives it to `confirm`.
   * Without it the step-up is confirmed out of band, as the held lines say.
   */
  stepUp?(prompt: StepUpPrompting): void;
}

/** A held step-up the session can confirm itself. */
export interface StepUpPrompting {
  readonly approvalId: string;
  readonly command: string;
  /** Submits the code through the Gate; rejects with a client-safe AirlockError (wrong, replayed, rate limited). */
  confirm(code: string): Promise<void>;
}

/** Told what the Gate said about each command (the session recording). */
export interface CommandObserver {
  checking(command: string): void;
  held(notice: HoldNotice, command: string): void;
  decided(verdict: Verdict, command: string): void;
}

/** What the session knows about the line beyond its text. */
export interface ShellLineContext {
  /**
   * Why the shell's own state is not what Airlock modelled: it changed in a
   * way no judged line announced (bash reports it before each prompt). Every
   * line is then at least high: names may not mean what they seem.
   */
  readonly unmodelledState?: string | null;
  /** Told the classification the Gate is asked about. */
  readonly onClassified?: (classification: Classification) => void;
}

export interface CommandGateInit {
  readonly gate: Gate;
  readonly classifier: ShellClassifier;
  readonly principal: Principal;
  readonly target: string;
  readonly sessionId: string;
  readonly source: string;
  readonly logger: Logger;
  readonly noticeIntervalMs: number;
  readonly publicUrl?: string;
}

/**
 * A shell session's bridge to the Gate: classifies a command line exactly as
 * bash will receive it, asks the Gate, and while it is held keeps the client
 * told. Aborting the signal (Ctrl-C, disconnect) withdraws it. The Gate
 * decides; this only asks and waits.
 */
export class CommandGate {
  private observer: CommandObserver | null = null;

  constructor(private readonly init: CommandGateInit) {}

  /** One observer (the recording) is told every command, hold and verdict. */
  observe(observer: CommandObserver): void {
    this.observer = observer;
  }

  async check(command: string, cwd: string | null, display: HoldDisplay, signal: AbortSignal, context: ShellLineContext = {}): Promise<Verdict> {
    this.observer?.checking(command);
    const verdict = await this.decide(command, cwd, display, signal, context);
    this.observer?.decided(verdict, command);
    return verdict;
  }

  private async decide(command: string, cwd: string | null, display: HoldDisplay, signal: AbortSignal, context: ShellLineContext): Promise<Verdict> {
    const { gate, classifier, principal, target, sessionId, source, logger } = this.init;
    const classified = classifier.classifyIn(command, cwd);
    const classification: Classification = context.unmodelledState
      ? { risk: maxRisk(classified.risk, 'high'), facts: { ...classified.facts, flags: [...classified.facts.flags, 'shell_state_unmodelled'] } }
      : classified;
    context.onClassified?.(classification);
    const action = createAction({ principal, protocol: 'shell', target, sessionId, source, command, classification });
    const now = gate.checkNow?.(action);
    if (now !== undefined) return now;
    let timer: NodeJS.Timeout | null = null;
    let held = false;
    const onHold = (notice: HoldNotice): void => {
      if (signal.aborted) return;
      held = true;
      logger.info({ approvalId: notice.approvalId, actionId: action.id }, 'shell command held');
      this.observer?.held(notice, command);
      display.held(heldLines(notice, command, this.init.publicUrl));
      const confirm = gate.confirmStepUp?.bind(gate);
      if (notice.kind === 'step_up' && confirm && display.stepUp) {
        display.stepUp({ approvalId: notice.approvalId, command, confirm: (code) => confirm({ approvalId: notice.approvalId, principal, code, source, channel: 'shell' }) });
      }
      const startedAt = Date.now();
      display.waiting(waitingLine(notice, startedAt, startedAt));
      if (this.init.noticeIntervalMs > 0) {
        timer = setInterval(() => display.waiting(waitingLine(notice, startedAt, Date.now())), this.init.noticeIntervalMs);
        timer.unref();
      }
    };
    try {
      return await gate.check(action, { signal, onHold });
    } catch (err) {
      // The gate never rejects by contract; if it does, fail closed.
      logger.error({ err, actionId: action.id }, 'gate check failed; refusing the command');
      return denyVerdict({ risk: 'critical', requirement: 'deny', path: 'error', rules: [], reason: 'internal error', error: new InternalError('internal error') });
    } finally {
      if (timer) clearInterval(timer);
      if (held) display.ended();
    }
  }
}
