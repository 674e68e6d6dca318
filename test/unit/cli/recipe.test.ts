import t from 'tap';
import { parameterHelp, recipeListCommand, recipeShowCommand } from '../../../src/cli/recipe.js';
import { UsageError } from '../../../src/errors.js';
import { findRecipe, recipes } from '../../../src/recipes/index.js';

const capture = () => {
  const out: string[] = [];
  return { io: { out: (s: string) => void out.push(s), err: () => undefined }, out };
};

const show = (name: string, ...params: string[]): string => {
  const c = capture();
  recipeShowCommand(name, params, c.io);
  return c.out.join('');
};

t.test('recipe list names the whole catalog, one line each', async (t) => {
  const c = capture();
  recipeListCommand(c.io);
  t.same(c.out.map((l) => l.split(' ')[0]), ['accept-local', 'accept-local-v6', 'bind-to-device', 'netns-split', 'tc-mirred', 'arp-hygiene']);
});

t.test('recipe show prints each recipe as host commands, nothing lab-specific', async (t) => {
  const nics = ['node=laptop', 'out=wlan0', 'in=wlan1'];
  const texts = {
    'accept-local-v6': show('accept-local-v6', ...nics),
    'bind-to-device': show('bind-to-device', ...nics),
    'netns-split': show('netns-split', 'node=laptop', 'nic=wlan1'),
    'tc-mirred': show('tc-mirred', ...nics),
    'arp-hygiene': show('arp-hygiene', 'node=laptop', 'nics=[wlan0, wlan1]'),
  };
  t.match(texts['accept-local-v6'], /^ip -6 rule add pref 100 iif lo to "\$IN_ADDR6\/128" lookup 100$/m);
  t.match(texts['bind-to-device'], /^sysctl -q -w net\.ipv4\.conf\.wlan1\.accept_local=1$/m);
  t.match(texts['netns-split'], /^ip link set dev wlan1 netns laptop-wlan1$/m);
  t.match(texts['tc-mirred'], /^tc filter add dev lo egress .* action mirred egress redirect dev wlan0$/m);
  t.match(texts['arp-hygiene'], /^sysctl -q -w net\.ipv4\.conf\.wlan1\.arp_ignore=1$/m);
  for (const [name, text] of Object.entries(texts)) {
    t.match(text, new RegExp(`^# ${name}: `), `${name}: starts with its summary`);
    t.notMatch(text, /lab-[0-9a-f]{6}/, `${name}: no lab namespace in it`);
  }
});

t.test('bad parameters: every problem, unknown keys named, then the parameter list', async (t) => {
  const err = t.throws(() => show('netns-split', 'node=laptop', 'out=wlan0')) as UsageError;
  t.type(err, UsageError);
  t.match(err.message, /--param nic: missing required value/);
  t.match(err.message, /--param out: netns-split has no such parameter/);
  t.match(err.message, /parameters of netns-split \(--param KEY=VALUE\):\n {2}node +required: /);
  t.match(err.message, /\n {2}to +optional: /);
});

t.test('the parameter list says what is required and what the defaults are', async (t) => {
  const help = parameterHelp(findRecipe('accept-local')!);
  t.match(help, /\n {2}both +default false: /);
  t.match(help, /\n {2}rp_filter +default 2: /);
  t.match(help, /\n {2}out_addr +optional: /);
  t.equal(recipes.every((r) => parameterHelp(r).split('\n').length > 2), true);
});
