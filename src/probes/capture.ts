// `--out DIR`: a pcap per device per case, written by tcpdump inside each node's namespace.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CommandError } from '../errors.js';
import type { ProbeHost } from './host.js';
import { startTcpdumps } from './tcpdump.js';

/** The pcap of one device, inside the case's own directory (see src/backends/out-tree.ts). */
export const pcapPath = (caseDir: string, node: string, dev: string): string => join(caseDir, `${node}-${dev}.pcap`);

/** How long a tcpdump may take to say it listens (hundreds of them start at once on a large case). */
const LISTEN_MS = 10_000;

export interface Capture {
  /** Stops every tcpdump (they flush on SIGTERM) and returns the files written. */
  stop(): Promise<string[]>;
}

/**
 * Starts tcpdump on every device of the case (not promiscuous: see tcpdumpArgv) and returns once
 * each one captures. A tcpdump that does not get there fails the case instead of leaving a pcap
 * that silently misses the probes.
 */
export const startCapture = async (host: ProbeHost, caseDir: string): Promise<Capture> => {
  mkdirSync(caseDir, { recursive: true });
  const targets = host.plan.topology.devices.map((d) => ({ node: d.node, dev: d.dev, file: pcapPath(caseDir, d.node, d.dev), promiscuous: false }));
  const { dumps, late } = await startTcpdumps(host, targets, LISTEN_MS);
  const stopAll = (): Promise<unknown> => Promise.all(dumps.map(({ proc }) => proc.stop()));
  const [first] = late;
  if (first) {
    await stopAll();
    const done = await first.proc.done;
    const said = done.stderr.trim();
    throw new CommandError(
      done.argv,
      -1,
      `tcpdump did not start capturing on ${late.map((d) => `${d.node}:${d.dev}`).join(', ')} within ${LISTEN_MS * host.timeScale} ms${said ? `: ${said}` : ''}`,
      true,
    );
  }
  return {
    async stop() {
      await stopAll();
      return dumps.map((d) => d.file);
    },
  };
};
