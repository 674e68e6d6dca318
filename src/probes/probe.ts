// Sends one probe and reads what the kernel shows of it, in phases: start the receiver, send,
// await the receiver, read the evidence. src/probes/assemble.ts makes the observation of it; the
// verdict is drawn from that alone.
import { isLoopback4 } from '../model/addresses.js';
import type { ProbePlan } from '../types/plan.js';
import type { Counters, DeviceCount, NeighEntry } from '../types/observation.js';
import { echoId } from '../plan/observer.js';
import { parseLinkMacs, parseSysMacs, parseNstat, splitJsonBatch, type BatchAnswer } from './evidence.js';
import { parseObserver } from './observe.js';
import { hopQueries } from './hop-evidence.js';
import { gatherHop } from './hops.js';
import type { Listening, ProbeHost } from './host.js';
import type { CommandResult } from '../types/runner.js';
import type { ProbeSender } from './fib-sender.js';
import { routeGetCommand } from './route-query.js';
import { entryOnHop, exchangeScope, neighShowArgs } from './next-hop.js';
import {
  inputSysctlKeys,
  neighbourExchange,
  observedLegs,
  receivingDevice,
  senderNeighbours,
  senderNextHop,
  type ObserverCounts,
  type ProbeEvidence,
} from './assemble.js';

/** How long the receiver may take to bind before the probe counts as broken (scaled by the host's time scale). */
const RECEIVER_READY_MS = 5_000;

export const hostPort = (address: string, port: number): string =>
  address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;

/**
 * The sending command of a probe when its node's agent cannot send it (a link-local source, whose
 * scope id socketAddress (src/agent/sockaddr.ts) does not carry): socat for udp and tcp, ping for icmp. Sends `marker` once.
 * The socket attributes socat cannot set before it sends (a mark, a flow label) are left out.
 */
export const senderArgv = (pp: ProbePlan): string[] => {
  const { kind, from, to, family, timeoutMs } = pp.probe;
  const a = pp.probe.attributes ?? {};
  // The socket's owner: ping and socat run as that user, keeping the capabilities a device
  // binding (net_raw) and a mark (net_admin) need.
  const asUser = a.uid === undefined ? [] : [
    'setpriv', `--reuid=${a.uid}`, `--regid=${a.uid}`, '--clear-groups',
    '--inh-caps=+net_raw,+net_admin,+net_bind_service', '--ambient-caps=+net_raw,+net_admin,+net_bind_service',
  ];
  if (kind === 'icmp') {
    const seconds = String(Math.max(1, Math.ceil(timeoutMs / 1000)));
    // -I twice: the device, then the source address (ping takes each -I for what it is).
    const source = from.dev ? ['-I', from.dev, '-I', from.address] : ['-I', from.address];
    return [
      ...asUser, 'ping', `-${family}`, '-c', '1', '-W', seconds, '-e', String(echoId(pp)), ...source,
      ...(a.tos === undefined ? [] : ['-Q', String(a.tos)]),
      ...(a.mark === undefined ? [] : ['-m', String(a.mark)]),
      ...(a.flowlabel === undefined ? [] : ['-F', a.flowlabel.toString(16)]),
      to.address,
    ];
  }
  const host = family === 6 ? `[${from.address}]` : from.address;
  const options = [
    `bind=${(pp.sport ?? a.sport) === undefined ? host : `${host}:${pp.sport ?? a.sport}`}`,
    ...(from.dev ? [`so-bindtodevice=${from.dev}`] : []),
    ...(a.tos === undefined ? [] : [family === 6 ? `ipv6-tclass=${a.tos}` : `ip-tos=${a.tos}`]),
  ];
  if (kind === 'tcp') options.push(`connect-timeout=${(timeoutMs / 1000).toFixed(3)}`);
  const address = kind === 'udp' ? `UDP${family}-SENDTO` : `TCP${family}`;
  return [...asUser, 'socat', '-u', '-', `${address}:${hostPort(to.address, pp.port)},${options.join(',')}`];
};

/** The tool's last complaint, without its own prefixes and syscall arguments. */
export const lastLine = (text: string): string => {
  const line = text.trim().split('\n').pop() ?? '';
  return line.replace(/^.*? E /, '').replace(/^ping: /, '').replace(/^\w+\(.*\): /, '');
};

/** Phase 1: the receiver, listening on the destination before anything is sent (udp, tcp with `listen`). */
interface Receiver {
  listening?: Listening;
  /** Whether the probe may be sent: the receiver listens, or none is wanted. */
  ready: boolean;
  receiverError?: string;
}

const startReceiver = async (host: ProbeHost, pp: ProbePlan): Promise<Receiver> => {
  const { probe } = pp;
  const wantsReceiver = probe.kind !== 'icmp' && probe.listen && pp.receiverNode !== undefined;
  if (!wantsReceiver) return { ready: true };
  const agent = host.agent(pp.receiverNode as string);
  // HostBackend.up starts an agent on every node that receives a probe, or fails.
  if (!agent) return { ready: false, receiverError: `no namespace agent runs on ${pp.receiverNode}` };
  const readyMs = RECEIVER_READY_MS * host.timeScale;
  const listening = agent.listen({
    kind: probe.kind === 'tcp' ? 'tcp' : 'udp',
    family: probe.family,
    address: probe.to.address,
    port: pp.port,
    marker: pp.marker,
    // In a TCG VM the sender alone can take longer than the probe's timeout (see time-scale.ts).
    // A safety net only: the probe's own window is counted in awaitReceiver, from the moment it was sent.
    timeoutMs: readyMs + probe.timeoutMs * host.timeScale + 60_000,
  });
  const timer = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), readyMs).unref());
  const answer = await Promise.race([listening.ready, timer]);
  if (answer === true) return { listening, ready: true };
  return { listening, ready: false, receiverError: answer === undefined ? 'the receiver did not start listening' : answer.error };
};

/** Phase 2: the probe sent from its source, and the sender's own view of the answer. */
interface Sent {
  sendError?: string;
  answered?: boolean;
  /** Who sent it: the agent's process (pid) or the tool (comm), for the fib lookups' selection. */
  sender?: ProbeSender;
}

const send = async (host: ProbeHost, pp: ProbePlan): Promise<Sent> => {
  const { probe } = pp;
  const senderAgent = host.agent(probe.from.node);
  // A link-local source needs a scope id that sockaddrHex does not carry: socat or ping sends that one.
  if (senderAgent && !/^fe80:|%/i.test(probe.from.address)) {
    // The agent sends it, every kind: a socket with the probe's attributes, no process start, and
    // the kernel's refusal at once (ping says nothing of one and waits its whole timeout).
    const { sent, replied } = senderAgent.send({
      kind: probe.kind,
      family: probe.family,
      from: probe.from.address,
      to: probe.to.address,
      port: pp.port,
      ...(probe.from.dev ? { dev: probe.from.dev } : {}),
      payload: `${pp.marker}\n`,
      timeoutMs: probe.timeoutMs * host.timeScale,
      echo: echoId(pp),
      // The source port lab picked (or the probe's own): the observer's rules match it.
      ...(probe.attributes || pp.sport !== undefined ? { attributes: { ...probe.attributes, ...(pp.sport === undefined ? {} : { sport: pp.sport }) } } : {}),
    });
    const { error: sendError, pid } = await sent;
    // The answer as the sender saw it: the echo reply (matching id and seq) within the window,
    // or a completed connect (the SYN-ACK came back).
    const answered = probe.kind === 'icmp' ? await replied : probe.kind === 'tcp' ? !sendError : undefined;
    return { ...(sendError ? { sendError } : {}), ...(answered === undefined ? {} : { answered }), ...(pid ? { sender: { pid } } : {}) };
  }
  const sent = await host.run(probe.from.node, {
    argv: senderArgv(pp),
    input: `${pp.marker}\n`,
    timeoutMs: probe.timeoutMs + 5_000,
  });
  if (probe.kind === 'icmp') {
    // ping exits 1 when no reply came, 2 on an error of its own (no route, for one).
    const sendError = sent.exitCode > 1 ? lastLine(sent.stderr) || `ping exited with ${sent.exitCode}` : undefined;
    return { ...(sendError ? { sendError } : {}), answered: sent.exitCode === 0, sender: { comm: 'ping' } };
  }
  const sendError = sent.exitCode !== 0 ? lastLine(sent.stderr) || `socat exited with ${sent.exitCode}` : undefined;
  return { ...(sendError ? { sendError } : {}), ...(probe.kind === 'tcp' ? { answered: sent.exitCode === 0 } : {}), sender: { comm: 'socat' } };
};

/** Phase 3: whether the receiver got the probe within its window, which opens when the sender is done. */
const awaitReceiver = async (host: ProbeHost, pp: ProbePlan, receiver: Receiver, sent: Sent | undefined): Promise<boolean> => {
  const { listening } = receiver;
  if (!listening) return false;
  // Refused by the sender's own kernel (or never sent): there is nothing to wait for.
  if (!sent || sent.sendError) {
    if (sent?.sendError) listening.close();
    return false;
  }
  // The window opens when the sender is done, so a slow start elsewhere cannot eat into it.
  const window = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), pp.probe.timeoutMs * host.timeScale).unref());
  const got = await Promise.race([listening.result, window]);
  if (got === undefined) listening.close();
  return (got ?? (await listening.result)).received;
};

/** Every node's kernel counters: read by its agent, or with `nstat` without one. */
const readCounters = async (host: ProbeHost): Promise<Record<string, Counters>> =>
  Object.fromEntries(
    await Promise.all(
      host.plan.topology.nodes.map(async (n) => {
        const agent = host.agent(n);
        if (agent) return [n, await agent.counters()] as const;
        return [n, parseNstat((await host.run(n, { argv: ['nstat', '-asz', '-j'] })).stdout)] as const;
      }),
    ),
  );

/** Every node's observer counts, per rule id and `node:dev`. */
const readCounts = async (host: ProbeHost): Promise<Map<string, Map<string, DeviceCount>>> => {
  const { nodes, devices } = host.plan.topology;
  const readings = await Promise.all(nodes.map(async (node) => [node, await host.readObserver(node)] as const));
  const counts = new Map<string, Map<string, DeviceCount>>();
  for (const [node, json] of readings) {
    const devs = devices.filter((d) => d.node === node).map((d) => d.dev);
    for (const [id, byDev] of parseObserver(json, devs)) {
      let all = counts.get(id);
      if (!all) counts.set(id, (all = new Map()));
      for (const [dev, c] of byDev) all.set(`${node}:${dev}`, c);
    }
  }
  return counts;
};

/**
 * Phase 4: what the kernel shows after the probe, read side by side: counts of every rule per
 * node, counters, the sender's neighbour entry, its route decision and rules; then what those
 * point at (the gateway's entry, the receiving device's input route, the hop where a leg stopped).
 */
const readEvidence = async (
  host: ProbeHost,
  pp: ProbePlan,
  index: number,
  previousCounts: ObserverCounts | undefined,
  sent: Pick<ProbeEvidence, 'receiverError' | 'sendError' | 'received' | 'answered' | 'sender' | 'countersBefore'>,
  batch: SenderBatch,
): Promise<ProbeEvidence> => {
  const { probe } = pp;
  const { topology } = host.plan;
  const sender = probe.from.node;
  // The neighbour entry and the route decision in one ip process: `neigh show to A` and `route
  // get A from B [oif DEV] …` with the probe's attributes, each as alone (-force goes on past a
  // refused route).
  const senderBatch = [`neigh show to ${probe.to.address}`, routeGetCommand(probe, pp.port), 'rule show'];
  const rxNode = pp.receiverNode;
  // The input route where the probe was meant to come in, read beside the rest: it is what the
  // counts name in most cases, and waiting for them first cost a case ~3.5 ms per probe (#14).
  // When the sender is also the receiver (two NICs of one host), it is one more line of the
  // sender's batch: an `ip` process costs ~7 ms of CPU here, a batch line well under one.
  const plannedDev = pp.receiverDev && pp.receiverDev !== 'lo' ? pp.receiverDev : undefined;
  const inputInBatch = rxNode === sender && plannedDev !== undefined;
  if (inputInBatch) senderBatch.push(`${inputRouteArgs(probe).join(' ')} iif ${plannedDev}`);
  const expectedInput = rxNode && plannedDev && !inputInBatch ? readInput(host, pp, rxNode, plannedDev) : undefined;
  expectedInput?.catch(() => undefined);
  const inputSysctls = inputInBatch ? readInputSysctls(host, probe.family, rxNode, plannedDev) : undefined;
  inputSysctls?.catch(() => undefined);
  const [counts, countersAfter, senderAnswers] = await Promise.all([
    readCounts(host),
    readCounters(host),
    batch.run(`${senderBatch.join('\n')}\n`),
  ]);
  const answers = splitJsonBatch(senderBatch.length, senderAnswers.stdout, senderAnswers.stderr);
  const [neigh, route, rules] = answers as [BatchAnswer, BatchAnswer, BatchAnswer];
  const batchedInput = inputInBatch && answers[3] ? inputEvidence(plannedDev, answers[3], await inputSysctls) : undefined;
  const hop = senderNextHop(pp, route);
  const gatewayNeigh = hop.address === probe.to.address ? undefined : await host.run(sender, { argv: ['ip', '-j', ...neighShowArgs(hop)] });
  const entry: NeighEntry | undefined = entryOnHop(senderNeighbours(pp, { neigh, route, ...(gatewayNeigh ? { gatewayNeigh } : {}) }), hop);
  const macs = entry?.lladdr ? await macsOf(host) : undefined;
  const legs = observedLegs(topology, pp, index, counts);
  const exchange = neighbourExchange(topology, probe.family, counts, previousCounts, entry, macs, exchangeScope(topology, sender, hop));

  const rxDev = receivingDevice(pp, legs, exchange);
  let input: ProbeEvidence['input'];
  if (rxNode && rxDev) {
    if (rxDev === pp.receiverDev && batchedInput) input = batchedInput;
    else if (rxDev === pp.receiverDev && expectedInput) input = await expectedInput;
    else input = await readInput(host, pp, rxNode, rxDev);
  }
  const bridgePorts = new Set(topology.devices.filter((d) => d.master).map((d) => `${d.node}:${d.dev}`));
  const hops = await Promise.all(hopQueries(probe, legs, rxNode, bridgePorts).map((q) => gatherHop(host, q, readSysctls)));
  const senderSysctls = await readSenderLocalnet(host, probe);
  return {
    ...sent,
    countersAfter,
    counts,
    ...(previousCounts ? { previousCounts } : {}),
    neigh,
    route,
    rules,
    ...(gatewayNeigh ? { gatewayNeigh } : {}),
    ...(macs ? { macs } : {}),
    ...(input ? { input } : {}),
    hops,
    ...(senderSysctls ? { senderSysctls } : {}),
  };
};

/** The sender's `ip -j -force -batch -` of a probe's evidence: fed its lines once the probe is over. */
interface SenderBatch {
  run(input: string): Promise<CommandResult>;
  /** Ends it if it was never fed (the probe failed before its evidence); nothing otherwise. */
  cancel(): void;
}

/** How long the evidence batch may take once fed (the runner's default for a command), before the time scale. */
const BATCH_TIMEOUT_MS = 10_000;

/**
 * The sender's evidence batch, started as the probe starts: forked by the sender's agent and fed
 * its lines (then its stdin's end) once the probe is over, so that ip's own start, an exec of ip
 * and its libraries (~0.2 s of a TCG guest's CPU), overlaps the probe instead of following it.
 * What ip reads, it reads when fed: after the probe. Without an agent, a process of its own then.
 */
export const senderBatch = (host: Pick<ProbeHost, 'agent' | 'run' | 'timeScale'>, node: string, family: 4 | 6): SenderBatch => {
  const argv = ['ip', ...(family === 6 ? ['-6'] : []), '-j', '-force', '-batch', '-'];
  const agent = host.agent(node);
  if (!agent) return { run: (input) => host.run(node, { argv, input }), cancel: () => undefined };
  const started = performance.now();
  const proc = agent.open({ argv });
  const out: string[] = [];
  const err: string[] = [];
  // Every line as it comes, to the end (the tests never match).
  const read = Promise.all([proc.waitForLine((l) => (out.push(l), false), 'stdout'), proc.waitForLine((l) => (err.push(l), false), 'stderr')]);
  const text = (lines: string[]): string => lines.map((l) => `${l}\n`).join('');
  let fed = false;
  return {
    async run(input) {
      fed = true;
      proc.write?.(input);
      proc.end?.();
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), BATCH_TIMEOUT_MS * host.timeScale)));
      const done = await Promise.race([proc.done, late]);
      clearTimeout(timer);
      if (!done) proc.kill();
      else await read;
      return { argv, exitCode: done ? done.exitCode : -1, stdout: text(out), stderr: text(err), durationMs: performance.now() - started, timedOut: !done };
    },
    cancel: () => {
      if (!fed) proc.kill();
    },
  };
};

/** How `dev` of the receiving node takes the probe in: its input route and its source-check sysctls. */
const readInput = async (host: ProbeHost, pp: ProbePlan, rxNode: string, dev: string): Promise<NonNullable<ProbeEvidence['input']>> => {
  const { probe } = pp;
  const [route, values] = await Promise.all([
    host.run(rxNode, { argv: ['ip', ...(probe.family === 6 ? ['-6'] : []), '-j', ...inputRouteArgs(probe), 'iif', dev] }),
    readInputSysctls(host, probe.family, rxNode, dev),
  ]);
  return inputEvidence(dev, route, values);
};

/** `route get TO from FROM`: the input decision's query, `iif DEV` added by the caller. */
const inputRouteArgs = (probe: ProbePlan['probe']): string[] => ['route', 'get', probe.to.address, 'from', probe.from.address];

/** The source-check sysctls of the receiving device (inputSysctlKeys order). */
const readInputSysctls = (host: ProbeHost, family: 4 | 6, rxNode: string, dev: string): Promise<number[] | undefined> =>
  readSysctls(host, rxNode, inputSysctlKeys(family, dev).map((k) => `net.ipv4.conf.${k}`));

const inputEvidence = (dev: string, route: BatchAnswer, sysctls: number[] | undefined): NonNullable<ProbeEvidence['input']> =>
  ({ dev, route, ...(sysctls ? { sysctls } : {}) });

/**
 * Runs the probe of `pp` (the `index`th of its case) on a live case and reads what the kernel
 * shows of it. `previousCounts` are the observer counts after the case's probe before this one:
 * the neighbour exchange is what grew since.
 */
export const runProbe = async (host: ProbeHost, pp: ProbePlan, index: number, previousCounts: ObserverCounts | undefined): Promise<ProbeEvidence> => {
  // Read once per case and needed only after the probe: fetched while it runs.
  void macsOf(host).catch(() => undefined);
  const batch = senderBatch(host, pp.probe.from.node, pp.probe.family);
  try {
    // Side by side: a receiver's bind moves no counter.
    const [countersBefore, receiver] = await Promise.all([readCounters(host), startReceiver(host, pp)]);
    const sent = receiver.ready ? await send(host, pp) : undefined;
    const received = await awaitReceiver(host, pp, receiver, sent);
    return await readEvidence(host, pp, index, previousCounts, {
      ...(receiver.receiverError ? { receiverError: receiver.receiverError } : {}),
      ...(sent?.sendError ? { sendError: sent.sendError } : {}),
      received,
      ...(sent?.answered === undefined ? {} : { answered: sent.answered }),
      ...(sent?.sender ? { sender: sent.sender } : {}),
      countersBefore,
    }, batch);
  } finally {
    batch.cancel();
  }
};

/**
 * The probes of one live case, in order: each probe's evidence carries the observer counts the
 * probe before it left, so its neighbour exchange is its own.
 */
export const caseProber = (host: ProbeHost): ((pp: ProbePlan, index: number) => Promise<ProbeEvidence>) => {
  let previous: ObserverCounts | undefined;
  return async (pp, index) => {
    const evidence = await runProbe(host, pp, index, previous);
    previous = evidence.counts;
    return evidence;
  };
};

/** A sender with a loopback source: its route_localnet (all, and the device it is bound to), which decides whether it may send. */
const readSenderLocalnet = async (host: ProbeHost, probe: ProbePlan['probe']): Promise<Record<string, number> | undefined> => {
  if (!isLoopback4(probe.from.address)) return undefined;
  const scopes = ['all', ...(probe.from.dev ? [probe.from.dev] : [])];
  const values = await readSysctls(host, probe.from.node, scopes.map((s) => `net.ipv4.conf.${s}.route_localnet`));
  return values ? Object.fromEntries(scopes.map((s, i) => [`${s}.route_localnet`, values[i] ?? 0])) : undefined;
};

/**
 * Sysctls of a node, read from /proc/sys by its agent (a `sysctl` process without one); undefined
 * when any of them cannot be read.
 */
const readSysctls = async (host: ProbeHost, node: string, keys: readonly string[]): Promise<number[] | undefined> => {
  if (keys.length === 0) return [];
  const agent = host.agent(node);
  const texts = agent
    ? await agent.read(keys.map((k) => `/proc/sys/${k.replace(/\./g, '/')}`))
    : await host.run(node, { argv: ['sysctl', '-n', ...keys] }).then((s) => (s.exitCode === 0 ? s.stdout.trim().split('\n') : []));
  const values = texts.map((t) => (t.trim() === '' ? NaN : Number(t.trim())));
  return values.length === keys.length && values.every(Number.isFinite) ? values : undefined;
};

/** MAC → device per node, read once per live case: the MACs of a case do not change. */
const macCache = new WeakMap<ProbeHost, Promise<Map<string, Map<string, string>>>>();
const macsOf = (host: ProbeHost): Promise<Map<string, Map<string, string>>> => {
  let macs = macCache.get(host);
  if (!macs) {
    const { nodes, devices } = host.plan.topology;
    macs = Promise.all(
      nodes.map(async (node) => {
        const agent = host.agent(node);
        if (agent) {
          // The agent's /sys is the namespace's (`ip netns exec` mounted it): files, no process.
          const devs = devices.filter((d) => d.node === node).map((d) => d.dev);
          const texts = await agent.read(devs.flatMap((d) => [`/sys/class/net/${d}/address`, `/sys/class/net/${d}/type`]));
          return [node, parseSysMacs(devs, texts)] as const;
        }
        const links = await host.run(node, { argv: ['ip', '-j', 'link', 'show'] });
        return [node, parseLinkMacs(links.stdout)] as const;
      }),
    ).then((entries) => new Map(entries));
    macCache.set(host, macs);
  }
  return macs;
};
