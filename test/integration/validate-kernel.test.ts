// `lab validate` finds, before any run, what only the kernel can say: a sysctl key it lacks and an
// nft ruleset it cannot parse (a scratch namespace, root only), with file:line:col, exit 2.
// By hand first: `sysctl -w net.ipv4.conf.all.nokey=1` in a namespace says "cannot stat
// /proc/sys/net/ipv4/conf/all/nokey"; `nft -c -f -` of `… dropp; …` says "syntax error".
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { lab, needsRoot, ROOT } from './helpers.js';
import { tempDir } from '../tmp.js';

const BAD = `name: bad-kernel
nodes:
  a: {}
  b: {}
links:
  - [a:eth0, b:eth0]
addresses:
  a:eth0: 192.0.2.1/24
  b:eth0: 192.0.2.2/24
cases:
  - name: keys
    sysctl:
      a: { net.ipv4.conf.eth0.rp_filtre: 1, net.ipv4.conf.eth0.rp_filter: 1 }
    nft:
      b: |
        table inet t {
          chain c { type filter hook input priority 0; ip saddr 192.0.2.1 dropp; }
        }
    probes: [ { udp: { from: a:192.0.2.1, to: 192.0.2.2 } } ]
    expect: { delivered: false }
`;

t.test('unknown sysctl keys and nft rulesets that do not parse fail validation', { skip: needsRoot }, async (t) => {
  const dir = tempDir('lab-validate-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, BAD);
  const before = readdirSync('/run/netns').filter((n) => n.includes('-validate-'));
  const r = await lab(['validate', file]);
  t.equal(r.exitCode, 2, String(r.stderr));
  t.match(r.stderr, `${file}:13:12: cases.0.sysctl.a.net.ipv4.conf.eth0.rp_filtre: net.ipv4.conf.eth0.rp_filtre: this kernel has no such sysctl`);
  t.notMatch(r.stderr, 'eth0.rp_filter:', 'a key that exists (on a device of the scenario) passes');
  t.match(r.stderr, `${file}:15:10: cases.0.nft.b: nft rejects the ruleset: file line 17 (ruleset line 2, columns 72-72): Error: syntax error, unexpected semicolon`);
  t.same(readdirSync('/run/netns').filter((n) => n.includes('-validate-')), before, 'the scratch namespace is gone');

  // The control: the shipped scenarios (sysctls, a matrix of them, an nft ruleset) pass.
  const ok = await lab(['validate', ...['why-not-delivered', 'accept-local-matrix', 'route-localnet'].map((s) => join(ROOT, 'scenarios', `${s}.yaml`))]);
  t.equal(ok.exitCode, 0, String(ok.stderr));
});
