// The observers of a case, planned like any other op: what each probe kind puts on the wire, as
// nft matches (the legs whose paths are reported, and the ARP/ND exchange that precedes them), and
// the netdev table that counts them on every device of every node. Pure.
import type { LegName } from '../types/observation.js';
import type { Op, ProbePlan, Topology } from '../types/plan.js';

export const OBSERVER_TABLE = 'netns_lab_observe';

/** One counting rule, installed on every device: `match` is an nft expression, `id` names it. */
export interface ObserverRule {
  id: string;
  match: string;
}

export interface Leg {
  name: LegName;
  /** The observer rule id: `p<index>:<leg>`. */
  id: string;
  match: string;
}

/** The ICMP echo identifier of a probe: fixed per probe so its request and reply can be told apart. */
export const echoId = (pp: ProbePlan): number => pp.port;

export const probeLegs = (pp: ProbePlan, index: number): Leg[] => {
  const id = (leg: LegName): string => `p${index}:${leg}`;
  const { kind, family } = pp.probe;
  // The source port too when lab knows it: another probe of the case may go to the same port.
  const out = (proto: string): string => `${pp.sport === undefined ? '' : `${proto} sport ${pp.sport} `}${proto} dport ${pp.port}`;
  const back = (proto: string): string => `${proto} sport ${pp.port}${pp.sport === undefined ? '' : ` ${proto} dport ${pp.sport}`}`;
  if (kind === 'udp') {
    return [{ name: 'datagram', id: id('datagram'), match: `meta l4proto udp ${out('udp')}` }];
  }
  if (kind === 'tcp') {
    return [
      { name: 'syn', id: id('syn'), match: `meta l4proto tcp ${out('tcp')} tcp flags & (syn | ack) == syn` },
      // The answer to the SYN: a SYN-ACK from a listener, or a RST when there is none.
      { name: 'syn-ack', id: id('syn-ack'), match: `meta l4proto tcp ${back('tcp')} tcp flags & (syn | rst) != 0` },
    ];
  }
  const icmp = family === 6 ? 'icmpv6' : 'icmp';
  return [
    { name: 'request', id: id('request'), match: `meta l4proto ${icmp} ${icmp} type echo-request ${icmp} id ${echoId(pp)}` },
    { name: 'reply', id: id('reply'), match: `meta l4proto ${icmp} ${icmp} type echo-reply ${icmp} id ${echoId(pp)}` },
  ];
};

/** ARP (IPv4) or neighbour discovery (IPv6) rules: requests and replies on every device. */
export const neighbourRules = (family: 4 | 6): ObserverRule[] =>
  family === 4
    ? [
        { id: 'arp:request', match: 'meta protocol arp arp operation request' },
        { id: 'arp:reply', match: 'meta protocol arp arp operation reply' },
      ]
    : [
        { id: 'nd:solicit', match: 'meta l4proto ipv6-icmp icmpv6 type nd-neighbor-solicit' },
        { id: 'nd:advert', match: 'meta l4proto ipv6-icmp icmpv6 type nd-neighbor-advert' },
      ];

/** Every observer rule of a case: the legs of each probe, and the neighbour exchanges. */
export const observerRules = (probes: readonly ProbePlan[]): ObserverRule[] => {
  const rules: ObserverRule[] = probes.flatMap((pp, i) => probeLegs(pp, i).map(({ id, match }) => ({ id, match })));
  for (const family of [4, 6] as const) {
    if (probes.some((pp) => pp.probe.family === family)) rules.push(...neighbourRules(family));
  }
  return rules;
};

/** The nft script that installs the observer in one namespace. */
export const observerRuleset = (devices: readonly string[], rules: readonly ObserverRule[]): string => {
  const lines = [`table netdev ${OBSERVER_TABLE} {`];
  devices.forEach((dev, i) => {
    for (const [prefix, hook] of [['rx', 'ingress'], ['tx', 'egress']] as const) {
      lines.push(`  chain ${prefix}${i} {`);
      // Lowest priority number: count before anything else on the device can drop the packet.
      lines.push(`    type filter hook ${hook} device ${JSON.stringify(dev)} priority -500; policy accept;`);
      for (const rule of rules) lines.push(`    ${rule.match} counter comment ${JSON.stringify(rule.id)}`);
      lines.push('  }');
    }
  });
  lines.push('}');
  return `${lines.join('\n')}\n`;
};

/** The command that reads a node's observer counts as nft JSON (parsed by src/probes/observe.ts). */
export const OBSERVER_READ_ARGV: readonly string[] = ['nft', '-j', 'list', 'table', 'netdev', OBSERVER_TABLE];

/**
 * The ops that install the observers: one `nft -f -` per node, its table counting every rule of
 * the case on each of its devices. Applied once the topology stands, each node's side by side.
 * Nothing to count (a case without probes): no op, and no process per node.
 */
export const observerOps = (topology: Topology, probes: readonly ProbePlan[]): Op[] => {
  const rules = observerRules(probes);
  if (rules.length === 0) return [];
  return topology.nodes.map((node) => ({
    node,
    argv: ['nft', '-f', '-'],
    input: observerRuleset(topology.devices.filter((d) => d.node === node).map((d) => d.dev), rules),
    why: 'count the probes\' packets on every device (the observer)',
  }));
};

/** The interactive form of `nft [-j] list …`: `nft [-j] -i`, and the command it is given per reading. */
export const interactiveNft = (listArgv: readonly string[]): { argv: string[]; line: string } | undefined => {
  const at = listArgv.indexOf('list');
  if (listArgv[0] !== 'nft' || at < 1) return undefined;
  return { argv: [...listArgv.slice(0, at), '-i'], line: `${listArgv.slice(at).join(' ')}\n` };
};

const session = interactiveNft(OBSERVER_READ_ARGV) as { argv: string[]; line: string };
/**
 * The observer's interactive nft: `nft -j -i` takes one command per line and answers each `list`
 * with one line of JSON. A node's observer is installed through it and read through it, so one nft
 * process per node and case serves the install and every reading (#14).
 */
export const OBSERVER_SESSION_ARGV: readonly string[] = session.argv;

/** The line that asks the session for the counts (OBSERVER_READ_ARGV's command). */
export const OBSERVER_LIST_LINE = session.line;

/**
 * An nft script as one line for `nft -i` (which reads a command per line): its statements joined
 * by `;`, as nft's grammar allows wherever a newline separates them. Pure; for scripts like
 * observerRuleset's, whose lines hold no comment and no string with a newline.
 */
export const scriptLine = (script: string): string => {
  const lines = script.split('\n').map((l) => l.trim().replace(/;+$/, '')).filter(Boolean);
  let out = '';
  for (const [i, line] of lines.entries()) out += i === 0 ? line : `${(lines[i - 1] as string).endsWith('{') ? ' ' : '; '}${line}`;
  return `${out}\n`;
};

/** Whether a line of the session is the answer to a `list` (one line of nft JSON). */
export const isListAnswer = (line: string): boolean => line.startsWith('{"nftables"');
