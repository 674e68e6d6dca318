// The radio medium, observed: tcpdump on each medium's monitor interface (src/plan/wireless.ts)
// writes a radiotap pcap for the whole case; when the case is over, the frames that carried each
// probe's packets are counted from it. With --out the pcaps stay there (DIR/<case>/medium-w0.pcap).
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inNetns, type LiveCase } from '../backends/host.js';
import type { LiveProcess, Runner } from '../backends/runner.js';
import { timeScale } from '../backends/time-scale.js';
import type { MediumMonitor } from '../types/plan.js';
import { crossedMedia, mediumObservation, type ProbeWindow } from './air.js';
import type { MediumObservation } from '../types/observation.js';
import { parseRadiotapPcap } from './radiotap.js';

export const mediumPcapName = (medium: string): string => `medium-${medium}.pcap`;

export interface MediumObserver {
  /** Runs one probe, noting when it ran (for encrypted media, where only time can attribute frames). */
  window<T>(index: number, probe: () => Promise<T>): Promise<T>;
  /** Stops the captures and sets `medium` on each probe result. Never throws. */
  stop(results: { medium?: MediumObservation; devices: Record<string, { tx: number; rx: number }> }[]): Promise<void>;
}

const NOTHING: MediumObserver = { window: (_i, probe) => probe(), stop: async () => undefined };

/**
 * Starts tcpdump on every medium's monitor and waits until each listens. The pcaps go under
 * `caseDir` (the case's folder of `--out`) when given, to a temporary directory otherwise
 * (removed when the case is over).
 */
export const observeMedia = async (runner: Runner, live: LiveCase, caseDir: string | undefined): Promise<MediumObserver> => {
  const { media, probes } = live.plan;
  if (!media?.length || probes.length === 0) return NOTHING;
  const dir = caseDir ?? mkdtempSync(join(tmpdir(), 'lab-medium-'));
  mkdirSync(dir, { recursive: true });
  const dumps: { monitor: MediumMonitor; file: string; proc: LiveProcess }[] = media.map((monitor) => {
    const file = join(dir, mediumPcapName(monitor.medium));
    // -Z root: Debian's tcpdump would otherwise drop to its own user and fail to write into dir.
    // --immediate-mode: without it libpcap hands frames over when its buffer timeout (1 s) runs
    // out, and frames the kernel still held when tcpdump was stopped were lost (measured: the AP
    // case's two frames missing in half of the runs once the probe took less than a second).
    const argv = inNetns(live.netnsOf(monitor.node), ['tcpdump', '-i', monitor.dev, '-w', file, '-U', '--immediate-mode', '-n', '-Z', 'root', '-s', '0']);
    return { monitor, file, proc: runner.start({ argv, timeoutMs: 10 * 60_000 }) };
  });
  await Promise.all(
    dumps.map(({ proc }) =>
      Promise.race([
        proc.waitForLine((l) => l.includes('listening on'), 'stderr'),
        new Promise((resolve) => setTimeout(resolve, 5_000 * timeScale()).unref()),
      ]),
    ),
  );
  const windows: ProbeWindow[] = [];
  return {
    async window(index, probe) {
      const start = Date.now();
      try {
        return await probe();
      } finally {
        windows[index] = { start, end: Date.now() };
      }
    },
    async stop(results) {
      try {
        const read = await Promise.all(
          dumps.map(async ({ monitor, file, proc }) => {
            const r = await proc.stop();
            try {
              return { monitor, frames: parseRadiotapPcap(readFileSync(file)) };
            } catch (err) {
              const said = r.stderr.trim().split('\n').pop();
              return { monitor, frames: { error: said || (err instanceof Error ? err.message : String(err)) } };
            }
          }),
        );
        results.forEach((result, i) => {
          const pp = probes[i];
          if (pp) result.medium = mediumObservation(read, pp, windows[i], crossedMedia(live.plan.topology, result.devices));
        });
      } catch {
        // The observation is an addition to the verdict, never a reason to lose it.
      } finally {
        if (caseDir === undefined) rmSync(dir, { recursive: true, force: true });
      }
    },
  };
};
