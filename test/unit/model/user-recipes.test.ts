// Recipes a scenario defines (recipes:): parameters, ${param} substitution, checks at load, the
// ops they plan, and `lab recipe show FILE#NAME`.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { recipeShowCommand } from '../../../src/cli/recipe.js';
import { parseScenario } from '../../../src/recipes/scenario.js';
import { planCase } from '../../../src/plan/plan.js';
import { tempDir } from '../../tmp.js';
import { FILE, problem, problemsOf, text } from './fixtures/helpers.js';

const TOPOLOGY = [
  'name: own-recipes',
  'nodes: { h1: {}, r1: {} }',
  'links: [[h1:eth0, r1:eth0]]',
  'addresses: { h1:eth0: 192.0.2.1/24, r1:eth0: 192.0.2.254/24 }',
  'recipes:',
  '  uplink:',
  '    summary: A default route and a source rule in a table of their own.',
  '    params:',
  '      host: { description: The node. }',
  '      gw: { default: 192.0.2.254 }',
  '      table: { type: number, default: 100 }',
  '    nodes:',
  '      ${host}:',
  '        sysctl: { "net.ipv4.conf.eth0.rp_filter": 0 }',
  '        routes: [ { to: default, via: "${gw}", table: "${table}" } ]',
  '        rules: [ { pref: "${table}", from: 192.0.2.1, lookup: "${table}" } ]',
  '        setup: [ [ip, route, show, table, "${table}"] ]',
];

const USE = (params: string) => [
  'cases:',
  '  - name: c',
  `    recipe: { uplink: ${params} }`,
  '    probes: [ { udp: { from: h1:192.0.2.1, to: 192.0.2.254 } } ]',
];

t.test('a use becomes the recipe\'s ops with the values in, in the recipes\' place of the plan', async (t) => {
  const s = parseScenario(text(...TOPOLOGY, ...USE('{ host: h1, table: 7 }')), FILE);
  const ops = planCase(s, 0, 'lab-x').ops.filter((o) => o.wave === undefined);
  t.same(ops.map((o) => `${o.node}: ${o.argv.join(' ')}`), [
    'h1: sysctl -q -w net.ipv4.conf.eth0.rp_filter=0',
    'h1: ip route add default via 192.0.2.254 table 7',
    'h1: ip rule add pref 7 from 192.0.2.1 lookup 7',
    'h1: ip route show table 7',
  ]);
  t.equal(ops[1]?.why, 'recipe uplink: route of h1 in table 7: default goes via 192.0.2.254 (line 15)');
});

t.test('definitions: a built-in name, an unknown ${name}, a default of the wrong type', async (t) => {
  t.strictSame(problemsOf(text(
    ...TOPOLOGY.slice(0, 5),
    '  accept-local:',
    '    nodes: { h1: { forwarding: true } }',
    '  odd:',
    '    params: { n: { type: number, default: many } }',
    '    nodes: { h1: { routes: [ { to: default, via: "${gw}" } ] } }',
    'cases:',
    '  - name: c',
    '    probes: [ { udp: { from: h1:192.0.2.1, to: 192.0.2.254 } } ]',
  )), [
    problem(6, 3, 'recipes.accept-local', 'recipe accept-local is built in; give yours another name'),
    problem(9, 43, 'recipes.odd.params.n.default', 'the default of n must be a number'),
    problem(10, 50, 'recipes.odd.nodes.h1.routes.0.via', '${gw} is not a parameter of recipe odd (its parameters: n)'),
  ]);
});

t.test('a use is checked with its values: at the definition, and once at the use', async (t) => {
  t.strictSame(problemsOf(text(...TOPOLOGY, ...USE('{ host: h1, gw: 198.51.100.1 }'))), [
    problem(15, 39, 'recipes.uplink.nodes.${host}.routes.0.via', 'via 198.51.100.1 is not in the subnet of any address ' +
      'of h1 (its addresses: 192.0.2.1/24 on eth0); the gateway must be directly reachable, or say onlink: true'),
    problem(20, 23, 'cases.0.recipe.uplink', 'recipe uplink does not fit this case with these parameters (see the problems reported at its definition)'),
  ]);
  t.strictSame(problemsOf(text(...TOPOLOGY, ...USE('{ host: r9 }'))), [
    problem(20, 23, 'cases.0.recipe.uplink', 'recipe uplink acts on node "r9", which is not declared (declared nodes: h1, r1)'),
    problem(20, 23, 'cases.0.recipe.uplink', 'recipe uplink does not fit this case with these parameters (see the problems reported at its definition)'),
  ]);
  t.strictSame(problemsOf(text(...TOPOLOGY, ...USE('{ table: x }'))), [
    problem(20, 23, 'cases.0.recipe.uplink.host', 'missing required parameter'),
    problem(20, 32, 'cases.0.recipe.uplink.table', 'must be a number'),
  ]);
});

t.test('lab recipe show FILE#NAME prints it for a real host, with its values and how to undo it', async (t) => {
  const file = join(tempDir('lab-own-recipes-'), 'own.yaml');
  writeFileSync(file, text(...TOPOLOGY, ...USE('{ host: h1 }')));
  const out: string[] = [];
  t.equal(await recipeShowCommand(`${file}#uplink`, ['host=h1', 'table=5'], { out: (s) => void out.push(s), err: () => undefined }), 0);
  const shown = out.join('');
  t.match(shown, /^# uplink: A default route and a source rule in a table of their own\.$/m);
  t.match(shown, /^ip route add default via 192\.0\.2\.254 table 5$/m);
  t.match(shown, /^ip rule add pref 5 from 192\.0\.2\.1 lookup 5$/m);
  t.match(shown, /^#   ip rule del pref 5 from 192\.0\.2\.1 lookup 5$/m, 'the undo');
  await t.rejects(Promise.resolve(recipeShowCommand(`${file}#nope`, [], { out: () => undefined, err: () => undefined })),
    /defines no recipe named "nope"; it defines: uplink/);
});
