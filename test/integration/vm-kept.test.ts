// A kept VM lab for real, in one boot of the cached Debian kernel (TCG here): `lab up --backend vm`
// leaves QEMU running with the case built inside its guest; `lab exec` and `lab shell` reconnect
// to the guest runner and run in a node's namespace there (exit codes passed through); `lab list`
// shows it with its kernel and QEMU alive; `lab down` powers it off and leaves no QEMU, no run
// directory, no socket, no state file; an exec while a shell is open does not wait for it. A stale kept VM lab (its QEMU gone) is made by hand, as a
// state file and a run directory: `lab clean` removes it and leaves the live one alone.
// By hand first: `lab up scenarios/laptop-two-nics.yaml --backend vm --kernel 6.1.0-57-amd64`,
// then `lab exec ID laptop -- ip -br addr` (wlan0 192.0.2.1/24, wlan1 192.0.2.2/24), `-- false`
// (exit 1), `echo 'ip -br link' | lab shell ID laptop`, `lab shell` on a terminal (script(1) on
// the host: tty /dev/pts/0 in the guest, `stty size` as the host's, `exit 3` gave 3), `lab down`.
import t from 'tap';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cachedKernels } from '../../src/backends/vm/kernels.js';
import { defaultCacheDir } from '../../src/backends/vm/cache.js';
import { tempDir } from '../tmp.js';
import { lab, needsRoot, SEED, userEnv } from './helpers.js';

const debian = cachedKernels(defaultCacheDir()).find((k) => k.source.startsWith('linux-image-') && k.modulesRoot !== undefined);
const skip = needsRoot || (!existsSync('/usr/bin/qemu-system-x86_64') ? 'needs qemu-system-x86 (make deps)' : debian ? false : 'no Debian kernel in the cache (lab kernels)');
const CASE = 'accept-local sends it over the wire';

// One TCG boot on a loaded 2-core machine, and a handful of reconnections.
t.setTimeout(6 * 60_000);

/** Whether a process runs whose command line names `socket` (a zombie has none). */
const qemuOf = (socket: string): number[] =>
  readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(`path=${socket},`);
      } catch {
        return false;
      }
    })
    .map(Number);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('a kept VM lab: up, exec, shell, list, clean of a stale one, down, nothing left', { skip }, async (t) => {
  const stateDir = tempDir('vm-kept-');
  const env = { ...userEnv(), LAB_STATE_DIR: stateDir };
  const run = (args: string[], opts: { input?: string; timeout?: number } = {}) =>
    lab(args, { env, timeout: opts.timeout ?? 60_000, ...(opts.input !== undefined ? { input: opts.input } : {}) });

  const up = await run(['up', SEED, '--case', CASE, '--backend', 'vm', '--kernel', debian?.release ?? ''], { timeout: 4 * 60_000 });
  t.equal(up.exitCode, 0, 'lab up --backend vm', { stderr: String(up.stderr).slice(-3000) });
  const id = /^lab (\w+) is up: laptop-two-nics › accept-local/m.exec(String(up.stdout))?.[1] ?? '';
  t.ok(id, `the lab id: ${id}`);
  t.match(String(up.stdout), new RegExp(`in a VM: kernel ${debian?.release.replaceAll('.', '\\.')} \\((TCG|KVM)\\), QEMU pid \\d+`), 'the kernel and QEMU');
  t.match(String(up.stdout), new RegExp(`laptop +lab-${id}-c1-laptop +lo, wlan0 192\\.0\\.2\\.1/24`), 'the nodes and their namespaces');
  t.notMatch(String(up.stdout), /ip netns exec/, 'no hint to reach the guest\'s namespaces without lab');
  const stateFile = join(stateDir, `${id}.json`);
  const state = JSON.parse(readFileSync(stateFile, 'utf8')) as {
    kind: string; status: string; backend: string; namespaces: string[];
    vm: { runDir: string; socket: string; qemu: { pid: number }; kernel: { release: string } };
  };
  t.match(state, { kind: 'kept', status: 'up', backend: 'vm', namespaces: [], vm: { kernel: { release: debian?.release } } }, 'recorded as a kept VM lab');
  const { runDir, socket } = state.vm;
  t.strictSame(qemuOf(socket), [state.vm.qemu.pid], 'its QEMU runs after lab up exited, the recorded pid');

  const addr = await run(['exec', id, 'laptop', '--', 'ip', '-br', 'addr']);
  t.equal(addr.exitCode, 0, 'exec ip -br addr', { stderr: String(addr.stderr) });
  t.match(String(addr.stdout), /^wlan0\S*\s+UP\s+192\.0\.2\.1\/24/m, 'the scenario\'s address, inside the guest');
  t.match(String(addr.stdout), /^wlan1\S*\s+UP\s+192\.0\.2\.2\/24/m);
  const rules = await run(['exec', id, 'laptop', 'ip', 'rule']);
  t.match(String(rules.stdout), /^100:\s+from all to 192\.0\.2\.2 iif lo lookup 100/m, 'the recipe was applied');
  const no = await run(['exec', id, 'laptop', '--', 'false']);
  t.equal(no.exitCode, 1, 'false: exit 1 passed through');
  const seven = await run(['exec', id, 'ap', '--', 'sh', '-c', 'echo out; echo err >&2; exit 7']);
  t.strictSame([seven.exitCode, String(seven.stdout), String(seven.stderr)], [7, 'out', 'err'], 'exit code, stdout and stderr of the command');

  const shell = await run(['shell', id, 'laptop'], { input: 'ip -br addr show dev wlan1\necho "node $LAB_NODE"\nexit 4\n' });
  t.equal(shell.exitCode, 4, 'the shell\'s exit code', { stderr: String(shell.stderr) });
  t.match(String(shell.stdout), /^wlan1\S*\s+UP\s+192\.0\.2\.2\/24/m, 'piped commands ran in the node');
  t.match(String(shell.stdout), /^node laptop$/m);

  // One port per host: an exec does not wait for a shell that is still open (QEMU's socket takes
  // one host at a time; the guest has a kept runner on each of its ports).
  const started = performance.now();
  const open = run(['shell', id, 'laptop'], { input: 'sleep 6; exit 0\n' });
  await sleep(1_500);
  const meanwhile = await run(['exec', id, 'ap', '--', 'echo', 'meanwhile']);
  const answeredAt = performance.now() - started;
  t.equal(String(meanwhile.stdout), 'meanwhile', 'an exec while a shell is open', { stderr: String(meanwhile.stderr) });
  t.equal((await open).exitCode, 0, 'the shell');
  const shellEnded = performance.now() - started;
  t.ok(answeredAt < shellEnded - 1_000, `the exec answered at ${Math.round(answeredAt)} ms, before the shell ended at ${Math.round(shellEnded)} ms`);

  // A stale kept VM lab, by hand: its QEMU (a pid that runs no QEMU: this test's own) is gone.
  const staleId = 'abc123' === id ? 'abc124' : 'abc123';
  const staleDir = join(stateDir, `vm-${staleId}`);
  mkdirSync(staleDir);
  writeFileSync(join(staleDir, 'console.log'), '');
  writeFileSync(join(stateDir, `${staleId}.json`), JSON.stringify({
    ...state, runId: staleId, prefix: `lab-${staleId}`, pid: 999_999_999, pidStart: null,
    vm: { ...state.vm, runDir: staleDir, socket: join(staleDir, 'runner.sock'), consoleLog: join(staleDir, 'console.log'), qemu: { pid: process.pid, pidStart: null } },
  }));

  const list = await run(['list', '--format', 'json']);
  const labs = (JSON.parse(String(list.stdout)) as { labs: { id: string; backend: string; kernel: string; vmAlive: boolean; status: string }[] }).labs;
  t.match(labs.find((l) => l.id === id), { backend: 'vm', kernel: debian?.release, vmAlive: true, status: 'up' }, 'lab list: the VM lab, its kernel, QEMU alive');
  t.match(labs.find((l) => l.id === staleId), { backend: 'vm', vmAlive: false, status: 'stale' }, 'lab list: the stale one');
  const table = await run(['list']);
  t.match(String(table.stdout), new RegExp(`${id} +kept +vm ${debian?.release.replaceAll('.', '\\.')} \\(QEMU alive\\) +up`));

  const clean = await run(['clean']);
  t.equal(clean.exitCode, 0, 'lab clean', { stderr: String(clean.stderr) });
  t.match(String(clean.stdout), new RegExp(`removed run directory ${staleDir}.*kept VM lab whose QEMU \\d+ is gone \\(stale\\)`));
  t.match(String(clean.stdout), new RegExp(`left lab ${id} alone: it is a kept VM lab and its QEMU runs`));
  t.notOk(existsSync(staleDir) || existsSync(join(stateDir, `${staleId}.json`)), 'the stale lab is gone');
  t.ok(existsSync(runDir) && qemuOf(socket).length === 1, 'the live one is left alone');
  const stillThere = await run(['exec', id, 'ap', '--', 'true']);
  t.equal(stillThere.exitCode, 0, 'and still answers');

  const down = await run(['down', id]);
  t.equal(down.exitCode, 0, 'lab down', { stderr: String(down.stderr) });
  t.match(String(down.stdout), /removed QEMU \d+ \(the guest powered off\)/, 'powered off through the guest runner');
  // The zombie is reaped by whoever adopted QEMU: give it a moment.
  for (let i = 0; i < 50 && qemuOf(socket).length; i++) await sleep(100);
  t.strictSame(qemuOf(socket), [], 'no QEMU left');
  t.notOk(existsSync(runDir), 'no run directory (nor the socket in it)');
  t.notOk(existsSync(socket), 'no socket');
  t.strictSame(readdirSync(stateDir), [], 'no state file, nothing else');
  const gone = await run(['exec', id, 'laptop', '--', 'true']);
  t.equal(gone.exitCode, 2, 'exec of a lab that is down: a usage error');
});
