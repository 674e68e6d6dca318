// What a node's namespace agent is asked to do for a probe, and what a receiver gives back: the
// one declaration the probes (src/probes/host.ts) and the agent's client (src/backends/agent.ts) share.
import type { ProbeAttributes } from './scenario.js';

/** A receiver for one probe, opened by the destination node's agent. */
export interface ListenRequest {
  kind: 'udp' | 'tcp';
  family: 4 | 6;
  address: string;
  port: number;
  marker: string;
  timeoutMs: number;
}

/** One probe, sent by the source node's agent from a socket with the probe's attributes. */
export interface SendRequest {
  kind?: 'udp' | 'tcp' | 'icmp';
  family: 4 | 6;
  from: string;
  to: string;
  /** Ignored for icmp. */
  port: number;
  dev?: string;
  payload: string;
  /** tcp: how long the connect may take; icmp: how long to wait for the echo reply. */
  timeoutMs?: number;
  /** icmp: the echo identifier. */
  echo?: number;
  attributes?: ProbeAttributes;
}

export interface Listening {
  /** Resolves true once the socket is bound, or with the reason it could not be. */
  ready: Promise<true | { error: string }>;
  /** Whether a datagram (connection data) with the marker came before the listener closed. */
  result: Promise<{ received: boolean; error?: string }>;
  /** Ends the listener; `result` then says received false unless it had the datagram already. */
  close(): void;
}
