// Kept VM labs (`lab up --backend vm`), for src/cli: building one (QEMU detached, the case built
// inside its guest by lab's host side through the guest runner, the lab recorded), running a
// command in one of its nodes attached to lab's terminal (lab exec, lab shell), and whether its
// QEMU still runs (lab list, lab clean). Tearing one down is tearDownLab's (labs.ts).
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { forkingRunner } from '../backends/forker.js';
import { trapSignals } from '../backends/interrupt.js';
import { defaultStateDir, keptVmOf, processStartTime, StateFile, type KeptLab, type RunState } from '../backends/state.js';
import { chooseAccel } from '../backends/vm/accel.js';
import { guestEntry } from '../backends/vm/bundle.js';
import { defaultCacheDir } from '../backends/vm/cache.js';
import { ensureInitramfs } from '../backends/vm/initramfs.js';
import { formatKernelSpec, kernelsOfRun } from '../backends/vm/kernel-spec.js';
import { ensureKernel } from '../backends/vm/kernels.js';
import {
  attachFree, attachKept, buildInGuest, isKeptQemu, keptVmPaths, prepareRunDir, startDetachedQemu, tearDownVm,
} from '../backends/vm/kept.js';
// (tearDownVm: a lab up that fails or is interrupted removes its VM itself; lab down and lab clean through tearDownLab.)
import { consoleTail, qemuArgv } from '../backends/vm/qemu.js';
import { BOOT_TIMEOUT_MS, requireQemu } from '../backends/vm/run.js';
import { STAGE_LINE } from '../backends/vm/stages.js';
import { timeScale } from '../backends/time-scale.js';
import { CapabilityError, Interrupted, UsageError } from '../errors.js';

export interface VmUpOptions {
  /** The scenario file, and the case to build by name. */
  file: string;
  caseName: string;
  /** `--kernel`, if given: one kernel (default Debian's). */
  kernel: string | undefined;
  /** Modules (name and parameters) the guest loads first (mac80211_hwsim for a wireless scenario). */
  preload: string[][];
  /** lab's package root: its bundle is what lab's host side of the VM runs. */
  packageRoot: string;
  say(line: string): void;
}

export interface VmUp {
  id: string;
  /** The inner lab's namespace prefix (the same id): the plan of the case with it names the guest's namespaces. */
  prefix: string;
  release: string;
  accel: 'kvm' | 'tcg';
  lab: KeptLab;
  runDir: string;
  qemuPid: number;
}

/** `--kernel` of `lab up --backend vm`: exactly one kernel, in a VM (`host`: the running kernel's packages). */
export const upKernel = (kernel: string | undefined) => {
  const specs = kernelsOfRun('vm', kernel === undefined ? [] : [kernel]);
  const [spec] = specs;
  if (!spec || specs.length !== 1) throw new UsageError(`lab up boots one kernel; got ${specs.map(formatKernelSpec).join(', ')}`);
  return spec;
};

/**
 * Mounts devpts on the guest's /dev/pts (in the guest runner's own mount namespace: a command
 * under `ip netns exec` gets one of its own, which a mount there would not outlive). undefined
 * when it is there, else why not.
 */
const ensureDevpts = async (guest: { run: (c: { argv: string[]; timeoutMs: number }) => Promise<{ exitCode: number; stderr: string }> }): Promise<string | undefined> => {
  const t = 10_000 * timeScale();
  if ((await guest.run({ argv: ['mountpoint', '-q', '/dev/pts'], timeoutMs: t })).exitCode === 0) return undefined;
  await guest.run({ argv: ['mkdir', '-p', '/dev/pts'], timeoutMs: t });
  const r = await guest.run({ argv: ['mount', '-t', 'devpts', '-o', 'mode=0620,ptmxmode=0666', 'devpts', '/dev/pts'], timeoutMs: t });
  return r.exitCode === 0 ? undefined : r.stderr.trim() || `mount exit ${r.exitCode}`;
};

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * Boots the VM detached, builds the case in its guest, records the lab as kept (kind kept,
 * backend vm, QEMU's pid, the socket, the run directory, the kernel). On any failure or signal
 * before it is up, QEMU and the run directory go and the state file is removed.
 */
export const upVmLab = async (o: VmUpOptions): Promise<VmUp> => {
  const spec = upKernel(o.kernel);
  const runner = forkingRunner();
  await requireQemu(runner);
  const cacheDir = defaultCacheDir();
  const kernel = await ensureKernel(spec, { runner, cacheDir, say: o.say });
  const initramfs = await ensureInitramfs(runner, kernel);
  const entry = await guestEntry(runner, o.packageRoot);

  const stateDir = defaultStateDir();
  const state = StateFile.create(stateDir, { pid: process.pid, scenarios: [o.file], kind: 'kept', status: 'building', backend: 'vm' });
  const paths = keptVmPaths(stateDir, state.runId);
  const trap = trapSignals((sig) => o.say(`\n${sig}: stopping the VM of lab ${state.runId}…`), () => undefined);
  const base = { runDir: paths.runDir, socket: paths.socket, moreSockets: paths.moreSockets, consoleLog: paths.consoleLog, kernel: { release: kernel.release, source: kernel.source } };
  try {
    // Recorded before it exists: a crash from here on leaves it findable (lab clean). The
    // accelerator is TCG until the check below answers.
    state.ownVm({ ...base, accel: 'tcg' });
    prepareRunDir(paths, { cwd: process.cwd(), preload: o.preload });
    const accel = await chooseAccel({ runner, cacheDir, image: kernel.image, initramfs, scratch: paths.runDir });
    if (trap.signal.aborted) throw new Interrupted(trap.caught ?? 'SIGINT');
    const cpus = Math.max(1, Math.min(availableParallelism(), 4));
    const qemu = startDetachedQemu(
      qemuArgv({ accel: accel.accel, image: kernel.image, initramfs, share: paths.runDir, cpus, memoryMb: 1024, runnerSocket: paths.socket, moreRunnerSockets: paths.moreSockets }),
      paths.consoleLog,
    );
    if (qemu.pid === undefined) throw new CapabilityError('qemu', 'QEMU did not start', 'lab doctor says more');
    // Recorded at once with its start time: nothing but this very QEMU is ever killed.
    const started = { pid: qemu.pid, pidStart: processStartTime(qemu.pid) };
    state.ownVm({ ...base, accel: accel.accel, qemu: started });
    const exited = new AbortController();
    qemu.once('exit', () => exited.abort());
    const stop = AbortSignal.any([trap.signal, exited.signal]);
    const failed = (where: string): Error => {
      let tail = '';
      try {
        tail = consoleTail(readFileSync(paths.consoleLog, 'utf8'));
      } catch {
        tail = '(no console log)';
      }
      return new CapabilityError(`VM (kernel ${kernel.release}, ${accel.accel})`, `${where}\nconsole (${paths.consoleLog}):\n${tail}`, 'the console log above says more');
    };

    // The boot, until the guest runner answers; then it is kept, and lab hangs up.
    let release: string;
    try {
      const guest = await attachKept(paths.socket, BOOT_TIMEOUT_MS * Math.max(1, timeScale()), stop);
      try {
        guest.keep(true);
        const uname = await guest.run({ argv: ['uname', '-r'], timeoutMs: 30_000 * timeScale() });
        release = uname.stdout.trim();
        if (uname.exitCode !== 0 || !release) throw new Error(`uname -r in the guest: ${uname.stderr.trim() || `exit ${uname.exitCode}`}`);
        // lab shell's terminal in the guest (script(1) opens /dev/ptmx): /init mounts no devpts.
        // Without it a shell still works with pipes; say so rather than fail the lab.
        const pts = await ensureDevpts(guest);
        if (pts) o.say(`lab ${state.runId}: no terminals in the guest (${pts}): lab shell works with piped input only`);
      } finally {
        guest.close();
      }
    } catch (err) {
      if (trap.caught) throw new Interrupted(trap.caught);
      throw failed(exited.signal.aborted ? 'QEMU ended before the guest runner answered' : `the guest runner did not answer: ${message(err)}`);
    }

    // The case, built inside by lab's host side: its own `lab up`, same plan, same backend code.
    const inner = await buildInGuest({
      lab: [process.execPath, ...entry, 'up', resolve(o.file), '--case', o.caseName, '--quiet'],
      cwd: process.cwd(),
      paths,
      runId: state.runId,
      accel: accel.accel,
      preload: o.preload,
      timeoutMs: BOOT_TIMEOUT_MS * 4 * timeScale(),
      signal: stop,
    });
    if (trap.caught) throw new Interrupted(trap.caught);
    // What the lab inside said, without the stage lines of lab's host side (drive.ts reads those).
    const said = inner.stderr.split('\n').filter((l) => l.trim() && !l.startsWith(STAGE_LINE)).join('\n');
    const why = said || '(no message)';
    if (inner.exitCode === 2) throw new UsageError(`inside the VM (kernel ${release}): ${why}`);
    if (inner.exitCode === 3) throw new CapabilityError(`kernel ${release} (VM)`, why.replace(/^lab cannot run here: /, ''), '');
    if (inner.exitCode !== 0) {
      if (exited.signal.aborted) throw failed('QEMU ended while the case was being built');
      throw new Error(`building the case inside the VM (kernel ${release}) failed (exit ${inner.exitCode}): ${why}\nconsole: ${paths.consoleLog}`);
    }
    const kept = (JSON.parse(readFileSync(join(paths.innerStateDir, `${state.runId}.json`), 'utf8')) as RunState).lab;
    if (!kept) throw new Error(`the lab built inside the VM recorded no kept lab (${paths.innerStateDir})`);
    if (said) o.say(said);
    state.ownVm({ ...base, kernel: { release, source: kernel.source }, accel: accel.accel, qemu: started });
    state.keep(kept);
    return { id: state.runId, prefix: state.prefix, release, accel: accel.accel, lab: kept, runDir: paths.runDir, qemuPid: started.pid };
  } catch (err) {
    const vm = state.vm;
    if (vm) {
      const report = await tearDownVm(vm, state.runId, { graceful: false });
      for (const f of report.failed) o.say(`could not remove ${f}`);
      if (report.failed.length === 0) state.releaseVm();
    }
    if (!state.ownsAnything) state.close();
    else o.say(`some resources of lab ${state.runId} remain recorded in ${state.path}: run \`lab clean\``);
    throw err;
  } finally {
    trap.release();
  }
};

/** Whether a kept VM lab's QEMU still runs (the very process it started); undefined for a host lab. */
export const vmLabAlive = (s: RunState): boolean | undefined => {
  const vm = keptVmOf(s);
  return vm ? isKeptQemu(vm) : undefined;
};

/** The kernel release a kept VM lab's guest runs; undefined for a host lab. */
export const vmLabKernel = (s: RunState): string | undefined => keptVmOf(s)?.kernel.release;

export interface AttachInVm {
  /** The command in the guest (`ip netns exec NS …`). */
  argv: string[];
  /** 0: none. Exit 124 when it ends the command. */
  timeoutMs: number;
  /** The terminal in raw mode, every byte forwarded (lab shell on a terminal, with a pty in the guest). */
  raw: boolean;
  say(text: string): void;
}

export const TIMEOUT_EXIT = 124;

type GuestCommands = { run: (c: { argv: string[]; timeoutMs: number }) => Promise<{ exitCode: number; stdout: string }> };

/**
 * The handler of lab's terminal's resize: the pty script(1) made in the guest (stdin of its child,
 * the shell) is given the terminal's size with `stty -F`. The pty is looked up once, through the
 * guest runner on the same channel: script's pid, its child, that child's fd 0.
 */
export const followResizes = (guest: GuestCommands, scriptPid: () => number | undefined): (() => void) => {
  let tty: Promise<string | undefined> | undefined;
  const t = 10_000 * timeScale();
  const find = async (): Promise<string | undefined> => {
    const pid = scriptPid();
    if (pid === undefined) return undefined;
    const children = await guest.run({ argv: ['cat', `/proc/${pid}/task/${pid}/children`], timeoutMs: t });
    const child = children.stdout.trim().split(/\s+/)[0];
    if (!child || !/^\d+$/.test(child)) return undefined;
    const link = await guest.run({ argv: ['readlink', `/proc/${child}/fd/0`], timeoutMs: t });
    const path = link.stdout.trim();
    return /^\/dev\/pts\/\d+$/.test(path) ? path : undefined;
  };
  return () => {
    tty ??= find().then((p) => {
      if (p === undefined) tty = undefined;
      return p;
    });
    void tty.then(async (path) => {
      const { rows, columns } = process.stdout;
      if (path && rows > 0 && columns > 0) await guest.run({ argv: ['stty', '-F', path, 'rows', String(rows), 'cols', String(columns)], timeoutMs: t });
    });
  };
};

/**
 * Runs `argv` in a kept VM lab's guest, attached to lab's terminal: its stdout and stderr as they
 * come, lab's stdin as it comes (end of input: its end), SIGINT/SIGTERM/SIGHUP passed on. Returns
 * its exit code (128+N when signal N ended it, 124 on timeout).
 */
export const attachInVm = async (s: RunState, o: AttachInVm): Promise<number> => {
  const vm = keptVmOf(s);
  if (!vm) throw new UsageError(`lab ${s.runId} is not a kept VM lab`);
  if (!isKeptQemu(vm)) {
    throw new UsageError(`the VM of lab ${s.runId} is not running (QEMU ${vm.qemu?.pid ?? '?'} is gone); \`lab down ${s.runId}\` or \`lab clean\` removes the rest`);
  }
  // A free port: another lab exec or lab shell of this lab may hold one.
  const guest = await attachFree(vm);
  const stdin = process.stdin;
  const raw = o.raw && stdin.isTTY === true;
  const cmd = guest.attachCommand(o.argv, {
    timeoutMs: o.timeoutMs,
    sink: (stream, bytes) => void (stream === 'stdout' ? process.stdout : process.stderr).write(bytes),
  });
  // A terminal resized: the guest's pty too (its foreground process gets SIGWINCH from the kernel).
  const resize = raw ? followResizes(guest, () => cmd.pid) : undefined;
  if (resize) process.stdout.on('resize', resize);
  const onData = (chunk: Buffer): void => cmd.write(chunk);
  const onEnd = (): void => cmd.end();
  const pass = (sig: NodeJS.Signals): void => cmd.kill(sig.replace(/^SIG/, ''));
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const sig of signals) process.on(sig, pass);
  if (raw) stdin.setRawMode(true);
  stdin.on('data', onData);
  stdin.on('end', onEnd);
  try {
    const end = await cmd.done;
    if (end.lost) {
      o.say(`lab: the VM's channel ended before the command did: ${end.lost}\n`);
      return 1;
    }
    if (end.timedOut) return TIMEOUT_EXIT;
    if (end.signal !== undefined) return 128 + end.signal;
    return end.exitCode;
  } finally {
    for (const sig of signals) process.off(sig, pass);
    if (resize) process.stdout.off('resize', resize);
    stdin.off('data', onData);
    stdin.off('end', onEnd);
    if (raw) stdin.setRawMode(false);
    stdin.pause();
    (stdin as Partial<{ unref(): void }>).unref?.();
    guest.close();
  }
};
