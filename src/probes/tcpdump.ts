// tcpdump inside a node's namespace, started and waited for until it captures: the one way the
// pcaps of `--out` (src/probes/capture.ts) and the radio media (src/probes/medium.ts) are written.
import { statSync } from 'node:fs';
import type { LiveProcess } from '../types/runner.js';
import type { ProbeHost } from './host.js';

/** A pcap file's global header: what tcpdump writes once it has opened the device. */
const PCAP_HEADER_BYTES = 24;

/**
 * The argv of one device's capture. -Z root: Debian's tcpdump would otherwise drop to its own
 * user and fail to write into the folder. --immediate-mode: without it libpcap's TPACKET_V3 ring
 * hands a block of frames over only when the block fills or its 1 s timeout runs out, and the
 * frames of a block not yet handed over when tcpdump is stopped are lost: measured by hand
 * (tcpdump on lo, one datagram, SIGTERM 0.1 s later), the pcap was header-only (24 bytes) every
 * time although tcpdump said "4 packets received by filter"; with --immediate-mode 20 runs of 20
 * kept the datagram (and the AP case's two frames were missing in half of the runs without it).
 * `promiscuous: false` (-p) where promiscuous mode would change what is observed: a promiscuous
 * bridge device takes a copy of every frame it forwards, so br0 would appear on every path.
 */
export const tcpdumpArgv = (dev: string, file: string, { promiscuous }: { promiscuous: boolean }): string[] =>
  ['tcpdump', ...(promiscuous ? [] : ['-p']), '-i', dev, '-w', file, '-U', '--immediate-mode', '-n', '-Z', 'root', '-s', '0'];

export interface TcpdumpTarget {
  node: string;
  dev: string;
  file: string;
  promiscuous: boolean;
}

export interface Tcpdump extends TcpdumpTarget {
  proc: LiveProcess;
}

/**
 * Starts tcpdump on every target and returns once each one captures: it has said "listening on"
 * (printed after the capture socket is bound to the device) and its file holds the pcap header;
 * or once `waitMs` (scaled by the host's time scale) has run out. `late` are those that did not
 * get there: the caller decides whether that fails the case.
 */
export const startTcpdumps = (host: ProbeHost, targets: readonly TcpdumpTarget[], waitMs: number): Promise<{ dumps: Tcpdump[]; late: Tcpdump[] }> =>
  startCaptures(host, targets, waitMs, (t) => host.start(t.node, { argv: tcpdumpArgv(t.dev, t.file, t), timeoutMs: CAPTURE_LIFETIME_MS }));

/** How long a capture may run at most (a case's whole probing, on the slowest machine). */
export const CAPTURE_LIFETIME_MS = 10 * 60_000;

/**
 * Starts a capture on every target with `start` (tcpdump, or a program that says and writes the
 * same: src/agent/capture.pl) and returns as startTcpdumps says.
 */
export const startCaptures = async (
  host: Pick<ProbeHost, 'timeScale'>,
  targets: readonly TcpdumpTarget[],
  waitMs: number,
  start: (target: TcpdumpTarget) => LiveProcess,
): Promise<{ dumps: Tcpdump[]; late: Tcpdump[] }> => {
  const dumps: Tcpdump[] = targets.map((t) => ({ ...t, proc: start(t) }));
  const deadline = Date.now() + waitMs * host.timeScale;
  const captures = await Promise.all(
    dumps.map(async ({ file, proc }) => {
      let timer: NodeJS.Timeout | undefined;
      const line = await Promise.race([
        proc.waitForLine((l) => l.includes('listening on'), 'stderr'),
        new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), Math.max(0, deadline - Date.now())))),
      ]);
      clearTimeout(timer);
      if (line === undefined) return false;
      // The header is written before "listening on" is printed; wait for it all the same (cheap).
      while (fileSize(file) < PCAP_HEADER_BYTES && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      return fileSize(file) >= PCAP_HEADER_BYTES;
    }),
  );
  return { dumps, late: dumps.filter((_, i) => !captures[i]) };
};

const fileSize = (file: string): number => {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
};
