// The observer's script as one line for `nft -i` (scriptLine in src/plan/observer.ts). That nft
// takes the line and lists the same table as `nft -f` of the script is checked on the real nft in
// test/integration/observer-session.test.ts (by hand first: the seed case's laptop script, with
// its devices renamed to lo, written to `nft -j -i` in h-nftline-1, then `list table`).
import t from 'tap';
import { isListAnswer, OBSERVER_LIST_LINE, OBSERVER_READ_ARGV, observerRuleset, scriptLine } from '../../../src/plan/observer.js';

const rules = [
  { id: 'p0:datagram', match: 'meta l4proto udp udp dport 47000' },
  { id: 'arp:request', match: 'meta protocol arp arp operation request' },
];

t.test('a script becomes one line: statements joined by `;`, none after an opening brace', async (t) => {
  const line = scriptLine(observerRuleset(['lo', 'eth0'], rules));
  t.equal(line.split('\n').length, 2, 'one line, ended by its newline');
  t.ok(line.endsWith('\n'));
  t.match(line, /^table netdev netns_lab_observe \{ chain rx0 \{ type filter hook ingress device "lo" priority -500; policy accept; meta l4proto udp udp dport 47000 counter comment "p0:datagram"; meta protocol arp arp operation request counter comment "arp:request"; \}; chain tx0 \{ /);
  t.notMatch(line, /;\s*;/, 'no empty statement (the script\'s own trailing `;` is not doubled)');
  t.notMatch(line, /\{\s*;/, 'nothing between a brace and the first statement');
  t.match(line, /\}; \}\n$/, 'the last chain closes, then the table');
  // Every statement of the script is in the line, in order.
  const statements = observerRuleset(['lo', 'eth0'], rules).split('\n').map((l) => l.trim().replace(/;$/, '')).filter(Boolean);
  let at = 0;
  for (const s of statements) {
    const found = line.indexOf(s, at);
    t.ok(found >= at, `in order: ${s}`);
    at = found + s.length;
  }
});

t.test('a one-line script and empty lines', async (t) => {
  t.equal(scriptLine('add table netdev x\n'), 'add table netdev x\n');
  t.equal(scriptLine('\n  add table netdev x;\n\n  add table netdev y\n'), 'add table netdev x; add table netdev y\n');
});

t.test('the session reads with the one-shot listing\'s own command', async (t) => {
  t.equal(OBSERVER_LIST_LINE, `${OBSERVER_READ_ARGV.slice(2).join(' ')}\n`);
  t.equal(OBSERVER_LIST_LINE, 'list table netdev netns_lab_observe\n');
  t.ok(isListAnswer('{"nftables": [{"metainfo": {}}]}'));
  t.notOk(isListAnswer('Error: No such file or directory'), 'a complaint is no answer');
});
