import t from 'tap';
import { acceptLocalV6, acceptLocalV6Params } from '../../../src/recipes/accept-local-v6.js';
import { renderRecipe } from '../../../src/recipes/render.js';
import { laptop, laptopView, opLines } from './helpers.js';

const params = (p: Record<string, unknown>) => acceptLocalV6Params.parse({ node: 'laptop', out: 'wlan0', in: 'wlan1', ...p });

t.test('one way: ip -6 route and iif-lo rule, the local rule moved behind them, and no sysctl', async (t) => {
  const steps = acceptLocalV6.steps(params({}), laptop);
  t.same(opLines(steps.ops), [
    'laptop: ip -6 route add 2001:db8::2/128 dev wlan0 src 2001:db8::1 table 100',
    'laptop: ip -6 rule add pref 100 iif lo to 2001:db8::2/128 lookup 100',
    'laptop: ip -6 rule add pref 1000 lookup local',
    'laptop: ip -6 rule del pref 0 lookup local',
  ]);
  t.same(steps.variables, []);
  t.notOk(steps.ops.some((o) => o.argv[0] === 'sysctl'), 'IPv6 has no accept_local or rp_filter');
});

t.test('both: the reverse direction has its own table before the local rule moves', async (t) => {
  t.same(opLines(acceptLocalV6.steps(params({ both: true }), laptop).ops).slice(2, 4), [
    'laptop: ip -6 route add 2001:db8::1/128 dev wlan1 src 2001:db8::2 table 101',
    'laptop: ip -6 rule add pref 101 iif lo to 2001:db8::1/128 lookup 101',
  ]);
});

t.test('every op has an undo, and the undo of the rule move puts pref 0 back', async (t) => {
  const ops = acceptLocalV6.steps(params({ both: true }), laptop).ops;
  t.ok(ops.every((o) => o.undo && o.why));
  t.same(ops.at(-1)?.undo, ['ip', '-6', 'rule', 'add', 'pref', '0', 'lookup', 'local']);
});

t.test('IPv6 addresses only: an IPv4 address is refused, a NIC without IPv6 is a problem', async (t) => {
  t.notOk(acceptLocalV6Params.safeParse({ node: 'laptop', out: 'wlan0', in: 'wlan1', in_addr: '192.0.2.2' }).success);
  t.same(acceptLocalV6.check(params({}), laptopView), []);
  t.same(acceptLocalV6.check(params({ in: 'eth0' }), laptopView), ['in: laptop:eth0 has no IPv6 address']);
  t.same(acceptLocalV6.check(params({ in: 'wlan0' }), laptopView), ['out and in must be two different NICs']);
});

t.test('recipe show derives global IPv6 addresses on the host', async (t) => {
  const text = renderRecipe(acceptLocalV6, acceptLocalV6.steps(params({}), { addressesOf: () => [] }));
  t.match(text, /^IN_ADDR6=\$\(ip -6 -o addr show dev wlan1 scope global /m);
  t.match(text, /^ip -6 route add "\$IN_ADDR6\/128" dev wlan0 src "\$OUT_ADDR6" table 100$/m);
});
