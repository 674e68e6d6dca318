// Wireless links as ops: radios created in the first radio's namespace, moved to their nodes,
// joined; every radio a device of its node in the topology.
import t from 'tap';
import { parseScenario } from '../../../src/model/load.js';
import { planCase } from '../../../src/plan/plan.js';
import { channelOf, HWSIM_NEW_RADIO, ibssBssid, hostapdConfig, supplicantConfig, WAIT_FOR_PEERS, WITH_CONFIG, wpaPsk } from '../../../src/plan/wireless.js';
import { derivePath } from '../../../src/probes/path.js';
import type { WirelessLink } from '../../../src/model/types.js';

const yaml = `name: w
nodes: { laptop: {}, ap: {} }
links:
  - { type: wireless, radios: [laptop:mesh0, laptop:mesh1], ssid: m, freq: 2417 }
  - { type: wireless, radios: [ap:wlan0, laptop:wlan0, laptop:wlan1], mode: ap, ap: ap:wlan0, ssid: lab-ap }
addresses: { laptop:mesh0: 198.51.100.1/24, laptop:mesh1: 198.51.100.2/24 }
cases:
  - name: c
    probes: [ { udp: { from: laptop:198.51.100.1, to: 198.51.100.2 } } ]
`;

t.test('radios are created in the first radio’s namespace, moved, named, joined', async (t) => {
  const plan = planCase(parseScenario(yaml, 'w.yaml'), 0, 'lab-abc');
  const argvs = plan.ops.map((o) => `${o.node}: ${o.argv.map((a) => (a === HWSIM_NEW_RADIO || a === WAIT_FOR_PEERS || a === WITH_CONFIG ? '<script>' : a)).join(' ')}`);
  const first = (needle: string) => argvs.findIndex((a) => a.includes(needle));
  t.same(argvs.slice(0, 11), [
    'laptop: perl -e <script> lab-abc-c0-w0r0',
    'laptop: iw phy lab-abc-c0-w0r0 interface add mesh0 type mp',
    'laptop: perl -e <script> lab-abc-c0-w0r1',
    'laptop: iw phy lab-abc-c0-w0r1 interface add mesh1 type mp',
    // The medium's observer: a radio of its own with only a monitor interface.
    'laptop: perl -e <script> lab-abc-c0-w0m',
    'laptop: iw phy lab-abc-c0-w0m interface add _medium0 type monitor',
    'ap: perl -e <script> lab-abc-c0-w1r0',
    'ap: iw phy lab-abc-c0-w1r0 interface add wlan0 type managed',
    'ap: perl -e <script> lab-abc-c0-w1r1',
    'ap: iw phy lab-abc-c0-w1r1 set netns name lab-abc-c0-laptop',
    'laptop: iw phy lab-abc-c0-w1r1 interface add wlan0 type managed',
  ]);
  t.ok(first('ip addr add 198.51.100.1/24 dev mesh0') > first('interface add mesh0'), 'addresses after the radios exist');
  t.ok(argvs.includes('laptop: iw dev mesh0 mesh join m freq 2417'));
  t.ok(argvs.includes('laptop: sh -c <script> sh mesh1 1 mesh'), 'waits for the peer link');
  t.ok(argvs.includes('ap: sh -c <script> sh hostapd -B'));
  t.ok(argvs.includes('laptop: sh -c <script> sh wpa_supplicant -B -i wlan1 -D nl80211 -c'));
  t.ok(argvs.includes('laptop: sh -c <script> sh wlan0 1 sta'), 'waits until associated');
  t.equal(plan.ops.find((o) => o.argv[0] === 'perl')?.requires, 'mac80211_hwsim');
  t.ok(first('iw dev _medium0 set freq 2417') > first('ip link set _medium0 up'), 'the observer listens on the link’s channel');
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
  t.ok(argvs.includes(`iw dev mesh0 ibss join m 2417 fixed-freq ${bssid}`));
  t.ok(argvs.includes(`iw dev mesh1 ibss join m 2417 fixed-freq ${bssid}`));
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
