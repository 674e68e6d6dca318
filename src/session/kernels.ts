// The kernels `--kernel` can name: those the package lists offer (apt-cache) and those already in
// the cache, one row each (`lab kernels`).
import type { Runner } from '../backends/runner.js';
import { forkingRunner } from '../backends/forker.js';
import { defaultCacheDir } from '../backends/vm/cache.js';
import { kernelCatalog, type CatalogRow } from '../backends/vm/kernel-catalog.js';
import { cachedKernels, offeredKernels } from '../backends/vm/kernels.js';

export type { CatalogRow };

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
