// Probe attributes on the wire (issue 14 item 3): each attribute is checked by an nft rule that
// drops what does not carry it, on the receiver for header fields (saddr, dscp, sport, flow
// label) and on the sender's output for socket ones (meta mark, meta skuid). Every case has the
// same probes without the attribute as its negative control: they must be the ones dropped.
// Reproduced by hand first (h-probes-1: ping -I e0 -I 192.0.2.5 left by e0 from 192.0.2.5, as
// tcpdump on the peer showed; ping -I alone with a device ignored the address).
import t from 'tap';
import { lab, needsRoot, scenarioFile } from './helpers.js';

const drop = (hook: 'prerouting' | 'output', rule: string): string =>
  `"table inet chk { chain c { type filter hook ${hook} priority -300; policy accept; ${rule} drop; }; }"`;

/** Three probes (udp, icmp, tcp) with `attrs` and the same three without: the controls. */
const probes = (from: string, to: string, port: number, attrs: string, plain = ''): string[] => {
  const target = to.includes(':') ? `"[${to}]:${port}"` : `"${to}:${port}"`;
  const icmpTarget = to.includes(':') ? `"${to}"` : to;
  const line = (kind: string, dest: string, a: string, ok: boolean, name: string) =>
    `      - { name: "${name}", ${kind}: { from: "${from}", to: ${dest}${a ? `, ${a}` : ''} }, expect: { delivered: ${ok} } }`;
  const icmpAttrs = attrs.replace(/,? ?sport: \d+/, '');
  return [
    line('udp', target, attrs, true, 'udp with'),
    line('icmp', icmpTarget, icmpAttrs, true, 'icmp with'),
    line('tcp', target.replace(`${port}`, String(port + 1)), attrs.replace(/sport: (\d+)/, (_, p) => `sport: ${Number(p) + 1}`), true, 'tcp with'),
    line('udp', target.replace(`${port}`, String(port + 2)), plain, false, 'udp without'),
    line('icmp', icmpTarget, plain, false, 'icmp without'),
    line('tcp', target.replace(`${port}`, String(port + 3)), plain, false, 'tcp without'),
  ];
};

const SCENARIO = [
  'name: probe-attributes',
  'nodes: { a: {}, b: {} }',
  'links: [[a:e0, b:e0], [a:e1, b:e1]]',
  'addresses:',
  '  a:e0: [192.0.2.1/24, "2001:db8::1/64"]',
  '  a:e1: [192.0.2.5/24, "2001:db8::5/64"]',
  '  b:e0: [192.0.2.2/24, "2001:db8::2/64"]',
  'cases:',
  '  - name: from with dev sends from that address',
  '    timeout-ms: 500',
  `    nft: { b: ${drop('prerouting', 'ip daddr 192.0.2.2 ip saddr != 192.0.2.5')} }`,
  '    probes:',
  ...probes('a:192.0.2.5', '192.0.2.2', 5000, 'dev: e0', 'dev: e0').map((l, i) => (i >= 3 ? l.replace('a:192.0.2.5', 'a:192.0.2.1') : l)),
  '  - name: tos is the TOS byte',
  '    timeout-ms: 500',
  `    nft: { b: ${drop('prerouting', 'ip daddr 192.0.2.2 ip dscp != 4')} }`,
  '    probes:',
  ...probes('a:192.0.2.1', '192.0.2.2', 5010, 'tos: 0x10'),
  '  - name: dscp is the DSCP',
  '    timeout-ms: 500',
  `    nft: { b: ${drop('prerouting', 'ip daddr 192.0.2.2 ip dscp != 46')} }`,
  '    probes:',
  ...probes('a:192.0.2.1', '192.0.2.2', 5020, 'dscp: 46'),
  '  - name: IPv6 traffic class and flow label',
  '    timeout-ms: 500',
  `    nft: { b: ${drop('prerouting', 'ip6 daddr 2001:db8::2 meta l4proto { udp, tcp, ipv6-icmp } ip6 flowlabel != 0x12345')} }`,
  '    probes:',
  ...probes('a:2001:db8::1', '2001:db8::2', 5030, 'flowlabel: 0x12345'),
  '  - name: sport is the source port',
  '    timeout-ms: 500',
  `    nft: { b: ${drop('prerouting', 'ip daddr 192.0.2.2 meta l4proto { udp, tcp } th sport != { 1500, 1501 }')} }`,
  '    probes:',
  ...probes('a:192.0.2.1', '192.0.2.2', 5040, 'sport: 1500').filter((l) => !l.includes('icmp')),
  '  - name: mark is the socket mark',
  '    timeout-ms: 500',
  `    nft: { a: ${drop('output', 'ip daddr 192.0.2.2 meta mark != 0x7')} }`,
  '    probes:',
  ...probes('a:192.0.2.1', '192.0.2.2', 5050, 'mark: 7'),
  '  - name: uid owns the socket',
  '    timeout-ms: 500',
  `    nft: { a: ${drop('output', 'ip daddr 192.0.2.2 meta skuid != 1000')} }`,
  '    probes:',
  ...probes('a:192.0.2.1', '192.0.2.2', 5060, 'uid: 1000'),
].join('\n');

interface Probe { name: string; delivered: boolean; path: string[]; from: string }

t.test('every probe attribute is on the wire (or on the socket), and only where asked', { skip: needsRoot }, async (t) => {
  const file = scenarioFile(`${SCENARIO}\n`);
  t.comment(file);
  const r = await lab(['run', file, '--format', 'json', '--jobs', '2']);
  const cases = JSON.parse(String(r.stdout)).scenarios[0].cases as { name: string; status: string; error?: string; probes: Probe[] }[];
  t.equal(cases.length, 7);
  for (const c of cases) {
    t.equal(c.status, 'pass', `${c.name} ${c.error ?? ''}`);
    const delivered = c.probes.map((p) => `${p.name}: ${p.delivered}`);
    const kinds = c.name.startsWith('sport') ? ['udp', 'tcp'] : ['udp', 'icmp', 'tcp'];
    t.same(delivered, [...kinds.map((k) => `${k} with: true`), ...kinds.map((k) => `${k} without: false`)], c.name);
  }
  const dev = cases[0]?.probes ?? [];
  for (const p of dev.slice(0, 3)) t.same(p.path, ['a:e0', 'b:e0'], `${p.name}: out of e0, the dev, though 192.0.2.5 is e1's`);
  t.equal(r.exitCode, 0, String(r.stderr));
});

t.test('negative control: a check that expects the attribute where it is not fails', { skip: needsRoot }, async (t) => {
  // The same uid rule, and a probe without uid that expects delivery: lab must report it failed.
  const file = scenarioFile([
    ...SCENARIO.split('\n').slice(0, 8),
    '  - name: no uid, expected delivered',
    '    timeout-ms: 300',
    `    nft: { a: ${drop('output', 'ip daddr 192.0.2.2 meta skuid != 1000')} }`,
    '    probes: [ { udp: { from: a:192.0.2.1, to: "192.0.2.2:5070" }, expect: { delivered: true } } ]',
  ].join('\n'));
  const r = await lab(['run', file, '--format', 'json']);
  t.equal(r.exitCode, 1, 'the expectation failed');
});
