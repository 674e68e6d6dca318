// Reply and handshake expectations in every report: the answer's path, expected and actual.
import t from 'tap';
import { parseScenario } from '../../../src/model/load.js';
import { githubAnnotations } from '../../../src/report/github.js';
import { jsonReport } from '../../../src/report/json.js';
import { junitReport } from '../../../src/report/junit.js';
import { locateCases } from '../../../src/report/locate.js';
import { tableReport } from '../../../src/report/table.js';
import { tapReport } from '../../../src/report/tap.js';
import type { CaseResult } from '../../../src/types/result.js';
import { seedYaml } from '../fixtures.js';
import { probe } from './fixtures.js';

const FILE = 'scenarios/replies.yaml';
const YAML = seedYaml('replies', `  - name: answers
    probes:
      - icmp: { from: laptop:192.0.2.1, to: 192.0.2.2 }
        expect:
          reply: { delivered: false }
      - tcp: { from: laptop:192.0.2.1, to: "192.0.2.2:80" }
        expect: { handshake: false }
`);
const BACK = ['laptop:wlan1', 'ap:port1', 'ap:port0', 'laptop:wlan0'];
const icmp = 'icmp 192.0.2.1 → 192.0.2.2';
const tcp = 'tcp 192.0.2.1 → 192.0.2.2:80';
const answers: CaseResult = {
  name: 'answers',
  status: 'fail',
  probes: [
    probe({ name: icmp, proto: 'icmp', reply: { delivered: true, path: BACK, devices: {}, reason: null, explanation: 'the echo reply came back' } }),
    probe({ name: tcp, proto: 'tcp', handshake: true, reply: { delivered: true, path: BACK, devices: {}, reason: null, explanation: 'the SYN-ACK came back' } }),
  ],
  expectations: [
    { what: `${icmp}: reply.delivered`, expected: false, actual: true, ok: false },
    { what: `${tcp}: handshake`, expected: false, actual: true, ok: false },
  ],
  durationMs: 10,
};
const results = [{ name: 'replies', file: FILE, kernel: '6.18.0-test', cases: [answers] }];

t.test('table: the way back under the request, and each failed expectation', async (t) => {
  const out = tableReport(results, { width: 200 });
  t.match(out, /↩ laptop:wlan1 → ap:port1 →\s/, "the way back starts on its own line");
  t.match(out, /✗ expected reply\.delivered false, saw true/);
  t.match(out, /✗ expected handshake false, saw true/);
});

t.test('json: a reply object per icmp/tcp probe, and the expectations', async (t) => {
  const doc = JSON.parse(jsonReport(results));
  const [p1, p2] = doc.scenarios[0].cases[0].probes;
  t.same([p1.reply.delivered, p1.reply.path, p1.reply.explanation], [true, BACK, 'the echo reply came back']);
  t.equal(p2.handshake, true);
  t.same(doc.scenarios[0].cases[0].expectations[0], { what: `${icmp}: reply.delivered`, expected: false, actual: true, ok: false });
});

t.test('tap and junit: expected and actual of reply and handshake', async (t) => {
  const tap = tapReport(results);
  t.match(tap, /reply:\n\s+delivered: true\n\s+path:/);
  t.match(tap, /what: "icmp 192\.0\.2\.1 → 192\.0\.2\.2: reply\.delivered"\n\s+expected: false\n\s+actual: true/);
  const junit = junitReport(results);
  t.match(junit, /reply: laptop:wlan1 → ap:port1 → ap:port0 → laptop:wlan0 \(delivered\), handshake completed/);
  t.match(junit, /expected handshake false, saw true/);
});

t.test('github: each failure annotated on its own key', async (t) => {
  const locations = locateCases(parseScenario(YAML, FILE), YAML);
  const out = githubAnnotations(results, locations);
  t.match(out, /line=16,col=11,.*expected reply\.delivered false, saw true/);
  t.match(out, /line=18,col=19,.*expected handshake false, saw true/);
});
