import Table from '../report/cli-table.js';
import { release } from 'node:os';
import { doctorReport } from '../session/index.js';
import type { Output } from './io.js';

/** `lab doctor`: what this host can do. Exit 3 when the host backend cannot run here. */
export const doctorCommand = async (io: Output): Promise<number> => {
  const { required, features, tcpdump, optional: optionalCaps } = await doctorReport();
  const table = new Table({ head: ['capability', 'status', 'detail'], style: { head: [], border: [] }, wordWrap: true, colWidths: [28, 9, 70] });
  for (const c of [...required, ...features]) {
    const detail = c.detail.split('\n')[0] ?? '';
    table.push([c.name, c.ok ? 'ok' : c.optional ? 'no' : 'MISSING', c.ok ? detail : `${detail}\n→ ${c.remedy}`]);
  }
  // Needed by `lab run --out` only: shown, but lab runs without it.
  table.push([tcpdump.name, tcpdump.ok ? 'ok' : 'no', tcpdump.ok ? tcpdump.detail : `${tcpdump.detail}\n→ ${tcpdump.remedy}`]);
  io.out(`kernel ${release()}\n${table.toString()}\n`);
  // Wireless and the VM backend are optional: they do not change the exit code.
  const optional = new Table({ head: ['optional', 'status', 'detail'], style: { head: [], border: [] }, wordWrap: true, colWidths: [28, 9, 70] });
  for (const c of optionalCaps) {
    optional.push([c.name, c.ok ? 'ok' : 'no', c.ok ? c.detail : `${c.detail}\n→ ${c.remedy}`]);
  }
  io.out(`${optional.toString()}\n`);
  // A device type the kernel lacks (dummy, 8021q, ...) only skips the cases that use it.
  return [...required, ...features].every((c) => c.ok || c.optional) ? 0 : 3;
};
