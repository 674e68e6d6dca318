// The radio medium per probe, read from radiotap pcaps that a monitor radio wrote in a VM (Debian's
// 6.1 kernel, mac80211_hwsim): the mesh and access point cases of scenarios/laptop-two-wlan.yaml.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { carriesProbe, crossedMedia, describeMedium, mediumObservation } from '../../../src/probes/air.js';
import { parseFrame, parseRadiotapPcap, PcapError } from '../../../src/probes/radiotap.js';
import type { ProbePlan, MediumMonitor } from '../../../src/types/plan.js';

const fixture = (name: string): Buffer => readFileSync(join(import.meta.dirname, 'fixtures', name));

const udp = (port: number, to = '198.51.100.2'): ProbePlan => ({
  probe: {
    name: 'p', kind: 'udp', family: 4, from: { node: 'laptop', address: '198.51.100.1' }, to: { address: to }, timeoutMs: 1000, listen: true,
  } as ProbePlan['probe'],
  port,
  marker: 'm',
  receiverNode: 'laptop',
});

const monitor = (medium: string, encrypted = false): MediumMonitor => ({ medium, node: 'laptop', dev: '_medium0', freq: 2412, encrypted });

t.test('a mesh capture: beacons, the ARP exchange, and the one frame that carried the datagram', async (t) => {
  const frames = parseRadiotapPcap(fixture('medium-mesh.pcap'));
  t.equal(frames.length, 6);
  t.match(frames[0], { type: 'management', subtype: 8, receiver: 'ff:ff:ff:ff:ff:ff', transmitter: '02:00:00:00:03:00' });
  // mesh0 broadcasts the ARP request, mesh1 forwards it (a mesh point rebroadcasts) and answers.
  t.strictSame(frames.filter((f) => f.packet?.ethertype === 0x0806).map((f) => f.transmitter), ['02:00:00:00:01:00', '02:00:00:00:03:00', '02:00:00:00:03:00']);
  // The data frame has four addresses, QoS and a mesh control field before LLC/SNAP.
  t.match(frames[5], { type: 'data', transmitter: '02:00:00:00:01:00', packet: { ethertype: 0x0800, protocol: 17, dport: 47000 } });
  t.ok(frames[1] && frames[5] && frames[5].timeMs > frames[1].timeMs);
  const obs = mediumObservation([{ monitor: monitor('w0'), frames }], udp(47000), { start: 0, end: 1 });
  t.strictSame(obs, { frames: 1, media: { w0: 1 } });
  t.equal(describeMedium(obs), 'on the air: 1 frame of this probe');
  t.strictSame(mediumObservation([{ monitor: monitor('w0'), frames }], udp(47001), undefined), { frames: 0, media: { w0: 0 } }, 'another probe’s port');
});

t.test('through an access point the datagram is on the air twice: to the AP, and relayed by it', async (t) => {
  const frames = parseRadiotapPcap(fixture('medium-ap.pcap'));
  const data = frames.filter((f) => carriesProbe(f, udp(47000, '192.0.2.2')));
  t.strictSame(data.map((f) => [f.transmitter, f.receiver]), [
    ['02:00:00:00:16:00', '02:00:00:00:15:00'],
    ['02:00:00:00:15:00', '02:00:00:00:18:00'],
  ]);
  const obs = mediumObservation(
    [{ monitor: monitor('w0'), frames: [] }, { monitor: monitor('w1'), frames }],
    udp(47000, '192.0.2.2'),
    undefined,
  );
  t.strictSame(obs, { frames: 2, media: { w0: 0, w1: 2 } });
  t.equal(describeMedium(obs), 'on the air: 2 frames of this probe (w1: 2)');
});

/** An 802.11 data frame: `fc1` flags, optional QoS control, then `body`. */
const dataFrame = (fc1: number, qos: number | undefined, body: number[]): Buffer => {
  const header = Buffer.alloc(24 + ((fc1 & 3) === 3 ? 6 : 0));
  header[0] = qos === undefined ? 0x08 : 0x88;
  header[1] = fc1;
  header.fill(0x02, 4, 10);
  header.fill(0x04, 10, 16);
  const q = qos === undefined ? [] : [qos & 0xff, qos >> 8];
  return Buffer.from([...header, ...q, ...body]);
};
const snap = (ethertype: number) => [0xaa, 0xaa, 0x03, 0, 0, 0, ethertype >> 8, ethertype & 0xff];
const ipv4 = (protocol: number, l4: number[]) => [0x45, 0, 0, 0, 0, 0, 0, 0, 64, protocol, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2, ...l4];

t.test('frames: ICMP echo and TCP legs are the probe’s; encrypted frames only count by time', async (t) => {
  const icmp: ProbePlan = { ...udp(47002), probe: { ...udp(47002).probe, kind: 'icmp' } as ProbePlan['probe'] };
  const request = parseFrame(dataFrame(0x01, undefined, [...snap(0x0800), ...ipv4(1, [8, 0, 0, 0, 47002 >> 8, 47002 & 0xff, 0, 1])]), 10);
  const reply = parseFrame(dataFrame(0x02, 0, [...snap(0x0800), ...ipv4(1, [0, 0, 0, 0, 47002 >> 8, 47002 & 0xff, 0, 1])]), 11);
  t.ok(request && carriesProbe(request, icmp), 'echo request with the probe’s id');
  t.ok(reply && carriesProbe(reply, icmp), 'its reply (QoS data)');
  t.notOk(request && carriesProbe(request, udp(47002)), 'not a UDP probe’s');
  const tcp: ProbePlan = { ...udp(47003), probe: { ...udp(47003).probe, kind: 'tcp' } as ProbePlan['probe'] };
  const synAck = parseFrame(dataFrame(0x02, undefined, [...snap(0x0800), ...ipv4(6, [47003 >> 8, 47003 & 0xff, 0x9c, 0x40])]), 12);
  t.ok(synAck && carriesProbe(synAck, tcp), 'the answer comes from the probe’s port');

  const sealed = parseFrame(dataFrame(0x41, undefined, [1, 2, 3, 4, 5, 6, 7, 8, 9]), 20);
  t.match(sealed, { type: 'data', protected: true });
  t.equal(sealed?.packet, undefined);
  const late = { ...sealed, timeMs: 99 } as NonNullable<typeof sealed>;
  const wpa2 = [{ monitor: monitor('w0', true), frames: [sealed as NonNullable<typeof sealed>, late] }];
  const obs = mediumObservation(wpa2, udp(47000), { start: 15, end: 30 }, new Set(['w0']));
  t.strictSame(obs, { frames: 0, media: { w0: 0 }, encrypted: 1 });
  t.strictSame(mediumObservation(wpa2, udp(47000), { start: 15, end: 30 }), { frames: 0, media: { w0: 0 } }, 'a probe that no radio of the medium counted (through lo)');
  t.match(describeMedium(obs), /0 frames of this probe; 1 encrypted data frame during it \(WPA2: not readable\)/);
});

t.test('what is not a radiotap pcap says so; a capture cut off mid-record keeps its whole frames', async (t) => {
  t.throws(() => parseRadiotapPcap(Buffer.from('not a pcap at all, really not')), PcapError);
  const ethernet = Buffer.from(fixture('medium-mesh.pcap'));
  ethernet.writeUInt32LE(1, 20);
  t.throws(() => parseRadiotapPcap(ethernet), /link type 1, not 802\.11/);
  t.strictSame(parseRadiotapPcap(Buffer.alloc(0)), [], 'tcpdump killed before writing its header');
  const whole = fixture('medium-mesh.pcap');
  t.equal(parseRadiotapPcap(whole.subarray(0, whole.length - 10)).length, 5);
  const obs = mediumObservation([{ monitor: monitor('w0'), frames: { error: 'tcpdump: _medium0: No such device' } }], udp(1), undefined);
  t.strictSame(obs, { frames: 0, media: {}, unobserved: ['w0: tcpdump: _medium0: No such device'] });
});

t.test('the media a probe crossed are those of the radios that counted it', async (t) => {
  const topology = {
    nodes: ['laptop'],
    devices: [
      { node: 'laptop', dev: 'lo', kind: 'loopback' as const },
      { node: 'laptop', dev: 'adhoc0', kind: 'radio' as const, medium: 'w0' },
      { node: 'laptop', dev: 'wlan0', kind: 'radio' as const, medium: 'w1' },
    ],
  };
  t.strictSame([...crossedMedia(topology, { 'laptop:wlan0': { tx: 1, rx: 0 }, 'laptop:adhoc0': { tx: 0, rx: 0 } })], ['w1']);
  t.strictSame([...crossedMedia(topology, { 'laptop:lo': { tx: 1, rx: 1 } })], []);
});
