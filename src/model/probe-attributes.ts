// Probe attributes (issue 14 item 3): what the sender's socket carries besides its addresses, so
// that policy rules (tos, fwmark, sport, uidrange) and IPv6 flow labels can be exercised. The
// shape is checked here; checks that need the probe's kind or family are in checkAttributes.
import { z } from 'zod';
import type { ProbeAttributes, ProbeKind } from '../types/scenario.js';

/** A whole number from `min` to `max`, written as a number or as a hex string ("0x10"). */
const wholeNumber = (min: number, max: number, what: string) => {
  const error = `${what} must be a whole number from ${min} to ${max} (decimal, or hex like 0x${max.toString(16)})`;
  return z.union([z.int({ error }), z.string().regex(/^(0x[0-9a-fA-F]+|\d+)$/, { error })], { error })
    .transform((v) => (typeof v === 'number' ? v : Number(v)))
    .refine((v) => Number.isSafeInteger(v) && v >= min && v <= max, { error });
};

const U32 = 0xffffffff;

/** The attribute keys every probe kind accepts in the schema (the kind check is a resolve step, with its own message). */
export const probeAttributeFields = {
  tos: wholeNumber(0, 255, 'tos').optional()
    .describe('The IPv4 TOS byte / IPv6 traffic class (IP_TOS, IPV6_TCLASS; ping -Q): udp, icmp, tcp. Excludes dscp.'),
  dscp: wholeNumber(0, 63, 'dscp').optional()
    .describe('The DSCP (the top six bits of tos: tos = dscp × 4): udp, icmp, tcp. Excludes tos.'),
  mark: wholeNumber(0, U32, 'mark').optional()
    .describe('The socket mark (SO_MARK, what `ip rule fwmark` and nft `meta mark` match): udp, icmp, tcp.'),
  sport: wholeNumber(1, 65535, 'sport').optional()
    .describe('The source port: udp and tcp only (icmp has no ports).'),
  uid: wholeNumber(0, U32 - 1, 'uid').optional()
    .describe('Send from a socket owned by this user id (what `ip rule uidrange` and nft `meta skuid` see): udp, icmp, tcp.'),
  flowlabel: wholeNumber(0, 0xfffff, 'flowlabel').optional()
    .describe('The IPv6 flow label (20 bits; sin6_flowinfo with IPV6_FLOWINFO_SEND): udp, icmp, tcp; IPv6 only.'),
};

export type RawProbeAttributes = {
  [K in keyof typeof probeAttributeFields]?: number | undefined;
};

/** Problems of a probe's attributes that depend on its kind and family: key → message. */
export const attributeProblems = (raw: RawProbeAttributes, kind: ProbeKind, family: 4 | 6): [string, string][] => {
  const problems: [string, string][] = [];
  if (raw.tos !== undefined && raw.dscp !== undefined) {
    problems.push(['dscp', `tos and dscp set the same bits (tos = dscp × 4): give one of them (tos ${raw.tos}, dscp ${raw.dscp})`]);
  }
  if (raw.sport !== undefined && kind === 'icmp') problems.push(['sport', 'an icmp probe has no source port (sport is for udp and tcp)']);
  if (raw.flowlabel !== undefined && family === 4) problems.push(['flowlabel', 'flowlabel is an IPv6 header field: this probe is IPv4']);
  return problems;
};

/** The attributes as the sender uses them: dscp becomes its tos byte. */
export const probeAttributes = (raw: RawProbeAttributes): ProbeAttributes => {
  const tos = raw.tos ?? (raw.dscp === undefined ? undefined : raw.dscp << 2);
  return {
    ...(tos === undefined ? {} : { tos }),
    ...(raw.mark === undefined ? {} : { mark: raw.mark }),
    ...(raw.sport === undefined ? {} : { sport: raw.sport }),
    ...(raw.uid === undefined ? {} : { uid: raw.uid }),
    ...(raw.flowlabel === undefined ? {} : { flowlabel: raw.flowlabel }),
  };
};

/** `key VALUE` words for lines like `route get`: the attributes that are set, hex where ip prints hex. */
export const describeAttributes = (a: ProbeAttributes): string =>
  [
    a.tos === undefined ? '' : `tos 0x${a.tos.toString(16)}`,
    a.mark === undefined ? '' : `mark 0x${a.mark.toString(16)}`,
    a.sport === undefined ? '' : `sport ${a.sport}`,
    a.uid === undefined ? '' : `uid ${a.uid}`,
    a.flowlabel === undefined ? '' : `flowlabel 0x${a.flowlabel.toString(16)}`,
  ].filter(Boolean).join(' ');
