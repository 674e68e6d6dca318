// What a node that received a datagram (or had to answer one) decided about it: the evidence the
// verdict reads when a request stops at a router, or a reply never gets back. Pure: types and
// parsers only; src/probes/hops.ts gathers it.
import type { CoveringRoute } from '../types/observation.js';
// moved to src/types/observation.ts (re-exported here during the move only)
export type { CoveringRoute, HopEvidence } from '../types/observation.js';

const prefixLength = (dst: string): number => (dst === 'default' ? 0 : Number(dst.split('/')[1] ?? 128));

/** `ip -j route show table all match DST`: the routes covering DST, most specific first. */
export const parseCoveringRoutes = (json: string): CoveringRoute[] => {
  let entries: Record<string, unknown>[];
  try {
    entries = JSON.parse(json || '[]') as Record<string, unknown>[];
  } catch {
    return [];
  }
  const text = (e: Record<string, unknown>, k: string): string | undefined => (typeof e[k] === 'string' ? (e[k] as string) : undefined);
  return entries
    .map((e): CoveringRoute => ({
      type: text(e, 'type') ?? 'unicast',
      dst: text(e, 'dst') ?? '?',
      table: text(e, 'table') ?? 'main',
      ...(text(e, 'dev') ? { dev: text(e, 'dev') as string } : {}),
      ...(text(e, 'gateway') ? { gateway: text(e, 'gateway') as string } : {}),
    }))
    // The local table lists the node's own and broadcast addresses: they cover nothing of interest.
    .filter((r) => r.table !== 'local')
    .sort((a, b) => prefixLength(b.dst) - prefixLength(a.dst));
};

export const describeCoveringRoute = (r: CoveringRoute): string =>
  `${r.type === 'unicast' ? '' : `${r.type} `}${r.dst}${r.gateway ? ` via ${r.gateway}` : ''}${r.dev ? ` dev ${r.dev}` : ''} table ${r.table}`;

/** Where a leg stopped: the last device of its path that received it (`node:dev`). */
export const lastReceived = (
  leg: { path: readonly string[]; devices: Record<string, { tx: number; rx: number }> } | undefined,
): { node: string; dev: string } | undefined => {
  const key = [...(leg?.path ?? [])].reverse().find((k) => (leg?.devices[k]?.rx ?? 0) > 0);
  if (!key) return undefined;
  const at = key.indexOf(':');
  return { node: key.slice(0, at), dev: key.slice(at + 1) };
};

/** Whether a leg was received by a device of `node`. */
export const reachedNode = (
  leg: { path: readonly string[]; devices: Record<string, { tx: number; rx: number }> } | undefined,
  node: string,
): boolean => (leg?.path ?? []).some((k) => k.startsWith(`${node}:`) && (leg?.devices[k]?.rx ?? 0) > 0);

/**
 * Where to ask the kernel why a leg stopped: the router that received the request and did not pass
 * it on (a node neither sending nor receiving it); for an answer that never reached the sender,
 * the node where it was last received, or the destination's output decision when it was never sent.
 */
export const hopQueries = (
  probe: { kind: string; family: 4 | 6; from: { node: string; address: string }; to: { address: string } },
  legs: readonly { path: readonly string[]; devices: Record<string, { tx: number; rx: number }> }[],
  receiverNode: string | undefined,
  /** Bridge ports (`node:dev`): a frame a bridge port received was switched, not routed: no question to ask there. */
  bridgePorts: ReadonlySet<string> = new Set(),
): { leg: 'request' | 'reply'; node: string; iif?: string; dst: string; src: string; family: 4 | 6 }[] => {
  const { family } = probe;
  const sender = probe.from.node;
  const out: ReturnType<typeof hopQueries> = [];
  const [request, reply] = legs;
  const stop = lastReceived(request);
  const routed = (at: { node: string; dev: string }): boolean => at.dev !== 'lo' && !bridgePorts.has(`${at.node}:${at.dev}`);
  if (stop && stop.node !== sender && stop.node !== receiverNode && routed(stop)) {
    out.push({ leg: 'request', node: stop.node, iif: stop.dev, dst: probe.to.address, src: probe.from.address, family });
  }
  if (probe.kind !== 'udp' && reply && receiverNode && receiverNode !== sender && !reachedNode(reply, sender) && reachedNode(request, receiverNode)) {
    const back = lastReceived(reply);
    const answer = { leg: 'reply' as const, dst: probe.from.address, src: probe.to.address, family };
    if (back && back.node !== receiverNode && routed(back)) out.push({ ...answer, node: back.node, iif: back.dev });
    else if (!back || back.node === receiverNode) out.push({ ...answer, node: receiverNode });
  }
  return out;
};
