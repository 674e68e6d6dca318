// The VM bench's pure parts: stages from the VM run's stage events (they add up to the total,
// cases carry their own duration), the boot and first-command figures, and the text shown.
import t from 'tap';
import { between, gist, medianRound, renderVm, scenarioStages, type StageMark, type VmBenchDoc, type VmRound } from '../../../src/bench/vm.js';
import type { VmStageEvent } from '../../../src/types/vm.js';

const sum = (xs: { s: number }[]): number => Math.round(xs.reduce((a, x) => a + x.s, 0) * 1000) / 1000;
const mark = (atMs: number, event: Omit<VmStageEvent, 'atMs'>): StageMark => ({ atMs, event: { ...event, atMs: atMs - 300 } });

// A driven run as the bench sees it: QEMU started 0.3 s into the run (kernel and initramfs from the cache).
const run: StageMark[] = [
  mark(300, { stage: 'qemu' }),
  mark(20_300, { stage: 'alive' }),
  mark(26_000, { stage: 'root' }),
  mark(26_400, { stage: 'runner-start' }),
  mark(27_900, { stage: 'runner' }),
  mark(29_150, { stage: 'first-command' }),
  // Two cases at once: the second finished 1.5 s after the first but took 30 s of its own.
  mark(51_000, { stage: 'case', name: 'w › mesh', durationMs: 21_846, status: 'pass' }),
  mark(52_500, { stage: 'case', name: 'w › ap (no recipe)', durationMs: 30_000, status: 'fail' }),
  mark(52_600, { stage: 'done' }),
];

t.test('stages from stage events: each from the end of the one before, adding up to the total', async (t) => {
  // In any order: they are sorted by time.
  const stages = scenarioStages([...run].reverse(), 53_123.4);
  t.strictSame(stages, [
    { name: 'kernel, initramfs, accelerator (cached)', s: 0.3 },
    { name: 'boot: QEMU start → /init', s: 20 },
    { name: 'host root mounted (9p, overlay)', s: 5.7 },
    { name: 'job script (module preload, share, port)', s: 0.4 },
    { name: 'guest runner alive (perl start)', s: 1.5 },
    { name: 'first commands answered (uname, module preload)', s: 1.25 },
    { name: 'case ✓ w › mesh (21.85 s its own)', s: 21.85, case_s: 21.846, status: 'pass' },
    { name: 'case ✗ w › ap (no recipe) (30.00 s its own)', s: 1.5, case_s: 30, status: 'fail' },
    { name: "cases done, lab's host side exits (report)", s: 0.1 },
    { name: 'power-off, report read', s: 0.523 },
  ]);
  t.equal(sum(stages), 53.123, 'they add up to the total, to the ms');
  // Odd times (thirds of a ms) still add up: each stage is rounded on the running total.
  const odd = scenarioStages([1000 / 3, 2000 / 3, 1000].map((at) => mark(at, { stage: 'alive' })), 1001.7);
  t.equal(sum(odd), 1.002);
  t.strictSame(scenarioStages([], 4_000), [{ name: 'the whole run (no stages seen)', s: 4 }], 'no events: one stage');
});

t.test('boot and first command: between the first marks of two stages, or null', async (t) => {
  t.equal(between(run, 'qemu', 'runner'), 27.6, 'QEMU start → the guest runner alive');
  t.equal(between(run, 'runner', 'first-command'), 1.25);
  t.equal(between(run.filter((m) => m.event.stage !== 'runner'), 'qemu', 'runner'), null);
});

t.test('the text: the ratio against the 3x target, boot and first command, the stages', async (t) => {
  const doc: VmBenchDoc = {
    floor_s: 5, scenario_s: 30, ratio: 6, kernel: '6.1.0-28-amd64', accel: 'tcg', boot_s: 3.5, first_command_s: 1.25,
    stages: [{ name: 'case ✓ a (30.00 s its own)', s: 30, case_s: 30, status: 'pass' }], floor_stages: [{ name: 'boot: QEMU start → /init', s: 5 }],
    rounds: [{ floor_s: 5, scenario_s: 30, ratio: 6 }],
  };
  const text = renderVm(doc);
  t.match(text, /30\.00 s, floor 5\.00 s: 6\.00× the floor \(target ≤ 3×: miss\)/);
  t.match(text, /boot \(QEMU start → guest runner alive\): 3\.50 s; guest runner alive → first command answered: 1\.25 s/);
  t.match(text, /^ +5\.00 s {2}boot: QEMU start → \/init$/m);
  t.match(text, /^ +30\.00 s {2}case ✓ a \(30\.00 s its own\)$/m);
  t.match(renderVm({ ...doc, scenario_s: 12, ratio: 2.4 }), /target ≤ 3×: pass/, 'the verdict follows the ratio');
  t.match(renderVm({ ...doc, boot_s: null }), /guest runner alive\): — \(not seen\)/);
  t.notMatch(text, /rounds/, 'one round: no line of rounds');
  const three = renderVm({ ...doc, rounds: [{ floor_s: 4, scenario_s: 10, ratio: 2.5 }, doc.rounds[0]!, { floor_s: 4, scenario_s: 14, ratio: 3.5 }] });
  t.match(three, /the median of 3 rounds \(floor, then scenario\): ratios 2\.50 \(10\.00 s \/ 4\.00 s\), 6\.00 \(30\.00 s \/ 5\.00 s\), 3\.50 \(14\.00 s \/ 4\.00 s\)/);
});

t.test('rounds: the one whose ratio is the median is the document, every round is listed in order', async (t) => {
  const round = (scenario_s: number, floor_s: number): VmRound => ({
    floor_s, scenario_s, ratio: Math.round((scenario_s / floor_s) * 100) / 100, kernel: 'k', accel: 'tcg', boot_s: 1, first_command_s: 1,
    stages: [{ name: `scenario ${scenario_s}`, s: scenario_s }], floor_stages: [],
  });
  const doc = medianRound([round(13, 4), round(10, 4), round(12, 3.9)]);
  t.equal(doc.ratio, 3.08, 'the middle ratio of 3.25, 2.5, 3.08');
  t.equal(doc.stages[0]?.name, 'scenario 12', 'with that round\'s stages');
  t.same(doc.rounds.map((r) => r.ratio), [3.25, 2.5, 3.08], 'every round, in the order they ran');
  t.equal(medianRound([round(10, 4), round(13, 4)]).ratio, 3.25, 'of two, the higher');
  t.equal(medianRound([round(10, 4)]).rounds.length, 1);
  t.throws(() => medianRound([]), /no VM round/);
});

t.test("a case's error in one line, its start and its end", async (t) => {
  t.equal(gist('`ip netns exec x sh -c a\n  b` timed out'), '`ip netns exec x sh -c a b` timed out');
  const long = `\`ip netns exec x perl -e ${'# a comment\n'.repeat(50)}main(@ARGV); a b\` timed out`;
  t.equal(gist(long, 20), '`ip netns exec x per … RGV); a b` timed out');
});
