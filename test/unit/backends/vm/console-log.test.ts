// Each lab process has its own console log in the kernel's cache folder; old ones are pruned.
import { mkdtempSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { consoleLogOf } from '../../../../src/backends/vm/run.js';

t.test('one log per lab process; logs of runs over a day old go, others stay', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lab-console-'));
  t.teardown(() => void import('node:fs').then((fs) => fs.rmSync(dir, { recursive: true, force: true })));
  const now = Date.now();
  const old = (name: string, hours: number) => {
    writeFileSync(join(dir, name), 'x');
    const at = (now - hours * 3600_000) / 1000;
    utimesSync(join(dir, name), at, at);
  };
  old('console.log', 48);
  old('console-123.log', 25);
  old('console-456.log', 1);
  old('vmlinuz', 100);
  t.equal(consoleLogOf(dir, now), join(dir, `console-${process.pid}.log`));
  t.same(readdirSync(dir).sort(), ['console-456.log', 'vmlinuz'], 'the day-old logs went, the kernel stays');
});
