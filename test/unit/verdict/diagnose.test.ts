import t from 'tap';
import type { Probe } from '../../../src/types/scenario.js';
import type { ProbeObservation } from '../../../src/types/observation.js';
import { diagnose } from '../../../src/verdict/diagnose.js';
import { seedCase } from '../fixtures.js';

const probe: Probe = seedCase().probes[0]!;
const wire = ['laptop:wlan0', 'ap:port0', 'ap:port1', 'laptop:wlan1'];
const arrivedCounts = {
  'laptop:wlan0': { tx: 1, rx: 0 },
  'ap:port0': { tx: 0, rx: 1 },
  'ap:port1': { tx: 1, rx: 0 },
  'laptop:wlan1': { tx: 0, rx: 1 },
};
const obs = (o: Partial<ProbeObservation>): ProbeObservation => ({
  delivered: false, path: [], devices: {}, legs: [], neighbours: [], counters: {}, firewalled: [], limits: [], ...o,
});
const refused = { dev: 'wlan1', decision: { ok: false as const, error: 'Invalid argument' } };
const sysctls = (al: number, rp: number) => ({ 'all.accept_local': al, 'wlan1.accept_local': al, 'all.rp_filter': rp, 'wlan1.rp_filter': rp });

t.test('delivered: no cause, and whether it crossed the wire', async (t) => {
  const lo = diagnose(probe, obs({ delivered: true, path: ['laptop:lo'] }), 'laptop');
  t.equal(lo.cause, undefined);
  t.equal(lo.explanation, 'delivered through laptop:lo; nothing crossed the wire');
  t.equal(diagnose(probe, obs({ delivered: true, path: wire }), 'laptop').explanation, 'delivered over the wire, received on laptop:wlan1');
  const radios = new Set(['laptop:wlan0', 'laptop:wlan1']);
  t.equal(
    diagnose(probe, obs({ delivered: true, path: ['laptop:wlan0', 'laptop:wlan1'] }), 'laptop', undefined, radios).explanation,
    'delivered over the air, received on laptop:wlan1',
    'through radios it is the air',
  );
});

t.test('NEIGH_FAILED: nothing left and the neighbour entry never resolved; the refusing NIC is named', async (t) => {
  const entry = { node: 'laptop', dev: 'wlan0', address: '192.0.2.2', state: 'INCOMPLETE' };
  const plain = diagnose(probe, obs({ neighbours: [entry] }), 'laptop');
  t.equal(plain.cause, 'NEIGH_FAILED');
  const why = diagnose(probe, obs({ neighbours: [entry], inputRoute: refused, inputSysctls: sysctls(0, 2) }), 'laptop');
  t.equal(why.explanation, 'not delivered (NEIGH_FAILED): neighbour 192.0.2.2 on laptop:wlan0 is INCOMPLETE; ' +
    'laptop:wlan1 heard the ARP request but refuses its sender address 192.0.2.1 (accept_local 0, rp_filter 2)');
  t.ok(why.evidence.includes('on laptop:wlan1: accept_local 0 (all 0, wlan1 0), rp_filter 2 (all 2, wlan1 2)'));
  // Two nodes may both have a wlan1 (an eth0): the input-side lines name the receiving node.
  t.ok(why.evidence.includes('route get on laptop input (iif wlan1): refused: Invalid argument'), why.evidence.join('\n'));
});

t.test('MARTIAN_SOURCE: it arrived, the input route refuses it, accept_local is 0', async (t) => {
  const d = diagnose(probe, obs({ path: wire, devices: arrivedCounts, inputRoute: refused, inputSysctls: sysctls(0, 0) }), 'laptop');
  t.equal(d.cause, 'MARTIAN_SOURCE');
});

t.test('RPFILTER: the counter moved, or the input route refuses with accept_local on and rp_filter set', async (t) => {
  const counted = diagnose(probe, obs({ path: wire, devices: arrivedCounts, inputRoute: { dev: 'wlan1', decision: { ok: true, type: 'local', dev: 'lo', table: 'local' } }, counters: { laptop: { TcpExtIPReversePathFilter: 1 } } }), 'laptop');
  t.equal(counted.cause, 'RPFILTER');
  const routed = diagnose(probe, obs({ path: wire, devices: arrivedCounts, inputRoute: refused, inputSysctls: sysctls(1, 1) }), 'laptop');
  t.equal(routed.cause, 'RPFILTER');
});

t.test('NO_ROUTE: the sender says so, or route get does', async (t) => {
  t.equal(diagnose(probe, obs({ sendError: 'sendto(5, …): Network is unreachable' }), 'laptop').cause, 'NO_ROUTE');
  t.equal(diagnose(probe, obs({ prediction: { ok: false, error: 'Network is unreachable' } }), 'laptop').cause, 'NO_ROUTE');
});

t.test('NO_LISTENER: it arrived where nothing listens', async (t) => {
  const quiet = { ...probe, listen: false };
  t.equal(diagnose(quiet, obs({ path: wire, devices: arrivedCounts }), 'laptop').cause, 'NO_LISTENER');
  const counted = diagnose(probe, obs({ path: wire, devices: arrivedCounts, counters: { laptop: { UdpNoPorts: 1 } } }), 'laptop');
  t.equal(counted.cause, 'NO_LISTENER');
});

t.test('FILTERED: refused by the local firewall, or vanished in a node with a ruleset', async (t) => {
  t.equal(diagnose(probe, obs({ sendError: 'Operation not permitted', firewalled: ['laptop'] }), 'laptop').cause, 'FILTERED');
  t.equal(diagnose(probe, obs({ path: ['laptop:wlan0', 'ap:port0'], devices: arrivedCounts, firewalled: ['ap'] }), 'laptop').cause, 'FILTERED');
});

t.test('a kernel drop reason names the cause when nothing else does', async (t) => {
  const d = diagnose(probe, obs({ path: ['laptop:wlan0'], dropReasons: [{ reason: 'NETFILTER_DROP', count: 1 }] }), 'laptop');
  t.equal(d.cause, 'FILTERED');
  t.ok(d.evidence.includes('kfree_skb: NETFILTER_DROP ×1'));
});

t.test('UNKNOWN when the evidence fits nothing, never a guess', async (t) => {
  const d = diagnose(probe, obs({ path: ['laptop:wlan0'] }), 'laptop');
  t.equal(d.cause, 'UNKNOWN');
  t.match(d.explanation, /last seen on laptop:wlan0/);
});
