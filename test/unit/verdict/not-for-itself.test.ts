// IP_INADDRERRORS and IpInAddrErrors at the receiving node: "not for me, and I do not forward"
// (measured by hand on 6.18.44: /tmp/fibpid/gone.sh, see src/verdict/not-for-itself.ts), which lab
// read as MARTIAN_SOURCE before: the receiver's input route is refused "No route to host".
import t from 'tap';
import type { Probe } from '../../../src/types/scenario.js';
import type { ProbeObservation } from '../../../src/types/observation.js';
import { diagnose } from '../../../src/verdict/diagnose.js';
import { notForItself } from '../../../src/verdict/not-for-itself.js';

const probe: Probe = {
  kind: 'icmp', name: 'p', from: { node: 'a', address: '192.0.2.1' }, to: { address: '203.0.113.9' },
  family: 4, timeoutMs: 1000, listen: false, loc: { line: 1, col: 1 },
};
const path = ['a:eth0', 'b:eth0'];
const devices = { 'a:eth0': { tx: 1, rx: 0 }, 'b:eth0': { tx: 0, rx: 1 } };
const noRoute = { dev: 'eth0', decision: { ok: false as const, error: 'No route to host' } };
const sysctls = { 'all.accept_local': 0, 'eth0.accept_local': 0, 'all.rp_filter': 0, 'eth0.rp_filter': 0 };
const obs = (o: Partial<ProbeObservation>): ProbeObservation => ({
  delivered: false, path, devices, legs: [], neighbours: [], counters: {}, firewalled: [], limits: [],
  inputRoute: noRoute, inputSysctls: sysctls, ...o,
});

t.test('the drop reason or the counter at the receiver: FORWARDING_OFF, said so', async (t) => {
  const explained = diagnose(probe, obs({ dropReasons: [{ reason: 'IP_INADDRERRORS', count: 1 }], counters: { b: { IpInAddrErrors: 1 } } }), 'b');
  t.equal(explained.cause, 'FORWARDING_OFF');
  t.equal(explained.explanation, 'not delivered (FORWARDING_OFF): b received it on eth0 for 203.0.113.9, which is not an address of its own there, ' +
    'and does not forward it (IpInAddrErrors +1, kfree_skb IP_INADDRERRORS)');
  t.equal(diagnose(probe, obs({ dropReasons: [{ reason: 'IP_INADDRERRORS', count: 1 }] }), 'b').cause, 'FORWARDING_OFF', 'the drop reason alone (--explain)');
  t.equal(diagnose(probe, obs({ counters: { b: { IpInAddrErrors: 1 } } }), 'b').cause, 'FORWARDING_OFF', 'the counter alone');
});

t.test('negative control: without the kernel saying so it stays what it was', async (t) => {
  t.equal(diagnose(probe, obs({}), 'b').cause, 'MARTIAN_SOURCE', 'only the refused input route: as before');
  t.equal(notForItself(probe, obs({ counters: { a: { IpInAddrErrors: 1 } } }), 'b'), undefined, 'the counter of another node');
  const refusedOtherwise = obs({ inputRoute: { dev: 'eth0', decision: { ok: false, error: 'Invalid argument' } }, dropReasons: [{ reason: 'IP_INADDRERRORS', count: 1 }] });
  t.equal(notForItself(probe, refusedOtherwise, 'b'), undefined, 'an input route refused for another reason (a martian source says EINVAL)');
});

t.test('IP_INADDRERRORS as the last word: FORWARDING_OFF where nothing else names a cause', async (t) => {
  const { inputRoute: _, ...noInput } = obs({ path: ['a:eth0'], devices: { 'a:eth0': { tx: 1, rx: 0 } }, dropReasons: [{ reason: 'IP_INADDRERRORS', count: 1 }] });
  const d = diagnose(probe, noInput, 'b');
  t.equal(d.cause, 'FORWARDING_OFF');
  t.match(d.explanation, /drop reason during the probe says so \(IP_INADDRERRORS\)/);
});
