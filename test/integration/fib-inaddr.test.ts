// The kernel's drop reason IP_INADDRERRORS names its cause (#14, fibpid): a node that receives a
// probe for an address that is not its own and does not forward drops it as a router with
// forwarding off does (fixtures/fib-inaddr.yaml says how it was reproduced by hand).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { tempDir } from '../tmp.js';
import { lab, needsRoot, ROOT } from './helpers.js';

const FIXTURE = join(ROOT, 'test', 'integration', 'fixtures', 'fib-inaddr.yaml');

interface CaseJson {
  name: string;
  status: string;
  error?: string;
  probes: { name: string; cause?: string | null; explanation: string; evidence: string[] }[];
}

const run = async (file: string, ...args: string[]) => {
  const r = await lab(['run', file, '--format', 'json', ...args]);
  const cases = String(r.stdout).trim() ? (JSON.parse(String(r.stdout)).scenarios[0].cases as CaseJson[]) : [];
  return { exitCode: r.exitCode, cases, stderr: String(r.stderr) };
};

t.test('--explain: IP_INADDRERRORS at the receiver names FORWARDING_OFF', { skip: needsRoot }, async (t) => {
  const r = await run(FIXTURE, '--explain');
  const p = r.cases[0]?.probes[0];
  t.equal(r.exitCode, 0, r.exitCode === 0 ? 'exit 0' : `${r.stderr}\n${p?.explanation}\n${p?.evidence.join('\n')}`);
  t.match(p?.explanation ?? '', /^not delivered \(FORWARDING_OFF\): b received it on eth0 for 203\.0\.113\.9, which is not an address of its own there/);
  t.match(p?.explanation ?? '', /kfree_skb IP_INADDRERRORS/, 'the drop reason is named');
  t.ok(p?.evidence.includes('kfree_skb: IP_INADDRERRORS ×1'), 'the evidence lists the drop reason');
});

t.test('negative control: with b forwarding it is not FORWARDING_OFF, and the case fails', { skip: needsRoot }, async (t) => {
  const text = readFileSync(FIXTURE, 'utf8');
  const off = '        setup: [[ip, addr, del, 203.0.113.9/24, dev, eth1]]\n';
  t.ok(text.includes(off), 'the fixture has the setup');
  const file = join(tempDir('lab-fib-inaddr-'), 'fib-inaddr.yaml');
  writeFileSync(file, text.replace(off, `${off}        forwarding: true\n`));
  const r = await run(file, '--explain');
  t.equal(r.exitCode, 1, 'lab fails the case');
  const p = r.cases[0]?.probes[0];
  t.notMatch(p?.explanation ?? '', /FORWARDING_OFF/, p?.explanation ?? 'no probe');
  t.notOk(p?.evidence.includes('kfree_skb: IP_INADDRERRORS ×1'), 'no IP_INADDRERRORS with forwarding on');
});
