import t from 'tap';
import { acceptLocal, acceptLocalParams } from '../../../src/recipes/accept-local.js';
import { renderRecipe, shellCommand } from '../../../src/recipes/render.js';
import type { RecipeContext } from '../../../src/types/recipe.js';
import type { AddressAssignment } from '../../../src/types/scenario.js';

const addr = (node: string, dev: string, cidr: string): AddressAssignment => {
  const [address = '', prefix = '0'] = cidr.split('/');
  return { ref: { node, dev }, cidr, address, prefix: Number(prefix), family: 4 };
};
const laptop: RecipeContext = {
  addressesOf: (node, dev) =>
    [addr('laptop', 'wlan0', '192.0.2.1/24'), addr('laptop', 'wlan1', '192.0.2.2/24')].filter(
      (a) => a.ref.node === node && a.ref.dev === dev,
    ),
};
const params = (p: Record<string, unknown>) => acceptLocalParams.parse({ node: 'laptop', out: 'wlan0', in: 'wlan1', ...p });
const argvs = (p: Record<string, unknown>, ctx = laptop) => acceptLocal.steps(params(p), ctx).ops.map((o) => o.argv.join(' '));

t.test('defaults: one way, accept_local 1, rp_filter 2', async (t) => {
  t.same(params({}), { node: 'laptop', out: 'wlan0', in: 'wlan1', both: false, accept_local: 1, rp_filter: 2 });
});

t.test('one way: route and iif-lo rule, local table moved behind, sysctls on all and both NICs', async (t) => {
  t.same(argvs({}), [
    'ip route add 192.0.2.2/32 dev wlan0 src 192.0.2.1 table 100',
    'ip rule add pref 100 iif lo to 192.0.2.2/32 lookup 100',
    'ip rule add pref 1000 lookup local',
    'ip rule del pref 0 lookup local',
    'sysctl -q -w net.ipv4.conf.all.accept_local=1',
    'sysctl -q -w net.ipv4.conf.wlan0.accept_local=1',
    'sysctl -q -w net.ipv4.conf.wlan1.accept_local=1',
    'sysctl -q -w net.ipv4.conf.all.rp_filter=2',
    'sysctl -q -w net.ipv4.conf.wlan0.rp_filter=2',
    'sysctl -q -w net.ipv4.conf.wlan1.rp_filter=2',
  ]);
});

t.test('both: the reverse direction gets its own table and rule, before the local rule moves', async (t) => {
  const ops = argvs({ both: true, accept_local: 0, rp_filter: 1 });
  t.same(ops.slice(0, 6), [
    'ip route add 192.0.2.2/32 dev wlan0 src 192.0.2.1 table 100',
    'ip rule add pref 100 iif lo to 192.0.2.2/32 lookup 100',
    'ip route add 192.0.2.1/32 dev wlan1 src 192.0.2.2 table 101',
    'ip rule add pref 101 iif lo to 192.0.2.1/32 lookup 101',
    'ip rule add pref 1000 lookup local',
    'ip rule del pref 0 lookup local',
  ]);
  t.ok(ops.includes('sysctl -q -w net.ipv4.conf.wlan1.accept_local=0'));
  t.ok(ops.includes('sysctl -q -w net.ipv4.conf.all.rp_filter=1'));
});

t.test('every op runs on the recipe node', async (t) => {
  t.ok(acceptLocal.steps(params({ both: true }), laptop).ops.every((o) => o.node === 'laptop'));
});

t.test('bad parameters are refused by the schema', async (t) => {
  t.notOk(acceptLocalParams.safeParse({ node: 'laptop', out: 'wlan0', in: 'wlan1', rp_filter: 3 }).success);
  t.notOk(acceptLocalParams.safeParse({ node: 'laptop', out: 'wlan0', in: 'wlan1', extra: 1 }).success);
  t.notOk(acceptLocalParams.safeParse({ node: 'laptop', out: 'wlan0' }).success);
});

t.test('check needs the node, both devices, their IPv4 addresses and two different NICs', async (t) => {
  const view = {
    hasNode: (n: string) => n === 'laptop',
    hasDevice: (n: string, d: string) => n === 'laptop' && ['wlan0', 'wlan1', 'eth0'].includes(d),
    addressesOf: laptop.addressesOf,
  };
  t.same(acceptLocal.check(params({}), view), []);
  t.same(acceptLocal.check(params({ node: 'pc' }), view), ['node "pc" is not declared']);
  t.same(acceptLocal.check(params({ in: 'wlan9' }), view), ['in: laptop has no device "wlan9"']);
  t.same(acceptLocal.check(params({ in: 'eth0' }), view), ['in: laptop:eth0 has no IPv4 address']);
  t.same(acceptLocal.check(params({ in: 'eth0', in_addr: '192.0.2.9' }), view), []);
  t.same(acceptLocal.check(params({ in: 'wlan0' }), view), ['out and in must be two different NICs']);
});

t.test('without addresses, recipe show derives them on the host with shell variables', async (t) => {
  const steps = acceptLocal.steps(params({}), { addressesOf: () => [] });
  t.same(steps.variables.map((v) => v.name), ['OUT_ADDR', 'IN_ADDR']);
  const text = renderRecipe(acceptLocal, steps);
  t.match(text, /^OUT_ADDR=\$\(ip -4 -o addr show dev wlan0 /m);
  t.match(text, /^ip route add "\$IN_ADDR\/32" dev wlan0 src "\$OUT_ADDR" table 100$/m);
  t.match(text, /^ip rule add pref 100 iif lo to "\$IN_ADDR\/32" lookup 100$/m);
  t.notMatch(text, /ip -n |netns/, 'commands for a real host, not for a lab namespace');
  t.match(text, /# To take it back[^\n]*\n#   sysctl|#   ip rule add pref 0 lookup local/);
});

t.test('shell quoting keeps odd tokens literal', async (t) => {
  t.equal(shellCommand(['echo', 'a b', "it's", '$X']), `echo 'a b' 'it'\\''s' '$X'`);
  t.equal(shellCommand(['echo', '$X/32'], new Set(['X'])), 'echo "$X/32"');
});
