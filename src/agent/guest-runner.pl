#!/usr/bin/perl
# lab's command runner inside a VM guest: lab stays on the host and every command it would run
# there runs here instead, as root of the guest. One channel (a virtio-serial port, or stdin and
# stdout in tests) carries many commands at once, each with a request id. The protocol is
# docs/guest-runner-protocol.md; in short, one line per message, tab-separated, bytes as hex:
#   host -> guest                          guest -> host
#   start ID TIMEOUT_MS ARG_HEX...          pid ID PID
#   in ID DATA_HEX                          out ID DATA_HEX / err ID DATA_HEX
#   eof ID                                  exit ID CODE TIMED_OUT SIGNAL
#   kill ID SIGNAL
#   listen ID PATH_HEX                      listening ID / error ID MESSAGE_HEX
#   data CONN DATA_HEX / close CONN         conn ID CONN, data CONN DATA_HEX, close CONN
#   shut CONN
#   attach                                  hello PID
#   keep FLAG
# and `hello PID` once it reads requests (options before the port: --keep, --bind SRC DST, below).
# It ends (killing what it started) when the channel ends,
# unless kept (`keep 1`, a kept VM lab: `lab up --backend vm`): then the host hanging up ends only
# its session (what it started is killed and forgotten) and the runner waits for the next host,
# which says `attach` first.
# Core perl with no module beyond strict and warnings: the guest's userland is the host's, perl-base
# is Essential, and every module is compiled again at each boot, read over 9p, under TCG. The
# modules this used to load (IO::Select, IO::Socket::UNIX, POSIX, Fcntl; Errno for %!) took its
# start from ~7 to ~40 ms of CPU on the host (perl -c); select, socket, bind, listen, accept,
# setpgrp and fcntl are perl builtins, with Linux's numbers below.
use strict;
use warnings;

# Linux's numbers, the same on x86_64 and arm64 (asm-generic), as constant subs (inlined like
# `use constant` would, without loading constant.pm). include/linux/socket.h, linux/net.h:
sub AF_UNIX () { 1 }
sub SOCK_STREAM () { 1 }
# include/uapi/asm-generic/fcntl.h
sub F_GETFL () { 3 }
sub F_SETFL () { 4 }
sub O_NONBLOCK () { 04000 }
# include/uapi/asm-generic/errno-base.h
sub EINTR () { 4 }
sub EAGAIN () { 11 }
# include/uapi/linux/wait.h
sub WNOHANG () { 1 }
# Not the kernel's: connections a forwarded socket queues, the biggest read at once, exec's exit
# code when the command could not be started (what a shell says).
sub LISTEN_BACKLOG () { 64 }
sub READ_CHUNK () { 65536 }
sub EXIT_NOT_STARTED () { 127 }
# How often a kept runner looks whether a host connected again: a virtio port with no host reads
# as end-of-file at once (and select says so), so the wait is a poll.
sub RECONNECT_POLL_S () { 0.2 }

# mount(2), which perl has no builtin for: its number on x86_64 and arm64 (arch/x86/entry/syscalls/
# syscall_64.tbl, include/uapi/asm-generic/unistd.h), by the ELF machine of perl itself; and
# MS_BIND (include/uapi/linux/mount.h).
my %MOUNT_SYSCALL = (62 => 165, 183 => 40);
sub MS_BIND () { 4096 }

# DIR made (with its parents), then mount(2) of SOURCE there (TYPE, FLAGS, DATA as mount(8)'s -t,
# the flags, -o); '' when done, else why. Two process starts fewer than mkdir -p and mount(8),
# each ~0.1-0.2 s of a TCG guest's CPU.
sub mount_on {
  my ($source, $dir, $type, $flags, $data) = @_;
  my $path = '';
  for my $part (grep { length } split m{/}, $dir // '') {
    $path .= "/$part";
    mkdir $path unless -d $path;
  }
  return "$dir: $!" unless -d ($dir // '');
  my $machine = -1;
  if (open(my $exe, '<', '/proc/self/exe')) {
    binmode $exe;
    my $header = '';
    $machine = unpack('v', substr($header, 18, 2)) if read($exe, $header, 20) == 20;
  }
  my $number = $MOUNT_SYSCALL{$machine} // return "no mount syscall number for ELF machine $machine";
  # syscall() may write into its string arguments: they must be variables.
  my ($from, $to, $fs, $options) = ($source, $dir, $type, $data);
  return syscall($number, $from, $to, $fs, $flags, length $options ? $options : 0) == 0 ? '' : "$!";
}

# DST showing SRC; on failure, why, and exit 72 (what the job's `mount --bind … || exit 72` did).
sub bind_mount {
  my ($src, $dst) = @_;
  my $failed = mount_on($src // '', $dst // '', '', MS_BIND, '');
  return unless length $failed;
  print STDERR "guest-runner: cannot bind $src on $dst: $failed\n";
  exit 72;
}

$SIG{PIPE} = 'IGNORE';
my $got_child = 0;
$SIG{CHLD} = sub { $got_child = 1 };

# --keep: kept from the start (a kept VM lab's other ports, which lab exec and lab shell use).
# --bind SRC DST: first, DST (made if missing) shows SRC, as `mkdir -p DST && mount --bind SRC
# DST` would do with two processes, which under TCG took ~0.35 s of a boot's critical path.
my $keep = 0;
my @bind;
while (($ARGV[0] // '') =~ /^--(keep|bind)$/) {
  shift @ARGV;
  if ($1 eq 'keep') { $keep = 1 } else { @bind = splice(@ARGV, 0, 2) }
}
bind_mount(@bind) if @bind;
my $port = shift @ARGV // '-';
my ($in, $out);
if ($port eq '-') {
  ($in, $out) = (\*STDIN, \*STDOUT);
} else {
  open($in, '+<', $port) or die "guest-runner: cannot open $port: $!\n";
  $out = $in;
}
binmode $in;
binmode $out;

sub hx { unpack('H*', $_[0] // '') }
sub uh { pack('H*', $_[0] // '') }
# Seconds since boot, to a hundredth: perl-base has no Time::HiRes.
sub now { open(my $f, '<', '/proc/uptime') or return time; my $l = <$f>; (split ' ', $l)[0] }
sub nonblocking { my $fh = shift; my $fl = fcntl($fh, F_GETFL, 0); fcntl($fh, F_SETFL, $fl | O_NONBLOCK) }
# A read or write that is worth retrying.
sub again { $! == EINTR || $! == EAGAIN }

# Whole lines, written in order; a blocking write is fine: the host reads all the time.
sub say_line {
  my $line = join("\t", @_) . "\n";
  while (length $line) {
    my $n = syswrite($out, $line);
    if (!defined $n) { next if again(); exit 0 }
    substr($line, 0, $n, '');
  }
}

# What select() watches, by file descriptor: %readers for input (the channel, commands' output,
# listeners, forwarded connections), %writers for commands' stdin with bytes still to write.
my (%readers, %writers);
sub watch { my ($set, $fh) = @_; $set->{fileno $fh} = $fh }
sub unwatch { my ($set, $fh) = @_; my $fd = fileno $fh; delete $set->{$fd} if defined $fd }
sub watched { my ($set, $fh) = @_; my $fd = fileno $fh; return defined $fd && ($set->{$fd} // 0) == $fh }
watch(\%readers, $in);
# $keep (above, or `keep 1`): the host hanging up ends its session, not the runner.
my (%cmds, %by_fh, %listeners, %conns);
my $next_conn = 1;

sub start_cmd {
  my ($id, $timeout_ms, @argv) = @_;
  @argv = map { uh($_) } @argv;
  return say_line('exit', $id, EXIT_NOT_STARTED, 0, '') unless @argv;
  pipe(my $cin_r, my $cin_w) or return fail_start($id, "pipe: $!");
  pipe(my $cout_r, my $cout_w) or return fail_start($id, "pipe: $!");
  pipe(my $cerr_r, my $cerr_w) or return fail_start($id, "pipe: $!");
  my $pid = fork;
  return fail_start($id, "fork: $!") unless defined $pid;
  if (!$pid) {
    $SIG{PIPE} = 'DEFAULT';
    $SIG{CHLD} = 'DEFAULT';
    # A group of its own: a timeout or a kill reaches what it started too.
    setpgrp(0, 0);
    close $_ for $cin_w, $cout_r, $cerr_r;
    # The channel is not the command's (on stdin and stdout in tests, the dups below replace it).
    close $in if $port ne '-';
    # exit, not POSIX::_exit: nothing is buffered (every write is a syswrite) and there are no END blocks.
    open(STDIN, '<&', $cin_r) or exit EXIT_NOT_STARTED;
    open(STDOUT, '>&', $cout_w) or exit EXIT_NOT_STARTED;
    open(STDERR, '>&', $cerr_w) or exit EXIT_NOT_STARTED;
    close $_ for $cin_r, $cout_w, $cerr_w;
    { no warnings 'exec'; exec { $argv[0] } @argv; }
    print STDERR "$argv[0]: $!\n";
    exit EXIT_NOT_STARTED;
  }
  close $_ for $cin_r, $cout_w, $cerr_w;
  nonblocking($cin_w);
  my $c = {
    id => $id, pid => $pid, stdin => $cin_w, wbuf => '', eof => 0, open => 2, reaped => 0,
    code => -1, signal => '', timed_out => 0,
    deadline => $timeout_ms > 0 ? now() + $timeout_ms / 1000 : 0,
  };
  $cmds{$id} = $c;
  for ([$cout_r, 'out'], [$cerr_r, 'err']) {
    $by_fh{fileno $_->[0]} = [$c, $_->[1], $_->[0]];
    watch(\%readers, $_->[0]);
  }
  say_line('pid', $id, $pid);
}

sub fail_start { my ($id, $why) = @_; say_line('err', $id, hx("guest-runner: $why\n")); say_line('exit', $id, EXIT_NOT_STARTED, 0, ''); }

sub flush_stdin {
  my $c = shift;
  return unless $c->{stdin};
  while (length $c->{wbuf}) {
    my $n = syswrite($c->{stdin}, $c->{wbuf});
    if (!defined $n) {
      last if again();
      # The command does not read any more (it ended): what is left is dropped.
      $c->{wbuf} = '';
      last;
    }
    substr($c->{wbuf}, 0, $n, '');
  }
  if (length $c->{wbuf}) { watch(\%writers, $c->{stdin}) } else {
    unwatch(\%writers, $c->{stdin});
    if ($c->{eof}) { close $c->{stdin}; $c->{stdin} = undef }
  }
}

sub signal_cmd {
  my ($c, $sig) = @_;
  return if $c->{reaped};
  kill($sig, -$c->{pid}) or kill($sig, $c->{pid});
}

sub finish_if_done {
  my $c = shift;
  return unless $c->{reaped} && $c->{open} == 0;
  if ($c->{stdin}) { unwatch(\%writers, $c->{stdin}); close $c->{stdin} }
  say_line('exit', $c->{id}, $c->{code}, $c->{timed_out}, $c->{signal});
  delete $cmds{$c->{id}};
}

sub reap {
  while ((my $pid = waitpid(-1, WNOHANG)) > 0) {
    my $status = $?;
    my ($c) = grep { $_->{pid} == $pid } values %cmds;
    next unless $c;
    $c->{reaped} = 1;
    if ($status & 127) { $c->{code} = -1; $c->{signal} = $status & 127 } else { $c->{code} = $status >> 8 }
    # Something it left running may hold its output open: that does not hold up its end for long.
    $c->{linger} = now() + 1;
    finish_if_done($c);
  }
}

sub close_stream {
  my ($c, $fh) = @_;
  unwatch(\%readers, $fh);
  delete $by_fh{fileno $fh};
  close $fh;
  $c->{open}--;
}

my %own_dirs;
sub listen_unix {
  my ($id, $path) = @_;
  (my $dir = $path) =~ s{/[^/]*$}{};
  return say_line('error', $id, hx("listen $path: not an absolute path in a folder")) unless $dir =~ m{^/.};
  # The host's socket file is no socket here (it may be the host's very file, over 9p): the
  # socket's folder becomes the guest's own, a tmpfs over it, where the guest's socket goes.
  unless ($own_dirs{$dir}) {
    my $failed = mount_on('tmpfs', $dir, 'tmpfs', 0, 'mode=0700');
    return say_line('error', $id, hx("listen $path: cannot mount a tmpfs on $dir: $failed")) if length $failed;
    $own_dirs{$dir} = 1;
  }
  # struct sockaddr_un: the family, then the path (the kernel ends it).
  my $l;
  socket($l, AF_UNIX, SOCK_STREAM, 0) && bind($l, pack('S', AF_UNIX) . $path) && listen($l, LISTEN_BACKLOG)
    or return say_line('error', $id, hx("listen $path: $!"));
  $listeners{fileno $l} = [$id, $l, $path];
  watch(\%readers, $l);
  say_line('listening', $id);
}

sub close_conn {
  my ($cid) = @_;
  my $s = delete $conns{$cid} or return;
  unwatch(\%readers, $s->[0]);
  delete $by_fh{fileno $s->[0]};
  close $s->[0];
}

# The host that started all this is gone (or a new one attached): its commands are killed and
# forgotten (their output is nobody's now, and the next host numbers its requests from 1 again),
# its listeners closed and their socket files removed, its connections closed.
sub end_session {
  for my $c (values %cmds) {
    signal_cmd($c, 'KILL');
    if ($c->{stdin}) { unwatch(\%writers, $c->{stdin}); close $c->{stdin}; }
  }
  for my $fd (keys %by_fh) {
    my $fh = $by_fh{$fd}[2];
    unwatch(\%readers, $fh);
    close $fh;
  }
  for my $l (values %listeners) {
    unwatch(\%readers, $l->[1]);
    my $path = $l->[2];
    close $l->[1];
    unlink $path if defined $path;
  }
  %cmds = (); %by_fh = (); %listeners = (); %conns = (); %writers = ();
}

sub request {
  my @f = split /\t/, shift, -1;
  my $op = shift @f // '';
  if ($op eq 'start') { start_cmd(@f) }
  elsif ($op eq 'in') { my $c = $cmds{$f[0]} or return; $c->{wbuf} .= uh($f[1]); flush_stdin($c) }
  elsif ($op eq 'eof') { my $c = $cmds{$f[0]} or return; $c->{eof} = 1; flush_stdin($c) }
  elsif ($op eq 'kill') { my $c = $cmds{$f[0]} or return; signal_cmd($c, $f[1] || 'KILL') }
  elsif ($op eq 'listen') { listen_unix($f[0], uh($f[1])) }
  elsif ($op eq 'data') {
    my $s = $conns{$f[0]} or return;
    my $data = uh($f[1]);
    # Blocking: an agent's requests are short lines.
    while (length $data) { my $n = syswrite($s->[0], $data); last unless defined $n; substr($data, 0, $n, '') }
  }
  elsif ($op eq 'close') { close_conn($f[0]) }
  # The host's end of the connection is done writing: the guest's side reads end-of-file and may
  # still answer (shutdown SHUT_WR); its own end then closes the connection as ever.
  elsif ($op eq 'shut') { my $s = $conns{$f[0]} or return; shutdown($s->[0], 1) }
  elsif ($op eq 'attach') { end_session(); say_line('hello', $$) }
  elsif ($op eq 'keep') { $keep = ($f[0] // '') eq '1' ? 1 : 0 }
}

say_line('hello', $$);
my $pending = '';
while (1) {
  # Cleared before reaping: a child that ends meanwhile is not missed.
  if ($got_child) { $got_child = 0; reap() }
  my $t = now();
  my $wait = 1;
  for my $c (values %cmds) {
    if ($c->{deadline} && !$c->{reaped} && $t >= $c->{deadline}) {
      $c->{timed_out} = 1;
      $c->{deadline} = 0;
      signal_cmd($c, 'KILL');
    }
    if ($c->{reaped} && $c->{linger} && $t >= $c->{linger}) {
      for my $k (keys %by_fh) { close_stream($c, $by_fh{$k}[2]) if ($by_fh{$k}[0] // 0) == $c }
      finish_if_done($c);
      next;
    }
    $wait = 0.1 if $c->{deadline} || $c->{reaped};
  }
  my ($rbits, $wbits) = ('', '');
  vec($rbits, $_, 1) = 1 for keys %readers;
  vec($wbits, $_, 1) = 1 for keys %writers;
  my $wout = %writers ? $wbits : undef;
  # -1 (a signal, such as SIGCHLD) or 0 (the wait is over): nothing is ready.
  next if select(my $rout = $rbits, $wout, undef, $wait) <= 0;
  # The handles, not their numbers: a handle closed by an earlier one of this round is skipped,
  # and a new one that got its number is not read before select says it is ready.
  my @writable = map { $writers{$_} } grep { vec($wout, $_, 1) } keys %writers;
  my @readable = map { $readers{$_} } grep { vec($rout, $_, 1) } keys %readers;
  for my $fh (@writable) {
    my ($c) = grep { $_->{stdin} && $_->{stdin} == $fh } values %cmds;
    flush_stdin($c) if $c;
  }
  for my $fh (@readable) {
    next unless watched(\%readers, $fh);
    if ($fh == $in) {
      my $n = sysread($in, my $buf, READ_CHUNK);
      next if !defined $n && again();
      if (!$n) {
        # The host is gone: so is everything it started.
        if (!$keep) {
          signal_cmd($_, 'KILL') for values %cmds;
          exit 0;
        }
        # Kept: the next host attaches. A half line of the one gone is not the next one's.
        end_session() if %cmds || %listeners || %conns;
        $pending = '';
        select(undef, undef, undef, RECONNECT_POLL_S);
        next;
      }
      $pending .= $buf;
      while ((my $nl = index($pending, "\n")) >= 0) {
        my $line = substr($pending, 0, $nl);
        substr($pending, 0, $nl + 1, '');
        request($line);
      }
    } elsif (my $l = $listeners{fileno $fh}) {
      accept(my $s, $l->[1]) or next;
      my $cid = $next_conn++;
      $conns{$cid} = [$s];
      $by_fh{fileno $s} = [undef, 'conn', $s, $cid];
      watch(\%readers, $s);
      say_line('conn', $l->[0], $cid);
    } elsif (my $e = $by_fh{fileno $fh}) {
      my ($c, $stream, undef, $cid) = @$e;
      my $n = sysread($fh, my $buf, READ_CHUNK);
      next if !defined $n && again();
      if ($stream eq 'conn') {
        if ($n) { say_line('data', $cid, hx($buf)) } else { close_conn($cid); say_line('close', $cid) }
        next;
      }
      if ($n) { say_line($stream, $c->{id}, hx($buf)) } else { close_stream($c, $fh); finish_if_done($c) }
    }
  }
}
