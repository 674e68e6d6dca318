// lab as one file with a V8 code cache: what the VM's guest runs, and ./lab on the host too
// (make-bundle.ts). Node resolving and reading ~500 modules over 9p under TCG costs tens of
// seconds (measured: `lab --help` 38 s from dist/, 10 s bundled, on a loaded host); one bundle is
// read in one go. It sits in dist/probes/, one folder below dist/ like dist/cli/'s files, so the
// package root lab derives from its own location (packageRoot in src/cli/io.ts: two folders up)
// is the same as from dist/.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Runner } from '../runner.js';

/** lab's compiled files (tsc's .js and .cjs), not the bundles and loader made from them. */
const jsFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? jsFiles(join(dir, e.name))
      : /\.c?js$/.test(e.name) && !e.name.startsWith(BUNDLE_PREFIX) ? [join(dir, e.name)] : [],
  );

const BUNDLE_PREFIX = 'lab-vm-';
export const LOADER = 'lab-vm-loader.cjs';

/**
 * node LOADER BUNDLE CACHE ARGS…: runs a CommonJS bundle with a V8 code cache. Node 20 caches no
 * compiled code of its own; under TCG compiling the 1.8 MB bundle was 1.5-2.5 s of the guest's
 * 4.5-6 s to get to work (measured: `validate` 4.7-6.1 s as an ES module bundle, 3.0-4.3 s from
 * the cache). The cache is made on the host by the same node binary (V8 refuses a cache from
 * another version or other flags, and then simply compiles).
 */
const LOADER_SOURCE = `'use strict';
const fs = require('fs');
const path = require('path');
const vm = require('vm');
const Module = require('module');
const bundle = path.resolve(process.argv[2]);
const cache = process.argv[3];
process.argv.splice(1, 3, bundle);
let cachedData;
try { cachedData = fs.readFileSync(cache); } catch { cachedData = undefined; }
const script = new vm.Script(Module.wrap(fs.readFileSync(bundle, 'utf8')), { filename: bundle, ...(cachedData ? { cachedData } : {}) });
if (process.env.LAB_WRITE_CODE_CACHE === '1') process.on('exit', () => fs.writeFileSync(cache, script.createCachedData()));
const mod = new Module(bundle, null);
mod.filename = bundle;
mod.paths = Module._nodeModulePaths(path.dirname(bundle));
script.runInThisContext()(mod.exports, Module.createRequire(bundle), mod, bundle, path.dirname(bundle));
`;

/**
 * The command the guest runs lab with (after node): the loader, the bundle of dist/cli/vm-entry.js
 * and its code cache, made once per build; dist/cli/bin.js without esbuild.
 */
export const guestEntry = async (runner: Runner, packageRoot: string): Promise<string[]> => {
  const dist = join(packageRoot, 'dist');
  const bin = join(dist, 'cli', 'bin.js');
  const entry = join(dist, 'cli', 'vm-entry.js');
  const esbuild = join(packageRoot, 'node_modules', '.bin', 'esbuild');
  if (!existsSync(esbuild) || !existsSync(entry)) return [bin];
  const hash = createHash('sha256');
  for (const f of jsFiles(dist).sort()) {
    const st = statSync(f);
    hash.update(`${relative(dist, f)}\0${st.size}\0${st.mtimeMs}\n`);
  }
  hash.update(process.version);
  const dir = join(dist, 'probes');
  const name = `${BUNDLE_PREFIX}${hash.digest('hex').slice(0, 12)}`;
  const bundle = join(dir, `${name}.cjs`);
  const cache = join(dir, `${name}.cache`);
  const loader = join(dir, LOADER);
  if (!existsSync(loader) || readFileSync(loader, 'utf8') !== LOADER_SOURCE) writeFileSync(loader, LOADER_SOURCE);
  if (existsSync(bundle)) return [loader, bundle, cache];
  const tmp = `${bundle}.${process.pid}.tmp.cjs`;
  const r = await runner.run({
    argv: [
      esbuild, entry, '--bundle', '--platform=node', '--format=cjs', '--target=node20', `--outfile=${tmp}`, '--log-level=error',
      // lab finds its package root from its own location: the bundle's, one folder below dist/ like dist/cli's files.
      '--define:import.meta.url=__labImportMetaUrl',
      "--banner:js=var __labImportMetaUrl = require('url').pathToFileURL(__filename).href;",
    ],
    timeoutMs: 120_000,
  });
  if (r.exitCode !== 0) {
    rmSync(tmp, { force: true });
    return [bin];
  }
  // Bundles of earlier builds (a run still using one has read it into memory already).
  const stale = readdirSync(dir).filter((n) => /^lab-vm-[0-9a-f]{12}\.(mjs|cjs|cache)$/.test(n));
  for (const old of stale) rmSync(join(dir, old), { force: true });
  renameSync(tmp, bundle);
  // The code cache: what compiling the bundle and validating the default scenario compiles.
  const warm = await runner.run({
    argv: ['env', 'LAB_WRITE_CODE_CACHE=1', process.execPath, loader, bundle, `${cache}.${process.pid}.tmp`, 'validate', join(packageRoot, 'scenarios', 'laptop-two-nics.yaml')],
    timeoutMs: 60_000,
  });
  if (warm.exitCode === 0 && existsSync(`${cache}.${process.pid}.tmp`)) renameSync(`${cache}.${process.pid}.tmp`, cache);
  else rmSync(`${cache}.${process.pid}.tmp`, { force: true });
  return [loader, bundle, cache];
};
