// The composite action's steps run as a hosted runner runs them: a non-root user with
// passwordless sudo (the runner's sudoers line, `NOPASSWD: ALL`, which implies SETENV for -E),
// bash on the step's script, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY and GITHUB_ACTION_PATH set to
// files and directories of the test. Nothing is installed: the packages are present here, and the
// "missing" path is shown with a dpkg-query stand-in in dry-run mode (an apt-get stand-in fails
// the test if it is ever called). kvm.sh writes a udev rule: its as_root commands go to stand-ins.
import { execa } from 'execa';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { isRoot, ROOT } from './helpers.js';

const hasSudo = existsSync('/usr/bin/sudo') && existsSync('/usr/sbin/useradd');
const built = existsSync(join(ROOT, 'dist', 'cli', 'bin.js'));
const skip = !isRoot ? 'needs root (creates a user)' : !hasSudo ? 'needs sudo and useradd (make deps-test)' : !built ? 'needs make build' : false;

const USER = `labact${process.pid % 100000}`;
const SUDOERS = `/etc/sudoers.d/${USER}`;

/** A scenario of one passing case, and the same with the expectation turned around. */
const scenario = (delivered: boolean) => `name: action-check
nodes: { a: {}, b: {} }
links: [[a:eth0, b:eth0]]
addresses: { a:eth0: 192.0.2.1/24, b:eth0: 192.0.2.2/24 }
cases:
  - name: a reaches b
    probes: [ { udp: { from: a:192.0.2.1, to: 192.0.2.2 } } ]
    expect: { delivered: ${delivered}, path: [a:eth0, b:eth0] }
`;

interface Step {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
}

t.test('the action\'s steps as a runner runs them: a user with sudo, GITHUB_* files', { skip }, async (t) => {
  // Not under TMPDIR: `make test` gives the suite a private (0700) one the user could not enter.
  const work = mkdtempSync('/tmp/lab-action-');
  chmodSync(work, 0o755);
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const home = join(work, 'home');
  const workspace = join(work, 'workspace');
  const fakes = join(work, 'fakes');
  for (const d of [home, workspace, fakes]) mkdirSync(d, { recursive: true });
  const made = await execa('useradd', ['--no-create-home', '--home-dir', home, '--shell', '/bin/bash', USER], { reject: false });
  t.equal(made.exitCode, 0, `useradd ${USER}: ${made.stderr}`);
  t.teardown(async () => {
    rmSync(SUDOERS, { force: true });
    await execa('userdel', [USER], { reject: false });
  });
  const uid = Number((await execa('id', ['-u', USER])).stdout);
  const gid = Number((await execa('id', ['-g', USER])).stdout);
  for (const d of [home, workspace]) chownSync(d, uid, gid);
  // What GitHub's runner image has for its user `runner`.
  writeFileSync(SUDOERS, `${USER} ALL=(ALL) NOPASSWD: ALL\n`, { mode: 0o440 });
  const checked = await execa('visudo', ['-cf', SUDOERS], { reject: false });
  t.equal(checked.exitCode, 0, `sudoers line is valid: ${checked.stderr}`);
  writeFileSync(join(workspace, 'pass.yaml'), scenario(true));
  writeFileSync(join(workspace, 'fail.yaml'), scenario(false));
  writeFileSync(join(workspace, 'radio.yaml'), readFileSync(join(ROOT, 'scenarios', 'laptop-two-wlan.yaml')));
  for (const f of ['pass.yaml', 'fail.yaml', 'radio.yaml']) chownSync(join(workspace, f), uid, gid);

  let n = 0;
  /** One step: `bash SCRIPT` as the user in the workspace, with fresh GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files. */
  const step = async (script: string, env: Record<string, string>, pathFirst?: string): Promise<Step> => {
    n += 1;
    const output = join(home, `output-${n}`);
    const summary = join(home, `summary-${n}`);
    for (const f of [output, summary]) {
      writeFileSync(f, '');
      chownSync(f, uid, gid);
    }
    const r = await execa('runuser', ['-u', USER, '--', 'env', '-i',
      `HOME=${home}`, `USER=${USER}`, `PATH=${pathFirst ? `${pathFirst}:` : ''}/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
      `GITHUB_ACTION_PATH=${ROOT}`, `GITHUB_OUTPUT=${output}`, `GITHUB_STEP_SUMMARY=${summary}`, 'RUNNER_OS=Linux', 'ImageOS=ubuntu24',
      ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
      'bash', join(ROOT, 'action', script)], { cwd: workspace, reject: false, timeout: 240_000, input: '' });
    const outputs = Object.fromEntries(readFileSync(output, 'utf8').split('\n').filter(Boolean).map((l) => {
      const i = l.indexOf('=');
      return [l.slice(0, i), l.slice(i + 1)];
    }));
    return { exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr), outputs, summary: readFileSync(summary, 'utf8') };
  };

  // Stand-ins: apt-get must never run; dpkg-query says one package is not installed.
  writeFileSync(join(fakes, 'apt-get'), '#!/bin/sh\necho "apt-get called: $*" >&2\nexit 99\n');
  writeFileSync(join(fakes, 'dpkg-query'), '#!/bin/sh\nfor a; do p=$a; done\nif [ "$p" = socat ]; then echo "deinstall ok config-files"; exit 0; fi\nexec /usr/bin/dpkg-query "$@"\n');
  for (const f of ['apt-get', 'dpkg-query']) chmodSync(join(fakes, f), 0o755);

  await t.test('deps.sh: the host backend needs the run and pcap groups, all installed: no apt call', async (t) => {
    const r = await step('deps.sh', { LAB_SCENARIOS: 'pass.yaml', LAB_KERNEL: 'host', LAB_BACKEND: 'host', LAB_OUT: 'lab-report', LAB_WIRELESS: 'auto' });
    t.equal(r.exitCode, 0, r.stderr);
    t.equal(r.outputs.groups, 'run pcap');
    t.equal(r.outputs.vm, 'false');
    t.equal(r.outputs.missing, '', 'nothing to install here');
    t.match(r.outputs.packages, /\biproute2\b.*\btcpdump\b/);
    t.notMatch(r.outputs.packages, /qemu|hostapd/, 'no VM or radio packages for the host backend');
    t.equal(r.outputs['cache-dir'], join(home, '.cache', 'netns-lab'));
    t.match(r.summary, /^### lab: dependencies$/m);
    t.match(r.summary, /groups run pcap; all \d+ packages were installed already\./);
  });

  await t.test('deps.sh: a VM and a wireless scenario add their groups; a kernel cache key on the kernel spec', async (t) => {
    const r = await step('deps.sh', { LAB_SCENARIOS: 'radio.yaml', LAB_KERNEL: 'ubuntu', LAB_BACKEND: 'vm', LAB_OUT: 'lab-report', LAB_WIRELESS: 'auto' });
    t.equal(r.exitCode, 0, r.stderr);
    t.equal(r.outputs.groups, 'run pcap vm wireless');
    t.equal(r.outputs.vm, 'true');
    t.match(r.outputs.packages, /\bqemu-system-x86\b.*\bhostapd\b/);
    t.match(r.outputs['kernel-cache-key'], /^lab-kernels-v1-Linux-ubuntu24-ubuntu-\d{4}-\d{2}$/);
    t.equal(r.outputs['kernel-cache-restore'], 'lab-kernels-v1-Linux-ubuntu24-ubuntu-');
    const off = await step('deps.sh', { LAB_SCENARIOS: 'radio.yaml', LAB_KERNEL: 'host', LAB_BACKEND: 'host', LAB_OUT: '', LAB_WIRELESS: 'false' });
    t.equal(off.outputs.groups, 'run', 'wireless: false and no out: the run group alone');
  });

  await t.test('deps.sh: a missing package in dry-run mode is named, and apt-get is not called', async (t) => {
    const r = await step('deps.sh', { LAB_SCENARIOS: 'pass.yaml', LAB_KERNEL: 'host', LAB_BACKEND: 'host', LAB_OUT: 'lab-report', LAB_DEPS_DRY_RUN: '1' }, fakes);
    t.equal(r.exitCode, 0, r.stderr);
    t.equal(r.outputs.missing, 'socat');
    t.match(r.summary, /would install socat \(dry run\)/);
    const real = await step('deps.sh', { LAB_SCENARIOS: 'pass.yaml', LAB_KERNEL: 'host', LAB_BACKEND: 'host', LAB_OUT: 'lab-report' }, fakes);
    t.not(real.exitCode, 0, 'the check is live: without dry run the stand-in apt-get is reached (through sudo) and fails the step');
    t.match(real.stderr, /apt-get called: .*update/);
  });

  await t.test('kvm.sh: the udev rule through sudo, and the accel output', async (t) => {
    const log = join(home, 'kvm-calls');
    const kvmFakes = join(work, 'kvm-fakes');
    mkdirSync(kvmFakes);
    for (const tool of ['tee', 'udevadm']) {
      writeFileSync(join(kvmFakes, tool), `#!/bin/sh\necho "$(id -u) ${tool} $*" >> ${log}\n${tool === 'tee' ? 'cat > /dev/null\n' : ''}`);
      chmodSync(join(kvmFakes, tool), 0o755);
    }
    const r = await step('kvm.sh', {}, kvmFakes);
    t.equal(r.exitCode, 0, r.stderr);
    t.equal(r.outputs.accel, existsSync('/dev/kvm') ? 'kvm' : 'tcg');
    if (existsSync('/dev/kvm')) {
      t.match(readFileSync(log, 'utf8'), /^0 tee \/etc\/udev\/rules\.d\/99-kvm4all\.rules\n0 udevadm control --reload-rules\n0 udevadm trigger --name-match=kvm\n$/, 'as root');
    }
  });

  const runEnv = (file: string) => ({
    LAB_SCENARIOS: file, LAB_KERNEL: 'host', LAB_BACKEND: 'host', LAB_FORMAT: 'table,github,junit,json',
    LAB_OUT: 'lab-report', LAB_SHARD: '', LAB_ARTIFACT: 'lab-report', LAB_CACHE_DIR: join(home, '.cache', 'netns-lab'),
  });

  await t.test('run.sh: lab as root through sudo; outputs, the job summary and reports the user owns', async (t) => {
    const r = await step('run.sh', runEnv('pass.yaml'));
    t.equal(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);
    t.same(r.outputs, { 'report-dir': 'lab-report', artifact: 'lab-report' });
    t.match(r.summary, /action-check/, 'lab wrote the job summary (through sudo -E)');
    t.match(r.summary, /a reaches b/);
    const report = JSON.parse(readFileSync(join(workspace, 'lab-report', 'report.json'), 'utf8')) as { scenarios: { cases: { status: string }[] }[] };
    t.equal(report.scenarios[0]?.cases[0]?.status, 'pass');
    t.ok(existsSync(join(workspace, 'lab-report', 'junit.xml')));
    t.equal(statSync(join(workspace, 'lab-report', 'report.json')).uid, uid, 'handed back to the user (upload-artifact runs as the user)');
  });

  await t.test('run.sh: a failed expectation fails the step with exit 1, the summary says which', async (t) => {
    const r = await step('run.sh', runEnv('fail.yaml'));
    t.equal(r.exitCode, 1, r.stderr);
    t.match(r.summary, /a reaches b/);
    t.match(r.stdout, /^::error file=fail\.yaml/m, 'an annotation on the scenario line');
  });
});
