import t from 'tap';
import { counterDeltas, describeRoute, parseLinkMacs, parseNeigh, parseRouteGet, parseSysMacs, splitJsonBatch } from '../../../src/probes/evidence.js';

t.test('MACs of a node: from /sys files (the agent) and from ip -j link show, the same map', async (t) => {
  const devs = ['lo', 'wlan0', 'wlan1', 'mon0'];
  const texts = ['00:00:00:00:00:00\n', '772\n', '02:00:00:00:00:01\n', '1\n', '02:00:00:00:00:02\n', '1\n', '02:00:00:00:00:03\n', '803\n'];
  const fromSys = parseSysMacs(devs, texts);
  t.same([...fromSys], [
    ['02:00:00:00:00:01', 'wlan0'],
    ['02:00:00:00:00:02', 'wlan1'],
  ], 'loopback and a monitor radio (not Ethernet) are left out');
  const json = JSON.stringify([
    { ifname: 'lo', address: '00:00:00:00:00:00', link_type: 'loopback' },
    { ifname: 'wlan0', address: '02:00:00:00:00:01', link_type: 'ether' },
    { ifname: 'wlan1', address: '02:00:00:00:00:02', link_type: 'ether' },
  ]);
  t.same([...parseLinkMacs(json)], [...fromSys]);
  t.same([...parseSysMacs(['gone'], ['', ''])], [], 'a device without files (deleted) has no MAC');
});

t.test('route decisions and refusals', async (t) => {
  const ok = parseRouteGet(0, '[{"type":"local","dst":"192.0.2.2","from":"192.0.2.1","dev":"lo","table":"local"}]', '');
  t.same(ok, { ok: true, type: 'local', dev: 'lo', table: 'local', src: '192.0.2.1' });
  t.equal(describeRoute(ok), 'local dev lo table local src 192.0.2.1');
  const no = parseRouteGet(2, '', 'RTNETLINK answers: Network is unreachable\n');
  t.same(no, { ok: false, error: 'Network is unreachable' });
  t.equal(describeRoute(no), 'refused: Network is unreachable');
  // Hand (kernel 6.18, ip 6.1): `ip route add 203.0.113.0/24 via inet6 2001:db8:1::2`, then
  // `ip -j route get 203.0.113.1 from 198.51.100.1` prints the gateway as "via", not "gateway".
  const v6gw = parseRouteGet(0, '[{"dst":"203.0.113.1","from":"198.51.100.1","via":{"family":"inet6","host":"2001:db8:1::2"},"dev":"eth0","flags":[],"uid":0,"cache":[]}]', '');
  t.same(v6gw, { ok: true, type: 'unicast', dev: 'eth0', table: 'main', src: '198.51.100.1', gateway: '2001:db8:1::2' }, 'an IPv6 gateway of an IPv4 route');
  t.equal(describeRoute(v6gw), 'dev eth0 table main src 198.51.100.1 via 2001:db8:1::2');
});

t.test('neighbour entries of the probed address only; counters that moved, without IPv6 chatter', async (t) => {
  const json = JSON.stringify([
    { dst: '192.0.2.2', dev: 'wlan0', state: ['FAILED'] },
    { dst: '192.0.2.9', dev: 'wlan0', lladdr: '02:00:00:00:00:09', state: ['REACHABLE'] },
  ]);
  t.same(parseNeigh('laptop', json, '192.0.2.2'), [{ node: 'laptop', dev: 'wlan0', address: '192.0.2.2', state: 'FAILED' }]);
  t.same(counterDeltas({ IpInReceives: 3, Ip6InReceives: 1, IpExtInOctets: 10 }, { IpInReceives: 4, Ip6InReceives: 5, IpExtInOctets: 99, UdpNoPorts: 1 }), {
    IpInReceives: 1,
    UdpNoPorts: 1,
  });
});

t.test('the answers of one ip -j -force -batch, each as if its command had run alone', async (t) => {
  // What ip 6.1 printed for: neigh show, a route, an unreachable route, a route.
  const stdout = '[]\n[{"type":"local","dst":"192.0.2.2","from":"192.0.2.1","dev":"lo"}]\n[{"type":"local","dst":"192.0.2.3","dev":"lo"}]\n';
  const stderr = 'RTNETLINK answers: Network is unreachable\nCommand failed -:3\n';
  const [neigh, first, refused, last] = splitJsonBatch(4, stdout, stderr);
  t.same(neigh, { exitCode: 0, stdout: '[]\n', stderr: '' });
  t.equal(parseRouteGet(first!.exitCode, first!.stdout, first!.stderr).ok, true);
  t.same(parseRouteGet(refused!.exitCode, refused!.stdout, refused!.stderr), { ok: false, error: 'Network is unreachable' });
  t.match(last, { exitCode: 0, stdout: /192\.0\.2\.3/ }, 'the line after a failure belongs to the next command');
  // The batch itself did not run (its agent ended): every command says why.
  t.same(splitJsonBatch(2, '', 'the namespace agent ended'), [
    { exitCode: 1, stdout: '', stderr: 'the namespace agent ended' },
    { exitCode: 1, stdout: '', stderr: 'the namespace agent ended' },
  ]);
});
