// KVM or TCG. /dev/kvm can exist and still not work (measured here: KVM boots hang), so KVM is
// tried once with a short timeout and the answer cached per host kernel and QEMU version.
import { accessSync, constants, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import type { Runner } from '../runner.js';
import { PROBE_ARG } from './guest.js';
import { boot, QEMU, qemuArgv, type Accel } from './qemu.js';

export const ACCEL_FILE = 'accel.json';
/** A working KVM reaches /init well within this; a TCG boot takes about 3 s here. */
export const KVM_CHECK_TIMEOUT_MS = 6_000;

export interface AccelAnswer {
  accel: Accel;
  /** Why, in words, for doctor and the report header. */
  reason: string;
  hostKernel: string;
  qemu: string;
  checkedAt: string;
}

export const kvmUsable = (device = '/dev/kvm'): string | undefined => {
  try {
    accessSync(device, constants.R_OK | constants.W_OK);
    return undefined;
  } catch (err) {
    return `/dev/kvm is not usable (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
  }
};

export const qemuVersion = async (runner: Runner): Promise<string | undefined> => {
  const r = await runner.run({ argv: [QEMU, '--version'], timeoutMs: 10_000 }).catch(() => undefined);
  return r && r.exitCode === 0 ? (r.stdout.split('\n')[0] ?? '').trim() : undefined;
};

export const cachedAccel = (cacheDir: string, hostKernel: string, qemu: string): AccelAnswer | undefined => {
  try {
    const a = JSON.parse(readFileSync(join(cacheDir, ACCEL_FILE), 'utf8')) as AccelAnswer;
    return a.hostKernel === hostKernel && a.qemu === qemu ? a : undefined;
  } catch {
    return undefined;
  }
};

export interface AccelContext {
  runner: Runner;
  cacheDir: string;
  /** A kernel and initramfs to try KVM with. */
  image: string;
  initramfs: string;
  scratch: string;
  /** The boot of the check; tests pass a fake (QEMU is started directly, not through the runner). */
  boot?: typeof boot;
  /** The KVM device; /dev/kvm unless a test says otherwise. */
  kvmDevice?: string;
  env?: NodeJS.ProcessEnv;
}

/** KVM when it boots, TCG otherwise. LAB_VM_ACCEL=kvm|tcg skips the check. */
export const chooseAccel = async (ctx: AccelContext): Promise<AccelAnswer> => {
  const forced = (ctx.env ?? process.env)['LAB_VM_ACCEL'];
  const qemu = (await qemuVersion(ctx.runner)) ?? 'unknown';
  const base = { hostKernel: release(), qemu, checkedAt: new Date().toISOString() };
  if (forced === 'kvm' || forced === 'tcg') return { ...base, accel: forced, reason: 'LAB_VM_ACCEL' };
  const unusable = kvmUsable(ctx.kvmDevice);
  if (unusable) return { ...base, accel: 'tcg', reason: unusable };
  const cached = cachedAccel(ctx.cacheDir, base.hostKernel, qemu);
  if (cached) return cached;
  const log = join(ctx.scratch, 'kvm-check.log');
  const r = await (ctx.boot ?? boot)({
    argv: qemuArgv({ accel: 'kvm', image: ctx.image, initramfs: ctx.initramfs, cpus: 1, memoryMb: 256, append: [PROBE_ARG] }),
    consoleLog: log,
    bootTimeoutMs: KVM_CHECK_TIMEOUT_MS,
    totalTimeoutMs: KVM_CHECK_TIMEOUT_MS + 2_000,
    untilAlive: true,
  });
  rmSync(log, { force: true });
  const answer: AccelAnswer = r.stage !== 'none'
    ? { ...base, accel: 'kvm', reason: `KVM booted in ${Math.round(r.durationMs)} ms` }
    : {
        ...base,
        accel: 'tcg',
        reason: r.timedOut
          ? `a KVM boot did not reach /init within ${KVM_CHECK_TIMEOUT_MS / 1000} s`
          : `KVM failed: ${r.qemuStderr.trim().split('\n').pop() ?? `qemu exit ${r.qemuExit}`}`,
      };
  mkdirSync(ctx.cacheDir, { recursive: true });
  writeFileSync(join(ctx.cacheDir, ACCEL_FILE), `${JSON.stringify(answer, null, 2)}\n`);
  return answer;
};
