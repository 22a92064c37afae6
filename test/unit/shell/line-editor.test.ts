import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type EditorEvent, LineEditor } from '../../../src/protocols/shell/line-editor.js';

function type(editor: LineEditor, keys: string): EditorEvent[] {
  return Array.from(keys)
    .map((k) => editor.key(k))
    .filter((e): e is EditorEvent => e !== null);
}

const entered = (events: EditorEvent[]) => events.find((e) => e.kind === 'enter');

describe('shell line editor', () => {
  it('echoes printable keys and hands over the line on Enter', () => {
    const events = type(new LineEditor(), 'ls -l\r');
    assert.equal(events.filter((e) => e.kind === 'echo').map((e) => (e as { text: string }).text).join(''), 'ls -l');
    assert.deepEqual(entered(events), { kind: 'enter', text: 'ls -l' });
  });

  it('backspace, Ctrl-U and Ctrl-W edit what the line will hold', () => {
    assert.deepEqual(entered(type(new LineEditor(), 'lss\x7f -la\b\r')), { kind: 'enter', text: 'ls -l' });
    assert.deepEqual(entered(type(new LineEditor(), 'rm -rf /\x15echo ok\r')), { kind: 'enter', text: 'echo ok' });
    assert.deepEqual(entered(type(new LineEditor(), 'echo one two\x17three\r')), { kind: 'enter', text: 'echo one three' });
  });

  it('backspace removes a whole character, not half of one', () => {
    assert.deepEqual(entered(type(new LineEditor(), 'echo é😀\x7f\r')), { kind: 'enter', text: 'echo é' });
  });

  it('Ctrl-C drops the line; Ctrl-D only ends an empty one', () => {
    const editor = new LineEditor();
    assert.deepEqual(type(editor, 'rm x\x03').at(-1), { kind: 'interrupt' });
    assert.ok(editor.empty);
    assert.deepEqual(type(editor, '\x04'), [{ kind: 'eof' }]);
    assert.deepEqual(type(editor, 'a\x04').map((e) => e.kind), ['echo']);
  });

  it('escape sequences (arrows, function keys) and other control keys never reach the line', () => {
    assert.deepEqual(entered(type(new LineEditor(), 'ls\x1b[A\x1b[1;5C\x1bOP\x01\t -a\r')), { kind: 'enter', text: 'ls -a' });
  });

  it('continuation lines are joined with newlines', () => {
    const editor = new LineEditor();
    assert.deepEqual(entered(type(editor, 'echo "a\r')), { kind: 'enter', text: 'echo "a' });
    editor.continueLine();
    assert.deepEqual(entered(type(editor, 'b"\r')), { kind: 'enter', text: 'echo "a\nb"' });
  });
});
