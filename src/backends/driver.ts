// Commands inside many namespaces at the cost of few processes of lab's own. Starting a process
// costs lab's one thread about 3 ms here (measured: 100 spawns of `true` from Node, 290–440 ms),
// so a topology of 100 namespaces cannot afford one per namespace. A single root `ip -batch`
// whose lines are `netns exec NS COMMAND` forks them in C instead, one after another, while lab
// waits; two such batches side by side use both cores. Inputs travel in files of a private
// temporary folder. A handful of commands still run as processes of their own (no files).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command, CommandResult, Runner } from './runner.js';

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

/** The `ip -batch` line of command `c` whose input (if any) is in `file`. Pure. */
export const driverLine = (c: NsCommand, file: string | undefined): string => {
  const argv = file === undefined ? c.argv : [...c.argv.slice(0, -1), file];
  return ['netns', 'exec', c.netns, ...argv].join(' ');
};

/** Whether the driver can carry `c`: plain tokens, and input only through a final `-`. */
export const drivable = (c: NsCommand): boolean =>
  plain(c.netns) && c.argv.every(plain) && (c.input === undefined || c.argv[c.argv.length - 1] === '-');

/** Which line of an `ip -batch -` failed, 0-based, from ip's "Command failed -:LINE". */
export const failedDriverLine = (stderr: string): number | undefined => {
  const m = /Command failed -:(\d+)/.exec(stderr);
  return m ? Number(m[1]) - 1 : undefined;
};

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
        const cmd: Command = { argv: ['ip', '-batch', '-'], input: `${lane.map((i) => lines[i]).join('\n')}\n`, timeoutMs: timeoutMs + 50 * lane.length };
        return { lane, r: await runner.run(cmd) };
      }),
    );
    for (const { lane, r } of results) {
      if (r.exitCode === 0) continue;
      const line = failedDriverLine(r.stderr);
      const index = lane[line ?? 0] ?? 0;
      const c = commands[index] as NsCommand;
      const stderr = r.stderr.replace(/\n?Command failed -:\d+\s*$/, '').replace(new RegExp(`${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/\\d+`, 'g'), '-');
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
