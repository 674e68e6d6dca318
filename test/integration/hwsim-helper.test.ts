// The hwsim helper (src/agent/hwsim.pl) on this kernel, inside a namespace of this test's own:
// its generic netlink lookup against families every kernel has, and what it says without
// mac80211_hwsim. Radios themselves are made in the VM (test/integration/vm.test.ts, the
// wireless scenarios), or here when the kernel has hwsim.
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { HWSIM_RADIOS } from '../../src/agent/programs.js';
import { needsRoot } from './helpers.js';

const NS = `lab-hws${process.pid}-a`;
const inNs = (argv: string[]) => execa('ip', ['netns', 'exec', NS, ...argv], { reject: false });
/** The helper's subs, loaded by `do` without running it (main ... unless caller), then `code`. */
const withSubs = (code: string) => inNs(['perl', '-e', `do $ARGV[0]; die $@ if $@; ${code}`, fileURLToPath(new URL('../../src/agent/hwsim.pl', import.meta.url))]);

t.before(async () => {
  if (!needsRoot) await execa('ip', ['netns', 'add', NS]);
});
t.teardown(() => execa('ip', ['netns', 'del', NS], { reject: false }));

t.test('it finds generic netlink families by name, and no id for a family the kernel lacks', { skip: needsRoot }, async (t) => {
  const r = await withSubs('my $s = netlink_socket(); print join(" ", map { family_id($s, $_) // "none" } qw(nlctrl lab-no-such-family)), "\\n";');
  // nlctrl is generic netlink's own controller: GENL_ID_CTRL, 0x10.
  t.same([r.stdout, r.stderr], ['16 none', '']);
});

t.test('without mac80211_hwsim it says so and makes nothing', { skip: needsRoot || (existsSync('/sys/module/mac80211_hwsim') && 'this kernel has hwsim') }, async (t) => {
  const r = await inNs(['perl', '-e', HWSIM_RADIOS, 'radio', 'lab-hws-r0', 'wlan0', '7', '']);
  t.same([r.exitCode, r.stderr], [255, 'this kernel has no MAC80211_HWSIM netlink family (mac80211_hwsim is not loaded)']);
});

t.test('with mac80211_hwsim a radio is made with its interface', { skip: needsRoot || (!existsSync('/sys/module/mac80211_hwsim') && 'this kernel has no hwsim (the VM test makes radios)') }, async (t) => {
  const phy = `lab-hws${process.pid}r0`;
  const r = await inNs(['perl', '-e', HWSIM_RADIOS, 'radio', phy, 'wlan0', '7', '']);
  t.same([r.exitCode, r.stderr], [0, '']);
  t.match((await inNs(['iw', 'dev'])).stdout, /Interface wlan0[\s\S]*type mesh point/);
});
