// `lab run --kernel K`: boot K under QEMU, run the same lab inside on the host root, and hand
// back its JSON report. Nothing stays behind: QEMU is killed on every path out, the share
// directory is removed; the console log of the kernel's last boot is kept for diagnosis.
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { claimOut } from '../out-tree.js';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CapabilityError, UsageError } from '../../errors.js';
import type { ScenarioResult, CaseResult } from '../../types/result.js';
import type { VmStageEvent } from '../../types/vm.js';
import type { Runner } from '../runner.js';
import { chooseAccel, type AccelAnswer } from './accel.js';
import { guestEntry } from './bundle.js';
import { GUEST_SHARE, JOB_FILES, jobScript, ROOT_SYSCTLS_FILE } from './guest.js';
import { ensureInitramfs } from './initramfs.js';
import type { KernelSpec } from './kernel-spec.js';
import { ensureKernel, type Kernel } from './kernels.js';
import { boot, consoleTail, QEMU, qemuArgv } from './qemu.js';
import { tracing } from '../trace.js';
import { driveVm } from './drive.js';
import { installHint, onPath } from '../packages.js';
import { isStaticElf } from './bzimage.js';
import { BUSYBOX } from './initramfs.js';

export interface VmRunOptions {
  spec: KernelSpec;
  /** Scenario files as the user named them. */
  files: readonly string[];
  /** Case names to run; empty: all. */
  cases: readonly string[];
  /**
   * How many cases the run has, matrix cells counted one by one: the job's time budget. Without
   * it, the number of names in `cases`, or 4: a 21-cell matrix was killed at 3 min in a TCG guest.
   */
  caseCount?: number;
  jobs: number | undefined;
  /** Modules (name and parameters) the guest loads while lab starts inside. */
  preload?: string[][];
  /** More `lab run` options for the inner run (--explain, --skip-unsupported). */
  extraArgs?: string[];
  /**
   * Where the console log and the inner run's files (pcaps) are copied, when given: the console
   * as console-RELEASE.log, the rest under kernel-RELEASE/.
   */
  out?: string;
  /** lab's package root: dist/cli/bin.js is what runs inside. */
  packageRoot: string;
  cacheDir: string;
  runner: Runner;
  say(line: string): void;
  /** Each stage of a driven run as it is reached (drive.ts; `lab bench --only vm` shows them). */
  onStage?(event: VmStageEvent): void;
  signal?: AbortSignal;
}

export interface VmRun {
  kernel: Kernel;
  accel: AccelAnswer;
  results: ScenarioResult[];
  consoleLog: string;
  bootMs: number;
  /** Driven (no Node in the guest): ms since QEMU started until the guest runner's hello, the first answers, the end. */
  stages?: { hello?: number; firstCommand?: number; done: number };
}

/** How long a run's console log stays in the kernel's cache folder after the run. */
const CONSOLE_KEPT_MS = 24 * 3600_000;

/**
 * This run's console log, in the kernel's cache folder: one per lab process, as runs of the same
 * kernel at the same time overwrote one shared console.log (a failed run pointed at a log another
 * run had emptied). Logs of runs older than a day are removed on the way.
 */
export const consoleLogOf = (kernelDir: string, now = Date.now()): string => {
  mkdirSync(kernelDir, { recursive: true });
  for (const name of readdirSync(kernelDir)) {
    if (!/^console(-\d+)?\.log$/.test(name)) continue;
    const file = join(kernelDir, name);
    try {
      if (now - statSync(file).mtimeMs > CONSOLE_KEPT_MS) rmSync(file, { force: true });
    } catch {
      // Gone already (another run pruned it).
    }
  }
  return join(kernelDir, `console-${process.pid}.log`);
};

/** Budget for the whole job: generous, the per-probe timeouts inside are what normally decide. */
export const jobTimeoutMs = (cases: number): number => Number(process.env['LAB_VM_TIMEOUT_MS'] ?? 60_000 + cases * 15_000);
export const BOOT_TIMEOUT_MS = 60_000;

/** The VM backend's tools, all checked before anything is fetched or booted (`make deps-vm`). */
export const requireQemu = async (runner: Runner): Promise<void> => {
  const r = await runner.run({ argv: [QEMU, '--version'], timeoutMs: 10_000 }).catch(() => undefined);
  if (!r || r.exitCode !== 0) {
    throw new CapabilityError('qemu', `\`${QEMU}\` is not usable`, installHint('qemu-system-x86'));
  }
  let busybox = false;
  try {
    busybox = isStaticElf(readFileSync(BUSYBOX));
  } catch {
    busybox = false;
  }
  if (!busybox) throw new CapabilityError('busybox-static', `${BUSYBOX} is missing or not statically linked: the VM's initramfs needs it`, installHint('busybox-static'));
  // depmod and modprobe (kmod) read the fetched kernel's modules.
  for (const tool of ['depmod', 'modprobe']) {
    if (!onPath(tool)) throw new CapabilityError(tool, `\`${tool}\` is not installed: the VM backend needs it for the guest kernel's modules`, installHint('kmod'));
  }
};

/** The inner run's report, with file names as the user gave them. */
export const parseInnerReport = (json: string, files: readonly string[], absolute: readonly string[]): ScenarioResult[] => {
  type Inner = Omit<ScenarioResult, 'cases' | 'sysctlBaseline'> & { cases: Partial<CaseResult>[]; sysctl_baseline?: Record<string, number> };
  const doc = JSON.parse(json) as { scenarios?: Inner[] };
  return (doc.scenarios ?? []).map(({ sysctl_baseline: baseline, ...s }) => {
    const i = absolute.indexOf(s.file);
    return {
      ...s,
      ...(baseline ? { sysctlBaseline: baseline } : {}),
      file: i >= 0 ? (files[i] ?? s.file) : s.file,
      cases: s.cases.map((c) => ({ durationMs: 0, probes: [], expectations: [], ...c }) as CaseResult),
    };
  });
};

/**
 * How the guest runs the scenarios: `runner`, lab on the host drives the guest runner (no Node
 * in the guest, drive.ts; --explain too: its tracers reach the guest's tracefs through the
 * runner); `node`, lab runs inside the guest, the way before the guest runner, kept only as
 * LAB_VM_GUEST=node, a second opinion when the driven run is in doubt.
 */
export const guestMode = (): 'runner' | 'node' => (process.env['LAB_VM_GUEST'] === 'node' ? 'node' : 'runner');

/** The scenarios on `kernel`, lab on the host driving the guest runner (drive.ts). */
const runDriven = async (o: VmRunOptions, kernel: Kernel, initramfs: string, accel: AccelAnswer, share: string): Promise<VmRun> => {
  const absolute = o.files.map((f) => resolve(f));
  const args = ['run', '--backend', 'host', '--format', 'json', ...absolute, ...(o.extraArgs ?? [])];
  for (const c of o.cases) args.push('--case', c);
  if (o.jobs !== undefined) args.push('--jobs', String(o.jobs));
  const innerOut = join(share, 'out');
  if (o.out !== undefined) args.push('--out', innerOut);
  mkdirSync(kernel.dir, { recursive: true });
  const consoleLog = consoleLogOf(kernel.dir);
  const d = await driveVm({
    kernel,
    initramfs,
    accel,
    share,
    cpus: Math.max(1, Math.min(availableParallelism(), 4)),
    consoleLog,
    cwd: process.cwd(),
    lab: [process.execPath, ...(await guestEntry(o.runner, o.packageRoot)), ...args],
    preload: o.preload ?? [],
    rootSysctls: (process.env['LAB_VM_ROOT_SYSCTLS'] ?? '').split(/\s+/).filter(Boolean),
    bootTimeoutMs: BOOT_TIMEOUT_MS,
    totalTimeoutMs: BOOT_TIMEOUT_MS + jobTimeoutMs(Math.max(1, o.caseCount ?? (o.cases.length || 4))),
    say: o.say,
    ...(o.onStage ? { onStage: o.onStage } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  });
  const r = d.boot;
  if (process.env['LAB_VM_DEBUG']) o.say(JSON.stringify({ ...d, stdout: d.stdout.slice(0, 300) }));
  if (tracing()) {
    const ms = (n: number | undefined) => (n === undefined ? '-' : `${Math.round(n)} ms`);
    o.say(`${kernel.release}: [trace] QEMU: /init alive at ${ms(r.marks.alive)}, host root at ${ms(r.marks.root)}, guest runner's hello at ${ms(d.stages.hello)}, first commands answered at ${ms(d.stages.firstCommand)}, done at ${ms(d.stages.done)}`);
  }
  if (o.out !== undefined) {
    mkdirSync(o.out, { recursive: true });
    copyFileSync(consoleLog, claimOut(o.out, `console-${kernel.release}.log`));
    if (existsSync(join(share, ROOT_SYSCTLS_FILE))) copyFileSync(join(share, ROOT_SYSCTLS_FILE), claimOut(o.out, `${kernel.release}-${ROOT_SYSCTLS_FILE}`));
  }
  if (o.signal?.aborted) throw new Error('interrupted');
  const tail = (): string => consoleTail(readFileSync(consoleLog, 'utf8'));
  // The guest never answered: why is on the console.
  if (d.stages.hello === undefined) {
    const where = r.stage === 'none' ? 'the kernel did not reach /init' : r.stage === 'booted' ? 'the host root could not be mounted' : 'the guest runner did not start';
    const why = r.initFailure ?? (r.timedOut ? 'timed out' : d.stderr.trim() || r.qemuStderr.trim() || `qemu exit ${r.qemuExit}, lab's host side exit ${d.exitCode}`);
    const how = r.stage === 'booted' && kernel.modulesRoot === undefined
      ? `${kernel.source} came without modules, so virtio, 9p and overlayfs must be built in; give --kernel the image in boot/ next to lib/modules/${kernel.release}, the package directory, or the .deb`
      : 'the console log above says more';
    throw new CapabilityError(`VM (kernel ${kernel.release}, ${accel.accel})`, `${where}: ${why}\nconsole (${consoleLog}):\n${tail()}`, how);
  }
  if (o.out !== undefined && existsSync(innerOut)) {
    const kept = claimOut(o.out, `kernel-${kernel.release}`);
    cpSync(innerOut, kept, { recursive: true, filter: (src) => src !== join(innerOut, 'report.json') });
  }
  const reportFile = join(innerOut, 'report.json');
  const stdout = o.out !== undefined ? (existsSync(reportFile) ? readFileSync(reportFile, 'utf8') : '') : d.stdout;
  const inner = d.stderr;
  if (d.exitCode === 2) throw new UsageError(`with the VM (kernel ${kernel.release}): ${inner}`);
  if (d.exitCode === 3) throw new CapabilityError(`kernel ${kernel.release} (VM)`, inner.replace(/^lab cannot run here: /, ''), '');
  if (d.exitCode !== 0 && d.exitCode !== 1) {
    throw new Error(`lab driving the VM (kernel ${kernel.release}) exited with ${d.exitCode}: ${inner || '(no message)'}\nconsole: ${consoleLog}`);
  }
  if (!stdout.trim()) throw new Error(`lab driving the VM (kernel ${kernel.release}) wrote no report: ${inner || '(no message)'}\nconsole: ${consoleLog}`);
  return { kernel, accel, results: parseInnerReport(stdout, o.files, absolute), consoleLog, bootMs: d.stages.done, stages: d.stages };
};

/** Runs the scenarios in a VM on one kernel. */
export const runInVm = async (o: VmRunOptions): Promise<VmRun> => {
  await requireQemu(o.runner);
  const bin = join(o.packageRoot, 'dist', 'cli', 'bin.js');
  if (!existsSync(bin)) throw new UsageError(`lab is not built (${bin} is missing): run \`make build\``);
  const kernel = await ensureKernel(o.spec, { runner: o.runner, cacheDir: o.cacheDir, say: o.say });
  const initramfs = await ensureInitramfs(o.runner, kernel);

  const share = mkdtempSync(join(tmpdir(), 'lab-vm-'));
  try {
    const accel = await chooseAccel({ runner: o.runner, cacheDir: o.cacheDir, image: kernel.image, initramfs, scratch: share });
    if (guestMode() === 'runner') return await runDriven(o, kernel, initramfs, accel, share);
    const absolute = o.files.map((f) => resolve(f));
    const innerOut = `${GUEST_SHARE}/out`;
    const args = ['run', '--backend', 'host', '--format', 'json', ...absolute, ...(o.extraArgs ?? [])];
    for (const c of o.cases) args.push('--case', c);
    if (o.jobs !== undefined) args.push('--jobs', String(o.jobs));
    // With --out the inner run writes report.json (and its pcaps) into the share instead of stdout.
    if (o.out !== undefined) args.push('--out', innerOut);
    writeFileSync(
      join(share, 'job.sh'),
      jobScript({
        cwd: process.cwd(),
        argv: [process.execPath, ...(await guestEntry(o.runner, o.packageRoot)), ...args],
        preload: o.preload ?? [],
        // Tests only: the guest's root namespace set up like another distribution's.
        rootSysctls: (process.env['LAB_VM_ROOT_SYSCTLS'] ?? '').split(/\s+/).filter(Boolean),
        env: {
          PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
          HOME: '/root',
          LAB_IN_VM: '1',
          // The host checked its tools before the boot (runCommand); the guest runs the same ones.
          LAB_TOOLS_CHECKED: '1',
          LAB_TIME_SCALE: accel.accel === 'tcg' ? '8' : '2',
          LANG: 'C.UTF-8',
          // LAB_TRACE=1 traces the lab inside too: its command lines come back over the console.
          ...(tracing() ? { LAB_TRACE: '1' } : {}),
        },
      }),
    );
    mkdirSync(kernel.dir, { recursive: true });
    const consoleLog = consoleLogOf(kernel.dir);
    const cpus = Math.max(1, Math.min(availableParallelism(), 4));
    let firstLine: number | undefined;
    const bootStarted = performance.now();
    const r = await boot({
      argv: qemuArgv({ accel: accel.accel, image: kernel.image, initramfs, share, cpus, memoryMb: 1024 }),
      consoleLog,
      bootTimeoutMs: BOOT_TIMEOUT_MS,
      totalTimeoutMs: BOOT_TIMEOUT_MS + jobTimeoutMs(Math.max(1, o.caseCount ?? (o.cases.length || 4))),
      onLine: (line) => {
        if (firstLine === undefined && /^\[(trace|\d+\/\d+)\]/.test(line)) firstLine = performance.now() - bootStarted;
        // The inner lab's progress lines, as they come.
        if (/^\[\d+\/\d+\]/.test(line) || (tracing() && line.startsWith('[trace]'))) o.say(`${kernel.release}: ${line}`);
      },
      ...(o.signal ? { signal: o.signal } : {}),
    });
    if (tracing()) {
      const ms = (n: number | undefined) => (n === undefined ? '-' : `${Math.round(n)} ms`);
      o.say(`${kernel.release}: [trace] QEMU: /init alive at ${ms(r.marks.alive)}, host root at ${ms(r.marks.root)}, first line of lab at ${ms(firstLine)}, done at ${ms(r.durationMs)}`);
    }
    if (o.out !== undefined) {
      mkdirSync(o.out, { recursive: true });
      copyFileSync(consoleLog, claimOut(o.out, `console-${kernel.release}.log`));
      if (existsSync(join(share, ROOT_SYSCTLS_FILE))) copyFileSync(join(share, ROOT_SYSCTLS_FILE), claimOut(o.out, `${kernel.release}-${ROOT_SYSCTLS_FILE}`));
    }
    const tail = (): string => consoleTail(readFileSync(consoleLog, 'utf8'));
    if (o.signal?.aborted) throw new Error('interrupted');
    if (r.stage !== 'done') {
      const where = r.stage === 'none' ? 'the kernel did not reach /init' : r.stage === 'booted' ? 'the host root could not be mounted' : 'the job did not finish';
      const why = r.initFailure ?? (r.timedOut ? 'timed out' : r.qemuStderr.trim() || `qemu exit ${r.qemuExit}`);
      // A bare image: the modules that reach the host root (virtio, 9p, overlayfs) were not there to load.
      const how = r.stage === 'booted' && kernel.modulesRoot === undefined
        ? `${kernel.source} came without modules, so virtio, 9p and overlayfs must be built in; give --kernel the image in boot/ next to lib/modules/${kernel.release}, the package directory, or the .deb`
        : 'the console log above says more';
      throw new CapabilityError(`VM (kernel ${kernel.release}, ${accel.accel})`, `${where}: ${why}\nconsole (${consoleLog}):\n${tail()}`, how);
    }
    const outDir = join(share, 'out');
    const reportFile = o.out !== undefined ? join(outDir, 'report.json') : join(share, JOB_FILES.stdout);
    if (o.out !== undefined && existsSync(outDir)) {
      const kept = claimOut(o.out, `kernel-${kernel.release}`);
      cpSync(outDir, kept, { recursive: true, filter: (src) => src !== join(outDir, 'report.json') });
    }
    const stdout = existsSync(reportFile) ? readFileSync(reportFile, 'utf8') : '';
    const stderr = existsSync(join(share, JOB_FILES.stderr)) ? readFileSync(join(share, JOB_FILES.stderr), 'utf8') : '';
    const inner = stderr.split('\n').filter((l) => l.trim() && !/^\[\d+\/\d+\]/.test(l)).join('\n');
    if (r.jobExit === 2) throw new UsageError(`inside the VM (kernel ${kernel.release}): ${inner}`);
    if (r.jobExit === 3) throw new CapabilityError(`kernel ${kernel.release} (VM)`, inner.replace(/^lab cannot run here: /, ''), '');
    if (r.jobExit !== 0 && r.jobExit !== 1) {
      throw new Error(`lab inside the VM (kernel ${kernel.release}) exited with ${r.jobExit}: ${inner || '(no message)'}\nconsole: ${consoleLog}`);
    }
    if (!stdout.trim()) throw new Error(`lab inside the VM (kernel ${kernel.release}) wrote no report: ${inner || '(no message)'}\nconsole: ${consoleLog}`);
    return { kernel, accel, results: parseInnerReport(stdout, o.files, absolute), consoleLog, bootMs: r.durationMs };
  } finally {
    rmSync(share, { recursive: true, force: true });
  }
};

export { GUEST_SHARE };
