// The agent's default limit for a command is scaled by LAB_TIME_SCALE (src/backends/agent.ts): in
// a TCG guest (scale 8) the first nft of Debian 6.12 unpacks nf_tables from .ko.xz for >30 s and a
// counter read under load took >10 s, which ended cells of the three-kernel accept-local table
// (docs/guides/matrices.md) as ! ERROR. A command's own limit (a probe sender's) is never scaled.
import t from 'tap';
import { NamespaceAgent } from '../../../src/backends/agent.js';
import { GREETING } from '../../../src/agent/protocol.js';
import type { Command, CommandResult, LiveProcess, Runner } from '../../../src/types/runner.js';

/** An agent process that greets, records each request line and then ends (so run() returns). */
const fakeAgent = (): { runner: Runner; written: string[] } => {
  const written: string[] = [];
  const ended: CommandResult = { argv: [], exitCode: 0, stdout: '', stderr: '', durationMs: 0, timedOut: false };
  let greeted = false;
  const proc: LiveProcess = {
    pid: 1,
    waitForLine: (test) => {
      if (!greeted && test(GREETING)) {
        greeted = true;
        return Promise.resolve(GREETING);
      }
      return Promise.resolve(undefined);
    },
    done: new Promise<CommandResult>(() => undefined),
    kill: () => undefined,
    stop: () => Promise.resolve(ended),
    write: (text) => void written.push(text),
  };
  const runner: Runner = { run: () => Promise.resolve(ended), start: (_cmd: Command) => proc };
  return { runner, written };
};

/** The timeoutMs field of the exec request line (op, id, timeoutMs, ...). */
const execLimit = (line: string | undefined): string | undefined => line?.split('\t')[2];

for (const [scale, want] of [[undefined, '10000'], ['8', '80000']] as const) {
  t.test(`LAB_TIME_SCALE=${scale ?? '(unset)'}: a command without its own limit gets ${want} ms`, async (t) => {
    const before = process.env['LAB_TIME_SCALE'];
    if (scale === undefined) delete process.env['LAB_TIME_SCALE'];
    else process.env['LAB_TIME_SCALE'] = scale;
    t.teardown(() => (before === undefined ? delete process.env['LAB_TIME_SCALE'] : (process.env['LAB_TIME_SCALE'] = before)));
    const { runner, written } = fakeAgent();
    const agent = await NamespaceAgent.startHere(runner);
    await agent.run({ argv: ['nft', '-j', 'list', 'ruleset'] });
    t.equal(written[0]?.split('\t')[0], 'exec');
    t.equal(execLimit(written[0]), want);
    await agent.run({ argv: ['socat'], timeoutMs: 1500 });
    t.equal(execLimit(written[1]), '1500', 'its own limit is kept as is');
  });
}
