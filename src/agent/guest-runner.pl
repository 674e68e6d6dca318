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
# and `hello PID` once it reads requests. It ends (killing what it started) when the channel ends.
# Only perl-base modules: the guest's userland is the host's, and perl-base is Essential.
use strict;
use warnings;
use IO::Select;
use IO::Socket::UNIX;
use POSIX qw(WNOHANG);
use Fcntl qw(F_GETFL F_SETFL O_NONBLOCK);

$SIG{PIPE} = 'IGNORE';
my $got_child = 0;
$SIG{CHLD} = sub { $got_child = 1 };

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

# Whole lines, written in order; a blocking write is fine: the host reads all the time.
sub say_line {
  my $line = join("\t", @_) . "\n";
  while (length $line) {
    my $n = syswrite($out, $line);
    if (!defined $n) { next if $!{EINTR} || $!{EAGAIN}; exit 0 }
    substr($line, 0, $n, '');
  }
}

my $sel = IO::Select->new($in);
my $wsel = IO::Select->new();
my (%cmds, %by_fh, %listeners, %conns);
my $next_conn = 1;

sub start_cmd {
  my ($id, $timeout_ms, @argv) = @_;
  @argv = map { uh($_) } @argv;
  return say_line('exit', $id, 127, 0, '') unless @argv;
  pipe(my $cin_r, my $cin_w) or return fail_start($id, "pipe: $!");
  pipe(my $cout_r, my $cout_w) or return fail_start($id, "pipe: $!");
  pipe(my $cerr_r, my $cerr_w) or return fail_start($id, "pipe: $!");
  my $pid = fork;
  return fail_start($id, "fork: $!") unless defined $pid;
  if (!$pid) {
    $SIG{PIPE} = 'DEFAULT';
    $SIG{CHLD} = 'DEFAULT';
    # A group of its own: a timeout or a kill reaches what it started too.
    POSIX::setpgid(0, 0);
    close $_ for $cin_w, $cout_r, $cerr_r;
    # The channel is not the command's (on stdin and stdout in tests, the dups below replace it).
    close $in if $port ne '-';
    open(STDIN, '<&', $cin_r) or POSIX::_exit(127);
    open(STDOUT, '>&', $cout_w) or POSIX::_exit(127);
    open(STDERR, '>&', $cerr_w) or POSIX::_exit(127);
    close $_ for $cin_r, $cout_w, $cerr_w;
    { no warnings 'exec'; exec { $argv[0] } @argv; }
    print STDERR "$argv[0]: $!\n";
    POSIX::_exit(127);
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
    $sel->add($_->[0]);
  }
  say_line('pid', $id, $pid);
}

sub fail_start { my ($id, $why) = @_; say_line('err', $id, hx("guest-runner: $why\n")); say_line('exit', $id, 127, 0, ''); }

sub flush_stdin {
  my $c = shift;
  return unless $c->{stdin};
  while (length $c->{wbuf}) {
    my $n = syswrite($c->{stdin}, $c->{wbuf});
    if (!defined $n) {
      last if $!{EAGAIN} || $!{EINTR};
      # The command does not read any more (it ended): what is left is dropped.
      $c->{wbuf} = '';
      last;
    }
    substr($c->{wbuf}, 0, $n, '');
  }
  if (length $c->{wbuf}) { $wsel->add($c->{stdin}) } else {
    $wsel->remove($c->{stdin});
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
  if ($c->{stdin}) { $wsel->remove($c->{stdin}); close $c->{stdin} }
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
  $sel->remove($fh);
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
    system('mkdir', '-p', $dir) unless -d $dir;
    system('mount', '-t', 'tmpfs', '-o', 'mode=0700', 'tmpfs', $dir) == 0
      or return say_line('error', $id, hx("listen $path: cannot mount a tmpfs on $dir"));
    $own_dirs{$dir} = 1;
  }
  my $l = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Local => $path, Listen => 64);
  return say_line('error', $id, hx("listen $path: $!")) unless $l;
  $listeners{fileno $l} = [$id, $l];
  $sel->add($l);
  say_line('listening', $id);
}

sub close_conn {
  my ($cid) = @_;
  my $s = delete $conns{$cid} or return;
  $sel->remove($s->[0]);
  delete $by_fh{fileno $s->[0]};
  close $s->[0];
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
}

say_line('hello', $$);
my $pending = '';
while (1) {
  reap() if $got_child;
  $got_child = 0;
  my $t = now();
  my $wait = 1;
  for my $c (values %cmds) {
    if ($c->{deadline} && !$c->{reaped} && $t >= $c->{deadline}) {
      $c->{timed_out} = 1;
      $c->{deadline} = 0;
      signal_cmd($c, 'KILL');
    }
    if ($c->{reaped} && $c->{linger} && $t >= $c->{linger}) {
      for my $k (keys %by_fh) { close_stream($c, $by_fh{$k}[2]) if $by_fh{$k}[0] == $c }
      finish_if_done($c);
      next;
    }
    $wait = 0.1 if $c->{deadline} || $c->{reaped};
  }
  my ($r, $w) = IO::Select->select($sel, $wsel->count ? $wsel : undef, undef, $wait);
  for my $fh (@{$w // []}) {
    my ($c) = grep { $_->{stdin} && $_->{stdin} == $fh } values %cmds;
    flush_stdin($c) if $c;
  }
  for my $fh (@{$r // []}) {
    if ($fh == $in) {
      my $n = sysread($in, my $buf, 65536);
      next if !defined $n && ($!{EINTR} || $!{EAGAIN});
      if (!$n) {
        # The host is gone: so is everything it started.
        signal_cmd($_, 'KILL') for values %cmds;
        exit 0;
      }
      $pending .= $buf;
      while ((my $nl = index($pending, "\n")) >= 0) {
        my $line = substr($pending, 0, $nl);
        substr($pending, 0, $nl + 1, '');
        request($line);
      }
    } elsif (my $l = $listeners{fileno $fh}) {
      my $s = $l->[1]->accept or next;
      my $cid = $next_conn++;
      $conns{$cid} = [$s];
      $by_fh{fileno $s} = [undef, 'conn', $s, $cid];
      $sel->add($s);
      say_line('conn', $l->[0], $cid);
    } elsif (my $e = $by_fh{fileno $fh}) {
      my ($c, $stream, undef, $cid) = @$e;
      my $n = sysread($fh, my $buf, 65536);
      next if !defined $n && ($!{EINTR} || $!{EAGAIN});
      if ($stream eq 'conn') {
        if ($n) { say_line('data', $cid, hx($buf)) } else { close_conn($cid); say_line('close', $cid) }
        next;
      }
      if ($n) { say_line($stream, $c->{id}, hx($buf)) } else { close_stream($c, $fh); finish_if_done($c) }
    }
  }
}
