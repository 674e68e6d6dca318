// reply: and handshake: expectations (issue 14 item 4): resolved into the model, refused where the
// probe kind has no reply or no handshake, every problem at once with its position.
import t from 'tap';
import { parseScenario } from '../../../src/recipes/scenario.js';
import { seedYaml } from '../fixtures.js';
import { problem, problemsOf, withCases } from './fixtures/helpers.js';

t.test('reply and handshake resolve, reply.path as device refs', async (t) => {
  const s = parseScenario(seedYaml('replies', [
    '  - name: answers',
    '    probes:',
    '      - icmp: { from: laptop:192.0.2.1, to: 192.0.2.2 }',
    '        expect: { reply: { delivered: false, reason: PROHIBIT, path: [laptop:wlan1] } }',
    '      - tcp: { from: laptop:192.0.2.1, to: "192.0.2.2:80" }',
    '        expect: { handshake: true, reply: { delivered: true } }',
    '',
  ].join('\n')), 'replies.yaml');
  const [icmp, tcp] = s.cases[0]!.probes;
  t.same(icmp?.expect?.reply, { delivered: false, reason: 'PROHIBIT', path: [{ node: 'laptop', dev: 'wlan1' }] });
  t.equal(tcp?.expect?.handshake, true);
  t.same(tcp?.expect?.reply, { delivered: true });
});

t.test('a udp reply, an icmp handshake, an unknown reply key and an undeclared device: all at once', async (t) => {
  t.strictSame(problemsOf(withCases(
    '  - name: wrong kinds',                                                               // 12
    '    probes:',
    '      - udp: { from: laptop:192.0.2.1, to: 192.0.2.2 }',                               // 14
    '        expect: { reply: { delivered: true } }',
    '      - icmp: { from: laptop:192.0.2.1, to: 192.0.2.2 }',                              // 16
    '        expect: { handshake: true, reply: { path: [laptop:wlan7], via: [] } }',
  )), [
    problem(15, 26, 'cases.0.probes.0.expect.reply', 'a udp probe has no reply to expect: reply is for icmp and tcp probes'),
    problem(17, 30, 'cases.0.probes.1.expect.handshake', 'handshake is for tcp probes; this is icmp'),
    problem(17, 52, 'cases.0.probes.1.expect.reply.path.0', 'laptop:wlan7 is not a device of laptop (it has: lo, wlan0, wlan1)'),
    problem(17, 67, 'cases.0.probes.1.expect.reply.via', 'unknown key "via" (allowed here: delivered, path, reason)'),
  ]);
  t.strictSame(problemsOf(withCases(
    '  - name: right kinds',
    '    probes:',
    '      - tcp: { from: laptop:192.0.2.1, to: "192.0.2.2:80" }',
    '        expect: { handshake: true, reply: { delivered: true } }',
  )), [], 'control: the same keys on a tcp probe are fine');
});
