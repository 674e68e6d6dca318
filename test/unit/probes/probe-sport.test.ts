// Each udp/tcp probe of a case gets a source port of its own, and the observer rules match it: a
// probe whose connect the kernel refused (no SYN sent) must not show the path of a sibling probe
// to the same destination port. Hand (selftest-fib-rules "rule4 dsfield 0x04 udp and tcp
// connect", kernel 6.18): `tcp 0x20`'s connect failed with ENETUNREACH and sent nothing, while
// `tcp 0x04`/`tcp 0x07` to :80 crossed t:eth1 and p:eth1; counting by dport alone gave 0x20 their path.
import t from 'tap';
import { FIRST_PROBE_SPORT, planCase } from '../../../src/plan/plan.js';
import { probeLegs } from '../../../src/probes/legs.js';
import { seedCase, seedScenario } from '../fixtures.js';
import type { Probe } from '../../../src/types/scenario.js';

t.test('lab picks a distinct source port per udp/tcp probe, keeping one the probe names; none for icmp', async (t) => {
  const base = seedCase().probes[0];
  if (!base) throw new Error('fixture');
  const tcp80: Probe = { ...base, kind: 'tcp', to: { address: '192.0.2.2', port: 80 } };
  const c = seedCase({
    probes: [
      tcp80,
      tcp80,
      { ...tcp80, attributes: { sport: FIRST_PROBE_SPORT } },
      { ...base, kind: 'icmp', to: { address: '192.0.2.2' } },
      base,
    ],
  });
  const probes = planCase(seedScenario([c]), 0, 'lab-x').probes;
  t.same(probes.map((p) => p.sport), [FIRST_PROBE_SPORT + 1, FIRST_PROBE_SPORT + 2, FIRST_PROBE_SPORT, undefined, FIRST_PROBE_SPORT + 3]);
});

t.test('two tcp probes to the same port: their SYN and SYN-ACK rules differ by the source port', async (t) => {
  const base = seedCase().probes[0];
  if (!base) throw new Error('fixture');
  const tcp80: Probe = { ...base, kind: 'tcp', to: { address: '192.0.2.2', port: 80 } };
  const [a, b] = planCase(seedScenario([seedCase({ probes: [tcp80, tcp80] })]), 0, 'lab-x').probes;
  if (!a || !b) throw new Error('plan');
  const [synA, ackA] = probeLegs(a, 0);
  const [synB, ackB] = probeLegs(b, 1);
  t.equal(synA?.match, `meta l4proto tcp tcp sport ${a.sport} tcp dport 80 tcp flags & (syn | ack) == syn`);
  t.equal(ackA?.match, `meta l4proto tcp tcp sport 80 tcp dport ${a.sport} tcp flags & (syn | rst) != 0`);
  t.not(synA?.match, synB?.match, 'the SYNs are told apart');
  t.not(ackA?.match, ackB?.match, 'the answers too');
  const udp = probeLegs({ ...a, probe: { ...a.probe, kind: 'udp' } }, 2)[0];
  t.equal(udp?.match, `meta l4proto udp udp sport ${a.sport} udp dport 80`);
  const { sport: _, ...unknown } = a;
  t.equal(probeLegs(unknown, 3)[0]?.match, 'meta l4proto tcp tcp dport 80 tcp flags & (syn | ack) == syn', 'no sport known: dport alone');
});
