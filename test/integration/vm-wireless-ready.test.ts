// The wireless join waits until every radio carries data (hwsim.pl's `await`: mesh peer links
// established, stations authorized), in a VM (this kernel has no hwsim). The scenario's `setup`
// runs after the join and asks the kernel itself (iw station dump).
// Measured by hand (TCG, 2026-12-03): right after wpa_supplicant -B returns the stations are not
// authorized yet (AWAIT_S = 0, one poll: "wlan0: 0 of 1 peer(s) after 0 s (sta)"), the mesh peer
// links already are. With the await steps taken out altogether this check still passed: the
// ~1 s its own processes (ip netns exec, sh, iw) take under TCG is enough for the association.
// The open network's station has no wpa_supplicant: hwsim.pl's `connect` (NL80211_CMD_CONNECT)
// leaves association to the kernel's SME, and iw here says whether it did (SSID, authorized).
import t from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { lab, needsRoot, ROOT } from './helpers.js';

const READY = join(ROOT, 'test', 'integration', 'fixtures', 'wlan-ready.yaml');
const skip = needsRoot || (existsSync('/usr/bin/qemu-system-x86_64') ? false : 'needs qemu-system-x86 (make deps)');

// A TCG boot and a wireless case take minutes on a loaded 2-core machine.
t.setTimeout(10 * 60_000);

t.test('when the join is over, mesh peer links are established, WPA2 stations and an open network’s station authorized', { skip }, async (t) => {
  const r = await lab(['run', READY, '--backend', 'vm', '--format', 'json'], { timeout: 9 * 60_000 });
  const doc = JSON.parse(String(r.stdout || '{}')) as { scenarios?: { cases: { status: string; error?: string }[] }[] };
  const c = doc.scenarios?.[0]?.cases[0];
  t.equal(c?.status, 'pass', c?.error ?? String(r.stderr));
  t.equal(r.exitCode, 0);
});
