import { inNetns, type HostBackend, type LiveCase } from '../backends/host.js';
import type { Runner } from '../backends/runner.js';
import type { ProbePlan } from '../plan/plan.js';
import { nodeScriptArgv } from './node-script.js';
import { parseObserverCounts, type DeviceCount } from './observe.js';
import { derivePath } from './path.js';

/** A neighbour entry of the sending node, as `ip -j neigh` reports it. */
export interface NeighEntry {
  node: string;
  dev: string;
  address: string;
  state: string;
  lladdr?: string;
}

/** What was seen of one probe; the verdict is drawn from this alone. */
export interface ProbeObservation {
  delivered: boolean;
  path: string[];
  devices: Record<string, DeviceCount>;
  /** The sender could not send (for example: no route); its own words. */
  sendError?: string;
  /** The receiver could not listen on the destination; its own words. */
  receiverError?: string;
  /** Neighbour entries of the sending node for the destination, after the probe. */
  neighbours: NeighEntry[];
}

/** How long the receiver may take to bind before the probe counts as broken. */
const RECEIVER_READY_MS = 5_000;

export const hostPort = (address: string, port: number): string =>
  address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;

/** socat argv that sends `marker` once, from the probe's source address (and device, if bound). */
export const senderArgv = (pp: ProbePlan): string[] => {
  const { from, to, family } = pp.probe;
  const bind = family === 6 ? `[${from.address}]` : from.address;
  const options = [`bind=${bind}`, ...(from.dev ? [`so-bindtodevice=${from.dev}`] : [])];
  return ['socat', '-u', '-', `UDP${family}-SENDTO:${hostPort(to.address, pp.port)},${options.join(',')}`];
};

const parseNeigh = (node: string, json: string, address: string): NeighEntry[] => {
  const entries = JSON.parse(json || '[]') as { dst: string; dev: string; state?: string[]; lladdr?: string }[];
  return entries
    .filter((e) => e.dst === address)
    .map((e) => ({
      node,
      dev: e.dev,
      address: e.dst,
      state: (e.state ?? ['NONE']).join(','),
      ...(e.lladdr ? { lladdr: e.lladdr } : {}),
    }));
};

/** Sends one UDP probe and observes which devices of the case counted it. */
export const runUdpProbe = async (
  runner: Runner,
  backend: HostBackend,
  live: LiveCase,
  pp: ProbePlan,
): Promise<ProbeObservation> => {
  const { probe } = pp;
  let receiverError: string | undefined;
  const receiver = pp.receiverNode
    ? runner.start({
        argv: inNetns(live.netnsOf(pp.receiverNode), [
          ...nodeScriptArgv(import.meta.url, 'receiver'),
          `udp${probe.family}`,
          probe.to.address,
          String(pp.port),
          pp.marker,
          String(probe.timeoutMs),
        ]),
        timeoutMs: RECEIVER_READY_MS + probe.timeoutMs + 2_000,
      })
    : undefined;
  let ready = false;
  if (receiver) {
    const timer = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), RECEIVER_READY_MS).unref());
    ready = (await Promise.race([receiver.waitForLine((l) => l === 'ready'), timer])) !== undefined;
    if (!ready) {
      receiver.kill();
      receiverError = (await receiver.done).stderr.trim() || 'the receiver did not start listening';
    }
  }

  let sendError: string | undefined;
  if (!receiver || ready) {
    const sent = await runner.run({
      argv: inNetns(live.netnsOf(probe.from.node), senderArgv(pp)),
      input: `${pp.marker}\n`,
      timeoutMs: 5_000,
    });
    if (sent.exitCode !== 0) {
      sendError = sent.stderr.trim().split('\n').pop()?.replace(/^.*?E /, '') || `socat exited with ${sent.exitCode}`;
    }
  }

  let delivered = false;
  if (receiver && ready) {
    const line = await receiver.waitForLine((l) => l.startsWith('{'));
    delivered = line !== undefined && (JSON.parse(line) as { received: boolean }).received;
    await receiver.done;
  }

  const devices: Record<string, DeviceCount> = {};
  const counts = new Map<string, DeviceCount>();
  const tables = await Promise.all(
    live.plan.topology.nodes.map(async (node) => ({ node, json: await backend.readObserver(live, node) })),
  );
  for (const { node, json } of tables) {
    const nodeDevices = live.plan.topology.devices.filter((d) => d.node === node).map((d) => d.dev);
    for (const [dev, count] of parseObserverCounts(json, nodeDevices, pp.port)) {
      counts.set(`${node}:${dev}`, count);
      devices[`${node}:${dev}`] = count;
    }
  }

  const neigh = await runner.run({
    argv: inNetns(live.netnsOf(probe.from.node), ['ip', '-j', 'neigh', 'show', 'to', probe.to.address]),
  });

  return {
    delivered,
    path: derivePath(live.plan.topology, counts, probe.from.node),
    devices,
    ...(sendError ? { sendError } : {}),
    ...(receiverError ? { receiverError } : {}),
    neighbours: neigh.exitCode === 0 ? parseNeigh(probe.from.node, neigh.stdout, probe.to.address) : [],
  };
};
