// Each probe's path counts its own packets (a source port of its own in the observer's rules), and
// the agent's echo reply and connect feed reply.delivered and handshake; through `lab run` on
// test/integration/fixtures/own-packets.yaml (reproduced by hand first: see its comment).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { tempDir } from '../tmp.js';
import { lab, needsRoot, ROOT, runCases, whyNotPassed } from './helpers.js';

interface Probe { name: string; delivered: boolean; path: string[]; explanation: string; evidence: string[]; handshake?: boolean; reply?: { delivered: boolean } }
interface Case { name: string; status: string; probes: Probe[]; expectations: { what: string; ok: boolean; expected: unknown; actual: unknown }[] }

const FIXTURE = join(ROOT, 'test', 'integration', 'fixtures', 'own-packets.yaml');

const run = (file: string) => runCases<Case>(file);

const why = whyNotPassed;

t.test('a refused probe has no path of a sibling to the same port; replies and handshakes as the sender saw them', { skip: needsRoot }, async (t) => {
  const { exitCode, cases, stderr } = await run(FIXTURE);
  const [c] = cases;
  if (!c) throw new Error('no case');
  t.equal(c.status, 'pass', why(c));
  t.equal(exitCode, 0, stderr);
  const p = (name: string): Probe | undefined => c.probes.find((x) => x.name === name);
  t.same(p('tcp nowhere')?.path, [], 'the refused connect put nothing on a device');
  t.same(p('udp nowhere')?.path, [], 'the refused datagram neither');
  t.equal(p('tcp to b')?.handshake, true, 'the connect completed');
  t.equal(p('ping b')?.reply?.delivered, true, 'the echo reply came back');
});

t.test('negative control: the opposite expectations fail', { skip: needsRoot }, async (t) => {
  const dir = tempDir('own-packets');
  const flipped = readFileSync(FIXTURE, 'utf8')
    .replace('handshake: true }', 'handshake: false }')
    .replace('reply: { delivered: true,', 'reply: { delivered: false,')
    .replace('expect: { delivered: false, path: [], reject: no-route, reason: NO_ROUTE, handshake: false }', 'expect: { path: [a:eth0, b:eth0] }');
  const file = join(dir, 'flipped.yaml');
  writeFileSync(file, flipped);
  const { exitCode, cases } = await run(file);
  t.equal(exitCode, 1);
  const failed = (cases[0]?.expectations ?? []).filter((e) => !e.ok).map((e) => e.what).sort();
  t.same(failed, ['ping b: reply.delivered', 'tcp nowhere: path', 'tcp to b: handshake'].sort());
});
