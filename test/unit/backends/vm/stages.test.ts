// The stages of a driven VM run, read from what its processes say: /init's console markers, lab's
// host side's stage lines, and its progress lines (one per finished case).
import t from 'tap';
import { progressLine } from '../../../../src/cli/progress.js';
import { MARK, RUNNER_MARK } from '../../../../src/backends/vm/guest.js';
import { caseOfProgress, STAGE_LINE, stageOfConsole, stageOfEntryLine } from '../../../../src/backends/vm/stages.js';
import { readFileSync } from 'node:fs';
import type { CaseResult } from '../../../../src/types/result.js';

const result = (name: string, status: CaseResult['status'], durationMs: number): CaseResult =>
  ({ name, status, durationMs, probes: [], expectations: [] }) as unknown as CaseResult;

t.test('a finished case from the progress line lab writes (src/cli/progress.ts)', async (t) => {
  const line = progressLine(2, 4, 'laptop-two-wlan', result('mesh, accept-local sends it (over the air)', 'pass', 1834.4)).trimEnd();
  t.strictSame(caseOfProgress(line, 9_000), {
    stage: 'case', atMs: 9_000, name: 'laptop-two-wlan › mesh, accept-local sends it (over the air)', durationMs: 1834, status: 'pass',
  });
  const statuses = (['pass', 'fail', 'skip', 'error'] as const).map((s) => caseOfProgress(progressLine(1, 1, 's', result('c', s, 1)), 0)?.status);
  t.strictSame(statuses, ['pass', 'fail', 'skip', 'error'], 'every verdict mark is read');
  t.equal(caseOfProgress('[trace] 12 ms start: ip netns add x', 0), undefined);
  t.equal(caseOfProgress('[1/4] ? s › c (12 ms)', 0), undefined, 'an unknown mark is no case');
  t.equal(caseOfProgress('lab (VM host side): the guest runner does not answer', 0), undefined);
});

t.test("lab's host side's stage lines: hello is the guest runner alive, timed when they arrive", async (t) => {
  // vm-entry.ts runs when imported: its text is what is compared.
  const entry = readFileSync(new URL('../../../../src/cli/vm-entry.ts', import.meta.url), 'utf8');
  t.ok(entry.includes(`export const STAGE_LINE = '${STAGE_LINE}';`), 'the prefix vm-entry writes');
  t.ok(entry.includes("stage('hello')") && entry.includes("stage('first-command')"), 'the stages vm-entry writes');
  t.strictSame(stageOfEntryLine(`${STAGE_LINE}hello 812`, 30_500), { stage: 'runner', atMs: 30_500 });
  t.strictSame(stageOfEntryLine(`${STAGE_LINE}first-command 2400`, 32_000), { stage: 'first-command', atMs: 32_000 });
  t.equal(stageOfEntryLine(`${STAGE_LINE}later 1`, 0), undefined, 'a stage it does not know');
  t.equal(stageOfEntryLine('[1/4] ✓ s › c (12 ms)', 0), undefined);
});

t.test("/init's console markers", async (t) => {
  t.equal(stageOfConsole(MARK.alive), 'alive');
  t.equal(stageOfConsole(`\x1b[0m${MARK.alive}`), 'alive', 'after a terminal escape on the same line');
  t.equal(stageOfConsole(MARK.root), 'root');
  t.equal(stageOfConsole(`${RUNNER_MARK}/dev/vport1p1`), 'runner-start', 'the job starts perl');
  t.equal(stageOfConsole(`${MARK.exit}0`), undefined);
  t.equal(stageOfConsole('[    1.234] virtio_console: loaded'), undefined);
});
