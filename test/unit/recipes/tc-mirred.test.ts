import t from 'tap';
import { renderRecipe } from '../../../src/recipes/render.js';
import { MIRRED, PEDIT, tcMirred, tcMirredParams } from '../../../src/recipes/tc-mirred.js';
import { laptop, laptopView, opLines } from './helpers.js';

const params = (p: Record<string, unknown>) => tcMirredParams.parse({ node: 'laptop', out: 'wlan0', in: 'wlan1', ...p });

t.test('rewrite_mac (default): MACs read on the host, lo egress filter with pedit and mirred', async (t) => {
  t.same(opLines(tcMirred.steps(params({}), laptop).ops), [
    'laptop: tc qdisc add dev lo clsact  [needs the clsact qdisc (CONFIG_NET_SCH_INGRESS)]',
    'laptop: WLAN0_MAC=$(cat /sys/class/net/wlan0/address)',
    'laptop: WLAN1_MAC=$(cat /sys/class/net/wlan1/address)',
    'laptop: tc filter add dev lo egress protocol ip pref 1 u32 match ip src 192.0.2.1/32 match ip dst 192.0.2.2/32 ' +
      'action pedit ex munge eth src set $WLAN0_MAC munge eth dst set $WLAN1_MAC pipe action mirred egress redirect dev wlan0' +
      `  [needs ${PEDIT}]`,
    'laptop: sysctl -q -w net.ipv4.conf.all.accept_local=1',
    'laptop: sysctl -q -w net.ipv4.conf.wlan0.accept_local=1',
    'laptop: sysctl -q -w net.ipv4.conf.wlan1.accept_local=1',
    'laptop: sysctl -q -w net.ipv4.conf.all.rp_filter=2',
    'laptop: sysctl -q -w net.ipv4.conf.wlan0.rp_filter=2',
    'laptop: sysctl -q -w net.ipv4.conf.wlan1.rp_filter=2',
  ]);
});

t.test('without rewrite: a plain redirect, needing only u32 and mirred; both adds the reverse filter', async (t) => {
  const lines = opLines(tcMirred.steps(params({ rewrite_mac: false, both: true }), laptop).ops);
  t.same(lines.slice(0, 3), [
    'laptop: tc qdisc add dev lo clsact  [needs the clsact qdisc (CONFIG_NET_SCH_INGRESS)]',
    'laptop: tc filter add dev lo egress protocol ip pref 1 u32 match ip src 192.0.2.1/32 match ip dst 192.0.2.2/32 ' +
      `action mirred egress redirect dev wlan0  [needs ${MIRRED}]`,
    'laptop: tc filter add dev lo egress protocol ip pref 2 u32 match ip src 192.0.2.2/32 match ip dst 192.0.2.1/32 ' +
      `action mirred egress redirect dev wlan1  [needs ${MIRRED}]`,
  ]);
  t.notOk(lines.some((l) => l.includes('_MAC')));
});

t.test('the redirect is data for the path: lo to the sending NIC (and to the receiving one with both)', async (t) => {
  t.same(tcMirred.steps(params({}), laptop).topology?.redirects, [{ node: 'laptop', from: 'lo', to: 'wlan0' }]);
  t.same(tcMirred.steps(params({ both: true }), laptop).topology?.redirects?.map((r) => r.to), ['wlan0', 'wlan1']);
});

t.test('check wants two addressed NICs', async (t) => {
  t.same(tcMirred.check(params({}), laptopView), []);
  t.same(tcMirred.check(params({ in: 'wlan0' }), laptopView), ['out and in must be two different NICs']);
});

t.test('recipe show reads the MACs into shell variables and quotes their use', async (t) => {
  const text = renderRecipe(tcMirred, tcMirred.steps(params({}), { addressesOf: () => [] }));
  t.match(text, /^WLAN1_MAC=\$\(cat \/sys\/class\/net\/wlan1\/address\)$/m);
  t.match(text, /munge eth dst set "\$WLAN1_MAC" pipe action mirred egress redirect dev wlan0$/m);
  t.match(text, /needs the tc pedit action/);
  t.match(text, /#   tc filter del dev lo egress pref 1\n#   tc qdisc del dev lo clsact/);
});
