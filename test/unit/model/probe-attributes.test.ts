// Probe attributes and route:/reject: expectations: every validation message, and the model.
import t from 'tap';
import { parseScenario } from '../../../src/recipes/scenario.js';
import { FILE, problem, problemsOf, text, TOPOLOGY, withCases } from './fixtures/helpers.js';

t.test('each attribute out of range, or where its kind or family has no such thing, is reported at its key', async (t) => {
  t.strictSame(problemsOf(withCases(
    '  - name: attributes',                                                                       // 12
    '    probes:',
    '      - udp: { from: laptop:192.0.2.1, to: 192.0.2.2, tos: 16, dscp: 4, flowlabel: 5 }',        // 14
    '      - icmp: { from: laptop:192.0.2.1, to: 192.0.2.2, sport: 5, tos: 256, dscp: 64 }',
    '      - tcp: { from: laptop:192.0.2.1, to: "192.0.2.2:80", sport: 0, mark: -1, uid: 1.5 }',
    '      - udp: { from: laptop:2001:db8::2, to: 2001:db8::2, flowlabel: 0x100000, mark: "0x1g" }', // 17
  )), [
    problem(14, 70, 'cases.0.probes.0.udp.dscp', 'tos and dscp set the same bits (tos = dscp × 4): give one of them (tos 16, dscp 4)'),
    problem(14, 84, 'cases.0.probes.0.udp.flowlabel', 'flowlabel is an IPv6 header field: this probe is IPv4'),
    problem(15, 63, 'cases.0.probes.1.icmp.sport', 'an icmp probe has no source port (sport is for udp and tcp)'),
    problem(15, 71, 'cases.0.probes.1.icmp.tos', 'tos must be a whole number from 0 to 255 (decimal, or hex like 0xff)'),
    problem(15, 82, 'cases.0.probes.1.icmp.dscp', 'dscp must be a whole number from 0 to 63 (decimal, or hex like 0x3f)'),
    problem(16, 67, 'cases.0.probes.2.tcp.sport', 'sport must be a whole number from 1 to 65535 (decimal, or hex like 0xffff)'),
    problem(16, 76, 'cases.0.probes.2.tcp.mark', 'mark must be a whole number from 0 to 4294967295 (decimal, or hex like 0xffffffff)'),
    problem(16, 85, 'cases.0.probes.2.tcp.uid', 'uid must be a whole number from 0 to 4294967294 (decimal, or hex like 0xfffffffe)'),
    problem(17, 70, 'cases.0.probes.3.udp.flowlabel', 'flowlabel must be a whole number from 0 to 1048575 (decimal, or hex like 0xfffff)'),
    problem(17, 86, 'cases.0.probes.3.udp.mark', 'mark must be a whole number from 0 to 4294967295 (decimal, or hex like 0xffffffff)'),
  ]);
});

t.test('attributes reach the model: dscp as its tos byte, hex strings as numbers', async (t) => {
  const s = parseScenario(withCases(
    '  - name: ok',
    '    probes:',
    '      - udp: { from: laptop:192.0.2.1, to: 192.0.2.2, dscp: 46, mark: "0x10", sport: 1500, uid: 1000 }',
    '      - icmp: { from: laptop:2001:db8::2, to: 2001:db8::2, tos: 0x10, flowlabel: 0x12345 }',
    '      - tcp: { from: laptop:192.0.2.1, to: "192.0.2.2:80" }',
  ), FILE);
  const probes = s.cases[0]?.probes ?? [];
  t.same(probes[0]?.attributes, { tos: 184, mark: 16, sport: 1500, uid: 1000 });
  t.same(probes[1]?.attributes, { tos: 16, flowlabel: 0x12345 });
  t.equal(probes[2]?.attributes, undefined, 'no attributes: none in the model');
});

t.test('route: tables resolve through tables: and the kernel names; reject: is one of four', async (t) => {
  const lines = [...TOPOLOGY, 'tables: { wan: 100 }', 'cases:',
    '  - name: route',                                                                                 // 13
    '    expect: { route: { table: wan, dev: wlan0, via: 192.0.2.254, src: 192.0.2.1, type: unicast } }',
    '    probes:',
    '      - udp: { from: laptop:192.0.2.1, to: 192.0.2.2 }',
    '        expect: { route: { table: main }, reject: prohibit }',
    '      - udp: { from: laptop:192.0.2.1, to: 192.0.2.2 }',
    '        expect: { route: { table: 300 } }'];
  const s = parseScenario(text(...lines), FILE);
  t.same(s.cases[0]?.expect.route, { table: { name: 'wan', id: 100 }, dev: 'wlan0', via: '192.0.2.254', src: '192.0.2.1', type: 'unicast' });
  t.same(s.cases[0]?.probes[0]?.expect?.route, { table: { name: 'main', id: 254 } });
  t.equal(s.cases[0]?.probes[0]?.expect?.reject, 'prohibit');
  t.same(s.cases[0]?.probes[1]?.expect?.route, { table: { name: '300', id: 300 } });

  t.strictSame(problemsOf(text(...lines.slice(0, -4),
    '      - udp: { from: laptop:192.0.2.1, to: 192.0.2.2 }',                                      // 16
    '        expect: { route: { type: sideways }, reject: refused }')), [
    problem(17, 34, 'cases.0.probes.0.expect.route.type', 'must be one of "unicast", "local", "broadcast", "multicast", ' +
      '"anycast", "blackhole", "unreachable", "prohibit", "throw", "nat", not the text "sideways"'),
    problem(17, 54, 'cases.0.probes.0.expect.reject', 'must be one of "unreachable", "prohibit", "blackhole", "no-route", not the text "refused"'),
  ]);
  t.strictSame(problemsOf(text(...lines.slice(0, -4),
    '      - udp: { from: laptop:192.0.2.1, to: 192.0.2.2 }',                                      // 16
    '        expect: { route: { table: lan } }')), [
    problem(17, 35, 'cases.0.probes.0.expect.route.table', 'unknown table "lan" (known: default, main, local, wan, or a number)'),
  ]);
});
