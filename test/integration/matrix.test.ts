// The matrix, third-NIC and recipe scenarios, run for real: every cell in a fresh topology, cells
// in parallel. The expectations inside the scenarios were recorded on kernel 6.18; these tests
// check what the reports say about them.
import { release } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { lab, needsRoot, ROOT, scenarioFile } from './helpers.js';

interface Probe { name: string; delivered: boolean; path: string[]; cause: string | null }
interface Case { name: string; status: string; params?: Record<string, unknown>; error?: string; probes: Probe[]; expectations: unknown[] }
interface Report { scenarios: { name: string; kernel: string; cases: Case[] }[] }

const scenario = (name: string): string => join(ROOT, 'scenarios', `${name}.yaml`);
const wire = ['laptop:wlan0', 'ap:port0', 'ap:port1', 'laptop:wlan1'];

t.test('matrix, third NIC and recipes: one JSON case per cell, with its parameters', { skip: needsRoot }, async (t) => {
  const r = await lab(['run', scenario('accept-local-matrix'), scenario('third-nic'), scenario('recipes'), '--jobs', '8', '--format', 'json']);
  t.equal(r.exitCode, 0, `every expectation holds\n${r.stderr}`);
  const report = JSON.parse(String(r.stdout)) as Report;
  const [matrix, thirdNic, recipes] = report.scenarios;
  if (!matrix || !thirdNic || !recipes) throw new Error('three scenarios expected');

  const levels = matrix.cases.filter((c) => c.name.startsWith('rp_filter at two levels'));
  t.same(
    levels.map((c) => [c.params?.['all.rp_filter'], c.params?.['wlan1.rp_filter'], c.probes[0]?.delivered]),
    [[0, 0, true], [0, 1, false], [0, 2, true], [1, 0, false], [1, 1, false], [1, 2, true], [2, 0, true], [2, 1, true], [2, 2, true]],
    'sysctls at two levels: rp_filter in force is max(all, wlan1), and only strict (1) refuses',
  );
  t.equal(matrix.cases.length - levels.length, 12, '2 × 3 × 2 cells');
  for (const c of matrix.cases) {
    t.same(Object.keys(c).sort(), ['expectations', 'name', 'params', 'probes', 'status'], `${c.name}: the contract's keys plus params`);
    t.equal(c.status, 'pass', c.name);
  }
  const cell = (al: number, rp: number, direction: string): Case => {
    const found = matrix.cases.find((c) => c.params?.accept_local === al && c.params.rp_filter === rp && c.params.direction === direction);
    if (!found) throw new Error(`no cell ${al}/${rp}/${direction}`);
    return found;
  };
  t.equal(cell(1, 2, 'one-way').name, 'accept-local [accept_local=1 rp_filter=2 direction=one-way]');
  t.same(cell(1, 2, 'one-way').probes.map((p) => p.path), [wire, ['laptop:lo']], 'one way: over the wire, back through lo');
  t.same(cell(1, 1, 'one-way').probes[0], { ...cell(1, 1, 'one-way').probes[0], delivered: false, path: [], cause: 'NEIGH_FAILED' });
  t.same(cell(0, 1, 'both').probes.map((p) => p.path), [wire, [...wire].reverse()], 'both ways: settings do not matter');

  const byName = new Map(thirdNic.cases.map((c) => [c.name, c]));
  const flux = byName.get('with arp_ignore=0 wlan2 answers for wlan1 and receives the datagram');
  t.same(flux?.probes[0]?.path, ['laptop:wlan0', 'ap:port0', 'ap:port2', 'laptop:wlan2'], 'the path names the NIC that received it');
  const fixed = byName.get('arp-hygiene makes wlan1 the one that answers and receives');
  t.same(fixed?.probes[0]?.path, wire);
  t.same(
    thirdNic.cases.filter((c) => c.params).map((c) => [c.params?.arp_ignore, c.params?.arp_filter, c.probes[0]?.path.at(-1) ?? c.probes[0]?.cause]),
    [[0, 0, 'laptop:wlan2'], [0, 1, 'NEIGH_FAILED'], [1, 0, 'laptop:wlan1'], [1, 1, 'NEIGH_FAILED'], [2, 0, 'laptop:wlan1'], [2, 1, 'NEIGH_FAILED']],
  );

  const recipe = new Map(recipes.cases.map((c) => [c.name, c]));
  t.same(recipe.get('netns-split, both ways over the wire')?.probes.map((p) => p.path), [
    ['laptop:wlan0', 'ap:port0', 'ap:port1', 'laptop-wlan1:wlan1'],
    ['laptop-wlan1:wlan1', 'ap:port1', 'ap:port0', 'laptop:wlan0'],
    ['laptop:wlan0', 'ap:port0', 'ap:port1', 'laptop-wlan1:wlan1'],
  ], 'the moved NIC is observed in its own namespace');
  t.same(recipe.get('bind-to-device sends the bound socket over the wire')?.probes.map((p) => p.path), [wire, ['laptop:lo']]);
  t.same(recipe.get('accept-local-v6 needs no sysctl')?.probes.map((p) => p.path), [wire, ['laptop:lo']]);
  const mirred = recipe.get('tc-mirred');
  if (mirred?.status === 'skip') {
    t.match(mirred.error, /this kernel lacks the tc pedit action \(CONFIG_NET_ACT_PEDIT\)/, 'skipped, naming what is missing');
  } else {
    t.same(mirred?.probes[0]?.path, ['laptop:lo', 'ap:port0', 'ap:port1', 'laptop:wlan1'], 'a kernel with act_pedit delivers it');
  }
});

t.test('the matrix table: dimensions on rows and columns, ✓ and what happened in each cell', { skip: needsRoot }, async (t) => {
  const r = await lab(['run', scenario('accept-local-matrix'), '--jobs', '8'], { env: { ...process.env, COLUMNS: '120' } });
  t.equal(r.exitCode, 0, String(r.stderr));
  const out = String(r.stdout);
  t.match(out, /matrix accept-local \(rows: accept_local × rp_filter; columns: direction\)/);
  t.match(out, /│ accept_local │ rp_filter │ direction=one-way +│ direction=both +│/);
  // accept_local=1: rp_filter 0 and 2 deliver one way, strict 1 does not; both ways always deliver.
  t.match(out, new RegExp([
    '│ 1 +│ 0 +│ ✓ wlan0 → wlan1: wire → laptop:wlan1 +│ ✓ wlan0 → wlan1: wire → laptop:wlan1 +│',
    '│ +│ +│ {3}wlan1 → wlan0: lo +│ {3}wlan1 → wlan0: wire → laptop:wlan0 +│',
    '├[─┼]+┤',
    '│ +│ 1 +│ ✓ wlan0 → wlan1: lost \\(NEIGH_FAILED\\) +│ ✓ wlan0 → wlan1: wire → laptop:wlan1 +│',
  ].join('\n')));
  t.match(out, /12 cells: 12 pass/);
  t.notMatch(out, /accept-local \[accept_local=/, 'cells are not listed as rows of the case table');
});

t.test('a cell whose behaviour changed fails and names the kernel; --case picks a matrix or one cell', { skip: needsRoot }, async (t) => {
  const file = scenarioFile(`name: pinned
nodes: { laptop: {}, ap: { bridge: br0 } }
links: [[laptop:wlan0, ap:port0], [laptop:wlan1, ap:port1]]
addresses: { laptop:wlan0: 192.0.2.1/24, laptop:wlan1: 192.0.2.2/24 }
cases:
  - name: strict
    recipe: { accept-local: { node: laptop, out: wlan0, in: wlan1, rp_filter: 1 } }
    matrix:
      direction: { set: accept-local.both, values: { one-way: false, both: true } }
    probes:
      - name: fwd
        udp: { from: laptop:192.0.2.1, to: 192.0.2.2 }
    expect: { delivered: false }
    cells:
      - where: { kernel: "<3", direction: both }
        description: never applies on a kernel this lab runs on
        expect: { delivered: true }
  - name: other
    probes: [ { udp: { from: laptop:192.0.2.1, to: 192.0.2.2 } } ]
`);
  const r = await lab(['run', file, '--case', 'strict']);
  t.equal(r.exitCode, 1, 'the both-ways cell delivers, against the recorded expectation');
  const out = String(r.stdout);
  t.match(out, /│ ✗ lost \(NEIGH_FAILED\)|│ ✓ lost \(NEIGH_FAILED\)/);
  t.match(out, new RegExp(`✗ direction=both on kernel ${release().replace(/[.+]/g, '\\$&')}: fwd: expected delivered false, saw true \\(expectations for kernel <3 not applied\\)`));
  t.match(out, /2 cells: 1 pass, 1 fail/);
  t.notMatch(out, /│ other/, 'the matrix name selected only its cells');

  const one = await lab(['run', file, '--case', 'strict [direction=one-way]', '--format', 'json']);
  t.equal(one.exitCode, 0, String(one.stderr));
  const report = JSON.parse(String(one.stdout)) as Report;
  t.same(report.scenarios[0]?.cases.map((c) => [c.name, c.params]), [['strict [direction=one-way]', { direction: 'one-way' }]]);
});
