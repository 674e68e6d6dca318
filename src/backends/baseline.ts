// The sysctl baseline (src/plan/baseline.ts) in fresh namespaces, before any device is made in them.
//
// Every namespace lab makes starts from the same values: the kernel copies IPv4 conf/all and
// conf/default from the root namespace (init_net) into each new one and gives each its compiled
// IPv6 conf (net.core.devconf_inherit_init_net=0; that knob exists in the root namespace only),
// and lo copies conf/default when the namespace is made. So the values are READ in ONE namespace,
// the first one of the run's first case, and only the keys that differed there are WRITTEN, into
// every namespace of that case and of every later case; on a clean root nothing, and then the
// namespaces and their devices are one root `ip -batch`, as before there was a baseline.
// Checked by hand (kernel 6.18): three namespaces of one batch held the same value in all 286
// files of ipv4/conf/{all,default,lo}, ip_forward and ipv6/conf/{all,default,lo}; so did two made
// from inside a namespace whose rp_filter/arp_ignore/ipv6 forwarding were changed (they still took
// init_net's and the compiled values, not their creator's).
//
// The read is one `grep -s -H '' FILE…` in the namespace, forked by lab's long-lived perl
// process (forker.ts), which enters the namespace itself: no perl start, no ip start (the
// baseline's perl process with its 2 × 219 reads cost ~13 ms of the first case of every run).
// `PATH:VALUE` per file that exists; a key this kernel lacks has no line.
//
// The write: `perl -e BASELINE_PL RUN_DIR NS… -- PATH=VALUE… [-- exec ARGV…]` (PATH under
// /proc/sys) enters each namespace (setns) and writes its files under /proc/sys (/proc/sys/net
// shows the namespace of the process that opens it). Then, when asked, it execs the root
// `ip -batch` that makes the case's devices straight inside those namespaces: the baseline is in
// place before any device exists, for the price of one process start, not two. A file that holds
// the value already is not written; one that did not is written and named on stdout as
// `differs PATH`, a key this kernel lacks as `missing PATH`. Exit 0 when every file that exists
// holds its value; otherwise exit 1 and `sysctl-baseline NS PATH ERROR` (tab-separated) on
// stderr, where the exec'd command's own complaints cannot look alike. A namespace it cannot
// enter ends it at once, before anything is written there: it must never write into lab's own
// namespace (the check compares /proc/self/ns/net before and after). Without modules (not even
// Errno): errno 2 is ENOENT on every Linux. The syscall number of setns is read from
// /proc/self/exe's ELF machine (x86_64, arm64), as the agent does.
import type { CommandResult, Runner } from './runner.js';
import { netnsRunDir } from './state.js';
import { SYSCTL_BASELINE, sysctlPath, type SysctlSettingValue } from '../plan/baseline.js';

export const BASELINE_PL = String.raw`$| = 1;
my $m = ''; if (open(my $f, '<', '/proc/self/exe')) { binmode $f; read($f, my $h, 20); $m = unpack('v', substr($h, 18, 2)) if length($h) == 20 }
my $setns = $m eq '62' ? 308 : $m eq '183' ? 268 : 0;
$setns or die "cannot enter a namespace: unknown machine '$m'\n";
my $dir = shift @ARGV; my (@ns, @set);
push @ns, shift @ARGV while @ARGV && $ARGV[0] ne '--'; shift @ARGV;
push @set, [split /=/, shift(@ARGV), 2] while @ARGV && $ARGV[0] ne '--'; shift @ARGV;
my $home = readlink('/proc/self/ns/net'); defined $home or die "cannot read /proc/self/ns/net: $!\n";
my ($fail, %missing, %differs) = (0);
for my $ns (@ns) {
  open(my $h, '<', "$dir/$ns") or die "$ns: $!\n";
  syscall($setns, fileno($h), 0x40000000) == 0 or die "$ns: setns: $!\n"; close $h;
  my $now = readlink('/proc/self/ns/net'); die "$ns: still in lab's own namespace\n" if !defined $now || $now eq $home;
  for my $s (@set) { my ($p, $v) = @$s;
    my $r; if (open($r, '<', "/proc/sys/$p")) { my $now = <$r>; close $r; chomp $now if defined $now; next if defined $now && $now eq $v }
    elsif ($! == 2) { $missing{$p} = 1; next }
    $differs{$p} = 1;
    if (open(my $o, '>', "/proc/sys/$p")) { defined syswrite($o, $v) or (print STDERR "sysctl-baseline\t$ns\t$p\t$!\n", $fail = 1); close $o }
    else { print STDERR "sysctl-baseline\t$ns\t$p\t$!\n"; $fail = 1 } } }
print "missing\t$_\n" for sort keys %missing;
print "differs\t$_\n" for sort keys %differs;
exit $fail if $fail || !@ARGV;
shift @ARGV if $ARGV[0] eq 'exec';
exec { $ARGV[0] } @ARGV; die "$ARGV[0]: $!\n";
`;

/** The argv that writes `settings` into `namespaces`, then (when given) execs `then` in lab's namespace. */
export const baselineArgv = (
  namespaces: readonly string[],
  then?: readonly string[],
  settings = SYSCTL_BASELINE,
  runDir: string = netnsRunDir(),
): string[] => [
  'perl', '-e', BASELINE_PL, runDir, ...namespaces,
  '--', ...settings.map((s) => `${sysctlPath(s.key)}=${s.value}`),
  ...(then ? ['--', 'exec', ...then] : []),
];

/** The argv as a user would read it: the program text and the settings left out. */
export const shownBaselineArgv = (argv: readonly string[]): string[] => {
  const rest = argv.slice(3);
  const first = rest.indexOf('--');
  if (first < 0) return ['perl', '-e', '<sysctl baseline>', ...rest];
  const second = rest.indexOf('--', first + 1);
  const settings = (second < 0 ? rest.length : second) - first - 1;
  return ['perl', '-e', '<sysctl baseline>', ...rest.slice(0, first + 1), `<${settings} settings>`, ...(second < 0 ? [] : rest.slice(second))];
};

/** The keys a run found missing on this kernel (`missing PATH` lines), as dotted keys. */
export const missingKeys = (stdout: string): string[] => keysSaid(stdout, 'missing');

const keysSaid = (stdout: string, what: string): string[] =>
  stdout.split('\n').filter((l) => l.startsWith(`${what}\t`)).map((l) => l.slice(what.length + 1).replaceAll('/', '.'));

/** Which namespace and key failed, from `sysctl-baseline NS PATH ERROR` on stderr (the first one). */
export const baselineFailure = (stderr: string): { netns: string; key: string; error: string } | undefined => {
  const m = /^sysctl-baseline\t([^\t\n]+)\t([^\t\n]+)\t(.*)$/m.exec(stderr);
  return m ? { netns: m[1] as string, key: (m[2] as string).replaceAll('/', '.'), error: m[3] as string } : undefined;
};

/** Runs the argv of `baselineArgv`; `input` goes to the exec'd command. */
export const writeBaseline = (runner: Runner, argv: readonly string[], input: string | undefined, timeoutMs: number): Promise<CommandResult> =>
  runner.run({ argv: [...argv], ...(input !== undefined ? { input } : {}), timeoutMs });

/**
 * The argv that reads `settings` inside `netns` (see the top of this file), or, without one, in a
 * fresh namespace of the read's own (`unshare --net`: a namespace like `ip netns add` makes, with
 * no name to record or delete; it goes when grep ends).
 */
export const baselineReadArgv = (netns: string | undefined, settings: readonly SysctlSettingValue[] = SYSCTL_BASELINE): string[] => [
  ...(netns === undefined ? ['unshare', '--net'] : ['ip', 'netns', 'exec', netns]), 'grep', '-s', '-H', '', ...settings.map((s) => `/proc/sys/${sysctlPath(s.key)}`),
];

/**
 * What a fresh namespace holds against `settings`, from the read's stdout: the keys whose value
 * is not the baseline's, and the keys this kernel lacks (no line). Undefined when the read said
 * nothing at all (it did not run). Pure.
 */
export const baselineFound = (
  stdout: string,
  settings: readonly SysctlSettingValue[] = SYSCTL_BASELINE,
): { differs: string[]; missing: string[] } | undefined => {
  const held = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const colon = line.indexOf(':');
    if (line.startsWith('/proc/sys/') && colon > 0) held.set(line.slice('/proc/sys/'.length, colon), line.slice(colon + 1).trim());
  }
  if (held.size === 0) return undefined;
  const differs: string[] = [];
  const missing: string[] = [];
  for (const s of settings) {
    const value = held.get(sysctlPath(s.key));
    if (value === undefined) missing.push(s.key);
    else if (value !== String(s.value)) differs.push(s.key);
  }
  return { differs, missing };
};

/** A read of the baseline started before lab's backend exists (startBaselineRead), for its first prefetch. */
let started: Promise<CommandResult> | undefined;

/**
 * Starts the baseline's read in a fresh namespace of its own (baselineReadArgv without one) now,
 * before a backend exists: lab's VM host side does it while the guest loads its modules
 * (src/cli/vm-entry.ts), where it costs the run nothing. The first HostBackend.prefetchBaseline
 * takes it instead of reading again.
 */
export const startBaselineRead = (runner: Runner, timeoutMs: number): void => {
  started = runner.run({ argv: baselineReadArgv(undefined), timeoutMs });
  started.catch(() => undefined);
};

/** The read startBaselineRead started, once (undefined when none was, or it was taken). */
export const takeBaselineRead = (): Promise<CommandResult> | undefined => {
  const read = started;
  started = undefined;
  return read;
};
