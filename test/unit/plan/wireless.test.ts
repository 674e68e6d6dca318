// Wireless links as ops: radios created in the first radio's namespace, moved to their nodes,
// joined; every radio a device of its node in the topology.
import t from 'tap';
import { parseScenario } from '../../../src/recipes/scenario.js';
import { planCase } from '../../../src/plan/plan.js';
import { HWSIM_RADIOS } from '../../../src/agent/programs.js';
import { channelOf, ibssBssid, hostapdConfig, supplicantConfig, wpaPsk } from '../../../src/plan/wireless.js';
import { derivePath } from '../../../src/probes/path.js';
import type { WirelessLink } from '../../../src/types/scenario.js';

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
  const shown = (a: string): string => (a === HWSIM_RADIOS ? '<hwsim.pl>' : a.includes('\n') ? '<config>' : a);
  const argvs = plan.ops.map((o) => `${o.node}: ${o.argv.map(shown).join(' ')}`);
  const first = (needle: string) => argvs.findIndex((a) => a.includes(needle));
  // One process does the case's wireless part, before the topology: each link's radios from the
  // namespace of its first radio's node (the medium is that namespace's), each radio with its
  // interface, and the medium's observer, a radio of its own with only a monitor interface
  // (nl80211 types 7 mesh point, 2 station, 6 monitor), up and on the link's channel; radios of
  // other nodes move there under a name of their own. Then node by node, the radios named and up
  // and the meshes joined (the mesh's peer links form while hostapd starts); then the access point
  // (its stations find it at their first scan), then both stations connect to the open network
  // through the kernel's own SME (no wpa_supplicant); then every radio is waited for until it
  // carries data (a peer link established, associated and authorized).
  t.same(argvs[0], 'laptop: perl -e <hwsim.pl>'
    + ' radio lab-abc-c0-w0r0 mesh0 7  radio lab-abc-c0-w0r1 mesh1 7  radio lab-abc-c0-w0m _medium0 6  listen _medium0 2417'
    + ' netns lab-abc-c0-ap radio lab-abc-c0-w1r0 wlan0 2  radio lab-abc-c0-w1r1 _w1r1 2 lab-abc-c0-laptop radio lab-abc-c0-w1r2 _w1r2 2 lab-abc-c0-laptop radio lab-abc-c0-w1m _medium1 6  listen _medium1 2412'
    + ' netns lab-abc-c0-laptop up mesh0 up mesh1 name _w1r1 wlan0 name _w1r2 wlan1 up wlan0 up wlan1 mesh mesh0 2417 m mesh mesh1 2417 m'
    + ' netns lab-abc-c0-ap config <config> run 3 hostapd -B {}'
    + ' netns lab-abc-c0-laptop connect wlan0 2412 lab-ap connect wlan1 2412 lab-ap'
    + ' await mesh0 mesh 1 30 await mesh1 mesh 1 30 await wlan0 sta 1 30 await wlan1 sta 1 30');
  t.strictSame(plan.ops[0]?.argv.slice(3, 8), ['radio', 'lab-abc-c0-w0r0', 'mesh0', '7', ''], 'radio PHY DEV IFTYPE NETNS (empty: stays)');
  t.equal(argvs.filter((a) => a.includes('<hwsim.pl>')).length, 1, 'one process');
  t.ok(first('ip addr add 198.51.100.1/24 dev mesh0') > 0, 'addresses after the radios exist and have their names');
  t.equal(plan.ops[0]?.argv[plan.ops[0].argv.indexOf('hostapd') - 3], hostapdConfig(parseScenario(yaml, 'w.yaml').wireless?.[1] as WirelessLink, 'wlan0'));
  t.equal(plan.ops[0]?.requires, 'mac80211_hwsim');
  t.strictSame(plan.media, [
    { medium: 'w0', node: 'laptop', dev: '_medium0', freq: 2417, encrypted: false },
    { medium: 'w1', node: 'ap', dev: '_medium1', freq: 2412, encrypted: false },
  ]);
});

t.test('stations of a WPA2 access point are wpa_supplicant’s (the 4-way handshake): one for both, one config', async (t) => {
  const wpa2 = yaml.replace('ssid: lab-ap }', 'ssid: lab-ap, passphrase: correct horse battery }');
  const link = parseScenario(wpa2, 'w.yaml').wireless?.[1] as WirelessLink;
  const argv = planCase(parseScenario(wpa2, 'w.yaml'), 0, 'lab-abc').ops[0]?.argv ?? [];
  const steps = argv.slice(3).map((a) => (a.includes('\n') ? '<config>' : a)).join(' ');
  t.ok(steps.includes('name _w1r1 wlan0 name _w1r2 wlan1 mesh mesh0 2417 m mesh mesh1 2417 m netns lab-abc-c0-ap config <config> run 3 hostapd -B {} netns lab-abc-c0-laptop config <config> run 15 wpa_supplicant -B -i wlan0 -D nl80211 -c {} -N -i wlan1 -D nl80211 -c {} await'), steps);
  t.notOk(steps.includes('connect'), 'no open-network connect');
  t.equal(argv[argv.indexOf('wpa_supplicant') - 3], supplicantConfig(link));
});

t.test('a mesh across nodes: every node joins before the access point starts, and before any waits', async (t) => {
  const two = yaml.replace('radios: [laptop:mesh0, laptop:mesh1]', 'radios: [laptop:mesh0, ap:mesh1]').replace('laptop:mesh1: 198', 'ap:mesh1: 198');
  const op = planCase(parseScenario(two, 'w.yaml'), 0, 'lab-abc').ops[0];
  const steps = (op?.argv.slice(3) ?? []).filter((a) => !a.includes('\n')).join(' ');
  t.ok(steps.includes('listen _medium1 2412 name _w0r1 mesh1 up mesh1 mesh mesh1 2417 m netns lab-abc-c0-laptop up mesh0'), steps);
  t.ok(steps.includes('mesh mesh0 2417 m netns lab-abc-c0-ap config run 3 hostapd -B {} netns lab-abc-c0-laptop connect wlan0'), steps);
  t.ok(steps.endsWith('await mesh0 mesh 1 30 await wlan0 sta 1 30 await wlan1 sta 1 30 netns lab-abc-c0-ap await mesh1 mesh 1 30'), steps);
});

t.test('IBSS radios join with one fixed BSSID, so none has to scan for the others first', async (t) => {
  const ibss = yaml.replace('ssid: m, freq: 2417', 'mode: ibss, ssid: m, freq: 2417');
  const argvs = planCase(parseScenario(ibss, 'w.yaml'), 0, 'lab-abc').ops.map((o) => o.argv.join(' '));
  const bssid = ibssBssid('m', 0);
  t.match(bssid, /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
  t.equal(Number.parseInt(bssid.slice(0, 2), 16) & 0x03, 0x02, 'locally administered, unicast');
  t.not(ibssBssid('m', 1), bssid, 'another link, another BSSID');
  t.ok(argvs.some((a) => a.includes(`netns lab-abc-c0-laptop up mesh0 up mesh1 name _w1r1 wlan0 name _w1r2 wlan1 up wlan0 up wlan1 ibss mesh0 2417 m ${bssid} ibss mesh1 2417 m ${bssid} netns lab-abc-c0-ap config`) && a.includes(' netns lab-abc-c0-laptop connect wlan0 2412 lab-ap ') && a.endsWith('await mesh0 ibss 1 30 await mesh1 ibss 1 30 await wlan0 sta 1 30 await wlan1 sta 1 30')));
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
