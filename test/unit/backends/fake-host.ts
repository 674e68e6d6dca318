// A fake host for backend tests: namespaces are a set, commands are logged, and `ip netns add`
// can be made slow to catch what happens while it is in flight.
import { BASELINE_PL } from '../../../src/backends/baseline.js';
import type { Command, CommandResult, LiveProcess, Runner } from '../../../src/backends/runner.js';
import { SYSCTL_BASELINE, sysctlPath } from '../../../src/plan/baseline.js';

const result = (cmd: Command, exitCode: number, stdout = '', stderr = ''): CommandResult => ({
  argv: cmd.argv, exitCode, stdout, stderr, durationMs: 1, timedOut: false,
});

export class FakeHost implements Runner {
  readonly namespaces = new Set<string>();
  readonly log: string[][] = [];
  /** Baseline files (under /proc/sys) whose value a new namespace inherits different from the kernel's. */
  rootDiffers: string[] = [];
  /** How long `ip netns add` takes. */
  addDelayMs = 0;
  /** How long the baseline's read takes (cases that start together are all in flight meanwhile). */
  readDelayMs = 0;
  readonly started: { argv: readonly string[]; killed: boolean }[] = [];

  /** Whether a namespace exists, as the backend checks it (instead of /run/netns). */
  readonly exists = (netns: string): boolean => this.namespaces.has(netns);

  async run(cmd: Command): Promise<CommandResult> {
    const [file, a, b, c] = cmd.argv;
    if (file === 'perl' && b === BASELINE_PL) return this.baseline(cmd);
    if (file === 'ip' && (a === '-batch' || (a === '-force' && b === '-batch'))) return this.batch(cmd, a === '-force');
    this.log.push([...cmd.argv]);
    if (file === 'ip' && a === 'netns' && b === 'add' && c) {
      if (this.addDelayMs) await new Promise((r) => setTimeout(r, this.addDelayMs));
      if (this.namespaces.has(c)) return result(cmd, 1, '', `Cannot create namespace file "/run/netns/${c}": File exists`);
      this.namespaces.add(c);
      return result(cmd, 0);
    }
    if (file === 'ip' && a === 'netns' && (b === 'del' || b === 'delete') && c) {
      if (!this.namespaces.delete(c)) return result(cmd, 1, '', `Cannot remove namespace file "/run/netns/${c}": No such file or directory`);
      return result(cmd, 0);
    }
    if (file === 'ip' && a === 'netns' && b === 'pids' && c) {
      return this.namespaces.has(c) ? result(cmd, 0, '') : result(cmd, 1, '', 'Cannot open network namespace: No such file or directory');
    }
    const netns = file === 'ip' && a === '-n' ? b : file === 'ip' && a === 'netns' && b === 'exec' ? c : undefined;
    if (netns !== undefined && !this.namespaces.has(netns)) {
      return result(cmd, 1, '', `Cannot open network namespace "${netns}": No such file or directory`);
    }
    if (netns !== undefined && cmd.argv[4] === 'grep') {
      if (this.readDelayMs) await new Promise((r) => setTimeout(r, this.readDelayMs));
      return this.readBaseline(cmd, netns);
    }
    // The baseline read in a namespace of its own (HostBackend.prefetchBaseline).
    if (file === 'unshare' && a === '--net' && b === 'grep') {
      if (this.readDelayMs) await new Promise((r) => setTimeout(r, this.readDelayMs));
      return this.readBaseline(cmd, '(unshare)');
    }
    if (cmd.argv.includes('nft') && cmd.argv.includes('-j')) return result(cmd, 0, '{"nftables": []}');
    if (cmd.argv.includes('neigh')) return result(cmd, 0, '[]');
    return result(cmd, 0);
  }

  /**
   * The sysctl baseline (src/backends/baseline.ts): logged as `sysctl-baseline NS…`; it fails
   * for a namespace that does not exist, and runs the command it execs (the root batch) after.
   */
  private async baseline(cmd: Command): Promise<CommandResult> {
    const rest = cmd.argv.slice(4);
    const namespaces = rest.slice(0, rest.indexOf('--'));
    const exec = rest.indexOf('exec');
    const settings = rest.slice(namespaces.length + 1, exec < 0 ? undefined : exec - 1);
    this.log.push(['sysctl-baseline', ...namespaces, `(${settings.length} settings)`]);
    const gone = namespaces.find((ns) => !this.namespaces.has(ns));
    if (gone) return result(cmd, 2, '', `${gone}: No such file or directory\n`);
    // As a root with these values not the kernel's would have them: written, and said so.
    const differs = settings.map((s) => s.split('=')[0] as string).filter((p) => this.rootDiffers.includes(p)).map((p) => `differs\t${p}\n`).join('');
    const r = exec < 0 ? result(cmd, 0) : await this.run({ argv: rest.slice(exec + 1), ...(cmd.input !== undefined ? { input: cmd.input } : {}) });
    return { ...r, stdout: differs + r.stdout };
  }

  /** The baseline's read (`ip netns exec NS grep -s -H '' FILE…`, or `unshare --net grep …`): `FILE:VALUE`, the kernel's value unless the root differs there. */
  private readBaseline(cmd: Command, netns: string): CommandResult {
    const files = cmd.argv.indexOf('') + 1;
    this.log.push(['sysctl-read', netns, `(${cmd.argv.length - files} files)`]);
    const values = new Map(SYSCTL_BASELINE.map((s) => [`/proc/sys/${sysctlPath(s.key)}`, String(s.value)]));
    const stdout = cmd.argv.slice(files).map((f) => `${f}:${this.rootDiffers.includes(f.slice('/proc/sys/'.length)) ? 'other' : values.get(f)}\n`).join('');
    return result(cmd, 0, stdout);
  }

  /** `ip [-force] -batch -`: each line as its own `ip …`, stopping at the first failure unless forced. */
  private async batch(cmd: Command, force: boolean): Promise<CommandResult> {
    const lines = (cmd.input ?? '').split('\n').filter(Boolean);
    if (this.addDelayMs && lines.some((l) => l.startsWith('netns add '))) await new Promise((r) => setTimeout(r, this.addDelayMs));
    const delay = this.addDelayMs;
    this.addDelayMs = 0;
    let stdout = '';
    let stderr = '';
    let exitCode = 0;
    try {
      for (const [i, line] of lines.entries()) {
        const argv = ['ip', ...line.split(' ')];
        const r = argv[1] === 'link' ? (this.log.push(argv), result(cmd, 0)) : await this.run({ argv });
        stdout += r.stdout;
        if (r.exitCode !== 0) {
          stderr += `${r.stderr}\nCommand failed -:${i + 1}\n`;
          exitCode = 1;
          if (!force) break;
        }
      }
    } finally {
      this.addDelayMs = delay;
    }
    return result(cmd, exitCode, stdout, stderr);
  }

  start(cmd: Command): LiveProcess {
    const entry = { argv: cmd.argv, killed: false };
    this.started.push(entry);
    let end: (r: CommandResult) => void = () => undefined;
    const done = new Promise<CommandResult>((resolve) => (end = resolve));
    const timer = setTimeout(() => end(result(cmd, 0)), cmd.timeoutMs ?? 10_000);
    return {
      pid: undefined,
      waitForLine: () => done.then(() => undefined),
      done,
      kill: () => {
        entry.killed = true;
        clearTimeout(timer);
        end(result(cmd, -1));
      },
      stop: () => {
        entry.killed = true;
        clearTimeout(timer);
        end(result(cmd, -1));
        return done;
      },
    };
  }
}
