// Writes the sysctl baseline (src/plan/baseline.ts) into fresh namespaces: one perl process for
// all the namespaces of a case, which enters each (setns) and writes its files under /proc/sys
// (/proc/sys/net shows the namespace of the process that opens it). Then, when asked, it execs
// the root `ip -batch` that makes the case's devices straight inside those namespaces: the
// baseline is in place before any device exists, for the price of one process start, not two.
//
// Every namespace starts from the same values (the root's, as the kernel copies them), so the
// host backend checks the whole baseline in the first case of a run only, and afterwards writes
// just the keys that differed there: on a clean root none, and then no process at all. Measured
// here (kernel 6.18, two namespaces of 219 keys each, farm-bench, loaded machine): 8 ms of CPU
// (perl's start 2 ms) for the full check; later cases on a clean root cost nothing.
//
// Protocol: `perl -e BASELINE_PL RUN_DIR NS… -- PATH=VALUE… [-- exec ARGV…]` (PATH under
// /proc/sys). A file that holds the value already is not written; one that did not is written
// and named on stdout as `differs PATH`, a key this kernel lacks as `missing PATH`. Exit 0 when
// every file that exists holds its value; otherwise exit 1 and `sysctl-baseline NS PATH ERROR`
// (tab-separated) on stderr, where the exec'd command's own complaints cannot look alike. A
// namespace it cannot enter ends it at once, before anything is written there: it must never
// write into lab's own namespace (the check compares /proc/self/ns/net before and after).
// Without modules (not even Errno): errno 2 is ENOENT on every Linux. The syscall number of
// setns is read from /proc/self/exe's ELF machine (x86_64, arm64), as the agent does.
import type { CommandResult, Runner } from './runner.js';
import { netnsRunDir } from './state.js';
import { SYSCTL_BASELINE, sysctlPath } from '../plan/baseline.js';

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

/** The keys a run had to write (`differs PATH` lines), as dotted keys. */
export const differingKeys = (stdout: string): string[] => keysSaid(stdout, 'differs');

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
