import t from 'tap';
import { hopQueries, lastReceived, parseCoveringRoutes, reachedNode } from '../../../src/probes/hop-evidence.js';
import { hopSysctlKeys } from '../../../src/probes/hops.js';

const leg = (path: string[], rx: string[]) => ({
  path,
  devices: Object.fromEntries(path.map((k) => [k, { tx: rx.includes(k) ? 0 : 1, rx: rx.includes(k) ? 1 : 0 }])),
});

t.test('covering routes: most specific first, the local table left out (recorded from r)', async (t) => {
  // `ip -j route show table all match 203.0.113.5` on r, with a table-100 route and an unreachable /25.
  const json = '[{"dst":"203.0.113.0/24","gateway":"198.51.100.2","dev":"eth1","table":"100","flags":[]},' +
    '{"type":"unreachable","dst":"203.0.113.0/25","flags":[]},{"type":"local","dst":"203.0.113.5","table":"local","dev":"lo"},' +
    '{"dst":"default","gateway":"192.0.2.254","dev":"eth0","flags":[]}]';
  t.same(parseCoveringRoutes(json), [
    { type: 'unreachable', dst: '203.0.113.0/25', table: 'main' },
    { type: 'unicast', dst: '203.0.113.0/24', table: '100', dev: 'eth1', gateway: '198.51.100.2' },
    { type: 'unicast', dst: 'default', table: 'main', dev: 'eth0', gateway: '192.0.2.254' },
  ]);
  t.same(parseCoveringRoutes(''), []);
  t.same(parseCoveringRoutes('not json'), [], 'an unreadable answer is no routes, not a crash');
});

t.test('where a leg stopped', async (t) => {
  const stopped = leg(['h1:eth0', 'r:eth0'], ['r:eth0']);
  t.same(lastReceived(stopped), { node: 'r', dev: 'eth0' });
  t.same(lastReceived(leg(['h1:eth0'], [])), undefined, 'sent and never received: nowhere');
  t.equal(reachedNode(stopped, 'r'), true);
  t.equal(reachedNode(stopped, 'h1'), false, 'sending is not reaching');
});

t.test('hop queries: the router that kept the request, the node that kept the reply', async (t) => {
  const icmp = { kind: 'icmp', family: 4 as const, from: { node: 'h1', address: '192.0.2.1' }, to: { address: '198.51.100.2' } };
  const atRouter = hopQueries(icmp, [leg(['h1:eth0', 'r:eth0'], ['r:eth0']), leg([], [])], 'h2');
  t.same(atRouter, [{ leg: 'request', node: 'r', iif: 'eth0', dst: '198.51.100.2', src: '192.0.2.1', family: 4 }]);

  const there = leg(['h1:eth0', 'r:eth0', 'r:eth1', 'h2:eth0'], ['r:eth0', 'h2:eth0']);
  t.same(hopQueries(icmp, [there, leg([], [])], 'h2'), [
    { leg: 'reply', dst: '192.0.2.1', src: '198.51.100.2', family: 4, node: 'h2' },
  ], 'a reply never sent: the destination\'s output decision');
  t.same(hopQueries(icmp, [there, leg(['h2:eth1', 'r2:eth1'], ['r2:eth1'])], 'h2'), [
    { leg: 'reply', dst: '192.0.2.1', src: '198.51.100.2', family: 4, node: 'r2', iif: 'eth1' },
  ], 'a reply kept by a router: its input decision');
  t.same(hopQueries(icmp, [there, leg(['h2:eth0', 'r:eth1', 'r:eth0', 'h1:eth0'], ['r:eth1', 'h1:eth0'])], 'h2'), [], 'a reply that got back: nothing to ask');
  t.same(hopQueries({ ...icmp, kind: 'udp' }, [there], 'h2'), [], 'udp: no reply');
  t.same(hopQueries(icmp, [leg(['h1:lo'], ['h1:lo']), leg([], [])], 'h1'), [], 'through lo: no hop');
  const switched = leg(['h1:eth0', 'sw:p0'], ['sw:p0']);
  t.same(hopQueries(icmp, [switched, leg([], [])], 'h2', new Set(['sw:p0', 'sw:p1'])), [], 'stopped in a bridge: switched, not routed');
  t.same(hopQueries(icmp, [switched, leg([], [])], 'h2').map((q) => q.node), ['sw'], 'control: the same port, not a bridge port, is a router\'s');
});

t.test('the sysctls read at a hop', async (t) => {
  t.same(hopSysctlKeys(4, 'eth0'), ['net.ipv4.conf.eth0.forwarding', 'net.ipv4.conf.all.rp_filter', 'net.ipv4.conf.eth0.rp_filter']);
  t.same(hopSysctlKeys(6, 'eth0'), ['net.ipv6.conf.all.forwarding']);
});
