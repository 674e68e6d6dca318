// Can this kernel run wireless scenarios? mac80211_hwsim loaded, built in, or loadable; and the
// tools the modes need. Asked once per run, before anything is built.
import { existsSync } from 'node:fs';
import { release } from 'node:os';
import { CapabilityError } from '../../errors.js';
import type { Scenario } from '../../model/types.js';
import type { CaseResult } from '../../verdict/verdict.js';
import type { Capability } from '../capabilities.js';
import type { Runner } from '../runner.js';

export const HWSIM = 'mac80211_hwsim';

/** Whether the kernel has hwsim now (loaded or built in), loading it when it is only loadable and `load` is set. */
export const hwsimCapability = async (runner: Runner, load: boolean): Promise<Capability> => {
  const name = `${HWSIM} (kernel ${release()})`;
  const remedy = 'run it in a VM with a kernel that has it: lab run --backend vm (Debian kernels do), or pass --skip-unsupported';
  if (existsSync(`/sys/module/${HWSIM}`)) return { name, ok: true, detail: 'loaded', remedy: '' };
  if (!existsSync('/proc/modules')) {
    return { name, ok: false, detail: 'this kernel has no mac80211_hwsim built in and cannot load modules (no /proc/modules)', remedy };
  }
  const dry = await runner.run({ argv: ['modprobe', '-n', '-q', HWSIM], timeoutMs: 10_000 }).catch(() => undefined);
  if (!dry || dry.exitCode !== 0) {
    const why = !dry ? 'modprobe is not installed (apt-get install kmod)' : `\`modprobe -n ${HWSIM}\` finds no module for this kernel${dry.stderr.trim() ? `: ${dry.stderr.trim()}` : ''}`;
    return { name, ok: false, detail: `not loaded, and ${why}`, remedy };
  }
  if (!load) return { name, ok: true, detail: 'loadable (modprobe)', remedy: '' };
  // radios=0: lab creates its own radios inside its namespaces; none appear in the root namespace.
  const r = await runner.run({ argv: ['modprobe', HWSIM, 'radios=0'], timeoutMs: 30_000 });
  return r.exitCode === 0
    ? { name, ok: true, detail: 'loaded now (modprobe mac80211_hwsim radios=0)', remedy: '' }
    : { name, ok: false, detail: `\`modprobe ${HWSIM} radios=0\` failed: ${r.stderr.trim()}`, remedy };
};

const tool = async (runner: Runner, name: string, argv: string[], pkg: string): Promise<Capability> => {
  const r = await runner.run({ argv, timeoutMs: 10_000 }).catch(() => undefined);
  // hostapd -v and wpa_supplicant -v print their version and exit 1; only "not found" is missing.
  const ok = r !== undefined && r.exitCode !== 127 && r.exitCode !== -1 && !/ENOENT|not found/.test(r.stderr);
  return { name, ok, detail: ok ? 'installed' : `\`${argv[0]}\` is not installed`, remedy: `apt-get install ${pkg}` };
};

/** What the wireless links of `scenarios` need besides hwsim. */
export const wirelessTools = async (runner: Runner, scenarios: readonly Scenario[]): Promise<Capability[]> => {
  const links = scenarios.flatMap((s) => s.wireless ?? []);
  if (links.length === 0) return [];
  const caps = [await tool(runner, 'iw', ['iw', '--version'], 'iw'), await tool(runner, 'perl', ['perl', '-v'], 'perl-base')];
  if (links.some((l) => l.mode === 'ap')) {
    caps.push(await tool(runner, 'hostapd', ['hostapd', '-v'], 'hostapd'));
    caps.push(await tool(runner, 'wpa_supplicant', ['wpa_supplicant', '-v'], 'wpasupplicant'));
  }
  return caps;
};

/**
 * The cases that cannot run on this kernel, as skipped results, when `skip` is set; without it,
 * the first missing capability is a CapabilityError (exit 3). Cases of wired scenarios always run.
 */
export const unsupportedCases = async (
  runner: Runner,
  scenarios: readonly Scenario[],
  selected: readonly [number, number][],
  skip: boolean,
): Promise<Map<string, CaseResult>> => {
  const skipped = new Map<string, CaseResult>();
  const wireless = scenarios.filter((s) => (s.wireless ?? []).length > 0);
  if (wireless.length === 0) return skipped;
  const caps = [await hwsimCapability(runner, true), ...(await wirelessTools(runner, wireless))];
  const missing = caps.find((c) => !c.ok);
  if (!missing) return skipped;
  if (!skip) throw new CapabilityError(missing.name, missing.detail, missing.remedy);
  for (const [si, ci] of selected) {
    const s = scenarios[si];
    if (!s || !(s.wireless ?? []).length) continue;
    skipped.set(`${si}/${ci}`, {
      name: s.cases[ci]?.name ?? '',
      status: 'skip',
      probes: [],
      expectations: [],
      error: `${missing.name}: ${missing.detail}`,
      durationMs: 0,
    });
  }
  return skipped;
};
