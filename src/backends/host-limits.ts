// What this machine can hold right now: the memory and the processes (threads) a lab may use.
// Read from /proc and the cgroup lab runs in; each value that cannot be read is left out.
import { readFileSync } from 'node:fs';

export interface HostLimits {
  /** MemAvailable, or what the memory cgroup still allows when that is less (bytes). */
  memAvailable: number;
  /** Where memAvailable comes from. */
  memSource: string;
  /** The fewest of pid_max, threads-max and the cgroup's pids.max. */
  taskLimit: number;
  taskSource: string;
  /** Tasks (threads) on the machine now: /proc/loadavg's fourth field. */
  tasksNow: number;
}

const text = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

const number = (s: string | undefined): number | undefined => {
  const n = s === undefined ? Number.NaN : Number(s.trim());
  return Number.isFinite(n) ? n : undefined;
};

/** MemAvailable of a /proc/meminfo text, in bytes. */
export const memAvailableOf = (meminfo: string): number | undefined => {
  const kb = /^MemAvailable:\s+(\d+) kB$/m.exec(meminfo)?.[1];
  return kb === undefined ? undefined : Number(kb) * 1024;
};

/** The running/total field of /proc/loadavg: the total. */
export const tasksOf = (loadavg: string): number | undefined => number(loadavg.split(' ')[3]?.split('/')[1]);

/** The cgroup (v2) lab runs in, from /proc/self/cgroup's `0::PATH` line. */
const cgroupDir = (): string | undefined => {
  const path = /^0::(.*)$/m.exec(text('/proc/self/cgroup') ?? '')?.[1];
  return path === undefined ? undefined : `/sys/fs/cgroup${path === '/' ? '' : path}`;
};

export const readHostLimits = (): HostLimits => {
  let memAvailable = memAvailableOf(text('/proc/meminfo') ?? '') ?? Number.POSITIVE_INFINITY;
  let memSource = 'MemAvailable';
  let taskLimit = Math.min(number(text('/proc/sys/kernel/pid_max')) ?? Infinity, number(text('/proc/sys/kernel/threads-max')) ?? Infinity);
  let taskSource = 'pid_max/threads-max';
  const cg = cgroupDir();
  if (cg) {
    const max = number(text(`${cg}/memory.max`));
    const current = number(text(`${cg}/memory.current`));
    if (max !== undefined && current !== undefined && max - current < memAvailable) {
      memAvailable = max - current;
      memSource = `cgroup ${cg} memory.max`;
    }
    const pids = number(text(`${cg}/pids.max`));
    if (pids !== undefined && pids < taskLimit) {
      taskLimit = pids;
      taskSource = `cgroup ${cg} pids.max`;
    }
  }
  return { memAvailable, memSource, taskLimit, taskSource, tasksNow: tasksOf(text('/proc/loadavg') ?? '') ?? 0 };
};
