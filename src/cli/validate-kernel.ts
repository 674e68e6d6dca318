// The checks of `lab validate` that need the kernel: sysctl keys (and values) written in a scratch
// namespace, nft rulesets parsed there with `nft -c`. Root only: without it they are skipped and
// the output says so. The scratch namespace carries a prefix of its own and is recorded in a state
// file like a run's, so `lab clean` finds it if validate is killed.
import type { ScenarioProblem } from '../errors.js';
import { withScratchNamespace, type Runner } from '../session/index.js';
import { formatPath } from '../model/source.js';
import { scratchKey, type KernelCheckItem } from '../model/kernel-checks.js';

export type KernelVerdict = { problems: ScenarioProblem[] } | { skipped: string };

const problem = (file: string, item: KernelCheckItem, message: string): ScenarioProblem => ({
  file, line: item.loc.line, col: item.loc.col, path: formatPath(item.path), message,
});

/** `sysctl -w` complaints by key: "cannot stat /proc/sys/PATH" (no such key) and "setting key "KEY": ERR". Pure. */
export const sysctlComplaints = (stderr: string): Map<string, string> => {
  const out = new Map<string, string>();
  for (const line of stderr.split('\n')) {
    const missing = /cannot stat \/proc\/sys\/(\S+): (.*)$/.exec(line);
    if (missing) out.set((missing[1] as string).replaceAll('/', '.'), 'this kernel has no such sysctl');
    const refused = /setting key "([^"]+)"(?:, ignoring)?: (.*)$/.exec(line);
    if (refused) out.set(refused[1] as string, `the kernel refuses the value: ${refused[2]}`);
  }
  return out;
};

/** nft's first error, its ruleset line given as the file's line when the ruleset is a block of the file. Pure. */
export const nftComplaint = (stderr: string, firstLine: number | undefined): string => {
  const first = stderr.split('\n').find((l) => /Error:/.test(l)) ?? stderr.trim().split('\n')[0] ?? '';
  const m = /^\/dev\/stdin:(\d+):(\S+): (.*)$/.exec(first);
  if (!m) return first;
  const line = Number(m[1]);
  return firstLine === undefined ? `ruleset line ${line}:${m[2]}: ${m[3]}` : `file line ${firstLine + line - 1} (ruleset line ${line}, columns ${m[2]}): ${m[3]}`;
};

export const kernelProblems = async (runner: Runner, items: readonly { file: string; item: KernelCheckItem }[]): Promise<KernelVerdict> => {
  if (items.length === 0) return { problems: [] };
  if (process.getuid?.() !== 0) return { skipped: 'sysctl keys and nft rulesets were not checked against the kernel (that needs root: a scratch namespace)' };
  const checked = await withScratchNamespace(runner, [...new Set(items.map((i) => i.file))], async (scratch) => {
    const problems: ScenarioProblem[] = [];
    const sysctls = items.filter((i): i is { file: string; item: Extract<KernelCheckItem, { kind: 'sysctl' }> } => i.item.kind === 'sysctl');
    if (sysctls.length) {
      // Every setting written, in file order, in one sysctl: it goes on past a refusal and names each.
      const r = await runner.run({ argv: ['ip', 'netns', 'exec', scratch, 'sysctl', '-w', ...sysctls.map(({ item }) => `${scratchKey(item.key)}=${item.value}`)] });
      const said = sysctlComplaints(r.stderr);
      for (const { file, item } of sysctls) {
        const why = said.get(scratchKey(item.key));
        if (why) problems.push(problem(file, item, `${item.key}: ${why}`));
      }
    }
    for (const { file, item } of items) {
      if (item.kind !== 'nft') continue;
      const r = await runner.run({ argv: ['ip', 'netns', 'exec', scratch, 'nft', '-c', '-f', '-'], input: item.ruleset });
      if (r.exitCode === 0) continue;
      problems.push(problem(file, item, `nft rejects the ruleset: ${nftComplaint(r.stderr, item.firstLine)}`));
    }
    return problems;
  });
  if ('unavailable' in checked) return { skipped: `no scratch namespace (${checked.unavailable}): sysctl keys and nft rulesets were not checked` };
  return { problems: checked.value };
};
