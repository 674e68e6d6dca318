// The lab that runs inside the VM, as one file. Node resolving and reading ~500 modules over 9p
// under TCG costs tens of seconds (measured: `lab --help` 38 s from dist/, 10 s bundled, on a
// loaded host); one bundle is read in one go. It sits in dist/probes/ so that the paths lab
// derives from its own location (the package root, the probe agent and receiver scripts next to
// it) are the same as from dist/.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Runner } from '../runner.js';

const jsFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? jsFiles(join(dir, e.name)) : e.name.endsWith('.js') ? [join(dir, e.name)] : [],
  );

export const BUNDLE_PREFIX = 'lab-vm-';

/** The entry the guest runs: a bundle of dist/cli/bin.js, made once per build; dist/cli/bin.js without esbuild. */
export const guestEntry = async (runner: Runner, packageRoot: string): Promise<string> => {
  const dist = join(packageRoot, 'dist');
  const bin = join(dist, 'cli', 'bin.js');
  const esbuild = join(packageRoot, 'node_modules', '.bin', 'esbuild');
  if (!existsSync(esbuild)) return bin;
  const hash = createHash('sha256');
  for (const f of jsFiles(dist).sort()) {
    const st = statSync(f);
    hash.update(`${relative(dist, f)}\0${st.size}\0${st.mtimeMs}\n`);
  }
  const dir = join(dist, 'probes');
  const bundle = join(dir, `${BUNDLE_PREFIX}${hash.digest('hex').slice(0, 12)}.mjs`);
  if (existsSync(bundle)) return bundle;
  const tmp = `${bundle}.${process.pid}.tmp.mjs`;
  const r = await runner.run({
    argv: [
      esbuild, bin, '--bundle', '--platform=node', '--format=esm', '--target=node20', `--outfile=${tmp}`, '--log-level=error',
      // CommonJS dependencies inside an ES module bundle still call require() for Node's builtins.
      "--banner:js=import { createRequire as __labRequire } from 'node:module'; const require = __labRequire(import.meta.url);",
    ],
    timeoutMs: 120_000,
  });
  if (r.exitCode !== 0) {
    rmSync(tmp, { force: true });
    return bin;
  }
  // Bundles of earlier builds (a run still using one has read it into memory already).
  const stale = readdirSync(dir).filter((n) => n.startsWith(BUNDLE_PREFIX) && /^lab-vm-[0-9a-f]{12}\.mjs$/.test(n));
  for (const old of stale) rmSync(join(dir, old), { force: true });
  renameSync(tmp, bundle);
  return bundle;
};
