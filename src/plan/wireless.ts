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
// program (perl-base is Essential in Debian).
import { createHash, pbkdf2Sync } from 'node:crypto';
import { formatRef } from '../model/refs.js';
import type { Scenario, WirelessLink } from '../types/scenario.js';
import type { Op, Topology, TopologyDevice, MediumMonitor } from '../types/plan.js';
// moved to src/types/plan.ts (re-exported here during the move only)
export type { MediumMonitor } from '../types/plan.js';

/**
 * perl -e HWSIM_RADIOS PHY DEV TYPE NETNS [PHY DEV TYPE NETNS]…: for each quadruple, a radio named
 * PHY in the caller's namespace (HWSIM_CMD_NEW_RADIO, no interfaces), an interface DEV of nl80211
 * type TYPE on it, and the radio with its interface moved into /run/netns/NETNS unless NETNS is
 * empty. One process for all radios of a link: under TCG every process start costs 0.2-1 s, and
 * the perl, iw and ip netns exec per radio were most of a wireless case's setup.
 */
export const HWSIM_RADIOS = String.raw`use strict;
my $seq = 0;
socket(my $s, 16, 3, 16) or die "netlink socket: $!\n";
sub attr { my ($t, $d) = @_; my $l = 4 + length $d; pack('SS', $l, $t) . $d . ("\0" x ((4 - $l % 4) % 4)) }
sub msg { my ($type, $cmd, $attrs) = @_; my $body = pack('CCS', $cmd, 1, 0) . $attrs;
  pack('LSSLL', 16 + length $body, $type, 5, ++$seq, 0) . $body }
sub talk { my ($m) = @_; send($s, $m, 0) or die "netlink send: $!\n"; my @r;
  while (1) { my $buf; defined recv($s, $buf, 1 << 20, 0) or die "netlink recv: $!\n";
    while (length $buf >= 16) { my ($len, $type) = unpack('LS', $buf); my $p = substr($buf, 0, $len); $buf = substr($buf, ($len + 3) & ~3);
      return (unpack('l', substr($p, 16, 4)), @r) if $type == 2; push @r, $p; } } }
sub family { my ($err, @r) = talk(msg(0x10, 3, attr(2, "$_[0]\0"))); return undef if $err || !@r;
  my ($fam, $a) = (undef, substr($r[0], 20));
  while (length $a >= 4) { my ($l, $t) = unpack('SS', $a); $fam = unpack('S', substr($a, 4, 2)) if $t == 1; $a = substr($a, ($l + 3) & ~3); }
  return $fam }
my $hwsim = family('MAC80211_HWSIM');
die "this kernel has no MAC80211_HWSIM netlink family (mac80211_hwsim is not loaded)\n" unless defined $hwsim;
my $nl80211 = family('nl80211');
die "this kernel has no nl80211 netlink family (cfg80211)\n" unless defined $nl80211;
while (@ARGV >= 4) {
  my ($phy, $dev, $type, $netns) = splice(@ARGV, 0, 4);
  my ($err) = talk(msg($hwsim, 4, attr(17, "$phy\0") . attr(18, '')));
  die "HWSIM_CMD_NEW_RADIO $phy failed: error $err\n" if $err < 0;
  open(my $f, '<', "/sys/class/ieee80211/$phy/index") or die "radio $phy has no wiphy index: $!\n";
  my $wiphy = <$f>; close $f; chomp $wiphy;
  ($err) = talk(msg($nl80211, 7, attr(1, pack('L', $wiphy)) . attr(4, "$dev\0") . attr(5, pack('L', $type))));
  die "interface $dev on radio $phy: error $err\n" if $err;
  next if $netns eq '';
  open(my $ns, '<', "/run/netns/$netns") or die "namespace $netns: $!\n";
  ($err) = talk(msg($nl80211, 49, attr(1, pack('L', $wiphy)) . attr(219, pack('L', fileno $ns))));
  die "moving radio $phy into $netns: error $err\n" if $err;
}
`;

/**
 * Shell functions the join scripts share: `await KIND WANT DEV…` waits until every DEV has WANT
 * peers in the state that carries data (mesh: peer links established; sta: associated; ibss:
 * stations), polling for 8 s at most per device.
 */
const AWAIT_FN = String.raw`peers() {
  case $2 in
    mesh) iw dev "$1" station dump | grep -c 'mesh plink:[[:space:]]*ESTAB' ;;
    sta) iw dev "$1" link | grep -c '^Connected' ;;
    *) iw dev "$1" station dump | grep -c '^Station' ;;
  esac
}
await() {
  kind=$1 want=$2; shift 2
  for dev; do
    i=0
    while n=$(peers "$dev" "$kind"); [ "$n" -lt "$want" ]; do
      i=$((i + 1))
      if [ $i -ge 160 ]; then echo "$dev: $n of $want peer(s) after 8 s ($kind)" >&2; exit 1; fi
      sleep 0.05
    done
  done
}
`;

// One process per node and step rather than one per radio and step: under TCG each process start,
// ip netns exec included, costs 0.2-1 s.

/** sh -c JOIN_RADIOS sh KIND FREQ SSID BSSID WANT AWAIT DEV…: every DEV joins the mesh or IBSS; with AWAIT=await, then waits for its peers. */
export const JOIN_RADIOS = `${AWAIT_FN}kind=$1 freq=$2 ssid=$3 bssid=$4 want=$5 then=$6; shift 6
for dev; do
  if [ "$kind" = mesh ]; then iw dev "$dev" mesh join "$ssid" freq "$freq" || exit 1
  else iw dev "$dev" ibss join "$ssid" "$freq" fixed-freq "$bssid" || exit 1; fi
done
[ "$then" = await ] && await "$kind" "$want" "$@"
exit 0
`;

/** sh -c AWAIT_PEERS sh KIND WANT DEV…: waits until every DEV has WANT peers. */
export const AWAIT_PEERS = `${AWAIT_FN}await "$@"
`;

/** sh -c START_STATIONS sh DEV…: wpa_supplicant on every DEV with the config on stdin, then waits until all are associated. */
export const START_STATIONS = `${AWAIT_FN}f=$(mktemp) || exit 1
cat > "$f"
for dev; do wpa_supplicant -B -i "$dev" -D nl80211 -c "$f" || { rm -f "$f"; exit 1; }; done
rm -f "$f"
await sta 1 "$@"
`;

/**
 * sh -c WITH_CONFIG sh PROGRAM ARGS…: the config on stdin goes to a temporary file that PROGRAM
 * gets as its last argument (hostapd cannot read /dev/stdin). Both daemons read it before they
 * detach, so it is removed as soon as they return.
 */
export const WITH_CONFIG = 'f=$(mktemp) || exit 1; cat > "$f"; "$@" "$f"; r=$?; rm -f "$f"; exit $r';

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
  /** Radios into their nodes; before the addresses are assigned. */
  radios: Op[];
  /** Up, joined, associated; after the addresses. */
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

export const wirelessOps = (scenario: Scenario, casePrefix: string, netnsOf: (node: string) => string): WirelessOps => {
  const radios: Op[] = [];
  const join: Op[] = [];
  (scenario.wireless ?? []).forEach((link, l) => {
    const creator = link.radios[0]?.node;
    if (creator === undefined) return;
    const monitor = `${casePrefix}-w${l}m`;
    const dev = monitorDev(l);
    // A radio that moves gets a name of its own in the creator's namespace first (two nodes may
    // both have a wlan0), and its scenario name in its node.
    const moving = (k: number): string => `_w${l}r${k}`;
    const quads = link.radios.flatMap((r, k) => [
      radioName(casePrefix, l, k), r.node === creator ? r.dev : moving(k), String(IFTYPE[link.mode]), r.node === creator ? '' : netnsOf(r.node),
    ]);
    radios.push({
      node: creator,
      argv: ['perl', '-e', HWSIM_RADIOS, ...quads, monitor, dev, String(IFTYPE_MONITOR), ''],
      requires: 'mac80211_hwsim',
      why: `hwsim radios for ${link.radios.map(formatRef).join(', ')} on the medium of this link only, and ${monitor} that only listens (the medium's observer)`,
    });
    link.radios.forEach((r, k) => {
      if (r.node !== creator) radios.push({ node: r.node, argv: ['ip', 'link', 'set', 'dev', moving(k), 'name', r.dev] });
    });
    join.push({ node: creator, argv: ['ip', 'link', 'set', 'dev', dev, 'up'] });
    join.push({ node: creator, argv: ['iw', 'dev', dev, 'set', 'freq', String(link.freq)], why: 'the observer listens on the link\'s channel' });
    const peers = String(link.radios.length - 1);
    // Radios per node, in the link's order.
    const byNode = new Map<string, string[]>();
    for (const r of link.radios) if (link.mode !== 'ap' || !isAp(link, r)) byNode.set(r.node, [...(byNode.get(r.node) ?? []), r.dev]);
    if (link.mode === 'ap') {
      const ap = link.radios.find((r) => isAp(link, r));
      if (ap) {
        join.push({ node: ap.node, argv: ['sh', '-c', WITH_CONFIG, 'sh', 'hostapd', '-B'], input: hostapdConfig(link, ap.dev), why: `access point on ${ap.node}:${ap.dev}` });
      }
      for (const [node, devs] of byNode) {
        join.push({ node, argv: ['sh', '-c', START_STATIONS, 'sh', ...devs], input: supplicantConfig(link), why: `stations ${devs.map((d) => `${node}:${d}`).join(', ')}, associated` });
      }
    } else {
      for (const [node, devs] of byNode) for (const dev of devs) join.push({ node, argv: ['ip', 'link', 'set', 'dev', dev, 'up'] });
      // Every node joins; the last one waits for its peers right away, the others after it joined.
      const nodes = [...byNode.keys()];
      const bssid = link.mode === 'ibss' ? ibssBssid(link.ssid, l) : '-';
      nodes.forEach((node, i) => {
        const then = i === nodes.length - 1 ? 'await' : '-';
        join.push({ node, argv: ['sh', '-c', JOIN_RADIOS, 'sh', link.mode, String(link.freq), link.ssid, bssid, peers, then, ...(byNode.get(node) ?? [])], why: `join the ${link.mode}` });
      });
      for (const node of nodes.slice(0, -1)) {
        join.push({ node, argv: ['sh', '-c', AWAIT_PEERS, 'sh', link.mode, peers, ...(byNode.get(node) ?? [])], why: 'wait for the peer links' });
      }
    }
  });
  return { radios, join };
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
