// What the radio media saw of each probe, from the frames of their monitors. Pure.
import type { ProbePlan, Topology, MediumMonitor } from '../types/plan.js';
import { echoId } from './legs.js';
import type { AirFrame } from './radiotap.js';
import type { MediumObservation } from '../types/observation.js';
// moved to src/types/observation.ts (re-exported here during the move only)
export type { MediumObservation } from '../types/observation.js';

/** Wall-clock span of one probe, ms since the epoch. */
export interface ProbeWindow {
  start: number;
  end: number;
}

/** Does the frame carry a packet of the probe (any leg: datagram, request, reply, SYN, SYN-ACK)? */
export const carriesProbe = (frame: AirFrame, pp: ProbePlan): boolean => {
  const p = frame.packet;
  if (!p || p.protocol === undefined) return false;
  const { kind, family } = pp.probe;
  if ((family === 4) !== (p.ethertype === 0x0800)) return false;
  const ours = (sport?: number): boolean => pp.sport === undefined || sport === pp.sport;
  if (kind === 'udp') return p.protocol === 17 && p.dport === pp.port && ours(p.sport);
  if (kind === 'tcp') return p.protocol === 6 && ((p.dport === pp.port && ours(p.sport)) || (p.sport === pp.port && ours(p.dport)));
  const echo = family === 4 ? [8, 0] : [128, 129];
  return p.protocol === (family === 4 ? 1 : 58) && echo.includes(p.icmpType ?? -1) && p.icmpId === echoId(pp);
};

/** The probe's frames on each medium; pure. */
export const mediumObservation = (
  media: readonly { monitor: MediumMonitor; frames: readonly AirFrame[] | { error: string } }[],
  pp: ProbePlan,
  window: ProbeWindow | undefined,
  /** Media whose radios counted the probe: only there are encrypted frames worth counting. */
  crossed: ReadonlySet<string> = new Set(),
): MediumObservation => {
  const obs: MediumObservation = { frames: 0, media: {} };
  for (const { monitor, frames } of media) {
    if ('error' in frames) {
      (obs.unobserved ??= []).push(`${monitor.medium}: ${frames.error}`);
      continue;
    }
    const n = frames.filter((f) => carriesProbe(f, pp)).length;
    obs.media[monitor.medium] = n;
    obs.frames += n;
    if (monitor.encrypted && window && crossed.has(monitor.medium)) {
      const hidden = frames.filter((f) => f.type === 'data' && f.protected && f.timeMs >= window.start && f.timeMs <= window.end).length;
      obs.encrypted = (obs.encrypted ?? 0) + hidden;
    }
  }
  return obs;
};

/** The media a probe's radios counted it on (`devices` as observed, `node:dev` → tx/rx). */
export const crossedMedia = (
  topology: Topology,
  devices: Readonly<Record<string, { tx: number; rx: number }>>,
): Set<string> =>
  new Set(
    topology.devices
      .filter((d) => d.medium !== undefined && ((devices[`${d.node}:${d.dev}`]?.tx ?? 0) + (devices[`${d.node}:${d.dev}`]?.rx ?? 0)) > 0)
      .map((d) => d.medium as string),
  );

/** One line for the table: what the air saw of a probe. */
export const describeMedium = (m: MediumObservation): string => {
  // With several media, which of them carried it (a medium that saw nothing is in the JSON).
  const media = Object.keys(m.media);
  const seen = media.filter((k) => (m.media[k] ?? 0) > 0);
  const where = media.length > 1 && seen.length ? ` (${seen.map((k) => `${k}: ${m.media[k]}`).join(', ')})` : '';
  const parts = [`on the air: ${m.frames} frame${m.frames === 1 ? '' : 's'} of this probe${where}`];
  if (m.encrypted !== undefined) parts.push(`${m.encrypted} encrypted data frame${m.encrypted === 1 ? '' : 's'} during it (WPA2: not readable)`);
  for (const u of m.unobserved ?? []) parts.push(`not observed: ${u}`);
  return parts.join('; ');
};

