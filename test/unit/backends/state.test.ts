import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { isOwnerAlive, processStartTime, readStates, StateFile } from '../../../src/backends/state.js';

t.test('the state file records what the run owns, as it changes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lab-state-'));
  const s = new StateFile(dir, { runId: 'abc123', prefix: 'lab-abc123', pid: process.pid, scenarios: ['x.yaml'] });
  s.own('lab-abc123-c0-laptop');
  s.own('lab-abc123-c0-ap');
  s.own('lab-abc123-c0-ap');
  const onDisk = JSON.parse(readFileSync(s.path, 'utf8'));
  t.same(onDisk.namespaces, ['lab-abc123-c0-laptop', 'lab-abc123-c0-ap']);
  t.equal(onDisk.pidStart, processStartTime(process.pid));
  s.release('lab-abc123-c0-laptop');
  t.same(readStates(dir).map((r) => r.state.namespaces), [['lab-abc123-c0-ap']]);
  s.close();
  t.notOk(existsSync(s.path));
  t.same(readStates(dir), []);
});

t.test('an owner is alive only if its pid runs and started when recorded', async (t) => {
  t.ok(isOwnerAlive({ pid: process.pid, pidStart: processStartTime(process.pid) }));
  t.notOk(isOwnerAlive({ pid: process.pid, pidStart: 'not-the-start-time' }), 'a reused pid is not the owner');
  t.notOk(isOwnerAlive({ pid: 2 ** 22 + 1, pidStart: null }), 'no such process');
});
