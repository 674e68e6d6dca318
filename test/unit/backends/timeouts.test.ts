// Every external command and wait has a timeout: the runner kills a hung child, and the only
// other places that start processes are known and bounded.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import t from 'tap';
import { forkingRunner } from '../../../src/backends/forker.js';
import { CommandError } from '../../../src/errors.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');

t.test('a hung command is killed at its timeout and reported as timed out', async (t) => {
  const started = performance.now();
  const r = await forkingRunner().run({ argv: ['sleep', '30'], timeoutMs: 300 });
  const took = performance.now() - started;
  t.ok(r.timedOut, 'timed out');
  t.not(r.exitCode, 0);
  t.ok(took < 3_000, `returned after ${Math.round(took)} ms, not 30 s`);
  t.match(new CommandError(r.argv, r.exitCode, r.stderr, r.timedOut).message, /`sleep 30` timed out/);
});

t.test('a hung child that was started is killed at its timeout too', async (t) => {
  const started = performance.now();
  const child = forkingRunner().start({ argv: ['sleep', '30'], timeoutMs: 300 });
  const line = await child.waitForLine(() => true);
  const r = await child.done;
  t.equal(line, undefined, 'waiting for its output ends when it is killed');
  t.ok(r.timedOut);
  t.ok(performance.now() - started < 3_000);
});

t.test('a command without an explicit timeout still has one', async (t) => {
  const src = readFileSync(join(ROOT, 'src/backends/runner.ts'), 'utf8');
  t.match(src, /timeout: cmd\.timeoutMs \?\? defaultTimeoutMs\(\)/, 'run() defaults it');
  t.equal(src.match(/timeout: cmd\.timeoutMs \?\? defaultTimeoutMs\(\)/g)?.length, 2, 'and so does start()');
});

const sources = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });

/**
 * Files that start processes without the Runner, each reviewed for how it is bounded. A new one
 * fails this test until someone has checked it and added it here with its reason.
 */
const REVIEWED: Record<string, RegExp> = {
  // The seam itself: every command gets DEFAULT_TIMEOUT_MS unless it names its own, and SIGKILL.
  'src/backends/runner.ts': /DEFAULT_TIMEOUT_MS/,
  // lab exec/shell: the user's own foreground command, ended by the user or by --timeout.
  'src/cli/attach.ts': /timeoutMs/,
  // QEMU: a boot timer and a total timeout, killed on either.
  'src/backends/vm/qemu.ts': /totalTimeoutMs/,
  // The namespace agent (src/agent/agent.pl): each exec request has a timeout (10 s by default).
  'src/backends/agent.ts': /timeoutMs \?\? 10_000/,
  // lab's host side of a driven VM (sandboxed): the run's total timeout, killed with QEMU's abort.
  'src/backends/vm/drive.ts': /timeout: o\.totalTimeoutMs/,
  // A kept VM lab: the inner lab up that builds the case has a timeout (killed on it, and on a
  // signal); QEMU is unbounded on purpose, the lab is kept: lab down ends it (power off, else
  // SIGKILL of the recorded pid), lab clean once it is stale or its lab up died.
  'src/backends/vm/kept.ts': /timeout: o\.timeoutMs/,
};

t.test('only reviewed files start processes, and each of them bounds them', async (t) => {
  const spawning = sources(join(ROOT, 'src'))
    .filter((f) => /from 'execa'|from 'node:child_process'|from 'child_process'/.test(readFileSync(f, 'utf8')))
    .map((f) => relative(ROOT, f));
  for (const file of spawning) {
    const bound = REVIEWED[file];
    t.ok(bound, `${file} starts processes; it must be reviewed for timeouts and listed in REVIEWED`);
    if (bound) t.match(readFileSync(join(ROOT, file), 'utf8'), bound, `${file} bounds its children`);
  }
});

t.test('a command that names no timeout gets the default times the time scale (a TCG guest)', async (t) => {
  const { defaultTimeoutMs, DEFAULT_TIMEOUT_MS } = await import('../../../src/backends/runner.js');
  const before = process.env['LAB_TIME_SCALE'];
  t.teardown(() => {
    if (before === undefined) delete process.env['LAB_TIME_SCALE'];
    else process.env['LAB_TIME_SCALE'] = before;
  });
  delete process.env['LAB_TIME_SCALE'];
  t.equal(defaultTimeoutMs(), DEFAULT_TIMEOUT_MS);
  process.env['LAB_TIME_SCALE'] = '8';
  t.equal(defaultTimeoutMs(), 8 * DEFAULT_TIMEOUT_MS);
});
