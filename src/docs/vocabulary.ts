// What the reference pages say about names the code defines without prose of its own: the
// environment variables lab reads or sets, the exit codes and the causes of non-delivery. The
// names themselves come from the code; test/unit/docs/reference.test.ts fails when the code has a
// name this file does not describe (a new LAB_* variable, a new cause, a new exit code).

interface EnvVar {
  name: string;
  /** Who sets it: the user, CI, or lab itself for a program it starts. */
  setBy: 'user' | 'CI' | 'lab';
  default?: string;
  meaning: string;
}

export const ENV_VARS: readonly EnvVar[] = [
  { name: 'LAB_STATE_DIR', setBy: 'user', default: '/run/netns-lab', meaning: 'Where each run and kept lab records what it owns (one state file per run); `lab list`, `lab down` and `lab clean` read it.' },
  { name: 'LAB_CACHE_DIR', setBy: 'user', default: '/var/cache/netns-lab', meaning: 'The VM backend\'s cache: fetched Debian kernels, initramfs images, the KVM-or-TCG answer.' },
  { name: 'LAB_TRACE', setBy: 'user', meaning: '`1`: print every command lab runs with its start and duration (inside the VM too, over the console).' },
  { name: 'LAB_TIME_SCALE', setBy: 'user', default: '1 (8 in a TCG guest, 2 under KVM)', meaning: 'Multiplies the readiness timeouts (agents, receivers) on a slow machine; probe timeouts, which are verdicts, are not scaled.' },
  { name: 'LAB_VM_ACCEL', setBy: 'user', meaning: '`kvm` or `tcg`: skip the check of whether KVM boots and use this accelerator.' },
  { name: 'LAB_VM_TIMEOUT_MS', setBy: 'user', default: '60000 + 15000 per case', meaning: 'How long a VM job may take before lab stops QEMU.' },
  { name: 'LAB_VM_PARALLEL', setBy: 'user', default: 'the number of cores', meaning: 'How many VMs of a side-by-side run (`--kernel A --kernel B`) boot at once; never more than the cores.' },
  { name: 'LAB_VM_GUEST', setBy: 'user', default: 'runner', meaning: 'VM backend: `runner`, lab stays on the host and drives the guest through its perl guest runner (no Node in the guest; --explain\'s tracers reach the guest\'s tracefs through it); `node`, lab runs inside the guest as before the guest runner (a second opinion only).' },
  { name: 'LAB_VM_DEBUG', setBy: 'user', meaning: 'VM backend: print the driven run\'s stages and the start of its output.' },
  { name: 'LAB_GUEST_CHANNEL', setBy: 'lab', meaning: 'VM backend, in lab\'s host side of a VM: the unix socket of the guest runner\'s virtio-serial port.' },
  { name: 'LAB_GUEST_PRELOAD', setBy: 'lab', meaning: 'VM backend, in lab\'s host side of a VM: the modules (and parameters) to load in the guest first, one per line.' },
  { name: 'LAB_GUEST_WAIT_MS', setBy: 'lab', default: '120000', meaning: 'VM backend, in lab\'s host side of a VM: how long to wait for the guest runner\'s hello.' },
  { name: 'LAB_VM_ROOT_SYSCTLS', setBy: 'user', meaning: 'VM backend, for tests of the sysctl baseline: space-separated KEY=VALUE sysctls written into the guest\'s root namespace before lab runs there (e.g. an Ubuntu runner\'s rp_filter=2).' },
  { name: 'NETNS_RUN_DIR', setBy: 'user', default: '/run/netns', meaning: 'Where named network namespaces live, as for iproute2 (`ip netns`).' },
  { name: 'CI', setBy: 'CI', meaning: 'Set (as CI services do): progress is one plain line per case instead of a live line.' },
  { name: 'TERM', setBy: 'user', meaning: '`dumb`: no live progress line.' },
  { name: 'GITHUB_STEP_SUMMARY', setBy: 'CI', meaning: 'With `--format github`: the job summary (results table, paths drawn in Mermaid) is appended to this file.' },
  { name: 'GITHUB_WORKSPACE', setBy: 'CI', meaning: 'With `--format github`: annotation file names are made relative to it.' },
  { name: 'PATH', setBy: 'user', meaning: 'Where lab looks for ip, nft, socat, tcpdump, iw, hostapd, qemu-system-x86_64 and the shell of `lab shell`.' },
  { name: 'LAB_ID', setBy: 'lab', meaning: 'In `lab shell`: the id of the kept lab.' },
  { name: 'LAB_NODE', setBy: 'lab', meaning: 'In `lab shell`: the node the shell runs in.' },
  { name: 'LAB_NETNS', setBy: 'lab', meaning: 'In `lab shell`: the network namespace of that node.' },
  { name: 'LAB_KEPT_ID', setBy: 'lab', meaning: 'In lab\'s host side of a kept VM lab (`lab up --backend vm`): the id the `lab up` inside takes, so the guest\'s namespaces carry the id the user sees.' },
  { name: 'LAB_IN_VM', setBy: 'lab', meaning: '`1` for the lab the VM backend runs inside its guest.' },
  { name: 'LAB_TOOLS_CHECKED', setBy: 'lab', meaning: '`1` inside the guest: the host already checked the tools, the guest does not again.' },
  { name: 'LAB_WRITE_CODE_CACHE', setBy: 'lab', meaning: '`1` while `make build` warms the bundle\'s V8 code cache.' },
];

export const EXIT_MEANINGS: Record<string, string> = {
  ok: 'Every expectation held (for `lab run`); the command did what it was asked (other verbs).',
  failed: 'An expectation failed, a case could not be built, or a command lab ran failed.',
  usage: 'Bad input or usage: the message names the file, line, column and offending key (every problem at once), or the option.',
  capability: 'This environment lacks a capability the scenario needs (root, a tool, a kernel feature): the message says which, and how to get it (e.g. the Debian package and its make target).',
};

export const CAUSE_MEANINGS: Record<string, string> = {
  NEIGH_FAILED: 'Nothing left the sender: its neighbour entry for the next hop is INCOMPLETE/FAILED. When the receiving NIC heard the ARP/ND request, lab says which NIC and why it stayed silent (its input route check refuses the sender\'s address, with its accept_local/rp_filter).',
  RPFILTER: 'It arrived, and the receiving node\'s reverse-path check dropped it (TcpExtIPReversePathFilter moved, or the input route check refuses the source with rp_filter set).',
  MARTIAN_SOURCE: 'It arrived carrying a source address the receiving node owns, and accept_local is 0.',
  NO_ROUTE: 'The sender was told "Network is unreachable", or `ip route get` says so.',
  NO_LISTENER: 'It arrived where nothing listens (`listen: false`, UdpNoPorts, a TCP RST).',
  FILTERED: 'The sender got "Operation not permitted", or it vanished in a node with the case\'s own `nft:` ruleset, or the kernel reports NETFILTER_DROP.',
  FORWARDING_OFF: 'A node received it for an address that is not its own (a router, or the receiver whose address is gone) and did not pass it on: forwarding (net.ipv4.ip_forward or the input device\'s conf.DEV.forwarding, net.ipv6.conf.all.forwarding) is off there (IpInAddrErrors / Ip6InAddrErrors move; kfree_skb drop reason IP_INADDRERRORS).',
  BLACKHOLE: 'A blackhole route or rule dropped it: at the sender (sendto fails with EINVAL) or silently on a router.',
  UNREACHABLE: 'An unreachable route or rule refused it: at the sender (EHOSTUNREACH) or on a router, which sends ICMP host unreachable back.',
  PROHIBIT: 'A prohibit route or rule refused it: at the sender (EACCES) or on a router, which sends ICMP administratively prohibited back.',
  SEND_ERROR: "The sender's own syscall refused it for another reason; the explanation names the errno.",
  ROUTE_LOCALNET: 'A 127/8 address on a NIC with route_localnet 0 on that node: the receiving NIC ignored the ARP request for a 127/8 target, or the sender was refused a 127/8 source (Invalid argument).',
  UNKNOWN: 'Nothing above fits; lab does not guess.',
};
