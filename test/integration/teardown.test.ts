import { execa } from 'execa';
import { existsSync, readdirSync } from 'node:fs';
import t from 'tap';
import { lab, labArgv, namespaces, needsRoot, ROOT, rootSnapshot, SEED, userEnv } from './helpers.js';

const STATE_DIR = '/run/netns-lab';
const stateFiles = (): string[] => (existsSync(STATE_DIR) ? readdirSync(STATE_DIR) : []);

t.test('a run leaves the root namespace exactly as it found it, and nothing behind', { skip: needsRoot }, async (t) => {
  const before = await rootSnapshot();
  const statesBefore = stateFiles();
  const r = await lab(['run', SEED]);
  t.equal(r.exitCode, 0, String(r.stderr));
  const after = await rootSnapshot();
  for (const key of Object.keys(before)) t.equal(after[key], before[key], `root namespace ${key} unchanged`);
  t.same(stateFiles(), statesBefore, 'no state file left');
  t.notOk((await namespaces()).some((n) => n.startsWith('lab-')), 'no lab namespace left');
});

t.test('SIGTERM in the middle of a run tears everything down', { skip: needsRoot }, async (t) => {
  const before = await rootSnapshot();
  const child = execa(...labArgv(['run', SEED, '--jobs', '1']), { reject: false, cwd: ROOT, env: userEnv(), extendEnv: false });
  // Wait until the run has built something, then interrupt it.
  const deadline = Date.now() + 20_000;
  while (!(await namespaces()).some((n) => n.startsWith('lab-')) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  t.ok((await namespaces()).some((n) => n.startsWith('lab-')), 'the run had created namespaces');
  child.kill('SIGTERM');
  const r = await child;
  t.equal(r.exitCode, 143, 'exit 128+SIGTERM');
  t.match(String(r.stderr), /SIGTERM: tearing down/);
  t.same((await namespaces()).filter((n) => n.startsWith('lab-')), [], 'no namespace left');
  const after = await rootSnapshot();
  for (const key of Object.keys(before)) t.equal(after[key], before[key], `root namespace ${key} unchanged`);
  t.same(stateFiles().filter((f) => f.endsWith('.json')), [], 'state file removed');
});

t.test('lab clean removes what a killed run left, and nothing else', { skip: needsRoot }, async (t) => {
  // A namespace lab does not own must survive clean.
  const foreign = `foreign-${process.pid}`;
  await execa('ip', ['netns', 'add', foreign]);
  t.teardown(() => execa('ip', ['netns', 'del', foreign], { reject: false }));
  const child = execa(...labArgv(['run', SEED, '--jobs', '1']), { reject: false, cwd: ROOT, env: userEnv(), extendEnv: false });
  const deadline = Date.now() + 20_000;
  while (!(await namespaces()).some((n) => n.startsWith('lab-')) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGKILL');
  await child;
  const left = (await namespaces()).filter((n) => n.startsWith('lab-'));
  t.ok(left.length > 0, 'SIGKILL left namespaces behind');
  const r = await lab(['clean']);
  t.equal(r.exitCode, 0);
  t.match(String(r.stdout), /removed namespace lab-/);
  t.same((await namespaces()).filter((n) => n.startsWith('lab-')), [], 'clean removed them');
  t.ok((await namespaces()).includes(foreign), 'a namespace lab did not create is untouched');
  t.same(stateFiles().filter((f) => f.endsWith('.json')), [], 'state file of the dead run removed');
});
