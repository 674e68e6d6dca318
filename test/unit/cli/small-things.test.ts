// Issue 15, point 8: the small things that cost a new user time, each with the message it gives.
import t from 'tap';
import { main } from '../../../src/cli/main.js';
import { withExecSeparator } from '../../../src/cli/commands/exec.js';
import { tempDir } from '../../tmp.js';

const capture = () => {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) }, out, err };
};

t.test('lab exec ID NODE ip -br addr: the options after NODE are the command\'s', async (t) => {
  t.strictSame(withExecSeparator(['exec', 'abc', 'laptop', 'ip', '-br', 'addr']), ['exec', 'abc', 'laptop', '--', 'ip', '-br', 'addr']);
  t.strictSame(withExecSeparator(['exec', '--timeout', '3', 'abc', 'laptop', 'ip', '-br', 'addr']), ['exec', '--timeout', '3', 'abc', 'laptop', '--', 'ip', '-br', 'addr'], "lab's own --timeout before the lab stays lab's");
  t.strictSame(withExecSeparator(['exec', 'abc', 'laptop', '--timeout=3', 'ip', '-j']), ['exec', 'abc', 'laptop', '--timeout=3', '--', 'ip', '-j']);
  t.strictSame(withExecSeparator(['exec', 'abc', 'laptop', '--', 'ip', '-br', 'addr']), ['exec', 'abc', 'laptop', '--', 'ip', '-br', 'addr'], 'a -- given stays the only one');
  t.strictSame(withExecSeparator(['run', '-j', '2']), ['run', '-j', '2'], 'other commands are left alone');

  // Through the parser: it gets as far as looking the lab up, instead of "Unknown arguments: b, r".
  const dir = tempDir('lab-exec-state-');
  const before = process.env['LAB_STATE_DIR'];
  process.env['LAB_STATE_DIR'] = dir;
  t.teardown(() => (before === undefined ? delete process.env['LAB_STATE_DIR'] : (process.env['LAB_STATE_DIR'] = before)));
  const c = capture();
  t.equal(await main(['exec', 'nolab', 'laptop', 'ip', '-br', 'addr'], c.io), 2);
  t.notMatch(c.err.join(''), /Unknown arguments/);
  t.match(c.err.join(''), /no lab "nolab"/);
});

t.test('--jobs abc says what it takes and quotes what it got', async (t) => {
  for (const bad of ['abc', '0', '1.5', '-1']) {
    const c = capture();
    t.equal(await main(['run', '--jobs', bad], c.io), 2, bad);
    t.match(c.err.join(''), `--jobs takes a whole number of at least 1 (e.g. --jobs 4), got "${bad}"`);
    t.notMatch(c.err.join(''), /NaN/);
  }
});

t.test('lab down of a lab already gone: exit 0 and a note (idempotent for scripts)', async (t) => {
  const dir = tempDir('lab-down-state-');
  const before = process.env['LAB_STATE_DIR'];
  process.env['LAB_STATE_DIR'] = dir;
  t.teardown(() => (before === undefined ? delete process.env['LAB_STATE_DIR'] : (process.env['LAB_STATE_DIR'] = before)));
  const c = capture();
  t.equal(await main(['down', 'abc123'], c.io), 0);
  t.match(c.err.join(''), /lab abc123: no such lab \(already down, or never up\); nothing to do/);
});
