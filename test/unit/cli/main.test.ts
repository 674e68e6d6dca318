import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { exitCodeFor } from '../../../src/cli/exit-codes.js';
import { main } from '../../../src/cli/main.js';
import { CapabilityError, CommandError, Interrupted, ScenarioError, UsageError } from '../../../src/errors.js';
import { tempDir } from '../../tmp.js';

const capture = () => {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) }, out, err };
};

t.test('errors map to the contract exit codes', async (t) => {
  t.equal(exitCodeFor(new ScenarioError([])), 2);
  t.equal(exitCodeFor(new UsageError('x')), 2);
  t.equal(exitCodeFor(new CapabilityError('root', 'no', 'sudo')), 3);
  t.equal(exitCodeFor(new CommandError(['ip'], 1, 'boom')), 1);
  t.equal(exitCodeFor(new Interrupted('SIGINT')), 130, 'an interrupted lab: 128+signal');
  t.equal(exitCodeFor(new Interrupted('SIGTERM')), 143);
  t.equal(exitCodeFor(new Interrupted('SIGHUP')), 129);
});

t.test('recipe show prints the commands for a real host', async (t) => {
  const c = capture();
  const code = await main(
    ['recipe', 'show', 'accept-local', '--param', 'node=laptop', '--param', 'out=wlan0', '--param', 'in=wlan1'],
    c.io,
  );
  t.equal(code, 0);
  const text = c.out.join('');
  t.match(text, /^ip route add "\$IN_ADDR\/32" dev wlan0 src "\$OUT_ADDR" table 100$/m);
  t.match(text, /^ip rule del pref 0 lookup local$/m);
  t.match(text, /^sysctl -q -w net\.ipv4\.conf\.wlan1\.accept_local=1$/m);
  t.notMatch(text, /ip -n /);
});

t.test('recipe show with addresses and both', async (t) => {
  const c = capture();
  await main(['recipe', 'show', 'accept-local', '-p', 'node=pc', '-p', 'out=eth0', '-p', 'in=eth1', '-p', 'both=true', '-p', 'out_addr=198.51.100.1', '-p', 'in_addr=198.51.100.2'], c.io);
  const text = c.out.join('');
  t.match(text, /^ip route add 198\.51\.100\.1\/32 dev eth1 src 198\.51\.100\.2 table 101$/m);
  t.notMatch(text, /OUT_ADDR/);
});

t.test('recipe show with a bad parameter is a usage error naming it', async (t) => {
  const c = capture();
  const code = await main(['recipe', 'show', 'accept-local', '-p', 'node=pc', '-p', 'out=a', '-p', 'in=b', '-p', 'rp_filter=7'], c.io);
  t.equal(code, 2);
  t.match(c.err.join(''), /--param rp_filter/);
  const unknown = capture();
  t.equal(await main(['recipe', 'show', 'nope'], unknown.io), 2);
  t.match(unknown.err.join(''), /no recipe named "nope"; known: accept-local/);
});

t.test('recipe list names every recipe', async (t) => {
  const c = capture();
  t.equal(await main(['recipe', 'list'], c.io), 0);
  t.match(c.out.join(""), /^accept-local +Send between two local NICs/m);
});

t.test('validate: ok for the seed, exit 2 with file:line:col for a broken file', async (t) => {
  const ok = capture();
  t.equal(await main(['validate', 'scenarios/laptop-two-nics.yaml'], ok.io), 0);
  t.match(ok.out.join(''), /laptop-two-nics\.yaml: ok \(2 nodes, 2 links, \d+ cases/);
  const wireless = capture();
  t.equal(await main(['validate', 'scenarios/laptop-two-wlan.yaml'], wireless.io), 0);
  t.match(wireless.out.join(''), /laptop-two-wlan\.yaml: ok \(2 nodes, 2 links \(2 wireless\), 4 cases, 4 probes\)/, 'radio links count');
  const dir = tempDir('lab-cli-');
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'name: x\nnodes:\n  a: { colour: red }\nlinks: []\ncases: []\n');
  const c = capture();
  t.equal(await main(['validate', bad], c.io), 2);
  t.match(c.err.join(''), new RegExp(`${bad}:3:8: nodes\\.a\\.colour: `));
});

t.test('unknown commands and options are usage errors; --help exits 0', async (t) => {
  const c = capture();
  t.equal(await main(['frobnicate'], c.io), 2);
  t.equal(await main(['run', '--no-such-option'], capture().io), 2);
  t.equal(await main([], capture().io), 2);
  const help = capture();
  t.equal(await main(['--help'], help.io), 0);
  t.match(help.out.join(''), /lab recipe show accept-local/);
  t.match(help.out.join(''), /Exit codes: 0/);
  // Wrapped at spaces, never inside a word (yargs's ES module build cut "per cas|e").
  const flat = help.out.join('').replace(/\s+/g, ' ');
  t.match(flat, 'floor, per case, and a matrix with --jobs 1 and 2', 'a wrapped description reads whole');
  t.match(flat, 'lab exits with the command\'s exit code');
  t.match(flat, 'Builds network-namespace labs, sends probes, shows which devices each datagram crossed.');
});

t.test('--jobs must be a positive integer', async (t) => {
  const c = capture();
  t.equal(await main(['run', '--jobs', '0'], c.io), 2);
  t.match(c.err.join(''), /--jobs takes a whole number of at least 1/);
});
