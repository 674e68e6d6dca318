// The verdicts: what src/verdict/ concludes per probe and case, and a scenario's results as the
// reports (src/report/) print them.
import type { MediumObservation, NeighbourExchange, RouteDecision } from './observation.js';
import type { Cause, MatrixCell, ProbeKind } from './scenario.js';

export interface ExpectationResult {
  what: string;
  expected: unknown;
  actual: unknown;
  ok: boolean;
}

export interface ProbeResult {
  name: string;
  proto: ProbeKind;
  from: string;
  to: string;
  delivered: boolean;
  /** The datagram's (request's, SYN's) devices in travel order. */
  path: string[];
  devices: Record<string, { tx: number; rx: number }>;
  explanation: string;
  /** Why it was not delivered; null when it was. */
  cause: Cause | null;
  evidence: string[];
  /** What `ip route get` in the sending node predicted. */
  prediction: RouteDecision | null;
  /** The answer (ICMP echo reply, TCP SYN-ACK; its path shows a RST too); absent for UDP. */
  reply?: ReplyResult;
  /** tcp: the connect completed (SYN, SYN-ACK, ACK). */
  handshake?: boolean;
  /** The sender's ARP or ND exchange for its next hop (gateway or destination), when there was one. */
  neighbour?: NeighbourExchange;
  /** What the radio media saw of the probe; only in cases with wireless links. */
  medium?: MediumObservation;
}

export type CaseStatus = 'pass' | 'fail' | 'skip' | 'error';

export interface CaseResult {
  name: string;
  status: CaseStatus;
  probes: ProbeResult[];
  expectations: ExpectationResult[];
  /** Set when status is error or skip: what went wrong, in one line. */
  error?: string;
  /** Set when the case is one cell of a matrix (src/model/matrix.ts). */
  matrix?: MatrixCell & { kernelPins?: { range: string; holds: boolean }[] };
  /** With --explain: what the case applied besides its topology, `node: command  # why` (report/applied.ts). */
  applied?: string[];
  durationMs: number;
}

export interface ReplyResult {
  /** icmp: the echo reply reached the sender (ping got it); tcp: the SYN-ACK did (connect completed). */
  delivered: boolean;
  /** The answer's devices in travel order, from the destination back (a RST counts: it answers a SYN). */
  path: string[];
  devices: Record<string, { tx: number; rx: number }>;
  /** Why it did not reach the sender; null when it did. */
  reason: Cause | null;
  explanation: string;
}

export interface ScenarioResult {
  name: string;
  file: string;
  kernel: string;
  /** The sysctls every namespace started from (src/plan/baseline.ts), as far as this kernel has them. */
  sysctlBaseline?: Record<string, number>;
  cases: CaseResult[];
}
