// Kept VM labs, the pure parts: the state entry (shape, what it owns), the run directory's layout,
// which QEMU counts as the lab's, what the teardown does (power off through the runner, kill,
// remove the run directory) with fakes, lab up's options, lab clean's and lab list's view of a
// VM lab, lab shell's argv in the guest.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { keptVmOf, readStates, StateFile, type KeptVm, type RunState } from '../../../src/backends/state.js';
import { isKeptQemu, isRunDirOf, keptJobScript, keptVmPaths, tearDownVm, type ProcessView } from '../../../src/backends/vm/kept.js';
import { qemuArgv } from '../../../src/backends/vm/qemu.js';
import { spawnSync } from 'node:child_process';
import { decide } from '../../../src/cli/clean.js';
import { summarize } from '../../../src/cli/labs.js';
import { listTable } from '../../../src/cli/list.js';
import { vmShellArgv } from '../../../src/cli/shell.js';
import { describeUp, keptIdOf, upBackend } from '../../../src/cli/up.js';
import { planCase } from '../../../src/plan/plan.js';
import { followResizes, upKernel } from '../../../src/session/vm-lab.js';
import { seedCase, seedScenario } from '../fixtures.js';
import { tempDir } from '../../tmp.js';

/** The VM record, with `over` (`qemu: undefined`: not started yet). */
const vm = (over: { [K in keyof KeptVm]?: KeptVm[K] | undefined } = {}): KeptVm => {
  const v = { ...base, ...over };
  if (v.qemu === undefined) delete v.qemu;
  return v as KeptVm;
};
const base: KeptVm = {
  runDir: '/run/netns-lab/vm-abc123',
  socket: '/run/netns-lab/vm-abc123/runner.sock',
  consoleLog: '/run/netns-lab/vm-abc123/console.log',
  kernel: { release: '6.1.0-57-amd64', source: 'linux-image-6.1.0-57-amd64' },
  accel: 'tcg',
  qemu: { pid: 4321, pidStart: '99' },
};

const state = (over: Partial<RunState>): RunState => ({
  runId: 'abc123', prefix: 'lab-abc123', pid: 4242, pidStart: '1', startedAt: new Date(0).toISOString(),
  scenarios: ['s.yaml'], namespaces: [], kind: 'kept', status: 'up', backend: 'vm', vm: vm(),
  lab: { scenario: 'seed', file: 's.yaml', case: 'c1', caseIndex: 0, nodes: [{ node: 'a', netns: 'lab-abc123-c0-a' }, { node: 'b', netns: 'lab-abc123-c0-b' }] },
  ...over,
});

/** A process table of one QEMU: pid 4321, started at 99, with this lab's socket. */
const qemuView = (over: { start?: string | null; argv?: string[] } = {}): ProcessView => ({
  startOf: (pid) => (pid === 4321 ? (over.start === undefined ? '99' : over.start) : null),
  cmdlineOf: (pid) => (pid === 4321 ? over.argv ?? ['qemu-system-x86_64', '-chardev', 'socket,id=labrun,path=/run/netns-lab/vm-abc123/runner.sock,server=on,wait=off'] : []),
});

t.test('the state entry of a kept VM lab: what it records, what it owns, read back checked', async (t) => {
  const dir = tempDir('kept-vm-state-');
  const s = new StateFile(dir, { runId: 'abc123', prefix: 'lab-abc123', pid: process.pid, scenarios: ['s.yaml'], kind: 'kept', status: 'building', backend: 'vm' });
  t.notOk(s.ownsAnything);
  s.ownVm(vm({ qemu: undefined }));
  t.ok(s.ownsAnything, 'the VM is owned before QEMU starts (its run directory is made first)');
  s.ownVm(vm());
  s.keep({ scenario: 'seed', file: 's.yaml', case: 'c1', caseIndex: 0, nodes: [{ node: 'a', netns: 'lab-abc123-c0-a' }] });
  const [entry] = readStates(dir);
  t.match(entry?.state, { kind: 'kept', status: 'up', backend: 'vm', namespaces: [], vm: { qemu: { pid: 4321, pidStart: '99' }, kernel: { release: '6.1.0-57-amd64' } } });
  t.same(keptVmOf(entry!.state), vm());
  s.releaseVm();
  t.notOk(s.ownsAnything, 'released once QEMU is gone and the run directory removed');
  t.notOk('vm' in JSON.parse(readFileSync(s.path, 'utf8')));
  s.close();
  t.notOk(existsSync(s.path));
});

t.test('keptVmOf: a record a kill or a removal is decided from is checked field by field', async (t) => {
  t.equal(keptVmOf({}), undefined, 'a host lab');
  t.ok(keptVmOf({ vm: vm({ qemu: undefined }) }), 'before QEMU started');
  const bad: [string, unknown][] = [
    ['a relative run directory', { ...vm(), runDir: 'vm-abc123' }],
    ['no socket', { ...vm(), socket: 3 }],
    ['no kernel release', { ...vm(), kernel: { source: 'x' } }],
    ['an unknown accelerator', { ...vm(), accel: 'hvf' }],
    ['more sockets that are not paths', { ...vm(), moreSockets: [3] }],
    ['pid 1', { ...vm(), qemu: { pid: 1, pidStart: null } }],
    ['a pid that is not a number', { ...vm(), qemu: { pid: '4321', pidStart: null } }],
    ['a start time that is not a string', { ...vm(), qemu: { pid: 4321, pidStart: 99 } }],
  ];
  for (const [what, v] of bad) t.equal(keptVmOf({ vm: v as KeptVm }), undefined, what);
});

t.test('the run directory: everything of the VM in STATE_DIR/vm-ID', async (t) => {
  t.same(keptVmPaths('/run/netns-lab', 'abc123'), {
    runDir: '/run/netns-lab/vm-abc123',
    socket: '/run/netns-lab/vm-abc123/runner.sock',
    moreSockets: [1, 2, 3].map((i) => `/run/netns-lab/vm-abc123/runner-${i}.sock`),
    consoleLog: '/run/netns-lab/vm-abc123/console.log',
    innerStateDir: '/run/netns-lab/vm-abc123/state',
    tmp: '/run/netns-lab/vm-abc123/tmp',
  });
  t.ok(keptVmPaths('/run/netns-lab', 'abc123').socket.length < 108, 'a unix socket path');
  t.ok(isRunDirOf('/run/netns-lab/vm-abc123', 'abc123'));
  t.notOk(isRunDirOf('/run/netns-lab/vm-abc124', 'abc123'), 'another lab\'s');
  t.notOk(isRunDirOf('/', 'abc123'));
  t.notOk(isRunDirOf('vm-abc123', 'abc123'), 'relative');
});

t.test('the lab\'s QEMU is the recorded pid, started then, with this lab\'s socket', async (t) => {
  t.ok(isKeptQemu(vm(), qemuView()));
  t.notOk(isKeptQemu(vm(), qemuView({ start: null })), 'gone');
  t.notOk(isKeptQemu(vm(), qemuView({ start: '100' })), 'the pid is another process now');
  t.notOk(isKeptQemu(vm(), qemuView({ argv: ['sleep', 'path=/run/netns-lab/vm-abc123/runner.sock,'] })), 'not QEMU');
  t.notOk(isKeptQemu(vm(), qemuView({ argv: ['qemu-system-x86_64', '-chardev', 'socket,path=/run/netns-lab/vm-def456/runner.sock,server=on'] })), 'another lab\'s QEMU');
  t.notOk(isKeptQemu(vm(), qemuView({ argv: [''] })), 'a zombie (no command line)');
  t.notOk(isKeptQemu(vm({ qemu: undefined }), qemuView()), 'not started');
});

t.test('tearDownVm: power off through the runner, kill only if that did not end it, remove the run directory', async (t) => {
  const calls: string[] = [];
  let running = true;
  const view: ProcessView = { startOf: (pid) => (running ? qemuView().startOf(pid) : null), cmdlineOf: qemuView().cmdlineOf };
  const deps = {
    view,
    kill: (pid: number) => {
      calls.push(`kill ${pid}`);
      running = false;
    },
    removeDir: (p: string) => void calls.push(`rm ${p}`),
    waitMs: 300,
  };
  // The guest powers off when asked.
  let r = await tearDownVm(vm(), 'abc123', { ...deps, graceful: true, powerOff: async () => void (calls.push('power off'), (running = false)) });
  t.same(calls, ['power off', 'rm /run/netns-lab/vm-abc123']);
  t.same(r.removed, ['QEMU 4321 (the guest powered off)', 'run directory /run/netns-lab/vm-abc123']);
  // The runner does not answer: QEMU is killed.
  calls.length = 0;
  running = true;
  r = await tearDownVm(vm(), 'abc123', { ...deps, graceful: true, powerOff: async () => { throw new Error('no answer'); } });
  t.same(calls, ['kill 4321', 'rm /run/netns-lab/vm-abc123']);
  t.match(r.skipped, [/no answer/]);
  // Not graceful (lab clean of a dead lab, a failed lab up): killed at once.
  calls.length = 0;
  running = true;
  r = await tearDownVm(vm(), 'abc123', { ...deps, graceful: false, powerOff: async () => void calls.push('power off') });
  t.same(calls, ['kill 4321', 'rm /run/netns-lab/vm-abc123']);
  // QEMU gone already (stale): only the run directory.
  calls.length = 0;
  running = false;
  r = await tearDownVm(vm(), 'abc123', { ...deps, graceful: true });
  t.same(calls, ['rm /run/netns-lab/vm-abc123']);
  t.same(r.skipped, ['QEMU 4321: not running']);
  // A pid that is another process now is never killed.
  calls.length = 0;
  r = await tearDownVm(vm(), 'abc123', { ...deps, view: qemuView({ argv: ['bash'] }), graceful: false });
  t.same(calls, ['rm /run/netns-lab/vm-abc123']);
  // A run directory that is not this lab's is never removed.
  calls.length = 0;
  r = await tearDownVm(vm({ runDir: '/home' }), 'abc123', { ...deps, view: qemuView({ start: null }), graceful: false });
  t.same(calls, []);
  t.match(r.failed, [/not a kept VM lab's run directory of lab abc123; left alone/]);
});

t.test('lab up: --backend and --kernel', async (t) => {
  t.equal(upBackend({}), 'host');
  t.equal(upBackend({ backend: 'vm' }), 'vm');
  t.equal(upBackend({ kernel: '6.1.0-57-amd64' }), 'vm', 'a kernel other than host implies the VM');
  t.equal(upBackend({ kernel: 'host' }), 'host');
  t.equal(upBackend({ backend: 'vm', kernel: 'host' }), 'vm', 'the running kernel\'s packages in a VM');
  t.throws(() => upBackend({ backend: 'host', kernel: 'debian' }), /--backend host builds on the running kernel only/);
  t.same(upKernel(undefined), { kind: 'debian' }, 'Debian\'s by default');
  t.same(upKernel('host'), { kind: 'host', vm: true });
  t.throws(() => upKernel('no such'), /is not a kernel/);
  t.equal(keptIdOf({ LAB_IN_VM: '1', LAB_KEPT_ID: 'abc123' }), 'abc123', 'the id of the kept VM lab, inside');
  t.equal(keptIdOf({ LAB_KEPT_ID: 'abc123' }), undefined, 'outside a VM\'s host side: ignored');
  t.equal(keptIdOf({ LAB_IN_VM: '1', LAB_KEPT_ID: '../x' }), undefined, 'not an id');
});

t.test('lab up --backend vm describes the VM and no way around lab to its namespaces', async (t) => {
  const scenario = seedScenario([seedCase({ name: 'one' })]);
  const text = describeUp('abc123', scenario, planCase(scenario, 0, 'lab-abc123'), { release: '6.1.0-57-amd64', accel: 'tcg', runDir: '/run/netns-lab/vm-abc123', qemuPid: 4321 });
  t.match(text, /in a VM: kernel 6\.1\.0-57-amd64 \(TCG\), QEMU pid 4321; it keeps running until lab down/);
  t.match(text, /its files \(console log, the guest runner's socket\): \/run\/netns-lab\/vm-abc123/);
  t.match(text, /lab exec abc123 laptop -- ip -br addr/);
  t.notMatch(text, /ip netns exec/, 'the guest\'s namespaces are not the host\'s');
});

t.test('lab clean and lab list of kept VM labs: alive while QEMU runs, stale once it is gone', async (t) => {
  const kept = state({});
  const dead = () => false;
  const exists = () => false;
  t.match(decide(kept, dead, exists, () => true), { action: 'keep', why: /kept VM lab and its QEMU runs; lab down abc123/ });
  t.match(decide(kept, dead, exists, () => false), { action: 'remove', why: 'it is a kept VM lab whose QEMU 4321 is gone (stale)' });
  t.equal(decide(state({ status: 'building' }), () => true, exists, () => true).action, 'keep', 'lab up at work');
  t.equal(decide(state({ status: 'building' }), dead, exists, () => true).action, 'remove', 'lab up killed while booting: its QEMU goes');
  const up = summarize({ path: '/x/abc123.json', state: kept }, 1000, dead, () => true);
  t.match(up, { backend: 'vm', kernel: '6.1.0-57-amd64', vmAlive: true, status: 'up', liveness: 'kept' });
  const stale = summarize({ path: '/x/abc123.json', state: kept }, 1000, dead, () => false);
  t.match(stale, { vmAlive: false, status: 'stale' });
  const [, row1, row2] = listTable([up, stale]).split('\n');
  t.match(row1, /^abc123\s+kept\s+vm 6\.1\.0-57-amd64 \(QEMU alive\)\s+up\s+seed\s+c1\s+\S+\s+kept\s+2$/, 'a node per guest namespace');
  t.match(row2, /vm 6\.1\.0-57-amd64 \(QEMU gone\)\s+stale: QEMU gone \(lab clean removes it\)/);
});

t.test('lab shell in the guest: script(1) makes the terminal, or plain pipes', async (t) => {
  const env = { LAB_NODE: 'a', PS1: "[lab x a] \\w\\$ " };
  t.same(vmShellArgv('lab-abc123-c0-a', ['sh'], env, undefined), ['env', 'LAB_NODE=a', 'PS1=[lab x a] \\w\\$ ', 'ip', 'netns', 'exec', 'lab-abc123-c0-a', 'sh']);
  t.same(vmShellArgv('lab-abc123-c0-a', ['/bin/bash', '--norc'], env, { rows: 40, cols: 120 }), [
    'env', 'LAB_NODE=a', 'PS1=[lab x a] \\w\\$ ',
    'script', '-qfec', "stty rows 40 cols 120 2>/dev/null; exec 'ip' 'netns' 'exec' 'lab-abc123-c0-a' '/bin/bash' '--norc'", '/dev/null',
  ]);
  t.match(vmShellArgv('n', ["it's"], {}, { rows: 0, cols: 0 })[3], /^exec 'ip' 'netns' 'exec' 'n' 'it'\\''s'$/, 'quoted for sh; no size when unknown');
});

t.test('lab shell in the guest follows the terminal\'s size: the pty of script\'s child, found once', async (t) => {
  const ran: string[] = [];
  const answers: Record<string, string> = { 'cat /proc/77/task/77/children': '78 \n', 'readlink /proc/78/fd/0': '/dev/pts/3\n' };
  const guest = {
    run: async (c: { argv: string[] }) => {
      ran.push(c.argv.join(' '));
      return { exitCode: 0, stdout: answers[c.argv.join(' ')] ?? '' };
    },
  };
  const size = { rows: process.stdout.rows, columns: process.stdout.columns };
  Object.assign(process.stdout, { rows: 40, columns: 132 });
  t.teardown(() => void Object.assign(process.stdout, size));
  const onResize = followResizes(guest, () => 77);
  onResize();
  await new Promise((r) => setTimeout(r, 20));
  onResize();
  await new Promise((r) => setTimeout(r, 20));
  t.same(ran, [
    'cat /proc/77/task/77/children', 'readlink /proc/78/fd/0', 'stty -F /dev/pts/3 rows 40 cols 132', 'stty -F /dev/pts/3 rows 40 cols 132',
  ]);
  ran.length = 0;
  const notYet = followResizes(guest, () => undefined);
  notYet();
  await new Promise((r) => setTimeout(r, 20));
  t.same(ran, [], 'before script started: nothing');
  answers['readlink /proc/78/fd/0'] = 'pipe:[123]\n';
  const noPty = followResizes(guest, () => 77);
  noPty();
  await new Promise((r) => setTimeout(r, 20));
  t.notOk(ran.some((c) => c.startsWith('stty')), 'stdin not a pty: no stty');
});

t.test('lab up\'s command line: --backend vm|host and --kernel, refused before anything is built', async (t) => {
  const { main } = await import('../../../src/cli/main.js');
  const run = async (args: string[]) => {
    const err: string[] = [];
    const code = await main(args, { out: () => undefined, err: (s: string) => void err.push(s) });
    return { code, err: err.join('') };
  };
  const bad = await run(['up', 'scenarios/laptop-two-nics.yaml', '--backend', 'qemu']);
  t.equal(bad.code, 2, 'an unknown backend');
  t.match(bad.err, /backend/);
  const contradiction = await run(['up', 'scenarios/laptop-two-nics.yaml', '--backend', 'host', '--kernel', 'debian']);
  t.equal(contradiction.code, 2);
  t.match(contradiction.err, /--backend host builds on the running kernel only; --kernel debian needs --backend vm/);
  const notAKernel = await run(['up', 'scenarios/laptop-two-nics.yaml', '--backend', 'vm', '--kernel', 'no such']);
  t.equal(notAKernel.code, 2);
  t.match(notAKernel.err, /is not a kernel/);
});

t.test('a kept VM: a runner on each port, the main one in place of the job; QEMU gives each port a socket', async (t) => {
  const job = keptJobScript({ cwd: '/work/x y', runDir: '/run/netns-lab/vm-abc123', preload: [['mac80211_hwsim', 'radios=0']], morePorts: 2 });
  t.equal(spawnSync('sh', ['-n'], { input: job }).status, 0, 'sh reads it');
  t.match(job, /^cd '\/work\/x y' \|\| exit 70$/m);
  t.match(job, /^modprobe 'mac80211_hwsim' 'radios=0' >\/dev\/null 2>&1 &$/m);
  t.match(job, /mount --bind \/run\/lab-vm '\/run\/netns-lab\/vm-abc123'/);
  t.match(job, /^for name in 'lab\.runner\.1' 'lab\.runner\.2'; do .* perl \/run\/lab-vm\/guest-runner\.pl --keep "\$p" & done$/m, 'the further ports: kept from the start');
  t.match(job, /^exec env -i .* perl \/run\/lab-vm\/guest-runner\.pl "\$port"\n$/m, 'the main port last, not kept until lab up says so');
  t.notMatch(keptJobScript({ cwd: '/', runDir: '/r/vm-a', preload: [], morePorts: 0 }), /for name/);
  const argv = qemuArgv({ accel: 'tcg', image: 'k', initramfs: 'i', cpus: 1, memoryMb: 64, runnerSocket: '/r/runner.sock', moreRunnerSockets: ['/r/runner-1.sock'] }).join(' ');
  t.match(argv, /-chardev socket,id=labrun,path=\/r\/runner\.sock,server=on,wait=off -device virtserialport,bus=labvs\.0,chardev=labrun,name=lab\.runner /);
  t.match(argv, /-chardev socket,id=labrun1,path=\/r\/runner-1\.sock,server=on,wait=off -device virtserialport,bus=labvs\.0,chardev=labrun1,name=lab\.runner\.1$/);
});
