import t from 'tap';
import { seedYaml } from '../unit/fixtures.js';
import { lab, namespaces, needsRoot, scenarioFile } from './helpers.js';

const seedWith = (cases: string): string => seedYaml('small', cases);

t.test('a wrong expectation exits 1 and says what was expected and seen', { skip: needsRoot }, async (t) => {
  const file = scenarioFile(
    seedWith(`  - name: wrongly expects the wire
    probes: [ { udp: { from: laptop:192.0.2.1, to: 192.0.2.2 } } ]
    expect: { path: [laptop:wlan0, ap:port0, ap:port1, laptop:wlan1] }
`),
  );
  const r = await lab(['run', file]);
  t.equal(r.exitCode, 1);
  t.match(String(r.stdout), /✗ FAIL/);
  t.match(String(r.stdout), /✗ expected path \[laptop:wlan0,/);
  t.match(String(r.stdout), /saw \[laptop:lo\]/);
  const json = await lab(['run', file, '--format', 'json']);
  t.equal(json.exitCode, 1);
  const c = JSON.parse(String(json.stdout)).scenarios[0].cases[0];
  t.equal(c.status, 'fail');
  t.same(c.expectations[0], {
    what: 'udp 192.0.2.1 → 192.0.2.2: path',
    expected: ['laptop:wlan0', 'ap:port0', 'ap:port1', 'laptop:wlan1'],
    actual: ['laptop:lo'],
    ok: false,
  });
});

t.test('bad input exits 2 with file:line:col and creates no namespace', { skip: needsRoot }, async (t) => {
  const file = scenarioFile(
    seedWith(`  - name: typo
    probes: [ { udp: { from: laptop:192.0.2.1, to: 192.0.2.2 } } ]
    expect: { delivred: true }
`),
  );
  const before = await namespaces();
  const r = await lab(['run', file]);
  t.equal(r.exitCode, 2);
  t.match(String(r.stderr), new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:14:15: cases\\.0\\.expect\\.delivred: `));
  t.same(await namespaces(), before, 'no namespace was created');
});

t.test('an unknown case name is a usage error', { skip: needsRoot }, async (t) => {
  const r = await lab(['run', '--case', 'no such case']);
  t.equal(r.exitCode, 2);
  t.match(String(r.stderr), /no case named "no such case"/);
});

t.test('without root, lab run exits 3 and says how to get the capability', { skip: needsRoot }, async (t) => {
  const r = await lab(['run'], { uid: 65534, gid: 65534 });
  t.equal(r.exitCode, 3, String(r.stderr));
  t.match(String(r.stderr), /root/);
});

t.test('lab doctor reports what this host can do, and leaves nothing behind', { skip: needsRoot }, async (t) => {
  const before = await namespaces();
  const r = await lab(['doctor']);
  t.equal(r.exitCode, 0, String(r.stdout));
  for (const cap of ['root', 'iproute2', 'nftables', 'socat', 'netns', 'veth', 'bridge', 'nft netdev ingress/egress']) {
    t.match(String(r.stdout), new RegExp(`│ ${cap.replace('/', '\\/')}\\s+│ ok`), `${cap} ok`);
  }
  t.same(await namespaces(), before, 'the scratch namespace is gone');
});
