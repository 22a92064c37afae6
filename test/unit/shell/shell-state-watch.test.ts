import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ShellStateWatch } from '../../../src/protocols/shell/shell-state-watch.js';
import type { Classification } from '../../../src/model/action.js';

const line = (...flags: string[]): Classification => ({ risk: 'low', facts: { kinds: [], objects: [], flags } });

describe('shell state watch', () => {
  it('takes the first report as expected, and stays modelled while reports match', () => {
    const watch = new ShellStateWatch();
    watch.reported('PATH=/bin');
    watch.allowed(line());
    watch.reported('PATH=/bin');
    assert.equal(watch.unmodelled, null);
  });

  it('a change after a line that announced one becomes the expected state', () => {
    const watch = new ShellStateWatch();
    watch.reported('PATH=/bin');
    watch.allowed(line('shell_state'));
    watch.reported('PATH=/opt:/bin');
    watch.allowed(line());
    watch.reported('PATH=/opt:/bin');
    assert.equal(watch.unmodelled, null);
  });

  it('an unannounced change leaves the session unmodelled for good', () => {
    const watch = new ShellStateWatch();
    watch.reported('PATH=/bin');
    watch.allowed(line());
    watch.reported('PATH=0');
    assert.match(watch.unmodelled ?? '', /changed in a way no judged line announced/);
    // Going back, or a later announced change, does not clear the doubt.
    watch.reported('PATH=/bin');
    watch.allowed(line('shell_state'));
    watch.reported('PATH=/bin');
    assert.notEqual(watch.unmodelled, null);
  });

  it('a missing report is doubt too, even the first', () => {
    const watch = new ShellStateWatch();
    watch.reported(null);
    assert.match(watch.unmodelled ?? '', /did not report/);
  });

  it('an announcement covers one report only', () => {
    const watch = new ShellStateWatch();
    watch.reported('a');
    watch.allowed(line('function_definition'));
    watch.reported('b');
    watch.reported('c');
    assert.notEqual(watch.unmodelled, null);
  });
});
