// The lab the guest runs: one CommonJS bundle of the built lab, with a V8 code cache made here,
// started through the loader. Needs `make build` (dist/) and esbuild, as a VM run does.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { guestEntry, LOADER } from '../../../../src/backends/vm/bundle.js';
import { forkingRunner } from '../../../../src/backends/forker.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const built = existsSync(join(ROOT, 'dist', 'cli', 'vm-entry.js')) && existsSync(join(ROOT, 'node_modules', '.bin', 'esbuild'));

t.test('the guest entry: loader, bundle and code cache; lab runs from them as from dist/', { skip: built ? false : 'needs make build' }, async (t) => {
  const entry = await guestEntry(forkingRunner(), ROOT);
  t.equal(entry.length, 3);
  const [loader, bundle, cache] = entry as [string, string, string];
  t.equal(loader, join(ROOT, 'dist', 'probes', LOADER));
  t.match(bundle, /dist\/probes\/lab-vm-[0-9a-f]{12}\.cjs$/);
  t.ok(existsSync(cache) && statSync(cache).size > 100_000, 'a code cache was made');
  t.strictSame(await guestEntry(forkingRunner(), ROOT), entry, 'made once per build');
  // The package root comes from the bundle's own location, as from dist/cli: the shipped scenario is found.
  const out = execFileSync(process.execPath, [loader, bundle, cache, 'validate', join(ROOT, 'scenarios', 'laptop-two-wlan.yaml')], { encoding: 'utf8' });
  t.match(out, /laptop-two-wlan\.yaml: ok \(2 nodes, 2 links \(2 wireless\)/);
  const help = execFileSync(process.execPath, [loader, bundle, cache, 'run', '--help'], { encoding: 'utf8', cwd: '/' });
  t.match(help, /--kernel/);
});
