// Can this kernel run wireless scenarios? mac80211_hwsim loaded, built in, or loadable; and the
// tools the modes need. Asked once per run, before anything is built.
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { CapabilityError } from '../../errors.js';
import type { Scenario } from '../../types/scenario.js';
import type { Capability } from '../capabilities.js';
import type { Runner } from '../runner.js';
import { installHint, onPath } from '../packages.js';

export const HWSIM = 'mac80211_hwsim';

const moduleLive = (module: string): boolean => {
  try {
    return readFileSync(`/sys/module/${module}/initstate`, 'utf8').trim() === 'live';
  } catch {
    return true;
  }
};

/** Whether the kernel has hwsim now (loaded or built in), loading it when it is only loadable and `load` is set. */
export const hwsimCapability = async (runner: Runner, load: boolean): Promise<Capability> => {
  const name = `${HWSIM} (kernel ${release()})`;
  const remedy = 'run it in a VM with a kernel that has it: lab run --backend vm (Debian kernels do), or pass --skip-unsupported';
  // A module still being loaded (the VM job preloads it) has /sys/module/NAME already: only
  // initstate "live" (or none: built in) means its netlink family is there; modprobe waits for it.
  if (existsSync(`/sys/module/${HWSIM}`) && moduleLive(HWSIM)) return { name, ok: true, detail: 'loaded', remedy: '' };
  if (!existsSync('/proc/modules')) {
    return { name, ok: false, detail: 'this kernel has no mac80211_hwsim built in and cannot load modules (no /proc/modules)', remedy };
  }
  // Loading: one modprobe (a dry run first would cost another process start, 0.2-0.5 s under TCG).
  // radios=0: lab creates its own radios inside its namespaces; none appear in the root namespace.
  if (load) {
    const r = await runner.run({ argv: ['modprobe', HWSIM, 'radios=0'], timeoutMs: 30_000 }).catch(() => undefined);
    if (r?.exitCode === 0) return { name, ok: true, detail: 'loaded now (modprobe mac80211_hwsim radios=0)', remedy: '' };
    const why = !r ? `modprobe is not installed (${installHint('kmod')})` : `\`modprobe ${HWSIM} radios=0\` failed${r.stderr.trim() ? `: ${r.stderr.trim()}` : ''}`;
    return { name, ok: false, detail: `not loaded, and ${why}`, remedy };
  }
  const dry = await runner.run({ argv: ['modprobe', '-n', '-q', HWSIM], timeoutMs: 10_000 }).catch(() => undefined);
  if (!dry || dry.exitCode !== 0) {
    const why = !dry ? `modprobe is not installed (${installHint('kmod')})` : `\`modprobe -n ${HWSIM}\` finds no module for this kernel${dry.stderr.trim() ? `: ${dry.stderr.trim()}` : ''}`;
    return { name, ok: false, detail: `not loaded, and ${why}`, remedy };
  }
  return { name, ok: true, detail: 'loadable (modprobe)', remedy: '' };
};

const tool = (name: string, pkg: string, path?: string): Capability => {
  const found = onPath(name, path);
  return { name, ok: found !== undefined, detail: found ? `installed (${found})` : `\`${name}\` is not installed`, remedy: installHint(pkg) };
};

/** What the wireless links of `scenarios` need besides hwsim. */
export const wirelessTools = (scenarios: readonly Scenario[], path?: string): Capability[] => {
  const links = scenarios.flatMap((s) => s.wireless ?? []);
  if (links.length === 0) return [];
  // The media's captures are src/agent/capture.pl, forked by the agents: no tcpdump.
  const caps = [tool('iw', 'iw', path), tool('perl', 'perl-base', path)];
  if (links.some((l) => l.mode === 'ap')) caps.push(tool('hostapd', 'hostapd', path));
  // An open network's stations join through the kernel's SME (hwsim.pl's `connect`): only WPA2 needs a supplicant.
  if (links.some((l) => l.mode === 'ap' && l.passphrase !== undefined)) caps.push(tool('wpa_supplicant', 'wpasupplicant', path));
  return caps;
};

/**
 * The cases that cannot run on this kernel (`scenario/case` index → why), when `skip` is set; the
 * caller reports them as skipped. Without `skip`, the first missing capability is a
 * CapabilityError (exit 3). Cases of wired scenarios always run.
 */
export const unsupportedCases = async (
  runner: Runner,
  scenarios: readonly Scenario[],
  selected: readonly [number, number][],
  skip: boolean,
): Promise<Map<string, string>> => {
  const skipped = new Map<string, string>();
  const wireless = scenarios.filter((s) => (s.wireless ?? []).length > 0);
  if (wireless.length === 0) return skipped;
  const caps = [await hwsimCapability(runner, true), ...wirelessTools(wireless)];
  const missing = caps.find((c) => !c.ok);
  if (!missing) return skipped;
  if (!skip) throw new CapabilityError(missing.name, missing.detail, missing.remedy);
  for (const [si, ci] of selected) {
    const s = scenarios[si];
    if (!s || !(s.wireless ?? []).length) continue;
    skipped.set(`${si}/${ci}`, `${missing.name}: ${missing.detail}`);
  }
  return skipped;
};
