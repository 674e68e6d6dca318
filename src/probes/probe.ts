// Sends one probe and gathers what the kernel shows of it: per-device counts of each leg, the
// neighbour exchange, route decisions, counter deltas. The verdict is drawn from this alone.
import { isLoopback4 } from '../model/addresses.js';
import { inNetns, type HostBackend, type LiveCase } from '../backends/host.js';
import type { Runner } from '../backends/runner.js';
import type { ProbePlan } from '../types/plan.js';
import { counterDeltas, parseLinkMacs, parseSysMacs, parseNeigh, parseNstat, parseRouteGet, splitJsonBatch, type BatchAnswer } from './evidence.js';
import type { Counters, NeighEntry, DeviceCount, LegObservation, ProbeObservation, NeighbourExchange } from '../types/observation.js';
import { echoId, neighbourRules, probeLegs } from './legs.js';
import { parseObserver } from './observe.js';
import { derivePath } from './path.js';
import { parseRules } from './rule-list.js';
import { hopQueries } from './hop-evidence.js';
import { gatherHop } from './hops.js';
import { timeScale } from '../backends/time-scale.js';
import { routeGetCommand } from './route-query.js';
import { neighShowArgs, nextHopOf } from './next-hop.js';
// moved to src/types/observation.ts (re-exported here during the move only)
export type { LegObservation, NeighbourExchange, ProbeObservation } from '../types/observation.js';

/** How long the receiver may take to bind before the probe counts as broken. */
const receiverReadyMs = (): number => 5_000 * timeScale();

export const hostPort = (address: string, port: number): string =>
  address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;

/**
 * The sending command of a probe when its node's agent cannot send it (a link-local source, whose
 * scope id sockaddrHex does not carry): socat for udp and tcp, ping for icmp. Sends `marker` once.
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

/** Which device of the receiving node the probe came in on: the last one that received it. */
const inputDevice = (leg: LegObservation | undefined, node: string): string | undefined => {
  const seen = (leg?.path ?? []).filter((k) => k.startsWith(`${node}:`) && (leg?.devices[k]?.rx ?? 0) > 0);
  return seen.length ? seen[seen.length - 1]?.slice(node.length + 1) : undefined;
};

/** Runs the probe of `pp` (the `index`th of its case) on a live case. */
export const runProbe = async (
  runner: Runner,
  backend: HostBackend,
  live: LiveCase,
  pp: ProbePlan,
  index: number,
  previous: ReadonlyMap<string, Map<string, DeviceCount>> | undefined,
): Promise<{ observation: ProbeObservation; observer: Map<string, Map<string, DeviceCount>> }> => {
  const { probe } = pp;
  const { nodes, devices: topoDevices } = live.plan.topology;
  const inNode = (node: string, argv: string[]) => inNetns(live.netnsOf(node), argv);
  const nstat = async (): Promise<Record<string, Counters>> =>
    Object.fromEntries(
      await Promise.all(
        nodes.map(async (n) => {
          const agent = live.agents.get(n);
          if (agent) return [n, await agent.counters()] as const;
          return [n, parseNstat((await runner.run({ argv: inNode(n, ['nstat', '-asz', '-j']) })).stdout)] as const;
        }),
      ),
    );

  // Read once per case and needed only after the probe: fetched while it runs.
  void macsOf(live).catch(() => undefined);
  const before = await nstat();
  let receiverError: string | undefined;
  const wantsReceiver = probe.kind !== 'icmp' && probe.listen && pp.receiverNode !== undefined;
  const agent = wantsReceiver ? live.agents.get(pp.receiverNode as string) : undefined;
  const listening = agent?.listen({
    kind: probe.kind === 'tcp' ? 'tcp' : 'udp',
    family: probe.family,
    address: probe.to.address,
    port: pp.port,
    marker: pp.marker,
    // In a TCG VM the sender alone can take longer than the probe's timeout (see time-scale.ts).
    // A safety net only: the probe's own window is counted below, from the moment it was sent.
    timeoutMs: receiverReadyMs() + probe.timeoutMs * timeScale() + 60_000,
  });
  let ready = !wantsReceiver;
  const timer = () => new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), receiverReadyMs()).unref());
  if (listening) {
    const answer = await Promise.race([listening.ready, timer()]);
    ready = answer === true;
    if (answer === undefined) receiverError = 'the receiver did not start listening';
    else if (answer !== true) receiverError = answer.error;
  } else if (wantsReceiver) {
    // HostBackend.up starts an agent on every node that receives a probe, or fails.
    receiverError = `no namespace agent runs on ${pp.receiverNode}`;
  }

  let sendError: string | undefined;
  let delivered = false;
  let answered: boolean | undefined;
  const senderAgent = live.agents.get(probe.from.node);
  // A link-local source needs a scope id that sockaddrHex does not carry: socat or ping sends that one.
  if (ready && senderAgent && !/^fe80:|%/i.test(probe.from.address)) {
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
      timeoutMs: probe.timeoutMs * timeScale(),
      echo: echoId(pp),
      // The source port lab picked (or the probe's own): the observer's rules match it.
      ...(probe.attributes || pp.sport !== undefined ? { attributes: { ...probe.attributes, ...(pp.sport === undefined ? {} : { sport: pp.sport }) } } : {}),
    });
    sendError = (await sent).error;
    // The answer as the sender saw it: the echo reply (matching id and seq) within the window,
    // or a completed connect (the SYN-ACK came back).
    if (probe.kind === 'icmp') answered = await replied;
    if (probe.kind === 'tcp') answered = !sendError;
  } else if (ready) {
    const sent = await live.run(probe.from.node, {
      argv: senderArgv(pp),
      input: `${pp.marker}\n`,
      timeoutMs: probe.timeoutMs + 5_000,
    });
    if (probe.kind === 'icmp') {
      // ping exits 1 when no reply came, 2 on an error of its own (no route, for one).
      answered = sent.exitCode === 0;
      if (sent.exitCode > 1) sendError = lastLine(sent.stderr) || `ping exited with ${sent.exitCode}`;
    } else if (sent.exitCode !== 0) {
      sendError = lastLine(sent.stderr) || `socat exited with ${sent.exitCode}`;
    }
    if (probe.kind === 'tcp') answered = sent.exitCode === 0;
  }
  // Refused by the sender's own kernel: there is nothing to wait for.
  if (sendError && listening) listening.close();
  if (listening && ready && !sendError) {
    // The window opens when the sender is done, so a slow start elsewhere cannot eat into it.
    const window = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), probe.timeoutMs * timeScale()).unref());
    const got = await Promise.race([listening.result, window]);
    if (got === undefined) listening.close();
    delivered = (got ?? (await listening.result)).received;
  }

  // What the kernel shows now, read side by side: counts of every rule per node, counters,
  // the sender's neighbour entry and its route decision for the probe.
  const sender = probe.from.node;
  const routeArgs = [...(probe.family === 6 ? ['-6'] : []), '-j', 'route', 'get', probe.to.address, 'from', probe.from.address];
  // The neighbour entry and the route decision in one ip process: `neigh show to A` and `route
  // get A from B [oif DEV] …` with the probe's attributes, each as alone (-force goes on past a
  // refused route).
  const senderBatch = [
    `neigh show to ${probe.to.address}`,
    routeGetCommand(probe, pp.port),
    'rule show',
  ];
  const [readings, after, senderAnswers] = await Promise.all([
    Promise.all(nodes.map(async (node) => [node, await backend.readObserver(live, node)] as const)),
    nstat(),
    live.run(sender, {
      argv: ['ip', ...(probe.family === 6 ? ['-6'] : []), '-j', '-force', '-batch', '-'],
      input: `${senderBatch.join('\n')}\n`,
    }),
  ]);
  const [neigh, predicted, ruleList] = splitJsonBatch(senderBatch.length, senderAnswers.stdout, senderAnswers.stderr) as [BatchAnswer, BatchAnswer, BatchAnswer];
  const observer = new Map<string, Map<string, DeviceCount>>();
  for (const [node, json] of readings) {
    const devs = topoDevices.filter((d) => d.node === node).map((d) => d.dev);
    for (const [id, counts] of parseObserver(json, devs)) {
      let all = observer.get(id);
      if (!all) observer.set(id, (all = new Map()));
      for (const [dev, c] of counts) all.set(`${node}:${dev}`, c);
    }
  }
  const legs: LegObservation[] = probeLegs(pp, index).map((leg) => {
    const counts = observer.get(leg.id) ?? new Map<string, DeviceCount>();
    const start = leg.name === 'reply' || leg.name === 'syn-ack' ? (pp.receiverNode ?? probe.from.node) : probe.from.node;
    return { name: leg.name, path: derivePath(live.plan.topology, counts, start), devices: Object.fromEntries(counts) };
  });

  const counters = Object.fromEntries(nodes.map((n) => [n, counterDeltas(before[n] ?? {}, after[n] ?? {})]));
  if (probe.kind === 'icmp') {
    // Delivered: the echo request reached the destination's ICMP layer, whether or not an answer got back.
    const echoes = probe.family === 6 ? 'Icmp6InEchos' : 'IcmpInEchos';
    const rx = pp.receiverNode;
    delivered = answered === true || (rx !== undefined && (after[rx]?.[echoes] ?? 0) > (before[rx]?.[echoes] ?? 0));
  }
  const prediction = parseRouteGet(predicted.exitCode, predicted.stdout, predicted.stderr);
  // Via a gateway, the entry that matters is the gateway's (src/probes/next-hop.ts).
  const hop = nextHopOf(probe.to.address, prediction);
  let neighbours = neigh.exitCode === 0 ? parseNeigh(sender, neigh.stdout, probe.to.address) : [];
  if (hop.address !== probe.to.address) {
    const gw = await live.run(sender, { argv: ['ip', '-j', ...neighShowArgs(hop)] });
    // Filtered by device, `ip -j neigh show … dev D` leaves the device out of each entry.
    neighbours = gw.exitCode === 0 ? parseNeigh(sender, gw.stdout, hop.address).map((n) => ({ ...n, dev: n.dev ?? hop.dev ?? '?' })) : [];
  }
  const exchange = await neighbourExchange(live, probe.family, observer, previous, neighbours[0]);

  const limits: string[] = [];
  let inputRoute: ProbeObservation['inputRoute'];
  let inputSysctls: Record<string, number> | undefined;
  const rxNode = pp.receiverNode;
  // Where the probe came in; when it never did, where the receiving node heard the ARP/ND request
  // for it: the kernel applies the same source check to that request.
  const rxDev = rxNode
    ? inputDevice(legs[0], rxNode) ??
      exchange?.heardBy.find((k) => k.startsWith(`${rxNode}:`) && !k.endsWith(':lo'))?.slice(rxNode.length + 1)
    : undefined;
  if (rxNode && rxDev && rxDev !== 'lo') {
    const keys = probe.family === 4 ? ['all', rxDev].flatMap((scope) => ['accept_local', 'rp_filter', 'route_localnet'].map((k) => `${scope}.${k}`)) : [];
    const [r, values] = await Promise.all([
      live.run(rxNode, { argv: ['ip', ...routeArgs, 'iif', rxDev] }),
      readSysctls(live, rxNode, keys.map((k) => `net.ipv4.conf.${k}`)),
    ]);
    inputRoute = { dev: rxDev, decision: parseRouteGet(r.exitCode, r.stdout, r.stderr) };
    if (keys.length && values) inputSysctls = Object.fromEntries(keys.map((k, i) => [k, values[i] ?? 0]));
  }
  if (!rxNode) limits.push(`no node owns ${probe.to.address}, so nothing could receive it`);
  const bridgePorts = new Set(topoDevices.filter((d) => d.master).map((d) => `${d.node}:${d.dev}`));
  const hops = await Promise.all(hopQueries(probe, legs, rxNode, bridgePorts).map((q) => gatherHop(live, q, readSysctls)));
  const senderSysctls = await readSenderLocalnet(live, probe);

  const legZero = legs[0];
  return {
    observer,
    observation: {
      delivered,
      path: legZero?.path ?? [],
      devices: legZero?.devices ?? {},
      legs,
      ...(sendError ? { sendError } : {}),
      ...(receiverError ? { receiverError } : {}),
      neighbours,
      ...(exchange ? { exchange } : {}),
      prediction,
      ...(ruleList.exitCode === 0 ? { rules: parseRules(ruleList.stdout) } : {}),
      ...(inputRoute ? { inputRoute } : {}),
      ...(inputSysctls ? { inputSysctls } : {}),
      ...(senderSysctls ? { senderSysctls } : {}),
      counters,
      firewalled: live.plan.case.nft.map((n) => n.node),
      limits,
      ...(answered === undefined ? {} : { answered }),
      ...(hops.length ? { hops } : {}),
    },
  };
};

/**
 * Devices whose count of `id` grew since the previous reading: those that sent one of their own
 * (sent, received none: a bridge port forwarding it both received and sent) and those that
 * received one.
 */
const grew = (
  observer: ReadonlyMap<string, Map<string, DeviceCount>>,
  previous: ReadonlyMap<string, Map<string, DeviceCount>> | undefined,
  id: string,
): { sent: string[]; received: string[] } => {
  const now = observer.get(id);
  const then = previous?.get(id);
  const delta = [...(now ?? [])].map(([key, c]) => {
    const old = then?.get(key);
    return { key, tx: c.tx - (old?.tx ?? 0), rx: c.rx - (old?.rx ?? 0) };
  });
  return {
    sent: delta.filter((d) => d.tx > 0 && d.rx === 0).map((d) => d.key),
    received: delta.filter((d) => d.rx > 0).map((d) => d.key),
  };
};

/**
 * Sysctls of a node, read from /proc/sys by its agent (a `sysctl` process without one); undefined
 * when any of them cannot be read.
 */
/** A sender with a loopback source: its route_localnet (all, and the device it is bound to), which decides whether it may send. */
const readSenderLocalnet = async (live: LiveCase, probe: ProbePlan['probe']): Promise<Record<string, number> | undefined> => {
  if (!isLoopback4(probe.from.address)) return undefined;
  const scopes = ['all', ...(probe.from.dev ? [probe.from.dev] : [])];
  const values = await readSysctls(live, probe.from.node, scopes.map((s) => `net.ipv4.conf.${s}.route_localnet`));
  return values ? Object.fromEntries(scopes.map((s, i) => [`${s}.route_localnet`, values[i] ?? 0])) : undefined;
};

const readSysctls = async (live: LiveCase, node: string, keys: readonly string[]): Promise<number[] | undefined> => {
  if (keys.length === 0) return [];
  const agent = live.agents.get(node);
  const texts = agent
    ? await agent.read(keys.map((k) => `/proc/sys/${k.replace(/\./g, '/')}`))
    : await live.run(node, { argv: ['sysctl', '-n', ...keys] }).then((s) => (s.exitCode === 0 ? s.stdout.trim().split('\n') : []));
  const values = texts.map((t) => (t.trim() === '' ? NaN : Number(t.trim())));
  return values.length === keys.length && values.every(Number.isFinite) ? values : undefined;
};

/** MAC → device per node, read once per live case: the MACs of a case do not change. */
const macCache = new WeakMap<LiveCase, Promise<Map<string, Map<string, string>>>>();
const macsOf = (live: LiveCase): Promise<Map<string, Map<string, string>>> => {
  let macs = macCache.get(live);
  if (!macs) {
    macs = Promise.all(
      live.plan.topology.nodes.map(async (node) => {
        const agent = live.agents.get(node);
        if (agent) {
          // The agent's /sys is the namespace's (`ip netns exec` mounted it): files, no process.
          const devs = live.plan.topology.devices.filter((d) => d.node === node).map((d) => d.dev);
          const texts = await agent.read(devs.flatMap((d) => [`/sys/class/net/${d}/address`, `/sys/class/net/${d}/type`]));
          return [node, parseSysMacs(devs, texts)] as const;
        }
        const links = await live.run(node, { argv: ['ip', '-j', 'link', 'show'] });
        return [node, parseLinkMacs(links.stdout)] as const;
      }),
    ).then((entries) => new Map(entries));
    macCache.set(live, macs);
  }
  return macs;
};

const neighbourExchange = async (
  live: LiveCase,
  family: 4 | 6,
  observer: ReadonlyMap<string, Map<string, DeviceCount>>,
  previous: ReadonlyMap<string, Map<string, DeviceCount>> | undefined,
  entry: NeighEntry | undefined,
): Promise<NeighbourExchange | undefined> => {
  const [request, reply] = neighbourRules(family).map((r) => r.id) as [string, string];
  // Bridge ports only forward what others sent: they neither ask nor answer.
  const ports = new Set(live.plan.topology.devices.filter((d) => d.master).map((d) => `${d.node}:${d.dev}`));
  const own = (keys: string[]): string[] => keys.filter((k) => !ports.has(k));
  const requests = grew(observer, previous, request);
  const askedOn = own(requests.sent);
  const answeredBy = own(grew(observer, previous, reply).sent);
  if (!entry && askedOn.length === 0) return undefined;
  let owner: string | undefined;
  if (entry?.lladdr) {
    for (const [node, macs] of await macsOf(live)) {
      const dev = macs.get(entry.lladdr);
      if (dev) {
        owner = `${node}:${dev}`;
        break;
      }
    }
  }
  return {
    protocol: family === 4 ? 'arp' : 'nd',
    askedOn,
    heardBy: own(requests.received),
    answeredBy,
    ...(entry ? { entry: { ...entry, ...(owner ? { owner } : {}) } } : {}),
  };
};
