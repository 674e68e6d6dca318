// withLab, the lab session of run, up and bench, against a fake host and a fake signal trap:
// whatever path the body takes (returns, throws, is interrupted once or twice, keeps its lab),
// nothing it recorded is left behind unless it was kept, and an interrupt ends as Interrupted.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { HostBackend } from '../../../src/backends/host.js';
import type { SignalTrap } from '../../../src/backends/interrupt.js';
import { Interrupted } from '../../../src/errors.js';
import { planCase } from '../../../src/plan/plan.js';
import { withLab, type LabOptions } from '../../../src/session/index.js';
import { FakeHost } from '../backends/fake-host.js';
import { seedScenario } from '../fixtures.js';
import { tempDir } from '../../tmp.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A signal trap the test fires by hand (the real one listens on the process). */
const fakeTrap = () => {
  const controller = new AbortController();
  let caught: NodeJS.Signals | undefined;
  let first: (sig: NodeJS.Signals) => void = () => undefined;
  let again: (sig: NodeJS.Signals) => void = () => undefined;
  let released = 0;
  const trap = (onFirst: typeof first, onAgain: typeof again): SignalTrap => {
    first = onFirst;
    again = onAgain;
    return {
      get caught() {
        return caught;
      },
      signal: controller.signal,
      release: () => void released++,
    };
  };
  const fire = (sig: NodeJS.Signals): void => {
    if (caught === undefined) {
      caught = sig;
      controller.abort();
      first(sig);
    } else {
      again(sig);
    }
  };
  return { trap, fire, released: () => released };
};

/** The seed case without probes: no namespace agents (the fake host runs none). */
const planOf = (prefix: string) => ({ ...planCase(seedScenario(), 0, prefix), probes: [] });

const setup = () => {
  const dir = tempDir('lab-session-');
  const host = new FakeHost();
  const said: string[] = [];
  const exits: NodeJS.Signals[] = [];
  const signals = fakeTrap();
  const options: LabOptions = {
    scenarios: ['x.yaml'],
    say: (text) => void said.push(text),
    exit: (sig) => void exits.push(sig),
    runner: host,
    stateDir: dir,
    backend: (runner, state, hooks) => new HostBackend(runner, state, host.exists, hooks),
    trap: signals.trap,
    // The fake host's namespaces, as teardown finds them (instead of /run/netns).
    teardown: { inodeOf: (ns) => (host.namespaces.has(ns) ? `0:${ns}` : undefined) },
  };
  const stateFiles = (): string[] => readdirSync(dir).filter((f) => f.endsWith('.json'));
  return { dir, host, said, exits, signals, options, stateFiles };
};

t.test('a body that returns: its value, and nothing left recorded or standing', async (t) => {
  const { host, options, stateFiles, signals } = setup();
  let prefix = '';
  const value = await withLab(options, async ({ backend, state }) => {
    prefix = state.prefix;
    t.same(stateFiles(), [`${state.runId}.json`], 'the state file exists while the body runs');
    // Built and left standing: withLab removes what the state file still records.
    await backend.detach(await backend.up(planOf(state.prefix)));
    t.ok(host.namespaces.size > 0, 'the body built namespaces');
    return 42;
  });
  t.equal(value, 42);
  t.same([...host.namespaces].filter((n) => n.startsWith(prefix)), [], 'every namespace it recorded is gone');
  t.same(stateFiles(), [], 'and the state file');
  t.equal(signals.released(), 1, 'the signal trap is released');
});

t.test('cases that deferred their deletion (lab run): deleted together when the body is done', async (t) => {
  const { host, options, stateFiles } = setup();
  // A teardown that finds nothing to delete: only the backend's flush can delete them.
  await withLab({ ...options, teardown: { inodeOf: () => undefined } }, async ({ backend, state }) => {
    const plan = planOf(state.prefix);
    await backend.down(plan, await backend.up(plan), { defer: true });
    t.ok(host.namespaces.size > 0, 'emptied, still there');
  });
  t.same([...host.namespaces], [], 'deleted by the flush');
  t.same(stateFiles(), []);
});

t.test('a body that throws: the same error, after the teardown', async (t) => {
  const { host, options, stateFiles, signals } = setup();
  const boom = new Error('boom');
  await t.rejects(
    withLab(options, async ({ backend, state }) => {
      await backend.detach(await backend.up(planOf(state.prefix)));
      throw boom;
    }),
    boom,
  );
  t.same([...host.namespaces], [], 'nothing left standing');
  t.same(stateFiles(), [], 'no state file');
  t.equal(signals.released(), 1, 'the signal trap is released');
});

t.test('a signal while the body builds: everything torn down, then Interrupted with that signal', async (t) => {
  const { host, options, stateFiles, signals, exits, said } = setup();
  host.addDelayMs = 60;
  let body: 'returned' | 'threw' | undefined;
  const running = withLab(options, async ({ backend, state, runner }) => {
    const building = backend.up(planCase(seedScenario(), 0, state.prefix));
    await sleep(20);
    t.ok(runner.inFlightCommands().length > 0, 'the namespaces are being made when the signal comes');
    signals.fire('SIGTERM');
    try {
      await building;
      body = 'returned';
    } catch (err) {
      body = 'threw';
      throw err;
    }
    return 'built';
  });
  const err = await running.catch((e: unknown) => e);
  t.ok(err instanceof Interrupted, 'withLab throws Interrupted…');
  t.equal((err as Interrupted).signal, 'SIGTERM', '…naming the signal (the CLI maps it to 143)');
  t.equal(body, 'threw', 'the build stopped at once');
  t.same([...host.namespaces], [], 'the namespaces made after the signal are gone too');
  t.same(stateFiles(), [], 'and the state file');
  t.match(said.join(''), /SIGTERM: tearing down/);
  t.same(exits, [], 'one signal does not end the process: withLab returns to the CLI');
  t.equal(signals.released(), 1);
});

t.test('a signal while the body does not build: Interrupted even though the body returned', async (t) => {
  const { options, stateFiles, signals } = setup();
  await t.rejects(
    withLab(options, async () => {
      signals.fire('SIGINT');
      return 'done';
    }),
    new Interrupted('SIGINT'),
  );
  t.same(stateFiles(), []);
});

t.test('a second signal removes what is recorded at once and exits with the first signal', async (t) => {
  const { host, options, signals, exits, said } = setup();
  host.addDelayMs = 200;
  let release: () => void = () => undefined;
  const held = new Promise<void>((r) => (release = r));
  const running = withLab(options, async ({ backend, state }) => {
    const building = backend.up(planCase(seedScenario(), 0, state.prefix)).catch(() => undefined);
    await sleep(20);
    signals.fire('SIGINT');
    signals.fire('SIGTERM');
    // The session's forced teardown runs now; the body is still waiting on its own.
    await building;
    await held;
  }).catch((e: unknown) => e);
  for (let i = 0; i < 100 && exits.length === 0; i++) await sleep(10);
  t.same(exits, ['SIGINT'], 'exit is called once, with the first signal caught');
  t.match(said.join(''), /SIGTERM again: removing what the state file records now/);
  release();
  t.ok((await running) instanceof Interrupted, 'and withLab still ends as Interrupted when the process lives on');
});

t.test('a kept lab stays: its namespaces, its state file (kind kept, status up); a later signal leaves it', async (t) => {
  const { host, options, stateFiles, signals, exits } = setup();
  let id = '';
  const value = await withLab({ ...options, kind: 'kept', status: 'building' }, async ({ backend, state, keep }) => {
    id = state.runId;
    t.equal(JSON.parse(readFileSync(state.path, 'utf8')).status, 'building', 'recorded as building first');
    const plan = planOf(state.prefix);
    await backend.detach(await backend.up(plan));
    t.ok(keep({ scenario: 'x', file: 'x.yaml', case: plan.case.name, caseIndex: 0, nodes: plan.namespaces }), 'kept');
    signals.fire('SIGINT');
    signals.fire('SIGINT');
    return 0;
  });
  t.equal(value, 0, 'no Interrupted: the lab was kept before the signal');
  t.same(exits, [], 'nor a forced exit');
  t.ok(host.namespaces.size > 0, 'its namespaces stand');
  t.same(stateFiles(), [`${id}.json`]);
  const state = JSON.parse(readFileSync(`${options.stateDir}/${id}.json`, 'utf8'));
  t.equal(state.kind, 'kept');
  t.equal(state.status, 'up');
});

t.test('a lab interrupted before it is kept is not kept, and is torn down', async (t) => {
  const { host, options, stateFiles, signals } = setup();
  let kept: boolean | undefined;
  await t.rejects(
    withLab({ ...options, kind: 'kept', status: 'building' }, async ({ backend, state, keep }) => {
      const plan = planOf(state.prefix);
      await backend.detach(await backend.up(plan));
      signals.fire('SIGHUP');
      kept = keep({ scenario: 'x', file: 'x.yaml', case: plan.case.name, caseIndex: 0, nodes: plan.namespaces });
      return 0;
    }),
    new Interrupted('SIGHUP'),
  );
  t.equal(kept, false, 'keep refuses');
  t.same([...host.namespaces], []);
  t.same(stateFiles(), []);
});

t.test('a state file that cannot be written: the error, and the trap released', async (t) => {
  const { options, signals, dir } = setup();
  writeFileSync(join(dir, 'a-file'), '');
  let ran = false;
  await t.rejects(
    withLab({ ...options, stateDir: join(dir, 'a-file', 'lab') }, async () => {
      ran = true;
    }),
  );
  t.notOk(ran, 'the body never runs');
  t.equal(signals.released(), 1);
});

t.test('the real trap: listeners on SIGINT, SIGTERM and SIGHUP while the lab lives, none after', async (t) => {
  const { options } = setup();
  const { trap: _fake, ...real } = options;
  const before = ['SIGINT', 'SIGTERM', 'SIGHUP'].map((s) => process.listenerCount(s));
  await withLab(real, async () => {
    t.same(['SIGINT', 'SIGTERM', 'SIGHUP'].map((s) => process.listenerCount(s)), before.map((n) => n + 1));
  });
  t.same(['SIGINT', 'SIGTERM', 'SIGHUP'].map((s) => process.listenerCount(s)), before);
  t.ok(existsSync(options.stateDir ?? ''), 'the state directory was used');
});
