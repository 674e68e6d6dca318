import t from 'tap';
import { lab, needsRoot, SEED } from './helpers.js';

interface Report {
  scenarios: {
    name: string;
    file: string;
    kernel: string;
    sysctl_baseline?: Record<string, number>;
    cases: {
      name: string;
      status: string;
      probes: {
        name: string;
        proto: string;
        from: string;
        to: string;
        delivered: boolean;
        path: string[];
        devices: Record<string, { tx: number; rx: number }>;
        explanation: string;
      }[];
      expectations: { what: string; expected: unknown; actual: unknown; ok: boolean }[];
    }[];
  }[];
}

const wire = ['laptop:wlan0', 'ap:port0', 'ap:port1', 'laptop:wlan1'];

t.test('the default scenario, for real, as JSON', { skip: needsRoot }, async (t) => {
  const r = await lab(['run', '--format', 'json']);
  t.equal(r.exitCode, 0, `lab run exits 0\n${r.stderr}`);
  const report = JSON.parse(String(r.stdout)) as Report;
  t.equal(report.scenarios.length, 1);
  const s = report.scenarios[0]!;
  t.equal(s.name, 'laptop-two-nics');
  t.equal(s.file, 'scenarios/laptop-two-nics.yaml');
  t.match(s.kernel, /^\d+\.\d+/);
  t.same(Object.keys(s).sort(), ['cases', 'file', 'kernel', 'name', 'sysctl_baseline']);
  t.equal(s.sysctl_baseline?.['net.ipv4.conf.all.rp_filter'], 0, 'what every namespace started from (additive to the contract)');
  const byName = new Map(s.cases.map((c) => [c.name, c]));
  for (const c of s.cases) {
    t.equal(c.status, 'pass', `${c.name} passes`);
    t.same(Object.keys(c).sort(), ['expectations', 'name', 'probes', 'status']);
    for (const p of c.probes) {
      // The contract's keys, plus the diagnosis (cause, evidence, prediction) and the neighbour exchange.
      const keys = Object.keys(p);
      for (const k of ['delivered', 'devices', 'explanation', 'from', 'name', 'path', 'proto', 'to', 'cause', 'evidence', 'prediction']) {
        t.ok(keys.includes(k), `probe has ${k}`);
      }
      t.equal(p.proto, 'udp');
    }
    for (const e of c.expectations) t.same(Object.keys(e).sort(), ['actual', 'expected', 'ok', 'what']);
  }

  const lo = byName.get('without a recipe the kernel short-cuts through lo')!.probes[0]!;
  t.equal(lo.delivered, true);
  t.same(lo.path, ['laptop:lo']);
  t.same(lo.devices['laptop:lo'], { tx: 1, rx: 1 }, 'lo sent and received it once');
  t.same(lo.devices['laptop:wlan0'], { tx: 0, rx: 0 }, 'wlan0 never saw it');
  t.same(lo.devices['ap:port0'], { tx: 0, rx: 0 });
  t.equal(lo.from, 'laptop:192.0.2.1');
  t.match(lo.to, /^192\.0\.2\.2:\d+$/);

  const overWire = byName.get('accept-local sends it over the wire')!.probes[0]!;
  t.equal(overWire.delivered, true);
  t.same(overWire.path, wire);
  t.same(overWire.devices['laptop:lo'], { tx: 0, rx: 0 }, 'not through lo any more');
  t.same(overWire.devices['ap:port0'], { tx: 0, rx: 1 });
  t.same(overWire.devices['ap:port1'], { tx: 1, rx: 0 });

  const both = byName.get('both directions over the wire')!.probes;
  t.same(both.map((p) => p.path), [wire, [...wire].reverse()]);

  const refused = byName.get('without accept_local the ARP request goes unanswered')!.probes[0]!;
  t.equal(refused.delivered, false);
  t.same(refused.path, []);
  t.match(refused.explanation, /^not delivered \(NEIGH_FAILED\): neighbour 192\.0\.2\.2 on laptop:wlan0 is (INCOMPLETE|FAILED); laptop:wlan1 heard the ARP request but refuses its sender address 192\.0\.2\.1 \(accept_local 0, rp_filter 2\)/);
  t.equal((refused as { cause?: string }).cause, 'NEIGH_FAILED');
  t.ok((refused as { evidence?: string[] }).evidence?.includes('route get on laptop input (iif wlan1): refused: Invalid argument'), 'the input route check is part of the evidence');
});

t.test('the table names every case and its status', { skip: needsRoot }, async (t) => {
  const r = await lab(['run', SEED, '--case', 'accept-local sends it over the wire']);
  t.equal(r.exitCode, 0, String(r.stderr));
  const out = String(r.stdout);
  // Cells wrap at the column width: look for fragments that fit on one line.
  t.match(out, /accept-local sends it over/);
  t.match(out, /✓ pass/);
  t.match(out, /laptop:wlan0 → ap:port0 →/);
  t.match(out, /ap:port1 → laptop:wlan1/);
  t.match(out, /1 pass$/);
  t.notMatch(out, /without a recipe/, '--case runs only that case');
  t.match(String(r.stderr), /\[1\/1\] ✓ laptop-two-nics › accept-local sends it over the wire/);
});
