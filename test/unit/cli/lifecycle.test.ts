import t from 'tap';
import type { RunState } from '../../../src/backends/state.js';
import { exitCodeOf, findExecutable } from '../../../src/cli/attach.js';
import { decide } from '../../../src/cli/clean.js';
import { formatAge, summarize } from '../../../src/cli/labs.js';
import { listTable } from '../../../src/cli/list.js';
import { describeUp, pickCase } from '../../../src/cli/up.js';
import { planCase } from '../../../src/plan/plan.js';
import { seedCase, seedScenario } from '../fixtures.js';

const state = (over: Partial<RunState>): RunState => ({
  runId: 'abc123', prefix: 'lab-abc123', pid: 4242, pidStart: '1', startedAt: new Date(0).toISOString(),
  scenarios: ['s.yaml'], namespaces: ['lab-abc123-c0-a'], ...over,
});
const alive = () => true;
const dead = () => false;
const exists = () => true;
const gone = () => false;

t.test('lab clean removes exactly the labs whose owner died before finishing', async (t) => {
  t.equal(decide(state({ kind: 'run', status: 'running' }), alive, exists).action, 'keep', 'a live run');
  t.equal(decide(state({ kind: 'run', status: 'running' }), dead, exists).action, 'remove', 'a killed run');
  t.equal(decide(state({}), dead, exists).action, 'remove', 'a killed run of an older lab');
  t.equal(decide(state({ kind: 'kept', status: 'building' }), alive, exists).action, 'keep', 'lab up at work');
  t.equal(decide(state({ kind: 'kept', status: 'building' }), dead, exists).action, 'remove', 'lab up killed while building');
  t.equal(decide(state({ kind: 'kept', status: 'up' }), dead, exists).action, 'keep', 'a kept lab');
  t.match(decide(state({ kind: 'kept', status: 'up' }), dead, exists).why, /lab down abc123/);
  t.equal(decide(state({ kind: 'kept', status: 'up' }), dead, gone).action, 'forget', 'a kept lab whose namespaces are all gone');
  t.equal(decide(state({ kind: 'kept', status: 'tearing-down' }), dead, exists).action, 'remove', 'lab down killed half-way');
});

t.test('lab list shows id, kind, backend, status, scenario, case, age and owner', async (t) => {
  const now = 3_725_000;
  const labs = [
    summarize({ path: '/run/netns-lab/abc123.json', state: state({ kind: 'kept', status: 'up', lab: { scenario: 'seed', file: 's.yaml', case: 'c1', caseIndex: 0, nodes: [{ node: 'a', netns: 'lab-abc123-c0-a' }] } }) }, now, dead),
    summarize({ path: '/run/netns-lab/def456.json', state: state({ runId: 'def456', kind: 'run', status: 'running' }) }, now, alive),
    summarize({ path: '/run/netns-lab/0a0a0a.json', state: state({ runId: '0a0a0a', pid: 77 }) }, now, dead),
  ];
  t.same(labs[0]!.nodes, { a: 'lab-abc123-c0-a' });
  const table = listTable(labs).split('\n');
  t.match(table[0], /^id\s+kind\s+backend\s+status\s+scenario\s+case\s+age\s+owner\s+namespaces$/);
  t.match(table[1], /^abc123\s+kept\s+host\s+up\s+seed\s+c1\s+1h02m\s+kept\s+1$/);
  t.match(table[2], /^def456\s+run\s+host\s+running\s+s\.yaml\s+\(all selected\)\s+1h02m\s+4242 alive\s+1$/);
  t.match(table[3], /^0a0a0a\s+run\s+host\s+dead \(lab clean removes it\)\s+s\.yaml.*77 gone/);
  t.match(listTable([]), /no labs/);
  t.equal(formatAge(59_000), '59s');
  t.equal(formatAge(61_000), '1m01s');
  t.equal(formatAge(90_000_000), '1d01h');
});

t.test('lab up picks the named case, or the first, and says how to reach each node', async (t) => {
  const scenario = seedScenario([seedCase({ name: 'one' }), seedCase({ name: 'two' })]);
  t.equal(pickCase(scenario, undefined), 0);
  t.equal(pickCase(scenario, 'two'), 1);
  t.throws(() => pickCase(scenario, 'three'), /no case named "three".*\n  one\n  two/s);
  const text = describeUp('abc123', scenario, planCase(scenario, 1, 'lab-abc123'));
  t.match(text, /^lab abc123 is up: laptop-two-nics › two\n/);
  t.match(text, /case 2 of 2/);
  t.match(text, /laptop\s+lab-abc123-c1-laptop\s+lo, wlan0 192\.0\.2\.1\/24, wlan1 192\.0\.2\.2\/24/);
  t.match(text, /ap\s+lab-abc123-c1-ap\s+lo, br0, port0, port1/);
  t.match(text, /lab exec abc123 laptop -- ip -br addr/);
  t.match(text, /lab shell abc123 laptop/);
  t.match(text, /ip netns exec lab-abc123-c1-laptop ip -br addr/);
  t.match(text, /lab down abc123/);
});

t.test('lab exec reports exit codes the way a shell does', async (t) => {
  t.equal(exitCodeOf(0, null), 0);
  t.equal(exitCodeOf(42, null), 42);
  t.equal(exitCodeOf(null, 'SIGKILL'), 137);
  t.equal(exitCodeOf(null, 'SIGINT'), 130);
  t.ok(findExecutable('sh'), 'sh is on PATH');
  t.equal(findExecutable('surely-no-such-command-here'), undefined);
  t.equal(findExecutable('/bin/sh'), '/bin/sh');
  t.equal(findExecutable('sh', ''), undefined, 'an empty PATH finds nothing');
});
