// The sysctls every namespace lab creates starts from, whatever the host. Pure.
//
// A new namespace copies IPv4 conf/all and conf/default from the root namespace
// (net.core.devconf_inherit_init_net=0, the default; 1 copies IPv6 too), and its lo copies
// conf/default as it was then. Hosts differ: Ubuntu sets rp_filter=2 on all and default
// (/etc/sysctl.d/10-network-security.conf, systemd's 50-default.conf), Docker sets
// ip_forward=1. A verdict that relies on a default (rp_filter, arp_ignore, accept_local,
// route_localnet, forwarding) must not depend on that, so lab writes the kernel's own defaults
// into every namespace before any device is made in it; the scenario's sysctls come later and win.
//
// The values are the kernel's compiled ones (net/ipv4/devinet.c ipv4_devconf and ipv4_devconf_dflt,
// net/ipv6/addrconf.c ipv6_devconf and ipv6_devconf_dflt), read here in a namespace of a clean
// root (kernel 6.18) and checked against a namespace made under devconf_inherit_init_net=2 (the
// compiled values) inside the VM (test/integration/vm-baseline.test.ts). A key this kernel lacks
// (older kernels have fewer) is skipped. Read-only keys (mc_forwarding) and stable_secret (which
// has no default value to write back) are not in the list.

/** Both conf/all and conf/default, unless `dflt` says conf/default (and lo) differ. */
interface Knob {
  key: string;
  value: number;
  /** conf/default's (and so lo's) value where it differs from conf/all's. */
  dflt?: number;
}

const IPV4: readonly Knob[] = [
  { key: 'accept_local', value: 0 },
  { key: 'accept_redirects', value: 1 },
  { key: 'accept_source_route', value: 0, dflt: 1 },
  { key: 'arp_accept', value: 0 },
  { key: 'arp_announce', value: 0 },
  { key: 'arp_evict_nocarrier', value: 1 },
  { key: 'arp_filter', value: 0 },
  { key: 'arp_ignore', value: 0 },
  { key: 'arp_notify', value: 0 },
  { key: 'bc_forwarding', value: 0 },
  { key: 'bootp_relay', value: 0 },
  { key: 'disable_policy', value: 0 },
  { key: 'disable_xfrm', value: 0 },
  { key: 'drop_gratuitous_arp', value: 0 },
  { key: 'drop_unicast_in_l2_multicast', value: 0 },
  { key: 'force_igmp_version', value: 0 },
  { key: 'forwarding', value: 0 },
  { key: 'igmpv2_unsolicited_report_interval', value: 10000 },
  { key: 'igmpv3_unsolicited_report_interval', value: 1000 },
  { key: 'ignore_routes_with_linkdown', value: 0 },
  { key: 'log_martians', value: 0 },
  { key: 'medium_id', value: 0 },
  { key: 'promote_secondaries', value: 0 },
  { key: 'proxy_arp', value: 0 },
  { key: 'proxy_arp_pvlan', value: 0 },
  { key: 'route_localnet', value: 0 },
  { key: 'rp_filter', value: 0 },
  { key: 'secure_redirects', value: 1 },
  { key: 'send_redirects', value: 1 },
  { key: 'shared_media', value: 1 },
  { key: 'src_valid_mark', value: 0 },
  { key: 'tag', value: 0 },
];

/** lo's own IPv4 values, set by the kernel when it makes lo (inetdev_init): not copied from conf/default. */
const LO_IPV4: Readonly<Record<string, number>> = { disable_policy: 1, disable_xfrm: 1 };

const IPV6: readonly Knob[] = [
  { key: 'accept_dad', value: 0, dflt: 1 },
  { key: 'accept_ra', value: 1 },
  { key: 'accept_ra_defrtr', value: 1 },
  { key: 'accept_ra_from_local', value: 0 },
  { key: 'accept_ra_min_hop_limit', value: 1 },
  { key: 'accept_ra_min_lft', value: 0 },
  { key: 'accept_ra_mtu', value: 1 },
  { key: 'accept_ra_pinfo', value: 1 },
  { key: 'accept_ra_rt_info_max_plen', value: 0 },
  { key: 'accept_ra_rt_info_min_plen', value: 0 },
  { key: 'accept_ra_rtr_pref', value: 1 },
  { key: 'accept_redirects', value: 1 },
  { key: 'accept_source_route', value: 0 },
  { key: 'accept_untracked_na', value: 0 },
  { key: 'addr_gen_mode', value: 0 },
  { key: 'autoconf', value: 1 },
  { key: 'dad_transmits', value: 1 },
  { key: 'disable_ipv6', value: 0 },
  { key: 'disable_policy', value: 0 },
  { key: 'drop_unicast_in_l2_multicast', value: 0 },
  { key: 'drop_unsolicited_na', value: 0 },
  { key: 'enhanced_dad', value: 1 },
  { key: 'force_forwarding', value: 0 },
  { key: 'force_mld_version', value: 0 },
  { key: 'force_tllao', value: 0 },
  { key: 'forwarding', value: 0 },
  { key: 'hop_limit', value: 64 },
  { key: 'ignore_routes_with_linkdown', value: 0 },
  { key: 'ioam6_enabled', value: 0 },
  { key: 'ioam6_id', value: 65535 },
  { key: 'ioam6_id_wide', value: 4294967295 },
  { key: 'keep_addr_on_down', value: 0 },
  { key: 'max_addresses', value: 16 },
  { key: 'max_desync_factor', value: 600 },
  { key: 'mldv1_unsolicited_report_interval', value: 10000 },
  { key: 'mldv2_unsolicited_report_interval', value: 1000 },
  { key: 'mtu', value: 1280 },
  { key: 'ndisc_evict_nocarrier', value: 1 },
  { key: 'ndisc_notify', value: 0 },
  { key: 'ndisc_tclass', value: 0 },
  { key: 'optimistic_dad', value: 0 },
  { key: 'proxy_ndp', value: 0 },
  { key: 'ra_defrtr_metric', value: 1024 },
  { key: 'ra_honor_pio_life', value: 0 },
  { key: 'ra_honor_pio_pflag', value: 0 },
  { key: 'regen_max_retry', value: 3 },
  { key: 'regen_min_advance', value: 2 },
  { key: 'router_probe_interval', value: 60 },
  { key: 'router_solicitation_delay', value: 1 },
  { key: 'router_solicitation_interval', value: 4 },
  { key: 'router_solicitation_max_interval', value: 3600 },
  { key: 'router_solicitations', value: -1 },
  { key: 'rpl_seg_enabled', value: 0 },
  { key: 'seg6_enabled', value: 0 },
  { key: 'seg6_require_hmac', value: 0 },
  { key: 'suppress_frag_ndisc', value: 1 },
  { key: 'temp_prefered_lft', value: 86400 },
  { key: 'temp_valid_lft', value: 604800 },
  { key: 'use_oif_addrs_only', value: 0 },
  { key: 'use_optimistic', value: 0 },
  { key: 'use_tempaddr', value: 0 },
];

export interface SysctlSettingValue {
  /** Dotted, as `sysctl` names it: `net.ipv4.conf.all.rp_filter`. */
  key: string;
  value: number;
}

/**
 * The baseline in the order it is written: conf/all first (all.forwarding also sets default's
 * and every device's), then conf/default (copied into every device made after it), then lo,
 * which exists from the namespace's start: it copied conf/default when the namespace was made,
 * and a value the root namespace had written stays on lo even when conf/default changes later
 * (the kernel copies a default only into devices whose own value was never written, and lo's
 * "written" marks came with the copy). IPv6 conf is compiled-in unless the host's
 * devconf_inherit_init_net is 1 or 3: written too (all and default), it is then just as known.
 * lo's IPv6 conf is the kernel's own per device and is left as it is.
 */
export const SYSCTL_BASELINE: readonly SysctlSettingValue[] = [
  ...IPV4.map((k) => ({ key: `net.ipv4.conf.all.${k.key}`, value: k.value })),
  ...IPV4.map((k) => ({ key: `net.ipv4.conf.default.${k.key}`, value: k.dflt ?? k.value })),
  ...IPV4.map((k) => ({ key: `net.ipv4.conf.lo.${k.key}`, value: LO_IPV4[k.key] ?? k.dflt ?? k.value })),
  { key: 'net.ipv4.ip_forward', value: 0 },
  ...IPV6.map((k) => ({ key: `net.ipv6.conf.all.${k.key}`, value: k.value })),
  ...IPV6.map((k) => ({ key: `net.ipv6.conf.default.${k.key}`, value: k.dflt ?? k.value })),
];

/** The file under /proc/sys of a dotted key (`net.ipv4.conf.all.rp_filter` → `net/ipv4/conf/all/rp_filter`). */
export const sysctlPath = (key: string): string => key.replaceAll('.', '/');

/** The baseline as the JSON report's `sysctl_baseline`: key → value, in write order, without the keys the kernel lacks. */
export const baselineRecord = (missing: ReadonlySet<string> = new Set()): Record<string, number> =>
  Object.fromEntries(SYSCTL_BASELINE.filter((s) => !missing.has(s.key)).map((s) => [s.key, s.value]));

/** The knobs verdicts depend on, for `--explain`: one line. */
const SHOWN = ['rp_filter', 'accept_local', 'route_localnet', 'arp_ignore', 'arp_announce', 'arp_filter', 'proxy_arp', 'forwarding', 'log_martians'];

export const baselineSummary = (): string => {
  const knob = (k: string): string => {
    const all = IPV4.find((x) => x.key === k);
    return `${k} ${all?.value ?? '?'}`;
  };
  return (
    `sysctl baseline, written in every namespace before its devices (the case's own sysctls win): ` +
    `net.ipv4.conf.{all,default,lo}: ${SHOWN.map(knob).join(', ')}; net.ipv4.ip_forward 0; ` +
    `net.ipv6.conf.{all,default}: forwarding 0, accept_ra 1, accept_dad 0/1, use_tempaddr 0; ` +
    `${SYSCTL_BASELINE.length} keys in all (the JSON report's sysctl_baseline)`
  );
};
