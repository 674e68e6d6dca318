import t from 'tap';
import { arpHygiene, arpHygieneParams } from '../../../src/recipes/arp-hygiene.js';
import { laptop, laptopView, opLines } from './helpers.js';

const params = (p: Record<string, unknown>) => arpHygieneParams.parse({ node: 'laptop', ...p });

t.test('defaults: arp_ignore=1, arp_announce=2 and arp_filter=0 on conf.all', async (t) => {
  t.same(opLines(arpHygiene.steps(params({}), laptop).ops), [
    'laptop: sysctl -q -w net.ipv4.conf.all.arp_ignore=1',
    'laptop: sysctl -q -w net.ipv4.conf.all.arp_announce=2',
    'laptop: sysctl -q -w net.ipv4.conf.all.arp_filter=0',
  ]);
});

t.test('nics adds device-level settings; values follow the parameters', async (t) => {
  const lines = opLines(arpHygiene.steps(params({ nics: ['wlan1'], arp_ignore: 0, arp_filter: 1 }), laptop).ops);
  t.same(lines.filter((l) => l.includes('arp_ignore')), [
    'laptop: sysctl -q -w net.ipv4.conf.all.arp_ignore=0',
    'laptop: sysctl -q -w net.ipv4.conf.wlan1.arp_ignore=0',
  ]);
  t.ok(lines.includes('laptop: sysctl -q -w net.ipv4.conf.wlan1.arp_filter=1'));
});

t.test('only the documented values are accepted', async (t) => {
  t.notOk(arpHygieneParams.safeParse({ node: 'laptop', arp_ignore: 4 }).success);
  t.ok(arpHygieneParams.safeParse({ node: 'laptop', arp_ignore: 8 }).success);
  t.notOk(arpHygieneParams.safeParse({ node: 'laptop', arp_announce: 3 }).success);
});

t.test('check: the node and each named NIC exist', async (t) => {
  t.same(arpHygiene.check(params({ nics: ['wlan0', 'wlan7'] }), laptopView), ['nics: laptop has no device "wlan7"']);
  t.same(arpHygiene.check(params({ node: 'pc' }), laptopView), ['node "pc" is not declared']);
});
