// `--out DIR`: a pcap per device per case, written by tcpdump inside each node's namespace.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { inNetns, type LiveCase } from '../backends/host.js';
import type { LiveProcess, Runner } from '../backends/runner.js';

/** A case name as a directory name: the same name always gives the same directory. */
export const caseDirName = (name: string): string =>
  name.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '') || 'case';

export const pcapPath = (dir: string, caseName: string, node: string, dev: string): string =>
  join(dir, caseDirName(caseName), `${node}-${dev}.pcap`);

export interface Capture {
  /** Stops every tcpdump (they flush on SIGTERM) and returns the files written. */
  stop(): Promise<string[]>;
}

/** Starts tcpdump on every device of the case and waits until each one is listening. */
export const startCapture = async (runner: Runner, live: LiveCase, dir: string): Promise<Capture> => {
  mkdirSync(join(dir, caseDirName(live.plan.case.name)), { recursive: true });
  const dumps: { file: string; proc: LiveProcess }[] = live.plan.topology.devices.map((d) => {
    const file = pcapPath(dir, live.plan.case.name, d.node, d.dev);
    // -Z root: Debian's tcpdump would otherwise drop to its own user and fail to write into DIR.
    // -p: no promiscuous mode, which would change what is observed (a promiscuous bridge device
    // takes a copy of every frame it forwards, so br0 would appear on every path).
    const argv = inNetns(live.netnsOf(d.node), ['tcpdump', '-p', '-i', d.dev, '-w', file, '-U', '-n', '-Z', 'root', '-s', '0']);
    return { file, proc: runner.start({ argv, timeoutMs: 10 * 60_000 }) };
  });
  await Promise.all(
    dumps.map(({ proc }) =>
      Promise.race([
        proc.waitForLine((l) => l.includes('listening on'), 'stderr'),
        new Promise((resolve) => setTimeout(resolve, 5_000).unref()),
      ]),
    ),
  );
  return {
    async stop() {
      await Promise.all(dumps.map(({ proc }) => proc.stop()));
      return dumps.map((d) => d.file);
    },
  };
};
