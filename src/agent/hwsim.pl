# mac80211_hwsim radios over generic netlink, for the wireless links of netns-lab
# (src/plan/wireless.ts says why radios are made this way; docs/agent-protocol.md how this file
# reaches lab).
#
#   perl -e PROGRAM_TEXT PHY DEV IFTYPE NETNS [PHY DEV IFTYPE NETNS]...
#
# For each quadruple: a radio named PHY in the caller's namespace (HWSIM_CMD_NEW_RADIO, without
# interfaces), an interface DEV of nl80211 type IFTYPE on it (NL80211_CMD_NEW_INTERFACE), and the
# radio with its interface moved into /run/netns/NETNS (NL80211_CMD_SET_WIPHY_NETNS) unless NETNS
# is empty. One process for all radios of a link: under TCG every process start costs 0.2-1 s.
# Exit 0 when all are made; otherwise 255 and what failed on stderr (die).
#
# iw cannot create hwsim radios and Node cannot open netlink sockets; perl can, with core perl
# only (perl-base is Essential on Debian).
use strict;
use warnings;

# include/linux/socket.h and include/linux/net.h
sub AF_NETLINK () { 16 }
sub SOCK_RAW () { 3 }
# include/uapi/linux/netlink.h
sub NETLINK_GENERIC () { 16 }
sub NLM_F_REQUEST () { 0x1 }
sub NLM_F_ACK () { 0x4 }
sub NLMSG_ERROR () { 0x2 }
sub NLMSG_HDRLEN () { 16 }
sub NLA_HDRLEN () { 4 }
sub NLA_ALIGNTO () { 4 }
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
# include/uapi/linux/nl80211.h (enum nl80211_commands, enum nl80211_attrs)
sub NL80211_CMD_NEW_INTERFACE () { 7 }
sub NL80211_CMD_SET_WIPHY_NETNS () { 49 }
sub NL80211_ATTR_WIPHY () { 1 }
sub NL80211_ATTR_IFNAME () { 4 }
sub NL80211_ATTR_IFTYPE () { 5 }
sub NL80211_ATTR_NETNS_FD () { 219 }
# The generic netlink version lab speaks to both families.
sub GENL_VERSION () { 1 }
# The largest reply read at once.
sub RECV_BUFFER () { 1 << 20 }

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

# The attributes of a message body, type => data (the last of each type).
sub attributes {
  my ($body) = @_;
  my %found;
  while (length $body >= NLA_HDRLEN) {
    my ($length, $type) = unpack('SS', $body);
    last if $length < NLA_HDRLEN;
    $found{$type} = substr($body, NLA_HDRLEN, $length - NLA_HDRLEN);
    $body = substr($body, ($length + NLA_ALIGNTO - 1) & ~(NLA_ALIGNTO - 1));
  }
  return \%found;
}

# struct nlmsghdr + struct genlmsghdr + attributes: a request that asks for an acknowledgement.
sub genl_message {
  my ($family, $command, $attributes) = @_;
  my $body = pack('CCS', $command, GENL_VERSION, 0) . $attributes;
  return pack('LSSLL', NLMSG_HDRLEN + length $body, $family, NLM_F_REQUEST | NLM_F_ACK, ++$sequence, 0) . $body;
}

# Sends a request; the kernel's error (0 or -errno, from the acknowledgement) and the messages
# that came before it.
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
      push @replies, $reply;
    }
  }
}

# The id of generic netlink family NAME, or undef when the kernel has no such family.
sub family_id {
  my ($s, $name) = @_;
  my ($error, @replies) = transact($s, genl_message(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, attribute(CTRL_ATTR_FAMILY_NAME, "$name\0")));
  return undef if $error || !@replies;
  my $id = attributes(substr($replies[0], NLMSG_HDRLEN + GENL_HDRLEN))->{ CTRL_ATTR_FAMILY_ID() };
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

sub main {
  my @quadruples = @_;
  my $s = netlink_socket();
  my $hwsim = family_id($s, 'MAC80211_HWSIM');
  die "this kernel has no MAC80211_HWSIM netlink family (mac80211_hwsim is not loaded)\n" unless defined $hwsim;
  my $nl80211 = family_id($s, 'nl80211');
  die "this kernel has no nl80211 netlink family (cfg80211)\n" unless defined $nl80211;
  while (@quadruples >= 4) {
    my ($phy, $dev, $iftype, $netns) = splice(@quadruples, 0, 4);
    my $wiphy = new_radio($s, $hwsim, $phy);
    new_interface($s, $nl80211, $phy, $wiphy, $dev, $iftype);
    move_radio($s, $nl80211, $phy, $wiphy, $netns) if $netns ne '';
  }
  return;
}

# Loaded by `do` (the unit test of its netlink code), it only defines its subs.
main(@ARGV) unless caller;
