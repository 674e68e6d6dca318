// Wireless links as ops: radios created in the first radio's namespace, moved to their nodes,
// joined; every radio a device of its node in the topology.
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseScenario } from '../../../src/model/load.js';
import { planCase } from '../../../src/plan/plan.js';
import { channelOf, HWSIM_RADIOS, ibssBssid, hostapdConfig, supplicantConfig, AWAIT_PEERS, JOIN_RADIOS, START_STATIONS, WITH_CONFIG, wpaPsk } from '../../../src/plan/wireless.js';
import { derivePath } from '../../../src/probes/path.js';
import type { WirelessLink } from '../../../src/types/scenario.js';

/** A temporary directory, removed when the file's tests are done. */
const scratch = (prefix: string): string => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

const yaml = `name: w
nodes: { laptop: {}, ap: {} }
links:
  - { type: wireless, radios: [laptop:mesh0, laptop:mesh1], ssid: m, freq: 2417 }
  - { type: wireless, radios: [ap:wlan0, laptop:wlan0, laptop:wlan1], mode: ap, ap: ap:wlan0, ssid: lab-ap }
addresses: { laptop:mesh0: 198.51.100.1/24, laptop:mesh1: 198.51.100.2/24, laptop:wlan0: 192.0.2.1/24 }
cases:
  - name: c
    probes: [ { udp: { from: laptop:198.51.100.1, to: 198.51.100.2 } } ]
`;

t.test('radios are created in the first radio’s namespace, moved, named, joined', async (t) => {
  const plan = planCase(parseScenario(yaml, 'w.yaml'), 0, 'lab-abc');
  const argvs = plan.ops.map((o) => `${o.node}: ${o.argv.map((a) => ([HWSIM_RADIOS, AWAIT_PEERS, JOIN_RADIOS, START_STATIONS, WITH_CONFIG].includes(a) ? '<script>' : a)).join(' ')}`);
  const first = (needle: string) => argvs.findIndex((a) => a.includes(needle));
  t.same(argvs.slice(0, 4), [
    // One process per link creates its radios, each with its interface, and the medium's observer:
    // a radio of its own with only a monitor interface (nl80211 types 7 mesh point, 2 station, 6 monitor).
    'laptop: perl -e <script> lab-abc-c0-w0r0 mesh0 7  lab-abc-c0-w0r1 mesh1 7  lab-abc-c0-w0m _medium0 6 ',
    // Radios of other nodes move there under a name of their own, then take the scenario's name.
    'ap: perl -e <script> lab-abc-c0-w1r0 wlan0 2  lab-abc-c0-w1r1 _w1r1 2 lab-abc-c0-laptop lab-abc-c0-w1r2 _w1r2 2 lab-abc-c0-laptop lab-abc-c0-w1m _medium1 6 ',
    'laptop: ip link set dev _w1r1 name wlan0',
    'laptop: ip link set dev _w1r2 name wlan1',
  ]);
  t.strictSame(plan.ops[0]?.argv.slice(3), [
    'lab-abc-c0-w0r0', 'mesh0', '7', '', 'lab-abc-c0-w0r1', 'mesh1', '7', '', 'lab-abc-c0-w0m', '_medium0', '6', '',
  ], 'quadruples: radio, interface, type, namespace (empty: stays)');
  t.ok(first('ip addr add 198.51.100.1/24 dev mesh0') > first('mesh0 7'), 'addresses after the radios exist');
  t.ok(first('ip addr add 192.0.2.1/24 dev wlan0') > first('name wlan0'), 'and after they have their names');
  // One process per node and step: both mesh radios join, then wait for their peer, in one script.
  t.ok(argvs.includes('laptop: sh -c <script> sh mesh 2417 m - 1 await mesh0 mesh1'));
  t.ok(first('ip link set dev mesh1 up') < first('sh mesh 2417'), 'up before they join');
  t.ok(argvs.includes('ap: sh -c <script> sh hostapd -B'));
  t.ok(argvs.includes('laptop: sh -c <script> sh wlan0 wlan1'), 'both stations, one config, then associated');
  t.equal(plan.ops.find((o) => o.argv[0] === 'perl')?.requires, 'mac80211_hwsim');
  t.ok(first('iw dev _medium0 set freq 2417') > first('ip link set dev _medium0 up'), 'the observer listens on the link’s channel');
  t.ok(argvs.includes('ap: iw dev _medium1 set freq 2412'), 'in the namespace the link’s radios are created from');
  t.strictSame(plan.media, [
    { medium: 'w0', node: 'laptop', dev: '_medium0', freq: 2417, encrypted: false },
    { medium: 'w1', node: 'ap', dev: '_medium1', freq: 2412, encrypted: false },
  ]);
});

t.test('IBSS radios join with one fixed BSSID, so none has to scan for the others first', async (t) => {
  const ibss = yaml.replace('ssid: m, freq: 2417', 'mode: ibss, ssid: m, freq: 2417');
  const argvs = planCase(parseScenario(ibss, 'w.yaml'), 0, 'lab-abc').ops.map((o) => o.argv.join(' '));
  const bssid = ibssBssid('m', 0);
  t.match(bssid, /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
  t.equal(Number.parseInt(bssid.slice(0, 2), 16) & 0x03, 0x02, 'locally administered, unicast');
  t.not(ibssBssid('m', 1), bssid, 'another link, another BSSID');
  t.ok(argvs.includes(`sh -c ${JOIN_RADIOS} sh ibss 2417 m ${bssid} 1 await mesh0 mesh1`));
});

t.test('radios are devices of their nodes; over the air a frame goes to the other radios', async (t) => {
  const plan = planCase(parseScenario(yaml, 'w.yaml'), 0, 'lab-abc');
  t.match(plan.topology.devices.filter((d) => d.kind === 'radio'), [
    { node: 'laptop', dev: 'mesh0', medium: 'w0' },
    { node: 'laptop', dev: 'mesh1', medium: 'w0' },
    { node: 'laptop', dev: 'wlan0', medium: 'w1' },
    { node: 'laptop', dev: 'wlan1', medium: 'w1' },
    { node: 'ap', dev: 'wlan0', medium: 'w1', accessPoint: true },
  ]);
  const counts = new Map([['laptop:mesh0', { tx: 1, rx: 0 }], ['laptop:mesh1', { tx: 0, rx: 1 }]]);
  t.strictSame(derivePath(plan.topology, counts, 'laptop'), ['laptop:mesh0', 'laptop:mesh1']);
  const relayed = new Map([['laptop:wlan0', { tx: 1, rx: 0 }], ['ap:wlan0', { tx: 1, rx: 0 }], ['laptop:wlan1', { tx: 0, rx: 1 }]]);
  t.strictSame(derivePath(plan.topology, relayed, 'laptop'), ['laptop:wlan0', 'ap:wlan0', 'laptop:wlan1']);
});

t.test('daemon configs: hex SSID, WPA2 key derived here, channel from the frequency', async (t) => {
  const link: WirelessLink = {
    kind: 'wireless', radios: [], mode: 'ap', ssid: 'IEEE', passphrase: 'password', freq: 2437, loc: { line: 1, col: 1 },
  };
  // IEEE 802.11i-2004, annex H.4.1: passphrase "password", SSID "IEEE".
  t.equal(wpaPsk('password', 'IEEE'), 'f42c6fc52df0ebef9ebb4b90b38a5f902e83fe1b135a70e23aed762e9710a12e');
  t.equal(channelOf(2412), 1);
  t.equal(channelOf(2437), 6);
  t.match(hostapdConfig(link, 'wlan0'), /^interface=wlan0\ndriver=nl80211\nssid2=49454545\nhw_mode=g\nchannel=6\nwpa=2\n/);
  t.match(supplicantConfig(link), /ssid=49454545\n.*scan_freq=2437[\s\S]*key_mgmt=WPA-PSK[\s\S]*psk=f42c6f/);
  const open: WirelessLink = { ...link };
  delete open.passphrase;
  t.notMatch(hostapdConfig(open, 'wlan0'), /wpa/);
  t.match(supplicantConfig(open), /key_mgmt=NONE/);
});

t.test('the join scripts, run by sh with a stand-in iw and wpa_supplicant', async (t) => {
  const bin = scratch('lab-wireless-bin-');
  const log = join(bin, 'log');
  // iw: records its arguments; every device has one established peer and is associated.
  writeFileSync(join(bin, 'iw'), `#!/bin/sh\necho "iw $*" >> ${log}\ncase "$*" in *station\\ dump) printf 'Station 02:00:00:00:01:00 (on x)\\n\\tmesh plink:\\tESTAB\\n' ;; *link) echo 'Connected to 02:00:00:00:00:00 (on x)' ;; esac\n`, { mode: 0o755 });
  writeFileSync(join(bin, 'wpa_supplicant'), `#!/bin/sh\necho "wpa_supplicant $* $(head -1 "$7")" >> ${log}\n`, { mode: 0o755 });
  const env = { ...process.env, PATH: `${bin}:${process.env['PATH'] ?? ''}` };
  const sh = (script: string, args: string[], input?: string) =>
    execFileSync('sh', ['-c', script, 'sh', ...args], { env, encoding: 'utf8', ...(input !== undefined ? { input } : {}) });
  sh(JOIN_RADIOS, ['ibss', '2462', 'lab ibss', '02:11:22:33:44:55', '1', 'await', 'adhoc0', 'adhoc1']);
  sh(START_STATIONS, ['wlan0', 'wlan1'], 'network={\n}\n');
  t.strictSame(readFileSync(log, 'utf8').trim().split('\n'), [
    'iw dev adhoc0 ibss join lab ibss 2462 fixed-freq 02:11:22:33:44:55',
    'iw dev adhoc1 ibss join lab ibss 2462 fixed-freq 02:11:22:33:44:55',
    'iw dev adhoc0 station dump',
    'iw dev adhoc1 station dump',
    'wpa_supplicant -B -i wlan0 -D nl80211 -c /tmp/' + (readFileSync(log, 'utf8').match(/-c \/tmp\/(\S+)/)?.[1] ?? '?') + ' network={',
    'wpa_supplicant -B -i wlan1 -D nl80211 -c /tmp/' + (readFileSync(log, 'utf8').match(/-c \/tmp\/(\S+)/)?.[1] ?? '?') + ' network={',
    'iw dev wlan0 link',
    'iw dev wlan1 link',
  ]);
  // A peer that never comes: the wait gives up with the count it saw.
  writeFileSync(join(bin, 'iw'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  const r = spawnSync('sh', ['-c', AWAIT_PEERS, 'sh', 'mesh', '1', 'mesh0'], { env, encoding: 'utf8', timeout: 60_000 });
  t.equal(r.status, 1);
  t.match(r.stderr, /mesh0: 0 of 1 peer\(s\) after 8 s \(mesh\)/);
});
