// ROUTE_LOCALNET for real (scenarios/route-localnet.yaml, reproduced by hand first: see there):
// the receiver that ignores ARP for a 127/8 target, and the sender refused a 127/8 source, each
// named with the knob at fault; with route_localnet 1 both get through.
import { join } from 'node:path';
import t from 'tap';
import { lab, needsRoot, ROOT } from './helpers.js';

interface Probe { delivered: boolean; path: string[]; cause: string | null; explanation: string; evidence: string[] }

t.test('route_localnet, receiver and sender, named as the cause', { skip: needsRoot }, async (t) => {
  const r = await lab(['run', join(ROOT, 'scenarios', 'route-localnet.yaml'), '--format', 'json']);
  t.equal(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);
  const cases = JSON.parse(String(r.stdout)).scenarios[0].cases as { name: string; status: string; probes: Probe[] }[];
  const probe = (prefix: string): Probe | undefined => cases.find((c) => c.name.startsWith(prefix))?.probes[0];

  const target = probe('a 127/8 target is not answered');
  t.equal(target?.cause, 'ROUTE_LOCALNET');
  t.match(target?.explanation, /laptop:wlan1 ignores ARP requests for a 127\/8 target with route_localnet 0/);
  t.notMatch(target?.explanation, /accept_local|rp_filter|refuses its sender address/, 'not the knobs of a local source');
  t.ok(target?.evidence.includes('on laptop:wlan1: route_localnet 0 (all 0, wlan1 0)'), 'the values that decided');

  const source = probe('a 127/8 source is refused by the sender');
  t.equal(source?.cause, 'ROUTE_LOCALNET', 'not UNKNOWN');
  t.match(source?.explanation, /^not delivered \(ROUTE_LOCALNET\): laptop refused to send from 127\.1\.0\.1 \((sendto: )?Invalid argument\)/);
  t.ok(source?.evidence.includes('on laptop: route_localnet 0 (all 0)'));

  // The positive controls: the same with route_localnet 1 gets over the wire.
  t.same(probe('with route_localnet on the receiving NIC')?.path, ['laptop:wlan0', 'ap:port0', 'ap:port1', 'laptop:wlan1']);
  t.same(probe('with route_localnet the 127/8 source')?.path, ['laptop:wlan0', 'ap:port0', 'ap:port1', 'laptop:wlan1']);
});
