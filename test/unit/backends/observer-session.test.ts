// installBySession (src/backends/host.ts): the observer's script goes to an interactive nft as one
// line, then a `list`; the session is kept only when the listing answers. Against a fake session
// that answers as `nft -j -i` does (seen by hand in h-nftline-1: nothing on success, one JSON line
// per list, `Error: …` lines on stderr for a bad script).
import t from 'tap';
import { installBySession } from '../../../src/backends/host.js';
import { lineReader, type CommandResult, type LiveProcess } from '../../../src/backends/runner.js';
import { OBSERVER_LIST_LINE, scriptLine } from '../../../src/plan/observer.js';

const SCRIPT = 'table netdev netns_lab_observe {\n  chain rx0 {\n    type filter hook ingress device "lo" priority -500; policy accept;\n  }\n}\n';

/** A session whose `answer` decides what each written text gets back. */
const fakeSession = (answer: (written: string) => { stdout?: string; stderr?: string } | undefined) => {
  const out = lineReader();
  const err = lineReader();
  const written: string[] = [];
  let killed = false;
  let end: (r: CommandResult) => void = () => undefined;
  const done = new Promise<CommandResult>((resolve) => (end = resolve));
  const proc: LiveProcess = {
    pid: undefined,
    waitForLine: (test, stream = 'stdout') => (stream === 'stdout' ? out : err).wait(test),
    done,
    kill: () => {
      killed = true;
      out.end();
      err.end();
      end({ argv: [], exitCode: -1, stdout: '', stderr: '', durationMs: 0, timedOut: false });
    },
    stop: async () => done,
    write: (text) => {
      written.push(text);
      const a = answer(text);
      setTimeout(() => {
        if (a?.stderr) err.feed(a.stderr);
        if (a?.stdout) out.feed(a.stdout);
      }, 1);
    },
  };
  return { proc, written, killed: () => killed };
};

t.test('the listing answers: the session is kept, with the script written as one line and the list after it', async (t) => {
  const s = fakeSession(() => ({ stdout: '{"nftables": [{"metainfo": {}}]}\n' }));
  const got = await installBySession(s.proc, SCRIPT, 1_000);
  t.equal(got, s.proc, 'the session itself');
  t.same(s.written, [`${scriptLine(SCRIPT)}${OBSERVER_LIST_LINE}`], 'one write: the script\'s line, then the list');
  t.notOk(s.killed(), 'left open for the readings');
});

t.test('a complaint on stderr: no session, and it is closed', async (t) => {
  const s = fakeSession(() => ({ stderr: 'Error: syntax error, unexpected chain\n' }));
  t.equal(await installBySession(s.proc, SCRIPT, 1_000), undefined);
  t.ok(s.killed(), 'closed: the op installs it with nft -f - instead');
});

t.test('no answer in time: no session', async (t) => {
  const s = fakeSession(() => undefined);
  const started = Date.now();
  t.equal(await installBySession(s.proc, SCRIPT, 50), undefined);
  t.ok(Date.now() - started >= 45, 'it waited its time');
  t.ok(s.killed());
});

t.test('the session ended (nft could not be started): no session', async (t) => {
  const s = fakeSession(() => undefined);
  s.proc.kill();
  t.equal(await installBySession(s.proc, SCRIPT, 5_000), undefined, 'at once, not after the 5 s');
});

t.test('a line that is not the listing is no answer (negative control: a bare line on stdout)', async (t) => {
  const s = fakeSession(() => ({ stdout: 'nft> \n' }));
  t.equal(await installBySession(s.proc, SCRIPT, 50), undefined);
});
