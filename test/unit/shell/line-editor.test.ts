import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import xterm from '@xterm/headless';
import { type EditorEvent, LineEditor } from '../../../src/protocols/shell/line-editor.js';
import { LineHistory } from '../../../src/protocols/shell/line-history.js';

const { Terminal } = xterm;

function type(editor: LineEditor, keys: string): EditorEvent[] {
  return Array.from(keys)
    .map((k) => editor.key(k))
    .filter((e): e is EditorEvent => e !== null);
}

const entered = (events: EditorEvent[]) => events.find((e) => e.kind === 'enter');
const enteredText = (events: EditorEvent[]) => (entered(events) as { text: string } | undefined)?.text;

/** What a real terminal emulator shows after the prompt and the editor's output: the rows and the cursor. */
async function onScreen(keys: string, options: { prompt?: string; cols?: number; history?: string[]; perKey?: boolean } = {}) {
  const prompt = options.prompt ?? 'box:~$ ';
  const cols = options.cols ?? 40;
  const history = new LineHistory();
  for (const line of options.history ?? []) history.add(line);
  const editor = new LineEditor(history);
  editor.resize(cols);
  editor.startLine(prompt);
  const terminal = new Terminal({ cols, rows: 10, allowProposedApi: true });
  let output = prompt;
  // Drawn after every key, or once after all of them (a paste): the screen must be the same.
  for (const ch of Array.from(keys)) {
    const event = editor.key(ch);
    if (event?.kind === 'echo') output += event.text;
    if (event?.kind === 'enter' || event?.kind === 'interrupt') output += event.echo;
    if (options.perKey !== false) output += editor.flush();
  }
  output += editor.flush();
  const events = type(new LineEditor(history), keys);
  await new Promise<void>((done) => terminal.write(output, done));
  const buffer = terminal.buffer.active;
  const rows: string[] = [];
  for (let i = 0; i < 10; i++) rows.push(buffer.getLine(i)?.translateToString(true) ?? '');
  while (rows.length > 0 && rows.at(-1) === '') rows.pop();
  terminal.dispose();
  return { rows, cursor: [buffer.cursorY, buffer.cursorX], text: enteredText(events) };
}

const LEFT = '\x1b[D';
const RIGHT = '\x1b[C';
const UP = '\x1b[A';
const DOWN = '\x1b[B';
const HOME = '\x1b[H';
const END = '\x1b[F';

describe('shell line editor: what the line holds', () => {
  it('printable keys and Enter hand over the line', () => {
    assert.equal(enteredText(type(new LineEditor(), 'ls -l\r')), 'ls -l');
  });

  it('backspace, Ctrl-U and Ctrl-W edit what the line will hold', () => {
    assert.equal(enteredText(type(new LineEditor(), 'lss\x7f -la\b\r')), 'ls -l');
    assert.equal(enteredText(type(new LineEditor(), 'rm -rf /\x15echo ok\r')), 'echo ok');
    assert.equal(enteredText(type(new LineEditor(), 'echo one two\x17three\r')), 'echo one three');
  });

  it('backspace removes a whole character, not half of one', () => {
    assert.equal(enteredText(type(new LineEditor(), 'echo é😀\x7f\r')), 'echo é');
  });

  it('Ctrl-C drops the line; Ctrl-D ends an empty one and deletes under the cursor otherwise', () => {
    const editor = new LineEditor();
    assert.equal(type(editor, 'rm x\x03').at(-1)?.kind, 'interrupt');
    assert.ok(editor.empty);
    assert.deepEqual(type(editor, '\x04'), [{ kind: 'eof' }]);
    assert.deepEqual(type(editor, 'a\x04'), []);
    assert.equal(editor.empty, false);
    assert.equal(enteredText(type(new LineEditor(), `abc${LEFT}${LEFT}\x04\r`)), 'ac');
  });

  it('cursor keys move within the line and typing inserts at the cursor', () => {
    assert.equal(enteredText(type(new LineEditor(), `ls /tmp${HOME}echo ${END} x${LEFT}${LEFT}y\r`)), 'echo ls /tmpy x');
    assert.equal(enteredText(type(new LineEditor(), `cat b\x01\x06\x06\x06 a\x05 c\r`)), 'cat a b c');
    assert.equal(enteredText(type(new LineEditor(), `ab${LEFT}${LEFT}${LEFT}${LEFT}x${RIGHT}${RIGHT}${RIGHT}${RIGHT}y\r`)), 'xaby');
    assert.equal(enteredText(type(new LineEditor(), `abc\x1bOD\x1bOD\x1b[3~\r`)), 'ac');
    assert.equal(enteredText(type(new LineEditor(), `abc\x1b[1~z\x1b[4~y\r`)), 'zabcy');
  });

  it('word motion (Meta-b/f, Ctrl-arrows) and word kills', () => {
    assert.equal(enteredText(type(new LineEditor(), `echo one two\x1bbX\r`)), 'echo one Xtwo');
    assert.equal(enteredText(type(new LineEditor(), `echo one two\x1b[1;5D\x1b[1;5DX\r`)), 'echo Xone two');
    assert.equal(enteredText(type(new LineEditor(), `echo one two\x01\x1bf\x1bfX\r`)), 'echo oneX two');
    assert.equal(enteredText(type(new LineEditor(), `echo one two\x01\x1bd\r`)), ' one two');
    assert.equal(enteredText(type(new LineEditor(), `rm -rf /tmp/x\x1b\x7f\r`)), 'rm -rf /tmp/');
  });

  it('Ctrl-K kills to the end, Ctrl-U to the start, Ctrl-Y yanks it back, Ctrl-T transposes', () => {
    assert.equal(enteredText(type(new LineEditor(), `echo abc def${LEFT}${LEFT}${LEFT}\x0b\r`)), 'echo abc ');
    assert.equal(enteredText(type(new LineEditor(), `abc def${LEFT}${LEFT}${LEFT}\x15\r`)), 'def');
    assert.equal(enteredText(type(new LineEditor(), `world hello \x01\x0b\x05\x19\r`)), 'world hello ');
    assert.equal(enteredText(type(new LineEditor(), `hello \x17\x17x\x19\r`)), 'xhello ');
    assert.equal(enteredText(type(new LineEditor(), `sl\x14\r`)), 'ls');
    assert.equal(enteredText(type(new LineEditor(), `acb${LEFT}\x14\r`)), 'abc');
  });

  it('escape sequences, Tab and other control keys never reach the line', () => {
    assert.equal(enteredText(type(new LineEditor(), 'ls\x1b[1;2P\x1bOP\x1b[15~\x1b[200~\x1b]11;rgb:0/0/0\x07\t\x00\x1c -a\r')), 'ls -a');
    // An over-long or broken sequence is dropped whole, not half-inserted.
    assert.equal(enteredText(type(new LineEditor(), `ls\x1b[${'1;'.repeat(40)}x -a\r`)), 'ls -a');
    assert.equal(enteredText(type(new LineEditor(), 'ls\x1b[1\x03')), undefined);
  });

  it('continuation lines are joined with newlines; history keys do not cross them', () => {
    const editor = new LineEditor();
    assert.equal(enteredText(type(editor, 'echo "a\r')), 'echo "a');
    editor.continueLine();
    assert.deepEqual(type(editor, UP), [{ kind: 'echo', text: '\x07' }]);
    assert.equal(enteredText(type(editor, 'b"\r')), 'echo "a\nb"');
  });

  it('refuses keys beyond the longest line a terminal hands over whole (4095 bytes) with a bell', () => {
    const editor = new LineEditor();
    type(editor, 'x'.repeat(4095));
    assert.deepEqual(type(editor, 'y'), [{ kind: 'echo', text: '\x07' }]);
    assert.equal(enteredText(type(editor, '\r')), 'x'.repeat(4095));
    const wide = new LineEditor();
    type(wide, 'é'.repeat(2047));
    assert.deepEqual(type(wide, 'é'), [{ kind: 'echo', text: '\x07' }]);
    assert.deepEqual(type(wide, 'x'), []);
    assert.deepEqual(type(wide, 'x'), [{ kind: 'echo', text: '\x07' }]);
    // Each continuation line has its own limit; the whole text its own.
    const long = new LineEditor();
    for (let i = 0; i < 16; i++) {
      type(long, `${'y'.repeat(4000)}\r`);
      long.continueLine();
    }
    type(long, 'y'.repeat(64 * 1024 - 16 * 4001));
    assert.deepEqual(type(long, 'z'), [{ kind: 'echo', text: '\x07' }]);
  });
});

describe('shell line editor: history', () => {
  const history = ['ls /var', 'rm -rf /tmp/a', 'echo hello'];

  function withHistory() {
    const log = new LineHistory();
    for (const line of history) log.add(line);
    return new LineEditor(log);
  }

  it('up recalls older lines, down newer ones and finally the line being typed', () => {
    assert.equal(enteredText(type(withHistory(), `${UP}\r`)), 'echo hello');
    assert.equal(enteredText(type(withHistory(), `${UP}${UP}${UP}${UP}\r`)), 'ls /var');
    assert.equal(enteredText(type(withHistory(), `draft${UP}${UP}${DOWN}${DOWN}\r`)), 'draft');
    assert.equal(enteredText(type(withHistory(), `\x10\x10\x0e\r`)), 'echo hello');
    assert.equal(enteredText(type(withHistory(), `${UP}${UP} -v\r`)), 'rm -rf /tmp/a -v');
  });

  it('a recalled line is edited like a typed one and the result is what is handed over', () => {
    assert.equal(enteredText(type(withHistory(), `${UP}${UP}\x01\x1bf\x1bf\x1bf\x1bf\x17\r`)), 'rm -rf ');
    assert.equal(enteredText(type(withHistory(), `${UP}${UP}\x15ls\r`)), 'ls');
  });

  it('remember keeps single complete lines, not blanks, repeats or multi-line text', () => {
    const log = new LineHistory();
    const editor = new LineEditor(log);
    for (const line of ['ls', 'ls', '  ', 'echo "a\nb"', 'pwd']) editor.remember(line);
    assert.equal(log.size, 2);
    assert.equal(enteredText(type(editor, `${UP}${UP}\r`)), 'ls');
  });

  it('Ctrl-R finds the newest line containing what is typed; again finds older; Enter hands it over', () => {
    assert.equal(enteredText(type(withHistory(), '\x12rm\r')), 'rm -rf /tmp/a');
    assert.equal(enteredText(type(withHistory(), '\x12r\x12\r')), 'ls /var');
    assert.equal(enteredText(type(withHistory(), '\x12e\x12\r')), 'echo hello');
    assert.equal(enteredText(type(withHistory(), `\x12hel${RIGHT} world\r`)), 'echo hello world');
  });

  it('Ctrl-G gives up the search and restores the line; Ctrl-C drops it', () => {
    assert.equal(enteredText(type(withHistory(), 'mine\x12rm\x07\r')), 'mine');
    const editor = withHistory();
    assert.equal(type(editor, 'mine\x12rm\x03').at(-1)?.kind, 'interrupt');
    assert.ok(editor.empty);
  });

  it('a search that finds nothing says so and hands over the line it started from', async () => {
    const screen = await onScreen('x\x12zzz', { history });
    assert.match(screen.rows[0] as string, /\(failed reverse-i-search\)`zzz': $/);
    assert.equal(enteredText(type(withHistory(), 'x\x12zzz\r')), 'x');
  });
});

describe('shell line editor: what the terminal shows', () => {
  it('inserting in the middle redraws the rest of the line and keeps the cursor', async () => {
    const screen = await onScreen(`echo wrld${LEFT}${LEFT}${LEFT}o`);
    assert.deepEqual(screen.rows, ['box:~$ echo world']);
    assert.deepEqual(screen.cursor, [0, 'box:~$ echo wo'.length]);
  });

  it('deleting in the middle leaves nothing behind', async () => {
    const screen = await onScreen(`echo hello world${HOME}\x1bd\x1bd`);
    assert.deepEqual(screen.rows, ['box:~$  world']);
    assert.deepEqual(screen.cursor, [0, 'box:~$ '.length]);
  });

  it('a recalled shorter line clears the longer one', async () => {
    const screen = await onScreen(`a much longer line than the history${UP}`, { history: ['ls'] });
    assert.deepEqual(screen.rows, ['box:~$ ls']);
  });

  it('wide characters move the cursor by two columns', async () => {
    const screen = await onScreen(`echo 日本語${LEFT}${LEFT}x`);
    assert.deepEqual(screen.rows, ['box:~$ echo 日x本語']);
    assert.deepEqual(screen.cursor, [0, 'box:~$ echo '.length + 3]);
  });

  it('a paste drawn once looks the same as the same keys drawn one by one', async () => {
    for (const keys of [`echo wrld${LEFT}${LEFT}${LEFT}o`, `echo hello world${HOME}\x1bd\x1bd`, `${'z'.repeat(45)}${HOME}>`, `abc${UP}`, '\x12tmp']) {
      const history = ['rm -rf /tmp/a', 'ls'];
      const perKey = await onScreen(keys, { cols: 20, history });
      const once = await onScreen(keys, { cols: 20, history, perKey: false });
      assert.deepEqual(once.rows, perKey.rows, JSON.stringify(keys));
      assert.deepEqual(once.cursor, perKey.cursor, JSON.stringify(keys));
    }
  });

  it('a line longer than the terminal wraps, and cursor moves cross rows', async () => {
    const cols = 20;
    const line = 'echo 0123456789abcdefghijklmnopqrstuvwxyz';
    const typed = await onScreen(line, { cols });
    const all = `box:~$ ${line}`;
    assert.deepEqual(typed.rows, [all.slice(0, 20), all.slice(20, 40), all.slice(40)]);
    const moved = await onScreen(`${line}${HOME}>`, { cols });
    const edited = `box:~$ >${line}`;
    assert.deepEqual(moved.rows, [edited.slice(0, 20), edited.slice(20, 40), edited.slice(40)]);
    assert.deepEqual(moved.cursor, [0, 8]);
    const back = await onScreen(`${line}${HOME}\x05`, { cols });
    assert.deepEqual(back.cursor, [Math.floor(all.length / cols), all.length % cols]);
  });

  it('text that ends exactly at the right margin puts the cursor on the next row', async () => {
    const screen = await onScreen('x'.repeat(13), { cols: 20 });
    assert.deepEqual(screen.cursor, [1, 0]);
    const more = await onScreen(`${'x'.repeat(13)}y`, { cols: 20 });
    assert.deepEqual(more.rows, [`box:~$ ${'x'.repeat(13)}`, 'y']);
  });

  it('Enter in the middle of a wrapped line first moves to its end', async () => {
    const screen = await onScreen(`echo ${'y'.repeat(30)}${HOME}\r`, { cols: 20 });
    const end = 'box:~$ echo '.length + 30;
    assert.deepEqual(screen.cursor, [Math.floor(end / 20), end % 20]);
    assert.equal(screen.text, `echo ${'y'.repeat(30)}`);
  });

  it('the search prompt shows the query and the match', async () => {
    const screen = await onScreen('\x12tmp', { history: ['rm -rf /tmp/a', 'ls'], cols: 80 });
    assert.deepEqual(screen.rows, ["box:~$ (reverse-i-search)`tmp': rm -rf /tmp/a"]);
  });

  it('Ctrl-L clears the screen and redraws the prompt and the line', async () => {
    const screen = await onScreen(`echo hi${LEFT}\x0c`);
    assert.deepEqual(screen.rows, ['box:~$ echo hi']);
    assert.deepEqual(screen.cursor, [0, 'box:~$ echo h'.length]);
  });

  it('a continuation line draws after its own prompt', async () => {
    const editor = new LineEditor();
    editor.startLine('box:~$ ');
    type(editor, 'echo "a\r');
    editor.continueLine();
    type(editor, `bc${LEFT}x`);
    const terminal = new Terminal({ cols: 40, rows: 4, allowProposedApi: true });
    await new Promise<void>((done) => terminal.write(`box:~$ echo "a\r\n> ${editor.flush()}`, done));
    assert.equal(terminal.buffer.active.getLine(1)?.translateToString(true), '> bxc');
    assert.equal(terminal.buffer.active.cursorX, 4);
    terminal.dispose();
  });
});
