// Eight `lab run` of the seed scenario at once: all pass, with no collisions (distinct run ids,
// state files and namespaces) and no cross-talk (every probe datagram counted once, on its own
// run's devices, with the same paths a lone run sees).
import { execa } from 'execa';
import t from 'tap';
import { readStates } from '../../src/backends/state.js';
import { labArgv, namespaces, needsRoot, ROOT, SEED, userEnv } from './helpers.js';

const RUNS = 8;

interface Report {
  scenarios: { cases: { name: string; status: string; probes: { name: string; path: string[]; delivered: boolean; devices: Record<string, { tx: number; rx: number }> }[] }[] }[];
}

t.test(`${RUNS} concurrent runs of the seed scenario all pass, without collisions or cross-talk`, { skip: needsRoot }, async (t) => {
  const runs = Array.from({ length: RUNS }, () =>
    execa(...labArgv(['run', SEED, '--format', 'json']), { reject: false, cwd: ROOT, env: userEnv(), extendEnv: false, timeout: 300_000 }),
  );
  const pids = new Set(runs.map((r) => r.pid));
  // Which run id each process took, read from the state files while they run.
  const idOf = new Map<number, string>();
  const watching = (async () => {
    while (runs.some((r) => r.exitCode === null && r.pid !== undefined && !idOf.has(r.pid))) {
      for (const { state } of readStates('/run/netns-lab')) if (pids.has(state.pid)) idOf.set(state.pid, state.runId);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const results = await Promise.all(runs);
  await watching;

  t.equal(new Set(idOf.values()).size, RUNS, `${RUNS} distinct run ids: ${[...idOf.values()].join(' ')}`);
  const reports: Report[] = [];
  for (const [i, r] of results.entries()) {
    t.equal(r.exitCode, 0, `run ${i + 1} passed${r.exitCode === 0 ? '' : `: ${String(r.stderr).slice(-600)}`}`);
    reports.push(JSON.parse(String(r.stdout)) as Report);
  }
  const cases = reports.flatMap((rep) => rep.scenarios.flatMap((s) => s.cases));
  t.equal(cases.length, RUNS * 5, 'every run ran the five cases');
  t.ok(cases.every((c) => c.status === 'pass'), 'and every case passed');
  const counts = cases.flatMap((c) => c.probes.flatMap((p) => Object.values(p.devices).flatMap((d) => [d.tx, d.rx])));
  t.ok(counts.length > 0 && counts.every((n) => n === 0 || n === 1), 'each probe datagram was counted at most once per device: no other run\'s datagram was seen');
  // Every run saw exactly what every other run saw.
  const paths = (rep: Report) => rep.scenarios.flatMap((s) => s.cases.map((c) => c.probes.map((p) => [c.name, p.delivered, p.path])));
  for (const rep of reports.slice(1)) t.same(paths(rep), paths(reports[0]!), 'the same paths in every run');

  const left = (await namespaces()).filter((n) => [...idOf.values()].some((id) => n.startsWith(`lab-${id}-`)));
  t.same(left, [], 'no namespace of any of the runs is left');
  const states = readStates('/run/netns-lab').filter((e) => [...idOf.values()].includes(e.state.runId));
  t.same(states, [], 'no state file either');
});
