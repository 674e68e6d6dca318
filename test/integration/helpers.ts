// Integration tests run the built `lab` as a user would, as root, on the running kernel.
import { execa, type Options } from 'execa';
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../tmp.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const LAB = join(ROOT, 'lab');
export const SEED = join(ROOT, 'scenarios', 'laptop-two-nics.yaml');

export const isRoot = process.getuid?.() === 0;
/** Why integration tests are skipped when not root (CI is root). */
export const needsRoot = isRoot ? false : 'needs root (network namespaces)';

/** The environment a user's shell would give lab: without tap's loaders in NODE_OPTIONS. */
export const userEnv = (): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  delete env['NODE_OPTIONS'];
  for (const key of Object.keys(env)) if (key.startsWith('TAP') || key.startsWith('_TAPJS')) delete env[key];
  return env;
};

/**
 * Runs `lab ARGS` as a user would. tap re-adds its loader to NODE_OPTIONS of every child, so
 * `env -u` takes it out (env execs lab, so signals reach lab itself).
 */
export const labArgv = (args: string[]): [string, string[]] => ['env', ['-u', 'NODE_OPTIONS', LAB, ...args]];

export const lab = (args: string[], opts: Options = {}) =>
  execa(...labArgv(args), { reject: false, cwd: ROOT, timeout: 120_000, env: userEnv(), extendEnv: false, ...opts });

const text = async (argv: string[]): Promise<string> => {
  const [file = '', ...args] = argv;
  const r = await execa(file, args, { reject: false });
  return `${r.stdout}\n${r.stderr}`;
};

export const namespaces = async (): Promise<string[]> => {
  // stdout only: while namespaces are being deleted, ip also prints errors about their peers.
  const r = await execa('ip', ['netns', 'list'], { reject: false });
  return r.stdout.split('\n').map((l) => l.split(' ')[0] ?? '').filter(Boolean);
};

/**
 * Everything of the root namespace a run could change: addresses, links, routes of every table,
 * rules, net sysctls, the nft ruleset and the list of namespaces.
 */
export const rootSnapshot = async (): Promise<Record<string, string>> => {
  const sysctls = (await text(['sysctl', '-a', '--pattern', '^net\\.(ipv4|ipv6|core)\\.']))
    .split('\n')
    // Values the kernel changes by itself (counters, random seeds, timestamps of its own).
    .filter((l) => !/\.(random|boot_id|uuid|entropy)|neigh\.default\.|_count\b|\brt_cache_rebuild|base_reachable_time/.test(l))
    .join('\n');
  return {
    links: await text(['ip', '-o', 'link', 'show']),
    addresses: await text(['ip', '-o', 'addr', 'show']),
    routes4: await text(['ip', '-4', 'route', 'show', 'table', 'all']),
    routes6: await text(['ip', '-6', 'route', 'show', 'table', 'all']),
    rules4: await text(['ip', '-4', 'rule', 'show']),
    rules6: await text(['ip', '-6', 'rule', 'show']),
    nft: await text(['nft', 'list', 'ruleset']),
    sysctls,
    namespaces: (await namespaces()).join('\n'),
  };
};

/** Writes a scenario into a fresh temporary folder and returns its path. */
export const scenarioFile = (yaml: string, name = 'scenario.yaml'): string => {
  const dir = tempDir('lab-test-');
  const file = join(dir, name);
  writeFileSync(file, yaml);
  return file;
};

/** `lab run FILE --format json`: its exit code, the first scenario's cases (typed by the caller) and stderr. */
export const runCases = async <C>(file: string): Promise<{ exitCode: number | undefined; cases: C[]; stderr: string }> => {
  const r = await lab(['run', file, '--format', 'json']);
  return { exitCode: r.exitCode, cases: JSON.parse(String(r.stdout)).scenarios[0].cases as C[], stderr: String(r.stderr) };
};

/** Why a case did not pass, with each probe's explanation and evidence: what a reader needs. */
export const whyNotPassed = (c: {
  expectations: { what: string; ok: boolean; expected: unknown; actual: unknown }[];
  probes: { name: string; explanation: string; evidence: string[] }[];
}): string => [
  ...c.expectations.filter((e) => !e.ok).map((e) => `${e.what}: expected ${JSON.stringify(e.expected)}, saw ${JSON.stringify(e.actual)}`),
  ...c.probes.map((p) => `${p.name}: ${p.explanation}\n  ${p.evidence.join('\n  ')}`),
].join('\n');

/**
 * Two namespaces of a test's own joined by a veth `eth0` each (192.0.2.1/24 and 192.0.2.2/24),
 * links and lo up; deleted at the test's end.
 */
export const vethPair = async (t: { teardown(fn: () => unknown): void }, ns: readonly [string, string]): Promise<void> => {
  const ip = (...args: string[]) => execa('ip', args);
  t.teardown(async () => {
    for (const n of ns) await execa('ip', ['netns', 'del', n], { reject: false });
  });
  for (const n of ns) await ip('netns', 'add', n);
  await ip('-n', ns[0], 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns[1]);
  await ip('-n', ns[0], 'addr', 'add', '192.0.2.1/24', 'dev', 'eth0');
  await ip('-n', ns[1], 'addr', 'add', '192.0.2.2/24', 'dev', 'eth0');
  for (const n of ns) {
    await ip('-n', n, 'link', 'set', 'eth0', 'up');
    await ip('-n', n, 'link', 'set', 'lo', 'up');
  }
};
