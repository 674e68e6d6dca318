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
// Prints `agent ready` once it reads requests; ends when stdin closes (listeners first).
// Every exec and listener runs in a child of its own, so a slow one holds up nothing else; only
// the agent itself writes to stdout, one whole line at a time. The children let go of the
// agent's stdout and stderr: a listener outliving a killed agent must not keep lab waiting for
// the end of its output.
export const AGENT_PL = String.raw`$SIG{PIPE} = 'IGNORE'; $| = 1;
sub now { open(my $f, '<', '/proc/uptime') or return time; my $l = <$f>; (split ' ', $l)[0] }
my (%kids, %listeners, $stdin_open);
sub hx { unpack('H*', defined $_[0] ? $_[0] : '') }
sub uh { pack('H*', defined $_[0] ? $_[0] : '') }
sub spawn_kid { my ($id, $work) = @_;
  pipe(my $r, my $w) or return print "$id\terror\t" . hx("pipe: $!") . "\n";
  my $pid = fork;
  if (!defined $pid) { close $r; close $w; return print "$id\terror\t" . hx("fork: $!") . "\n" }
  if (!$pid) { close $r; open(STDIN, '<', '/dev/null'); open(STDOUT, '>', '/dev/null'); open(STDERR, '>', '/dev/null'); select((select($w), $| = 1)[0]); $work->($w); exit 0 }
  close $w; $kids{$pid} = { fh => $r, buf => '' }; $pid }
sub drain { my ($fhs, $deadline) = @_; my %out = map { $_ => '' } 0 .. $#$fhs; my %open = map { $_ => 1 } 0 .. $#$fhs;
  while (%open) { my $rin = ''; vec($rin, fileno($fhs->[$_]), 1) = 1 for keys %open;
    my $left = $deadline - now(); return (1, map { $out{$_} } 0 .. $#$fhs) if $left <= 0;
    my $n = select(my $rout = $rin, undef, undef, $left); next if $n < 0 && $! == 4; return (1, map { $out{$_} } 0 .. $#$fhs) if $n <= 0;
    for my $i (keys %open) { next unless vec($rout, fileno($fhs->[$i]), 1);
      my $got = sysread($fhs->[$i], my $buf, 65536); if ($got) { $out{$i} .= $buf } else { delete $open{$i} } } }
  (0, map { $out{$_} } 0 .. $#$fhs) }
sub do_exec { my ($w, $id, $timeout, $input, @argv) = @_;
  pipe(my $ir, my $iw); pipe(my $or, my $ow); pipe(my $er, my $ew);
  my $pid = fork;
  if (!defined $pid) { print $w "$id\texec\t127\t0\t\t" . hx("fork: $!") . "\n"; return }
  if (!$pid) { open(STDIN, '<&', $ir); open(STDOUT, '>&', $ow); open(STDERR, '>&', $ew); close $_ for $iw, $or, $er, $w;
    exec { $argv[0] } @argv; print STDERR "$argv[0]: $!\n"; exit 127 }
  close $_ for $ir, $ow, $ew;
  syswrite($iw, $input) if length $input; close $iw;
  my ($late, $out, $err) = drain([$or, $er], now() + $timeout / 1000);
  kill 'KILL', $pid if $late; waitpid($pid, 0);
  my $code = ($? & 127) ? -1 : ($? >> 8);
  print $w "$id\texec\t$code\t" . ($late ? 1 : 0) . "\t" . hx($out) . "\t" . hx($err) . "\n" }
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
sub do_read { my ($id, @paths) = @_;
  print join("\t", $id, 'read', map { my $t = ''; if (open(my $f, '<', $_)) { local $/; $t = <$f>; close $f } hx($t) } @paths) . "\n" }
sub request { my @f = split /\t/, $_[0], -1; my ($op, $id) = (shift @f, shift @f); return unless defined $id && $id =~ /^\d+$/;
  if ($op eq 'exec') { my ($t, $in, @argv) = @f; @argv = map { uh($_) } @argv;
    return print "$id\texec\t127\t0\t\t" . hx("empty argv") . "\n" unless @argv;
    spawn_kid($id, sub { do_exec($_[0], $id, $t, uh($in), @argv) }) }
  elsif ($op eq 'listen') { my ($kind, $fam, $sa, $marker, $t) = @f;
    my $pid = spawn_kid($id, sub { do_listen($_[0], $id, $kind, $fam, uh($sa), uh($marker), $t) }); $listeners{$id} = $pid if $pid }
  elsif ($op eq 'close') { my $pid = delete $listeners{$id}; kill 'TERM', $pid if $pid }
  elsif ($op eq 'read') { do_read($id, map { uh($_) } @f) } }
$stdin_open = 1; my $in = '';
print "agent\tready\n";
while ($stdin_open || %kids) {
  my $rin = ''; vec($rin, fileno(STDIN), 1) = 1 if $stdin_open; vec($rin, fileno($kids{$_}{fh}), 1) = 1 for keys %kids;
  my $n = select(my $rout = $rin, undef, undef, undef); next if $n < 0 && $! == 4; last if $n < 0;
  if ($stdin_open && vec($rout, fileno(STDIN), 1)) {
    my $got = sysread(STDIN, my $buf, 65536);
    if ($got) { $in .= $buf; while ((my $nl = index($in, "\n")) >= 0) { my $line = substr($in, 0, $nl); $in = substr($in, $nl + 1); request($line) } }
    else { $stdin_open = 0; kill 'TERM', $_ for values %listeners; %listeners = () } }
  for my $pid (keys %kids) { my $k = $kids{$pid}; next unless vec($rout, fileno($k->{fh}), 1);
    my $got = sysread($k->{fh}, my $buf, 65536);
    if ($got) { $k->{buf} .= $buf; while ((my $nl = index($k->{buf}, "\n")) >= 0) { print substr($k->{buf}, 0, $nl + 1); $k->{buf} = substr($k->{buf}, $nl + 1) } }
    else { close $k->{fh}; delete $kids{$pid}; waitpid($pid, 0); for (keys %listeners) { delete $listeners{$_} if $listeners{$_} == $pid } } } }
`;

/** The socket address perl's bind() takes (struct sockaddr_in / sockaddr_in6), as hex. */
export const sockaddrHex = (family: 4 | 6, address: string, port: number): string => {
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
