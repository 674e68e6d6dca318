// A generated corpus of malformed scenarios: each entry breaks one thing of a valid base file,
// and names the line the problem is on (when the fault is in one line).

export interface HostileScenario {
  id: string;
  category: Category;
  text: string;
  /** The line a problem must be reported on; undefined when the parser decides (syntax errors). */
  line?: number;
}

export type Category =
  | 'yaml syntax'
  | 'wrong type'
  | 'unknown key'
  | 'bad cidr'
  | 'unsafe name'
  | 'duplicate'
  | 'dangling reference'
  | 'recipe'
  | 'impossible';

/** A valid scenario; every entry of the corpus changes it a little. Line numbers matter. */
export const BASE = [
  /* 1 */ 'name: corpus',
  /* 2 */ 'nodes:',
  /* 3 */ '  laptop: {}',
  /* 4 */ '  ap: { bridge: br0 }',
  /* 5 */ 'links:',
  /* 6 */ '  - [laptop:wlan0, ap:port0]',
  /* 7 */ '  - [laptop:wlan1, ap:port1]',
  /* 8 */ 'addresses:',
  /* 9 */ '  laptop:wlan0: 192.0.2.1/24',
  /* 10 */ '  laptop:wlan1: 192.0.2.2/24',
  /* 11 */ 'cases:',
  /* 12 */ '  - name: over the wire',
  /* 13 */ '    recipe: { accept-local: { node: laptop, out: wlan0, in: wlan1 } }',
  /* 14 */ '    sysctl: { laptop: { net.ipv4.conf.all.rp_filter: 2 } }',
  /* 15 */ '    probes:',
  /* 16 */ '      - udp: { from: laptop:192.0.2.1, to: 192.0.2.2, timeout-ms: 500 }',
  /* 17 */ '    expect: { delivered: true, path: [laptop:wlan0, ap:port0, ap:port1, laptop:wlan1] }',
] as const;

export const baseText = (): string => `${BASE.join('\n')}\n`;

type Lines = string[];
/** Line `n` (1-based) replaced by `lines` (none: deleted). */
const replace = (n: number, ...lines: string[]): Lines => [...BASE.slice(0, n - 1), ...lines, ...BASE.slice(n)];
/** `lines` inserted after line `n`. */
const insertAfter = (n: number, ...lines: string[]): Lines => [...BASE.slice(0, n), ...lines, ...BASE.slice(n)];
const join = (lines: Lines): string => `${lines.join('\n')}\n`;

export const hostileCorpus = (): HostileScenario[] => {
  const corpus: HostileScenario[] = [];
  const add = (category: Category, id: string, lines: Lines | string, line?: number): void => {
    corpus.push({ id: `${category}: ${id}`, category, text: typeof lines === 'string' ? lines : join(lines), ...(line === undefined ? {} : { line }) });
  };

  // --- YAML syntax: the parser's own errors, and documents that are not a mapping at all.
  const syntax: [string, Lines | string][] = [
    ['unclosed flow mapping', replace(3, '  laptop: {')],
    ['unclosed flow sequence', replace(6, '  - [laptop:wlan0, ap:port0')],
    ['tab indentation', replace(3, '\tlaptop: {}')],
    ['unterminated double quote', replace(9, '  laptop:wlan0: "192.0.2.1/24')],
    ['unterminated single quote', replace(1, "name: 'corpus")],
    ['mapping inside a plain scalar', replace(1, 'name: corpus: extra')],
    ['duplicate key', insertAfter(3, '  laptop: {}')],
    ['duplicate key in a flow mapping', replace(3, '  laptop: { bridge: br1, bridge: br2 }')],
    ['a second document', [...BASE, '---', 'name: other']],
    ['undefined alias', replace(9, '  laptop:wlan0: *nowhere')],
    ['misindented key', replace(2, ' nodes:')],
    ['an extra closing brace', replace(16, '      - udp: { from: laptop:192.0.2.1, to: 192.0.2.2 }}')],
    ['empty file', ''],
    ['only a comment', '# nothing here\n'],
    ['a plain scalar document', 'hello\n'],
    ['a list document', '- name: corpus\n- nodes: {}\n'],
    ['binary garbage', '\u0000\u0001\u0002\u0003\u00ff\n'],
    ['a NUL byte inside a value', replace(1, 'name: cor\u0000pus')],
    ['a mapping as a key', ['? { a: 1 }', ': 2', ...BASE]],
    ['a list as a key', replace(3, '  [laptop]: {}')],
    ['trailing comma twice', replace(6, '  - [laptop:wlan0, ap:port0,,]')],
    ['unknown escape in double quotes', replace(1, 'name: "cor\\qpus"')],
    ['unsupported YAML version', ['%YAML 9.9', '---', ...BASE]],
    ['an unknown tag', replace(1, 'name: !custom corpus')],
    ['a stray closing bracket', replace(6, '  - laptop:wlan0, ap:port0]')],
    ['a stray closing brace', replace(3, '  laptop: }')],
    ['block scalar with bad indentation', replace(1, 'name: corpus', 'description: |', 'text', '  more')],
    ['a colon without a key', replace(9, '  : 192.0.2.1/24')],
    ['an extra closing brace after a node', replace(3, '  laptop: {}}')],
    ['alias bomb', [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
      'e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]',
      'f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]',
      ...BASE,
    ]],
    ['deeply nested flow sequences', `name: ${'['.repeat(5000)}${']'.repeat(5000)}\n`],
    ['deeply nested unclosed flow sequences', `name: ${'['.repeat(20000)}\n`],
    ['deeply nested block mappings', `${Array.from({ length: 1500 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n')} x\n`],
    ['deeply nested compact sequences', `${'- '.repeat(100000)}x\n`],
    ['deeply nested flow mappings in a node', replace(3, `  laptop: ${'{a: '.repeat(3000)}1${'}'.repeat(3000)}`)],
    ['deeply nested block sequences', `${Array.from({ length: 1000 }, (_, i) => `${' '.repeat(i * 2)}- `).join('\n')}x\n`],
    ['a one-megabyte node name', replace(3, `  ${'a'.repeat(1 << 20)}: {}`)],
    ['a one-megabyte unterminated string', replace(1, `name: "${'a'.repeat(1 << 20)}`)],
  ];
  for (const [id, lines] of syntax) add('yaml syntax', id, lines);

  // --- Wrong types: one value at a time replaced by a value of another type.
  const wrong = (id: string, n: number, ...lines: string[]): void => add('wrong type', id, replace(n, ...lines), n);
  for (const v of ['42', '[corpus]', '{ a: 1 }', 'true', 'null']) wrong(`name: ${v}`, 1, `name: ${v}`);
  for (const v of ['42', '"nodes"', 'true']) add('wrong type', `nodes: ${v}`, [...replace(2, `nodes: ${v}`).filter((_, i) => i !== 2 && i !== 3)], 2);
  add('wrong type', 'nodes as a list', ['name: corpus', 'nodes: [laptop, ap]', ...BASE.slice(4)], 2);
  for (const v of ['5', '[a]', '"x"', 'true']) wrong(`node spec ${v}`, 3, `  laptop: ${v}`);
  for (const v of ['5', '[br0]', '{}', 'true']) wrong(`bridge ${v}`, 4, `  ap: { bridge: ${v} }`);
  for (const v of ['5', '"x"', '{ a: b }']) add('wrong type', `links: ${v}`, [...BASE.slice(0, 4), `links: ${v}`, ...BASE.slice(7)], 5);
  for (const v of ['laptop:wlan0', '{ a: b }', '[laptop:wlan0]', '[laptop:wlan0, ap:port0, ap:port9]', '[1, 2]', '[]']) {
    wrong(`link ${v}`, 6, `  - ${v}`);
  }
  for (const v of ['5', '[]', '{ a: 1 }', 'true', '[5]', 'null']) wrong(`address ${v}`, 9, `  laptop:wlan0: ${v}`);
  for (const v of ['5', '"cases"', '{}', '[]']) add('wrong type', `cases: ${v}`, [...BASE.slice(0, 10), `cases: ${v}`], 11);
  for (const v of ['5', '[x]', '""', 'null']) wrong(`case name ${v}`, 12, `  - name: ${v}`);
  for (const v of ['5', '[accept-local]', 'accept-local']) wrong(`recipe ${v}`, 13, `    recipe: ${v}`);
  for (const v of ['5', '{ laptop: 5 }', '{ laptop: { net.ipv4.conf.all.rp_filter: [1] } }', '{ laptop: { net.ipv4.conf.all.rp_filter: { a: 1 } } }', '{ laptop: { net.ipv4.conf.all.rp_filter: null } }']) {
    wrong(`sysctl ${v}`, 14, `    sysctl: ${v}`);
  }
  for (const v of ['5', '{}', '[]', '[5]', '[{ udp: 5 }]', '[{ udp: [a] }]']) add('wrong type', `probes: ${v}`, [...replace(15, `    probes: ${v}`).filter((_, i) => i !== 15)], 15);
  for (const [k, v] of [['from', '5'], ['from', '[laptop]'], ['to', '[192.0.2.2]'], ['to', '{ a: 1 }'], ['timeout-ms', '"fast"'], ['timeout-ms', '1.5'], ['timeout-ms', '-1'], ['timeout-ms', '0'], ['timeout-ms', '99999999'], ['timeout-ms', 'true'], ['dev', '5']]) {
    const fields = { from: 'laptop:192.0.2.1', to: '192.0.2.2', 'timeout-ms': '500', [k as string]: v };
    wrong(`udp ${k}: ${v}`, 16, `      - udp: { ${Object.entries(fields).map(([a, b]) => `${a}: ${b}`).join(', ')} }`);
  }
  for (const v of ['5', '[delivered]', '"yes"']) wrong(`expect ${v}`, 17, `    expect: ${v}`);
  for (const v of ['delivered: "yes"', 'delivered: 1', 'delivered: null', 'path: laptop:wlan0', 'path: [5]', 'path: { a: 1 }', 'via: {}', 'via: true', 'not-via: true', 'not-via: [[laptop:wlan0]]']) {
    wrong(`expect ${v}`, 17, `    expect: { ${v} }`);
  }

  // --- Unknown keys, at every level, including near-misses of real keys.
  const unknownAfter = (id: string, n: number, text: string): void => add('unknown key', id, insertAfter(n, text), n + 1);
  unknownAfter('top-level bogus', 1, 'bogus: 1');
  unknownAfter('top-level version', 1, 'version: 2');
  for (const [from, to] of [['name:', 'title:'], ['nodes:', 'node:'], ['links:', 'link:'], ['addresses:', 'adresses:'], ['cases:', 'case:']] as const) {
    const n = BASE.findIndex((l) => l.startsWith(from)) + 1;
    add('unknown key', `top-level ${to}`, replace(n, BASE[n - 1]!.replace(from, to)), n);
  }
  add('unknown key', 'node spec color', replace(3, '  laptop: { color: red }'), 3);
  add('unknown key', 'node spec bridges', replace(4, '  ap: { bridges: br0 }'), 4);
  for (const key of ['probe: []', 'expectations: {}', 'recipes: {}', 'timeout: 5', 'sysctls: {}', 'setup: x']) {
    unknownAfter(`case ${key}`, 12, `    ${key}`);
  }
  add('unknown key', 'probe kind sctp', replace(16, '      - sctp: { from: laptop:192.0.2.1, to: 192.0.2.2 }'), 16);
  add('unknown key', 'probe kind udpp', replace(16, '      - udpp: { from: laptop:192.0.2.1, to: 192.0.2.2 }'), 16);
  for (const key of ['src: x', 'port: 9000', 'ttl: 1', 'count: 3']) {
    add('unknown key', `udp ${key}`, replace(16, `      - udp: { from: laptop:192.0.2.1, to: 192.0.2.2, ${key} }`), 16);
  }
  for (const key of ['delivred: true', 'paths: []', 'vias: []', 'notvia: []', 'not_via: []']) {
    add('unknown key', `expect ${key}`, replace(17, `    expect: { ${key} }`), 17);
  }
  add('unknown key', 'recipe parameter mode', replace(13, '    recipe: { accept-local: { node: laptop, out: wlan0, in: wlan1, mode: fast } }'), 13);
  add('unknown key', 'recipe parameter typo', replace(13, '    recipe: { accept-local: { node: laptop, out: wlan0, inn: wlan1 } }'), 13);

  // --- Bad CIDRs.
  const cidrs = [
    '192.0.2.1', '192.0.2.300/24', '192.0.2.1/33', '192.0.2.1/-1', '192.0.2.1/24/24', '/24', '192.0.2/24',
    '1.2.3.4.5/24', '01.2.3.4/24', '192.0.2.1 /24', '192.0.2.1/ 24', '192.0.2.1/0x18', '192.0.2.1/2e1',
    'localhost/8', '"192.0.2.1/"', '2001:db8::1/129', '2001:db8::1', '2001:db8:::1/64', 'fe80::1%wlan0/64',
    '[2001:db8::1]/64', '::ffff:192.0.2.1/200', '256.256.256.256/8', '192.0.2.1/24.5', '"192.0.2.1\\n/24"',
    'gggg::1/64', '192.0.2.-1/24', '"0x7f000001/8"', '"192.0.2.1/24;reboot"',
  ];
  for (const c of cidrs) add('bad cidr', c, replace(9, `  laptop:wlan0: ${c}`), 9);
  for (const c of ['192.0.2.300/24', '2001:db8::1']) add('bad cidr', `in a list: ${c}`, replace(10, `  laptop:wlan1: [192.0.2.2/24, ${c}]`), 10);

  // --- Overlong and unsafe names: they end up in namespace names, device names and argv.
  const badNodes = [
    'abcdefghijklmnop', 'a'.repeat(64), 'a'.repeat(10000), '../etc', 'a b', 'a;rm -rf /', '$(reboot)', '`id`',
    '-n', 'läptop', 'a/b', '.', '..', '_x', 'a\\tb', 'a|b', 'a&b', 'a>b', "it's", 'a*', '~root',
  ];
  for (const n of badNodes) add('unsafe name', `node ${JSON.stringify(n).slice(0, 40)} (${n.length} characters)`, replace(3, `  ${JSON.stringify(n)}: {}`), 3);
  const badDevs = ['abcdefghijklmnop', 'all', 'default', '.', '..', 'a/b', '-x', '$x', 'x;y', 'ünï', 'a*b', 'x y', 'x\\ty', 'eth0:1'];
  for (const d of badDevs) add('unsafe name', `device ${JSON.stringify(d)}`, replace(6, `  - [${JSON.stringify(`laptop:${d}`)}, ap:port0]`), 6);
  for (const b of ['abcdefghijklmnop', 'all', 'br 0', 'br/0', '-br']) add('unsafe name', `bridge ${JSON.stringify(b)}`, replace(4, `  ap: { bridge: ${JSON.stringify(b)} }`), 4);
  for (const s of ['../../etc/passwd', 'a b', '', '-rf', '$(id)', '.hidden']) add('unsafe name', `scenario ${JSON.stringify(s)}`, replace(1, `name: ${JSON.stringify(s)}`), 1);
  for (const k of ['kernel.panic', 'net.core.somaxconn', 'vm.overcommit_memory', 'net.ipv4.conf/../../x', 'net.ipv4.ip_forward; reboot', 'net.ipv4', 'fs.file-max', '"net.ipv4.conf.all.rp_filter "']) {
    add('unsafe name', `sysctl ${k}`, replace(14, `    sysctl: { laptop: { ${JSON.stringify(k.replace(/^"|"$/g, ''))}: 1 } }`), 14);
  }

  for (const v of ['"1\\n2"', '"\\u0000"', '"2\\rnet.ipv4.ip_forward=1"']) {
    add('unsafe name', `sysctl value ${v}`, replace(14, `    sysctl: { laptop: { net.ipv4.conf.all.rp_filter: ${v} } }`), 14);
  }

  // --- Duplicates.
  add('duplicate', 'device in two links', replace(7, '  - [laptop:wlan0, ap:port1]'), 7);
  add('duplicate', 'both ends one device', replace(7, '  - [laptop:wlan1, laptop:wlan1]'), 7);
  add('duplicate', 'peer end reused', replace(7, '  - [laptop:wlan1, ap:port0]'), 7);
  add('duplicate', 'bridge as a link end', replace(7, '  - [laptop:wlan1, ap:br0]'), 7);
  add('duplicate', 'lo as a link end', replace(7, '  - [laptop:lo, ap:port1]'), 7);
  add('duplicate', 'lo as a bridge', replace(4, '  ap: { bridge: lo }'), 4);
  add('duplicate', 'address twice on a node', replace(10, '  laptop:wlan1: 192.0.2.1/24'), 10);
  add('duplicate', 'address twice in a list', replace(10, '  laptop:wlan1: [192.0.2.2/24, 192.0.2.2/24]'), 10);
  add('duplicate', 'IPv6 address twice, spelt two ways', replace(10, '  laptop:wlan1: [2001:db8::1/64, 2001:DB8:0::1/64]'), 10);
  add('duplicate', 'case name twice', [...BASE, '  - name: over the wire', '    probes: [ { udp: { from: laptop:192.0.2.1, to: 192.0.2.2 } } ]'], 18);

  // --- Dangling references.
  add('dangling reference', 'link end on an undeclared node', replace(7, '  - [laptop:wlan1, router:port0]'), 7);
  add('dangling reference', 'address on an undeclared node', replace(10, '  router:eth0: 192.0.2.2/24'), 10);
  add('dangling reference', 'address on a device that does not exist', replace(10, '  laptop:eth9: 192.0.2.2/24'), 10);
  add('dangling reference', 'expected path through an unknown device', replace(17, '    expect: { path: [laptop:wlan0, ap:port9] }'), 17);
  add('dangling reference', 'via an undeclared node', replace(17, '    expect: { via: [router:eth0] }'), 17);
  add('dangling reference', 'not-via an unknown device', replace(17, '    expect: { not-via: [laptop:wlan7] }'), 17);
  add('dangling reference', 'probe from an undeclared node', replace(16, '      - udp: { from: router:192.0.2.1, to: 192.0.2.2 }'), 16);
  add('dangling reference', 'probe out of an unknown device', replace(16, '      - udp: { from: laptop:192.0.2.1, to: 192.0.2.2, dev: wlan9 }'), 16);
  add('dangling reference', 'sysctl on an undeclared node', replace(14, '    sysctl: { router: { net.ipv4.ip_forward: 1 } }'), 14);
  add('dangling reference', 'recipe on an undeclared node', replace(13, '    recipe: { accept-local: { node: router, out: wlan0, in: wlan1 } }'), 13);
  add('dangling reference', 'recipe out of an unknown device', replace(13, '    recipe: { accept-local: { node: laptop, out: wlan9, in: wlan1 } }'), 13);
  add('dangling reference', 'recipe in an unknown device', replace(13, '    recipe: { accept-local: { node: laptop, out: wlan0, in: eth0 } }'), 13);
  add('dangling reference', 'links to nodes that are all gone', ['name: corpus', 'nodes: {}', ...BASE.slice(4)], 4);

  // --- Recipes and their parameters.
  const recipe = (id: string, text: string): void => add('recipe', id, replace(13, `    recipe: ${text}`), 13);
  recipe('unknown recipe', '{ accept-lokal: { node: laptop, out: wlan0, in: wlan1 } }');
  recipe('unknown recipe nat', '{ nat: {} }');
  recipe('unknown recipe with a shell name', '{ "rm -rf /": {} }');
  for (const p of ['both: "yes"', 'both: 1', 'rp_filter: 3', 'rp_filter: -1', 'rp_filter: "2"', 'accept_local: 2', 'accept_local: true', 'out_addr: 300.1.1.1', 'in_addr: "2001:db8::1"']) {
    recipe(`parameter ${p}`, `{ accept-local: { node: laptop, out: wlan0, in: wlan1, ${p} } }`);
  }
  recipe('node is a number', '{ accept-local: { node: 5, out: wlan0, in: wlan1 } }');
  recipe('out is a list', '{ accept-local: { node: laptop, out: [wlan0], in: wlan1 } }');
  recipe('missing node', '{ accept-local: { out: wlan0, in: wlan1 } }');
  recipe('missing out', '{ accept-local: { node: laptop, in: wlan1 } }');
  recipe('missing in', '{ accept-local: { node: laptop, out: wlan0 } }');
  recipe('no parameters at all', '{ accept-local: null }');
  recipe('parameters as a list', '{ accept-local: [laptop, wlan0, wlan1] }');

  // --- Impossible topologies and probes.
  const probe = (id: string, text: string): void => add('impossible', id, replace(16, `      - udp: ${text}`), 16);
  probe('source address the node does not have', '{ from: laptop:192.0.2.9, to: 192.0.2.2 }');
  probe("source address of another node's device", '{ from: ap:192.0.2.1, to: 192.0.2.2 }');
  probe('IPv4 to IPv6', '{ from: laptop:192.0.2.1, to: "2001:db8::2" }');
  probe('port 0', '{ from: laptop:192.0.2.1, to: "192.0.2.2:0" }');
  probe('port 70000', '{ from: laptop:192.0.2.1, to: "192.0.2.2:70000" }');
  probe('port not a number', '{ from: laptop:192.0.2.1, to: "192.0.2.2:http" }');
  probe('IPv4 in brackets', '{ from: laptop:192.0.2.1, to: "[192.0.2.2]:9000" }');
  probe('source with a port', '{ from: "laptop:192.0.2.1:5000", to: 192.0.2.2 }');
  probe('source without a node', '{ from: 192.0.2.1, to: 192.0.2.2 }');
  probe('zone index', '{ from: "laptop:fe80::1%wlan0", to: "fe80::2" }');
  probe('destination a name', '{ from: laptop:192.0.2.1, to: ap }');
  probe('destination empty', '{ from: laptop:192.0.2.1, to: "" }');
  probe('missing destination', '{ from: laptop:192.0.2.1 }');
  probe('missing source', '{ to: 192.0.2.2 }');
  add('impossible', 'case timeout too short', insertAfter(12, '    timeout-ms: 5'), 13);
  add('impossible', 'only a case without a name', [...BASE.slice(0, 10), 'cases: [ {} ]'], 11);
  add('impossible', 'a probe without a kind', [...replace(15, '    probes: [ {} ]').filter((_, i) => i !== 15)], 15);
  add('impossible', 'a case without probes', [...BASE.slice(0, 14), ...BASE.slice(16)], 12);
  add('impossible', 'no nodes key', [BASE[0], ...BASE.slice(4)], 1);
  add('impossible', 'a node linked to itself on one device', replace(7, '  - [ap:port1, ap:port1]'), 7);
  return corpus;
};
