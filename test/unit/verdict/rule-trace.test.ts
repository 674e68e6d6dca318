// Which rule led to the deciding table. The rule list is `ip -j rule show` of a namespace with
// these rules, recorded by hand on kernel 6.18 (iproute2 6.1):
//   ip rule add pref 100 from 192.0.2.0/24 lookup 100; pref 120 fwmark 0x1/0xff lookup 200;
//   pref 140 ipproto udp sport 1000-2000 dport 53 lookup 400; pref 160 not from 198.51.100.0/24
//   prohibit; pref 170 to 203.0.113.0/24 goto 32766; pref 180 lookup main suppress_prefixlength 0;
//   pref 190 iif lo oif lo lookup 100
import t from 'tap';
import type { FibLookup } from '../../../src/types/observation.js';
import { parseRules } from '../../../src/probes/rule-list.js';
import { lookupEvidence } from '../../../src/verdict/route.js';
import { describeRules, rulesLeadingTo } from '../../../src/verdict/rule-trace.js';

const JSON_RULES = '[{"priority":0,"src":"all","table":"local"},{"priority":100,"src":"192.0.2.0","srclen":24,"table":"100"},' +
  '{"priority":120,"src":"all","fwmark":"0x1","fwmask":"0xff","table":"200"},' +
  '{"priority":140,"src":"all","ipproto":"udp","sport_start":1000,"sport_end":2000,"dport":53,"table":"400"},' +
  '{"priority":160,"not":null,"src":"198.51.100.0","srclen":24,"action":"prohibit"},' +
  '{"priority":170,"src":"all","dst":"203.0.113.0","dstlen":24,"goto":32766},' +
  '{"priority":180,"src":"all","table":"main","suppress_prefixlen":0},' +
  '{"priority":190,"src":"all","iif":"lo","oif":"lo","table":"100"},' +
  '{"priority":32766,"src":"all","table":"main"},{"priority":32767,"src":"all","table":"default"}]';

const lookup = (table: number, err: number, dev = '-'): FibLookup =>
  ({ comm: 'perl', table, oif: 0, iif: 1, proto: 17, src: '192.0.2.1', sport: 5000, dst: '198.51.100.2', dport: 9, tos: 0, dev, err });

t.test('ip -j rule show reads back as ip rule show prints it', async (t) => {
  const rules = parseRules(JSON_RULES);
  t.same(rules.map((r) => `${r.pref}: ${r.text}`), [
    '0: from all lookup local',
    '100: from 192.0.2.0/24 lookup 100',
    '120: from all fwmark 0x1/0xff lookup 200',
    '140: from all ipproto udp sport 1000-2000 dport 53 lookup 400',
    '160: not from 198.51.100.0/24 prohibit',
    '170: from all to 203.0.113.0/24 goto 32766',
    '180: from all lookup main suppress_prefixlength 0',
    '190: from all iif lo oif lo lookup 100',
    '32766: from all lookup main',
    '32767: from all lookup default',
  ]);
  t.same(parseRules('not json'), []);
});

t.test('the rule that led to the deciding table', async (t) => {
  const rules = parseRules(JSON_RULES);
  // local said "go on", table 200 answered: only rule 120 looks up 200.
  const byMark = rulesLeadingTo(rules, [lookup(255, -11), lookup(200, 0, 'e1')]);
  t.same(byMark.map((r) => r.pref), [120]);
  t.equal(describeRules(byMark), 'rule 120 (from all fwmark 0x1/0xff lookup 200)');
  // local, then table 100 answered: rule 100 or rule 190 (the trace cannot tell them apart).
  t.same(rulesLeadingTo(rules, [lookup(255, -11), lookup(100, 0, 'e1')]).map((r) => r.pref), [100, 190]);
  t.match(describeRules(rulesLeadingTo(rules, [lookup(255, -11), lookup(100, 0, 'e1')])), /^one of rules 100 \(.*\), 190 \(/);
  // main's answer suppressed at 180, then main again at 32766: the second main lookup is rule 32766 only.
  t.same(rulesLeadingTo(rules, [lookup(255, -11), lookup(254, 0, 'e0'), lookup(254, 0, 'e0')]).map((r) => r.pref), [32766]);
  // Known the packet, a rule whose from it is outside of cannot have fired: only rule 190 is left.
  t.same(rulesLeadingTo(rules, [lookup(255, -11), lookup(100, 0, 'e1')], { src: '198.51.100.1', dst: '203.0.113.1' }).map((r) => r.pref), [190]);
  t.same(rulesLeadingTo(rules, [lookup(255, -11), lookup(100, 0, 'e1')], { src: '192.0.2.7', dst: '203.0.113.1' }).map((r) => r.pref), [100, 190]);
  // Negative control: a lookup of a table no rule names is not explained.
  t.same(rulesLeadingTo(rules, [lookup(255, -11), lookup(77, 0, 'e1')]), []);
  t.same(rulesLeadingTo(rules, [lookup(99, -11), lookup(200, 0, 'e1')]), []);
});

t.test('the evidence line names the rule', async (t) => {
  const rules = parseRules(JSON_RULES);
  t.equal(lookupEvidence('a', [lookup(255, -11), lookup(200, 0, 'e1')], rules),
    'fib lookups on a: table local (255) → EAGAIN, table 200 → dev e1; table 200 by rule 120 (from all fwmark 0x1/0xff lookup 200)');
  t.equal(lookupEvidence('a', [lookup(255, -11), lookup(200, 0, 'e1')]),
    'fib lookups on a: table local (255) → EAGAIN, table 200 → dev e1', 'without the rule list, the tables alone');
});
