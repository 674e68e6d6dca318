// The tools a scenario's wireless links need, found on a PATH made here: an access point needs
// hostapd; only a WPA2 one (a passphrase) needs wpa_supplicant, an open network's stations join
// through the kernel's SME (hwsim.pl's `connect`).
import t from 'tap';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wirelessTools } from '../../../../src/backends/wireless/support.js';
import { parseScenario } from '../../../../src/recipes/scenario.js';

const scenario = (link: string) =>
  parseScenario(`name: w
nodes: { laptop: {}, ap: {} }
links:
  - ${link}
cases:
  - name: c
    probes: [ { udp: { from: laptop:198.51.100.1, to: 198.51.100.2 } } ]
addresses: { laptop:wlan0: 198.51.100.1/24, laptop:wlan1: 198.51.100.2/24 }
`, 'w.yaml');

const AP = '{ type: wireless, radios: [ap:wlan0, laptop:wlan0, laptop:wlan1], mode: ap, ap: ap:wlan0, ssid: lab-ap }';

t.test('an open access point needs hostapd and no wpa_supplicant; a WPA2 one needs both', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lab-tools-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const name of ['iw', 'perl', 'tcpdump', 'hostapd']) {
    writeFileSync(join(dir, name), '#!/bin/sh\n');
    chmodSync(join(dir, name), 0o755);
  }
  const named = (link: string) => wirelessTools([scenario(link)], dir).map((c) => `${c.name}:${c.ok ? 'ok' : 'missing'}`);
  t.strictSame(named(AP), ['iw:ok', 'perl:ok', 'hostapd:ok']);
  t.strictSame(named(AP.replace('ssid: lab-ap', 'ssid: lab-ap, passphrase: correct horse battery')), ['iw:ok', 'perl:ok', 'hostapd:ok', 'wpa_supplicant:missing']);
  t.strictSame(named('{ type: wireless, radios: [laptop:wlan0, laptop:wlan1], mode: mesh, ssid: m }'), ['iw:ok', 'perl:ok']);
});
