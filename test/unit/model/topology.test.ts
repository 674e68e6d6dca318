// nodes, links, addresses: names, devices defined once, addresses that parse.
import t from 'tap';
import { problem, problemsOf, text, VALID_CASE } from './fixtures/helpers.js';

/** A scenario whose topology is `lines` (from line 2 on) and whose one case is valid if laptop:wlan0 has 192.0.2.1. */
const topology = (...lines: string[]): string => text('name: topo', ...lines, 'cases:', ...VALID_CASE);

t.test('node names are safe for namespace names', async (t) => {
  t.strictSame(problemsOf(topology(
    'nodes:',
    '  laptop: {}',
    '  my laptop: {}',
    '  _hidden: {}',
    '  a-very-long-node: {}',
    'links: [[laptop:wlan0, laptop:wlan1]]',
    'addresses: { laptop:wlan0: 192.0.2.1/24 }',
  )), [
    problem(4, 3, 'nodes.my laptop', 'node name "my laptop" may contain only letters, digits, "_" and "-" and ' +
      'must start with a letter or digit (it becomes part of network namespace and device names)'),
    problem(5, 3, 'nodes._hidden', 'node name "_hidden" may contain only letters, digits, "_" and "-" and ' +
      'must start with a letter or digit (it becomes part of network namespace and device names)'),
    problem(6, 3, 'nodes.a-very-long-node', 'node name "a-very-long-node" has 16 characters; at most 15 are allowed'),
  ]);
});

t.test('device names fit IFNAMSIZ and are not ., .., all or default', async (t) => {
  t.strictSame(problemsOf(topology(
    'nodes: { laptop: {}, ap: { bridge: bridge-number-01 } }',
    'links:',
    '  - [laptop:wlan0, ap:..]',
    '  - [laptop:wlan1, ap:all]',
    '  - [laptop:wlan2, ap:default]',
    '  - [laptop:wlan/3, ap:port3]',
    '  - [laptop, ap:port4]',
    'addresses: { laptop:wlan0: 192.0.2.1/24 }',
  )), [
    problem(2, 36, 'nodes.ap.bridge',
      'device name "bridge-number-01" has 16 characters; Linux allows at most 15 (IFNAMSIZ)'),
    problem(4, 20, 'links.0.1', '".." cannot be a device name'),
    problem(5, 20, 'links.1.1',
      '"all" cannot be a device name: net.ipv4.conf.all holds the settings for every device'),
    problem(6, 20, 'links.2.1',
      '"default" cannot be a device name: net.ipv4.conf.default holds the settings for new devices'),
    problem(7, 6, 'links.3.0',
      'device name "wlan/3" may contain only letters, digits, "_", "." and "-" and must start with a letter or digit'),
    problem(8, 6, 'links.4.0', '"laptop" must name a device as node:device, e.g. laptop:wlan0'),
  ]);
});

t.test('lo exists in every node and can be neither a link end nor a bridge', async (t) => {
  t.strictSame(problemsOf(topology(
    'nodes: { laptop: {}, ap: { bridge: lo } }',
    'links: [[laptop:wlan0, ap:port0], [laptop:lo, ap:port1]]',
    'addresses: { laptop:wlan0: 192.0.2.1/24, laptop:lo: 127.0.0.2/8 }',
  )), [
    problem(2, 36, 'nodes.ap.bridge', 'lo is the loopback device every node already has; it cannot be a bridge'),
    problem(3, 36, 'links.1.0', 'lo is the loopback device every node already has; it cannot be a link end'),
  ]);
});

t.test('a device is defined once; a link joins two different devices; a bridge is not a link end', async (t) => {
  t.strictSame(problemsOf(topology(
    'nodes: { laptop: {}, ap: { bridge: br0 } }',
    'links:',
    '  - [laptop:wlan0, ap:port0]',
    '  - [laptop:wlan0, ap:port1]',
    '  - [ap:port2, ap:port2]',
    '  - [laptop:wlan2, ap:br0]',
    'addresses: { laptop:wlan0: 192.0.2.1/24 }',
  )), [
    problem(5, 6, 'links.1.0', 'laptop:wlan0 is already a link end (links.0.0, line 4); each device is defined once'),
    problem(6, 16, 'links.2.1', "a link's two ends must be different devices (both are ap:port2)"),
    problem(7, 20, 'links.3.1', 'ap:br0 is the bridge of ap; it cannot also be a link end'),
  ]);
});

t.test('link ends and address keys refer to declared nodes and existing devices', async (t) => {
  t.strictSame(problemsOf(topology(
    'nodes: { laptop: {}, ap: { bridge: br0 } }',
    'links: [[laptop:wlan0, ap:port0], [laptop:wlan1, switch:port1]]',
    'addresses:',
    '  laptop:wlan0: 192.0.2.1/24',
    '  laptop:wlan9: 192.0.2.9/24',
    '  router:eth0: 192.0.2.254/24',
    '  ap:br0: 192.0.2.10/24',
    '  ap:lo: 192.0.2.11/32',
  )), [
    problem(3, 50, 'links.1.1', 'node "switch" is not declared (declared nodes: ap, laptop)'),
    problem(6, 3, 'addresses.laptop:wlan9', 'laptop:wlan9 is not a device of laptop (it has: lo, wlan0, wlan1)'),
    problem(7, 3, 'addresses.router:eth0', 'node "router" is not declared (declared nodes: ap, laptop)'),
  ]);
});

t.test('addresses are CIDR with a prefix length that fits the family', async (t) => {
  t.strictSame(problemsOf(topology(
    'nodes: { laptop: {} }',
    'links: [[laptop:wlan0, laptop:wlan1]]',
    'addresses:',
    '  laptop:wlan0: [192.0.2.1/24, 192.0.2.3, 192.0.2.4/33, 192.0.2.5/x]',
    '  laptop:wlan1: [2001:db8::1/129, "2001:db8::2", 2001:db8::zz/64, fe80::1%wlan1/64, 256.0.0.1/8]',
    '  laptop:lo: 7',
  )), [
    problem(5, 32, 'addresses.laptop:wlan0.1', '"192.0.2.3" has no prefix length; write it as 192.0.2.3/24'),
    problem(5, 43, 'addresses.laptop:wlan0.2', '"192.0.2.4/33": the prefix length of an IPv4 address is 0 to 32'),
    problem(5, 57, 'addresses.laptop:wlan0.3', '"192.0.2.5/x": the prefix length of an IPv4 address is 0 to 32'),
    problem(6, 18, 'addresses.laptop:wlan1.0', '"2001:db8::1/129": the prefix length of an IPv6 address is 0 to 128'),
    problem(6, 35, 'addresses.laptop:wlan1.1', '"2001:db8::2" has no prefix length; write it as 2001:db8::2/64'),
    problem(6, 50, 'addresses.laptop:wlan1.2', '"2001:db8::zz" is not an IPv4 or IPv6 address'),
    problem(6, 67, 'addresses.laptop:wlan1.3', '"fe80::1%wlan1": zone indexes (%dev) are not supported'),
    problem(6, 85, 'addresses.laptop:wlan1.4', '"256.0.0.1" is not an IPv4 or IPv6 address'),
    problem(7, 14, 'addresses.laptop:lo',
      'must be an address with prefix length (192.0.2.1/24) or a list of them'),
  ]);
});

t.test('an address is assigned once per node, however it is spelled', async (t) => {
  t.strictSame(problemsOf(topology(
    'nodes: { laptop: {} }',
    'links: [[laptop:wlan0, laptop:wlan1]]',
    'addresses:',
    '  laptop:wlan0: [192.0.2.1/24, 2001:db8::1/64]',
    '  laptop:wlan1: [192.0.2.1/25, 2001:DB8:0:0::1/64]',
  )), [
    problem(6, 18, 'addresses.laptop:wlan1.0',
      '192.0.2.1 is already assigned on laptop (addresses.laptop:wlan0.0, line 5); an address can be assigned only once per node'),
    problem(6, 32, 'addresses.laptop:wlan1.1',
      '2001:DB8:0:0::1 is already assigned on laptop (addresses.laptop:wlan0.1, line 5); an address can be assigned only once per node'),
  ]);
});
