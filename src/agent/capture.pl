# A packet capture of one device into a pcap file, for the radio media of netns-lab's wireless
# cases (src/probes/medium.ts): what `tcpdump -i DEV -w FILE -U --immediate-mode -s 0` writes there,
# without tcpdump's start (under TCG ~0.3 s of a guest CPU per capture, four captures per pair of
# wireless cases, plus the `ip netns exec` in front of each).
#
#   perl -e PROGRAM_TEXT DEV FILE SECONDS
#
# Opens a packet socket bound to DEV (every frame DEV receives or sends, as tcpdump sees them),
# writes FILE's pcap header, says `listening on DEV, link-type NAME` on stderr (tcpdump's words,
# which lab waits for), then appends each frame as it comes (one write per frame: nothing is held
# back in a buffer when the capture is stopped). Stops at SIGTERM, when its stdin ends (the agent
# that forked it has gone), or after SECONDS. Exit 0 then; 255 and why on stderr when it could not
# start.
#
# The pcap: classic format, nanosecond timestamps (the kernel's receive time of each frame,
# SIOCGSTAMPNS, on CLOCK_REALTIME as tcpdump's are), snapshot length 262144, link type from DEV's
# hardware type. Only the types lab captures on are known: 802.11 with radiotap (a monitor
# interface) and Ethernet (loopback included, as libpcap maps it).
#
# The agent forks this compiled once per agent (forkable_main in agent.pl): main is all there is
# to a run.
# netns-lab: forkable
use strict;
use warnings;

# include/linux/socket.h, include/linux/net.h, include/uapi/linux/if_ether.h
sub AF_PACKET () { 17 }
sub SOCK_RAW () { 3 }
sub ETH_P_ALL () { 0x0003 }
# include/uapi/linux/sockios.h and include/uapi/asm-generic/sockios.h
sub SIOCGIFHWADDR () { 0x8927 }
sub SIOCGIFINDEX () { 0x8933 }
sub SIOCGSTAMPNS () { 0x8907 }
# include/uapi/linux/if.h: struct ifreq is a name of IFNAMSIZ bytes and a 24-byte union.
sub IFNAMSIZ () { 16 }
sub IFREQ_SIZE () { 40 }
# include/uapi/linux/if_arp.h
sub ARPHRD_ETHER () { 1 }
sub ARPHRD_LOOPBACK () { 772 }
sub ARPHRD_IEEE80211_RADIOTAP () { 803 }
# include/uapi/asm-generic/errno-base.h
sub EINTR () { 4 }
# pcap: the nanosecond magic number, version 2.4, and the link types (tcpdump.org/linktypes.html).
sub PCAP_MAGIC_NS () { 0xa1b23c4d }
sub SNAPLEN () { 262144 }
my %LINKTYPES = (
  ARPHRD_IEEE80211_RADIOTAP() => [127, 'IEEE802_11_RADIO (802.11 plus radiotap header)'],
  ARPHRD_ETHER()              => [1, 'EN10MB (Ethernet)'],
  ARPHRD_LOOPBACK()           => [1, 'EN10MB (Ethernet)'],
);

# An ioctl on DEV through socket S: the struct ifreq the kernel filled in.
sub ifreq_ioctl {
  my ($s, $request, $dev, $what) = @_;
  my $ifreq = pack('a' . IFNAMSIZ, $dev) . ("\0" x (IFREQ_SIZE - IFNAMSIZ));
  ioctl($s, $request, $ifreq) or die "$dev: $what: $!\n";
  return $ifreq;
}

# The pcap global header for LINKTYPE (pure).
sub pcap_header { my ($linktype) = @_; return pack('LSSlLLL', PCAP_MAGIC_NS, 2, 4, 0, 0, SNAPLEN, $linktype) }

# One pcap record: the frame's time (seconds, nanoseconds) and its bytes (pure).
sub pcap_record {
  my ($sec, $nsec, $frame) = @_;
  my $kept = length $frame > SNAPLEN ? substr($frame, 0, SNAPLEN) : $frame;
  return pack('LLLL', $sec, $nsec, length $kept, length $frame) . $kept;
}

sub main {
  my ($dev, $file, $seconds) = @_;
  # Stopped as tcpdump stops: every frame already written, exit 0. For the whole process (it is
  # one run of main): lab's stop closes stdin and sends SIGTERM at once, and the loop may have
  # ended on the first before the second arrives; once it has, the signal is ignored (one that
  # came in the middle of perl's exit was seen to kill it: exit -1, 1 CI run in 3).
  $SIG{TERM} = sub { $SIG{TERM} = 'IGNORE'; exit 0 };
  eval {
    die "usage: DEV FILE SECONDS\n" unless defined $seconds && $seconds =~ /^\d+$/;
    # Protocol 0 until bound: a socket made for every protocol would queue frames of every device
    # between its creation and its bind (libpcap does the same).
    socket(my $s, AF_PACKET, SOCK_RAW, 0) or die "packet socket: $!\n";
    my $index = unpack('i', substr(ifreq_ioctl($s, SIOCGIFINDEX, $dev, 'no such device here'), IFNAMSIZ, 4));
    my $hatype = unpack('S', substr(ifreq_ioctl($s, SIOCGIFHWADDR, $dev, 'hardware type'), IFNAMSIZ, 2));
    my $type = $LINKTYPES{$hatype} or die "$dev: hardware type $hatype is not one this capture writes\n";
    # struct sockaddr_ll: family, protocol (network order), ifindex, hatype, pkttype, halen, addr.
    bind($s, pack('S n i S C C a8', AF_PACKET, ETH_P_ALL, $index, 0, 0, 0, '')) or die "$dev: bind: $!\n";
    # The socket's first SIOCGSTAMPNS turns the kernel's receive timestamps on (sock_gettstamp) and
    # says there is none yet: asked now, the first frame has its own time too, not the time it is read.
    ioctl($s, SIOCGSTAMPNS, my $none = "\0" x 16);
    open(my $out, '>', $file) or die "$file: $!\n";
    binmode $out;
    defined syswrite($out, pcap_header($type->[0])) or die "$file: $!\n";
    print STDERR "listening on $dev, link-type $type->[1], snapshot length " . SNAPLEN . " bytes\n";
    my $deadline = time + $seconds;
    my $watch = '';
    vec($watch, fileno($s), 1) = 1;
    vec($watch, fileno(STDIN), 1) = 1;
    while ((my $left = $deadline - time) > 0) {
      my $n = select(my $ready = $watch, undef, undef, $left);
      if ($n < 0) { next if $! == EINTR; die "select: $!\n" }
      # stdin's end (or anything on it): the agent has gone or lab is done.
      last if vec($ready, fileno(STDIN), 1);
      next unless vec($ready, fileno($s), 1);
      defined recv($s, my $frame, SNAPLEN + 1, 0) or do { next if $! == EINTR; die "$dev: recv: $!\n" };
      my $stamp = "\0" x 16;
      my ($sec, $nsec) = ioctl($s, SIOCGSTAMPNS, $stamp) ? unpack('q q', $stamp) : (time, 0);
      defined syswrite($out, pcap_record($sec, $nsec, $frame)) or die "$file: $!\n";
    }
    $SIG{TERM} = 'IGNORE';
    1;
  } and return;
  print STDERR $@;
  exit 255;
}

# Loaded by `do` (the unit tests of its pure parts), it only defines its subs.
main(@ARGV) unless caller;
