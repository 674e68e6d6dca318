// Crashes and interrupts: SIGKILL then lab clean removes exactly the dead run's resources (never a
// live run, a kept lab, or namespaces and interfaces lab did not create); SIGTERM at any moment
// of a run leaves nothing. Checks are scoped to the labs these tests start: other labs may run.
import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import t from 'tap';
import { parse, stringify } from 'yaml';
import { readStates, type RunState } from '../../src/backends/state.js';
import { lab, labArgv, namespaces, needsRoot, ROOT, rootSnapshot, scenarioFile, SEED, userEnv } from './helpers.js';

const STATE_DIR = '/run/netns-lab';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const start = (args: string[]) =>
  execa(...labArgv(args), { reject: false, cwd: ROOT, env: userEnv(), extendEnv: false, timeout: 120_000 });

const stateOf = (pid: number): RunState | undefined => readStates(STATE_DIR).find((e) => e.state.pid === pid)?.state;

/** Waits until the lab process `pid` has recorded (and created) at least `n` namespaces. */
const waitForNamespaces = async (pid: number, n: number, timeoutMs = 20_000): Promise<RunState> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = stateOf(pid);
    if (s && Object.keys(s.namespaceInodes ?? {}).length >= n) return s;
    if (Date.now() > deadline) throw new Error(`lab ${pid} did not create ${n} namespaces in time`);
    await sleep(10);
  }
};

/**
 * The seed with only its ARP case, twelve times: each waits out its probe's 1 s window, so a run
 * of it lives ~14 s, long enough to still be alive when lab clean runs (the whole seed, five
 * cases, was over by then on a quiet machine).
 */
const slowSeed = (): string => {
  const doc = parse(readFileSync(SEED, 'utf8')) as { cases: { name: string }[] };
  const arp = doc.cases.find((c) => c.name.startsWith('without accept_local'));
  if (!arp) throw new Error('the seed has no ARP case');
  doc.cases = Array.from({ length: 12 }, (_, i) => ({ ...arp, name: `${arp.name} (${i + 1})` }));
  return scenarioFile(stringify(doc), 'slow-seed.yaml');
};

const ofLab = async (id: string): Promise<string[]> => (await namespaces()).filter((n) => n.startsWith(`lab-${id}-`)).sort();
const ip = (...args: string[]) => execa('ip', args, { reject: false });

t.test('after SIGKILL, lab clean removes exactly what the dead run recorded', { skip: needsRoot }, async (t) => {
  const before = await rootSnapshot();
  // Namespaces lab did not create: one named like a lab's, and one with interfaces inside.
  const lookalike = `lab-${randomBytes(3).toString('hex')}-c0-laptop`;
  const foreign = `foreign-${process.pid}`;
  await ip('netns', 'add', lookalike);
  await ip('netns', 'add', foreign);
  await ip('-n', foreign, 'link', 'add', 'wlan0', 'type', 'veth', 'peer', 'name', 'port0');
  const cleanup: (() => Promise<unknown>)[] = [() => ip('netns', 'del', lookalike), () => ip('netns', 'del', foreign)];
  t.teardown(async () => {
    for (const c of cleanup) await c();
  });

  // A kept lab and a live run, both of which clean must leave alone.
  const kept = await lab(['up', SEED, '--quiet']);
  t.equal(kept.exitCode, 0, String(kept.stderr));
  const keptId = String(kept.stdout).trim();
  cleanup.push(() => lab(['down', keptId]));
  const live = start(['run', slowSeed(), '--jobs', '1']);
  const liveState = await waitForNamespaces(live.pid ?? -1, 1);

  // The run that dies.
  const doomed = start(['run', SEED, '--jobs', '2']);
  const doomedState = await waitForNamespaces(doomed.pid ?? -1, 3);
  doomed.kill('SIGKILL');
  await doomed;
  const dead = stateOf(doomed.pid ?? -1)!;
  t.ok(dead, 'SIGKILL left the state file');
  const left = await ofLab(doomedState.runId);
  t.ok(left.length >= 3, `SIGKILL left namespaces behind: ${left.join(', ')}`);
  // One of them is replaced by a namespace of the same name that lab did not create.
  const replaced = Object.keys(dead.namespaceInodes ?? {})[0]!;
  await ip('netns', 'del', replaced);
  await ip('netns', 'add', replaced);
  cleanup.push(() => ip('netns', 'del', replaced));

  const dry = await lab(['clean', '--dry-run']);
  t.equal(dry.exitCode, 0);
  t.match(String(dry.stdout), new RegExp(`would remove lab ${dead.runId}: its process ${doomed.pid} is gone`));
  t.same(await ofLab(dead.runId), left, '--dry-run removes nothing');

  const clean = await lab(['clean']);
  t.equal(clean.exitCode, 0, String(clean.stderr));
  t.match(String(clean.stdout), new RegExp(`removed namespace lab-${dead.runId}-`));
  t.match(String(clean.stdout), new RegExp(`skipped namespace ${replaced}: not the namespace this lab created`));
  t.match(String(clean.stdout), new RegExp(`left lab ${keptId} alone: it is kept by lab up`));
  t.match(String(clean.stdout), new RegExp(`left lab ${liveState.runId} alone: its process ${live.pid} is alive`));
  t.same(await ofLab(dead.runId), [replaced], "the dead run's namespaces are gone, except the one that is not its own any more");
  t.notOk(readStates(STATE_DIR).some((e) => e.state.runId === dead.runId), "the dead run's state file is gone");
  const all = await namespaces();
  t.ok(all.includes(lookalike), 'a namespace named like a lab namespace but not recorded is untouched');
  t.ok(all.includes(foreign), 'a foreign namespace is untouched');
  t.match((await ip('-n', foreign, '-br', 'link')).stdout, /wlan0@port0/, 'and so are the interfaces in it');
  t.equal((await ofLab(keptId)).length, 2, 'the kept lab is still up');
  const liveResult = await live;
  t.equal(liveResult.exitCode, 0, 'the live run was not disturbed and passed');

  for (const c of cleanup.splice(0).reverse()) await c();
  const after = await rootSnapshot();
  for (const key of Object.keys(before)) {
    if (key !== 'namespaces') t.equal(after[key], before[key], `root namespace ${key} unchanged`);
  }
  t.notOk((await namespaces()).some((n) => [lookalike, foreign, replaced].includes(n) || n.startsWith(`lab-${keptId}-`)), 'the test left nothing');
});

t.test('SIGTERM at any moment of a run tears everything down, cases in flight included', { skip: needsRoot }, async (t) => {
  // Fixed moments across the run, and two random ones in its busiest first 400 ms.
  const random = Array.from({ length: 2 }, () => Math.floor(Math.random() * 400));
  for (const delayMs of [0, 80, 250, 600, 1200, 2500, ...random]) {
    const run = start(['run', SEED, '--jobs', '2']);
    const s = await waitForNamespaces(run.pid ?? -1, 0);
    await sleep(delayMs);
    run.kill('SIGTERM');
    const r = await run;
    if (r.exitCode === 0) {
      t.pass(`after ${delayMs} ms the run had already finished`);
      continue;
    }
    t.equal(r.exitCode, 143, `SIGTERM after ${delayMs} ms: exit 143`);
    t.same(await ofLab(s.runId), [], `after ${delayMs} ms: no namespace of the run is left`);
    t.notOk(readStates(STATE_DIR).some((e) => e.state.runId === s.runId), 'and no state file');
  }
});

t.test('a second SIGINT stops waiting; lab clean finishes whatever was still in the making', { skip: needsRoot }, async (t) => {
  // The moment matters (a root batch may be creating namespaces, agents starting, a case
  // tearing down): a fixed one, then random ones, each named in the assertions.
  const moments = [5, ...Array.from({ length: 4 }, () => Math.floor(Math.random() * 250))];
  for (const ms of moments) {
    const run = start(['run', SEED, '--jobs', '2']);
    const s = await waitForNamespaces(run.pid ?? -1, 2);
    run.kill('SIGINT');
    await sleep(ms);
    run.kill('SIGINT');
    const r = await run;
    // 128+SIGINT; or, when the second came as lab was exiting after its teardown, ended by it.
    const code = r.exitCode ?? (r.signal === 'SIGINT' ? 130 : r.signal);
    t.equal(code, 130, `SIGINT twice, ${ms} ms apart: exit 128+SIGINT (${r.exitCode ?? r.signal}): ${String(r.stderr).slice(-1500)}`);
    // Later on, the first one's teardown may be over before the second comes.
    if (ms <= 5) t.match(String(r.stderr), /SIGINT again: removing what the state file records now/);
    // Its agents (commands inside its own namespaces) do not hold the state file open; a command
    // that may still make something outside them does, and lab says so.
    const kept = readStates(STATE_DIR).some((e) => e.state.runId === s.runId);
    t.equal(kept, /still in flight|remain recorded/.test(String(r.stderr)), `${ms} ms: the state file stays exactly when lab says why`);
    if (!kept) t.same(await ofLab(s.runId), [], `${ms} ms: closed only with nothing of the run left`);
    await lab(['clean']);
    t.same(await ofLab(s.runId), [], `${ms} ms: nothing of the run is left once clean has run`);
    t.notOk(readStates(STATE_DIR).some((e) => e.state.runId === s.runId));
  }
});
