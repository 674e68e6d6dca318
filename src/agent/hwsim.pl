# mac80211_hwsim radios over generic netlink, and what makes them carry data, for the wireless
# links of netns-lab (src/plan/wireless.ts says why radios are made this way; docs/agent-protocol.md
# how this file reaches lab).
#
#   perl -e PROGRAM_TEXT STEP...
#
# One process does every step of a node's part of a link's set-up, in order: under TCG every
# process start costs 0.1-1 s of a guest CPU, and the iw, grep and sleep processes of polling
# loops took more CPU than the daemons they waited for (src/plan/wireless.ts). Steps (fixed arity):
#   radio PHY DEV IFTYPE NETNS  a radio named PHY in the caller's namespace (HWSIM_CMD_NEW_RADIO,
#                               no interfaces), an interface DEV of nl80211 type IFTYPE on it
#                               (NL80211_CMD_NEW_INTERFACE), and the radio with its interface moved
#                               into /run/netns/NETNS (NL80211_CMD_SET_WIPHY_NETNS) unless NETNS is ''
#   netns NAME                  the following steps in /run/netns/NAME, as under `ip netns exec
#                               NAME` (its network namespace, a mount namespace of their own with
#                               its /sys): one process for the steps of several nodes
#   name DEV NEWNAME            DEV (down) renamed, as `ip link set dev DEV name NEWNAME` (SIOCSIFNAME)
#   up DEV                      DEV up, as `ip link set dev DEV up` (SIOCSIFFLAGS)
#   listen DEV FREQ             DEV (a monitor) up and on channel FREQ (NL80211_CMD_SET_WIPHY)
#   mesh DEV FREQ MESHID        DEV (up) joins the mesh (NL80211_CMD_JOIN_MESH), beaconing every
#                               MESH_BEACON_TU, as `iw dev DEV mesh join MESHID freq FREQ beacon-interval 100`
#   ibss DEV FREQ SSID BSSID    DEV (up) joins the IBSS on a fixed channel (NL80211_CMD_JOIN_IBSS),
#                               as `iw dev DEV ibss join SSID FREQ fixed-freq BSSID`
#   connect DEV FREQ SSID       DEV (a station, up) connects to the open network SSID on FREQ
#                               (NL80211_CMD_CONNECT: the kernel's own SME scans that channel,
#                               authenticates and associates), as `iw dev DEV connect SSID FREQ`;
#                               an `await` of DEV asks again every RECONNECT_S
#   config TEXT                 TEXT into a new file of its own (mode 0600), which `{}` in the
#                               words of later `run` steps names; removed when the program ends
#   run N WORD...               the command of N words, waited for (a daemon's -B returns once it
#                               runs); a failure ends the program
#   await DEV KIND WANT SECONDS until DEV has WANT peers that carry data: KIND mesh, a peer link
#                               established; ibss, a station; sta, an authorized access point
#                               (NL80211_CMD_GET_STATION, polled every POLL_S). At SECONDS, fails
#                               with what it saw
# Exit 0 when every step is done; otherwise 255 and what failed on stderr (die).
#
# iw cannot create hwsim radios and Node cannot open netlink sockets; perl can, with core perl
# only (perl-base is Essential on Debian).
#
# The agent that forks lab's commands compiles this once and runs main(STEP...) in a fork of
# itself for each use (forkable_main in agent.pl): main is all there is to a run, and nothing at
# file scope changes once compiled.
# netns-lab: forkable
use strict;
use warnings;

# include/linux/socket.h and include/linux/net.h
sub AF_INET () { 2 }
sub AF_NETLINK () { 16 }
sub SOCK_DGRAM () { 2 }
sub SOCK_RAW () { 3 }
# include/uapi/linux/netlink.h
sub NETLINK_GENERIC () { 16 }
sub NLM_F_REQUEST () { 0x1 }
sub NLM_F_ACK () { 0x4 }
sub NLM_F_DUMP () { 0x300 }
sub NLMSG_ERROR () { 0x2 }
sub NLMSG_DONE () { 0x3 }
sub NLMSG_HDRLEN () { 16 }
sub NLA_HDRLEN () { 4 }
sub NLA_ALIGNTO () { 4 }
# An attribute's type without NLA_F_NESTED and NLA_F_NET_BYTEORDER.
sub NLA_TYPE_MASK () { 0x3fff }
# include/uapi/linux/genetlink.h
sub GENL_HDRLEN () { 4 }
sub GENL_ID_CTRL () { 0x10 }
sub CTRL_CMD_GETFAMILY () { 3 }
sub CTRL_ATTR_FAMILY_ID () { 1 }
sub CTRL_ATTR_FAMILY_NAME () { 2 }
# drivers/net/wireless/virtual/mac80211_hwsim.h (enum hwsim_commands, enum hwsim_attrs)
sub HWSIM_CMD_NEW_RADIO () { 4 }
sub HWSIM_ATTR_RADIO_NAME () { 17 }
sub HWSIM_ATTR_NO_VIF () { 18 }
# include/uapi/linux/nl80211.h (enum nl80211_commands, nl80211_attrs, nl80211_sta_info,
# nl80211_sta_flags, nl80211_plink_state)
sub NL80211_CMD_SET_WIPHY () { 2 }
sub NL80211_CMD_NEW_INTERFACE () { 7 }
sub NL80211_CMD_GET_STATION () { 17 }
sub NL80211_CMD_JOIN_IBSS () { 43 }
sub NL80211_CMD_CONNECT () { 46 }
sub NL80211_CMD_SET_WIPHY_NETNS () { 49 }
sub NL80211_CMD_JOIN_MESH () { 68 }
sub NL80211_ATTR_WIPHY () { 1 }
sub NL80211_ATTR_IFINDEX () { 3 }
sub NL80211_ATTR_IFNAME () { 4 }
sub NL80211_ATTR_IFTYPE () { 5 }
sub NL80211_ATTR_MAC () { 6 }
sub NL80211_ATTR_BEACON_INTERVAL () { 12 }
sub NL80211_ATTR_STA_INFO () { 21 }
sub NL80211_ATTR_MESH_ID () { 24 }
sub NL80211_ATTR_WIPHY_FREQ () { 38 }
sub NL80211_ATTR_SSID () { 52 }
sub NL80211_ATTR_FREQ_FIXED () { 60 }
sub NL80211_ATTR_NETNS_FD () { 219 }
sub NL80211_STA_INFO_PLINK_STATE () { 6 }
sub NL80211_STA_INFO_STA_FLAGS () { 17 }
sub NL80211_STA_FLAG_AUTHORIZED () { 1 }
sub NL80211_PLINK_ESTAB () { 4 }
# include/uapi/linux/sockios.h, include/uapi/linux/if.h: struct ifreq is the name (IFNAMSIZ) and a
# union of at most 24 bytes; the flags are its first short.
sub SIOCGIFFLAGS () { 0x8913 }
sub SIOCSIFFLAGS () { 0x8914 }
sub SIOCSIFNAME () { 0x8923 }
sub IFNAMSIZ () { 16 }
sub IFREQ_SIZE () { 40 }
sub IFF_UP () { 0x1 }
# include/uapi/asm-generic/fcntl.h
sub O_WRONLY () { 01 }
sub O_CREAT () { 0100 }
sub O_EXCL () { 0200 }
# A config file's mode: the daemon's key material is root's alone.
sub CONFIG_MODE () { 0600 }
# include/uapi/linux/sched.h, include/uapi/linux/mount.h
sub CLONE_NEWNS () { 0x00020000 }
sub CLONE_NEWNET () { 0x40000000 }
sub MS_REC () { 0x4000 }
sub MS_SLAVE () { 0x80000 }
sub MNT_DETACH () { 2 }
# include/uapi/linux/elf-em.h: e_machine, the 16 bits at offset 18 of an ELF header
sub EM_X86_64 () { 62 }
sub EM_AARCH64 () { 183 }
# The syscalls perl has no builtin for: arch/x86/entry/syscalls/syscall_64.tbl and
# include/uapi/asm-generic/unistd.h (arm64), as in agent.pl.
my %SYSCALLS = (
  EM_X86_64()  => { setns => 308, unshare => 272, mount => 165, umount2 => 166 },
  EM_AARCH64() => { setns => 268, unshare => 97,  mount => 40,  umount2 => 39 },
);
# Not the kernel's: a mesh radio's beacon interval (TU, 1.024 ms). A mesh peer is found at its first
# beacon; at mac80211's default for a mesh (1000 TU) the peer links were established 0.04-0.96 s
# after the join under TCG, the longest wait of a case's join once its stations no longer needed
# wpa_supplicant. An access point's default is 100 TU too (hostapd's beacon_int).
sub MESH_BEACON_TU () { 100 }
# The generic netlink version lab speaks to both families.
sub GENL_VERSION () { 1 }
# The largest reply read at once.
sub RECV_BUFFER () { 1 << 20 }
# Not the kernel's: how often `await` asks for the stations (seconds). A dump costs the guest
# microseconds where the iw, grep and sleep processes of a shell's poll cost ~0.25 s of CPU under TCG.
sub POLL_S () { 0.02 }
# Not the kernel's: how often a station `connect` joined is asked to connect again while it waits.
# The kernel's SME tries once (one scan of the channel, three authentications and associations of
# 200 ms each): measured once in a dozen runs under TCG on a loaded host, a station was still not
# associated 30 s later. wpa_supplicant scans again; this does what it would. While a connection is
# being made or is there, the kernel answers -EINPROGRESS or -EALREADY and nothing changes.
sub RECONNECT_S () { 1 }
# include/uapi/asm-generic/errno.h
sub EALREADY () { 114 }
sub EINPROGRESS () { 115 }

my $sequence = 0;

sub netlink_socket {
  socket(my $s, AF_NETLINK, SOCK_RAW, NETLINK_GENERIC) or die "netlink socket: $!\n";
  return $s;
}

# struct nlattr (length, type) and its data, padded to NLA_ALIGNTO.
sub attribute {
  my ($type, $data) = @_;
  my $length = NLA_HDRLEN + length $data;
  return pack('SS', $length, $type) . $data . ("\0" x ((NLA_ALIGNTO - $length % NLA_ALIGNTO) % NLA_ALIGNTO));
}

# The attributes of a message body (or of a nested attribute), type => data (the last of each type).
sub attributes {
  my ($body) = @_;
  my %found;
  while (length $body >= NLA_HDRLEN) {
    my ($length, $type) = unpack('SS', $body);
    last if $length < NLA_HDRLEN;
    $found{$type & NLA_TYPE_MASK} = substr($body, NLA_HDRLEN, $length - NLA_HDRLEN);
    $body = substr($body, ($length + NLA_ALIGNTO - 1) & ~(NLA_ALIGNTO - 1));
  }
  return \%found;
}

# struct nlmsghdr + struct genlmsghdr + attributes: a request that asks for an acknowledgement
# (or, with FLAGS NLM_F_DUMP, for every object).
sub genl_message {
  my ($family, $command, $attributes, $flags) = @_;
  my $body = pack('CCS', $command, GENL_VERSION, 0) . $attributes;
  return pack('LSSLL', NLMSG_HDRLEN + length $body, $family, NLM_F_REQUEST | ($flags // NLM_F_ACK), ++$sequence, 0) . $body;
}

# Sends a request; the kernel's error (0 or -errno, from the acknowledgement, or 0 at the end of
# a dump) and the messages that came before it.
sub transact {
  my ($s, $message) = @_;
  send($s, $message, 0) or die "netlink send: $!\n";
  my @replies;
  while (1) {
    defined recv($s, my $buffer, RECV_BUFFER, 0) or die "netlink recv: $!\n";
    while (length $buffer >= NLMSG_HDRLEN) {
      my ($length, $type) = unpack('LS', $buffer);
      last if $length < NLMSG_HDRLEN;
      my $reply = substr($buffer, 0, $length);
      $buffer = substr($buffer, ($length + 3) & ~3);
      # struct nlmsgerr: the error number follows the header.
      return (unpack('l', substr($reply, NLMSG_HDRLEN, 4)), @replies) if $type == NLMSG_ERROR;
      return (0, @replies) if $type == NLMSG_DONE;
      push @replies, $reply;
    }
  }
}

# The attributes of a generic netlink reply.
sub reply_attributes { return attributes(substr($_[0], NLMSG_HDRLEN + GENL_HDRLEN)) }

# The id of generic netlink family NAME, or undef when the kernel has no such family.
sub family_id {
  my ($s, $name) = @_;
  my ($error, @replies) = transact($s, genl_message(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, attribute(CTRL_ATTR_FAMILY_NAME, "$name\0")));
  return undef if $error || !@replies;
  my $id = reply_attributes($replies[0])->{ CTRL_ATTR_FAMILY_ID() };
  return defined $id ? unpack('S', $id) : undef;
}

# A radio named PHY, without interfaces; its wiphy index.
sub new_radio {
  my ($s, $hwsim, $phy) = @_;
  my ($error) = transact($s, genl_message($hwsim, HWSIM_CMD_NEW_RADIO, attribute(HWSIM_ATTR_RADIO_NAME, "$phy\0") . attribute(HWSIM_ATTR_NO_VIF, '')));
  die "HWSIM_CMD_NEW_RADIO $phy failed: error $error\n" if $error < 0;
  open(my $f, '<', "/sys/class/ieee80211/$phy/index") or die "radio $phy has no wiphy index: $!\n";
  my $wiphy = <$f>;
  close $f;
  chomp $wiphy;
  return $wiphy;
}

sub new_interface {
  my ($s, $nl80211, $phy, $wiphy, $dev, $iftype) = @_;
  my $attributes = attribute(NL80211_ATTR_WIPHY, pack('L', $wiphy)) . attribute(NL80211_ATTR_IFNAME, "$dev\0") . attribute(NL80211_ATTR_IFTYPE, pack('L', $iftype));
  my ($error) = transact($s, genl_message($nl80211, NL80211_CMD_NEW_INTERFACE, $attributes));
  die "interface $dev on radio $phy: error $error\n" if $error;
  return;
}

# The radio and its interfaces into the named namespace.
sub move_radio {
  my ($s, $nl80211, $phy, $wiphy, $netns) = @_;
  open(my $ns, '<', "/run/netns/$netns") or die "namespace $netns: $!\n";
  my ($error) = transact($s, genl_message($nl80211, NL80211_CMD_SET_WIPHY_NETNS, attribute(NL80211_ATTR_WIPHY, pack('L', $wiphy)) . attribute(NL80211_ATTR_NETNS_FD, pack('L', fileno $ns))));
  die "moving radio $phy into $netns: error $error\n" if $error;
  return;
}

my $syscalls;
# This machine's number of syscall NAME; dies on a machine the table does not know.
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
  return $syscalls->{$name} // die "no syscall number for $name on this machine\n";
}

# Into namespace NAME as `ip netns exec NAME` enters it (agent.pl's enter_netns): its network
# namespace, then a mount namespace of our own that takes no mounts back, with the namespace's
# sysfs on /sys (hostapd and wpa_supplicant read /sys/class/net/DEV).
sub enter_netns {
  my ($name) = @_;
  die "bad namespace name '$name'\n" if !length $name || $name =~ m{/} || $name =~ /^\.\.?$/;
  open(my $ns, '<', "/run/netns/$name") or die "namespace $name: $!\n";
  syscall(syscall_number('setns'), fileno($ns), CLONE_NEWNET) == 0 or die "setns $name: $!\n";
  close $ns;
  syscall(syscall_number('unshare'), CLONE_NEWNS) == 0 or die "unshare: $!\n";
  # syscall() may write into its string arguments: they must be variables, not constants.
  my ($none, $root, $sys, $sysfs) = ('', '/', '/sys', 'sysfs');
  syscall(syscall_number('mount'), $none, $root, $none, MS_REC | MS_SLAVE, 0) == 0 or die "mount --make-rslave /: $!\n";
  syscall(syscall_number('umount2'), $sys, MNT_DETACH) == 0 or die "umount /sys: $!\n";
  syscall(syscall_number('mount'), $name, $sys, $sysfs, 0, 0) == 0 or die "mount sysfs: $!\n";
  return;
}

# The interface index of DEV in this namespace.
sub ifindex {
  my ($dev) = @_;
  open(my $f, '<', "/sys/class/net/$dev/ifindex") or die "no interface $dev here: $!\n";
  my $index = <$f>;
  close $f;
  chomp $index;
  return $index;
}

# DEV up, as `ip link set dev DEV up` (SIOCSIFFLAGS).
sub link_up {
  my ($dev) = @_;
  socket(my $s, AF_INET, SOCK_DGRAM, 0) or die "socket: $!\n";
  my $ifreq = pack('a' . IFNAMSIZ, $dev) . ("\0" x (IFREQ_SIZE - IFNAMSIZ));
  ioctl($s, SIOCGIFFLAGS, $ifreq) or die "$dev: SIOCGIFFLAGS: $!\n";
  my $flags = unpack('s', substr($ifreq, IFNAMSIZ, 2));
  substr($ifreq, IFNAMSIZ, 2) = pack('s', $flags | IFF_UP);
  ioctl($s, SIOCSIFFLAGS, $ifreq) or die "$dev up: $!\n";
  return;
}

# DEV renamed NEWNAME (struct ifreq: the name, then the new name).
sub link_rename {
  my ($dev, $name) = @_;
  socket(my $s, AF_INET, SOCK_DGRAM, 0) or die "socket: $!\n";
  my $ifreq = pack('a' . IFNAMSIZ, $dev) . pack('a' . (IFREQ_SIZE - IFNAMSIZ), $name);
  ioctl($s, SIOCSIFNAME, $ifreq) or die "renaming $dev to $name: $!\n";
  return;
}

# A request on interface DEV; dies with WHAT when the kernel refuses it.
sub on_interface {
  my ($s, $nl80211, $command, $dev, $attributes, $what) = @_;
  my ($error) = transact($s, genl_message($nl80211, $command, attribute(NL80211_ATTR_IFINDEX, pack('L', ifindex($dev))) . $attributes));
  die "$what: error $error\n" if $error;
  return;
}

# A MAC address aa:bb:cc:dd:ee:ff as its six bytes.
sub mac_bytes { return pack('C6', map { hex } split /:/, $_[0]) }

# How many of the stations of a GET_STATION dump's replies carry data for an interface of KIND (pure).
sub peers_in {
  my ($kind, @replies) = @_;
  my $n = 0;
  for my $reply (@replies) {
    my $info = reply_attributes($reply)->{ NL80211_ATTR_STA_INFO() };
    next unless defined $info;
    my $sta = attributes($info);
    if ($kind eq 'mesh') {
      my $plink = $sta->{ NL80211_STA_INFO_PLINK_STATE() };
      $n++ if defined $plink && unpack('C', $plink) == NL80211_PLINK_ESTAB;
    } elsif ($kind eq 'sta') {
      # struct nl80211_sta_flag_update: mask, set.
      my $flags = $sta->{ NL80211_STA_INFO_STA_FLAGS() };
      next unless defined $flags && length $flags >= 8;
      my ($mask, $set) = unpack('LL', $flags);
      my $bit = 1 << NL80211_STA_FLAG_AUTHORIZED;
      $n++ if $mask & $set & $bit;
    } else {
      $n++;
    }
  }
  return $n;
}

# Whether a CONNECT's answer lets the wait go on (pure): 0, a connection started; -EINPROGRESS,
# the SME is making one (measured on 6.1: asked again every 20 ms while the stations associated);
# -EALREADY, the station is connected (cfg80211_connect). Anything else is a refusal the wait would
# not outlast.
sub connect_accepted { my ($error) = @_; return $error == 0 || $error == -EINPROGRESS || $error == -EALREADY }

# The request that connects DEV to the open network SSID on FREQ, and what the kernel said.
sub connect_station {
  my ($s, $nl80211, $dev, $freq, $ssid) = @_;
  my ($error) = transact($s, genl_message($nl80211, NL80211_CMD_CONNECT, attribute(NL80211_ATTR_IFINDEX, pack('L', ifindex($dev))) . attribute(NL80211_ATTR_SSID, $ssid) . attribute(NL80211_ATTR_WIPHY_FREQ, pack('L', $freq))));
  die "$dev connecting to $ssid: error $error\n" unless connect_accepted($error);
  return $error;
}

# Waits until DEV has WANT peers that carry data, or dies after SECONDS saying how many it saw.
# RECONNECT, for a station `connect` joined: asked again every RECONNECT_S until it is authorized.
sub await_peers {
  my ($s, $nl80211, $dev, $kind, $want, $seconds, $reconnect) = @_;
  my $index = ifindex($dev);
  my $polls = int($seconds / POLL_S) + 1;
  my $every = int(RECONNECT_S / POLL_S);
  my ($n, $asked) = (0, 0);
  for my $poll (1 .. $polls) {
    my ($error, @replies) = transact($s, genl_message($nl80211, NL80211_CMD_GET_STATION, attribute(NL80211_ATTR_IFINDEX, pack('L', $index)), NLM_F_DUMP));
    die "$dev: station dump: error $error\n" if $error;
    $n = peers_in($kind, @replies);
    return if $n >= $want;
    if ($reconnect && $poll % $every == 0) { $reconnect->(); $asked++ }
    select(undef, undef, undef, POLL_S);
  }
  die "$dev: $n of $want peer(s) after $seconds s ($kind" . ($reconnect ? ", connect asked again $asked times" : '') . ")\n";
}

# Files `config` made, removed when the program ends (whichever way).
my @configs;

# TEXT in a new file of its own; its path.
sub write_config {
  my ($text) = @_;
  my $dir = $ENV{TMPDIR} || '/tmp';
  for my $try (1 .. 100) {
    my $path = sprintf('%s/lab-wireless-%d-%d-%d.conf', $dir, $$, scalar(@configs), int(rand(1e9)));
    # O_EXCL: never a file or link that was there.
    sysopen(my $f, $path, O_WRONLY | O_CREAT | O_EXCL, CONFIG_MODE) or next;
    push @configs, $path;
    defined syswrite($f, $text) or die "$path: $!\n";
    close $f or die "$path: $!\n";
    return $path;
  }
  die "no config file could be made in $dir: $!\n";
}

# WORDS, waited for; `{}` is the last config's path.
sub run_command {
  my (@words) = @_;
  my $config = $configs[-1];
  @words = map { $_ eq '{}' && defined $config ? $config : $_ } @words;
  my $pid = fork;
  die "fork: $!\n" unless defined $pid;
  if (!$pid) {
    { no warnings 'exec'; exec { $words[0] } @words; }
    print STDERR "$words[0]: $!\n";
    exit 127;
  }
  waitpid($pid, 0);
  die "$words[0] exited with " . ($? >> 8) . ($? & 127 ? " (signal " . ($? & 127) . ")" : '') . "\n" if $?;
  return;
}

# The steps and their words after the name (pure); dies naming the first malformed one.
my %ARITY = (radio => 4, netns => 1, name => 2, up => 1, listen => 2, mesh => 3, ibss => 4, connect => 3, config => 1, await => 4);
sub parse_steps {
  my @words = @_;
  my @steps;
  while (@words) {
    my $name = shift @words;
    my $arity = $name eq 'run' ? (shift(@words) // '') : $ARITY{$name};
    die "unknown step '$name'\n" unless defined $arity;
    die "step $name: bad word count '$arity'\n" unless $arity =~ /^\d+$/ && $arity > 0;
    die "step $name needs $arity word(s)\n" if @words < $arity;
    push @steps, [$name, splice(@words, 0, $arity)];
  }
  return @steps;
}

sub main {
  my @words = @_;
  my ($s, $hwsim, $nl80211);
  # Stations `connect` joined, by where they are and name: how to ask again (see RECONNECT_S).
  my %reconnect;
  # Where the steps run, for the messages, once a `netns` step moved them.
  my $where = '';
  my $nl = sub {
    $nl80211 //= family_id($s, 'nl80211') // die "this kernel has no nl80211 netlink family (cfg80211)\n";
    return $nl80211;
  };
  eval {
    my @steps = parse_steps(@words);
    $s = netlink_socket();
    for my $step (@steps) {
      my ($name, @w) = @$step;
      if ($name eq 'radio') {
        my ($phy, $dev, $iftype, $netns) = @w;
        $hwsim //= family_id($s, 'MAC80211_HWSIM') // die "this kernel has no MAC80211_HWSIM netlink family (mac80211_hwsim is not loaded)\n";
        my $wiphy = new_radio($s, $hwsim, $phy);
        new_interface($s, $nl->(), $phy, $wiphy, $dev, $iftype);
        move_radio($s, $nl->(), $phy, $wiphy, $netns) if $netns ne '';
      } elsif ($name eq 'netns') {
        enter_netns($w[0]);
        $where = " (in $w[0])";
        # A netlink socket talks to the namespace it was made in (and hwsim's medium is that of
        # the namespace a radio is created from).
        $s = netlink_socket();
      } elsif ($name eq 'name') {
        link_rename(@w);
      } elsif ($name eq 'up') {
        link_up($w[0]);
      } elsif ($name eq 'listen') {
        my ($dev, $freq) = @w;
        link_up($dev);
        on_interface($s, $nl->(), NL80211_CMD_SET_WIPHY, $dev, attribute(NL80211_ATTR_WIPHY_FREQ, pack('L', $freq)), "$dev on $freq MHz");
      } elsif ($name eq 'mesh') {
        my ($dev, $freq, $id) = @w;
        on_interface($s, $nl->(), NL80211_CMD_JOIN_MESH, $dev, attribute(NL80211_ATTR_MESH_ID, $id) . attribute(NL80211_ATTR_WIPHY_FREQ, pack('L', $freq)) . attribute(NL80211_ATTR_BEACON_INTERVAL, pack('L', MESH_BEACON_TU)), "$dev joining mesh $id");
      } elsif ($name eq 'ibss') {
        my ($dev, $freq, $ssid, $bssid) = @w;
        my $attributes = attribute(NL80211_ATTR_SSID, $ssid) . attribute(NL80211_ATTR_WIPHY_FREQ, pack('L', $freq)) . attribute(NL80211_ATTR_FREQ_FIXED, '') . attribute(NL80211_ATTR_MAC, mac_bytes($bssid));
        on_interface($s, $nl->(), NL80211_CMD_JOIN_IBSS, $dev, $attributes, "$dev joining IBSS $ssid");
      } elsif ($name eq 'connect') {
        my ($dev, $freq, $ssid) = @w;
        connect_station($s, $nl->(), $dev, $freq, $ssid);
        # The socket of this namespace: an `await` here asks again through it.
        my $here = $s;
        $reconnect{"$where/$dev"} = sub { connect_station($here, $nl80211, $dev, $freq, $ssid) };
      } elsif ($name eq 'config') {
        write_config($w[0]);
      } elsif ($name eq 'run') {
        run_command(@w);
      } elsif ($name eq 'await') {
        eval { await_peers($s, $nl->(), @w[0 .. 3], $reconnect{"$where/$w[0]"}); 1 } or do { (my $e = $@) =~ s/\n\z//; die "$e$where\n" };
      }
    }
  };
  my $failed = $@;
  unlink @configs;
  return unless $failed;
  # 255 whatever the failure left in $? or $! (a command's exit code would be mistaken for ours).
  print STDERR $failed;
  exit 255;
}

# Loaded by `do` (the unit tests of its netlink code and steps), it only defines its subs.
main(@ARGV) unless caller;
