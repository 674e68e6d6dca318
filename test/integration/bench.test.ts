// `lab bench` runs, prints its document, and leaves nothing behind. Timings are never checked
// here: the targets are reported by the bench itself, as pass or miss.
import { execa } from 'execa';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import t from 'tap';
import { lab, labArgv, namespaces, needsRoot, ROOT, rootSnapshot, userEnv } from './helpers.js';
import { tempDir } from '../tmp.js';
import { cachedKernels } from '../../src/backends/vm/kernels.js';
import { defaultCacheDir } from '../../src/backends/vm/cache.js';
import { loadScenarioFile } from '../../src/recipes/scenario.js';

// The file as a whole: the quick bench (~30 s), then a VM boot and the wireless scenario under TCG
// (~20 s alone, minutes on a busy machine). tap's default for a file (120 s, package.json) cut it
// off while its own VM test allowed 15 minutes.
t.setTimeout(20 * 60_000);

const stateDir = (): string => tempDir('lab-bench-state-');
const stateFiles = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.json'));
const envWith = (dir: string) => ({ env: { ...userEnv(), LAB_STATE_DIR: dir }, extendEnv: false });

/** The prefix the bench announces on stderr: every name it creates starts with it. */
const prefixOf = (stderr: string): string | undefined => /everything it creates is named (lab-[0-9a-f]+)-/.exec(stderr)?.[1];

/** Other runs come and go on a shared machine: their namespaces are not this test's business. */
const withoutNamespaces = (snap: Record<string, string>): Record<string, string> => {
  const { namespaces: _, ...rest } = snap;
  return rest;
};

t.test('lab bench --quick --json prints every field and leaves nothing behind', { skip: needsRoot }, async (t) => {
  const dir = stateDir();
  const before = withoutNamespaces(await rootSnapshot());
  const r = await lab(['bench', '--quick', '--json', '--no-mininet'], envWith(dir));
  t.equal(r.exitCode, 0, String(r.stderr));
  const doc = JSON.parse(String(r.stdout)) as Record<string, any>;
  t.same(Object.keys(doc), ['linear', 'seed_case_ms', 'matrix', 'vm_wireless_s']);
  t.equal(doc['linear'].length, 1);
  const row = doc['linear'][0];
  t.same(Object.keys(row), ['n', 'lab_s', 'mininet_s', 'floor_s']);
  t.equal(row.n, 3);
  t.ok(row.lab_s > 0 && row.floor_s > 0, 'lab and the floor were timed');
  t.equal(row.mininet_s, null, 'Mininet left out…');
  t.match(String(r.stderr), /Mininet: left out by --no-mininet/, '…with the reason on stderr');
  t.same(Object.keys(doc['seed_case_ms']), ['median', 'p95', 'by_case'], 'the fields the issue names, first');
  t.ok(doc['seed_case_ms'].median > 0 && doc['seed_case_ms'].p95 >= doc['seed_case_ms'].median);
  const seed = await loadScenarioFile(resolve(ROOT, 'scenarios', 'laptop-two-nics.yaml'));
  // --quick times the first cases of the default scenario only.
  const names = doc['seed_case_ms'].by_case.map((c: { name: string }) => c.name);
  t.ok(names.length >= 1, 'some cases were timed');
  t.same(names, seed.cases.slice(0, names.length).map((c) => c.name), 'a median for each case timed, in the scenario\'s order');
  t.ok(doc['seed_case_ms'].by_case.every((c: { median: number }) => c.median > 0), 'each timed');
  t.same(Object.keys(doc['matrix']).slice(0, 3), ['cells', 'jobs1_s', 'jobs2_s'], 'the fields the issue names, first');
  t.equal(doc['matrix'].rounds, 1, 'one pair of runs with --quick');
  t.ok(doc['matrix'].jobs1_cores > 0 && doc['matrix'].jobs2_cores > 0, 'the cores each kept busy');
  t.equal(doc['matrix'].cells, 4);
  t.ok(doc['matrix'].jobs1_s > 0 && doc['matrix'].jobs2_s > 0, 'the matrix ran with --jobs 1 and --jobs 2');
  t.equal(doc['vm_wireless_s'], null);
  t.match(String(r.stderr), /vm: left out by --quick/);

  const prefix = prefixOf(String(r.stderr));
  t.ok(prefix, 'the bench names its prefix');
  t.same((await namespaces()).filter((n) => prefix && n.startsWith(`${prefix}-`)), [], 'none of its namespaces left');
  t.same(stateFiles(dir), [], 'its state file is gone');
  const after = withoutNamespaces(await rootSnapshot());
  for (const key of Object.keys(before)) t.equal(after[key], before[key], `root namespace ${key} unchanged`);
});

t.test('the table carries the targets as ratios', { skip: needsRoot }, async (t) => {
  const r = await lab(['bench', '--only', 'linear', '--linear', '2', '--repeat', '1', '--no-mininet'], envWith(stateDir()));
  t.equal(r.exitCode, 0, String(r.stderr));
  t.match(String(r.stdout), /linear,2 +│ +[0-9.]+ s │ +— │ +[0-9.]+ s │ +— │ +[0-9.]+×/);
  t.match(String(r.stdout), /linear,50: no more than 5× the floor +│ n\/a \(linear,50 not in this run\) │ not measured/);
  t.match(String(r.stdout), /— seed: not asked for \(--only linear\)/);
});

t.test('SIGINT in the middle of the bench tears down what it built', { skip: needsRoot }, async (t) => {
  const dir = stateDir();
  const child = execa(...labArgv(['bench', '--only', 'linear', '--linear', '40', '--repeat', '20', '--no-mininet']), {
    reject: false, cwd: ROOT, ...envWith(dir),
  });
  // Wait until the bench has namespaces of its own, then interrupt it.
  let recorded: string[] = [];
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && recorded.length === 0) {
    for (const f of stateFiles(dir)) {
      try {
        const ns = (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { namespaces?: string[] }).namespaces ?? [];
        const live = await namespaces();
        if (ns.some((n) => live.includes(n))) recorded = ns;
      } catch {
        // Being rewritten: read it again.
      }
    }
    await new Promise((res) => setTimeout(res, 20));
  }
  t.ok(recorded.length > 0, 'the bench recorded namespaces before creating them');
  child.kill('SIGINT');
  const r = await child;
  t.equal(r.exitCode, 130, String(r.stderr));
  const prefix = prefixOf(String(r.stderr));
  t.ok(prefix);
  t.same((await namespaces()).filter((n) => prefix && n.startsWith(`${prefix}-`)), [], 'none of its namespaces left');
  t.same(stateFiles(dir), [], 'its state file is gone');
  t.equal(String(r.stdout), '', 'an interrupted bench prints no table');
});

// The VM part boots four times under TCG here (two rounds of floor and scenario, minutes): only where QEMU is and Debian's kernel is
// cached already (a download is no part of this test).
const debianCached = cachedKernels(defaultCacheDir()).some((k) => k.source.startsWith('linux-image-') && k.modulesRoot !== undefined);
const vmSkip = needsRoot || (!existsSync('/usr/bin/qemu-system-x86_64') ? 'needs qemu-system-x86 (make deps)' : debianCached ? false : 'no Debian kernel in the cache (lab kernels)');

t.test('lab bench --only vm --json: the floor, the scenario and its stages as the VM run reached them', { skip: vmSkip, timeout: 15 * 60_000 }, async (t) => {
  const r = await lab(['bench', '--only', 'vm', '--json', '--repeat', '2'], { ...envWith(stateDir()), timeout: 14 * 60_000 });
  t.equal(r.exitCode, 0, String(r.stderr));
  const doc = JSON.parse(String(r.stdout)) as Record<string, any>;
  const rounds = (doc['vm'] as { rounds: { ratio: number }[] }).rounds;
  t.equal(rounds.length, 2, 'two rounds of floor and scenario');
  t.equal((doc['vm'] as { ratio: number }).ratio, Math.max(...rounds.map((x) => x.ratio)), 'of two, the document is the higher ratio\'s round');
  const vm = doc['vm'] as { floor_s: number; scenario_s: number; ratio: number; boot_s: number | null; first_command_s: number | null; stages: { name: string; s: number; case_s?: number; status?: string }[] };
  t.ok(vm.floor_s > 0 && vm.scenario_s > vm.floor_s, `floor ${vm.floor_s} s, scenario ${vm.scenario_s} s`);
  t.equal(doc['vm_wireless_s'], vm.scenario_s);
  const names = vm.stages.map((s) => s.name);
  // Every stage of a driven run, in the order they happen, each case once with its own duration.
  const order = ['boot: QEMU start → /init', 'host root mounted', 'job script', 'guest runner alive', 'first commands answered', 'case ', "lab's host side exits", 'power-off'];
  const firsts = order.map((prefix) => names.findIndex((n) => n.includes(prefix)));
  t.ok(firsts.every((i, k) => i >= 0 && (k === 0 || i > (firsts[k - 1] as number))), `stages in order: ${names.join(' | ')}`);
  const cases = vm.stages.filter((s) => s.name.startsWith('case '));
  t.equal(cases.length, 4, 'the four cases of laptop-two-wlan');
  // Their verdicts are not this test's business: under load a wireless step can time out in the guest.
  t.ok(cases.every((c) => (c.case_s ?? 0) > 0 && ['pass', 'fail', 'skip', 'error'].includes(c.status ?? '')), 'each with its own duration and verdict');
  t.ok(vm.boot_s !== null && vm.boot_s > 0 && vm.first_command_s !== null && vm.first_command_s > 0, `boot ${vm.boot_s} s, first command ${vm.first_command_s} s`);
  const sum = vm.stages.reduce((a, s) => a + s.s, 0);
  t.ok(Math.abs(sum - vm.scenario_s) < 0.005, `the stages add up to the scenario (${sum} s)`);
  // They were logged as they came.
  t.match(String(r.stderr), /\d+\.\d s: runner\n/);
  t.match(String(r.stderr), /\d+\.\d s: case laptop-two-wlan › /);
});
