import t from 'tap';
import { kernelCheckItems, scratchKey } from '../../../src/model/kernel-checks.js';
import { nftComplaint, sysctlComplaints } from '../../../src/cli/validate-kernel.js';

t.test('every sysctl and nft ruleset of a scenario, where the file has it', async (t) => {
  const items = kernelCheckItems(`name: x
cases:
  - name: c
    sysctl:
      a: { net.ipv4.conf.eth0.rp_filter: 1, net.ipv4.ip_forward: true }
    nft:
      b: |
        table inet t { }
    matrix:
      rp: { set: a:net.ipv4.conf.all.rp_filter, values: [0, 2] }
      al: { set: accept-local.accept_local, values: [0, 1] }
nodes:
  r1: { sysctl: { net.ipv4.conf.all.arp_ignore: 1 } }
`);
  t.same(items.map((i) => (i.kind === 'sysctl' ? `${i.key}=${i.value}@${i.loc.line}:${i.loc.col}` : `nft@${i.loc.line}:${i.loc.col} from ${i.firstLine}`)), [
    'net.ipv4.conf.eth0.rp_filter=1@5:12',
    'net.ipv4.ip_forward=1@5:45',
    'nft@7:10 from 8',
    'net.ipv4.conf.all.rp_filter=0@10:18',
    'net.ipv4.conf.all.rp_filter=2@10:18',
    'net.ipv4.conf.all.arp_ignore=1@13:19',
  ]);
  t.same(kernelCheckItems('name: [unclosed'), [], 'a file that does not parse is the loader\'s to report');
});

t.test('a device of the scenario is asked as default in the scratch namespace', async (t) => {
  t.equal(scratchKey('net.ipv4.conf.eth0.rp_filter'), 'net.ipv4.conf.default.rp_filter');
  t.equal(scratchKey('net.ipv6.conf.wlan1.forwarding'), 'net.ipv6.conf.default.forwarding');
  t.equal(scratchKey('net.ipv4.neigh.eth0.gc_stale_time'), 'net.ipv4.neigh.default.gc_stale_time');
  t.equal(scratchKey('net.ipv4.conf.all.rp_filter'), 'net.ipv4.conf.all.rp_filter');
  t.equal(scratchKey('net.ipv4.ip_forward'), 'net.ipv4.ip_forward');
});

t.test("sysctl's complaints, by key", async (t) => {
  const said = sysctlComplaints('sysctl: cannot stat /proc/sys/net/ipv4/conf/all/nokey: No such file or directory\nsysctl: setting key "net.ipv4.conf.all.rp_filter": Invalid argument\n');
  t.same([...said], [
    ['net.ipv4.conf.all.nokey', 'this kernel has no such sysctl'],
    ['net.ipv4.conf.all.rp_filter', 'the kernel refuses the value: Invalid argument'],
  ]);
});

t.test("nft's complaint, at the file's line when the ruleset is a block of it", async (t) => {
  const stderr = '/dev/stdin:2:72-72: Error: syntax error, unexpected semicolon\n  chain c { … }\n';
  t.equal(nftComplaint(stderr, 16), 'file line 17 (ruleset line 2, columns 72-72): Error: syntax error, unexpected semicolon');
  t.equal(nftComplaint(stderr, undefined), 'ruleset line 2:72-72: Error: syntax error, unexpected semicolon');
});
