// The radio medium, observed: a capture on each medium's monitor interface (src/plan/wireless.ts;
// src/agent/capture.pl forked by the node's agent) writes a radiotap pcap for the whole case; when the case is over, the frames that carried each
// probe's packets are counted from it. With --out the pcaps stay there (DIR/<case>/medium-w0.pcap).
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crossedMedia, mediumObservation, type ProbeWindow } from './air.js';
import type { ProbeHost } from './host.js';
import type { MediumObservation } from '../types/observation.js';
import { parseRadiotapPcap } from './radiotap.js';
import { PACKET_CAPTURE } from '../agent/programs.js';
import { CAPTURE_LIFETIME_MS, startCaptures, tcpdumpArgv, type TcpdumpTarget } from './tcpdump.js';
import type { LiveProcess } from '../types/runner.js';

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
 * The realtime clock of `node`'s kernel, ms since the epoch: the clock tcpdump stamps the
 * medium's frames with. Read there, not with Date.now(): in the VM backend lab runs on the host
 * and the guest's clock is its own (set from the RTC at boot, then drifting under TCG; measured
 * 1.2-1.3 s behind the host's in a TCG guest, 2026-12-03): host-clock windows missed the WPA2
 * datagram's frames in one CI run of four (0 counted).
 * A read before the probe and one after bracket it on the capture's clock whatever the offset.
 * undefined when the clock cannot be read (the frames are then not attributed, rather than wrongly).
 */
export const kernelClockMs = async (host: Pick<ProbeHost, 'run'>, node: string): Promise<number | undefined> => {
  try {
    // The run's default timeout, scaled in a TCG guest like every command's.
    const r = await host.run(node, { argv: ['date', '+%s%N'] });
    const ns = /^\d{10,}$/.test(r.stdout.trim()) ? BigInt(r.stdout.trim()) : undefined;
    return r.exitCode === 0 && ns !== undefined ? Number(ns / 1_000_000n) : undefined;
  } catch {
    return undefined;
  }
};

/**
 * The capture of one monitor: src/agent/capture.pl forked by the node's agent (compiled once per
 * agent: no process start, no `ip netns exec`, no tcpdump start, which under TCG cost ~0.3 s of a
 * guest CPU each, four per pair of wireless cases), or tcpdump where the node has no agent. Both
 * write the same pcap (byte for byte, timestamps included: compared on a veth by hand and in
 * test/integration/packet-capture.test.ts).
 */
const startMediumCapture = (host: ProbeHost, t: TcpdumpTarget): LiveProcess => {
  const agent = host.agent(t.node);
  const lifetimeS = String(Math.ceil((CAPTURE_LIFETIME_MS * host.timeScale) / 1000));
  return agent
    ? agent.open({ argv: ['perl', '-e', PACKET_CAPTURE, t.dev, t.file, lifetimeS] })
    : host.start(t.node, { argv: tcpdumpArgv(t.dev, t.file, t), timeoutMs: CAPTURE_LIFETIME_MS });
};

/**
 * Starts a capture on every medium's monitor and waits until each listens. The pcaps go under
 * `caseDir` (the case's folder of `--out`) when given, to a temporary directory otherwise
 * (removed when the case is over).
 */
export const observeMedia = async (host: ProbeHost, caseDir: string | undefined): Promise<MediumObserver> => {
  const { media, probes } = host.plan;
  if (!media?.length || probes.length === 0) return NOTHING;
  const dir = caseDir ?? mkdtempSync(join(tmpdir(), 'lab-medium-'));
  mkdirSync(dir, { recursive: true });
  // A monitor interface hears its whole medium (promiscuous: tcpdump's default, where it is the capture).
  const targets = media.map((monitor) => ({ node: monitor.node, dev: monitor.dev, file: join(dir, mediumPcapName(monitor.medium)), promiscuous: true }));
  const { dumps: started, late } = await startCaptures(host, targets, LISTEN_MS, (t) => startMediumCapture(host, t));
  const dumps = started.map((d, i) => ({ ...d, monitor: media[i] as (typeof media)[number] }));
  // Windows are needed only where frames cannot be read (encrypted media), on that medium's clock.
  const clockNode = media.find((m) => m.encrypted)?.node;
  const windows: (ProbeWindow | undefined)[] = [];
  return {
    async window(index, probe) {
      const start = clockNode === undefined ? undefined : await kernelClockMs(host, clockNode);
      try {
        return await probe();
      } finally {
        const end = clockNode === undefined ? undefined : await kernelClockMs(host, clockNode);
        windows[index] = start !== undefined && end !== undefined ? { start, end } : undefined;
      }
    },
    async stop(observed) {
      try {
        const read = await Promise.all(
          dumps.map(async ({ monitor, file, proc }, i) => {
            const r = await proc.stop();
            // A capture that was not listening when the probes ran would count frames it missed.
            if (late.includes(started[i] as (typeof started)[number])) return { monitor, frames: { error: `tcpdump on ${monitor.node}:${monitor.dev} was not capturing within ${LISTEN_MS * host.timeScale} ms` } };
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
