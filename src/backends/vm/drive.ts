// A VM driven from the host: the guest runs no Node. QEMU boots the kernel; the guest's /init
// starts the guest runner (src/agent/guest-runner.pl) on a virtio-serial port; lab's host side
// runs the scenarios with the host pipeline, every command going to the guest over that port
// (src/cli/vm-entry.ts, src/backends/vm/guest-runner.ts).
//
// lab's host side is a process of its own, in a sandbox: a pid namespace (a pid lab reads from
// a command's output, such as `ip netns pids`, is the guest's: a kill of it must not reach a host
// process) with its own /proc, and a mount namespace where /sys/module shows what the guest
// loaded and the host's tracefs is hidden (no tracer can read the host's kernel by mistake: the
// tracers reach the guest's tracefs through guest commands, src/probes/tracefs.ts). Its TMPDIR and state folder are in the share, which the guest
// mounts at the same path: a folder lab makes for pcaps or a driver script is the same folder
// on both sides.
import { execa } from 'execa';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { tracing } from '../trace.js';
import type { AccelAnswer } from './accel.js';
import { GUEST_SHARE, RUNNER_FILE, runnerJobScript } from './guest.js';
import { GUEST_RUNNER_PL } from './guest-runner-pl.js';
import type { Kernel } from './kernels.js';
import { boot, type BootResult, qemuArgv, RUNNER_PORT } from './qemu.js';
import { caseOfProgress, stageOfConsole, stageOfEntryLine } from './stages.js';
import type { VmStageEvent } from '../../types/vm.js';

/**
 * The sandbox's setup, then lab's host side: `sh -c SANDBOX sh ARGV…` inside
 * `unshare --pid --fork --mount`.
 */
export const SANDBOX = [
  'mount -t proc proc /proc',
  'mount -t tmpfs -o mode=0755 tmpfs /sys/module',
  '{ mount -t tmpfs -o mode=0700 tmpfs /sys/kernel/tracing 2>/dev/null; mount -t tmpfs -o mode=0700 tmpfs /sys/kernel/debug 2>/dev/null; exec "$@"; }',
].join(' && ');

export const sandboxArgv = (argv: readonly string[]): string[] => [
  'unshare', '--pid', '--fork', '--kill-child', '--mount', '--propagation', 'private', '--', 'sh', '-c', SANDBOX, 'sh', ...argv,
];

export interface DriveOptions {
  kernel: Kernel;
  initramfs: string;
  accel: AccelAnswer;
  share: string;
  cpus: number;
  consoleLog: string;
  cwd: string;
  /** node and lab's entry (bundle.ts guestEntry), then `run …` arguments. */
  lab: readonly string[];
  preload: readonly (readonly string[])[];
  rootSysctls: readonly string[];
  bootTimeoutMs: number;
  totalTimeoutMs: number;
  say(line: string): void;
  /** Each stage as it is reached: QEMU started, /init alive, host root, perl started, the guest runner's hello, first answers, each case, done. */
  onStage?(event: VmStageEvent): void;
  signal?: AbortSignal;
}

export interface Drive {
  boot: BootResult;
  /** lab's host side: its exit code, stdout (the report, unless --out) and stderr without its progress lines. */
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  /** ms since QEMU started: the guest runner's hello, the answer to the first commands, the end. */
  stages: { hello?: number; firstCommand?: number; done: number };
}

/**
 * Modules the job loads in the background as the guest starts, besides the run's own preloads,
 * without lab waiting for them: nf_tables (and nfnetlink, libcrc32c, crc32c) is what every probed
 * case's observers load on demand otherwise. Measured in a TCG guest (BSD process accounting,
 * laptop-two-wlan): four to eight modprobe processes the kernel started during the first cases'
 * `nft -f`, 0.9-2 s of guest CPU and ~1 s more for that nft; during the boot the guest's second
 * CPU is idle.
 */
export const WARM_MODULES: readonly (readonly string[])[] = [['nf_tables']];

/**
 * Aborts `stop` as soon as the boot fails, and `graceMs` after it ended as it should (stage done);
 * the function returned takes back an abort still to come (lab's host side exited by itself).
 */
export const abortWhenBootEnds = (booting: Promise<{ stage: string }>, stop: AbortController, graceMs: number): (() => void) => {
  let grace: NodeJS.Timeout | undefined;
  let spared = false;
  void booting.then(
    (b) => {
      if (spared) return;
      if (b.stage !== 'done') return void stop.abort();
      grace = setTimeout(() => stop.abort(), graceMs);
      grace.unref();
    },
    () => void (spared || stop.abort()),
  );
  return () => {
    spared = true;
    clearTimeout(grace);
  };
};

export const driveVm = async (o: DriveOptions): Promise<Drive> => {
  const { share } = o;
  writeFileSync(join(share, RUNNER_FILE), GUEST_RUNNER_PL);
  for (const dir of ['tmp', 'state']) mkdirSync(join(share, dir), { recursive: true });
  writeFileSync(
    join(share, 'job.sh'),
    runnerJobScript({
      cwd: o.cwd,
      port: RUNNER_PORT,
      sharePath: share,
      preload: [...o.preload, ...WARM_MODULES.filter((m) => !o.preload.some((p) => p[0] === m[0]))],
      rootSysctls: o.rootSysctls,
      env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', LANG: 'C.UTF-8' },
    }),
  );
  const socket = join(share, 'runner.sock');
  /** How long lab's host side may take to exit once the guest has powered off as it should. */
  const HOST_SIDE_GRACE_MS = 10_000;
  const stop = new AbortController();
  const signal = o.signal ? AbortSignal.any([o.signal, stop.signal]) : stop.signal;
  const started = performance.now();
  const stage = (event: VmStageEvent): void => o.onStage?.(event);
  const now = (): number => performance.now() - started;
  stage({ stage: 'qemu', atMs: 0 });
  const booting = boot({
    argv: qemuArgv({ accel: o.accel.accel, image: o.kernel.image, initramfs: o.initramfs, share, cpus: o.cpus, memoryMb: 1024, runnerSocket: socket }),
    consoleLog: o.consoleLog,
    bootTimeoutMs: o.bootTimeoutMs,
    totalTimeoutMs: o.totalTimeoutMs,
    onLine: (line) => {
      const reached = stageOfConsole(line);
      if (reached) stage({ stage: reached, atMs: now() });
      if (tracing() && line.startsWith('lab-vm: ')) o.say(`${o.kernel.release}: [trace] ${line}`);
    },
    signal,
  });
  // A boot that fails before lab's host side is done stops it too. One that ends as it should (the
  // host side hung up, the guest runner exited, the guest powered off) leaves the host side its
  // last moments (its report, its state file): killed at once, it sometimes died writing them
  // ("exited with undefined", 1 run in ~8 of the wireless scenario), the guest's power-off being
  // quicker than its exit.
  const spare = abortWhenBootEnds(booting, stop, HOST_SIDE_GRACE_MS);
  const stages: Drive['stages'] = { done: 0 };
  const [file, ...args] = sandboxArgv(o.lab);
  const inner = execa(file as string, args, {
    cwd: o.cwd,
    reject: false,
    stdin: 'ignore',
    cancelSignal: signal,
    killSignal: 'SIGKILL',
    timeout: o.totalTimeoutMs,
    env: {
      LAB_GUEST_CHANNEL: socket,
      LAB_GUEST_PRELOAD: o.preload.map((m) => m.join('\t')).join('\n'),
      LAB_GUEST_WAIT_MS: String(o.bootTimeoutMs),
      TMPDIR: join(share, 'tmp'),
      LAB_STATE_DIR: join(share, 'state'),
      LAB_IN_VM: '1',
      // The host checked its tools before the boot (runCommand); the guest's are the same ones.
      LAB_TOOLS_CHECKED: '1',
      LAB_TIME_SCALE: o.accel.accel === 'tcg' ? '8' : '2',
    },
    buffer: { stdout: true, stderr: false },
  });
  const kept: string[] = [];
  const decoder = new StringDecoder('utf8');
  let pending = '';
  inner.stderr?.on('data', (chunk: Buffer) => {
    pending += decoder.write(chunk);
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      const entry = stageOfEntryLine(line, now());
      if (entry) {
        if (entry.stage === 'runner') stages.hello = entry.atMs;
        if (entry.stage === 'first-command') stages.firstCommand = entry.atMs;
        stage(entry);
        continue;
      }
      const finished = caseOfProgress(line, now());
      if (finished) stage(finished);
      if (/^\[\d+\/\d+\]/.test(line) || (tracing() && line.startsWith('[trace]'))) o.say(`${o.kernel.release}: ${line}`);
      else kept.push(line);
    }
  });
  const r = await inner;
  spare();
  stages.done = now();
  stage({ stage: 'done', atMs: stages.done });
  // lab's host side hung up: the guest runner exits and the guest powers off; no need to wait for that.
  stop.abort();
  const b = await booting;
  return {
    boot: b,
    exitCode: r.exitCode,
    stdout: typeof r.stdout === 'string' ? r.stdout : '',
    stderr: [...kept, pending].filter((l) => l.trim()).join('\n'),
    stages,
  };
};

export { GUEST_SHARE };
