import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Where lab state lives; tests may point it elsewhere. */
export const defaultStateDir = (): string => process.env['LAB_STATE_DIR'] ?? '/run/netns-lab';

/** Where `ip netns` keeps its namespace handles. */
export const netnsRunDir = (): string => process.env['NETNS_RUN_DIR'] ?? '/run/netns';

/**
 * A `lab run` owns its lab for as long as its process lives. A kept lab (`lab up`) outlives the
 * process that built it: it has no owner process once it is up, and only `lab down` removes it.
 */
export type LabKind = 'run' | 'kept';

/**
 * building/running/stopping/tearing-down: a process is working on the lab (`pid`).
 * up: a kept lab, built and left for the user; no process owns it.
 */
export type LabStatus = 'building' | 'running' | 'up' | 'stopping' | 'tearing-down';

/** A process outside the lab's namespaces that the lab started (qemu, a trace reader). */
interface OwnedProcess {
  pid: number;
  /** /proc/PID/stat start time, so that a reused pid is never killed. */
  pidStart: string | null;
  what: string;
}

/** A filesystem lab mounted (tracefs, a 9p share); unmounted unless another live lab records it too. */
interface OwnedMount {
  target: string;
  what: string;
}

/**
 * tracefs the lab changed. `instance`: a directory it made under instances/ (removed with rmdir).
 * `enable`: an enable file it set to 1 (set back to 0 unless another live lab records it too).
 * Prefer an instance per run: tracefs is global, and instances keep runs apart.
 */
interface TracefsUse {
  kind: 'instance' | 'enable';
  path: string;
}

/** What `lab up` kept: which case, and which namespace each node is. */
export interface KeptLab {
  scenario: string;
  file: string;
  case: string;
  caseIndex: number;
  nodes: { node: string; netns: string }[];
}

/** Where a lab's topology lives: host namespaces, or a VM's guest (`lab up --backend vm`). */
export type LabBackend = 'host' | 'vm';

/**
 * The VM of a kept VM lab (`lab up --backend vm`): QEMU runs detached, the topology inside its
 * guest, and lab exec/shell/down reach it by reconnecting to the guest runner's channel. Its
 * namespaces are the guest's: none is recorded in `namespaces` (those are the host's).
 */
export interface KeptVm {
  /** Everything of the VM on the host: its share with the guest (the guest runner, the job, the inner lab's state), QEMU's socket, the console log. */
  runDir: string;
  /** QEMU's chardev socket of the guest runner's virtio-serial port: what lab up and lab down connect to. */
  socket: string;
  /** The sockets of further ports, a kept guest runner on each: lab exec and lab shell take a free one (absent: the main one only). */
  moreSockets?: string[];
  consoleLog: string;
  /** QEMU once started, with its start time: a reused pid is never taken for it (nor killed). */
  qemu?: { pid: number; pidStart: string | null };
  /** The guest's kernel: `uname -r` there, and where lab took it from (a package, a path). */
  kernel: { release: string; source: string };
  accel: 'kvm' | 'tcg';
}

/** Everything one lab owns. `lab clean` deletes exactly this, once nothing owns the lab any more. */
export interface RunState {
  /** 2; absent in files written before kept labs existed (they are runs). */
  version?: number;
  runId: string;
  prefix: string;
  /** The process working on the lab; for a kept lab that is up, the one that built it (gone). */
  pid: number;
  /** The owner's start time (/proc/PID/stat field 22), so a reused pid is not mistaken for it. */
  pidStart: string | null;
  startedAt: string;
  scenarios: string[];
  kind?: LabKind;
  status?: LabStatus;
  lab?: KeptLab;
  /** Absent: host (files written before kept VM labs existed). */
  backend?: LabBackend;
  /** A kept VM lab's VM: released only once QEMU is gone and its run directory removed. */
  vm?: KeptVm;
  /** Recorded before `ip netns add` runs, so a crash right after creation still leaves them findable. */
  namespaces: string[];
  /** netns → "dev:inode:ctime" of its nsfs handle once created (namespaceInode): a namespace of that name made by someone else is left alone. */
  namespaceInodes?: Record<string, string>;
  processes?: OwnedProcess[];
  mounts?: OwnedMount[];
  tracefs?: TracefsUse[];
}

const STATE_VERSION = 2;

export const processStartTime = (pid: number): string | null => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) may contain spaces; fields after the closing parenthesis are plain.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
};

/**
 * Whether the process has ended but its parent has not reaped it yet (a zombie, state Z or X):
 * a `lab run` killed by SIGKILL under a parent busy elsewhere stays one until that parent waits,
 * and `lab list` showed it running all that while.
 */
const hasEnded = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state === 'Z' || state === 'X';
  } catch {
    return true;
  }
};

export const isOwnerAlive = (s: Pick<RunState, 'pid' | 'pidStart'>): boolean => {
  const start = processStartTime(s.pid);
  return start !== null && (s.pidStart === null || start === s.pidStart) && !hasEnded(s.pid);
};

/**
 * live: its owner process is running (a run, or a lab being built or torn down): never touched.
 * kept: a kept lab that is up: only `lab down` removes it.
 * dead: its owner is gone before it finished: `lab clean` removes what it recorded.
 */
export type Liveness = 'live' | 'kept' | 'dead';

export const livenessOf = (s: RunState, alive: (s: RunState) => boolean = isOwnerAlive): Liveness => {
  if (alive(s)) return 'live';
  if (s.kind === 'kept' && s.status === 'up') return 'kept';
  return 'dead';
};

/**
 * "dev:inode:ctime" of a namespace handle (ctime in nanoseconds), or undefined when there is none
 * of that name. The inode alone does not tell two namespaces apart: the kernel hands a freed
 * namespace's number to the next one (measured here: `ip netns del X; ip netns add X` gave the
 * same inode), but the handle's nsfs inode is made anew with the namespace, and its ctime with it
 * (the same number, ctime 14:33:52.278 then 14:33:54.150; unchanged while the namespace lives).
 */
export const namespaceInode = (netns: string, dir: string = netnsRunDir()): string | undefined => {
  try {
    const st = statSync(join(dir, netns), { bigint: true });
    return `${st.dev}:${st.ino}:${st.ctimeNs}`;
  } catch {
    return undefined;
  }
};

/**
 * Whether the namespace handle now (namespaceInode) is the one recorded at creation. A record
 * without its ctime (a state file of an older lab: "dev:inode") is compared by its inode.
 */
export const sameNamespace = (recorded: string, now: string): boolean => {
  const parts = recorded.split(':');
  return parts.length < 3 ? now.split(':').slice(0, 2).join(':') === recorded : now === recorded;
};

/** Run ids are the lab ids users type: short, lower-case hex. */
const newRunId = (): string => randomBytes(3).toString('hex');

type StateInit = Omit<RunState, 'namespaces' | 'pidStart' | 'startedAt' | 'version'> &
  Partial<Pick<RunState, 'namespaces'>>;

/** The state file of one lab, rewritten (atomically) whenever the lab creates or frees something. */
export class StateFile {
  readonly path: string;
  private state: RunState;

  /** Writes a new state file for `init` (replacing one of the same id: use `create` for a fresh id). */
  constructor(dir: string, init: StateInit, exclusive = false) {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    this.path = join(dir, `${init.runId}.json`);
    this.state = {
      version: STATE_VERSION,
      kind: 'run',
      status: 'running',
      ...init,
      pidStart: processStartTime(init.pid),
      startedAt: new Date().toISOString(),
      namespaces: [...(init.namespaces ?? [])],
    };
    // The first write claims the id: two labs can never share a state file.
    if (exclusive) writeFileSync(this.path, this.text(), { flag: 'wx' });
    else this.write();
  }

  /** A state file under a fresh run id that no other lab in `dir` has. */
  static create(dir: string, init: Omit<StateInit, 'runId' | 'prefix'>, prefixOf = (id: string) => `lab-${id}`): StateFile {
    for (let attempt = 0; ; attempt++) {
      const runId = newRunId();
      try {
        return new StateFile(dir, { ...init, runId, prefix: prefixOf(runId) }, true);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 20) throw err;
      }
    }
  }

  /** Takes over an existing lab's state (for `lab down`, `lab clean`): this process becomes its owner. */
  static adopt(path: string, state: RunState, status: LabStatus, pid: number = process.pid): StateFile {
    const file = Object.create(StateFile.prototype) as StateFile;
    Object.assign(file, { path, state: { ...state, pid, pidStart: processStartTime(pid), status } });
    file.write();
    return file;
  }

  get runId(): string {
    return this.state.runId;
  }

  get prefix(): string {
    return this.state.prefix;
  }

  /** A copy of everything recorded. */
  get snapshot(): RunState {
    return structuredClone(this.state);
  }

  get namespaces(): readonly string[] {
    return this.state.namespaces;
  }

  get processes(): readonly OwnedProcess[] {
    return this.state.processes ?? [];
  }

  get mounts(): readonly OwnedMount[] {
    return this.state.mounts ?? [];
  }

  get tracefs(): readonly TracefsUse[] {
    return this.state.tracefs ?? [];
  }

  /** Whether the lab still owns anything at all. */
  get ownsAnything(): boolean {
    return this.namespaces.length + this.processes.length + this.mounts.length + this.tracefs.length > 0 || this.state.vm !== undefined;
  }

  /** A kept VM lab's VM: call before creating its run directory, and again as QEMU starts. */
  ownVm(vm: KeptVm): void {
    this.state.backend = 'vm';
    this.state.vm = structuredClone(vm);
    this.write();
  }

  get vm(): KeptVm | undefined {
    return this.state.vm;
  }

  /** QEMU is gone and the run directory removed. */
  releaseVm(): void {
    delete this.state.vm;
    this.write();
  }

  /** Call before creating `netns`. */
  own(...namespaces: string[]): void {
    for (const netns of namespaces) if (!this.state.namespaces.includes(netns)) this.state.namespaces.push(netns);
    this.write();
  }

  /** Call once `netns` exists: remembers which namespace it is, not just its name. */
  created(...namespaces: string[]): void {
    this.createdIn(netnsRunDir(), ...namespaces);
  }

  /** `created`, for namespaces whose handles are in `dir`. */
  createdIn(dir: string, ...namespaces: string[]): void {
    const inodes = namespaces.flatMap((netns) => {
      const inode = namespaceInode(netns, dir);
      return inode === undefined ? [] : [[netns, inode] as const];
    });
    if (inodes.length === 0) return;
    this.state.namespaceInodes = { ...this.state.namespaceInodes, ...Object.fromEntries(inodes) };
    this.write();
  }

  release(...namespaces: string[]): void {
    if (namespaces.length === 0) return;
    const gone = new Set(namespaces);
    this.state.namespaces = this.state.namespaces.filter((n) => !gone.has(n));
    if (this.state.namespaceInodes) {
      this.state.namespaceInodes = Object.fromEntries(Object.entries(this.state.namespaceInodes).filter(([n]) => !gone.has(n)));
    }
    this.write();
  }

  /** Call right after starting a process that lives outside the lab's namespaces. */
  ownProcess(pid: number, what: string): void {
    this.state.processes = [...this.processes.filter((p) => p.pid !== pid), { pid, pidStart: processStartTime(pid), what }];
    this.write();
  }

  releaseProcess(pid: number): void {
    this.state.processes = this.processes.filter((p) => p.pid !== pid);
    this.write();
  }

  /** Call before mounting `target`. */
  ownMount(target: string, what: string): void {
    if (!this.mounts.some((m) => m.target === target)) this.state.mounts = [...this.mounts, { target, what }];
    this.write();
  }

  /**
   * Call when `target` is mounted already: if another lab that is alive (or kept) made that mount,
   * this lab owns it too, so that whichever ends last takes it away (the others leave it while it
   * is shared: usedByOthers). A mount no lab made (the system's own) is nobody's to take away.
   */
  shareMount(target: string, what: string): void {
    if (readStates(dirname(this.path)).some(({ state: o }) => o.runId !== this.runId && livenessOf(o) !== 'dead' && (o.mounts ?? []).some((m) => m.target === target))) {
      this.ownMount(target, what);
    }
  }

  releaseMount(target: string): void {
    this.state.mounts = this.mounts.filter((m) => m.target !== target);
    this.write();
  }

  /** Call before creating the instance or writing the enable file. */
  ownTracefs(use: TracefsUse): void {
    if (!this.tracefs.some((t) => t.path === use.path)) this.state.tracefs = [...this.tracefs, use];
    this.write();
  }

  releaseTracefs(path: string): void {
    this.state.tracefs = this.tracefs.filter((t) => t.path !== path);
    this.write();
  }

  setStatus(status: LabStatus): void {
    this.state.status = status;
    this.write();
  }

  /** The lab is built and kept: it no longer needs (or has) an owner process. */
  keep(lab: KeptLab): void {
    this.state.kind = 'kept';
    this.state.lab = lab;
    this.state.status = 'up';
    this.write();
  }

  /** Removes the file; the lab owns nothing any more, and nothing writes it again. */
  close(): void {
    this.isClosed = true;
    rmSync(this.path, { force: true });
  }

  private isClosed = false;

  /** Whether `close` was called (an interrupted run's two teardowns may race to it). */
  get closed(): boolean {
    return this.isClosed;
  }

  private text(): string {
    return `${JSON.stringify(this.state, null, 2)}\n`;
  }

  private write(): void {
    if (this.isClosed) return;
    // One temporary file per writer: `lab down` and `lab clean` may race on one lab.
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, this.text());
    renameSync(tmp, this.path);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/**
 * The VM record of a state file, checked field by field (the file is read from disk, and a kill
 * or a removal is decided from it); undefined for a host lab or a record that is not one.
 */
export const keptVmOf = (s: Pick<RunState, 'vm'>): KeptVm | undefined => {
  const v: unknown = s.vm;
  if (!isObject(v)) return undefined;
  const { runDir, socket, consoleLog, qemu, kernel, accel } = v;
  if (typeof runDir !== 'string' || !runDir.startsWith('/') || typeof socket !== 'string' || typeof consoleLog !== 'string') return undefined;
  if (!isObject(kernel) || typeof kernel['release'] !== 'string' || typeof kernel['source'] !== 'string') return undefined;
  if (accel !== 'kvm' && accel !== 'tcg') return undefined;
  if (v['moreSockets'] !== undefined && !(Array.isArray(v['moreSockets']) && v['moreSockets'].every((p) => typeof p === 'string'))) return undefined;
  if (qemu !== undefined && (!isObject(qemu) || !Number.isInteger(qemu['pid']) || (qemu['pid'] as number) <= 1 || !(qemu['pidStart'] === null || typeof qemu['pidStart'] === 'string'))) {
    return undefined;
  }
  return s.vm;
};

const isRunState = (v: unknown): v is RunState => {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Partial<RunState>;
  return typeof s.runId === 'string' && typeof s.pid === 'number' && Array.isArray(s.namespaces) &&
    s.namespaces.every((n) => typeof n === 'string');
};

export interface StateEntry {
  path: string;
  state: RunState;
}

export const readStates = (dir: string): StateEntry[] => {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json')).sort();
  } catch {
    return [];
  }
  const out: StateEntry[] = [];
  for (const name of names) {
    const path = join(dir, name);
    try {
      const state: unknown = JSON.parse(readFileSync(path, 'utf8'));
      // A half-written or foreign file is not ours to interpret.
      if (isRunState(state)) out.push({ path, state });
    } catch {
      // Gone meanwhile, or not JSON.
    }
  }
  return out;
};

/** The lab with this id, or with an id that starts with it when exactly one does. */
export const findLab = (entries: readonly StateEntry[], id: string): StateEntry | StateEntry[] | undefined => {
  const exact = entries.find((e) => e.state.runId === id);
  if (exact) return exact;
  const matches = id.length > 0 ? entries.filter((e) => e.state.runId.startsWith(id)) : [];
  if (matches.length === 1) return matches[0];
  return matches.length > 1 ? matches : undefined;
};

/**
 * Whether another lab that is alive (or kept) uses `path` (state files in `dir`, `runId`'s own
 * left out): it records the same mount target or tracefs path, or a tracefs path under it (a trace
 * instance inside a tracefs mount). Such a path is left in place by this lab's teardown.
 */
export const usedByOthers = (runId: string, dir: string) => (path: string): boolean =>
  readStates(dir).some(
    ({ state: o }) =>
      o.runId !== runId &&
      livenessOf(o, isOwnerAlive) !== 'dead' &&
      [...(o.mounts ?? []).map((m) => m.target), ...(o.tracefs ?? []).map((t) => t.path)].some((p) => p === path || p.startsWith(`${path}/`)),
  );
