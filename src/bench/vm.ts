// `lab bench --only vm`: the wireless scenario in a VM against its floor, in the same run and on
// the same kernel. The floor is a bare boot that loads mac80211_hwsim and powers off (what no VM
// run can go below); the scenario is scenarios/laptop-two-wlan.yaml through the VM backend as
// `lab run --backend vm` runs it. Issue 18's target: the scenario within 3x the floor under TCG.
//
// Stages: the floor's boot is timed from QEMU's console markers (/init alive, host root mounted).
// The scenario's come from the VM backend as it reaches them (VmRunOptions.onStage: QEMU started,
// /init alive, host root, the guest runner's hello, its first answers, each case, done), each
// placed on the bench's clock by the moment QEMU started.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { KernelSpec } from '../session/kernels.js';
import {
  BOOT_TIMEOUT_MS, boot, chooseAccel, ensureInitramfs, ensureKernel, jobScript, qemuArgv, runInVm, type VmRunOptions,
} from '../session/vm-bench.js';
import type { Runner } from '../types/runner.js';
import type { CaseStatus } from '../types/result.js';
import type { VmStageEvent, VmStageName } from '../types/vm.js';

/** One stage of a measured run, in wall seconds: the time since the stage before it. */
export interface VmStage {
  name: string;
  s: number;
  /** A case's own duration, as the run measured it (cases may overlap: then it is more than s). */
  case_s?: number;
  /** A case's verdict. */
  status?: CaseStatus;
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
  /** The scenario's boot: QEMU start until the guest runner said hello; null when not seen. */
  boot_s: number | null;
  /** The guest runner's hello until lab's first commands were answered (uname, module preload); null when not seen. */
  first_command_s: number | null;
  /** The scenario's stages, in order; they add up to scenario_s. */
  stages: VmStage[];
  /** The floor's stages. */
  floor_stages: VmStage[];
  /**
   * Every round's figures, in the order they ran (`--repeat`, three at most); the rest of this
   * document is the round whose ratio is the median (of two, the higher).
   */
  rounds: { floor_s: number; scenario_s: number; ratio: number }[];
}

/** One round's document, without `rounds`. */
export type VmRound = Omit<VmBenchDoc, 'rounds'>;

/** Rounds a `--repeat` asks for: each a floor and a scenario, ~35 s under TCG here. */
export const VM_ROUNDS_MAX = 3;

/**
 * The rounds as one document (pure): the round whose ratio is the median (of an even number, the
 * higher of the two middle ones) whole, and every round's floor, scenario and ratio. A round is a
 * floor and its scenario side by side: on a machine whose speed drifts (the floor moved by 0.7 s
 * between runs of one build here) the median of paired ratios is steadier than one pair.
 */
export const medianRound = (rounds: readonly VmRound[]): VmBenchDoc => {
  const [first] = rounds;
  if (!first) throw new Error('no VM round was measured');
  const sorted = [...rounds].sort((a, b) => a.ratio - b.ratio);
  const median = sorted[Math.floor(sorted.length / 2)] ?? first;
  return { ...median, rounds: rounds.map((r) => ({ floor_s: r.floor_s, scenario_s: r.scenario_s, ratio: r.ratio })) };
};

/** A stage event of the VM run at atMs on the bench's clock (ms since the scenario's run started). */
export interface StageMark {
  atMs: number;
  event: VmStageEvent;
}

const round3 = (s: number): number => Math.round(s * 1000) / 1000;

const MARK: Record<CaseStatus, string> = { pass: '✓', fail: '✗', skip: '-', error: '!' };

/** What each stage is called: the time from the mark before it up to this one. */
const LABEL: Record<Exclude<VmStageName, 'case'>, string> = {
  qemu: 'kernel, initramfs, accelerator (cached)',
  alive: 'boot: QEMU start → /init',
  root: 'host root mounted (9p, overlay)',
  'runner-start': 'job script (module preload, share, port)',
  runner: 'guest runner alive (perl start)',
  'first-command': 'first commands answered (uname, module preload)',
  done: "cases done, lab's host side exits (report)",
};

/**
 * The scenario's stages from the marks of one run (pure): every stage is wall time between two
 * marks, so they add up to the total; the last is from `done` to the end (power-off, the report
 * read). A case carries its own duration too.
 */
export const scenarioStages = (marks: readonly StageMark[], totalMs: number): VmStage[] => {
  const sorted = [...marks].sort((a, b) => a.atMs - b.atMs);
  const stages: VmStage[] = [];
  // Rounded on the way (seconds since the start, to a ms), so that the stages add up exactly.
  let last = 0;
  const upTo = (atMs: number): number => {
    const at = Math.max(last, round3(atMs / 1000));
    const s = round3(at - last);
    last = at;
    return s;
  };
  for (const { atMs, event: e } of sorted) {
    const s = upTo(atMs);
    if (e.stage !== 'case') stages.push({ name: LABEL[e.stage], s });
    else {
      const own = e.durationMs === undefined ? undefined : round3(e.durationMs / 1000);
      stages.push({
        name: `case ${e.status ? MARK[e.status] : '?'} ${e.name ?? '?'}${own === undefined ? '' : ` (${own.toFixed(2)} s its own)`}`,
        s,
        ...(own === undefined ? {} : { case_s: own }),
        ...(e.status ? { status: e.status } : {}),
      });
    }
  }
  stages.push({ name: sorted.length ? 'power-off, report read' : 'the whole run (no stages seen)', s: upTo(totalMs) });
  return stages;
};

/** Seconds between the first marks of two stages, or null when either was not seen (pure). */
export const between = (marks: readonly StageMark[], from: VmStageName, to: VmStageName): number | null => {
  const a = marks.find((m) => m.event.stage === from);
  const b = marks.find((m) => m.event.stage === to);
  return a && b ? round3((b.atMs - a.atMs) / 1000) : null;
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
        { name: LABEL.alive, s: round3(alive / 1000) },
        { name: LABEL.root, s: round3((root - alive) / 1000) },
        { name: `modprobe ${HWSIM.join(' ')}, power-off`, s: round3((r.durationMs - root) / 1000) },
      ],
    };
  } finally {
    rmSync(share, { recursive: true, force: true });
  }
};

/** An error in one line: its start and its end (a command's error quotes its whole argv, programs included). */
export const gist = (error: string, keep = 100): string => {
  const line = error.replace(/\s+/g, ' ').trim();
  return line.length <= 2 * keep + 3 ? line : `${line.slice(0, keep)} … ${line.slice(-keep)}`;
};

/** The scenario through the VM backend, as `lab run --backend vm` runs it, with its stages. */
export const vmScenario = async (ctx: VmBenchContext, spec: KernelSpec, file: string): Promise<{ ms: number; marks: StageMark[]; passed: number; total: number; failures: string[] }> => {
  const marks: StageMark[] = [];
  const started = performance.now();
  const at = (): number => performance.now() - started;
  // The events count from QEMU's start: `qemu` comes as QEMU starts, which places them on this clock.
  let qemuAt = 0;
  const options: VmRunOptions = {
    spec,
    files: [file],
    cases: [],
    jobs: undefined,
    preload: [HWSIM],
    packageRoot: ctx.packageRoot,
    cacheDir: ctx.cacheDir,
    runner: ctx.runner,
    say: () => undefined,
    onStage: (event) => {
      if (event.stage === 'qemu') qemuAt = at() - event.atMs;
      const mark = { atMs: qemuAt + event.atMs, event };
      marks.push(mark);
      const what = event.stage === 'case' ? `case ${event.name ?? '?'} (${event.status ?? '?'}, ${((event.durationMs ?? 0) / 1000).toFixed(1)} s its own)` : event.stage;
      ctx.log(`  ${(mark.atMs / 1000).toFixed(1)} s: ${what}`);
    },
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  };
  const vm = await runInVm(options);
  const ms = at();
  const cases = vm.results.flatMap((s) => s.cases);
  const failures = cases.filter((c) => c.status !== 'pass').map((c) => `${c.status}: ${c.name}${c.error ? `: ${gist(c.error)}` : ''}`);
  return { ms, marks, passed: cases.length - failures.length, total: cases.length, failures };
};

/** `rounds` rounds of floor and scenario (see medianRound). */
export const vmBench = async (ctx: VmBenchContext, rounds = 1): Promise<VmBenchDoc> => {
  const measured: VmRound[] = [];
  for (let i = 0; i < Math.max(1, Math.min(rounds, VM_ROUNDS_MAX)); i++) {
    if (ctx.signal?.aborted) break;
    measured.push(await vmRound(ctx));
  }
  return medianRound(measured);
};

/** Floor, then scenario (the floor also fetches and caches the kernel, so neither pays for a download). */
const vmRound = async (ctx: VmBenchContext): Promise<VmRound> => {
  const spec = ctx.spec ?? { kind: 'debian' };
  const floor = await vmFloor(ctx, spec);
  ctx.log(`vm floor (${floor.kernel}, ${floor.accel}): ${(floor.ms / 1000).toFixed(2)} s`);
  const run = await vmScenario(ctx, spec, resolve(ctx.packageRoot, WIRELESS_SCENARIO));
  if (run.passed !== run.total) ctx.log(`vm: ${run.total - run.passed} of ${run.total} cases of ${WIRELESS_SCENARIO} did not pass:\n${run.failures.map((f) => `  ${f}`).join('\n')}`);
  ctx.log(`vm scenario: ${(run.ms / 1000).toFixed(2)} s, ${(run.ms / floor.ms).toFixed(1)}× the floor`);
  return {
    floor_s: round3(floor.ms / 1000),
    scenario_s: round3(run.ms / 1000),
    ratio: Math.round((run.ms / floor.ms) * 100) / 100,
    kernel: floor.kernel,
    accel: floor.accel,
    boot_s: between(run.marks, 'qemu', 'runner'),
    first_command_s: between(run.marks, 'runner', 'first-command'),
    stages: scenarioStages(run.marks, run.ms),
    floor_stages: floor.stages,
  };
};

/** The VM part of `lab bench`'s table: floor, scenario, ratio against the target, the stages of each. */
export const renderVm = (doc: VmBenchDoc): string => {
  const line = (st: VmStage) => `    ${st.s.toFixed(2).padStart(7)} s  ${st.name}`;
  const target = doc.ratio <= 3 ? 'pass' : 'miss';
  const secs = (s: number | null): string => (s === null ? '— (not seen)' : `${s.toFixed(2)} s`);
  const rounds = doc.rounds.length > 1
    ? [`  the median of ${doc.rounds.length} rounds (floor, then scenario): ratios ${doc.rounds.map((r) => `${r.ratio.toFixed(2)} (${r.scenario_s.toFixed(2)} s / ${r.floor_s.toFixed(2)} s)`).join(', ')}`]
    : [];
  return [
    `VM (kernel ${doc.kernel}, ${doc.accel.toUpperCase()}): ${WIRELESS_SCENARIO} ${doc.scenario_s.toFixed(2)} s, floor ${doc.floor_s.toFixed(2)} s: ${doc.ratio.toFixed(2)}× the floor (target ≤ 3×: ${target})`,
    ...rounds,
    `  boot (QEMU start → guest runner alive): ${secs(doc.boot_s)}; guest runner alive → first command answered: ${secs(doc.first_command_s)}`,
    '  floor (boot, load mac80211_hwsim, power off):',
    ...doc.floor_stages.map(line),
    '  scenario (each stage from the end of the one before):',
    ...doc.stages.map(line),
    '',
  ].join('\n');
};
