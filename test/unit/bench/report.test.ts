import t from 'tap';
import { evaluateTargets, renderTable, type BenchDocument } from '../../../src/bench/report.js';

const doc = (over: Partial<BenchDocument> = {}): BenchDocument => ({
  linear: [
    { n: 20, lab_s: 0.2, mininet_s: 2.7, floor_s: 0.03 },
    { n: 50, lab_s: 0.4, mininet_s: 6.7, floor_s: 0.07 },
  ],
  seed_case_ms: { median: 120, p95: 180 },
  matrix: { cells: 100, jobs1_s: 20, jobs2_s: 11 },
  vm_wireless_s: null,
  ...over,
});

t.test('each target is a ratio with pass or miss', async (t) => {
  t.same(evaluateTargets(doc()).map((r) => [r.measured, r.status]), [
    ['16.8×', 'pass'],
    ['5.71×', 'miss'],
    ['120 ms', 'pass'],
    ['1.82×', 'pass'],
  ]);
  const slow = evaluateTargets(doc({ seed_case_ms: { median: 151, p95: 300 }, matrix: { cells: 100, jobs1_s: 20, jobs2_s: 12 } }));
  t.equal(slow[2]?.status, 'miss');
  t.equal(slow[3]?.status, 'miss');
});

t.test('a target whose measurement is missing is not measured, and says why', async (t) => {
  const r = evaluateTargets(doc({ linear: [{ n: 50, lab_s: 0.4, mininet_s: null, floor_s: 0.1 }] }));
  t.same([r[0]?.status, r[0]?.measured], ['not measured', 'n/a']);
  t.equal(r[1]?.status, 'pass');
  const no50 = evaluateTargets(doc({ linear: [{ n: 3, lab_s: 0.1, mininet_s: 1, floor_s: 0.01 }] }));
  t.match(no50[0]?.measured, /linear,50 not in this run/);
});

t.test('the table shows every measurement, the ratios, and the notes', async (t) => {
  const text = renderTable(doc(), { machine: 'kernel 6.18, 2 cores', seedSamples: '5 cases × 5 runs', notes: ['vm: no VM here'] });
  t.match(text, /^lab bench \(kernel 6\.18, 2 cores\)/);
  t.match(text, /linear,50 +│ +0\.400 s │ +6\.70 s │ +0\.070 s │ +16\.8× │ +5\.71× │/);
  t.match(text, /default scenario, per case \(5 cases × 5 runs\) +│ +median 120 ms, p95 180 ms/);
  t.match(text, /wireless scenario on the VM backend +│ +— │/);
  t.match(text, /100-cell matrix: --jobs 2 at least 1\.7× faster than --jobs 1 +│ +1\.82× │ pass/);
  t.match(text, /— vm: no VM here/);
  t.match(text, /100-cell matrix, --jobs 1 +│ +20\.00 s │/, 'no cores when not measured');
});

t.test('the matrix rows say how many pairs ran and how many cores each kept busy', async (t) => {
  const text = renderTable(doc({ matrix: { cells: 100, jobs1_s: 5, jobs2_s: 4, rounds: 3, jobs1_cores: 1.41, jobs2_cores: 1.86 } }), {
    machine: 'm', seedSamples: 's', notes: [],
  });
  t.match(text, /100-cell matrix, --jobs 1 \(median of 3\) +│ +5\.00 s, 1\.4 cores busy │/);
  t.match(text, /100-cell matrix, --jobs 2 \(median of 3\) +│ +4\.00 s, 1\.9 cores busy │/);
});

t.test("the table gives each case's own median under the scenario's line, when they were measured", async (t) => {
  const by = doc({ seed_case_ms: { median: 64, p95: 1060, by_case: [{ name: 'over the wire', median: 42.4 }, { name: 'ARP fails', median: 1050 }] } });
  const text = renderTable(by, { machine: 'm', seedSamples: '2 cases × 3 runs', notes: [] });
  t.match(text, /default scenario, per case \(2 cases × 3 runs\) +│ +median 64 ms, p95 1060 ms[^\n]*\n[^\n]*\n[^\n]*case "over the wire" +│ +median 42 ms/);
  t.match(text, /case "ARP fails" +│ +median 1050 ms/);
  t.notMatch(renderTable(doc(), { machine: 'm', seedSamples: 's', notes: [] }), /case "/, 'no case rows without by_case');
});
