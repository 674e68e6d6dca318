import t from 'tap';
import { hostRequirements, requireAll } from '../../../src/backends/capabilities.js';
import type { Command, Runner } from '../../../src/backends/runner.js';

const fake = (missing: string[] = []) => {
  const asked: string[] = [];
  const runner: Runner = {
    async run(cmd: Command) {
      const file = cmd.argv[0] as string;
      asked.push(file);
      const gone = missing.includes(file);
      return { argv: cmd.argv, exitCode: gone ? 127 : 0, stdout: gone ? '' : `${file} version 1\n`, stderr: gone ? `${file}: not found` : '', durationMs: 1, timedOut: false };
    },
    start: () => {
      throw new Error('not here');
    },
  };
  return { runner, asked };
};

t.test('the host needs root and six tools; each is asked for once', async (t) => {
  const { runner, asked } = fake();
  const caps = await hostRequirements(runner);
  t.same(caps.map((c) => c.name), ['root', 'iproute2', 'nftables', 'socat', 'perl', 'nsenter', 'xargs']);
  t.same(asked.sort(), ['ip', 'nft', 'nsenter', 'perl', 'socat', 'xargs']);
  t.ok(caps.slice(1).every((c) => c.ok));
});

t.test('a missing tool is named with the package that brings it', async (t) => {
  const { runner } = fake(['nft']);
  const caps = (await hostRequirements(runner)).filter((c) => c.name !== 'root');
  t.throws(() => requireAll(caps), /nftables/);
  t.match(caps.find((c) => c.name === 'nftables'), { ok: false, remedy: 'install it: apt-get install nftables' });
});

t.test('a guest whose tools the host checked asks only for root: no process started', async (t) => {
  const { runner, asked } = fake();
  const caps = await hostRequirements(runner, { tools: false });
  t.same(caps.map((c) => c.name), ['root']);
  t.same(asked, []);
});
