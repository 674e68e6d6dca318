import t from 'tap';
import { checkLinearSize, floorBatch, linearScenarioText } from '../../../src/bench/linear.js';
import { parseScenario } from '../../../src/recipes/scenario.js';
import { planCase } from '../../../src/plan/plan.js';

t.test('linear,N is N hosts and N bridged switches in a chain, valid for the real loader', async (t) => {
  const s = parseScenario(linearScenarioText(3), 'linear-3');
  t.same(s.nodes.map((n) => `${n.name}${n.bridge ? `/${n.bridge}` : ''}`), ['h1', 'h2', 'h3', 's1/br0', 's2/br0', 's3/br0']);
  t.same(
    s.links.map((l) => l.ends.map((e) => `${e.node}:${e.dev}`).join('-')),
    ['h1:eth0-s1:eth1', 'h2:eth0-s2:eth1', 'h3:eth0-s3:eth1', 's1:eth2-s2:eth3', 's2:eth2-s3:eth3'],
  );
  t.same(s.addresses.map((a) => `${a.ref.node}:${a.cidr}`), ['h1:198.51.100.1/24', 'h2:198.51.100.2/24', 'h3:198.51.100.3/24']);
  const plan = planCase(s, 0, 'lab-test');
  t.equal(plan.namespaces.length, 6, 'one namespace per host and per switch');
  t.ok(plan.namespaces.every((n) => n.netns.startsWith('lab-test-')), 'every namespace carries the prefix');
});

t.test('the largest linear,N still validates; sizes outside 2..250 are refused', async (t) => {
  t.equal(parseScenario(linearScenarioText(250), 'linear-250').nodes.length, 500);
  t.equal(checkLinearSize(2), undefined);
  t.match(checkLinearSize(1), /from 2 to 250, got 1/);
  t.match(checkLinearSize(251), /got 251/);
  t.match(checkLinearSize(2.5), /integer/);
});

t.test('the floor makes the same namespaces and veth pairs in one batch, and deletes them in one', async (t) => {
  const b = floorBatch('lab-x-f3', 3);
  t.same(b.namespaces, ['lab-x-f3-h1', 'lab-x-f3-s1', 'lab-x-f3-h2', 'lab-x-f3-s2', 'lab-x-f3-h3', 'lab-x-f3-s3']);
  const create = b.create.trim().split('\n');
  t.equal(create.filter((l) => l.startsWith('netns add ')).length, 6);
  const veths = create.filter((l) => l.startsWith('link add '));
  t.equal(veths.length, 5, 'N host cables and N-1 switch cables');
  t.ok(veths.every((l) => /^link add \S+ netns lab-x-f3-\S+ type veth peer name \S+ netns lab-x-f3-\S+$/.test(l)),
    'both ends are created inside namespaces, never in the root namespace');
  t.equal(veths[3], 'link add eth2 netns lab-x-f3-s1 type veth peer name eth3 netns lab-x-f3-s2');
  t.same(b.remove.trim().split('\n'), b.namespaces.map((n) => `netns del ${n}`));
});
