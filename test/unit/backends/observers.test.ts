// The backend applies the plan's observer ops like any other op: it knows nothing of nft observers.
import { rmSync } from 'node:fs';
import t from 'tap';
import { HostBackend } from '../../../src/backends/host.js';
import type { Command, CommandResult } from '../../../src/backends/runner.js';
import { StateFile } from '../../../src/backends/state.js';
import { planCase, withoutProbes } from '../../../src/plan/plan.js';
import { seedScenario } from '../fixtures.js';
import { FakeHost } from './fake-host.js';
import { tempDir } from '../../tmp.js';

const setup = (host: FakeHost) => {
  const dir = tempDir('lab-observers-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const state = StateFile.create(dir, { pid: process.pid, scenarios: ['x.yaml'] });
  t.teardown(() => state.close());
  const plan = (observers: { node: string; argv: string[]; input?: string }[]) => ({ ...withoutProbes(planCase(seedScenario(), 0, state.prefix)), observers });
  return { backend: new HostBackend(host, state, host.exists), plan };
};

t.test('each observer op runs in its node, with its input', async (t) => {
  const host = new FakeHost();
  const inputs: string[] = [];
  const run = host.run.bind(host);
  host.run = async (cmd: Command): Promise<CommandResult> => {
    if (cmd.argv.includes('nft')) inputs.push(cmd.input ?? '');
    return run(cmd);
  };
  const { backend, plan } = setup(host);
  const p = plan([{ node: 'laptop', argv: ['nft', '-f', '-'], input: 'table netdev a {}\n' }, { node: 'ap', argv: ['nft', '-f', '-'], input: 'table netdev b {}\n' }]);
  await backend.down(p, await backend.up(p));
  const ns = (node: string) => p.namespaces.find((n) => n.node === node)?.netns;
  t.same(host.log.filter((l) => l.includes('nft')), [['ip', 'netns', 'exec', ns('laptop'), 'nft', '-f', '-'], ['ip', 'netns', 'exec', ns('ap'), 'nft', '-f', '-']]);
  t.same(inputs, ['table netdev a {}\n', 'table netdev b {}\n']);
});

t.test('an observer op that fails fails the case, naming the command as run in its namespace', async (t) => {
  const host = new FakeHost();
  const run = host.run.bind(host);
  host.run = async (cmd: Command): Promise<CommandResult> =>
    cmd.argv.includes('nft') ? { argv: cmd.argv, exitCode: 1, stdout: '', stderr: 'Error: syntax error', durationMs: 1, timedOut: false } : run(cmd);
  const { backend, plan } = setup(host);
  const p = plan([{ node: 'ap', argv: ['nft', '-f', '-'], input: 'nonsense\n' }]);
  await t.rejects(backend.up(p), { message: new RegExp(`ip netns exec ${p.namespaces[1]?.netns} nft -f -.*syntax error`, 's') });
  t.same([...host.namespaces], [], 'and what was built is gone');
});
