// Mininet, for comparison, run so that it cannot touch anything outside the bench.
//
// Left to itself, Mininet configures the root namespace: its lxbr switches and their ports
// (s1, s1-eth1, …) are created there, and it raises global sysctls (net.core.wmem_max,
// net.ipv4.tcp_rmem, the neighbour table sizes, …) and leaves them raised. Its cleanup, `mn -c`,
// kills every process called `ping` or `controller` on the machine, deletes /tmp/*.log and every
// root-namespace link named like `x-eth0`. So the bench runs `mn` (and `mn -c`) in a sandbox:
// - a network namespace the bench creates (named with the bench's prefix): Mininet's "root";
//   sysctls that only the real root namespace may write fail there, and Mininet carries on;
// - its own PID namespace, with /proc mounted for it: its killall/pkill see only its own
//   processes, and every one of them dies with it;
// - a private tmpfs on /tmp and HOME=/tmp: its file cleanup stays inside.
import { readFileSync } from 'node:fs';
import type { Runner } from '../types/runner.js';

export const mininetArgv = (n: number): string[] =>
  ['mn', '--topo', `linear,${n}`, '--switch', 'lxbr', '--controller', 'none', '--test', 'build'];

export const MININET_CLEAN = ['mn', '-c'];

/**
 * `command` inside `netns`, in a fresh PID namespace (killed with `unshare`) with a private /tmp.
 * The command's words are passed to the shell as "$@", never spliced into its script.
 */
export const sandboxed = (netns: string, command: readonly string[]): string[] => [
  'ip', 'netns', 'exec', netns,
  'unshare', '--pid', '--fork', '--kill-child', '--mount-proc',
  'sh', '-c', 'mount -t tmpfs lab-bench-tmp /tmp && HOME=/tmp exec "$@"', 'lab-bench-sandbox',
  ...command,
];

/** Mininet's own measure of building, testing and stopping the network: "completed in 5.263 seconds". */
export const completedIn = (output: string): number | undefined => {
  const m = /completed in ([0-9]+(?:\.[0-9]+)?) seconds/.exec(output);
  return m ? Number(m[1]) : undefined;
};

/** The global settings Mininet's fixLimits() raises when it can. */
const MININET_SYSCTLS = [
  'fs.file-max',
  'net.core.wmem_max',
  'net.core.rmem_max',
  'net.ipv4.tcp_rmem',
  'net.ipv4.tcp_wmem',
  'net.core.netdev_max_backlog',
  'net.ipv4.neigh.default.gc_thresh1',
  'net.ipv4.neigh.default.gc_thresh2',
  'net.ipv4.neigh.default.gc_thresh3',
  'net.ipv4.route.max_size',
  'kernel.pty.max',
] as const;

/** What of the machine outside the sandbox Mininet could change: read, never written. */
export interface OutsideSnapshot {
  /** Link names of the root namespace. */
  links: string[];
  sysctls: Record<string, string>;
  /** Processes whose command line carries Mininet's node marker `mininet:`. */
  mininetProcesses: string[];
}

const readSysctl = (key: string): string => {
  try {
    return readFileSync(`/proc/sys/${key.replaceAll('.', '/')}`, 'utf8').trim().replace(/\s+/g, ' ');
  } catch {
    return '(unreadable)';
  }
};

export const snapshotOutside = async (runner: Runner): Promise<OutsideSnapshot> => {
  const links = await runner.run({ argv: ['ip', '-o', 'link', 'show'], timeoutMs: 10_000 });
  const procs = await runner.run({ argv: ['pgrep', '-a', '-f', 'mininet:'], timeoutMs: 10_000 });
  return {
    links: linkNames(links.stdout),
    sysctls: Object.fromEntries(MININET_SYSCTLS.map((k) => [k, readSysctl(k)])),
    mininetProcesses: procs.stdout.split('\n').map((l) => l.trim()).filter(Boolean),
  };
};

/** Link names from `ip -o link show` ("2: s1-eth1@if3: <…>" → "s1-eth1"). */
export const linkNames = (text: string): string[] =>
  text.split('\n').flatMap((line) => {
    const m = /^\d+:\s+([^:@\s]+)/.exec(line);
    return m?.[1] ? [m[1]] : [];
  });

/** What changed outside the sandbox, one line each; empty when nothing did. */
export const outsideChanges = (before: OutsideSnapshot, after: OutsideSnapshot): string[] => {
  const changes: string[] = [];
  const added = after.links.filter((l) => !before.links.includes(l));
  const removed = before.links.filter((l) => !after.links.includes(l));
  if (added.length) changes.push(`root namespace links appeared: ${added.join(', ')}`);
  if (removed.length) changes.push(`root namespace links disappeared: ${removed.join(', ')}`);
  for (const key of MININET_SYSCTLS) {
    if (before.sysctls[key] !== after.sysctls[key]) changes.push(`${key} changed from ${before.sysctls[key]} to ${after.sysctls[key]}`);
  }
  const procs = after.mininetProcesses.filter((p) => !before.mininetProcesses.includes(p));
  if (procs.length) changes.push(`Mininet processes still running: ${procs.join('; ')}`);
  return changes;
};
