// Each run here keeps its state in a folder of its own (LAB_STATE_DIR), so that the test knows
// exactly which namespaces are its run's, even while other lab runs go on on the same machine.
import { execa } from 'execa';
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { lab, labArgv, namespaces, needsRoot, ROOT, rootSnapshot, SEED, userEnv } from './helpers.js';
import { tempDir } from '../tmp.js';

const stateDir = (): string => tempDir('lab-state-');
const stateFiles = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.json'));
const envWith = (dir: string) => ({ env: { ...userEnv(), LAB_STATE_DIR: dir }, extendEnv: false });

/** The namespaces the run of `dir` records, once it records any (within 20 s). */
const recordedNamespaces = async (dir: string): Promise<string[]> => {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    for (const f of stateFiles(dir)) {
      try {
        const ns = (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { namespaces?: string[] }).namespaces ?? [];
        const live = await namespaces();
        if (ns.length > 0 && ns.some((n) => live.includes(n))) return ns;
      } catch {
        // Being rewritten: read it again.
      }
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return [];
};

/** The inode of each of these namespaces that exists now (a process inside shows it as net:[INODE]). */
const netnsInodes = (names: string[]): number[] =>
  names.flatMap((n) => {
    try {
      return [statSync(join('/run/netns', n)).ino];
    } catch {
      return [];
    }
  });

/** Processes whose network namespace is one of `inodes`, as `PID ARGS`. */
const processesIn = (inodes: number[]): string[] =>
  readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .flatMap((pid) => {
      try {
        const ino = Number(/\[(\d+)\]/.exec(readlinkSync(`/proc/${pid}/ns/net`))?.[1]);
        return inodes.includes(ino) ? [`${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').slice(0, 80)}`] : [];
      } catch {
        return [];
      }
    });

/** Other lab runs may come and go meanwhile: their namespaces are not this test's business. */
const withoutLabNamespaces = (snap: Record<string, string>): Record<string, string> => ({
  ...snap,
  namespaces: snap['namespaces']?.split('\n').filter((n) => !n.startsWith('lab-')).join('\n') ?? '',
});

t.test('a run leaves the root namespace exactly as it found it, and nothing behind', { skip: needsRoot }, async (t) => {
  const dir = stateDir();
  const before = withoutLabNamespaces(await rootSnapshot());
  const run = lab(['run', SEED], envWith(dir));
  const ours = await recordedNamespaces(dir);
  const inodes = netnsInodes(ours);
  const r = await run;
  t.equal(r.exitCode, 0, String(r.stderr));
  t.ok(ours.length > 0, 'the run recorded its namespaces');
  const after = withoutLabNamespaces(await rootSnapshot());
  for (const key of Object.keys(before)) t.equal(after[key], before[key], `root namespace ${key} unchanged`);
  t.same(stateFiles(dir), [], 'no state file left');
  const left = await namespaces();
  t.same(ours.filter((n) => left.includes(n)), [], 'none of its namespaces left');
  t.ok(inodes.length > 0, 'the namespaces were seen while the run went on');
  t.same(processesIn(inodes), [], 'no process (namespace agent, capture) is left in them');
});

t.test('SIGTERM in the middle of a run tears everything down', { skip: needsRoot }, async (t) => {
  const dir = stateDir();
  const before = withoutLabNamespaces(await rootSnapshot());
  const child = execa(...labArgv(['run', SEED, '--jobs', '1']), { reject: false, cwd: ROOT, ...envWith(dir) });
  const ours = await recordedNamespaces(dir);
  t.ok(ours.length > 0, 'the run had created namespaces');
  child.kill('SIGTERM');
  const r = await child;
  t.equal(r.exitCode, 143, 'exit 128+SIGTERM');
  t.match(String(r.stderr), /SIGTERM: tearing down/);
  const left = await namespaces();
  t.same(ours.filter((n) => left.includes(n)), [], 'no namespace of the run left');
  const after = withoutLabNamespaces(await rootSnapshot());
  for (const key of Object.keys(before)) t.equal(after[key], before[key], `root namespace ${key} unchanged`);
  t.same(stateFiles(dir), [], 'state file removed');
});

t.test('lab clean removes what a killed run left, and nothing else', { skip: needsRoot }, async (t) => {
  const dir = stateDir();
  // A namespace lab does not own must survive clean.
  const foreign = `foreign-${process.pid}`;
  await execa('ip', ['netns', 'add', foreign]);
  t.teardown(() => execa('ip', ['netns', 'del', foreign], { reject: false }));
  const child = execa(...labArgv(['run', SEED, '--jobs', '1']), { reject: false, cwd: ROOT, ...envWith(dir) });
  const ours = await recordedNamespaces(dir);
  child.kill('SIGKILL');
  await child;
  const left = (await namespaces()).filter((n) => ours.includes(n));
  t.ok(left.length > 0, 'SIGKILL left namespaces behind');
  const r = await lab(['clean'], envWith(dir));
  t.equal(r.exitCode, 0);
  t.match(String(r.stdout), /removed .*lab-/);
  const after = await namespaces();
  t.same(ours.filter((n) => after.includes(n)), [], 'clean removed them');
  t.ok(after.includes(foreign), 'a namespace lab did not create is untouched');
  t.same(stateFiles(dir), [], 'state file of the dead run removed');
});
