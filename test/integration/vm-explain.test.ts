// --explain in a VM with no Node in the guest: lab's host side drives the guest runner, and the
// tracers (skb:kfree_skb drop reasons, fib lookups) read and write the GUEST's tracefs, one guest
// command per access (src/probes/tracefs.ts). One boot of the cached Debian kernel, two cases of
// scenarios/why-not-delivered.yaml whose drop reasons every kernel since 5.17 names, compared with
// the same cases on the host.
// By hand: the full scenario with --explain on the host (6.18) and in the VM (Debian 6.1) gave
// the same cause for every probe and the same drop reasons, except QUEUE_PURGE (a tcp probe's
// close) and IP_LOCAL_SOURCE (the martian), which 6.1 does not have (neither string is in its
// vmlinux; both are in the host's kfree_skb format).
import t from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cachedKernels } from '../../src/backends/vm/kernels.js';
import { defaultCacheDir } from '../../src/backends/vm/cache.js';
import { lab, needsRoot, ROOT, userEnv } from './helpers.js';

const SCENARIO = join(ROOT, 'scenarios', 'why-not-delivered.yaml');
const CASES: Record<string, { cause: string; reason: string }> = {
  'strict rp_filter drops a source routed elsewhere': { cause: 'RPFILTER', reason: 'IP_RPFILTER' },
  'a firewall drops it': { cause: 'FILTERED', reason: 'NETFILTER_DROP' },
};
const debian = cachedKernels(defaultCacheDir()).find((k) => k.source.startsWith('linux-image-') && k.modulesRoot !== undefined);
const skip = needsRoot || (!existsSync('/usr/bin/qemu-system-x86_64') ? 'needs qemu-system-x86 (make deps)' : debian ? false : 'no Debian kernel in the cache (lab kernels)');

// A TCG boot plus two cases on a loaded 2-core machine.
t.setTimeout(10 * 60_000);

type Report = { scenarios: { kernel: string; cases: { name: string; status: string; probes: { cause: string | null; evidence: string[] }[] }[] }[] };
/** Per case: the probes' causes and the drop reasons their windows counted. */
const explained = (doc: Report) =>
  Object.fromEntries(
    (doc.scenarios[0]?.cases ?? []).map((c) => [c.name, c.probes.map((p) => ({ cause: p.cause, drops: p.evidence.filter((e) => e.startsWith('kfree_skb: ')), limits: p.evidence.filter((e) => /unavailable|cannot be used|tracefs/.test(e)) }))]),
  );

t.test('--explain in the VM: the guest kernel\'s drop reasons, through the guest runner, no Node in the guest', { skip }, async (t) => {
  const args = ['run', SCENARIO, '--explain', '--format', 'json', ...Object.keys(CASES).flatMap((c) => ['--case', c])];
  const [vm, host] = await Promise.all([
    // LAB_TRACE: the guest's processes once lab is done (src/cli/vm-entry.ts).
    lab([...args, '--backend', 'vm', '--kernel', debian?.release ?? ''], { timeout: 8 * 60_000, env: { ...userEnv(), LAB_TRACE: '1', LAB_VM_TIMEOUT_MS: '420000' } }),
    lab(args, { timeout: 2 * 60_000 }),
  ]);
  t.equal(vm.exitCode, 0, 'lab run in the VM', { stderr: String(vm.stderr).slice(-3000) });
  t.equal(host.exitCode, 0, 'lab run on the host', { stderr: String(host.stderr) });
  const ps = /\[trace\] guest processes: (\[.*\])/.exec(String(vm.stderr))?.[1];
  const guestProcesses = JSON.parse(ps ?? '[]') as string[];
  t.ok(guestProcesses.includes('perl'), `the guest runner ran: ${ps}`);
  t.notOk(guestProcesses.some((p) => /node/.test(p)), `no Node in the guest: ${ps}`);
  const vmDoc = JSON.parse(String(vm.stdout)) as Report;
  t.equal(vmDoc.scenarios[0]?.kernel, debian?.release, 'the guest kernel answered');
  const inVm = explained(vmDoc);
  const onHost = explained(JSON.parse(String(host.stdout)) as Report);
  for (const [name, { cause, reason }] of Object.entries(CASES)) {
    const v = inVm[name]?.[0];
    t.same(v?.limits, [], `${name}: the tracers worked in the guest`);
    t.equal(v?.cause, cause, `${name}: cause in the VM`);
    t.ok(v?.drops.some((d) => d.startsWith(`kfree_skb: ${reason} `)), `${name}: ${reason} in the VM: ${JSON.stringify(v?.drops)}`);
    t.equal(onHost[name]?.[0]?.cause, v?.cause, `${name}: the same cause on the host`);
    t.ok(onHost[name]?.[0]?.drops.some((d) => d.startsWith(`kfree_skb: ${reason} `)), `${name}: ${reason} on the host too`);
  }
});
