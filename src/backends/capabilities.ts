import { randomBytes } from 'node:crypto';
import { CapabilityError, shownCommand } from '../errors.js';
import type { Runner } from './runner.js';
import { timeScale } from './time-scale.js';
import { removeNamespace } from './host.js';
import { deviceFeatureChecks } from './device-features.js';
import { installHint, onPath } from './packages.js';
import type { Scenario } from '../types/scenario.js';

export interface Capability {
  name: string;
  ok: boolean;
  detail: string;
  /** How to get it, when missing. */
  remedy: string;
  /** Missing, it only skips the cases that use it (a device type): `lab doctor` still exits 0. */
  optional?: boolean;
}

const tool = async (runner: Runner, name: string, argv: string[], pkg: string): Promise<Capability> => {
  // Scaled: in a TCG guest, with the checks side by side on a loaded machine, 5 s was measured too short.
  const timeoutMs = 5_000 * timeScale();
  const r = await runner.run({ argv, timeoutMs }).catch((err: unknown) => ({
    exitCode: -1,
    stdout: '',
    stderr: err instanceof Error ? err.message : String(err),
    timedOut: false,
  }));
  if (r.timedOut) {
    return { name, ok: false, detail: `\`${shownCommand(argv)}\` did not answer within ${timeoutMs / 1000} s`, remedy: 'check the machine\'s load, then run lab again' };
  }
  const lines = `${r.stdout}\n${r.stderr}`.trim().split('\n');
  const text = lines.find((l) => /version/i.test(l) && !/license/i.test(l))?.trim() ?? lines[0] ?? '';
  return {
    name,
    ok: r.exitCode === 0,
    detail: r.exitCode === 0 ? text : `\`${argv[0]}\` is not usable: ${text || `exit ${r.exitCode}`}`,
    remedy: installHint(pkg),
  };
};

/**
 * What `lab run` on the host backend cannot do without: cheap checks, no namespace created.
 * Without `tools`, only root (a VM's guest, whose tools the host has checked).
 */
export const hostRequirements = async (runner: Runner, { tools = true }: { tools?: boolean } = {}): Promise<Capability[]> => {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  return [
    {
      name: 'root',
      ok: root,
      detail: root ? 'running as root' : 'creating network namespaces needs root',
      remedy: 'run lab as root (sudo ./lab ...)',
    },
    // Side by side: in a TCG guest each start costs 0.2-0.5 s.
    ...(!tools ? [] : await Promise.all([
      tool(runner, 'iproute2', ['ip', '-V'], 'iproute2'),
      tool(runner, 'nftables', ['nft', '--version'], 'nftables'),
      tool(runner, 'socat', ['socat', '-V'], 'socat'),
      // The namespace agent (src/agent/agent.pl), which also forks lab's commands (forker.ts).
      tool(runner, 'perl', ['perl', '-e', 'print "perl $^V\n"'], 'perl-base'),
    ])),
  ];
};

/** tcpdump writes the pcaps of `--out`; lab runs without it otherwise. */
export const tcpdumpCapability = (runner: Runner): Promise<Capability> =>
  tool(runner, 'tcpdump (for --out pcaps)', ['tcpdump', '--version'], 'tcpdump');

/**
 * Tools only some runs need, found on PATH without starting them: ping for ICMP probes of the
 * selected cases, tcpdump for the pcaps of `--out`.
 */
export const runTools = (
  scenarios: readonly Scenario[],
  selected: readonly (readonly [number, number])[],
  { pcaps }: { pcaps: boolean },
  path?: string,
): Capability[] => {
  const icmp = selected.some(([si, ci]) => scenarios[si]?.cases[ci]?.probes.some((p) => p.kind === 'icmp'));
  const needed: [tool: string, pkg: string, why: string][] = [
    ...(icmp ? [['ping', 'iputils-ping', 'ICMP probes'] as [string, string, string]] : []),
    ...(pcaps ? [['tcpdump', 'tcpdump', 'the pcaps of --out'] as [string, string, string]] : []),
  ];
  return needed.map(([tool, pkg, why]) => {
    const found = onPath(tool, path);
    return { name: tool, ok: found !== undefined, detail: found ? `installed (${found})` : `\`${tool}\` is not installed; ${why} need it`, remedy: installHint(pkg) };
  });
};

export const requireAll = (caps: readonly Capability[]): void => {
  const missing = caps.find((c) => !c.ok);
  if (missing) throw new CapabilityError(missing.name, missing.detail, missing.remedy);
};

/**
 * Deeper checks for `lab doctor`: creates one scratch namespace (named like a run's, and
 * removed again) to try veth, bridge and the nftables netdev hooks for real.
 */
export const hostFeatures = async (runner: Runner): Promise<Capability[]> => {
  const ns = `lab-doctor-${randomBytes(3).toString('hex')}`;
  const caps: Capability[] = [];
  const attempt = async (name: string, argvs: string[][], remedy: string, input?: string): Promise<boolean> => {
    for (const argv of argvs) {
      const r = await runner.run({ argv, timeoutMs: 5_000, ...(input !== undefined ? { input } : {}) });
      if (r.exitCode !== 0) {
        caps.push({ name, ok: false, detail: r.stderr.trim() || `exit ${r.exitCode}`, remedy });
        return false;
      }
    }
    caps.push({ name, ok: true, detail: 'works', remedy: '' });
    return true;
  };
  const exec = (argv: string[]): string[] => ['ip', 'netns', 'exec', ns, ...argv];
  try {
    if (!(await attempt('netns', [['ip', 'netns', 'add', ns]], 'a kernel with CONFIG_NET_NS and root'))) return caps;
    await attempt('veth', [['ip', '-n', ns, 'link', 'add', 'name', 'probe0', 'type', 'veth', 'peer', 'name', 'probe1']], 'a kernel with CONFIG_VETH');
    await attempt('bridge', [['ip', '-n', ns, 'link', 'add', 'name', 'probebr', 'type', 'bridge']], 'a kernel with CONFIG_BRIDGE');
    // The device types of `devices:` (src/plan/devices.ts names the same features in its ops' requires).
    for (const f of deviceFeatureChecks(ns)) {
      await attempt(f.name, [f.argv], f.remedy);
      (caps[caps.length - 1] as Capability).optional = true;
    }
    await attempt(
      'nft netdev ingress/egress',
      [exec(['nft', '-f', '-'])],
      'a kernel with CONFIG_NETFILTER_INGRESS and CONFIG_NETFILTER_EGRESS (5.16 or later)',
      [
        'table netdev t {',
        '  chain i { type filter hook ingress device "lo" priority 0; }',
        '  chain e { type filter hook egress device "lo" priority 0; }',
        '}',
        '',
      ].join('\n'),
    );
  } finally {
    await removeNamespace(runner, ns);
  }
  return caps;
};
