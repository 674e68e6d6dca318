// The hwsim helper's steps without a radio (src/agent/hwsim.pl): how it reads its steps, how it
// counts the peers of a station dump (replies made here, as nl80211 sends them), and its config
// files and commands. The netlink requests themselves need mac80211_hwsim: the VM test runs them.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HWSIM_RADIOS } from '../../../src/agent/programs.js';

/** The helper's subs (loaded without running main), then `code`, with `args` in @ARGV. */
const withSubs = (code: string, args: string[] = [], program = HWSIM_RADIOS) =>
  spawnSync('perl', ['-e', `${program.replace(/\nmain\(@ARGV\) unless caller;\n$/, '\n')}${code}`, ...args], { encoding: 'utf8' });

const helper = (args: string[], env: NodeJS.ProcessEnv) => spawnSync('perl', ['-e', HWSIM_RADIOS, ...args], { encoding: 'utf8', env });

t.test('steps are read by their arity; a malformed one is named before anything runs', async (t) => {
  const steps = withSubs('print join("|", map { join(",", @$_) } parse_steps(@ARGV)), "\\n";', [
    'radio', 'p0', 'mesh0', '7', '', 'listen', '_m', '2412', 'run', '2', 'hostapd', '-B', 'connect', 'wlan0', '2437', 'lab ap', 'await', 'wlan0', 'sta', '1', '30',
  ]);
  t.equal(steps.stdout, 'radio,p0,mesh0,7,|listen,_m,2412|run,hostapd,-B|connect,wlan0,2437,lab ap|await,wlan0,sta,1,30\n');
  const bad = (args: string[]) => withSubs('parse_steps(@ARGV);', args).stderr.trim();
  t.equal(bad(['mesh', 'mesh0', '2412']), 'step mesh needs 3 word(s)');
  t.equal(bad(['connect', 'wlan0', '2437']), 'step connect needs 3 word(s)');
  t.equal(bad(['join', 'x']), "unknown step 'join'");
  t.equal(bad(['run', 'x', 'true']), "step run: bad word count 'x'");
  t.equal(bad(['run', '0']), "step run: bad word count '0'");
});

// A GET_STATION reply: nlmsghdr, genlmsghdr, NL80211_ATTR_STA_INFO (21, nested, NLA_F_NESTED as
// the kernel sets it) holding PLINK_STATE (6, u8) and STA_FLAGS (17, mask and set).
const PEERS = `
sub reply { my ($info) = @_; my $body = pack('CCS', 17, 1, 0) . attribute(21 | 0x8000, $info); return pack('LSSLL', 16 + length $body, 30, 2, 1, 0) . $body }
sub plink { attribute(6, pack('C', $_[0])) }
sub flags { attribute(17, pack('LL', $_[0], $_[1])) }
my @mesh = (reply(plink(4)), reply(plink(1)), reply(plink(4) . flags(2, 2)));
my @sta = (reply(flags(2, 0)), reply(flags(2 | 4, 2)), reply(flags(0, 2)));
print join(' ', peers_in('mesh', @mesh), peers_in('sta', @sta), peers_in('ibss', @mesh), peers_in('sta', @mesh[0, 1]), peers_in('mesh')), "\\n";
`;

t.test('peers that carry data: an established peer link, an authorized access point, any IBSS station', async (t) => {
  const r = withSubs(PEERS);
  t.equal(r.stderr, '');
  // mesh: two of three established; sta: only the one whose mask and set both have AUTHORIZED;
  // ibss: every station; no flags, no peer; no reply, none.
  t.equal(r.stdout, '2 1 3 0 0\n');
  // The check is live: without the mask of NLA_F_NESTED the station info is not found.
  const unmasked = HWSIM_RADIOS.replace('$found{$type & NLA_TYPE_MASK}', '$found{$type}');
  t.not(unmasked, HWSIM_RADIOS);
  t.equal(withSubs(PEERS, [], unmasked).stdout, '0 0 0 0 0\n');
});

t.test('config and run: a file of its own for the daemon, named by {}, removed at the end, also on failure', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lab-hwsim-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const env = { ...process.env, TMPDIR: dir };
  const copy = join(dir, 'copy');
  // sh -c SCRIPT {} COPY: $0 is the config, copied with its mode into COPY.
  const ok = helper(['config', 'interface=wlan0\nssid2=6c6162\n', 'run', '5', 'sh', '-c', 'cp "$0" "$1" && stat -c %a "$0" >> "$1"', '{}', copy], env);
  t.equal(ok.stderr, '');
  t.equal(ok.status, 0);
  t.equal(readFileSync(copy, 'utf8'), 'interface=wlan0\nssid2=6c6162\n600\n', 'the text, mode 0600');
  t.strictSame(readdirSync(dir).filter((n) => n.startsWith('lab-wireless-')), [], 'the config is gone');
  const fails = helper(['config', 'x', 'run', '1', 'false', 'await', 'lo', 'sta', '1', '1'], env);
  t.equal(fails.status, 255);
  t.equal(fails.stderr, 'false exited with 1\n', 'a failed command ends it before the next step');
  t.strictSame(readdirSync(dir).filter((n) => n.startsWith('lab-wireless-')), [], 'and its config is gone too');
});

t.test('a station asked to connect again: a connection being made (-EINPROGRESS) or made (-EALREADY) lets the wait go on, a refusal ends it', async (t) => {
  const r = withSubs('print join(" ", map { connect_accepted($_) ? "go" : "stop" } 0, -115, -114, 114, 115, -22, -16, -100), "\\n";');
  t.equal(r.stderr, '');
  // 0: started; -EINPROGRESS: the SME is connecting; -EALREADY: connected. Their positive values,
  // -EINVAL, -EBUSY and -ENETDOWN are not answers to go on waiting for.
  t.equal(r.stdout, 'go go go stop stop stop stop stop\n');
});
