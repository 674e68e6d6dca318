// `--out DIR`: a pcap per device per case, written by tcpdump inside each node's namespace.
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { inNetns, type LiveCase } from '../backends/host.js';
import type { LiveProcess, Runner } from '../backends/runner.js';
import { timeScale } from '../backends/time-scale.js';
import { CommandError } from '../errors.js';
import { folderName } from '../backends/out-tree.js';

/** A case name as a directory name: the same name always gives the same directory. */
export const caseDirName = (name: string): string => folderName(name, 'case');

/** The pcap of one device, inside the case's own directory (see src/cli/out-tree.ts). */
export const pcapPath = (caseDir: string, node: string, dev: string): string => join(caseDir, `${node}-${dev}.pcap`);

/** A pcap file's global header: what tcpdump writes once it has opened the device. */
const PCAP_HEADER_BYTES = 24;

/** How long a tcpdump may take to say it listens (hundreds of them start at once on a large case). */
const LISTEN_MS = 10_000;

/**
 * The argv of one device's capture. -Z root: Debian's tcpdump would otherwise drop to its own
 * user and fail to write into DIR. -p: no promiscuous mode, which would change what is observed
 * (a promiscuous bridge device takes a copy of every frame it forwards, so br0 would appear on
 * every path). --immediate-mode: without it libpcap's TPACKET_V3 ring hands a block of frames
 * over only when the block fills or its 1 s timeout runs out, and the frames of a block not yet
 * handed over when tcpdump is stopped are lost: measured by hand (tcpdump on lo, one datagram,
 * SIGTERM 0.1 s later), the pcap was header-only (24 bytes) every time although tcpdump said
 * "4 packets received by filter"; with --immediate-mode 20 runs of 20 kept the datagram. That is
 * why every pcap of a case that finished in under a second was empty.
 */
export const captureArgv = (dev: string, file: string): string[] =>
  ['tcpdump', '-p', '-i', dev, '-w', file, '-U', '--immediate-mode', '-n', '-Z', 'root', '-s', '0'];

export interface Capture {
  /** Stops every tcpdump (they flush on SIGTERM) and returns the files written. */
  stop(): Promise<string[]>;
}

/**
 * Starts tcpdump on every device of the case and returns once each one captures: it has said
 * "listening on" (printed after the capture socket is bound to the device) and its file holds
 * the pcap header. A tcpdump that does not get there fails the case instead of leaving a pcap
 * that silently misses the probes.
 */
export const startCapture = async (runner: Runner, live: LiveCase, caseDir: string): Promise<Capture> => {
  mkdirSync(caseDir, { recursive: true });
  const dumps: { file: string; what: string; argv: string[]; proc: LiveProcess }[] = live.plan.topology.devices.map((d) => {
    const file = pcapPath(caseDir, d.node, d.dev);
    const argv = inNetns(live.netnsOf(d.node), captureArgv(d.dev, file));
    return { file, what: `${d.node}:${d.dev}`, argv, proc: runner.start({ argv, timeoutMs: 10 * 60_000 }) };
  });
  const stopAll = (): Promise<unknown> => Promise.all(dumps.map(({ proc }) => proc.stop()));
  const deadline = Date.now() + LISTEN_MS * timeScale();
  const waits = await Promise.all(
    dumps.map(async ({ file, what, proc }) => {
      let timer: NodeJS.Timeout | undefined;
      const line = await Promise.race([
        proc.waitForLine((l) => l.includes('listening on'), 'stderr'),
        new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), Math.max(0, deadline - Date.now())))),
      ]);
      clearTimeout(timer);
      if (line === undefined) return what;
      // The header is written before "listening on" is printed; wait for it all the same (cheap).
      while (fileSize(file) < PCAP_HEADER_BYTES && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      return fileSize(file) < PCAP_HEADER_BYTES ? what : undefined;
    }),
  );
  const late = waits.filter((w): w is string => w !== undefined);
  if (late.length) {
    const first = dumps.find((d) => d.what === late[0]);
    await stopAll();
    const said = first ? (await first.proc.done).stderr.trim() : '';
    throw new CommandError(
      first?.argv ?? ['tcpdump'],
      -1,
      `tcpdump did not start capturing on ${late.join(', ')} within ${LISTEN_MS * timeScale()} ms${said ? `: ${said}` : ''}`,
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

const fileSize = (file: string): number => {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
};
