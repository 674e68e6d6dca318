// `lab bench --only vm`: the wireless scenario in a VM against its floor, in the same run and on
// the same kernel. The floor is a bare boot that loads mac80211_hwsim and powers off (what no VM
// run can go below); the scenario is scenarios/laptop-two-wlan.yaml through the VM backend as
// `lab run --backend vm` runs it. Issue 18's target: the scenario within 3x the floor under TCG.
//
// Stages: the floor's boot is timed from QEMU's console markers (/init alive, host root mounted).
// The VM run (src/backends/vm/run.ts, owned elsewhere) reports no stage times yet: its progress
// lines (`RELEASE: [i/n] ✓ scenario › case (N ms)`, one per finished case) are timestamped here as
// they arrive. When run.ts gains `onStage` (VmStageEvent below) the events are used instead.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { KernelSpec } from '../session/kernels.js';
import {
  BOOT_TIMEOUT_MS, boot, chooseAccel, ensureInitramfs, ensureKernel, jobScript, qemuArgv, runInVm, type VmRunOptions,
} from '../session/vm-bench.js';
import type { Runner } from '../types/runner.js';

/** One stage of a measured run, in wall seconds. */
export interface VmStage {
  name: string;
  s: number;
}

/** What `lab bench --json` prints as `vm`. */
export interface VmBenchDoc {
  /** Boot, load mac80211_hwsim, power off: the same kernel, accelerator, CPUs and memory as the scenario. */
  floor_s: number;
  /** The whole wireless scenario through the VM backend (kernel and initramfs cached by the floor). */
  scenario_s: number;
  /** scenario_s ÷ floor_s. */
  ratio: number;
  kernel: string;
  accel: string;
  /** The scenario's stages, in order; they add up to scenario_s. */
  stages: VmStage[];
  /** The floor's stages. */
  floor_stages: VmStage[];
}

/**
 * A stage the VM run could report as it goes (the hook proposed for VmRunOptions in run.ts:
 * `onStage?(event: VmStageEvent): void`, atMs from runInVm's start).
 */
export interface VmStageEvent {
  stage: 'alive' | 'root' | 'first-command' | 'case' | 'done';
  atMs: number;
  /** The case's name, for `case`. */
  name?: string;
}

/** A progress line of the run inside, as runInVm hands it to `say`: `RELEASE: [i/n] ✓ scenario › case (N ms)`. */
const PROGRESS = /^\S+: \[(\d+)\/(\d+)\] \S+ (.*?) \((\d+) ms\)$/;

/** The case a progress line finished, or undefined for any other line (pure). */
export const parseProgress = (line: string): { done: number; total: number; name: string; innerMs: number } | undefined => {
  const m = PROGRESS.exec(line.trim());
  return m ? { done: Number(m[1]), total: Number(m[2]), name: m[3] as string, innerMs: Number(m[4]) } : undefined;
};

/** A timestamped event from either source: a stage event, or a progress line seen at atMs. */
export type StageMark = { atMs: number } & ({ kind: 'event'; event: VmStageEvent } | { kind: 'case'; name: string; innerMs: number });

const round3 = (s: number): number => Math.round(s * 1000) / 1000;

/**
 * The scenario's stages from the marks of one run (pure). With stage events: boot (to /init),
 * host root, first command, each case, power-off. With progress lines only: until the first case
 * is done (boot, lab starting inside, that case), each further case, and the rest (report,
 * power-off). Every stage is wall time between two marks, so they add up to the total.
 */
export const scenarioStages = (marks: readonly StageMark[], totalMs: number): VmStage[] => {
  const sorted = [...marks].sort((a, b) => a.atMs - b.atMs);
  const stages: VmStage[] = [];
  let last = 0;
  const push = (name: string, atMs: number): void => {
    stages.push({ name, s: round3(Math.max(0, atMs - last) / 1000) });
    last = Math.max(last, atMs);
  };
  const events = sorted.filter((m): m is StageMark & { kind: 'event' } => m.kind === 'event');
  if (events.length > 0) {
    const label: Record<VmStageEvent['stage'], string> = {
      alive: 'boot (QEMU start → /init)', root: 'host root mounted', 'first-command': 'first command answered', case: 'case', done: 'job done',
    };
    for (const m of events) push(m.event.stage === 'case' ? `case: ${m.event.name ?? '?'}` : label[m.event.stage], m.atMs);
    push('power-off and report', totalMs);
    return stages;
  }
  const cases = sorted.filter((m): m is StageMark & { kind: 'case' } => m.kind === 'case');
  cases.forEach((m, i) => push(i === 0 ? `boot, lab start inside, case: ${m.name} (${m.innerMs} ms inside)` : `case: ${m.name} (${m.innerMs} ms inside)`, m.atMs));
  push(cases.length ? 'report, power-off' : 'the whole run (no progress lines seen)', totalMs);
  return stages;
};

export interface VmBenchContext {
  runner: Runner;
  cacheDir: string;
  packageRoot: string;
  /** The kernel of both runs: Debian's by default, as `lab run --backend vm`. */
  spec?: KernelSpec;
  log(line: string): void;
  signal?: AbortSignal;
}

export const WIRELESS_SCENARIO = join('scenarios', 'laptop-two-wlan.yaml');
/** What the floor loads: the module the wireless scenario needs, no radios (the scenario makes its own). */
const HWSIM = ['mac80211_hwsim', 'radios=0'];

/** The floor: one boot that loads hwsim and powers off, with the VM backend's kernel, initramfs, CPUs and memory. */
export const vmFloor = async (ctx: VmBenchContext, spec: KernelSpec): Promise<{ ms: number; stages: VmStage[]; kernel: string; accel: string }> => {
  const kernel = await ensureKernel(spec, { runner: ctx.runner, cacheDir: ctx.cacheDir, say: ctx.log });
  const initramfs = await ensureInitramfs(ctx.runner, kernel);
  const share = mkdtempSync(join(tmpdir(), 'lab-bench-vm-'));
  try {
    const accel = await chooseAccel({ runner: ctx.runner, cacheDir: ctx.cacheDir, image: kernel.image, initramfs, scratch: share });
    writeFileSync(join(share, 'job.sh'), jobScript({
      cwd: '/',
      argv: ['/sbin/modprobe', ...HWSIM],
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
    }));
    mkdirSync(kernel.dir, { recursive: true });
    // As runInVm sizes the guest (run.ts): the floor must not win by being smaller.
    const cpus = Math.max(1, Math.min(availableParallelism(), 4));
    const r = await boot({
      argv: qemuArgv({ accel: accel.accel, image: kernel.image, initramfs, share, cpus, memoryMb: 1024 }),
      consoleLog: join(share, 'console.log'),
      bootTimeoutMs: BOOT_TIMEOUT_MS,
      totalTimeoutMs: BOOT_TIMEOUT_MS + 60_000,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    if (r.stage !== 'done' || r.jobExit !== 0) {
      throw new Error(`the floor boot of ${kernel.release} did not load ${HWSIM[0]} and power off (stage ${r.stage}, job exit ${r.jobExit ?? '-'}${r.initFailure ? `, ${r.initFailure}` : ''})`);
    }
    const alive = r.marks.alive ?? 0;
    const root = r.marks.root ?? alive;
    return {
      ms: r.durationMs,
      kernel: kernel.release,
      accel: accel.accel,
      stages: [
        { name: 'boot (QEMU start → /init)', s: round3(alive / 1000) },
        { name: 'host root mounted', s: round3((root - alive) / 1000) },
        { name: `modprobe ${HWSIM.join(' ')}, power-off`, s: round3((r.durationMs - root) / 1000) },
      ],
    };
  } finally {
    rmSync(share, { recursive: true, force: true });
  }
};

/** The scenario through the VM backend, as `lab run --backend vm` runs it, with its stages. */
export const vmScenario = async (ctx: VmBenchContext, spec: KernelSpec, file: string): Promise<{ ms: number; stages: VmStage[]; passed: number; total: number }> => {
  const marks: StageMark[] = [];
  const started = performance.now();
  const at = (): number => performance.now() - started;
  const options: VmRunOptions & { onStage?: (e: VmStageEvent) => void } = {
    spec,
    files: [file],
    cases: [],
    jobs: undefined,
    preload: [HWSIM],
    packageRoot: ctx.packageRoot,
    cacheDir: ctx.cacheDir,
    runner: ctx.runner,
    say: (line) => {
      const p = parseProgress(line);
      if (p) marks.push({ kind: 'case', name: p.name, innerMs: p.innerMs, atMs: at() });
      if (p) ctx.log(`  ${(at() / 1000).toFixed(1)} s: ${line}`);
    },
    // Used once run.ts calls it; until then the progress lines above are the marks.
    onStage: (event) => marks.push({ kind: 'event', event, atMs: event.atMs }),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  };
  const vm = await runInVm(options);
  const ms = at();
  const cases = vm.results.flatMap((s) => s.cases);
  return { ms, stages: scenarioStages(marks, ms), passed: cases.filter((c) => c.status === 'pass').length, total: cases.length };
};

/** Floor, then scenario (the floor also fetches and caches the kernel, so neither pays for a download). */
export const vmBench = async (ctx: VmBenchContext): Promise<VmBenchDoc> => {
  const spec = ctx.spec ?? { kind: 'debian' };
  const floor = await vmFloor(ctx, spec);
  ctx.log(`vm floor (${floor.kernel}, ${floor.accel}): ${(floor.ms / 1000).toFixed(2)} s`);
  const run = await vmScenario(ctx, spec, resolve(ctx.packageRoot, WIRELESS_SCENARIO));
  if (run.passed !== run.total) ctx.log(`vm: ${run.total - run.passed} of ${run.total} cases of ${WIRELESS_SCENARIO} did not pass`);
  ctx.log(`vm scenario: ${(run.ms / 1000).toFixed(2)} s, ${(run.ms / floor.ms).toFixed(1)}× the floor`);
  return {
    floor_s: round3(floor.ms / 1000),
    scenario_s: round3(run.ms / 1000),
    ratio: Math.round((run.ms / floor.ms) * 100) / 100,
    kernel: floor.kernel,
    accel: floor.accel,
    stages: run.stages,
    floor_stages: floor.stages,
  };
};

/** The VM part of `lab bench`'s table: floor, scenario, ratio against the target, the stages of each. */
export const renderVm = (doc: VmBenchDoc): string => {
  const line = (st: VmStage) => `    ${st.s.toFixed(2).padStart(7)} s  ${st.name}`;
  const target = doc.ratio <= 3 ? 'pass' : 'miss';
  return [
    `VM (kernel ${doc.kernel}, ${doc.accel.toUpperCase()}): ${WIRELESS_SCENARIO} ${doc.scenario_s.toFixed(2)} s, floor ${doc.floor_s.toFixed(2)} s: ${doc.ratio.toFixed(2)}× the floor (target ≤ 3×: ${target})`,
    '  floor (boot, load mac80211_hwsim, power off):',
    ...doc.floor_stages.map(line),
    '  scenario:',
    ...doc.stages.map(line),
    '',
  ].join('\n');
};
