// runProbe's phases against a fake host: probes reach a live case only through ProbeHost
// (src/probes/host.ts), so a recording fake stands in for namespaces, agents and nft.
import t from 'tap';
import type { Command, CommandResult, LiveProcess } from '../../../src/types/runner.js';
import { planCase } from '../../../src/plan/plan.js';
import type { ProbePlan } from '../../../src/types/plan.js';
import type { ListenRequest, ProbeAgent, ProbeHost, SendRequest } from '../../../src/probes/host.js';
import { caseProber } from '../../../src/probes/probe.js';
import { assembleObservation } from '../../../src/probes/assemble.js';
import { FakeHost } from '../backends/fake-host.js';
import { seedScenario } from '../fixtures.js';

const plan = planCase(seedScenario(), 0, 'lab-x');
const pp = plan.probes[0] as ProbePlan;

/** One nft JSON reading of laptop: p0:datagram counted `n` times on lo both ways. */
const observerJson = (n: number): string => JSON.stringify({
  nftables: [
    { rule: { chain: 'tx0', comment: 'p0:datagram', expr: [{ counter: { packets: n } }] } },
    { rule: { chain: 'rx0', comment: 'p0:datagram', expr: [{ counter: { packets: n } }] } },
  ],
});

/** A command opened now and run with all it was fed once its stdin ends (what the agent's `open` does for an ip batch). */
const fedCommand = (run: (input: string) => Promise<CommandResult>): LiveProcess => {
  let input = '';
  let over = false;
  let finish: (r: CommandResult) => void = () => undefined;
  const done = new Promise<CommandResult>((resolve) => (finish = resolve));
  const waiters: { test: (l: string) => boolean; stream: 'stdout' | 'stderr'; resolve: (l: string | undefined) => void }[] = [];
  const end = (r: CommandResult): void => {
    if (over) return;
    over = true;
    for (const stream of ['stdout', 'stderr'] as const) {
      for (const line of r[stream].split('\n').slice(0, -1)) {
        for (const w of waiters.filter((x) => x.stream === stream)) if (w.test(line)) w.resolve(line);
      }
    }
    for (const w of waiters) w.resolve(undefined);
    finish(r);
  };
  return {
    pid: undefined,
    waitForLine: (test, stream = 'stdout') => new Promise((resolve) => waiters.push({ test, stream, resolve })),
    done,
    kill: () => end({ argv: [], exitCode: -1, stdout: '', stderr: '', durationMs: 0, timedOut: false }),
    stop: async () => done,
    write: (text) => void (input += text),
    end: () => void run(input).then(end),
  };
};

/** A fake live case: commands go to FakeHost as `ip netns exec NS …`; agents record what they are asked. */
const fakeCase = (opts: { refuse?: string; deliver?: boolean; laptopObserver?: string } = {}) => {
  const runner = new FakeHost();
  for (const { netns } of plan.namespaces) runner.namespaces.add(netns);
  const events: string[] = [];
  const batched: string[] = [];
  let readings = 0;
  const agent = (node: string): ProbeAgent => ({
    listen(req: ListenRequest) {
      events.push(`${node} listen ${req.kind} ${req.address}:${req.port}`);
      let got: (r: { received: boolean }) => void = () => undefined;
      const result = new Promise<{ received: boolean }>((resolve) => (got = resolve));
      if (opts.deliver) setTimeout(() => got({ received: true }), 5);
      return {
        ready: Promise.resolve(true as const),
        result,
        close: () => {
          events.push(`${node} close`);
          got({ received: false });
        },
      };
    },
    send(req: SendRequest) {
      events.push(`${node} send ${req.kind} ${req.from} → ${req.to}:${req.port} sport ${req.attributes?.sport}`);
      return { sent: Promise.resolve(opts.refuse ? { error: opts.refuse } : {}), replied: Promise.resolve(false) };
    },
    read: async (paths) => paths.map(() => ''),
    counters: async () => ({}),
    // What the agent forks for the evidence batch: fed its lines, it runs them as one command of the case.
    open: (cmd) => fedCommand((input) => host.run(node, { ...cmd, input })),
  });
  const agents = new Map(plan.topology.nodes.map((n) => [n, agent(n)]));
  const netns = (node: string): string => plan.namespaces.find((n) => n.node === node)?.netns ?? '?';
  const host: ProbeHost = {
    plan,
    run: (node: string, cmd: Command): Promise<CommandResult> => {
      // The lines of a batch, as the processes they stand for, so a test sees every query.
      if (cmd.input !== undefined) for (const line of cmd.input.split('\n').filter(Boolean)) batched.push(`${node} batch: ${line}`);
      return runner.run({ ...cmd, argv: ['ip', 'netns', 'exec', netns(node), ...cmd.argv] });
    },
    start: (node, cmd) => runner.start({ ...cmd, argv: ['ip', 'netns', 'exec', netns(node), ...cmd.argv] }),
    agent: (node) => agents.get(node),
    readObserver: async (node) => {
      events.push(`${node} read observer`);
      if (node === 'laptop' && opts.laptopObserver) return opts.laptopObserver;
      return node === 'laptop' ? observerJson(++readings) : '{"nftables": []}';
    },
    timeScale: 1,
  };
  return { host, events, runner, batched };
};

t.test('the phases in order: receiver, send, await, evidence; delivered when the receiver got it', async (t) => {
  const { host, events } = fakeCase({ deliver: true });
  const e = await caseProber(host)(pp, 0);
  t.same(events.slice(0, 3), [
    `laptop listen udp 192.0.2.2:${pp.port}`,
    `laptop send udp 192.0.2.1 → 192.0.2.2:${pp.port} sport ${pp.sport}`,
    'laptop read observer',
  ], 'the receiver listens before anything is sent, the evidence is read after');
  t.equal(e.received, true);
  t.notOk(e.sendError);
  const o = assembleObservation(plan.topology, [], pp, 0, e);
  t.equal(o.delivered, true);
  t.same(o.path, ['laptop:lo']);
});

t.test('a send the kernel refused closes the receiver at once, and nothing is waited for', async (t) => {
  const { host, events } = fakeCase({ refuse: 'Network is unreachable' });
  const started = Date.now();
  const e = await caseProber(host)(pp, 0);
  t.ok(Date.now() - started < pp.probe.timeoutMs, 'not the probe\'s whole window');
  t.equal(e.sendError, 'Network is unreachable');
  t.equal(e.received, false);
  t.ok(events.includes('laptop close'));
});

t.test('the probes of a case: each one\'s evidence carries the counts the one before left', async (t) => {
  const { host } = fakeCase({ deliver: true });
  const probe = caseProber(host);
  const first = await probe(pp, 0);
  const second = await probe(pp, 0);
  t.notOk(first.previousCounts, 'the first probe of the case has none before it');
  t.equal(second.previousCounts, first.counts);
  t.same(second.counts.get('p0:datagram')?.get('laptop:lo'), { tx: 2, rx: 2 });
});

t.test('a node without an agent: the receiver is reported missing and nothing is sent', async (t) => {
  const { host, events } = fakeCase();
  const bare: ProbeHost = { ...host, agent: () => undefined };
  const e = await caseProber(bare)(pp, 0);
  t.equal(e.receiverError, 'no namespace agent runs on laptop');
  t.notOk(events.some((l) => l.includes(' send ')), 'not sent');
});

/** laptop's nft reading: p0:datagram sent out of `out` and taken in on `in` (chains tx/rx + the device's index: lo 0, wlan0 1, wlan1 2). */
const crossed = (out: number, into: number): string => JSON.stringify({
  nftables: [
    { rule: { chain: `tx${out}`, comment: 'p0:datagram', expr: [{ counter: { packets: 1 } }] } },
    { rule: { chain: `rx${into}`, comment: 'p0:datagram', expr: [{ counter: { packets: 1 } }] } },
  ],
});

/** The input route queries: processes of their own (`ip netns exec NS ip … iif DEV`) and lines of a batch. */
const inputRouteGets = (runner: FakeHost, batched: string[] = []): string[] =>
  [...runner.log.map((l) => l.join(' ')), ...batched].filter((l) => l.includes('route get') && l.includes(' iif '));
const processes = (gets: string[]): string[] => gets.filter((l) => l.startsWith('ip netns exec'));

t.test('the input route where the probe was expected to come in is read beside the rest, and used when it came in there', async (t) => {
  t.equal(pp.receiverDev, 'wlan1', 'the plan names the device that holds the destination address');
  const { host, runner, batched } = fakeCase({ deliver: true, laptopObserver: crossed(1, 2) });
  const e = await caseProber(host)(pp, 0);
  t.equal(e.input?.dev, 'wlan1', 'it came in on wlan1');
  const gets = inputRouteGets(runner, batched);
  t.same(gets.map((l) => l.replace(/.* iif /, 'iif ')), ['iif wlan1'], 'read once: the early reading served');
  // The laptop sends and receives: the query is a line of its evidence batch, not a process.
  t.same(processes(gets), [], 'no ip process of its own');
  t.match(gets[0], /^laptop batch: route get 192\.0\.2\.2 from 192\.0\.2\.1 iif wlan1$/, 'in the sender\'s batch');
  t.ok(e.input?.route, 'the batch\'s fourth answer is the input route');
});

t.test('a probe that came in on another device gets that device\'s input route', async (t) => {
  const { host, runner, batched } = fakeCase({ deliver: true, laptopObserver: crossed(2, 1) });
  const e = await caseProber(host)(pp, 0);
  t.equal(e.input?.dev, 'wlan0', 'it came in on wlan0');
  const gets = inputRouteGets(runner, batched);
  t.same(gets.map((l) => l.replace(/.* iif /, 'iif ')).sort(), ['iif wlan0', 'iif wlan1'], 'the early reading of wlan1 was not used for it');
  t.same(processes(gets).map((l) => l.replace(/.* iif /, 'iif ')), ['iif wlan0'], 'the unexpected device is a query of its own');
});
