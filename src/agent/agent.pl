# The namespace agent of netns-lab: one long-lived process per node of a probed case, inside the
# node's network namespace, so that a probe and its evidence cost no process start from lab.
# docs/agent-protocol.md is the protocol (requests, replies, fields, errors) and says why this is
# perl; src/agent/protocol.ts is the same table for lab's side, and a test compares the two.
#
# Run as `perl -e PROGRAM_TEXT` (lab's own forker: requests on stdin, replies on stdout) or
# `perl -e PROGRAM_TEXT SOCKET_PATH TOKEN` (an agent in a namespace: it connects to lab's unix
# socket and speaks the same protocol over it). lab passes the text, not a path: the file is
# compiled into lab by src/agent/write-programs.ts (make agent).
#
# Only core perl (perl-base, Essential on Debian and in every image the VM boots), and no module
# beyond strict, warnings and constant: sockets with perl's builtins and Linux's numbers below,
# time from /proc/uptime (Time::HiRes alone would about double the start).
use strict;
use warnings;

# ---------------------------------------------------------------------------------------------
# Linux's numbers. The generic ones are the same on x86_64 and arm64 (asm-generic); the syscall
# numbers differ and are chosen by the machine perl runs on (SYSCALLS below). Each is a constant sub,
# inlined by perl's compiler like `use constant` would make it, without loading constant.pm: that
# module costs every new agent ~6 ms of compile time (a new agent starts per node per case).
# include/linux/socket.h
sub AF_UNIX () { 1 }
sub AF_INET () { 2 }
sub AF_INET6 () { 10 }
# include/linux/net.h (enum sock_type)
sub SOCK_STREAM () { 1 }
sub SOCK_DGRAM () { 2 }
sub SOCK_RAW () { 3 }
# include/uapi/linux/in.h (IPPROTO_IP is SOL_IP, IPPROTO_IPV6 is SOL_IPV6)
sub IPPROTO_IP () { 0 }
sub IPPROTO_ICMP () { 1 }
sub IPPROTO_TCP () { 6 }
sub IPPROTO_UDP () { 17 }
sub IPPROTO_IPV6 () { 41 }
sub IPPROTO_ICMPV6 () { 58 }
sub IP_TOS () { 1 }
# include/uapi/linux/in6.h
sub IPV6_FLOWINFO_SEND () { 33 }
sub IPV6_TCLASS () { 67 }
# include/uapi/asm-generic/socket.h
sub SOL_SOCKET () { 1 }
sub SO_REUSEADDR () { 2 }
sub SO_ERROR () { 4 }
sub SO_BINDTODEVICE () { 25 }
sub SO_MARK () { 36 }
# include/uapi/linux/icmp.h and icmpv6.h
sub ICMP_ECHOREPLY () { 0 }
sub ICMP_ECHO () { 8 }
sub ICMPV6_ECHO_REQUEST () { 128 }
sub ICMPV6_ECHO_REPLY () { 129 }
# include/uapi/asm-generic/fcntl.h
sub F_GETFL () { 3 }
sub F_SETFL () { 4 }
sub O_NONBLOCK () { 04000 }
# include/uapi/asm-generic/errno-base.h and errno.h
sub EINTR () { 4 }
sub ETIMEDOUT () { 110 }
sub EINPROGRESS () { 115 }
# include/uapi/linux/wait.h
sub WNOHANG () { 1 }
# include/uapi/linux/sched.h
sub CLONE_NEWNS () { 0x00020000 }
sub CLONE_NEWNET () { 0x40000000 }
# include/uapi/linux/mount.h
sub MS_REC () { 0x4000 }
sub MS_SLAVE () { 0x80000 }
sub MNT_DETACH () { 2 }
# include/uapi/linux/elf-em.h: e_machine, the 16 bits at offset 18 of an ELF header
sub EM_X86_64 () { 62 }
sub EM_AARCH64 () { 183 }

# The syscalls perl has no builtin for: arch/x86/entry/syscalls/syscall_64.tbl and
# include/uapi/asm-generic/unistd.h (arm64).
my %SYSCALLS = (
  EM_X86_64()  => { setns => 308, unshare => 272, mount => 165, umount2 => 166, setfsuid => 122 },
  EM_AARCH64() => { setns => 268, unshare => 97,  mount => 40,  umount2 => 39,  setfsuid => 151 },
);

# Not the kernel's: how many connections a TCP listener queues, and the biggest read at once.
sub LISTEN_BACKLOG () { 16 }
sub READ_CHUNK () { 65536 }
# An input this long may not fit a pipe: a child of its own writes it, so the agent never blocks.
sub PIPE_SAFE_INPUT () { 65536 }
# A command that closed its output is polled for its end this often (seconds).
sub EXIT_POLL_S () { 0.005 }
# exec's exit code when the command could not be started (what a shell says).
sub EXIT_NOT_STARTED () { 127 }

# ---------------------------------------------------------------------------------------------
# The protocol: the fields of each request after OP and ID, and of each reply after ID and EVENT,
# as NAME:CODEC; @NAME is a list of the rest. Codecs: int (decimal), word (no tab or newline),
# flag (1 or 0), hex (UTF-8 text as hex), bytes (binary as hex), attrs (KEY=NUMBER,...).
# src/agent/protocol.ts has the same table; test/unit/agent/protocol.test.ts compares them.
my %REQUESTS = (
  exec   => [qw(timeoutMs:int input:hex @argv:hex)],
  listen => [qw(kind:word family:int address:bytes marker:hex timeoutMs:int)],
  close  => [],
  read   => [qw(@paths:hex)],
  reap   => [qw(labNetns:hex)],
  write  => [qw(@files:hex)],
  send   => [qw(family:int from:bytes to:bytes dev:hex payload:hex kind:word timeoutMs:int attributes:attrs)],
  open   => [qw(@argv:hex)],
  feed   => [qw(session:int data:hex last:flag)],
);
my %REPLIES = (
  'exec exec'     => [qw(exitCode:int timedOut:flag stdout:hex stderr:hex)],
  'listen ready'  => [],
  'listen result' => [qw(received:flag bytes:int)],
  'listen error'  => [qw(message:hex)],
  'read read'     => [qw(@contents:hex)],
  'reap reaped'   => [qw(killed:int)],
  'write wrote'   => [qw(@errors:hex)],
  'send sent'     => [qw(error:hex pid:int)],
  'send result'   => [qw(replied:flag)],
  'send error'    => [qw(message:hex)],
  'open line'     => [qw(stream:int text:hex)],
  'open ended'    => [qw(exitCode:int)],
);

# For the test that compares the tables (it loads this file with `do`, which runs no agent).
sub protocol_tables { return (\%REQUESTS, \%REPLIES) }

sub to_hex { my ($text) = @_; return unpack('H*', $text // '') }
sub from_hex { my ($hex) = @_; return pack('H*', $hex // '') }

sub field_spec {
  my ($spec) = @_;
  my ($list, $name, $codec) = $spec =~ /^(\@?)(\w+):(\w+)$/ or die "bad field spec $spec\n";
  return ($list eq '@', $name, $codec);
}

sub decode_value {
  my ($codec, $text) = @_;
  return from_hex($text) if $codec eq 'hex' || $codec eq 'bytes';
  return { map { split /=/, $_, 2 } grep { length } split /,/, $text } if $codec eq 'attrs';
  return $text;
}

sub encode_value {
  my ($codec, $value) = @_;
  return to_hex($value) if $codec eq 'hex' || $codec eq 'bytes';
  return $value ? 1 : 0 if $codec eq 'flag';
  return $value // 0 if $codec eq 'int';
  return $value // '';
}

# OP, ID and the fields by name; nothing for a line that is not a request (it is ignored).
sub parse_request {
  my ($line) = @_;
  my ($op, $id, @values) = split /\t/, $line, -1;
  return unless defined $id && $id =~ /^\d+$/ && exists $REQUESTS{$op};
  my %fields;
  for my $spec (@{ $REQUESTS{$op} }) {
    my ($list, $name, $codec) = field_spec($spec);
    if ($list) { $fields{$name} = [map { decode_value($codec, $_) } splice(@values)]; next }
    my $value = shift @values;
    $fields{$name} = defined $value ? decode_value($codec, $value) : undef;
  }
  return ($op, $id, \%fields);
}

# One reply line (with its newline): ID EVENT and the fields of OP's EVENT, in the table's order.
sub reply_line {
  my ($op, $id, $event, %fields) = @_;
  my $specs = $REPLIES{"$op $event"} or die "no reply $event to $op\n";
  my @out = ($id, $event);
  for my $spec (@$specs) {
    my ($list, $name, $codec) = field_spec($spec);
    push @out, $list ? (map { encode_value($codec, $_) } @{ $fields{$name} // [] }) : encode_value($codec, $fields{$name});
  }
  return join("\t", @out) . "\n";
}

# ---------------------------------------------------------------------------------------------
# The agent's state: children whose lines it relays (listeners, probes), commands whose output
# it collects, listeners by request id, writers of large inputs, and whether stdin is still open.
my (%children, %commands, %listeners, %sessions, @input_writers, $requests_open);
# The program text itself when run as `perl -e TEXT` (lab's forker), to recognise a request to
# start another agent (see become_agent).
my $own_text;

# Seconds since boot, to a hundredth: deadlines without Time::HiRes.
sub now {
  open(my $f, '<', '/proc/uptime') or return time;
  my $line = <$f>;
  return (split ' ', $line)[0];
}

my $syscalls;
# This machine's number of syscall NAME, or undef on a machine the table does not know.
sub syscall_number {
  my ($name) = @_;
  unless ($syscalls) {
    my $machine = -1;
    if (open(my $exe, '<', '/proc/self/exe')) {
      binmode $exe;
      my $header = '';
      $machine = unpack('v', substr($header, 18, 2)) if read($exe, $header, 20) == 20;
    }
    $syscalls = $SYSCALLS{$machine} // {};
  }
  return $syscalls->{$name};
}

# Forks a child that runs WORK with the write end of a pipe whose lines the agent relays to its
# own output; the child's pid, or undef after an `error` reply to OP ID.
sub spawn_child {
  my ($op, $id, $work) = @_;
  my ($r, $w);
  if (!pipe($r, $w)) {
    print reply_line($op, $id, 'error', message => "pipe: $!");
    return undef;
  }
  my $pid = fork;
  if (!defined $pid) {
    close $r;
    close $w;
    print reply_line($op, $id, 'error', message => "fork: $!");
    return undef;
  }
  if (!$pid) {
    close $r;
    # Let go of the agent's stdout and stderr: a child outliving a killed agent must not keep lab
    # waiting for the end of its output.
    open(STDIN, '<', '/dev/null');
    open(STDOUT, '>', '/dev/null');
    open(STDERR, '>', '/dev/null');
    select((select($w), $| = 1)[0]);
    $work->($w);
    exit 0;
  }
  close $w;
  $children{$pid} = { fh => $r, buf => '' };
  return $pid;
}

# ---------------------------------------------------------------------------------------------
# exec: a command, forked once and exec'd; the main loop collects its output and exit code.

# What `ip netns exec NAME` does before it execs the command: into the namespace, a mount
# namespace of its own that takes no mounts back, a sysfs of the namespace on /sys. False (and
# the caller execs ip itself) for anything ip does more or differently: a name with a slash, an
# /etc/netns/NAME to bind, a machine without the syscall numbers, a failed step.
sub enter_netns {
  my ($name) = @_;
  return 0 if !length $name || $name =~ m{/} || $name =~ /^\.\.?$/ || -e "/etc/netns/$name";
  return 0 unless defined syscall_number('setns');
  open(my $ns, '<', "/var/run/netns/$name") or return 0;
  syscall(syscall_number('setns'), fileno($ns), CLONE_NEWNET) == 0 or return 0;
  close $ns;
  syscall(syscall_number('unshare'), CLONE_NEWNS) == 0 or return 0;
  # syscall() may write into its string arguments: they must be variables, not constants.
  my ($none, $root, $sys, $sysfs) = ('', '/', '/sys', 'sysfs');
  syscall(syscall_number('mount'), $none, $root, $none, MS_REC | MS_SLAVE, 0) == 0 or return 0;
  # No /sys to take off (ip then overlays one, read-only if it is): left to ip.
  syscall(syscall_number('umount2'), $sys, MNT_DETACH) == 0 or return 0;
  return syscall(syscall_number('mount'), $name, $sys, $sysfs, 0, 0) == 0;
}

# In a forked child that runs on without an exec: lets go of the agent's handles (an exec would
# have closed them: perl marks them close-on-exec) and of the pipes its stdio was made from.
sub close_agent_handles {
  my ($pipes) = @_;
  close $_ for @$pipes, grep { defined } map { @{ $_->{fh} } } values %commands, values %sessions;
  close $_->{in} for grep { defined $_->{in} } values %sessions;
  close $_->{fh} for values %children;
  return;
}

# In a forked child: becomes the agent `perl -e OWN_TEXT PATH TOKEN` would start, without an exec
# (a fork instead of ip, perl and a compile, ~6 ms of CPU each).
sub become_agent {
  my ($pipes, @args) = @_;
  close_agent_handles($pipes);
  %commands = ();
  %children = ();
  %listeners = ();
  %sessions = ();
  @input_writers = ();
  serve(@args);
  exit 0;
}

# Programs lab runs with `perl -e TEXT ARG...` that say they may be compiled once and forked (a line
# `# netns-lab: forkable` and a sub main): compiled in the agent the first time one is asked for,
# each in a package of its own, then every run is a fork that calls main(ARG...), with no exec and
# no compile. hwsim.pl is one: under TCG its start and compile cost ~0.3 s of a guest CPU per
# wireless case. TEXT => main, or 0 when it did not compile (then it is exec'd, and perl says why).
my %forkable;
sub forkable_main {
  my ($text) = @_;
  return undef unless index($text, "\n# netns-lab: forkable\n") >= 0;
  if (!exists $forkable{$text}) {
    my $package = 'NetnsLabProgram' . (1 + keys %forkable);
    # Its `main(@ARGV) unless caller` does not run here: inside an eval there is a caller.
    my $main = eval "package $package;\n$text\n;1" ? $package->can('main') : undef;
    $forkable{$text} = $main // 0;
  }
  return $forkable{$text} || undef;
}

# The `perl -e TEXT` of ARGV (after an `ip netns exec NS`) when TEXT is forkable: compiled now, in
# the agent, so that the fork that runs it finds it compiled.
sub prepare_forkable {
  my (@argv) = @_;
  splice(@argv, 0, 4) if @argv > 4 && $argv[0] eq 'ip' && $argv[1] eq 'netns' && $argv[2] eq 'exec';
  forkable_main($argv[2]) if @argv >= 3 && $argv[0] eq 'perl' && $argv[1] eq '-e';
  return;
}

# In the forked child: ARGV's main when it is a forkable program compiled in the agent; returns
# (to the exec) otherwise, else never.
sub run_forkable {
  my ($pipes, @argv) = @_;
  return unless @argv >= 3 && $argv[0] eq 'perl' && $argv[1] eq '-e';
  my $main = $forkable{ $argv[2] } or return;
  close_agent_handles($pipes);
  # As a new perl would start: default signal handling, its arguments in @ARGV.
  $SIG{$_} = 'DEFAULT' for qw(PIPE CHLD TERM);
  @ARGV = @argv[3 .. $#argv];
  $main->(@ARGV);
  exit 0;
}

# In the forked child: runs ARGV, doing `ip netns exec NS` itself when it can. Never returns.
sub exec_command {
  my ($pipes, @argv) = @_;
  # perl's own "Can't exec" warning would add a line to what ip and the shell say.
  no warnings 'exec';
  my $netns = @argv > 4 && $argv[0] eq 'ip' && $argv[1] eq 'netns' && $argv[2] eq 'exec' ? $argv[3] : undef;
  if (defined $netns && enter_netns($netns)) {
    splice(@argv, 0, 4);
    become_agent($pipes, @argv[3 .. $#argv])
      if defined $own_text && @argv >= 3 && $argv[0] eq 'perl' && $argv[1] eq '-e' && $argv[2] eq $own_text;
    run_forkable($pipes, @argv);
    exec { $argv[0] } @argv or print STDERR "exec of \"$argv[0]\" failed: $!\n";
    exit 1;
  }
  run_forkable($pipes, @argv);
  exec { $argv[0] } @argv or print STDERR "$argv[0]: $!\n";
  exit EXIT_NOT_STARTED;
}

# Forks ARGV (exec_command) with pipes on its stdin, stdout and stderr: its pid and the agent's
# ends of them (stdin to write, stdout and stderr to read), or undef and why it could not.
sub fork_command {
  my (@argv) = @_;
  return (undef, 'empty argv') unless @argv;
  my ($in_r, $in_w, $out_r, $out_w, $err_r, $err_w);
  pipe($in_r, $in_w) && pipe($out_r, $out_w) && pipe($err_r, $err_w) or return (undef, "pipe: $!");
  my @pipes = ($in_r, $in_w, $out_r, $out_w, $err_r, $err_w);
  my $pid = fork;
  if (!defined $pid) {
    close $_ for @pipes;
    return (undef, "fork: $!");
  }
  if (!$pid) {
    open(STDIN, '<&', $in_r);
    open(STDOUT, '>&', $out_w);
    open(STDERR, '>&', $err_w);
    exec_command(\@pipes, @argv);
  }
  close $_ for $in_r, $out_w, $err_w;
  return ($pid, $in_w, $out_r, $err_r);
}

sub start_command {
  my ($id, $f) = @_;
  prepare_forkable(@{ $f->{argv} });
  my ($pid, $in_w, $out_r, $err_r) = fork_command(@{ $f->{argv} });
  if (!$pid) {
    # $in_w is then why it could not start.
    print reply_line('exec', $id, 'exec', exitCode => EXIT_NOT_STARTED, stderr => $in_w);
    return;
  }
  my $input = $f->{input} // '';
  if (length $input > PIPE_SAFE_INPUT) {
    my $writer = fork;
    if (defined $writer && !$writer) {
      syswrite($in_w, $input);
      # Not exit: no END blocks or buffers of the agent's to run in this copy.
      kill 'KILL', $$;
    }
    push @input_writers, $writer if $writer;
  }
  elsif (length $input) {
    syswrite($in_w, $input);
  }
  close $in_w;
  $commands{$pid} = { id => $id, fh => [$out_r, $err_r], buf => ['', ''], deadline => now() + ($f->{timeoutMs} // 0) / 1000 };
  return;
}

# Answers a command once it has ended (or kills it when LATE, past its deadline).
sub finish_command {
  my ($pid, $late) = @_;
  if ($late) {
    kill 'KILL', $pid;
    close $_ for grep { defined } @{ $commands{$pid}{fh} };
    waitpid($pid, 0);
  }
  elsif (waitpid($pid, WNOHANG) == 0) {
    return;
  }
  my $c = delete $commands{$pid};
  # -1 when it was killed by a signal (ours at the deadline included).
  my $code = $late || ($? & 127) ? -1 : $? >> 8;
  print reply_line('exec', $c->{id}, 'exec', exitCode => $code, timedOut => $late, stdout => $c->{buf}[0], stderr => $c->{buf}[1]);
  return;
}

# ---------------------------------------------------------------------------------------------
# listen and close: a receiver in a child of its own.

sub start_listener {
  my ($id, $f) = @_;
  my $pid = spawn_child('listen', $id, sub { listen_for_marker($_[0], $id, $f) });
  $listeners{$id} = $pid if $pid;
  return;
}

sub close_listener {
  my ($id) = @_;
  return end_session($id) if $sessions{$id};
  my $pid = delete $listeners{$id};
  kill 'TERM', $pid if $pid;
  return;
}

# ---------------------------------------------------------------------------------------------
# open, feed and close: a long-lived command (`nft -j -i`) whose stdin stays open for `feed`; each
# line it prints is relayed as `line` (stream 1 stdout, 2 stderr), its end as `ended`. Forked by
# the agent like exec's commands, inside its namespace: no process start from lab (#14).

sub open_session {
  my ($id, $f) = @_;
  my @argv = @{ $f->{argv} };
  my $failed = sub {
    print reply_line('open', $id, 'line', stream => 2, text => $_[0]);
    print reply_line('open', $id, 'ended', exitCode => EXIT_NOT_STARTED);
  };
  return $failed->("request $id is open already") if $sessions{$id};
  # A forkable program (the media's capture) runs in a fork, as exec's do: without this its fork
  # found nothing compiled and exec'd a new perl (0.3-0.44 s of a TCG guest's CPU each, measured
  # with process accounting, eight per run of laptop-two-wlan).
  prepare_forkable(@argv);
  my ($pid, $in_w, $out_r, $err_r) = fork_command(@argv);
  return $failed->($in_w) unless $pid;  # $in_w is then why
  select((select($in_w), $| = 1)[0]);
  $sessions{$id} = { pid => $pid, in => $in_w, fh => [$out_r, $err_r], buf => ['', ''] };
  return;
}

sub feed_session {
  my ($id, $f) = @_;
  my $s = $sessions{ $f->{session} // -1 };
  # A session that has ended (or closed its stdin) answers no more: its reader sees `ended`.
  return unless $s && defined $s->{in};
  syswrite($s->{in}, $f->{data}) if length($f->{data} // '');
  # `last`: its stdin ends here (no signal): a batch it then runs and ends on its own.
  if ($f->{last}) {
    close $s->{in};
    $s->{in} = undef;
  }
  return;
}

# Closes the session's stdin (what ends `nft -i`) and asks it to finish.
sub end_session {
  my ($id) = @_;
  my $s = $sessions{$id} or return;
  close $s->{in} if defined $s->{in};
  $s->{in} = undef;
  kill 'TERM', $s->{pid};
  return;
}

sub relay_session_lines {
  my ($ready) = @_;
  for my $id (keys %sessions) {
    my $s = $sessions{$id};
    for my $i (0, 1) {
      my $fh = $s->{fh}[$i];
      next unless defined $fh && vec($ready, fileno($fh), 1);
      my $got = sysread($fh, my $chunk, READ_CHUNK);
      if ($got) {
        $s->{buf}[$i] .= $chunk;
        while ((my $nl = index($s->{buf}[$i], "\n")) >= 0) {
          print reply_line('open', $id, 'line', stream => $i + 1, text => substr($s->{buf}[$i], 0, $nl));
          substr($s->{buf}[$i], 0, $nl + 1) = '';
        }
        next;
      }
      print reply_line('open', $id, 'line', stream => $i + 1, text => $s->{buf}[$i]) if length $s->{buf}[$i];
      close $fh;
      $s->{fh}[$i] = undef;
    }
    next if grep { defined } @{ $s->{fh} };
    close $s->{in} if defined $s->{in};
    delete $sessions{$id};
    waitpid($s->{pid}, 0);
    print reply_line('open', $id, 'ended', exitCode => ($? & 127) ? -1 : $? >> 8);
  }
  return;
}

# In the child: binds, says `ready`, then `result 1 BYTES` once a datagram (or the data of a
# connection) holds the marker, `result 0 0` at the deadline or when closed.
sub listen_for_marker {
  my ($w, $id, $f) = @_;
  my ($kind, $marker) = ($f->{kind}, $f->{marker});
  my $fail = sub { print $w reply_line('listen', $id, 'error', message => $_[0]); exit 0 };
  my $done = sub { print $w reply_line('listen', $id, 'result', received => $_[0], bytes => $_[1]); exit 0 };
  socket(my $s, $f->{family} == 6 ? AF_INET6 : AF_INET, $kind eq 'tcp' ? SOCK_STREAM : SOCK_DGRAM, 0) or $fail->("socket: $!");
  setsockopt($s, SOL_SOCKET, SO_REUSEADDR, pack('i', 1));
  bind($s, $f->{address}) or $fail->("bind: $!");
  if ($kind eq 'tcp') { listen($s, LISTEN_BACKLOG) or $fail->("listen: $!") }
  local $SIG{TERM} = sub { $done->(0, 0) };
  print $w reply_line('listen', $id, 'ready');
  my $deadline = now() + $f->{timeoutMs} / 1000;
  while (1) {
    my $n = wait_readable($s, $deadline - now());
    next if $n < 0 && $! == EINTR;
    $done->(0, 0) if $n <= 0;
    if ($kind eq 'udp') {
      defined recv($s, my $datagram, READ_CHUNK, 0) or next;
      $done->(1, length $datagram) if index($datagram, $marker) >= 0;
      next;
    }
    accept(my $c, $s) or next;
    my $data = '';
    while (1) {
      my $m = wait_readable($c, $deadline - now());
      next if $m < 0 && $! == EINTR;
      last if $m <= 0;
      my $got = sysread($c, my $chunk, READ_CHUNK);
      last unless $got;
      $data .= $chunk;
      $done->(1, length $data) if index($data, $marker) >= 0;
    }
    close $c;
  }
}

# select(2) on one handle for at most LEFT seconds: 1 readable, 0 not in time, -1 an error.
sub wait_readable {
  my ($fh, $left) = @_;
  return 0 if $left <= 0;
  my $rin = '';
  vec($rin, fileno($fh), 1) = 1;
  return select(my $rout = $rin, undef, undef, $left);
}

# ---------------------------------------------------------------------------------------------
# send: a probe from a bound socket with the probe's attributes.

# A socket of KIND bound to FROM (and to DEV when given) with the attributes set; or undef and
# what refused it ("bind: ...", "SO_MARK: ...").
sub probe_socket {
  my ($kind, $f) = @_;
  my ($family, $dev, $attrs) = ($f->{family}, $f->{dev} // '', $f->{attributes} // {});
  my ($type, $proto) =
      $kind eq 'tcp' ? (SOCK_STREAM, IPPROTO_TCP)
    : $kind eq 'udp' ? (SOCK_DGRAM, IPPROTO_UDP)
    :                  (SOCK_RAW, $family == 6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
  # A socket belongs to its creator's fsuid (sock_alloc), which is what uidrange rules and meta
  # skuid see. Only the fsuid changes, and only for the socket() call: unlike the euid it keeps
  # the capabilities a raw socket, a mark and a device binding need.
  my $uid = $attrs->{uid};
  if (defined $uid) {
    return (undef, 'uid: setfsuid is unknown on this machine') unless defined syscall_number('setfsuid');
    syscall(syscall_number('setfsuid'), $uid + 0);
  }
  my $s;
  my $made = socket($s, $family == 6 ? AF_INET6 : AF_INET, $type, $proto);
  my $why = "$!";
  syscall(syscall_number('setfsuid'), 0) if defined $uid;
  return (undef, "socket: $why") unless $made;
  my @options = (
    [length $dev, SOL_SOCKET, SO_BINDTODEVICE, $dev, 'SO_BINDTODEVICE'],
    [defined $attrs->{mark}, SOL_SOCKET, SO_MARK, pack('I', $attrs->{mark} // 0), 'SO_MARK'],
    [defined $attrs->{tos}, ($family == 6 ? (IPPROTO_IPV6, IPV6_TCLASS) : (IPPROTO_IP, IP_TOS)), pack('i', $attrs->{tos} // 0),
      $family == 6 ? 'IPV6_TCLASS' : 'IP_TOS'],
    # The flow label itself travels in the destination's sin6_flowinfo.
    [defined $attrs->{flowlabel}, IPPROTO_IPV6, IPV6_FLOWINFO_SEND, pack('i', 1), 'IPV6_FLOWINFO_SEND'],
    [$kind eq 'tcp', SOL_SOCKET, SO_REUSEADDR, pack('i', 1), 'SO_REUSEADDR'],
  );
  for my $option (@options) {
    my ($wanted, $level, $name, $value, $what) = @$option;
    next unless $wanted;
    setsockopt($s, $level, $name, $value) or return (undef, "$what: $!");
  }
  bind($s, $f->{from}) or return (undef, "bind: $!");
  return ($s, '');
}

# One UDP datagram; '' or why it was not sent.
sub send_datagram {
  my ($f) = @_;
  my ($s, $error) = probe_socket('udp', $f);
  return $error unless $s;
  defined send($s, $f->{payload}, 0, $f->{to}) or return "sendto: $!";
  close $s;
  return '';
}

# A TCP connect within the timeout, then the payload; '' or why not ("connect: ...").
sub send_on_connection {
  my ($f) = @_;
  my ($s, $error) = probe_socket('tcp', $f);
  return $error unless $s;
  my $flags = fcntl($s, F_GETFL, 0);
  fcntl($s, F_SETFL, $flags | O_NONBLOCK);
  if (!connect($s, $f->{to})) {
    return "connect: $!" unless $! == EINPROGRESS;
    my $win = '';
    vec($win, fileno($s), 1) = 1;
    if (select(undef, my $wout = $win, undef, $f->{timeoutMs} / 1000) <= 0) {
      $! = ETIMEDOUT;
      return "connect: $!";
    }
    my $so_error = unpack('i', getsockopt($s, SOL_SOCKET, SO_ERROR));
    if ($so_error) {
      $! = $so_error;
      return "connect: $!";
    }
  }
  fcntl($s, F_SETFL, $flags);
  syswrite($s, $f->{payload});
  close $s;
  return '';
}

# The internet checksum (RFC 1071) of an ICMP message.
sub icmp_checksum {
  my ($msg) = @_;
  my $sum = 0;
  $sum += $_ for unpack('n*', $msg . (length($msg) % 2 ? "\0" : ''));
  $sum = ($sum >> 16) + ($sum & 0xffff) while $sum >> 16;
  return ~$sum & 0xffff;
}

# In a child: an echo request (identifier attrs' echo, sequence 1), `sent`, then `result 1|0`:
# whether its echo reply came within the timeout.
sub send_echo {
  my ($w, $id, $f) = @_;
  my $sent = sub { print $w reply_line('send', $id, 'sent', error => $_[0], pid => traced_pid()) };
  my ($s, $error) = probe_socket('icmp', $f);
  if (!$s) { $sent->($error); exit 0 }
  my $v6 = $f->{family} == 6;
  my ($request, $reply) = $v6 ? (ICMPV6_ECHO_REQUEST, ICMPV6_ECHO_REPLY) : (ICMP_ECHO, ICMP_ECHOREPLY);
  my $echo = $f->{attributes}{echo} // 0;
  my $msg = pack('CCnnn', $request, 0, 0, $echo, 1) . $f->{payload};
  # ICMPv6's checksum covers a pseudo-header: the kernel fills it in on a raw ICMPv6 socket.
  substr($msg, 2, 2) = pack('n', icmp_checksum($msg)) unless $v6;
  if (!defined send($s, $msg, 0, $f->{to})) { $sent->("sendto: $!"); exit 0 }
  $sent->('');
  my $deadline = now() + $f->{timeoutMs} / 1000;
  while (1) {
    my $n = wait_readable($s, $deadline - now());
    next if $n < 0 && $! == EINTR;
    last if $n <= 0;
    defined recv($s, my $packet, READ_CHUNK, 0) or next;
    # A raw IPv4 socket reads the IP header too; IPv6 gives the ICMPv6 message alone.
    my $at = $v6 ? 0 : (ord($packet) & 15) * 4;
    next if length($packet) < $at + 8;
    my ($type, $code, $sum, $identifier, $seq) = unpack('CCnnn', substr($packet, $at));
    if ($type == $reply && $identifier == $echo && $seq == 1) {
      print $w reply_line('send', $id, 'result', replied => 1);
      exit 0;
    }
  }
  print $w reply_line('send', $id, 'result', replied => 0);
  exit 0;
}

# The pid the kernel's tracepoints print for this process ($$ in the initial pid namespace, whose
# /proc/self/ns/pid is PROC_PID_INIT_INO, include/linux/proc_ns.h), or 0 when they print another
# (in a pid namespace of its own): the sender lab selects the fib lookups of (src/probes/fib-sender.ts).
my $in_initial_pid_ns;
sub traced_pid {
  $in_initial_pid_ns //= (readlink('/proc/self/ns/pid') // '') eq 'pid:[4026531836]' ? 1 : 0;
  return $in_initial_pid_ns ? $$ : 0;
}

sub send_probe {
  my ($id, $f) = @_;
  my $kind = $f->{kind} || 'udp';
  $f->{timeoutMs} ||= 1000;
  $f->{attributes} //= {};
  # A datagram is sent at once, by the agent itself: 0.2 ms, where a child took 1.8-2.6 ms (#14).
  # With uid a child sends it: the fsuid it changes must never stay on the agent.
  if ($kind eq 'udp' && !defined $f->{attributes}{uid}) {
    print reply_line('send', $id, 'sent', error => send_datagram($f), pid => traced_pid());
    return;
  }
  spawn_child('send', $id, sub {
    my ($w) = @_;
    send_echo($w, $id, $f) if $kind eq 'icmp';
    my $error = $kind eq 'tcp' ? send_on_connection($f) : send_datagram($f);
    print $w reply_line('send', $id, 'sent', error => $error, pid => traced_pid());
  });
  return;
}

# ---------------------------------------------------------------------------------------------
# read, write, reap: files and processes of the namespace, without a process of their own.

sub read_files {
  my ($id, $f) = @_;
  my @contents = map {
    my $text = '';
    if (open(my $fh, '<', $_)) { local $/; $text = <$fh> // ''; close $fh }
    $text;
  } @{ $f->{paths} };
  print reply_line('read', $id, 'read', contents => \@contents);
  return;
}

# Each file in one write(2), as sysctl -w does; per file '' or the kernel's complaint.
sub write_files {
  my ($id, $f) = @_;
  my @pairs = @{ $f->{files} };
  my @errors;
  while (@pairs) {
    my ($path, $value) = splice(@pairs, 0, 2);
    my $fh;
    my $ok = open($fh, '>', $path) && defined(syswrite($fh, $value // ''));
    my $why = "$!";
    close $fh if $fh;
    push @errors, $ok ? '' : $why;
  }
  print reply_line('write', $id, 'wrote', errors => \@errors);
  return;
}

# Kills every other process in the agent's network namespace; how many, or -1 (and nothing
# killed) in lab's namespace (labNetns, as /proc/self/ns/net reads), in pid 1's, or when its own
# cannot be read.
sub reap_namespace {
  my ($id, $f) = @_;
  my $labs = $f->{labNetns} // '';
  my $mine = readlink('/proc/self/ns/net');
  my $init = readlink('/proc/1/ns/net');
  $mine = undef if !defined $mine || !length $labs || $mine eq $labs || (defined $init && $mine eq $init);
  my $killed = 0;
  if (defined $mine && opendir(my $proc, '/proc')) {
    for my $pid (grep { /^\d+$/ && $_ != $$ } readdir $proc) {
      my $ns = readlink("/proc/$pid/ns/net");
      next unless defined $ns && $ns eq $mine;
      $killed++ if kill 'KILL', $pid;
    }
    closedir $proc;
  }
  print reply_line('reap', $id, 'reaped', killed => defined $mine ? $killed : -1);
  return;
}

# ---------------------------------------------------------------------------------------------
# The loop: requests in, replies out, one whole line at a time (only the agent writes stdout).

my %OPERATIONS = (
  exec   => \&start_command,
  listen => \&start_listener,
  close  => \&close_listener,
  read   => \&read_files,
  reap   => \&reap_namespace,
  write  => \&write_files,
  send   => \&send_probe,
  open   => \&open_session,
  feed   => \&feed_session,
);

sub handle_request {
  my ($line) = @_;
  my ($op, $id, $fields) = parse_request($line) or return;
  $OPERATIONS{$op}->($id, $fields);
  return;
}

# Started with a socket path: stdin and stdout become a connection to lab's unix socket.
sub connect_back {
  my ($path, $token) = @_;
  socket(my $s, AF_UNIX, SOCK_STREAM, 0) or die "socket: $!\n";
  # struct sockaddr_un: the family, then the path.
  connect($s, pack('S', AF_UNIX) . $path) or die "connect $path: $!\n";
  open(STDIN, '<&', $s) or die "stdin: $!\n";
  open(STDOUT, '>&', $s) or die "stdout: $!\n";
  close $s;
  select(STDOUT);
  $| = 1;
  print "agent\tready\t$token\t$$\n";
  return;
}

# How long the loop may sleep: until the nearest command deadline (commands past theirs are
# answered now), undef for as long as it takes.
sub next_wait {
  my $wait;
  my $t = now();
  for my $pid (keys %commands) {
    my $left = $commands{$pid}{deadline} - $t;
    if ($left <= 0) { finish_command($pid, 1); next }
    # Output closed but not ended: poll for its exit.
    $left = EXIT_POLL_S if $left > EXIT_POLL_S && !grep { defined } @{ $commands{$pid}{fh} };
    $wait = $left if !defined $wait || $left < $wait;
  }
  return $wait;
}

sub read_stdin {
  my ($pending) = @_;
  my $got = sysread(STDIN, my $chunk, READ_CHUNK);
  if (!$got) {
    # stdin closed: listeners end first (each answers `result 0`), then the agent.
    $requests_open = 0;
    kill 'TERM', $_ for values %listeners;
    %listeners = ();
    end_session($_) for keys %sessions;
    return;
  }
  $$pending .= $chunk;
  while ((my $nl = index($$pending, "\n")) >= 0) {
    my $line = substr($$pending, 0, $nl);
    substr($$pending, 0, $nl + 1) = '';
    handle_request($line);
  }
  return;
}

sub collect_command_output {
  my ($ready) = @_;
  for my $pid (keys %commands) {
    my $c = $commands{$pid};
    for my $i (0, 1) {
      my $fh = $c->{fh}[$i];
      next unless defined $fh && vec($ready, fileno($fh), 1);
      my $got = sysread($fh, my $chunk, READ_CHUNK);
      if ($got) { $c->{buf}[$i] .= $chunk }
      else { close $fh; $c->{fh}[$i] = undef }
    }
    finish_command($pid, 0) unless grep { defined } @{ $c->{fh} };
  }
  return;
}

sub relay_child_lines {
  my ($ready) = @_;
  for my $pid (keys %children) {
    my $child = $children{$pid};
    next unless vec($ready, fileno($child->{fh}), 1);
    my $got = sysread($child->{fh}, my $chunk, READ_CHUNK);
    if ($got) {
      $child->{buf} .= $chunk;
      while ((my $nl = index($child->{buf}, "\n")) >= 0) {
        print substr($child->{buf}, 0, $nl + 1);
        substr($child->{buf}, 0, $nl + 1) = '';
      }
      next;
    }
    close $child->{fh};
    delete $children{$pid};
    waitpid($pid, 0);
    for (keys %listeners) { delete $listeners{$_} if $listeners{$_} == $pid }
  }
  return;
}

# The agent: answers requests until stdin closes and every child and command has ended.
sub serve {
  my @args = @_;
  local $SIG{CHLD} = sub { };
  $requests_open = 1;
  my $pending = '';
  if (@args) { connect_back(@args) }
  else { print "agent\tready\n" }
  while ($requests_open || %children || %commands || %sessions) {
    # First, as it answers (and closes) commands past their deadline: a closed handle in the
    # select set would fail it (EBADF) and end the agent.
    my $wait = %commands ? next_wait() : undef;
    next unless %commands || %children || %sessions || $requests_open;
    my $rin = '';
    vec($rin, fileno(STDIN), 1) = 1 if $requests_open;
    vec($rin, fileno($_->{fh}), 1) = 1 for values %children;
    for my $c (values %commands, values %sessions) { vec($rin, fileno($_), 1) = 1 for grep { defined } @{ $c->{fh} } }
    my $n = select(my $ready = $rin, undef, undef, $wait);
    if ($n < 0) {
      last unless $! == EINTR;
      $ready = '';
    }
    read_stdin(\$pending) if $requests_open && vec($ready, fileno(STDIN), 1);
    collect_command_output($ready);
    relay_child_lines($ready);
    relay_session_lines($ready);
    @input_writers = grep { waitpid($_, WNOHANG) == 0 } @input_writers;
  }
  return;
}

sub main {
  my @args = @_;
  $SIG{PIPE} = 'IGNORE';
  $| = 1;
  if (!@args && open(my $cmdline, '<', '/proc/self/cmdline')) {
    local $/;
    my @argv = split /\0/, <$cmdline> // '';
    $own_text = $argv[2] if @argv == 3 && $argv[1] eq '-e';
  }
  serve(@args);
  return;
}

# Loaded by `do` (the protocol test), it only defines its subs.
main(@ARGV) unless caller;
