// A sample of the hostile corpus through the real CLI: exit 2, file:line:col on stderr, no stack
// trace unless --debug, and not one `ip` command run (so no namespace created). `ip` is wrapped
// by a logging shim on PATH, which proves it without looking at namespaces other labs may create.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pLimit from 'p-limit';
import t from 'tap';
import { hostileCorpus } from '../unit/model/corpus.js';
import { lab, needsRoot } from './helpers.js';
import { tempDir } from '../tmp.js';

const dir = tempDir('lab-hostile-');
const ipLog = join(dir, 'ip.log');
const shimDir = join(dir, 'bin');

/** PATH with an `ip` that logs its arguments and then runs the real one. */
const shimmedEnv = (): Record<string, string> => {
  const realIp = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].find((p) => existsSync(p)) ?? 'ip';
  if (!existsSync(shimDir)) {
    mkdirSync(shimDir);
    writeFileSync(join(shimDir, 'ip'), `#!/bin/sh\necho "$*" >> '${ipLog}'\nexec ${realIp} "$@"\n`);
    chmodSync(join(shimDir, 'ip'), 0o755);
  }
  return { PATH: `${shimDir}:${process.env['PATH'] ?? ''}` };
};

/** One scenario of each category, plus the nastiest ones. */
const sample = () => {
  const corpus = hostileCorpus();
  const picked = new Map<string, (typeof corpus)[number]>();
  for (const e of corpus) if (!picked.has(e.category)) picked.set(e.category, e);
  for (const id of ['yaml syntax: alias bomb', 'yaml syntax: deeply nested unclosed flow sequences', 'yaml syntax: binary garbage', 'unsafe name: node "$(reboot)" (9 characters)']) {
    const e = corpus.find((c) => c.id === id);
    if (e) picked.set(id, e);
  }
  return [...picked.values()];
};

t.test('malformed scenarios through the CLI: exit 2, located message, no stack, no ip command', { skip: needsRoot }, async (t) => {
  const env = shimmedEnv();
  const entries = sample();
  t.ok(entries.length >= 12, `${entries.length} scenarios`);
  // Four at a time: each is a process start and a load, nothing more.
  const limit = pLimit(4);
  const checks = entries.flatMap((entry, i) => {
    const file = join(dir, `hostile-${i}.yaml`);
    writeFileSync(file, entry.text);
    // lab up loads the same way as lab run: a few of them are enough.
    const commands = [['validate', file], ['run', file], ...(i < 4 ? [['up', file]] : [])];
    return commands.map((command) => limit(async () => ({ entry, file, command, r: await lab(command, { env: { ...process.env, ...env } }) })));
  });
  for (const { entry, file, command, r } of await Promise.all(checks)) {
    const stderr = String(r.stderr);
    const where = `${command[0]} ${entry.id}`;
    t.equal(r.exitCode, 2, `${where}: exit 2`);
    t.match(stderr, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+: \\S`, 'm'), `${where}: file:line:col`);
    if (entry.line !== undefined) t.match(stderr, new RegExp(`\\.yaml:${entry.line}:\\d+: `), `${where}: on line ${entry.line}`);
    t.notMatch(stderr, /^\s+at /m, `${where}: no stack trace`);
    t.notMatch(stderr, /internal error|TypeError|RangeError/, `${where}: no crash`);
  }
  t.notOk(existsSync(ipLog) && readFileSync(ipLog, 'utf8').trim(), 'no ip command ran: nothing was created');
});

t.test('--debug adds the stack trace', { skip: needsRoot }, async (t) => {
  const file = join(dir, 'debug.yaml');
  writeFileSync(file, 'name: x\nnodes: 5\n');
  const plain = await lab(['validate', file]);
  const debug = await lab(['validate', file, '--debug']);
  t.equal(plain.exitCode, 2);
  t.equal(debug.exitCode, 2);
  t.notMatch(String(plain.stderr), /^\s+at /m);
  t.match(String(debug.stderr), /debug\.yaml:2:8: nodes: must be a mapping/);
  t.match(String(debug.stderr), /^\s+at .*\(file:.*dist\/cli\/load\.js:\d+:\d+\)/m, 'the stack shows where');
});

/**
 * Eleven problems of different kinds in different places, shape and meaning mixed (issue 14 item 6):
 * each is reported in the one run, at its line and column, and nothing else is. Before, the bridge
 * with a malformed key made `master: br1` a second problem, the unreadable recipe made its use an
 * "unknown recipe", the unknown key of eht0 hid that it is no device, and the malformed sysctl of
 * the case hid both problems of its cells.
 */
const MANY_PROBLEMS = [
  'name: many-problems',
  'nodes:',
  '  h1: {}',
  '  h2: {}',
  '  r1:',
  '    forwarding: true',
  '    devices:',
  '      br1: { type: bridge, vlan_filtering: yes please }',
  '      p1: { master: br1 }',
  '      eht0: { mtu: 1400, colour: red }',
  '    routes:',
  '      - { to: 198.51.100.0/24, via: 192.0.2.1, metrik: 5 }',
  '      - { to: 203.0.113.0/24, via: 203.0.113.1 }',
  '    rules:',
  '      - { from: 192.0.2.0/24, lookup: wan }',
  'links:',
  '  - [h1:eth0, r1:p1]',
  '  - [h2:eth0, r1:eth1]',
  'addresses:',
  '  h1:eth0: 192.0.2.2/24',
  '  r1:br1: 192.0.2.1/24',
  '  r1:eth1: 198.51.100.1/24',
  '  h2:eth0: 198.51.100.2/24',
  'recipes:',
  '  gw:',
  '    params: { via: { default: 192.0.2.1 } }',
  '    nodes:',
  '      h1: { routes: [{ to: default, via: "${via}" }], colour: blue }',
  'cases:',
  '  - name: through',
  '    recipe: { gw: {} }',
  '    sysctl: { h1: { net.ipv4.conf.all.rp_filter: [1] } }',
  '    matrix:',
  '      rp: { set: r1:net.ipv4.conf.all.rp_filter, values: [0, 1] }',
  '    cells:',
  '      - where: { rp: [2] }',
  '        expect: { via: [r1:eth9] }',
  '    probes:',
  '      - udp: { from: h1:192.0.2.2, to: 198.51.100.2, dev: eth5 }',
  '',
].join('\n');

const MANY_EXPECTED = [
  '8:44: nodes.r1.devices.br1.vlan_filtering: must be true or false, not the text "yes please"',
  '10:7: nodes.r1.devices.eht0: r1:eht0 is not a device of r1 (it has: br1, eth1, lo, p1); to create it, give it a type (dummy, macvlan, vxlan, vlan, bridge)',
  '10:26: nodes.r1.devices.eht0.colour: unknown key "colour" (allowed here: type, link, mode, id, local, remote, group, dev, dstport, vlan_filtering, mtu, mac, up, master, vlans)',
  '12:48: nodes.r1.routes.0.metrik: unknown key "metrik" (allowed here: to, via, dev, src, table, metric, mtu, type, onlink, nexthops, family)',
  '13:36: nodes.r1.routes.1.via: via 203.0.113.1 is not in the subnet of any address of r1 (its addresses: 192.0.2.1/24 on br1, 198.51.100.1/24 on eth1); the gateway must be directly reachable, or say onlink: true',
  '15:39: nodes.r1.rules.0.lookup: unknown table "wan" (known tables: main, local, default); define it under tables: { wan: NUMBER }',
  '28:55: recipes.gw.nodes.h1.colour: unknown key "colour" (allowed here: forwarding, sysctl, routes, rules, default-rules, setup)',
  '32:50: cases.0.sysctl.h1.net.ipv4.conf.all.rp_filter: a sysctl value must be a number, text, or true/false',
  '36:23: cases.0.cells.0.where.rp.0: rp has no value "2" (its values: 0, 1)',
  '37:25: cases.0.cells.0.expect.via.0: r1:eth9 is not a device of r1 (it has: br1, eth1, lo, p1)',
  '39:59: cases.0.probes.0.udp.dev: h1:eth5 is not a device of h1 (it has: eth0, lo)',
];

t.test('lab validate reports every problem of a file in one run, shape and meaning mixed, and creates nothing', { skip: needsRoot }, async (t) => {
  const env = shimmedEnv();
  const file = join(dir, 'many-problems.yaml');
  writeFileSync(file, MANY_PROBLEMS);
  const r = await lab(['validate', file], { env: { ...process.env, ...env } });
  t.equal(r.exitCode, 2, 'exit 2');
  const reported = String(r.stderr).split('\n').filter((l) => l.startsWith(`${file}:`)).map((l) => l.slice(file.length + 1));
  t.strictSame(reported, MANY_EXPECTED, `all ${MANY_EXPECTED.length} problems, each located, in file order, no follow-on`);
  t.notOk(existsSync(ipLog) && readFileSync(ipLog, 'utf8').trim(), 'no ip command ran: nothing was created');
});
