// Commands inside many namespaces at the cost of few processes of lab's own. Starting a process
// costs lab's one thread about 2.5 ms of CPU here (docs/design/performance.md),
// so a topology of 100 namespaces cannot afford one per namespace. One `xargs` per lane runs
// them instead, each as `nsenter --net=/run/netns/NS COMMAND`, forked in C while lab waits; two
// lanes side by side use both cores. nsenter only joins the network namespace: `ip netns exec`
// (and `ip -n`) also copy the whole mount table for a fresh /sys, which grows with every
// namespace on the machine. Inputs travel in files of a private temporary folder. A handful of
// commands still run as processes of their own (no files).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command, CommandResult, Runner } from './runner.js';
import { netnsRunDir } from './state.js';

/** A command to run inside `netns`; `argv` reads `input` from its last token, `-`. */
export interface NsCommand {
  netns: string;
  argv: readonly string[];
  input?: string;
}

export interface NsFailure {
  /** Index of the command that failed. */
  index: number;
  result: CommandResult;
}

/** Up to this many commands run as processes of their own; more go through the driver. */
export const DIRECT_MAX = 3;

/** How many driver batches run side by side. */
const LANES = 2;

/** argv that runs `argv` inside `netns`: `ip -n` for ip itself, `ip netns exec` for the rest. */
export const inNetns = (netns: string, argv: readonly string[]): string[] =>
  argv[0] === 'ip' ? ['ip', '-n', netns, ...argv.slice(1)] : ['ip', 'netns', 'exec', netns, ...argv];

const plain = (t: string): boolean => t.length > 0 && !/[\s"'\\#$]/.test(t);

/** The line `xargs -L 1 nsenter` runs for command `c` whose input (if any) is in `file`. Pure. */
export const driverLine = (c: NsCommand, file: string | undefined, runDir: string = netnsRunDir()): string => {
  const argv = file === undefined ? c.argv : [...c.argv.slice(0, -1), file];
  return [`--net=${runDir}/${c.netns}`, ...argv].join(' ');
};

/**
 * The stderr of each command of a lane, from `xargs --verbose`, which prints every command line
 * (`nsenter '--net=…' …`) before it runs it; the lane runs one at a time, so what follows a line
 * is its command's. Pure.
 */
export const laneErrors = (stderr: string, count: number): string[] => {
  const out = Array<string>(count).fill('');
  let k = -1;
  for (const line of stderr.split('\n')) {
    if (line.startsWith("nsenter '--net=") || line.startsWith('nsenter --net=')) k += 1;
    else if (k >= 0 && k < count && line.trim()) out[k] += `${line}\n`;
  }
  return out;
};

/** Whether the driver can carry `c`: plain tokens, and input only through a final `-`. */
export const drivable = (c: NsCommand): boolean =>
  plain(c.netns) && c.argv.every(plain) && (c.input === undefined || c.argv[c.argv.length - 1] === '-');

/**
 * Runs the commands, side by side (`parallel`) or one after another in order (`sequence`).
 * Resolves with the first failure, or undefined when all succeeded.
 */
export const runInNamespaces = async (
  runner: Runner,
  commands: readonly NsCommand[],
  mode: 'parallel' | 'sequence',
  timeoutMs = 30_000,
): Promise<NsFailure | undefined> => {
  if (commands.length <= DIRECT_MAX || !commands.every(drivable)) return direct(runner, commands, mode, timeoutMs);
  const dir = mkdtempSync(join(tmpdir(), 'lab-driver-'));
  try {
    const lines = commands.map((c, i) => {
      if (c.input === undefined) return driverLine(c, undefined);
      const file = join(dir, String(i));
      writeFileSync(file, c.input);
      return driverLine(c, file);
    });
    const lanes = mode === 'sequence' ? [commands.map((_, i) => i)] : Array.from({ length: LANES }, (_, l) => commands.map((_, i) => i).filter((i) => i % LANES === l));
    const results = await Promise.all(
      lanes.map(async (lane) => {
        const cmd: Command = {
          argv: ['xargs', '--verbose', '-L', '1', '-P', '1', '--', 'nsenter'],
          input: `${lane.map((i) => lines[i]).join('\n')}\n`,
          timeoutMs: timeoutMs + 50 * lane.length,
        };
        return { lane, r: await runner.run(cmd) };
      }),
    );
    for (const { lane, r } of results) {
      if (r.exitCode === 0) continue;
      // The first command that said something failed (xargs does not tell which exited non-zero).
      const errors = laneErrors(r.stderr, lane.length);
      const k = Math.max(0, errors.findIndex((e) => e !== ''));
      const index = lane[k] ?? 0;
      const c = commands[index] as NsCommand;
      const stderr = (errors[k] || r.stderr).replace(new RegExp(`${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/\\d+`, 'g'), '-').trimEnd();
      return { index, result: { ...r, argv: inNetns(c.netns, c.argv), stderr } };
    }
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

const direct = async (
  runner: Runner,
  commands: readonly NsCommand[],
  mode: 'parallel' | 'sequence',
  timeoutMs: number,
): Promise<NsFailure | undefined> => {
  const one = async (c: NsCommand, index: number): Promise<NsFailure | undefined> => {
    const r = await runner.run({ argv: inNetns(c.netns, c.argv), ...(c.input !== undefined ? { input: c.input } : {}), timeoutMs });
    return r.exitCode === 0 ? undefined : { index, result: r };
  };
  if (mode === 'parallel') return (await Promise.all(commands.map(one))).find((f) => f !== undefined);
  for (const [i, c] of commands.entries()) {
    const failed = await one(c, i);
    if (failed) return failed;
  }
  return undefined;
};
