import t from 'tap';
import { OBSERVER_TABLE, observerRuleset, parseObserverCounts } from '../../../src/probes/observe.js';
import { senderArgv } from '../../../src/probes/udp.js';
import type { ProbePlan } from '../../../src/plan/plan.js';

t.test('the observer ruleset has an ingress and an egress chain per device, a counter per probe port', async (t) => {
  const text = observerRuleset(['lo', 'wlan0'], [47000, 47001]);
  t.match(text, new RegExp(`^table netdev ${OBSERVER_TABLE} \\{`));
  t.match(text, /chain rx0 \{\n\s+type filter hook ingress device "lo" priority -500; policy accept;/);
  t.match(text, /chain tx1 \{\n\s+type filter hook egress device "wlan0" priority -500;/);
  t.equal(text.match(/udp dport 47000 counter comment "port 47000"/g)?.length, 4);
  t.equal(text.match(/udp dport 47001 counter/g)?.length, 4);
});

// Shape of `nft -j list table netdev …` as nftables 1.0.6 prints it: chains carry no device.
const listing = JSON.stringify({
  nftables: [
    { metainfo: { version: '1.0.6', json_schema_version: 1 } },
    { table: { family: 'netdev', name: OBSERVER_TABLE, handle: 1 } },
    { chain: { family: 'netdev', table: OBSERVER_TABLE, name: 'rx0', handle: 1, type: 'filter', hook: 'ingress', prio: -500, policy: 'accept' } },
    { chain: { family: 'netdev', table: OBSERVER_TABLE, name: 'tx0', handle: 2, type: 'filter', hook: 'egress', prio: -500, policy: 'accept' } },
    { chain: { family: 'netdev', table: OBSERVER_TABLE, name: 'tx1', handle: 3, type: 'filter', hook: 'egress', prio: -500, policy: 'accept' } },
    { rule: { family: 'netdev', table: OBSERVER_TABLE, chain: 'rx0', handle: 4, comment: 'port 47000', expr: [{ match: {} }, { counter: { packets: 1, bytes: 40 } }] } },
    { rule: { family: 'netdev', table: OBSERVER_TABLE, chain: 'tx0', handle: 5, comment: 'port 47000', expr: [{ counter: { packets: 1, bytes: 54 } }] } },
    { rule: { family: 'netdev', table: OBSERVER_TABLE, chain: 'tx0', handle: 6, comment: 'port 47001', expr: [{ counter: { packets: 7, bytes: 54 } }] } },
    { rule: { family: 'netdev', table: OBSERVER_TABLE, chain: 'tx1', handle: 7, comment: 'port 47000', expr: [{ counter: { packets: 0, bytes: 0 } }] } },
  ],
});

t.test('counts are read per device and per probe port', async (t) => {
  const devices = ['lo', 'wlan0'];
  const c = parseObserverCounts(listing, devices, 47000);
  t.same(Object.fromEntries(c), { lo: { tx: 1, rx: 1 }, wlan0: { tx: 0, rx: 0 } });
  t.same(parseObserverCounts(listing, devices, 47001).get('lo'), { tx: 7, rx: 0 });
  t.same(parseObserverCounts(listing, devices, 1).get('wlan0'), { tx: 0, rx: 0 }, 'a device with no hit is still listed');
});

const probe = (over: Partial<ProbePlan['probe']>): ProbePlan => ({
  probe: {
    kind: 'udp',
    name: 'p',
    from: { node: 'laptop', address: '192.0.2.1' },
    to: { address: '192.0.2.2' },
    family: 4,
    timeoutMs: 1000,
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
