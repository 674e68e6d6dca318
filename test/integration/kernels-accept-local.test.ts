// The three-kernel table of scenarios/accept-local-matrix.yaml (docs/guides/matrices.md, "Three
// kernels") kept true: the host kernel and the cached Debian 6.1 and 6.12 kernels side by side (VMs,
// TCG here), two cells of the matrix, each kernel's verdicts checked against the table, not against
// the scenario's expectations (a wrong expectation edited into the file would still be caught).
// The full table (21 cells) takes ~9 min under TCG on this 2-core machine; all three kernels agreed
// on every cell, so there is no cell where they differ: the two cells are the two verdicts one
// way, one per answer of wlan1 to the ARP request:
//   accept_local=1 rp_filter=0: wlan1 answers, the datagram crosses the wire (the cell the old
//     kernel-doc sentence "rp_filter must be non-zero for accept_local to have an effect" gets wrong);
//   accept_local=1 rp_filter=1: strict rp_filter, wlan1 stays silent, NEIGH_FAILED, and the
//     kernel's own `ip route get ... iif wlan1` refuses the source (its evidence line).
import t from 'tap';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cachedKernels } from '../../src/backends/vm/kernels.js';
import { defaultCacheDir } from '../../src/backends/vm/cache.js';
import { lab, needsRoot, ROOT, userEnv } from './helpers.js';
import { tempDir } from '../tmp.js';

const MATRIX = join(ROOT, 'scenarios', 'accept-local-matrix.yaml');
const KERNELS = ['6.1.0-57-amd64', '6.12.118+deb12-amd64'];
const qemu = existsSync('/usr/bin/qemu-system-x86_64');
const cached = new Set(cachedKernels(defaultCacheDir()).map((k) => k.release));
const guests = KERNELS.filter((k) => cached.has(k));
const skip = needsRoot
  || (qemu ? false : 'needs qemu-system-x86 (make deps)')
  || (guests.length ? false : `neither ${KERNELS.join(' nor ')} is cached in ${defaultCacheDir()} (lab run --kernel RELEASE fetches one)`);

const WIRE = 'accept-local [accept_local=1 rp_filter=0 direction=one-way]';
const STRICT = 'accept-local [accept_local=1 rp_filter=1 direction=one-way]';

/** What the table says of each cell, the same on every kernel. */
const TABLE: Record<string, Record<string, { delivered: boolean; path: string[]; cause: string | null }>> = {
  [WIRE]: {
    'wlan0 → wlan1': { delivered: true, path: ['laptop:wlan0', 'ap:port0', 'ap:port1', 'laptop:wlan1'], cause: null },
    'wlan1 → wlan0': { delivered: true, path: ['laptop:lo'], cause: null },
  },
  [STRICT]: {
    'wlan0 → wlan1': { delivered: false, path: [], cause: 'NEIGH_FAILED' },
    'wlan1 → wlan0': { delivered: true, path: ['laptop:lo'], cause: null },
  },
};

/** How each measured kernel refuses the strict cell's input route (ip route get ... iif wlan1). */
const ROUTE_GET_ERRNO: [RegExp, string][] = [
  [/^6\.1\.0-57-amd64$/, 'Invalid cross-device link'],
  [/^6\.12\.118\+deb12-amd64$/, 'Invalid cross-device link'],
  [/^6\.18\./, 'Invalid argument'],
];

interface Report {
  scenarios: { name: string; kernel: string; cases: { name: string; status: string; error?: string; probes: { name: string; delivered: boolean; path: string[]; cause: string | null; evidence: string[] }[] }[] }[];
}

/** Per kernel, per cell, per probe: what happened (the table's cell contents). */
const verdicts = (report: Report): Record<string, Record<string, Record<string, { delivered: boolean; path: string[]; cause: string | null }>>> =>
  Object.fromEntries(report.scenarios.map((s) => [
    s.kernel,
    Object.fromEntries(s.cases.map((c) => [c.name, Object.fromEntries(c.probes.map((p) => [p.name, { delivered: p.delivered, path: p.path, cause: p.cause }]))])),
  ]));

// Two TCG boots side by side plus two cells each: ~1.5-2.5 min on a loaded 2-core machine.
t.setTimeout(10 * 60_000);

t.test('accept-local-matrix: host, Debian 6.1 and 6.12 give the table\'s verdicts', { skip }, async (t) => {
  for (const k of KERNELS.filter((r) => !cached.has(r))) t.comment(`kernel ${k} is not cached: not run (lab run --kernel ${k} fetches it)`);
  const out = tempDir('lab-kernels3-out-');
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  const started = Date.now();
  const r = await lab([
    'run', MATRIX, '--kernel', 'host', ...guests.flatMap((k) => ['--kernel', k]),
    '--case', WIRE, '--case', STRICT, '--format', 'table,json', '--out', out,
  ], {
    timeout: 9 * 60_000,
    // The VM's own limit counts cases as 4 when --case does not name them all; a loaded machine
    // (other labs, other TCG guests) needs more than its default.
    env: { ...userEnv(), LAB_VM_TIMEOUT_MS: String(8 * 60_000) },
  });
  t.comment(`lab run on ${guests.length + 1} kernels: ${Math.round((Date.now() - started) / 1000)} s`);
  t.equal(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
  const seen = verdicts(report);
  const kernels = Object.keys(seen);
  t.equal(kernels.length, guests.length + 1, `one entry per kernel: ${kernels.join(', ')}`);
  t.strictSame(kernels.filter((k) => k.endsWith('-amd64')).sort(), [...guests].sort(), 'the guests ran the kernels asked for');
  for (const k of kernels) t.strictSame(seen[k], TABLE, `kernel ${k}: the table's verdicts`);
  for (const s of report.scenarios) {
    for (const c of s.cases) t.equal(c.status, 'pass', `kernel ${s.kernel}: ${c.name} ${c.error ?? ''}`);
    // The kernel's own answer: asked for the datagram's input route, it refuses the local source;
    // how it says so differs (measured; the verdicts do not): Debian 6.1 and 6.12 answer EXDEV
    // (rp_filter's own error), 6.18 EINVAL (since the route input returns drop reasons, v6.13's
    // "net: ip: make ip_route_input_noref() return drop reasons", every refusal is EINVAL).
    const lost = s.cases.find((c) => c.name === STRICT)?.probes.find((p) => p.name === 'wlan0 → wlan1');
    const refusal = lost?.evidence.map((e) => /^route get on laptop input \(iif wlan1\): refused: (.*)$/.exec(e)?.[1]).find(Boolean);
    const errno = ROUTE_GET_ERRNO.find(([re]) => re.test(s.kernel))?.[1];
    if (errno) t.equal(refusal, errno, `kernel ${s.kernel}: ip route get iif wlan1 refuses 192.0.2.1 with ${errno}\n${lost?.evidence.join('\n')}`);
    else t.ok(refusal, `kernel ${s.kernel}: ip route get iif wlan1 refuses 192.0.2.1\n${lost?.evidence.join('\n')}`);
  }
  // The side-by-side table: a column per kernel, and no row where they differ.
  t.match(r.stdout, /│ case +│ kernel \S+ +│ kernel/);
  for (const k of guests) t.ok(String(r.stdout).includes(k), `a column for ${k}`);
  t.notMatch(r.stdout, /differ between kernels/);
  t.match(r.stdout, new RegExp(`the ${guests.length + 1} kernels agree on all 2 case\\(s\\)`), 'the kernels agree on both cells');
});
