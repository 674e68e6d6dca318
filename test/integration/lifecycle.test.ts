// lab up / list / exec / shell / down on real namespaces, and the root namespace untouched.
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import t from 'tap';
import { readStates } from '../../src/backends/state.js';
import { lab, labArgv, namespaces, needsRoot, ROOT, rootSnapshot, SEED, userEnv } from './helpers.js';

const CASE = 'accept-local sends it over the wire';

interface Listed {
  id: string;
  kind: string;
  status: string;
  liveness: string;
  case: string;
  ownerPid: number;
  ownerAlive: boolean;
  namespaces: string[];
  nodes: Record<string, string>;
  stateFile: string;
}

/** The id of the lab whose state file names `pid` as its owner, once it exists. */
const idOfChild = async (pid: number, timeoutMs: number): Promise<string | undefined> => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const mine = readStates('/run/netns-lab').find((e) => e.state.pid === pid);
    if (mine) return mine.state.runId;
    await new Promise((r) => setTimeout(r, 10));
  }
  return undefined;
};

const listed = async (): Promise<Listed[]> => {
  const r = await lab(['list', '--format', 'json']);
  return (JSON.parse(String(r.stdout)) as { labs: Listed[] }).labs;
};

t.test('a kept lab: up, list, exec, shell, clean leaves it, down removes it; the root namespace is untouched', { skip: needsRoot }, async (t) => {
  const before = await rootSnapshot();
  const up = await lab(['up', SEED, '--case', CASE]);
  t.equal(up.exitCode, 0, String(up.stderr));
  const id = /^lab ([0-9a-f]{6}) is up: laptop-two-nics › accept-local sends it over the wire$/m.exec(String(up.stdout))?.[1];
  t.ok(id, 'up prints the lab id');
  if (!id) return;
  let down = false;
  t.teardown(async () => {
    if (!down) await lab(['down', id]);
  });
  t.match(String(up.stdout), new RegExp(`laptop\\s+lab-${id}-c1-laptop\\s+lo, wlan0 192\\.0\\.2\\.1/24, wlan1 192\\.0\\.2\\.2/24`));
  t.match(String(up.stdout), new RegExp(`lab exec ${id} laptop -- ip -br addr`));
  t.match(String(up.stdout), new RegExp(`ip netns exec lab-${id}-c1-laptop ip -br addr`));
  t.match(String(up.stdout), new RegExp(`lab down ${id}`));
  t.same(
    (await namespaces()).filter((n) => n.startsWith(`lab-${id}-`)).sort(),
    [`lab-${id}-c1-ap`, `lab-${id}-c1-laptop`],
    'its namespaces exist after lab up has exited',
  );

  const mine = (await listed()).find((l) => l.id === id);
  t.match(mine, { kind: 'kept', status: 'up', liveness: 'kept', case: CASE, ownerAlive: false });
  t.same(mine?.nodes, { laptop: `lab-${id}-c1-laptop`, ap: `lab-${id}-c1-ap` });
  const table = await lab(['list']);
  t.match(String(table.stdout), new RegExp(`^${id}\\s+kept\\s+host\\s+up\\s+laptop-two-nics\\s+${CASE}\\s+\\d+s\\s+kept\\s+2$`, 'm'));

  // exec: stdout, stderr and stdin pass through; the exit code is the command's.
  const addr = await lab(['exec', id, 'laptop', '--', 'ip', '-o', '-4', 'addr', 'show', 'dev', 'wlan0']);
  t.equal(addr.exitCode, 0);
  t.match(String(addr.stdout), /inet 192\.0\.2\.1\/24/);
  const code = await lab(['exec', id, 'laptop', '--', 'sh', '-c', 'echo out; echo err >&2; exit 42']);
  t.equal(code.exitCode, 42, 'exit code preserved');
  t.equal(String(code.stdout), 'out');
  t.equal(String(code.stderr), 'err');
  const cat = await lab(['exec', id, 'ap', '--', 'cat'], { input: 'through stdin\n' });
  t.equal(String(cat.stdout), 'through stdin');
  const signalled = await lab(['exec', id, 'laptop', '--', 'sh', '-c', 'kill -KILL $$']);
  t.equal(signalled.exitCode, 137, 'killed by SIGKILL: 128+9');
  const missing = await lab(['exec', id, 'laptop', '--', 'no-such-command']);
  t.equal(missing.exitCode, 127);
  t.match(String(missing.stderr), /no-such-command: command not found/);
  const slow = await lab(['exec', id, 'laptop', '--timeout', '0.5', '--', 'sleep', '30']);
  t.equal(slow.exitCode, 124, '--timeout stops it');
  // The recipe was applied: the sending NIC routes to the receiving one over the wire.
  const route = await lab(['exec', id, 'laptop', '--', 'ip', 'route', 'get', '192.0.2.2', 'from', '192.0.2.1']);
  t.match(String(route.stdout), /dev wlan0/, 'the accept-local recipe is in place');
  // What it prints to reach a node works without lab too.
  const raw = await execa('ip', ['netns', 'exec', `lab-${id}-c1-ap`, 'ip', '-br', 'link', 'show', 'br0'], { reject: false });
  t.match(raw.stdout, /^br0\s+UP/);
  const wrongNode = await lab(['exec', id, 'router', '--', 'true']);
  t.equal(wrongNode.exitCode, 2);
  t.match(String(wrongNode.stderr), /has no node "router"; its nodes: laptop, ap/);
  const noCommand = await lab(['exec', id, 'laptop']);
  t.equal(noCommand.exitCode, 2);
  t.match(String(noCommand.stderr), /name the command to run after --/);

  // shell: commands piped in run in the node; a pty gives the prompt naming the node.
  const piped = await lab(['shell', id, 'ap'], { input: 'ip -br link show port0\nexit 3\n' });
  t.equal(piped.exitCode, 3);
  t.match(String(piped.stdout), /^port0@\S+\s+UP/m);
  const [envFile, envArgs] = labArgv(['shell', id, 'laptop']);
  const tty = await execa('script', ['-qec', [envFile, ...envArgs].map((a) => `'${a}'`).join(' '), '/dev/null'], {
    reject: false,
    cwd: ROOT,
    env: userEnv(),
    extendEnv: false,
    input: 'echo "node is $LAB_NODE"\nexit 5\n',
    timeout: 30_000,
  });
  t.equal(tty.exitCode, 5, 'the shell exit code, through a pty');
  t.match(tty.stdout, new RegExp(`\\[lab ${id} laptop\\]`), 'the prompt names the lab and node');
  t.match(tty.stdout, /node is laptop/);

  // lab clean must leave a kept lab alone.
  const clean = await lab(['clean']);
  t.equal(clean.exitCode, 0);
  t.match(String(clean.stdout), new RegExp(`left lab ${id} alone: it is kept by lab up; lab down ${id} removes it`));
  t.equal((await namespaces()).filter((n) => n.startsWith(`lab-${id}-`)).length, 2, 'clean left the kept lab up');

  const d = await lab(['down', id]);
  down = true;
  t.equal(d.exitCode, 0, String(d.stderr));
  t.match(String(d.stdout), new RegExp(`removed namespace lab-${id}-c1-laptop`));
  t.match(String(d.stdout), new RegExp(`lab ${id} is down`));
  t.same((await namespaces()).filter((n) => n.startsWith(`lab-${id}-`)), [], 'its namespaces are gone');
  t.notOk(existsSync(mine?.stateFile ?? '/nonexistent'), 'its state file is gone');
  t.notOk((await listed()).some((l) => l.id === id));
  const again = await lab(['down', id]);
  // Idempotent for scripts (issue 15.8): downing a lab that is gone is a note, not an error.
  t.equal(again.exitCode, 0, 'downing a lab that is already down is not an error');
  t.match(String(again.stdout) + String(again.stderr), new RegExp(`lab ${id}: no such lab \\(already down, or never up\\); nothing to do`));
  const after = await rootSnapshot();
  for (const key of Object.keys(before)) {
    if (key !== 'namespaces') t.equal(after[key], before[key], `root namespace ${key} unchanged`);
  }
});

t.test('lab up interrupted while it builds leaves nothing behind', { skip: needsRoot }, async (t) => {
  for (const delayMs of [30, 150, 400]) {
    const child = execa(...labArgv(['up', SEED, '--case', CASE]), { reject: false, cwd: ROOT, env: userEnv(), extendEnv: false });
    const id = await idOfChild(child.pid ?? -1, 10_000);
    await new Promise((r) => setTimeout(r, delayMs));
    child.kill('SIGTERM');
    const r = await child;
    if (r.exitCode === 0 || /is up/.test(String(r.stdout))) {
      // It finished before the signal (or the signal came while the finished process was
      // exiting, after lab let go of it): a kept lab, which is fine; take it down.
      t.pass(`after ${delayMs} ms the lab was already up`);
      await lab(['down', id ?? '']);
      continue;
    }
    t.equal(r.exitCode, 143, `interrupted after ${delayMs} ms: exit 128+SIGTERM (${String(r.stderr)})`);
    t.same((await namespaces()).filter((n) => id !== undefined && n.startsWith(`lab-${id}-`)), [], 'no namespace left');
    t.notOk((await listed()).some((l) => l.id === id), 'no state file left');
  }
});

t.test('lab down refuses a lab whose owner is alive; lab up and down say what is wrong', { skip: needsRoot }, async (t) => {
  const run = execa(...labArgv(['run', SEED, '--jobs', '1']), { reject: false, cwd: ROOT, env: userEnv(), extendEnv: false });
  const id = await idOfChild(run.pid ?? -1, 10_000);
  t.ok(id, 'the run has a state file');
  const d = await lab(['down', id ?? '']);
  t.equal(d.exitCode, 2);
  t.match(String(d.stderr), new RegExp(`belongs to process ${run.pid}`));
  const e = await lab(['exec', id ?? '', 'laptop', '--', 'true']);
  t.equal(e.exitCode, 2);
  t.match(String(e.stderr), /is a `lab run`/);
  t.equal((await run).exitCode, 0, 'the run was not disturbed');
  const none = await lab(['down']);
  t.equal(none.exitCode, 2);
  t.match(String(none.stderr), /name the lab to tear down/);
  const badCase = await lab(['up', SEED, '--case', 'no such case']);
  t.equal(badCase.exitCode, 2);
  t.match(String(badCase.stderr), /no case named "no such case"/);
  const noFile = await lab(['up', '/nonexistent.yaml']);
  t.equal(noFile.exitCode, 2);
  t.match(String(noFile.stderr), /\/nonexistent\.yaml:1:1: cannot read the scenario file: no such file/);
});
