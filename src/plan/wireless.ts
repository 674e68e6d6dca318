// Wireless links as ops: mac80211_hwsim radios created inside the case's namespaces, put into
// their nodes under the scenario's names, and joined to their network (mesh, IBSS, or an access
// point with stations).
//
// Radios are created over generic netlink (HWSIM_CMD_NEW_RADIO) from inside a namespace, not with
// the module's radios= parameter: measured on Debian's 6.1 kernel, such a radio is born in that
// namespace (nothing appears in the root namespace), its medium is shared only with radios
// created from the same namespace (so parallel cases do not hear each other), and it is destroyed
// with the namespace it is in. All radios of a link are created from the namespace of its first
// radio's node, given an interface, then moved (nl80211's SET_WIPHY_NETNS, which takes the interface
// along). iw cannot create hwsim radios and Node cannot open netlink sockets, hence the small perl
// program src/agent/hwsim.pl (perl-base is Essential in Debian), which does the case's whole
// wireless part in one process, before the topology: `radio` and `listen` for every link from its
// creator's namespace, then node by node (`netns`) the moved radios named, the radios up, `mesh`
// and `ibss` joins; then node by node `config` + `run` for hostapd, `connect` for an open
// network's stations and one wpa_supplicant per node for a WPA2 network's, and at the end
// `await` until every radio carries data. Addresses come after (the topology batch): none of the
// joins needs one.
//
// Why one process: under TCG every process start costs 0.1-1 s of a guest CPU,
// and the guest's two CPUs are what a VM run waits for. Measured with BSD process accounting in
// the guest (laptop-two-wlan, four cases): the shell's polling loops (iw | grep, sleep, every
// 50 ms), the temporary files (mktemp, cat, rm), one wpa_supplicant per station and an iw per
// channel and join took more CPU than the daemons themselves; a case used ~6 s of CPU.
import { createHash, pbkdf2Sync } from 'node:crypto';
import { HWSIM_RADIOS } from '../agent/programs.js';
import { formatRef } from '../model/refs.js';
import type { Scenario, WirelessLink } from '../types/scenario.js';
import type { Op, Topology, TopologyDevice, MediumMonitor } from '../types/plan.js';

/** How long a node waits for its radios to carry data (associated, peer links established), in seconds. */
export const AWAIT_S = 30;

export const channelOf = (freq: number): number => (freq === 2484 ? 14 : (freq - 2407) / 5);

/** The wiphy name of radio `radio` of link `link` in a case: unique across runs and cases. */
export const radioName = (casePrefix: string, link: number, radio: number): string => `${casePrefix}-w${link}r${radio}`;

const hex = (s: string): string => Buffer.from(s, 'latin1').toString('hex');

/** WPA2-PSK key from passphrase and SSID (IEEE 802.11i PBKDF2), so no quoting reaches a config file. */
export const wpaPsk = (passphrase: string, ssid: string): string =>
  pbkdf2Sync(passphrase, Buffer.from(ssid, 'latin1'), 4096, 32, 'sha1').toString('hex');

export const hostapdConfig = (link: WirelessLink, dev: string): string =>
  [
    `interface=${dev}`,
    'driver=nl80211',
    `ssid2=${hex(link.ssid)}`,
    'hw_mode=g',
    `channel=${channelOf(link.freq)}`,
    ...(link.passphrase !== undefined
      ? ['wpa=2', 'wpa_key_mgmt=WPA-PSK', 'rsn_pairwise=CCMP', `wpa_psk=${wpaPsk(link.passphrase, link.ssid)}`]
      : []),
    '',
  ].join('\n');

export const supplicantConfig = (link: WirelessLink): string =>
  [
    'network={',
    `  ssid=${hex(link.ssid)}`,
    `  scan_freq=${link.freq}`,
    `  freq_list=${link.freq}`,
    ...(link.passphrase !== undefined
      ? ['  key_mgmt=WPA-PSK', '  proto=RSN', `  psk=${wpaPsk(link.passphrase, link.ssid)}`]
      : ['  key_mgmt=NONE']),
    '}',
    '',
  ].join('\n');

/** nl80211 interface types (enum nl80211_iftype). */
const IFTYPE = { mesh: 7, ibss: 1, ap: 2 } as const;
const IFTYPE_MONITOR = 6;

const isAp = (link: WirelessLink, r: { node: string; dev: string }): boolean =>
  link.ap !== undefined && link.ap.node === r.node && link.ap.dev === r.dev;

export interface WirelessOps {
  /** Radios into their nodes, up, joined, associated: before the addresses are assigned. */
  radios: Op[];
  /** Ops after the addresses (none since the whole part runs in the radios' process). */
  join: Op[];
}

/** The monitor interface of link `link`'s observer. */
const monitorDev = (link: number): string => `_medium${link}`;

export const mediumMonitors = (scenario: Scenario): MediumMonitor[] =>
  (scenario.wireless ?? []).flatMap((link, l) => {
    const node = link.radios[0]?.node;
    return node === undefined
      ? []
      : [{ medium: `w${l}`, node, dev: monitorDev(l), freq: link.freq, encrypted: link.mode === 'ap' && link.passphrase !== undefined }];
  });

/** The BSSID an IBSS starts with: the same for every radio, so none has to find the others by scanning first. */
export const ibssBssid = (ssid: string, link: number): string => {
  const h = createHash('sha256').update(`${link}\0${ssid}`).digest();
  // Locally administered, unicast.
  return [(h[0] ?? 0) & 0xfc | 0x02, ...h.subarray(1, 6)].map((b) => b.toString(16).padStart(2, '0')).join(':');
};

const hwsim = (steps: string[]): string[] => ['perl', '-e', HWSIM_RADIOS, ...steps];

/** wpa_supplicant's argv for stations DEVS of one node: one process for all (-N), the config at `{}`. */
const supplicantArgv = (devs: readonly string[]): string[] => [
  'wpa_supplicant', '-B', ...devs.flatMap((dev, i) => [...(i > 0 ? ['-N'] : []), '-i', dev, '-D', 'nl80211', '-c', '{}']),
];

export const wirelessOps = (scenario: Scenario, casePrefix: string, netnsOf: (node: string) => string): WirelessOps => {
  /** Each link's radios, from the namespace of its first radio's node (hwsim's medium is that namespace's). */
  const creating: { node: string; steps: string[] }[] = [];
  const made: string[] = [];
  /**
   * Per node, in the order the nodes join: its radios named and up, its mesh and IBSS joins, its
   * steps that need an access point or start a daemon, what it waits for, why.
   */
  const parts = new Map<string, { prep: string[]; joins: string[]; steps: string[]; awaits: string[]; why: string[] }>();
  const part = (node: string) => {
    let p = parts.get(node);
    if (!p) parts.set(node, (p = { prep: [], joins: [], steps: [], awaits: [], why: [] }));
    return p;
  };
  const links = scenario.wireless ?? [];
  // Access points first: their stations find them on their first scan.
  for (const link of links) if (link.mode === 'ap' && link.ap) part(link.ap.node);
  links.forEach((link, l) => {
    const creator = link.radios[0]?.node;
    if (creator === undefined) return;
    const monitor = `${casePrefix}-w${l}m`;
    const dev = monitorDev(l);
    // A radio that moves gets a name of its own in the creator's namespace first (two nodes may
    // both have a wlan0), and its scenario name in its node.
    const moving = (k: number): string => `_w${l}r${k}`;
    const radioSteps = link.radios.flatMap((r, k) => [
      'radio', radioName(casePrefix, l, k), r.node === creator ? r.dev : moving(k), String(IFTYPE[link.mode]), r.node === creator ? '' : netnsOf(r.node),
    ]);
    creating.push({ node: creator, steps: [...radioSteps, 'radio', monitor, dev, String(IFTYPE_MONITOR), '', 'listen', dev, String(link.freq)] });
    made.push(`hwsim radios for ${link.radios.map(formatRef).join(', ')} on the medium of this link only (created from ${creator}'s namespace), and ${monitor} that only listens (the medium's observer), on the link's channel`);
    link.radios.forEach((r, k) => {
      if (r.node !== creator) part(r.node).prep.push('name', moving(k), r.dev);
    });
    // Radios per node, in the link's order.
    const byNode = new Map<string, string[]>();
    for (const r of link.radios) if (link.mode !== 'ap' || !isAp(link, r)) byNode.set(r.node, [...(byNode.get(r.node) ?? []), r.dev]);
    if (link.mode === 'ap') {
      const ap = link.radios.find((r) => isAp(link, r));
      if (ap) {
        const p = part(ap.node);
        p.steps.push('config', hostapdConfig(link, ap.dev), 'run', '3', 'hostapd', '-B', '{}');
        p.why.push(`access point on ${ap.node}:${ap.dev}`);
      }
      for (const [node, devs] of byNode) {
        const p = part(node);
        if (link.passphrase === undefined) {
          // An open network needs no supplicant: the kernel's own SME (NL80211_CMD_CONNECT)
          // scans the channel, authenticates and associates. wpa_supplicant's start alone took
          // 0.9-1.7 s of a TCG guest per case (0.6 s of its CPU), and it joined the second
          // station ~0.8 s after the first.
          for (const d of devs) p.prep.push('up', d);
          for (const d of devs) p.steps.push('connect', d, String(link.freq), link.ssid);
        } else {
          const argv = supplicantArgv(devs);
          p.steps.push('config', supplicantConfig(link), 'run', String(argv.length), ...argv);
        }
        for (const d of devs) p.awaits.push('await', d, 'sta', '1', String(AWAIT_S));
        p.why.push(`stations ${devs.map((d) => `${node}:${d}`).join(', ')}, associated`);
      }
    } else {
      const peers = String(link.radios.length - 1);
      const bssid = link.mode === 'ibss' ? ibssBssid(link.ssid, l) : '';
      for (const [node, devs] of byNode) {
        const p = part(node);
        for (const d of devs) p.prep.push('up', d);
        for (const d of devs) {
          p.joins.push(...(link.mode === 'mesh' ? ['mesh', d, String(link.freq), link.ssid] : ['ibss', d, String(link.freq), link.ssid, bssid]));
          p.awaits.push('await', d, link.mode, peers, String(AWAIT_S));
        }
        p.why.push(`${devs.map((d) => `${node}:${d}`).join(', ')} join the ${link.mode}, peer links established`);
      }
    }
  });
  // One process: every link's radios from its creator's namespace; then every node does its part,
  // in the order of `parts` (a `netns` step moves the process into the next node); then it waits
  // for the radios, the last node's first (it is there).
  const creator = creating[0]?.node;
  if (creator === undefined) return { radios: [], join: [] };
  const steps: string[] = [];
  let here = creator;
  const into = (node: string): void => {
    if (node !== here) steps.push('netns', netnsOf(node));
    here = node;
  };
  for (const c of creating) {
    into(c.node);
    steps.push(...c.steps);
  }
  // Every node's radios named and up and its meshes and IBSSs joined first: their peer links form
  // in the kernel while the access points' hostapd starts (0.2-0.5 s of a TCG guest per case),
  // instead of after it. Then the access points (their stations find them at their first scan),
  // then the stations.
  const nodes = [...parts.keys()];
  const has = (node: string, ...kinds: ('prep' | 'joins' | 'steps')[]): boolean => kinds.some((k) => (parts.get(node)?.[k].length ?? 0) > 0);
  for (const node of nodes.filter((n) => has(n, 'prep', 'joins'))) {
    into(node);
    steps.push(...(parts.get(node)?.prep ?? []), ...(parts.get(node)?.joins ?? []));
  }
  for (const node of nodes.filter((n) => has(n, 'steps'))) {
    into(node);
    steps.push(...(parts.get(node)?.steps ?? []));
  }
  for (const node of nodes.filter((n) => has(n, 'prep', 'joins', 'steps')).reverse()) {
    const awaits = parts.get(node)?.awaits ?? [];
    if (awaits.length === 0) continue;
    into(node);
    steps.push(...awaits);
  }
  const why = [...made, ...nodes.filter((n) => has(n, 'prep', 'joins', 'steps')).flatMap((n) => parts.get(n)?.why ?? [])].join('; ');
  return { radios: [{ node: creator, argv: hwsim(steps), requires: 'mac80211_hwsim', why }], join: [] };
};

/** The topology with every radio as a device of its node; radios of one link share a medium. */
export const withRadios = (topology: Topology, scenario: Scenario): Topology => {
  const links = scenario.wireless ?? [];
  if (links.length === 0) return topology;
  const added: TopologyDevice[] = links.flatMap((link, l) =>
    link.radios.map((r) => ({ node: r.node, dev: r.dev, kind: 'radio' as const, medium: `w${l}`, ...(isAp(link, r) ? { accessPoint: true } : {}) })),
  );
  const order = new Map(topology.nodes.map((n, i) => [n, i]));
  const devices = [...topology.devices, ...added].sort((x, y) => (order.get(x.node) ?? 0) - (order.get(y.node) ?? 0));
  return { ...topology, devices };
};
