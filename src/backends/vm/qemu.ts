// Booting the VM: the QEMU command line (pure) and one boot, watched through its console.
import { execa } from 'execa';
import { createWriteStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { MARK, ROOT_TAG, SHARE_TAG } from './guest.js';

export type Accel = 'kvm' | 'tcg';

export interface QemuOptions {
  accel: Accel;
  image: string;
  initramfs: string;
  /** Host directory shared read-write with the guest (job, results). */
  share?: string;
  cpus: number;
  memoryMb: number;
  /** Extra words for the kernel command line. */
  append?: string[];
  /**
   * A unix socket QEMU listens on for the guest runner's channel: a virtio-serial port named
   * RUNNER_PORT in the guest (src/agent/guest-runner.pl, docs/guest-runner-protocol.md).
   */
  runnerSocket?: string;
  /**
   * More ports, each on its own socket, named RUNNER_PORT.1, .2, …: a kept VM lab runs a guest
   * runner on each, so that lab exec and lab shell do not wait for one another (one host per port).
   */
  moreRunnerSockets?: readonly string[];
}

/** The guest runner's virtio-serial port: the name in /sys/class/virtio-ports/vportNpM/name. */
export const RUNNER_PORT = 'lab.runner';

export const QEMU = 'qemu-system-x86_64';

export const qemuArgv = (o: QemuOptions): string[] => [
  QEMU,
  '-machine', `q35,accel=${o.accel}`,
  '-cpu', o.accel === 'kvm' ? 'host' : 'max',
  '-smp', String(o.cpus),
  '-m', String(o.memoryMb),
  '-nodefaults', '-no-user-config', '-display', 'none', '-monitor', 'none', '-serial', 'stdio', '-no-reboot',
  '-kernel', o.image,
  '-initrd', o.initramfs,
  // no_timer_check: on a loaded host a TCG guest's timer can look broken to the IO-APIC check, a
  // panic ("IO-APIC + timer doesn't work"), seen here at a load average of 25.
  '-append', ['console=ttyS0', 'quiet', 'no_timer_check', 'panic=-1', 'oops=panic', 'rdinit=/init', ...(o.append ?? [])].join(' '),
  // The host root, read-only; remap keeps inode numbers of different host filesystems apart.
  '-virtfs', `local,path=/,mount_tag=${ROOT_TAG},security_model=none,readonly=on,multidevs=remap`,
  ...(o.share ? ['-virtfs', `local,path=${o.share},mount_tag=${SHARE_TAG},security_model=none`] : []),
  ...(o.runnerSocket
    ? [
        '-device', 'virtio-serial-pci,id=labvs',
        '-chardev', `socket,id=labrun,path=${o.runnerSocket},server=on,wait=off`,
        '-device', `virtserialport,bus=labvs.0,chardev=labrun,name=${RUNNER_PORT}`,
        ...(o.moreRunnerSockets ?? []).flatMap((path, i) => [
          '-chardev', `socket,id=labrun${i + 1},path=${path},server=on,wait=off`,
          '-device', `virtserialport,bus=labvs.0,chardev=labrun${i + 1},name=${RUNNER_PORT}.${i + 1}`,
        ]),
      ]
    : []),
];

export interface BootResult {
  /** The job's exit code as /init reported it; undefined when it never got there. */
  jobExit: number | undefined;
  /** The marker of a failure inside /init, if any. */
  initFailure?: string;
  /** Which stage was reached: booted (init ran), root (host root mounted), done (job finished). */
  stage: 'none' | 'booted' | 'root' | 'done';
  timedOut: boolean;
  qemuExit: number | undefined;
  qemuStderr: string;
  durationMs: number;
  /** ms from QEMU's start until /init said it is alive, and until the host root was mounted. */
  marks: { alive?: number; root?: number };
}

export interface BootOptions {
  argv: string[];
  /** The console (serial) goes here, whole. */
  consoleLog: string;
  /** Until /init says it is alive (the kernel booted). */
  bootTimeoutMs: number;
  /** Until the whole run is over. */
  totalTimeoutMs: number;
  /** Stop as soon as the guest says it is alive (the KVM check). */
  untilAlive?: boolean;
  /** Every console line, as it comes. */
  onLine?: (line: string) => void;
  signal?: AbortSignal;
}

/** Boots once and waits for QEMU to end; QEMU is killed on timeout or abort, never left running. */
export const boot = async (o: BootOptions): Promise<BootResult> => {
  const [file, ...args] = o.argv;
  if (!file) throw new TypeError('empty argv');
  const started = performance.now();
  const log = createWriteStream(o.consoleLog);
  const child = execa(file, args, {
    reject: false,
    stdin: 'ignore',
    timeout: o.totalTimeoutMs,
    killSignal: 'SIGKILL',
    buffer: { stdout: false, stderr: true },
    ...(o.signal ? { cancelSignal: o.signal } : {}),
  });
  const result: BootResult = { jobExit: undefined, stage: 'none', timedOut: false, qemuExit: undefined, qemuStderr: '', durationMs: 0, marks: {} };
  const bootTimer = setTimeout(() => {
    if (result.stage === 'none') {
      result.timedOut = true;
      child.kill('SIGKILL');
    }
  }, o.bootTimeoutMs);
  let pending = '';
  // A character can straddle two chunks.
  const decoder = new StringDecoder('utf8');
  child.stdout?.on('data', (chunk: Buffer) => {
    log.write(chunk);
    pending += decoder.write(chunk);
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl).replace(/\r$/, '');
      pending = pending.slice(nl + 1);
      if (line.includes(MARK.alive)) {
        result.stage = 'booted';
        result.marks.alive = performance.now() - started;
        if (o.untilAlive) child.kill('SIGKILL');
      } else if (line.startsWith(MARK.root)) {
        result.stage = 'root';
        result.marks.root = performance.now() - started;
      }
      else if (line.startsWith(MARK.exit)) {
        result.stage = 'done';
        result.jobExit = Number(line.slice(MARK.exit.length));
      } else if (line.startsWith(MARK.fail)) result.initFailure = line.slice(MARK.fail.length);
      o.onLine?.(line);
    }
  });
  try {
    const r = await child;
    result.qemuExit = r.exitCode;
    result.qemuStderr = typeof r.stderr === 'string' ? r.stderr : '';
    if (r.timedOut) result.timedOut = true;
  } finally {
    clearTimeout(bootTimer);
    if (child.exitCode === null) child.kill('SIGKILL');
    await new Promise<void>((resolve) => log.end(resolve));
  }
  result.durationMs = performance.now() - started;
  return result;
};

/** The last lines of a console log, for error messages. */
export const consoleTail = (text: string, lines = 15): string =>
  text.replace(/\x1b\[[0-9;?]*[a-zA-Z]|\x1bc/g, '').split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim()).slice(-lines).join('\n');
