// Each package lab names in a missing-tool message is installed by the make target it names, and
// `make test` installs every one of them: the table in src/backends/packages.ts against the Makefile.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { installHint, MAKE_TARGET_OF } from '../../../src/backends/packages.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const makefile = readFileSync(join(ROOT, 'Makefile'), 'utf8');

/** The packages a target installs: its `$(call deb,$(LIST))`, the list's words with $(OTHER) expanded. */
export const packagesOf = (text: string, target: string): string[] => {
  const lists = new Map([...text.matchAll(/^(DEB_\w+) := (.*)$/gm)].map((m) => [m[1]!, m[2]!]));
  const expand = (words: string): string[] =>
    words.split(/\s+/).filter(Boolean).flatMap((w) => (/^\$\((DEB_\w+)\)$/.test(w) ? expand(lists.get(w.slice(2, -1)) ?? '') : [w]));
  const recipe = new RegExp(`^${target}:.*\\n\\t@\\$\\(call deb,\\$\\((DEB_\\w+)\\)\\)`, 'm').exec(text);
  return recipe ? expand(lists.get(recipe[1]!) ?? '') : [];
};

t.test('each named target installs the package, and make test installs them all', async (t) => {
  for (const [pkg, target] of Object.entries(MAKE_TARGET_OF)) {
    if (pkg === 'zstd') continue; // only for a kernel whose modules are zstd-compressed; Debian's are xz
    t.ok(packagesOf(makefile, target).includes(pkg), `make ${target} installs ${pkg}`);
    t.ok(packagesOf(makefile, 'deps-test').includes(pkg), `make deps-test installs ${pkg}`);
  }
  t.notOk(packagesOf(makefile.replace(/^DEB_VM := .*$/m, 'DEB_VM := kmod'), 'deps-vm').includes('qemu-system-x86'), 'the check is live');
});

t.test('make run installs no QEMU and no tshark', async (t) => {
  const run = packagesOf(makefile, 'deps');
  t.ok(run.includes('nftables'), `make deps: ${run.join(' ')}`);
  for (const heavy of ['qemu-system-x86', 'tshark', 'tcpdump', 'hostapd', 'mininet']) t.notOk(run.includes(heavy), `not ${heavy}`);
  t.match(makefile, /^run: deps build$/m);
});

t.test('the hint names apt-get and the target', async (t) => {
  t.equal(installHint('qemu-system-x86'), 'install it: apt-get install qemu-system-x86 (in a clone of lab: make deps-vm)');
  t.equal(installHint('something-else'), 'install it: apt-get install something-else');
});
