import t from 'tap';
import { OBSERVER_TABLE, observerRuleset, parseObserver, parseObserverCounts } from '../../../src/probes/observe.js';
import { senderArgv } from '../../../src/probes/probe.js';
import type { ProbePlan } from '../../../src/types/plan.js';

t.test('the observer ruleset has an ingress and an egress chain per device, a counter per rule', async (t) => {
  const rules = [
    { id: 'p0:datagram', match: 'meta l4proto udp udp dport 47000' },
    { id: 'p1:datagram', match: 'meta l4proto udp udp dport 47001' },
  ];
  const text = observerRuleset(['lo', 'wlan0'], rules);
  t.match(text, new RegExp(`^table netdev ${OBSERVER_TABLE} \\{`));
  t.match(text, /chain rx0 \{\n\s+type filter hook ingress device "lo" priority -500; policy accept;/);
  t.match(text, /chain tx1 \{\n\s+type filter hook egress device "wlan0" priority -500;/);
  t.equal(text.match(/udp dport 47000 counter comment "p0:datagram"/g)?.length, 4);
  t.equal(text.match(/udp dport 47001 counter comment "p1:datagram"/g)?.length, 4);
});

// Shape of `nft -j list table netdev …` as nftables 1.0.6 prints it: chains carry no device.
const listing = JSON.stringify({
  nftables: [
    { metainfo: { version: '1.0.6', json_schema_version: 1 } },
    { table: { family: 'netdev', name: OBSERVER_TABLE, handle: 1 } },
    { chain: { family: 'netdev', table: OBSERVER_TABLE, name: 'rx0', handle: 1, type: 'filter', hook: 'ingress', prio: -500, policy: 'accept' } },
    { chain: { family: 'netdev', table: OBSERVER_TABLE, name: 'tx0', handle: 2, type: 'filter', hook: 'egress', prio: -500, policy: 'accept' } },
    { chain: { family: 'netdev', table: OBSERVER_TABLE, name: 'tx1', handle: 3, type: 'filter', hook: 'egress', prio: -500, policy: 'accept' } },
    { rule: { family: 'netdev', table: OBSERVER_TABLE, chain: 'rx0', handle: 4, comment: 'p0:datagram', expr: [{ match: {} }, { counter: { packets: 1, bytes: 40 } }] } },
    { rule: { family: 'netdev', table: OBSERVER_TABLE, chain: 'tx0', handle: 5, comment: 'p0:datagram', expr: [{ counter: { packets: 1, bytes: 54 } }] } },
    { rule: { family: 'netdev', table: OBSERVER_TABLE, chain: 'tx0', handle: 6, comment: 'p1:datagram', expr: [{ counter: { packets: 7, bytes: 54 } }] } },
    { rule: { family: 'netdev', table: OBSERVER_TABLE, chain: 'tx1', handle: 7, comment: 'p0:datagram', expr: [{ counter: { packets: 0, bytes: 0 } }] } },
  ],
});

t.test('counts are read per device and per probe port', async (t) => {
  const devices = ['lo', 'wlan0'];
  const c = parseObserverCounts(listing, devices, 'p0:datagram');
  t.same(Object.fromEntries(c), { lo: { tx: 1, rx: 1 }, wlan0: { tx: 0, rx: 0 } });
  t.same(parseObserverCounts(listing, devices, 'p1:datagram').get('lo'), { tx: 7, rx: 0 });
  t.same(parseObserverCounts(listing, devices, 'nothing').get('wlan0'), { tx: 0, rx: 0 }, 'a device with no hit is still listed');
  t.same([...parseObserver(listing, devices).keys()], ['p0:datagram', 'p1:datagram']);
});

const probe = (over: Partial<ProbePlan['probe']>): ProbePlan => ({
  probe: {
    kind: 'udp',
    name: 'p',
    from: { node: 'laptop', address: '192.0.2.1' },
    to: { address: '192.0.2.2' },
    family: 4,
    timeoutMs: 1000,
    listen: true,
    loc: { line: 1, col: 1 },
    ...over,
  },
  port: 47000,
  marker: 'm',
  receiverNode: 'laptop',
});

t.test('the sender is bound to the source address, and to the device when the probe names one', async (t) => {
  t.same(senderArgv(probe({})), ['socat', '-u', '-', 'UDP4-SENDTO:192.0.2.2:47000,bind=192.0.2.1']);
  t.same(senderArgv(probe({ from: { node: 'laptop', address: '192.0.2.1', dev: 'wlan0' } })), [
    'socat', '-u', '-', 'UDP4-SENDTO:192.0.2.2:47000,bind=192.0.2.1,so-bindtodevice=wlan0',
  ]);
  t.same(
    senderArgv(probe({ family: 6, from: { node: 'laptop', address: '2001:db8::1' }, to: { address: '2001:db8::2' } })),
    ['socat', '-u', '-', 'UDP6-SENDTO:[2001:db8::2]:47000,bind=[2001:db8::1]'],
  );
});

t.test('tcp connects with a timeout, icmp pings with the probe\'s echo id', async (t) => {
  t.same(senderArgv(probe({ kind: 'tcp' })), [
    'socat', '-u', '-', 'TCP4:192.0.2.2:47000,bind=192.0.2.1,connect-timeout=1.000',
  ]);
  t.same(senderArgv(probe({ kind: 'icmp', timeoutMs: 1500 })), [
    'ping', '-4', '-c', '1', '-W', '2', '-e', '47000', '-I', '192.0.2.1', '192.0.2.2',
  ]);
  t.same(senderArgv(probe({ kind: 'icmp', family: 6, from: { node: 'laptop', address: '2001:db8::1', dev: 'wlan0' }, to: { address: '2001:db8::2' } })), [
    // -I twice: the device, then the source (ping alone with a device ignored the address).
    'ping', '-6', '-c', '1', '-W', '1', '-e', '47000', '-I', 'wlan0', '-I', '2001:db8::1', '2001:db8::2',
  ]);
});

t.test('the fallback senders carry the attributes they can, and run as the uid', async (t) => {
  const attributes = { tos: 16, mark: 7, uid: 1000, flowlabel: 0x12345 };
  const asUser = [
    'setpriv', '--reuid=1000', '--regid=1000', '--clear-groups',
    '--inh-caps=+net_raw,+net_admin,+net_bind_service', '--ambient-caps=+net_raw,+net_admin,+net_bind_service',
  ];
  t.same(senderArgv(probe({ kind: 'icmp', family: 6, from: { node: 'laptop', address: '2001:db8::1' }, to: { address: '2001:db8::2' }, attributes })), [
    ...asUser, 'ping', '-6', '-c', '1', '-W', '1', '-e', '47000', '-I', '2001:db8::1', '-Q', '16', '-m', '7', '-F', '12345', '2001:db8::2',
  ]);
  t.same(senderArgv(probe({ kind: 'udp', attributes: { tos: 16, sport: 1500 } })), [
    'socat', '-u', '-', 'UDP4-SENDTO:192.0.2.2:47000,bind=192.0.2.1:1500,ip-tos=16',
  ]);
});

t.test("a sender's complaint is reduced to its last words", async (t) => {
  const { lastLine } = await import('../../../src/probes/probe.js');
  t.equal(
    lastLine('2026/11/29 17:59:01 socat[123] E sendto(5, 0x55c31ed3c000, 27, 0, AF=2 203.0.113.7:47000, 16): Network is unreachable\n'),
    'Network is unreachable',
  );
  t.equal(lastLine('ping: connect: Network is unreachable\n'), 'connect: Network is unreachable');
});
