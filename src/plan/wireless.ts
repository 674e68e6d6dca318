// Wireless links as ops: mac80211_hwsim radios created inside the case's namespaces, put into
// their nodes under the scenario's names, and joined to their network (mesh, IBSS, or an access
// point with stations).
//
// Radios are created over generic netlink (HWSIM_CMD_NEW_RADIO) from inside a namespace, not with
// the module's radios= parameter: measured on Debian's 6.1 kernel, such a radio is born in that
// namespace (nothing appears in the root namespace), its medium is shared only with radios
// created from the same namespace (so parallel cases do not hear each other), and it is destroyed
// with the namespace it is in. All radios of a link are created from the namespace of its first
// radio's node, then moved (`iw phy NAME set netns name NS`). iw cannot create hwsim radios and
// Node cannot open netlink sockets, hence the small perl program (perl-base is Essential in Debian).
import { createHash, pbkdf2Sync } from 'node:crypto';
import type { Scenario, WirelessLink } from '../model/types.js';
import type { Op, Topology, TopologyDevice } from './types.js';

/** perl -e HWSIM_NEW_RADIO NAME: a radio named NAME without interfaces, in the caller's namespace; prints its id. */
export const HWSIM_NEW_RADIO = String.raw`use strict; use warnings;
my ($name) = @ARGV; my $seq = 0;
socket(my $s, 16, 3, 16) or die "netlink socket: $!\n";
sub attr { my ($t, $d) = @_; my $l = 4 + length $d; pack('SS', $l, $t) . $d . ("\0" x ((4 - $l % 4) % 4)) }
sub msg { my ($type, $cmd, $attrs) = @_; my $body = pack('CCS', $cmd, 1, 0) . $attrs;
  pack('LSSLL', 16 + length $body, $type, 5, ++$seq, 0) . $body }
sub talk { my ($m) = @_; send($s, $m, 0) or die "netlink send: $!\n"; my @r;
  while (1) { my $buf; defined recv($s, $buf, 65536, 0) or die "netlink recv: $!\n";
    while (length $buf >= 16) { my ($len, $type) = unpack('LS', $buf); my $p = substr($buf, 0, $len); $buf = substr($buf, ($len + 3) & ~3);
      return (unpack('l', substr($p, 16, 4)), @r) if $type == 2; push @r, $p; } } }
my ($err, @r) = talk(msg(0x10, 3, attr(2, "MAC80211_HWSIM\0")));
die "this kernel has no MAC80211_HWSIM netlink family (mac80211_hwsim is not loaded)\n" if $err || !@r;
my ($fam, $a) = (undef, substr($r[0], 20));
while (length $a >= 4) { my ($l, $t) = unpack('SS', $a); $fam = unpack('S', substr($a, 4, 2)) if $t == 1; $a = substr($a, ($l + 3) & ~3); }
($err) = talk(msg($fam, 4, attr(17, "$name\0") . attr(18, '')));
die "HWSIM_CMD_NEW_RADIO $name failed: error $err\n" if $err < 0;
print "$err\n";
`;

/** Waits until DEV has at least N peers in the state that carries data; sh -c SCRIPT sh DEV N KIND. */
export const WAIT_FOR_PEERS = String.raw`dev=$1 want=$2 kind=$3 i=0
while :; do
  case $kind in
    mesh) n=$(iw dev "$dev" station dump | grep -c 'mesh plink:[[:space:]]*ESTAB') ;;
    sta) n=$(iw dev "$dev" link | grep -c '^Connected') ;;
    *) n=$(iw dev "$dev" station dump | grep -c '^Station') ;;
  esac
  [ "$n" -ge "$want" ] && exit 0
  i=$((i + 1))
  if [ $i -ge 160 ]; then echo "$dev: $n of $want peer(s) after 8 s ($kind)" >&2; exit 1; fi
  sleep 0.05
done
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

const IFTYPE = { mesh: 'mp', ibss: 'ibss', ap: 'managed' } as const;

const isAp = (link: WirelessLink, r: { node: string; dev: string }): boolean =>
  link.ap !== undefined && link.ap.node === r.node && link.ap.dev === r.dev;

export interface WirelessOps {
  /** Radios into their nodes; before the addresses are assigned. */
  radios: Op[];
  /** Up, joined, associated; after the addresses. */
  join: Op[];
}

/**
 * Where the frames of one medium are observed: a monitor interface on a radio of its own, in the
 * namespace the link's radios are created from. Measured on Debian's 6.1 kernel: the module's
 * hwsim0 monitor sits in the root namespace and sees the frames of every medium (so parallel
 * cases would mix, and on a host it is the root namespace); a monitor-only radio created next to
 * the link's radios hears exactly that medium, its own radios' frames included, and sends nothing.
 */
export interface MediumMonitor {
  /** The medium's id, as in TopologyDevice.medium. */
  medium: string;
  node: string;
  /** Not a valid scenario device name (they start with a letter or digit), so it cannot clash. */
  dev: string;
  freq: number;
  /** Frames are encrypted (WPA2): their content cannot be matched to a probe. */
  encrypted: boolean;
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
    link.radios.forEach((r, k) => {
      const phy = radioName(casePrefix, l, k);
      radios.push({
        node: creator,
        argv: ['perl', '-e', HWSIM_NEW_RADIO, phy],
        requires: 'mac80211_hwsim',
        why: `hwsim radio ${phy} for ${r.node}:${r.dev}, on the medium of this link only`,
      });
      if (r.node !== creator) radios.push({ node: creator, argv: ['iw', 'phy', phy, 'set', 'netns', 'name', netnsOf(r.node)] });
      radios.push({ node: r.node, argv: ['iw', 'phy', phy, 'interface', 'add', r.dev, 'type', IFTYPE[link.mode]] });
    });
    const monitor = `${casePrefix}-w${l}m`;
    const dev = monitorDev(l);
    radios.push({ node: creator, argv: ['perl', '-e', HWSIM_NEW_RADIO, monitor], requires: 'mac80211_hwsim', why: `hwsim radio ${monitor} that only listens: the medium's observer` });
    radios.push({ node: creator, argv: ['iw', 'phy', monitor, 'interface', 'add', dev, 'type', 'monitor'] });
    join.push({ node: creator, argv: ['ip', 'link', 'set', dev, 'up'] });
    join.push({ node: creator, argv: ['iw', 'dev', dev, 'set', 'freq', String(link.freq)], why: 'the observer listens on the link\'s channel' });
    const peers = String(link.radios.length - 1);
    for (const r of link.radios) {
      if (link.mode === 'mesh') {
        join.push({ node: r.node, argv: ['ip', 'link', 'set', r.dev, 'up'] });
        join.push({ node: r.node, argv: ['iw', 'dev', r.dev, 'mesh', 'join', link.ssid, 'freq', String(link.freq)] });
      } else if (link.mode === 'ibss') {
        join.push({ node: r.node, argv: ['ip', 'link', 'set', r.dev, 'up'] });
        // Without a fixed BSSID each radio scans, finds nobody yet, starts an IBSS of its own and
        // merges later: measured under TCG, 11 s until the two radios were peers.
        join.push({ node: r.node, argv: ['iw', 'dev', r.dev, 'ibss', 'join', link.ssid, String(link.freq), 'fixed-freq', ibssBssid(link.ssid, l)] });
      }
    }
    if (link.mode === 'ap') {
      const ap = link.radios.find((r) => isAp(link, r));
      if (ap) {
        join.push({ node: ap.node, argv: ['sh', '-c', WITH_CONFIG, 'sh', 'hostapd', '-B'], input: hostapdConfig(link, ap.dev), why: `access point on ${ap.node}:${ap.dev}` });
      }
      for (const r of link.radios.filter((x) => !isAp(link, x))) {
        join.push({
          node: r.node,
          argv: ['sh', '-c', WITH_CONFIG, 'sh', 'wpa_supplicant', '-B', '-i', r.dev, '-D', 'nl80211', '-c'],
          input: supplicantConfig(link),
          why: `station ${r.node}:${r.dev}`,
        });
      }
      for (const r of link.radios.filter((x) => !isAp(link, x))) {
        join.push({ node: r.node, argv: ['sh', '-c', WAIT_FOR_PEERS, 'sh', r.dev, '1', 'sta'], why: 'wait until associated' });
      }
    } else {
      for (const r of link.radios) {
        join.push({ node: r.node, argv: ['sh', '-c', WAIT_FOR_PEERS, 'sh', r.dev, peers, link.mode], why: 'wait for the peer links' });
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
