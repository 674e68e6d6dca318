// The kernels of a run: those `--kernel` can name, the package lists' (apt-cache) and those already
// in the cache, one row each (`lab kernels`); what `--kernel host` fetches for a VM; and which
// kernels a run uses, on the host backend or each in a VM (`lab run --kernel`).
import type { Runner } from '../backends/runner.js';
import { forkingRunner } from '../backends/forker.js';
import { defaultCacheDir } from '../backends/vm/cache.js';
import { kernelCatalog, type CatalogRow } from '../backends/vm/kernel-catalog.js';
import { cachedKernels, offeredKernels } from '../backends/vm/kernels.js';
import { hostKernelFacts, hostKernelPlan, type HostKernelPlan } from '../backends/vm/host-kernel.js';
import { kernelsOfRun, needsVm, type KernelSpec } from '../backends/vm/kernel-spec.js';

export type { CatalogRow, HostKernelPlan, KernelSpec };

/** What the catalog reads: the runner apt-cache runs through, and the cache directory. */
export interface KernelsContext {
  runner: Runner;
  cacheDir: string;
}

export const defaultKernelsContext = (): KernelsContext => ({ runner: forkingRunner(), cacheDir: defaultCacheDir() });

/** The rows, and whether the package lists offered any kernel at all. */
export const kernelRows = async (ctx: KernelsContext, all: boolean): Promise<{ rows: CatalogRow[]; offeredAny: boolean }> => {
  const offered = await offeredKernels(ctx);
  return { rows: kernelCatalog(offered, cachedKernels(ctx.cacheDir), all), offeredAny: offered.length > 0 };
};

/** What `--backend vm --kernel host` would fetch: the packages of the running kernel, or why there are none. */
export const hostKernel = (): HostKernelPlan => hostKernelPlan(hostKernelFacts());

/**
 * The kernels of a run (`--backend`, `--kernel`), in order, each once; `vm`: whether any of them
 * boots a VM (every kernel but the running one on the host backend), which `runEachKernel` (vm.ts) runs.
 */
export const runKernels = (backend: 'host' | 'vm' | undefined, kernels: readonly string[]): { kernels: KernelSpec[]; vm: boolean } => {
  const specs = kernelsOfRun(backend, kernels);
  return { kernels: specs, vm: specs.some(needsVm) };
};
