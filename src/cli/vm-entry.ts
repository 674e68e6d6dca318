// The lab that drives a VM guest starts here, and so does ./lab (bin.ts without top-level await,
// so that it can be bundled as CommonJS and loaded with a V8 code cache: src/backends/vm/bundle.ts).
//
// With LAB_GUEST_CHANNEL set (src/backends/vm/run.ts starts it so, in a sandbox of its own: a pid
// and a mount namespace) this process is lab's host side of a VM: before lab's own main it
// connects to the guest runner on that socket and makes it the process's runner (every command
// runs in the guest), reports os.release() as the guest's kernel (kernel-pinned expectations and
// the report's kernel are the guest's), loads the modules asked for in LAB_GUEST_PRELOAD in the
// guest and shows them in the sandbox's /sys/module (what lab reads to know hwsim is there), and
// has the tracers (--explain's drop reasons, route lookups) reach the guest's tracefs through the
// guest runner.
import { mkdirSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { createRequire } from 'node:module';
import { commandTraceFiles, useTraceFiles } from '../probes/tracefs.js';
import { forwardingSockets, GuestRunner, perlForked, startBaselineRead, useRunner } from '../session/guest.js';
import { main } from './main.js';

/** A line the VM backend picks out of this process's stderr: when the guest answered, ms since this process started. */
export const STAGE_LINE = 'lab-vm-stage ';

/** With LAB_TRACE=1: the commands of the guest's processes (not kernel threads) once lab is done, as JSON. */
export const GUEST_PS_LINE = '[trace] guest processes: ';

const stage = (name: string): void => void process.stderr.write(`${STAGE_LINE}${name} ${Math.round(performance.now())}\n`);

const guest = async (channel: string): Promise<GuestRunner> => {
  const runner = await GuestRunner.connect(channel, Number(process.env['LAB_GUEST_WAIT_MS'] ?? 120_000));
  await runner.hello;
  stage('hello');
  // Started now, beside the modules' load that the first commands wait for (0.3-0.4 s under TCG):
  // the forker's perl (~0.3 s) and the sysctl baseline's read (~0.3 s) came first in the first
  // cases' builds otherwise. The read is the first backend's (HostBackend.prefetchBaseline).
  const forked = perlForked(runner);
  void forked.run({ argv: ['true'], timeoutMs: 30_000 }).catch(() => undefined);
  startBaselineRead(runner, 30_000);
  const [uname, ...loaded] = await Promise.all([
    runner.run({ argv: ['uname', '-r'], timeoutMs: 30_000 }),
    ...(process.env['LAB_GUEST_PRELOAD'] ?? '')
      .split('\n')
      .filter(Boolean)
      .map((line) => runner.run({ argv: ['modprobe', ...line.split('\t')], timeoutMs: 60_000 })),
  ]);
  stage('first-command');
  const kernel = uname?.stdout.trim();
  if (uname?.exitCode !== 0 || !kernel) throw new Error(`the guest runner does not answer: ${uname?.stderr ?? ''}`);
  // The builtin's CommonJS object is what its ESM bindings are synced from.
  const mutableOs = createRequire(import.meta.url)('node:os') as { release: () => string };
  mutableOs.release = () => kernel;
  syncBuiltinESMExports();
  for (const line of (process.env['LAB_GUEST_PRELOAD'] ?? '').split('\n').filter(Boolean)) {
    const name = line.split('\t')[0] ?? '';
    const state = await runner.run({ argv: ['cat', `/sys/module/${name}/initstate`], timeoutMs: 10_000 });
    if (state.exitCode !== 0) continue;
    mkdirSync(`/sys/module/${name}`, { recursive: true });
    writeFileSync(`/sys/module/${name}/initstate`, state.stdout);
  }
  void loaded;
  // As on the host, commands that run to their end are forked by the namespace agent's program
  // (started in the guest through the guest runner): it enters a namespace itself instead of
  // exec'ing `ip netns exec` (an ip process, a mount namespace and a sysfs mount each), and a node's
  // agent is a fork of it instead of a new perl compiling agent.pl (~0.5 s of a TCG guest's CPU,
  // two per case). It was taken out here when a command past its deadline ended that program
  // (EBADF in its select); agent.pl answers and closes such a command first since 6e929c9.
  useRunner(forwardingSockets(forked, runner));
  // The kernel the tracers read is the guest's: its tracefs, one guest command per file access
  // (the sandbox's own /sys/kernel/tracing is an empty tmpfs, the host's hidden).
  useTraceFiles(commandTraceFiles(runner));
  return runner;
};

const channel = process.env['LAB_GUEST_CHANNEL'];
void (channel ? guest(channel) : Promise.resolve(undefined))
  .then(async (runner) => {
    try {
      return await main(process.argv.slice(2));
    } finally {
      // LAB_TRACE: what runs in the guest now that lab is done (the guest runner, no Node).
      if (runner && process.env['LAB_TRACE'] === '1') {
        const ps = await runner.run({ argv: ['ps', '-eo', 'pid=,ppid=,comm='], timeoutMs: 30_000 });
        const rows = ps.stdout.split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => f.length >= 3);
        // Kernel threads are kthreadd (pid 2) and its children.
        const user = rows.filter(([pid, ppid]) => pid !== '2' && ppid !== '2').map((f) => f.slice(2).join(' '));
        process.stderr.write(`${GUEST_PS_LINE}${JSON.stringify(user)}\n`);
      }
      runner?.close();
    }
  })
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`lab (VM host side): ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 4;
    },
  );
