// The namespace agent: one long-lived process per node of a probed case, started inside the
// node's namespace, so that a probe and its evidence cost no process start from lab itself.
//
// It is perl without a single module (perl-base is Essential in Debian, and it is in every
// image the VM boots): it starts in about 2 ms, where a Node agent took 110 ms here and seconds
// inside a TCG guest. Sockets are made with perl's builtins and Linux's constants (the generic
// ones: x86_64 and arm64 alike); socket addresses arrive packed, from lab (sockaddrHex). Not even
// strict.pm or Time::HiRes: each would double or quintuple the start; time comes from /proc/uptime.
//
// One request per line on stdin, one answer line per event on stdout; fields are tab-separated,
// and anything that could hold a tab or a newline travels as hex:
//   exec ID TIMEOUT_MS INPUT_HEX ARG_HEX…      → ID exec EXIT TIMED_OUT STDOUT_HEX STDERR_HEX
//       (EXIT -1 when killed by a signal, 127 when it could not be started)
//   listen ID udp|tcp FAMILY SOCKADDR_HEX MARKER_HEX TIMEOUT_MS
//                                              → ID ready, then ID result 1|0 BYTES
//                                                (or ID error MESSAGE_HEX)
//   close ID                                   → listener ID answers `result 0` unless it had it
//   read ID PATH_HEX…                          → ID read CONTENT_HEX… (empty when unreadable)
//   reap ID LAB_NETNS_HEX                      → ID reaped N: every other process in the
//                                                agent's network namespace killed (N of them);
//                                                -1, and nothing killed, in lab's namespace
//                                                (LAB_NETNS, as /proc/self/ns/net reads),
//                                                in pid 1's, or when its own could not be read
//   write ID PATH_HEX VALUE_HEX …              → ID wrote ERROR_HEX… (empty: written), each
//                                                file written in one write(2), as sysctl -w does
//   send ID FAMILY FROM_SA_HEX TO_SA_HEX DEV_HEX PAYLOAD_HEX [KIND TIMEOUT_MS ATTRS]
//                                              → ID sent ERROR_HEX (empty: sent): a probe from a
//                                                bound socket (bound to DEV too), in a child of
//                                                its own: udp (one datagram, the default), tcp
//                                                (a connect within TIMEOUT_MS, then the payload)
//                                                or icmp (an echo request, id ATTRS' echo=, seq
//                                                1); icmp then answers ID result 1|0: whether
//                                                the echo reply came within TIMEOUT_MS. ATTRS:
//                                                KEY=NUMBER,… of tos mark uid flowlabel echo
//                                                (sport and the flow label travel in the
//                                                socket addresses); ERROR names the call and
//                                                the kernel's errno text ("sendto: …")
// Prints `agent ready` once it reads requests; ends when stdin closes (listeners first). Started
// with a socket path and a token (`perl -e AGENT_PL PATH TOKEN`), it connects to lab's unix
// socket there, speaks the same protocol over it and says `agent ready TOKEN PID` first.
// A command `ip netns exec NS CMD…` is not given to ip: the forked child does what ip would
// (setns into /var/run/netns/NS, a mount namespace of its own that takes no mounts back, a sysfs
// of NS on /sys; the syscall numbers of x86_64 and arm64, read from /proc/self/exe's ELF header)
// and execs CMD, or says what ip says when CMD cannot be run. Anything else (another machine,
// /etc/netns/NS to bind, a failed step) execs ip itself. And when CMD is this very program
// (`perl -e AGENT_PL PATH TOKEN`, the text read back from /proc/self/cmdline), the child becomes
// that agent without an exec: a fork instead of ip, perl and a compile (~6 ms of CPU each).
// Every command is forked once and exec'd; the agent's loop collects its output and reaps it,
// so a slow one holds up nothing else. A listener runs in a child of its own. Only the agent
// itself writes to stdout, one whole line at a time. The children let go of the agent's stdout
// and stderr: a listener outliving a killed agent must not keep lab waiting for the end of its
// output.
export const AGENT_PL = String.raw`$SIG{PIPE} = 'IGNORE'; $| = 1;
sub now { open(my $f, '<', '/proc/uptime') or return time; my $l = <$f>; (split ' ', $l)[0] }
my (%kids, %cmds, %listeners, @writers, $stdin_open);
sub hx { unpack('H*', defined $_[0] ? $_[0] : '') }
sub uh { pack('H*', defined $_[0] ? $_[0] : '') }
sub spawn_kid { my ($id, $work) = @_;
  pipe(my $r, my $w) or return print "$id\terror\t" . hx("pipe: $!") . "\n";
  my $pid = fork;
  if (!defined $pid) { close $r; close $w; return print "$id\terror\t" . hx("fork: $!") . "\n" }
  if (!$pid) { close $r; open(STDIN, '<', '/dev/null'); open(STDOUT, '>', '/dev/null'); open(STDERR, '>', '/dev/null'); select((select($w), $| = 1)[0]); $work->($w); exit 0 }
  close $w; $kids{$pid} = { fh => $r, buf => '' }; $pid }
my ($SELF, %NR);
sub nr { unless (%NR) { my $m = ''; if (open(my $f, '<', '/proc/self/exe')) { binmode $f; read($f, my $h, 20); $m = unpack('v', substr($h, 18, 2)) if length($h) == 20 }
    %NR = $m eq '62' ? (setns => 308, unshare => 272, mount => 165, umount2 => 166, setfsuid => 122) : $m eq '183' ? (setns => 268, unshare => 97, mount => 40, umount2 => 39, setfsuid => 151) : (none => 0) }
  $NR{$_[0]} }
sub enter_netns { my $name = shift;
  return 0 if $name =~ m{/} || $name =~ /^\.\.?$/ || !length $name || -e "/etc/netns/$name" || !nr('setns');
  open(my $f, '<', "/var/run/netns/$name") or return 0;
  syscall(nr('setns'), fileno($f), 0x40000000) == 0 or return 0; close $f;
  syscall(nr('unshare'), 0x20000) == 0 or return 0;
  # syscall() may write into its string arguments: they must not be constants.
  my ($none, $root, $sys, $sysfs) = ('', '/', '/sys', 'sysfs');
  syscall(nr('mount'), $none, $root, $none, 0x4000 | 0x80000, 0) == 0 or return 0;
  # No /sys to take off (ip then overlays one, read-only if it is): left to ip.
  syscall(nr('umount2'), $sys, 2) == 0 or return 0;
  syscall(nr('mount'), $name, $sys, $sysfs, 0, 0) == 0 }
sub become { my ($fhs, @args) = @_;
  close $_ for @$fhs, grep { defined } map { @{$_->{fh}} } values %cmds; close $_->{fh} for values %kids;
  %cmds = (); %kids = (); %listeners = (); @writers = (); main(@args); exit 0 }
sub start_exec { my ($id, $timeout, $input, @argv) = @_;
  my ($ir, $iw, $or, $ow, $er, $ew);
  pipe($ir, $iw) && pipe($or, $ow) && pipe($er, $ew) or return print "$id\texec\t127\t0\t\t" . hx("pipe: $!") . "\n";
  my $ns = @argv > 4 && $argv[0] eq 'ip' && $argv[1] eq 'netns' && $argv[2] eq 'exec' && nr('setns') ? $argv[3] : undef;
  my $pid = fork;
  if (!defined $pid) { close $_ for $ir, $iw, $or, $ow, $er, $ew; return print "$id\texec\t127\t0\t\t" . hx("fork: $!") . "\n" }
  if (!$pid) { open(STDIN, '<&', $ir); open(STDOUT, '>&', $ow); open(STDERR, '>&', $ew);
    if (defined $ns && enter_netns($ns)) { splice(@argv, 0, 4);
      become([$ir, $iw, $or, $ow, $er, $ew], @argv[3 .. $#argv]) if defined $SELF && @argv >= 3 && $argv[0] eq 'perl' && $argv[1] eq '-e' && $argv[2] eq $SELF;
      exec { $argv[0] } @argv; print STDERR "exec of \"$argv[0]\" failed: $!\n"; exit 1 }
    exec { $argv[0] } @argv; print STDERR "$argv[0]: $!\n"; exit 127 }
  close $_ for $ir, $ow, $ew;
  if (length $input > 65536) { my $wp = fork; if (defined $wp && !$wp) { syswrite($iw, $input); kill 'KILL', $$ } push @writers, $wp if $wp }
  elsif (length $input) { syswrite($iw, $input) }
  close $iw;
  $cmds{$pid} = { id => $id, fh => [$or, $er], buf => ['', ''], deadline => now() + $timeout / 1000 } }
sub finish_exec { my ($pid, $late) = @_;
  if ($late) { kill 'KILL', $pid; close $_ for grep { defined } @{$cmds{$pid}{fh}}; waitpid($pid, 0) }
  elsif (waitpid($pid, 1) == 0) { return }
  my $c = delete $cmds{$pid}; my $code = $late || ($? & 127) ? -1 : ($? >> 8);
  print "$c->{id}\texec\t$code\t" . ($late ? 1 : 0) . "\t" . hx($c->{buf}[0]) . "\t" . hx($c->{buf}[1]) . "\n" }
sub do_listen { my ($w, $id, $kind, $family, $sa, $marker, $timeout) = @_;
  my $fail = sub { print $w "$id\terror\t" . hx($_[0]) . "\n"; exit 0 };
  socket(my $s, $family == 6 ? 10 : 2, $kind eq 'tcp' ? 1 : 2, 0) or $fail->("socket: $!");
  setsockopt($s, 1, 2, pack('i', 1));
  bind($s, $sa) or $fail->("bind: $!");
  if ($kind eq 'tcp') { listen($s, 16) or $fail->("listen: $!") }
  my $done = sub { print $w "$id\tresult\t$_[0]\t" . ($_[1] || 0) . "\n"; exit 0 };
  $SIG{TERM} = sub { $done->(0) };
  print $w "$id\tready\n";
  my $deadline = now() + $timeout / 1000;
  while (1) { my $left = $deadline - now(); $done->(0) if $left <= 0;
    my $rin = ''; vec($rin, fileno($s), 1) = 1;
    my $n = select(my $rout = $rin, undef, undef, $left); next if $n < 0 && $! == 4; $done->(0) if $n <= 0;
    if ($kind eq 'udp') { defined recv($s, my $buf, 65535, 0) or next; $done->(1, length $buf) if index($buf, $marker) >= 0; next }
    accept(my $c, $s) or next; my $data = '';
    while (1) { my $l = $deadline - now(); last if $l <= 0; my $ci = ''; vec($ci, fileno($c), 1) = 1;
      my $m = select(my $co = $ci, undef, undef, $l); next if $m < 0 && $! == 4; last if $m <= 0;
      my $got = sysread($c, my $buf, 65536); last unless $got; $data .= $buf;
      $done->(1, length $data) if index($data, $marker) >= 0 }
    close $c } }
# Linux's generic values (x86_64 and arm64 alike) of what a probe's socket is given.
my %K = (SOL_SOCKET => 1, SO_REUSEADDR => 2, SO_ERROR => 4, SO_BINDTODEVICE => 25, SO_MARK => 36,
  SOL_IP => 0, IP_TOS => 1, SOL_IPV6 => 41, IPV6_FLOWINFO_SEND => 33, IPV6_TCLASS => 67,
  SOCK_STREAM => 1, SOCK_DGRAM => 2, SOCK_RAW => 3, IPPROTO_ICMP => 1, IPPROTO_ICMPV6 => 58,
  F_GETFL => 3, F_SETFL => 4, O_NONBLOCK => 2048, EINPROGRESS => 115, ETIMEDOUT => 110, EINTR => 4);
sub probe_socket { my ($kind, $family, $dev, $a) = @_;
  my ($type, $proto) = $kind eq 'tcp' ? ($K{SOCK_STREAM}, 6) : $kind eq 'udp' ? ($K{SOCK_DGRAM}, 17)
    : ($K{SOCK_RAW}, $family == 6 ? $K{IPPROTO_ICMPV6} : $K{IPPROTO_ICMP});
  # A socket belongs to its creator's fsuid (sock_alloc), which is what uidrange rules and
  # meta skuid see. Only the fsuid changes, and only for the socket() call: unlike the euid it
  # keeps the capabilities a raw socket, a mark and a device binding need.
  if (defined $a->{uid}) { return (undef, 'uid: setfsuid is unknown on this machine') unless nr('setfsuid'); syscall(nr('setfsuid'), $a->{uid} + 0) }
  my $made = socket(my $s, $family == 6 ? 10 : 2, $type, $proto); my $why = "$!";
  syscall(nr('setfsuid'), 0) if defined $a->{uid};
  return (undef, "socket: $why") unless $made;
  my @opts = ([length $dev, $K{SOL_SOCKET}, $K{SO_BINDTODEVICE}, $dev, 'SO_BINDTODEVICE'],
    [defined $a->{mark}, $K{SOL_SOCKET}, $K{SO_MARK}, pack('I', $a->{mark} || 0), 'SO_MARK'],
    [defined $a->{tos}, $family == 6 ? ($K{SOL_IPV6}, $K{IPV6_TCLASS}) : ($K{SOL_IP}, $K{IP_TOS}), pack('i', $a->{tos} || 0), $family == 6 ? 'IPV6_TCLASS' : 'IP_TOS'],
    [defined $a->{flowlabel}, $K{SOL_IPV6}, $K{IPV6_FLOWINFO_SEND}, pack('i', 1), 'IPV6_FLOWINFO_SEND'],
    [$kind eq 'tcp', $K{SOL_SOCKET}, $K{SO_REUSEADDR}, pack('i', 1), 'SO_REUSEADDR']);
  for my $o (@opts) { my ($on, $level, $name, $value, $what) = @$o; next unless $on; setsockopt($s, $level, $name, $value) or return (undef, "$what: $!") }
  ($s, '') }
sub icmp_sum { my $sum = 0; $sum += $_ for unpack('n*', $_[0] . (length($_[0]) % 2 ? "\0" : '')); $sum = ($sum >> 16) + ($sum & 0xffff) while $sum >> 16; ~$sum & 0xffff }
sub do_send { my ($w, $id, $family, $from, $to, $dev, $payload, $kind, $timeout, $attrs) = @_;
  my %a = map { split /=/, $_, 2 } grep { length } split /,/, $attrs;
  my $sent = sub { print $w "$id\tsent\t" . hx($_[0]) . "\n"; exit 0 if length $_[0] || $kind ne 'icmp' };
  my ($s, $err) = probe_socket($kind, $family, $dev, \%a); $sent->($err) unless $s;
  bind($s, $from) or $sent->("bind: $!");
  if ($kind eq 'udp') { defined send($s, $payload, 0, $to) or $sent->("sendto: $!"); $sent->('') }
  if ($kind eq 'tcp') { my $flags = fcntl($s, $K{F_GETFL}, 0); fcntl($s, $K{F_SETFL}, $flags | $K{O_NONBLOCK});
    if (!connect($s, $to)) { $sent->("connect: $!") unless $! == $K{EINPROGRESS};
      my $win = ''; vec($win, fileno($s), 1) = 1; my $n = select(undef, my $wout = $win, undef, $timeout / 1000);
      if ($n <= 0) { $! = $K{ETIMEDOUT}; $sent->("connect: $!") }
      my $e = unpack('i', getsockopt($s, $K{SOL_SOCKET}, $K{SO_ERROR})); if ($e) { $! = $e; $sent->("connect: $!") } }
    fcntl($s, $K{F_SETFL}, $flags); syswrite($s, $payload); close $s; $sent->('') }
  my ($request, $reply) = $family == 6 ? (128, 129) : (8, 0);
  my $msg = pack('CCnnn', $request, 0, 0, $a{echo} || 0, 1) . $payload;
  # ICMPv6's checksum covers a pseudo-header: the kernel fills it in on a raw ICMPv6 socket.
  substr($msg, 2, 2) = pack('n', icmp_sum($msg)) if $family == 4;
  defined send($s, $msg, 0, $to) or $sent->("sendto: $!");
  $sent->('');
  my $deadline = now() + $timeout / 1000;
  while ((my $left = $deadline - now()) > 0) { my $rin = ''; vec($rin, fileno($s), 1) = 1;
    my $n = select(my $rout = $rin, undef, undef, $left); next if $n < 0 && $! == $K{EINTR}; last if $n <= 0;
    defined recv($s, my $buf, 65535, 0) or next;
    # A raw IPv4 socket reads the IP header too; IPv6 gives the ICMPv6 message alone.
    my $at = $family == 4 ? (ord($buf) & 15) * 4 : 0; my ($type, $code, $sum, $echo, $seq) = unpack('CCnnn', substr($buf, $at));
    if (defined $seq && $type == $reply && $echo == ($a{echo} || 0) && $seq == 1) { print $w "$id\tresult\t1\n"; exit 0 } }
  print $w "$id\tresult\t0\n"; exit 0 }
sub do_write { my ($id, @pv) = @_; my @err;
  while (@pv) { my ($path, $value) = splice(@pv, 0, 2);
    my $f; my $ok = open($f, '>', $path) && defined(syswrite($f, $value)); my $why = "$!"; close $f if $f; push @err, $ok ? '' : $why }
  print join("\t", $id, 'wrote', map { hx($_) } @err) . "\n" }
sub do_reap { my ($id, $labs) = @_; my $me = readlink('/proc/self/ns/net'); my $n = 0;
  # Never in lab's own namespace (it says which that is) nor in pid 1's: only in a case's.
  my $init = readlink('/proc/1/ns/net');
  $me = undef if !defined $me || !length $labs || $me eq $labs || (defined $init && $me eq $init);
  if (defined $me && opendir(my $d, '/proc')) { for my $pid (grep { /^\d+$/ && $_ != $$ } readdir $d) {
      my $ns = readlink("/proc/$pid/ns/net"); next unless defined $ns && $ns eq $me; $n++ if kill 'KILL', $pid } closedir $d }
  print "$id\treaped\t" . (defined $me ? $n : -1) . "\n" }
sub do_read { my ($id, @paths) = @_;
  print join("\t", $id, 'read', map { my $t = ''; if (open(my $f, '<', $_)) { local $/; $t = <$f>; close $f } hx($t) } @paths) . "\n" }
sub request { my @f = split /\t/, $_[0], -1; my ($op, $id) = (shift @f, shift @f); return unless defined $id && $id =~ /^\d+$/;
  if ($op eq 'exec') { my ($t, $in, @argv) = @f; @argv = map { uh($_) } @argv;
    return print "$id\texec\t127\t0\t\t" . hx("empty argv") . "\n" unless @argv;
    start_exec($id, $t, uh($in), @argv) }
  elsif ($op eq 'listen') { my ($kind, $fam, $sa, $marker, $t) = @f;
    my $pid = spawn_kid($id, sub { do_listen($_[0], $id, $kind, $fam, uh($sa), uh($marker), $t) }); $listeners{$id} = $pid if $pid }
  elsif ($op eq 'close') { my $pid = delete $listeners{$id}; kill 'TERM', $pid if $pid }
  elsif ($op eq 'read') { do_read($id, map { uh($_) } @f) }
  elsif ($op eq 'reap') { do_reap($id, uh($f[0])) }
  elsif ($op eq 'write') { do_write($id, map { uh($_) } @f) }
  elsif ($op eq 'send') { my ($fam, $from, $to, $dev, $payload, $kind, $t, $attrs) = @f;
    spawn_kid($id, sub { do_send($_[0], $id, $fam, (map { uh($_) } $from, $to, $dev, $payload), $kind || 'udp', $t || 1000, $attrs || '') }) } }
sub main { $SIG{CHLD} = sub {}; $stdin_open = 1; my $in = '';
if (@_) { my ($path, $token) = @_; socket(my $s, 1, 1, 0) or die "socket: $!\n"; connect($s, pack('S', 1) . $path) or die "connect $path: $!\n";
  open(STDIN, '<&', $s) or die "stdin: $!\n"; open(STDOUT, '>&', $s) or die "stdout: $!\n"; close $s; select(STDOUT); $| = 1;
  print "agent\tready\t$token\t$$\n" }
else { print "agent\tready\n" }
while ($stdin_open || %kids || %cmds) {
  my $rin = ''; vec($rin, fileno(STDIN), 1) = 1 if $stdin_open; vec($rin, fileno($kids{$_}{fh}), 1) = 1 for keys %kids;
  for my $c (values %cmds) { vec($rin, fileno($_), 1) = 1 for grep { defined } @{$c->{fh}} }
  my $wait; if (%cmds) { my $t = now(); for my $pid (keys %cmds) { my $left = $cmds{$pid}{deadline} - $t;
      if ($left <= 0) { finish_exec($pid, 1); next } $left = 0.005 if $left > 0.005 && !grep { defined } @{$cmds{$pid}{fh}};
      $wait = $left if !defined $wait || $left < $wait } }
  next unless %cmds || %kids || $stdin_open;
  my $rout = $rin; my $n = select($rout, undef, undef, $wait); if ($n < 0) { last unless $! == 4; $rout = '' }
  if ($stdin_open && vec($rout, fileno(STDIN), 1)) {
    my $got = sysread(STDIN, my $buf, 65536);
    if ($got) { $in .= $buf; while ((my $nl = index($in, "\n")) >= 0) { my $line = substr($in, 0, $nl); $in = substr($in, $nl + 1); request($line) } }
    else { $stdin_open = 0; kill 'TERM', $_ for values %listeners; %listeners = () } }
  for my $pid (keys %cmds) { my $c = $cmds{$pid};
    for my $i (0, 1) { my $fh = $c->{fh}[$i]; next unless defined $fh && vec($rout, fileno($fh), 1);
      my $got = sysread($fh, my $buf, 65536); if ($got) { $c->{buf}[$i] .= $buf } else { close $fh; $c->{fh}[$i] = undef } }
    finish_exec($pid, 0) unless grep { defined } @{$c->{fh}} }
  for my $pid (keys %kids) { my $k = $kids{$pid}; next unless vec($rout, fileno($k->{fh}), 1);
    my $got = sysread($k->{fh}, my $buf, 65536);
    if ($got) { $k->{buf} .= $buf; while ((my $nl = index($k->{buf}, "\n")) >= 0) { print substr($k->{buf}, 0, $nl + 1); $k->{buf} = substr($k->{buf}, $nl + 1) } }
    else { close $k->{fh}; delete $kids{$pid}; waitpid($pid, 0); for (keys %listeners) { delete $listeners{$_} if $listeners{$_} == $pid } } }
  @writers = grep { waitpid($_, 1) == 0 } @writers } }
if (!@ARGV && open(my $c, '<', '/proc/self/cmdline')) { local $/; my @a = split /\0/, <$c>; $SELF = $a[2] if @a == 3 && $a[1] eq '-e' }
main(@ARGV);
`;

/**
 * The socket address perl's bind() takes (struct sockaddr_in / sockaddr_in6), as hex; an IPv6
 * flow label goes in sin6_flowinfo, where sendto and connect take it (with IPV6_FLOWINFO_SEND).
 */
export const sockaddrHex = (family: 4 | 6, address: string, port: number, flowlabel?: number): string => {
  if (family === 4) {
    const b = Buffer.alloc(16);
    b.writeUInt16LE(2, 0);
    b.writeUInt16BE(port, 2);
    address.split('.').forEach((octet, i) => b.writeUInt8(Number(octet), 4 + i));
    return b.toString('hex');
  }
  const b = Buffer.alloc(28);
  b.writeUInt16LE(10, 0);
  b.writeUInt16BE(port, 2);
  b.writeUInt32BE((flowlabel ?? 0) & 0xfffff, 4);
  ipv6Bytes(address).copy(b, 8);
  return b.toString('hex');
};

/** The 16 bytes of an IPv6 address in text form (with `::` and an embedded IPv4 tail). */
export const ipv6Bytes = (address: string): Buffer => {
  let text = address.replace(/%.*$/, '');
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const groups = (s: string | undefined): string[] => (s ? s.split(':') : []);
  const h = groups(head);
  const t = groups(tail);
  const all = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  if (all.length !== 8 || !all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) throw new Error(`not an IPv6 address: ${address}`);
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
};

/** /proc/net/snmp and /proc/net/netstat (header line, value line) and /proc/net/snmp6 (name value), as nstat names them. */
export const parseProcCounters = (...texts: string[]): Record<string, number> => {
  const counters: Record<string, number> = {};
  for (const text of texts) {
    const lines = text.trim().split('\n').filter(Boolean);
    if (lines.length && /^\S+\s+\d+$/.test(lines[0] ?? '')) {
      for (const line of lines) {
        const [name, value] = line.split(/\s+/);
        if (name && Number.isFinite(Number(value))) counters[name] = Number(value);
      }
      continue;
    }
    for (let i = 0; i + 1 < lines.length; i += 2) {
      const [prefix, ...names] = (lines[i] ?? '').split(/\s+/);
      const [, ...values] = (lines[i + 1] ?? '').split(/\s+/);
      const p = prefix?.replace(/:$/, '') ?? '';
      names.forEach((n, j) => {
        const v = Number(values[j]);
        if (Number.isFinite(v)) counters[`${p}${n}`] = v;
      });
    }
  }
  return counters;
};
