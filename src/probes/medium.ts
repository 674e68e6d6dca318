// The radio medium, observed: tcpdump on each medium's monitor interface (src/plan/wireless.ts)
// writes a radiotap pcap for the whole case; when the case is over, the frames that carried each
// probe's packets are counted from it. With --out the pcaps stay there (DIR/<case>/medium-w0.pcap).
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crossedMedia, mediumObservation, type ProbeWindow } from './air.js';
import type { ProbeHost } from './host.js';
import type { MediumObservation } from '../types/observation.js';
import { parseRadiotapPcap } from './radiotap.js';
import { startTcpdumps } from './tcpdump.js';

export const mediumPcapName = (medium: string): string => `medium-${medium}.pcap`;

export interface MediumObserver {
  /** Runs one probe, noting when it ran (for encrypted media, where only time can attribute frames). */
  window<T>(index: number, probe: () => Promise<T>): Promise<T>;
  /**
   * Stops the captures and says what the media saw of each probe, given the devices each one
   * crossed (index by index; undefined where nothing could be said). Never throws.
   */
  stop(observed: readonly { devices: Record<string, { tx: number; rx: number }> }[]): Promise<(MediumObservation | undefined)[]>;
}

const NOTHING: MediumObserver = { window: (_i, probe) => probe(), stop: async () => [] };

/** How long a monitor's tcpdump may take to say it listens; the case goes on without it after. */
const LISTEN_MS = 5_000;

/**
 * Starts tcpdump on every medium's monitor and waits until each listens. The pcaps go under
 * `caseDir` (the case's folder of `--out`) when given, to a temporary directory otherwise
 * (removed when the case is over).
 */
export const observeMedia = async (host: ProbeHost, caseDir: string | undefined): Promise<MediumObserver> => {
  const { media, probes } = host.plan;
  if (!media?.length || probes.length === 0) return NOTHING;
  const dir = caseDir ?? mkdtempSync(join(tmpdir(), 'lab-medium-'));
  mkdirSync(dir, { recursive: true });
  // tcpdump's default mode on a monitor interface, which hears its whole medium.
  const targets = media.map((monitor) => ({ node: monitor.node, dev: monitor.dev, file: join(dir, mediumPcapName(monitor.medium)), promiscuous: true }));
  const { dumps: started } = await startTcpdumps(host, targets, LISTEN_MS);
  const dumps = started.map((d, i) => ({ ...d, monitor: media[i] as (typeof media)[number] }));
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
    async stop(observed) {
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
        return observed.map((o, i) => {
          const pp = probes[i];
          return pp ? mediumObservation(read, pp, windows[i], crossedMedia(host.plan.topology, o.devices)) : undefined;
        });
      } catch {
        // The observation is an addition to the verdict, never a reason to lose it.
        return [];
      } finally {
        if (caseDir === undefined) rmSync(dir, { recursive: true, force: true });
      }
    },
  };
};
