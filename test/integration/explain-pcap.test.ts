// --explain (kernel drop reasons) and --out (a pcap per device per case), for real.
import { execa } from 'execa';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { lab, needsRoot, ROOT } from './helpers.js';
import { tempDir } from '../tmp.js';

const SCENARIO = join(ROOT, 'scenarios', 'why-not-delivered.yaml');

t.test('pcaps per device, drop reasons per probe, nothing left in tracefs', { skip: needsRoot }, async (t) => {
  const out = tempDir('lab-out-');
  // On a machine that boots without tracefs mounted, --explain mounts it and takes it back after.
  const tracefs = '/sys/kernel/tracing';
  const mounted = (): boolean => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === tracefs && / - tracefs /.test(l));
  const mountedBefore = mounted();
  const r = await lab([
    'run', SCENARIO, '--explain', '--out', out, '--format', 'table,json',
    '--case', 'a firewall drops it', '--case', 'strict rp_filter drops a source routed elsewhere',
  ]);
  t.equal(r.exitCode, 0, String(r.stderr));
  t.match(String(r.stdout), /· kfree_skb: NETFILTER_DROP ×1/, 'the table shows the drop reason as evidence');
  t.match(String(r.stdout), /· route get on a: dev eth0 table main/, 'and the other evidence, for every probe');

  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
  const evidence = (name: string): string[] =>
    report.scenarios[0].cases.find((c: { name: string }) => c.name === name).probes[0].evidence;
  t.ok(evidence('a firewall drops it').includes('kfree_skb: NETFILTER_DROP ×1'));
  t.ok(evidence('strict rp_filter drops a source routed elsewhere').includes('kfree_skb: IP_RPFILTER ×1'));

  const dir = join(out, 'why-not-delivered', 'a-firewall-drops-it');
  t.same(readdirSync(dir).sort(), ['a-eth0.pcap', 'a-eth1.pcap', 'a-lo.pcap', 'b-eth0.pcap', 'b-eth1.pcap', 'b-eth2.pcap', 'b-eth3.pcap', 'b-lo.pcap']);
  // tshark reads what tcpdump wrote: the ARP exchange and the probe datagram with its marker.
  const seen = await execa('tshark', ['-r', join(dir, 'b-eth0.pcap'), '-T', 'fields', '-e', 'frame.protocols', '-e', 'udp.dstport', '-e', 'data.text', '-o', 'data.show_as_text:TRUE'], { reject: false });
  t.equal(seen.exitCode, 0, seen.stderr);
  t.match(seen.stdout, /arp/);
  t.match(seen.stdout, /udp\S*\t9000\tnetns-lab lab-[0-9a-f]+ c\d+ p0/, 'the probe datagram, marker and all');
  const quiet = await execa('tshark', ['-r', join(dir, 'a-eth1.pcap'), '-Y', 'udp.dstport == 9000'], { reject: false });
  t.equal(quiet.stdout.trim(), '', 'nothing of the probe on a NIC it did not cross');

  if (mountedBefore) {
    const instances = readdirSync(join(tracefs, 'instances')).filter((n) => n.startsWith('lab-'));
    t.same(instances, [], 'the trace instance of the run is gone');
  } else {
    t.notOk(mounted(), 'tracefs was not mounted before the run, and the mount lab made is gone');
  }
  t.notOk(existsSync(join(out, 'nothing')));
});
