// The VM bench's pure parts: progress lines of the run inside, stages from timestamped marks (they
// add up to the total), and the text shown.
import t from 'tap';
import { parseProgress, renderVm, scenarioStages, type StageMark, type VmBenchDoc } from '../../../src/bench/vm.js';

t.test('a progress line of the VM run, and lines that are not one', async (t) => {
  t.strictSame(parseProgress('6.1.0-28-amd64: [2/4] ✓ laptop-two-wlan › mesh, accept-local sends it over the air (1834 ms)'),
    { done: 2, total: 4, name: 'laptop-two-wlan › mesh, accept-local sends it over the air', innerMs: 1834 });
  t.strictSame(parseProgress('6.1.0-28-amd64: [1/4] ✗ s › a (case) with parens (12 ms)')?.name, 's › a (case) with parens');
  t.equal(parseProgress('6.1.0-28-amd64: [trace] ip netns add x'), undefined);
  t.equal(parseProgress('fetching linux-image-6.1.0-28-amd64 (apt-get download)…'), undefined);
});

const sum = (xs: { s: number }[]): number => Math.round(xs.reduce((a, x) => a + x.s, 0) * 1000) / 1000;

t.test('stages from progress lines: first case with the boot, each case, the rest; they add up', async (t) => {
  const marks: StageMark[] = [
    { kind: 'case', name: 'b', innerMs: 900, atMs: 9_000 },
    { kind: 'case', name: 'a', innerMs: 2000, atMs: 7_500 },
  ];
  const stages = scenarioStages(marks, 10_250);
  t.strictSame(stages.map((s) => s.name), ['boot, lab start inside, case: a (2000 ms inside)', 'case: b (900 ms inside)', 'report, power-off']);
  t.strictSame(stages.map((s) => s.s), [7.5, 1.5, 1.25]);
  t.equal(sum(stages), 10.25);
  t.strictSame(scenarioStages([], 4_000), [{ name: 'the whole run (no progress lines seen)', s: 4 }]);
});

t.test('stage events, when the VM run gives them, take the place of progress lines', async (t) => {
  const marks: StageMark[] = [
    { kind: 'case', name: 'ignored', innerMs: 1, atMs: 5_000 },
    { kind: 'event', event: { stage: 'alive', atMs: 1_200 }, atMs: 1_200 },
    { kind: 'event', event: { stage: 'root', atMs: 1_700 }, atMs: 1_700 },
    { kind: 'event', event: { stage: 'first-command', atMs: 2_000 }, atMs: 2_000 },
    { kind: 'event', event: { stage: 'case', name: 'mesh', atMs: 4_000 }, atMs: 4_000 },
  ];
  const stages = scenarioStages(marks, 4_600);
  t.strictSame(stages, [
    { name: 'boot (QEMU start → /init)', s: 1.2 },
    { name: 'host root mounted', s: 0.5 },
    { name: 'first command answered', s: 0.3 },
    { name: 'case: mesh', s: 2 },
    { name: 'power-off and report', s: 0.6 },
  ]);
  t.equal(sum(stages), 4.6);
});

t.test('the table line says the ratio against the 3x target', async (t) => {
  const doc: VmBenchDoc = {
    floor_s: 5, scenario_s: 30, ratio: 6, kernel: '6.1.0-28-amd64', accel: 'tcg',
    stages: [{ name: 'case: a', s: 30 }], floor_stages: [{ name: 'boot (QEMU start → /init)', s: 5 }],
  };
  const text = renderVm(doc);
  t.match(text, /30\.00 s, floor 5\.00 s: 6\.00× the floor \(target ≤ 3×: miss\)/);
  t.match(text, /^ +5\.00 s {2}boot \(QEMU start → \/init\)$/m);
  t.match(renderVm({ ...doc, scenario_s: 12, ratio: 2.4 }), /target ≤ 3×: pass/, 'the verdict follows the ratio');
});
