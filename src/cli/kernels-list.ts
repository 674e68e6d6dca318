// `lab kernels`: the kernels `--kernel RELEASE` can fetch (from the package lists, via apt-cache)
// and those already cached, with release and series.
import Table from '../report/cli-table.js';
import { defaultKernelsContext, hostKernel, kernelRows, type CatalogRow, type KernelsContext } from '../session/index.js';
import type { Output } from './io.js';

export interface KernelsListOptions {
  json: boolean;
  /** Also the cloud, rt and lowlatency flavours the package lists offer. */
  all: boolean;
}

/** What the command reads: the runner apt-cache runs through, and the cache directory. */
export type KernelsListContext = KernelsContext;

const yes = (b: boolean): string => (b ? 'yes' : '-');

export const kernelsTable = (rows: readonly CatalogRow[]): string => {
  const table = new Table({ head: ['release', 'series', 'distro', 'fetchable', 'cached', 'source'], style: { head: [], border: [] },
    // One line per kernel: a list of 40-odd releases reads better without rules between rows.
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' } });
  for (const r of rows) table.push([r.release, r.series, r.distro ?? '-', yes(r.fetchable), yes(r.cached), r.source ?? '']);
  return table.toString();
};

/** Exit 0, also when apt-cache knows no kernel (the list says so and how to fill it). */
export const kernelsListCommand = async (
  opts: KernelsListOptions,
  io: Output,
  ctx: KernelsListContext = defaultKernelsContext(),
): Promise<number> => {
  const { rows, offeredAny } = await kernelRows(ctx, opts.all);
  if (opts.json) {
    io.out(`${JSON.stringify({ cacheDir: ctx.cacheDir, kernels: rows }, null, 2)}\n`);
    return 0;
  }
  io.out(`${kernelsTable(rows)}\n`);
  if (!offeredAny) io.err('the package lists offer no kernel image (run `apt-get update`; Debian and Ubuntu lists are read)\n');
  const host = hostKernel();
  io.err(host.ok ? `host: ${host.release}; \`--backend vm --kernel host\` fetches ${host.packages.join(', ')}\n` : `host: ${host.why} (\`--kernel host\` is the host backend only)\n`);
  io.err(`cache: ${ctx.cacheDir}; \`lab run --kernel RELEASE\` fetches one${opts.all ? '' : '; --all adds the cloud, rt and lowlatency flavours'}\n`);
  return 0;
};
