// The observer reader against fake processes: one interactive nft per node, its answers claimed by
// the reading that asked, and the fallback to an nft process per reading whenever that goes wrong.
import t from 'tap';
import { lineReader } from '../../../src/backends/runner.js';
import { observerReader } from '../../../src/probes/observer-reader.js';
import { interactiveNft, OBSERVER_READ_ARGV } from '../../../src/plan/observer.js';
import type { Command, CommandResult, LiveProcess } from '../../../src/types/runner.js';

const answer = (n: number): string => `{"nftables": [{"reading": ${n}}]}`;

/** A fake `nft -j -i`: answers each written line after `delayMs` (or as `respond` says). */
const fakeNft = (opts: { delayMs?: number; respond?: (n: number) => { stdout?: string; stderr?: string; end?: boolean }; writable?: boolean } = {}) => {
  const log: string[] = [];
  const started: Command[] = [];
  let killed = 0;
  const start = (node: string, cmd: Command): LiveProcess => {
    started.push(cmd);
    const out = lineReader();
    const err = lineReader();
    let end: (r: CommandResult) => void = () => undefined;
    const done = new Promise<CommandResult>((resolve) => (end = resolve));
    const finish = (): void => {
      out.end();
      err.end();
      end({ argv: cmd.argv, exitCode: 0, stdout: '', stderr: '', durationMs: 0, timedOut: false });
    };
    let n = 0;
    return {
      pid: 1,
      waitForLine: (test, stream = 'stdout') => (stream === 'stdout' ? out : err).wait(test),
      done,
      kill: () => {
        killed++;
        finish();
      },
      stop: async () => (finish(), done),
      ...(opts.writable === false
        ? {}
        : {
            write: (text: string) => {
              const k = ++n;
              log.push(`${node} wrote ${text.trim()}`);
              setTimeout(() => {
                const r = opts.respond?.(k) ?? { stdout: answer(k) };
                if (r.stdout !== undefined) out.feed(`${r.stdout}\n`);
                if (r.stderr !== undefined) err.feed(`${r.stderr}\n`);
                if (r.end) finish();
              }, opts.delayMs ?? 1);
            },
            end: finish,
          }),
      ref: () => undefined,
    };
  };
  let onces = 0;
  const once = async (node: string): Promise<string> => {
    onces++;
    log.push(`${node} once`);
    return answer(-1);
  };
  return { start, once, log, started, counts: () => ({ onces, killed }) };
};

t.test('the interactive form of the list command', async (t) => {
  t.same(interactiveNft(OBSERVER_READ_ARGV), { argv: ['nft', '-j', '-i'], line: 'list table netdev netns_lab_observe\n' });
  t.equal(interactiveNft(['tcpdump', 'list']), undefined, 'not nft: no interactive form');
  t.equal(interactiveNft(['nft', '-f', '-']), undefined, 'not a listing');
});

t.test('readings of a node go through one interactive nft, each answered in turn', async (t) => {
  const f = fakeNft();
  const r = observerReader({ listArgv: OBSERVER_READ_ARGV, start: f.start, once: f.once, answerMs: 1_000 });
  r.warm('a');
  const [one, two] = await Promise.all([r.read('a'), r.read('a')]);
  t.equal(one, answer(1), 'the first reading gets the first answer');
  t.equal(two, answer(2), 'the second the second');
  t.equal(await r.read('b'), answer(1), 'another node has its own');
  t.same(f.started.map((c) => c.argv), [['nft', '-j', '-i'], ['nft', '-j', '-i']], 'one process per node, warmed or started on first use');
  t.ok(f.started.every((c) => c.interactive), 'started with a stdin to write to');
  t.equal(f.counts().onces, 0, 'no process per reading');
  await r.stop();
  t.equal(f.counts().killed, 0, 'ended by closing its stdin');
});

t.test('a reading waits for the one before it on the same node', async (t) => {
  const f = fakeNft({ delayMs: 30 });
  const r = observerReader({ listArgv: OBSERVER_READ_ARGV, start: f.start, once: f.once, answerMs: 1_000 });
  const first = r.read('a');
  const second = r.read('a');
  await new Promise((resolve) => setTimeout(resolve, 10));
  t.same(f.log, ['a wrote list table netdev netns_lab_observe'], 'the second command is not written while the first is unanswered');
  t.same(await Promise.all([first, second]), [answer(1), answer(2)]);
  await r.stop();
});

t.test('a line on stderr: the node falls back to a process per reading, for good', async (t) => {
  const f = fakeNft({ respond: (n) => (n === 1 ? { stderr: 'Error: No such file or directory' } : { stdout: answer(n) }) });
  const r = observerReader({ listArgv: OBSERVER_READ_ARGV, start: f.start, once: f.once, answerMs: 1_000 });
  t.equal(await r.read('a'), answer(-1), 'the reading is the fallback\'s');
  t.equal(await r.read('a'), answer(-1), 'and so is the next');
  t.same(f.counts(), { onces: 2, killed: 1 }, 'the interactive nft was killed');
  t.equal(f.started.length, 1, 'and not started again');
});

t.test('no answer in time, or an nft that ends: the fallback answers', async (t) => {
  const slow = fakeNft({ delayMs: 200 });
  const r = observerReader({ listArgv: OBSERVER_READ_ARGV, start: slow.start, once: slow.once, answerMs: 20 });
  t.equal(await r.read('a'), answer(-1), 'too late: the fallback');
  // Its late answer comes with nobody to claim it; the node must never use the process again.
  await new Promise((resolve) => setTimeout(resolve, 250));
  t.equal(await r.read('a'), answer(-1), 'nor after the late answer came');
  const ends = fakeNft({ respond: () => ({ end: true }) });
  const r2 = observerReader({ listArgv: OBSERVER_READ_ARGV, start: ends.start, once: ends.once, answerMs: 1_000 });
  t.equal(await r2.read('a'), answer(-1), 'an nft without a CLI ends at once: the fallback');
});

t.test('a runner that cannot write to a started command: the fallback from the start', async (t) => {
  const f = fakeNft({ writable: false });
  const r = observerReader({ listArgv: OBSERVER_READ_ARGV, start: f.start, once: f.once, answerMs: 1_000 });
  t.equal(await r.read('a'), answer(-1));
  t.equal(f.counts().killed, 1, 'the useless process is ended');
  const throws = observerReader({
    listArgv: OBSERVER_READ_ARGV,
    start: () => {
      throw new Error('no start here');
    },
    once: f.once,
    answerMs: 1_000,
  });
  t.equal(await throws.read('a'), answer(-1), 'a start that throws: the fallback');
});

t.test('told not to read interactively (a case with one probe): a process per reading, none started', async (t) => {
  const f = fakeNft();
  const r = observerReader({ listArgv: OBSERVER_READ_ARGV, start: f.start, once: f.once, answerMs: 1_000, interactive: false });
  r.warm('a');
  t.equal(await r.read('a'), answer(-1));
  t.equal(f.started.length, 0, 'no interactive nft');
});
