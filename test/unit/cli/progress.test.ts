import t from 'tap';
import { liveProgress, plainProgress, wantsLiveProgress } from '../../../src/cli/progress.js';
import type { CaseResult } from '../../../src/types/result.js';

const result = (name: string, status: CaseResult['status'], durationMs = 700): CaseResult => ({
  name,
  status,
  probes: [],
  expectations: [],
  durationMs,
});

t.test('plain lines, one per finished case, for CI logs', async (t) => {
  const out: string[] = [];
  const p = plainProgress(2, (s) => out.push(s));
  p.started('0/0', 'a');
  p.finished('0/0', 'lab', result('a', 'pass', 662.4));
  p.finished('0/1', 'lab', result('b', 'fail', 1200));
  p.stop();
  t.same(out, ['[1/2] ✓ lab › a (662 ms)\n', '[2/2] ✗ lab › b (1200 ms)\n']);
  t.notMatch(out.join(''), /\r|\x1b/, 'no terminal control characters');
});

t.test('a live line on a terminal: rewritten in place, finished cases scroll above it', async (t) => {
  const out: string[] = [];
  let clock = 0;
  const p = liveProgress(3, (s) => out.push(s), { columns: () => 200, now: () => clock, tickMs: 0 });
  p.started('0/0', 'over the wire');
  clock = 1500;
  p.started('0/1', 'through lo');
  t.match(out.at(-1), /^\r\x1b\[K. 0\/3 done · running: over the wire \(1\.5 s\), through lo \(0\.0 s\)$/);
  clock = 2000;
  p.finished('0/0', 'lab', result('over the wire', 'fail', 2000));
  t.equal(out.at(-2), '\r\x1b[K[1/3] ✗ lab › over the wire (2000 ms)\n', 'the finished line replaces the live one');
  t.match(out.at(-1), /^\r\x1b\[K. 1\/3 done · 1 failed · running: through lo \(0\.5 s\)$/);
  p.stop();
  t.equal(out.at(-1), '\r\x1b[K', 'the live line is cleared at the end');
  const n = out.length;
  p.stop();
  p.finished('0/1', 'lab', result('through lo', 'pass'));
  t.equal(out.length, n + 1, 'after stop only the plain line is written, never the live one');
});

t.test('the live line never wraps: it is cut to the terminal width', async (t) => {
  const out: string[] = [];
  const p = liveProgress(1, (s) => out.push(s), { columns: () => 30, tickMs: 0 });
  p.started('k', 'a very long case name that would wrap the line');
  const line = out.at(-1)!.replace('\r\x1b[K', '');
  t.equal([...line].length, 29);
  t.match(line, /…$/);
  p.stop();
});

t.test('live only on a terminal outside CI', async (t) => {
  t.equal(wantsLiveProgress(true, {}), true);
  t.equal(wantsLiveProgress(false, {}), false);
  t.equal(wantsLiveProgress(true, { CI: 'true' }), false);
  t.equal(wantsLiveProgress(true, { TERM: 'dumb' }), false);
});
