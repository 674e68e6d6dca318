// A kept VM lab (`lab up --backend vm`): QEMU runs detached (it outlives the `lab up` that
// started it), the case's topology lives inside its guest, and the guest runner stays kept: the
// host hanging up ends only that host's session (src/agent/guest-runner.pl, `keep 1`), so `lab
// exec`, `lab shell` and `lab down` reconnect to QEMU's chardev socket and attach again.
//
// Everything of the VM on the host is in one run directory next to the state files
// (STATE_DIR/vm-ID): the share the guest mounts (the guest runner, its job, the inner lab's state
// file, its TMPDIR), QEMU's socket and the console log. `lab down` powers the guest off through
// the runner (it exits, /init powers off), kills QEMU only when that did not end it (and only the
// very QEMU the lab started: its start time and command line), and removes the run directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import { processStartTime, type KeptVm } from '../state.js';
import { timeScale } from '../time-scale.js';
import { GUEST_SHARE, MARK, RUNNER_FILE, RUNNER_MARK, shq } from './guest.js';
import { GUEST_RUNNER_PL } from './guest-runner-pl.js';
import { GuestRunner } from './guest-runner.js';
import { QEMU, RUNNER_PORT } from './qemu.js';
import { sandboxArgv } from './drive.js';

/** The files of a kept VM lab on the host, all in its run directory. */
export interface KeptVmPaths {
  runDir: string;
  /** QEMU's chardev socket of the guest runner's port (lab up, lab down). */
  socket: string;
  /** The sockets of the other ports, a kept runner on each (lab exec, lab shell: one host per port). */
  moreSockets: string[];
  consoleLog: string;
  /** The inner `lab up`'s state folder (its kept lab: the guest's namespaces) and TMPDIR. */
  innerStateDir: string;
  tmp: string;
}

/** Ports besides the main one: as many `lab exec`/`lab shell` at once (more wait for one to end). */
export const MORE_PORTS = 3;

export const keptVmPaths = (stateDir: string, runId: string): KeptVmPaths => {
  const runDir = join(stateDir, `vm-${runId}`);
  return {
    runDir,
    socket: join(runDir, 'runner.sock'),
    moreSockets: Array.from({ length: MORE_PORTS }, (_, i) => join(runDir, `runner-${i + 1}.sock`)),
    consoleLog: join(runDir, 'console.log'),
    innerStateDir: join(runDir, 'state'),
    tmp: join(runDir, 'tmp'),
  };
};

/**
 * Whether `runDir` is a kept VM lab's run directory of lab `runId` (its name says so): what the
 * teardown checks before removing a directory a state file names.
 */
export const isRunDirOf = (runDir: string, runId: string): boolean => runDir.startsWith('/') && basename(runDir) === `vm-${runId}`;

const GUEST_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', LANG: 'C.UTF-8' };

/**
 * The job of a kept VM lab's guest (guest.ts runnerJobScript, with more ports): the share also at
 * its host path, a kept guest runner on each further port in the background, then the main port's
 * runner in place of the job. When that one ends (lab down: `keep 0`, hang-up), /init powers off.
 */
export const keptJobScript = (o: { cwd: string; runDir: string; preload: readonly (readonly string[])[]; morePorts: number }): string => {
  const env = Object.entries(GUEST_ENV).map(([k, v]) => `${k}=${shq(v)}`).join(' ');
  const runner = `env -i ${env} perl ${GUEST_SHARE}/${RUNNER_FILE}`;
  const more = Array.from({ length: o.morePorts }, (_, i) => shq(`${RUNNER_PORT}.${i + 1}`)).join(' ');
  return `#!/bin/sh
cd ${shq(o.cwd)} || exit 70
${o.preload.map((m) => `modprobe ${m.map(shq).join(' ')} >/dev/null 2>&1 &\n`).join('')}mkdir -p ${shq(o.runDir)} && mount --bind ${GUEST_SHARE} ${shq(o.runDir)} || exit 72
port_of() { for p in /sys/class/virtio-ports/*; do n=; read -r n < "$p/name" 2>/dev/null; [ "$n" = "$1" ] && echo "/dev/\${p##*/}"; done; }
port=$(port_of ${shq(RUNNER_PORT)})
[ -n "$port" ] || { echo '${MARK.fail}no virtio-serial port ${RUNNER_PORT} (virtio_console)'; exit 73; }
${o.morePorts > 0 ? `for name in ${more}; do p=$(port_of "$name"); [ -n "$p" ] && ${runner} --keep "$p" & done
` : ''}echo "${RUNNER_MARK}$port"
exec ${runner} "$port"
`;
};

/** The run directory with what the guest needs from it: the guest runner and its job. */
export const prepareRunDir = (paths: KeptVmPaths, o: { cwd: string; preload: readonly (readonly string[])[] }): void => {
  mkdirSync(paths.runDir, { recursive: true, mode: 0o700 });
  for (const dir of [paths.innerStateDir, paths.tmp]) mkdirSync(dir, { recursive: true });
  writeFileSync(join(paths.runDir, RUNNER_FILE), GUEST_RUNNER_PL);
  writeFileSync(join(paths.runDir, 'job.sh'), keptJobScript({ cwd: o.cwd, runDir: paths.runDir, preload: o.preload, morePorts: paths.moreSockets.length }));
};

/**
 * Starts QEMU in a session of its own (setsid: no signal of lab's terminal reaches it, and it
 * outlives lab), its console (serial on stdout) and its stderr appended to `consoleLog`.
 */
export const startDetachedQemu = (argv: readonly string[], consoleLog: string): ChildProcess => {
  const [file, ...args] = argv;
  if (!file) throw new TypeError('empty argv');
  const fd = openSync(consoleLog, 'a');
  try {
    const child = spawn(file, args, { detached: true, stdio: ['ignore', fd, fd] });
    child.unref();
    return child;
  } finally {
    closeSync(fd);
  }
};

const cmdlineOf = (pid: number): string[] => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
};

export interface ProcessView {
  startOf(pid: number): string | null;
  cmdlineOf(pid: number): string[];
}

const system: ProcessView = { startOf: processStartTime, cmdlineOf };

/**
 * Whether the lab's QEMU runs: the recorded pid has the recorded start time, and its command line
 * is QEMU's with this lab's socket (a zombie has none). Nothing else is ever signalled.
 */
export const isKeptQemu = (vm: KeptVm, view: ProcessView = system): boolean => {
  if (!vm.qemu) return false;
  const start = view.startOf(vm.qemu.pid);
  if (start === null || (vm.qemu.pidStart !== null && start !== vm.qemu.pidStart)) return false;
  const argv = view.cmdlineOf(vm.qemu.pid);
  return basename(argv[0] ?? '') === QEMU && argv.some((a) => a.includes(`path=${vm.socket},`));
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until `test` holds or `ms` passed; whether it held. */
const until = async (test: () => boolean, ms: number, signal?: AbortSignal): Promise<boolean> => {
  const deadline = performance.now() + ms;
  while (!test()) {
    if (performance.now() > deadline || signal?.aborted) return false;
    await sleep(100);
  }
  return true;
};

/**
 * Connects to a kept VM's guest runner and attaches (its hello): a runner that serves another
 * host (a `lab exec` still running) answers once that one is done, hence the wait.
 */
export const attachKept = async (socket: string, waitMs: number, signal?: AbortSignal): Promise<GuestRunner> => {
  const runner = await GuestRunner.connect(socket, waitMs, signal);
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  // Given up on (its timeout, or `signal`: another port answered first), it holds nothing up.
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the VM's guest runner did not answer within ${Math.round(waitMs / 1000)} s (busy with another lab exec or shell?)`)), waitMs);
    onAbort = () => reject(new Error('not needed any more'));
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([runner.hello, late]);
    return runner;
  } catch (err) {
    runner.close();
    throw err;
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
};

/**
 * A session on whichever of a kept VM's runners is free: the further ports all at once (a port
 * that serves another host does not answer: QEMU leaves a second connection waiting), the first
 * to answer kept and the others hung up; when none answers in a moment, the main port, waited for
 * as long as attachKept waits. (A connection left waiting on a busy port is taken by QEMU once
 * that port's host is done, says `attach` and hangs up: its runner ends an empty session.)
 */
export const attachFree = async (vm: Pick<KeptVm, 'socket' | 'moreSockets'>, signal?: AbortSignal): Promise<GuestRunner> => {
  const more = vm.moreSockets ?? [];
  if (more.length > 0) {
    const answered = new AbortController();
    const either = signal ? AbortSignal.any([signal, answered.signal]) : answered.signal;
    const tries = more.map((socket) => attachKept(socket, FREE_PORT_WAIT_MS * timeScale(), either));
    const first = await Promise.any(tries).catch(() => undefined);
    // The others are hung up, answered or not (a pending one would hold lab up for its timeout).
    answered.abort();
    for (const attempt of tries) void attempt.then((r) => r !== first && r.close(), () => undefined);
    if (first) return first;
  }
  return attachKept(vm.socket, attachWaitMs(), signal);
};

/** How long a free port's runner takes to answer: its reconnection poll (0.2 s) and a TCG guest's latency. */
const FREE_PORT_WAIT_MS = 2_000;

/** How long a kept VM's runner may take to answer a reconnecting host, and the guest to power off (TCG, a loaded host: scaled). */
export const attachWaitMs = (): number => 30_000 * timeScale();
export const powerOffWaitMs = (): number => 20_000 * timeScale();

/** What the teardown of a kept VM did, in the words `lab down` and `lab clean` print. */
export interface VmTeardown {
  removed: string[];
  skipped: string[];
  failed: string[];
}

export interface VmTeardownDeps {
  view?: ProcessView;
  kill?: (pid: number) => void;
  /** Powers the guest off through its runner (default: attach, `keep 0`, hang up). */
  powerOff?: (vm: KeptVm) => Promise<void>;
  removeDir?: (path: string) => void;
  /** Whether to ask the guest first (lab down); a dead or half-built lab's QEMU is killed at once. */
  graceful: boolean;
  waitMs?: number;
}

/** The guest runner leaves kept mode and the host hangs up: it exits, and /init powers off. */
const powerOffThroughRunner = async (vm: KeptVm): Promise<void> => {
  const runner = await attachKept(vm.socket, Math.min(attachWaitMs(), 10_000 * timeScale()));
  try {
    runner.keep(false);
    // Answered after `keep 0` was read: the hang-up below is then the end.
    await runner.run({ argv: ['true'], timeoutMs: 10_000 * timeScale() });
  } finally {
    runner.close();
  }
};

/**
 * Ends the lab's QEMU and removes its run directory. The guest is asked to power off first when
 * `graceful`; QEMU is killed (SIGKILL) only while it still is that QEMU (isKeptQemu).
 */
export const tearDownVm = async (vm: KeptVm, runId: string, deps: VmTeardownDeps): Promise<VmTeardown> => {
  const view = deps.view ?? system;
  const kill = deps.kill ?? ((pid: number) => process.kill(pid, 'SIGKILL'));
  const report: VmTeardown = { removed: [], skipped: [], failed: [] };
  const qemu = vm.qemu ? `QEMU ${vm.qemu.pid}` : 'QEMU';
  const running = (): boolean => isKeptQemu(vm, view);
  if (!running()) {
    report.skipped.push(`${qemu}: not running`);
  } else {
    let off = false;
    if (deps.graceful) {
      try {
        await (deps.powerOff ?? powerOffThroughRunner)(vm);
        off = await until(() => !running(), deps.waitMs ?? powerOffWaitMs());
      } catch (err) {
        report.skipped.push(`powering the guest off through its runner: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (off) report.removed.push(`${qemu} (the guest powered off)`);
    else if (running()) {
      try {
        kill(vm.qemu?.pid ?? 0);
        if (await until(() => !running(), 5_000)) report.removed.push(`${qemu} (killed)`);
        else report.failed.push(`${qemu}: still running after SIGKILL`);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ESRCH') report.removed.push(`${qemu} (ended meanwhile)`);
        else report.failed.push(`${qemu}: ${err instanceof Error ? err.message : String(err)}`);
      }
    } else report.removed.push(`${qemu} (ended)`);
  }
  if (report.failed.length) return report;
  if (!isRunDirOf(vm.runDir, runId)) {
    report.failed.push(`run directory ${vm.runDir}: not a kept VM lab's run directory of lab ${runId}; left alone`);
    return report;
  }
  try {
    (deps.removeDir ?? ((p: string) => rmSync(p, { recursive: true, force: true })))(vm.runDir);
    report.removed.push(`run directory ${vm.runDir}`);
  } catch (err) {
    report.failed.push(`run directory ${vm.runDir}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return report;
};

export interface InnerUp {
  /** node, lab's entry (bundle.ts guestEntry), then `up …` arguments. */
  lab: readonly string[];
  cwd: string;
  paths: KeptVmPaths;
  /** The kept lab's id, which the inner `lab up` takes for its own (LAB_KEPT_ID): one id, one namespace prefix. */
  runId: string;
  accel: 'kvm' | 'tcg';
  preload: readonly (readonly string[])[];
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * Builds the case inside the guest: lab's host side (src/cli/vm-entry.ts) runs `lab up` with
 * the host backend, every command going to the guest runner, in the sandbox a VM run's host side
 * has (drive.ts: a pid and a mount namespace of its own). Its state file (the kept lab, with the
 * guest's namespaces) is in the run directory.
 */
export const buildInGuest = async (o: InnerUp): Promise<{ exitCode: number | undefined; stdout: string; stderr: string }> => {
  const [file, ...args] = sandboxArgv(o.lab);
  const r = await execa(file as string, args, {
    cwd: o.cwd,
    reject: false,
    stdin: 'ignore',
    killSignal: 'SIGKILL',
    timeout: o.timeoutMs,
    ...(o.signal ? { cancelSignal: o.signal } : {}),
    env: {
      LAB_GUEST_CHANNEL: o.paths.socket,
      LAB_GUEST_PRELOAD: o.preload.map((m) => m.join('\t')).join('\n'),
      LAB_GUEST_WAIT_MS: String(attachWaitMs()),
      TMPDIR: o.paths.tmp,
      LAB_STATE_DIR: o.paths.innerStateDir,
      LAB_KEPT_ID: o.runId,
      LAB_IN_VM: '1',
      LAB_TOOLS_CHECKED: '1',
      LAB_TIME_SCALE: o.accel === 'tcg' ? '8' : '2',
    },
  });
  return { exitCode: r.exitCode, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
};
