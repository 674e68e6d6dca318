// The namespace agent's protocol, lab's side: the one table of operations and their fields that
// the client (src/backends/agent.ts) builds requests and reads replies with, and the tests too.
// src/agent/agent.pl carries the same table in perl (%REQUESTS, %REPLIES, the same strings);
// test/unit/agent/protocol.test.ts fails when the two differ. docs/agent-protocol.md explains it.
//
// A request is one line: OP ID FIELD…; each reply is one line: ID EVENT FIELD…; tab-separated.
// A field is NAME:CODEC, and @NAME:CODEC takes the rest of the line as a list.

/** How a field travels: anything that could hold a tab or a newline travels as hex. */
export type Codec = 'int' | 'word' | 'flag' | 'hex' | 'bytes' | 'attrs';

/** The value a codec carries, on lab's side. */
type CodecValue<C> = C extends 'int'
  ? number
  : C extends 'flag'
    ? boolean
    : C extends 'bytes'
      ? Buffer
      : C extends 'attrs'
        ? Record<string, number | undefined>
        : string;

type FieldName<S> = S extends `@${infer N}:${string}` ? N : S extends `${infer N}:${string}` ? N : never;
type FieldValue<S> = S extends `@${string}:${infer C}` ? CodecValue<C>[] : S extends `${string}:${infer C}` ? CodecValue<C> : never;
/** The object of a list of field specs, e.g. ['exitCode:int'] → { exitCode: number }. */
export type Fields<L extends readonly string[]> = { [S in L[number] as FieldName<S>]: FieldValue<S> };

/** Each operation's request fields, after OP and ID. */
export const REQUESTS = {
  /** A command (argv, stdin), killed past timeoutMs. */
  exec: ['timeoutMs:int', 'input:hex', '@argv:hex'],
  /** A receiver: a socket bound to address (a struct sockaddr) waiting for a datagram or connection data with marker. */
  listen: ['kind:word', 'family:int', 'address:bytes', 'marker:hex', 'timeoutMs:int'],
  /** Ends listener ID (the id of its listen request); it then answers `result`. */
  close: [],
  /** Files, each whole ('' when unreadable). */
  read: ['@paths:hex'],
  /** Kills every other process of the agent's namespace, unless it is lab's (labNetns, as /proc/self/ns/net reads). */
  reap: ['labNetns:hex'],
  /** PATH VALUE pairs: each file written in one write(2). */
  write: ['@files:hex'],
  /** A probe: udp, tcp or icmp from `from` (bound to dev too) to `to`, with the probe's socket attributes. */
  send: ['family:int', 'from:bytes', 'to:bytes', 'dev:hex', 'payload:hex', 'kind:word', 'timeoutMs:int', 'attributes:attrs'],
  /** A long-lived command (`nft -j -i`) with its stdin kept open for `feed`; `close` with its id ends it (stdin closed, SIGTERM). */
  open: ['@argv:hex'],
  /** Writes data to the stdin of session `session` (the id of its open request), then closes that stdin when `last`; no reply. */
  feed: ['session:int', 'data:hex', 'last:flag'],
} as const satisfies Record<string, readonly string[]>;

/** Each operation's replies: EVENT → its fields, after ID and EVENT. */
export const REPLIES = {
  exec: {
    /** exitCode -1 when killed by a signal (timedOut: by the agent at its deadline), 127 when it could not be started. */
    exec: ['exitCode:int', 'timedOut:flag', 'stdout:hex', 'stderr:hex'],
  },
  listen: {
    ready: [],
    /** bytes: of the datagram, or of the connection's data up to the marker; 0 when not received. */
    result: ['received:flag', 'bytes:int'],
    error: ['message:hex'],
  },
  close: {},
  read: { read: ['@contents:hex'] },
  /** killed -1: nothing killed (lab's namespace, pid 1's, or its own unreadable). */
  reap: { reaped: ['killed:int'] },
  /** Per file, '' or the kernel's complaint. */
  write: { wrote: ['@errors:hex'] },
  send: {
    /**
     * error '' when sent, else the call and the kernel's text ("sendto: …"); pid: the process that
     * made the socket and sent (the agent, or its child), as the kernel's tracepoints print it; 0
     * when they print another (the agent in a pid namespace of its own).
     */
    sent: ['error:hex', 'pid:int'],
    /** icmp only, after `sent` '': whether the echo reply came within timeoutMs. */
    result: ['replied:flag'],
    /** The agent could not start the sender (pipe, fork). */
    error: ['message:hex'],
  },
  open: {
    /** A line the command printed, without its newline: stream 1 stdout, 2 stderr (also the agent's own complaint when it could not start it). */
    line: ['stream:int', 'text:hex'],
    /** The command has ended: its exit code, -1 when killed by a signal, 127 when it could not be started. */
    ended: ['exitCode:int'],
  },
  feed: {},
} as const satisfies { [O in keyof typeof REQUESTS]: Record<string, readonly string[]> };

/** The line an agent prints once it reads requests; over lab's socket followed by TOKEN and PID. */
export const GREETING = 'agent\tready';

export type Operation = keyof typeof REQUESTS;
export type RequestFields<O extends Operation> = Fields<(typeof REQUESTS)[O]>;
export type ReplyEvent<O extends Operation> = keyof (typeof REPLIES)[O] & string;
type ReplySpecs<O extends Operation, E extends ReplyEvent<O>> = (typeof REPLIES)[O][E] extends readonly string[] ? (typeof REPLIES)[O][E] : never;
export type ReplyFields<O extends Operation, E extends ReplyEvent<O>> = Fields<ReplySpecs<O, E>>;
/** One reply to an operation: its event and that event's fields. */
export type Reply<O extends Operation> = { [E in ReplyEvent<O>]: { event: E; fields: ReplyFields<O, E> } }[ReplyEvent<O>];

interface Spec {
  name: string;
  codec: Codec;
  list: boolean;
}

const parseSpec = (spec: string): Spec => {
  const m = /^(@?)(\w+):(int|word|flag|hex|bytes|attrs)$/.exec(spec);
  if (!m) throw new Error(`bad field spec ${spec}`);
  return { list: m[1] === '@', name: m[2] ?? '', codec: m[3] as Codec };
};

/**
 * Long texts sent again and again, hex-encoded once: the agent's own program (28 KB) goes with
 * every agent start, two per seed case, and its encoding was the biggest of lab's own costs per
 * case in a CPU profile of the seed bench (#14).
 */
const LONG_TEXT = 4_096;
const longHex = new Map<string, string>();
const hexOf = (text: string): string => {
  if (text.length < LONG_TEXT) return Buffer.from(text, 'utf8').toString('hex');
  let hex = longHex.get(text);
  if (hex === undefined) {
    if (longHex.size >= 8) longHex.clear();
    longHex.set(text, (hex = Buffer.from(text, 'utf8').toString('hex')));
  }
  return hex;
};

const encodeValue = (codec: Codec, value: unknown, where: string): string => {
  switch (codec) {
    case 'int':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new TypeError(`${where}: not a number: ${String(value)}`);
      return String(Math.round(value));
    case 'flag':
      return value ? '1' : '0';
    case 'hex':
      return hexOf(String(value ?? ''));
    case 'bytes':
      return Buffer.isBuffer(value) ? value.toString('hex') : '';
    case 'attrs':
      return Object.entries((value ?? {}) as Record<string, number | undefined>)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => {
          if (!/^\w+$/.test(k) || !Number.isInteger(v)) throw new TypeError(`${where}: attribute ${k}=${String(v)} is not NAME=INTEGER`);
          return `${k}=${v}`;
        })
        .join(',');
    case 'word': {
      const text = String(value ?? '');
      if (/[\t\n]/.test(text)) throw new TypeError(`${where}: a word holds no tab or newline: ${JSON.stringify(text)}`);
      return text;
    }
  }
};

const decodeValue = (codec: Codec, text: string | undefined): unknown => {
  switch (codec) {
    case 'int':
      return Number(text);
    case 'flag':
      return text === '1';
    case 'hex':
      return Buffer.from(text ?? '', 'hex').toString('utf8');
    case 'bytes':
      return Buffer.from(text ?? '', 'hex');
    case 'attrs':
      return Object.fromEntries((text ?? '').split(',').filter(Boolean).map((kv) => {
        const [k = '', v] = kv.split('=');
        return [k, Number(v)];
      }));
    case 'word':
      return text ?? '';
  }
};

/** The request line (with its newline) of operation `op` numbered `id`. */
export const encodeRequest = <O extends Operation>(op: O, id: number, fields: RequestFields<O>): string => {
  const values = fields as Record<string, unknown>;
  const out: string[] = [op, String(id)];
  for (const spec of (REQUESTS[op] as readonly string[]).map(parseSpec)) {
    const value = values[spec.name];
    const where = `${op} ${spec.name}`;
    if (spec.list) out.push(...((value ?? []) as unknown[]).map((v) => encodeValue(spec.codec, v, where)));
    else out.push(encodeValue(spec.codec, value, where));
  }
  return `${out.join('\t')}\n`;
};

/** The id and event of a reply line; undefined for a line that is not one (the greeting). */
export const replyHead = (line: string): { id: number; event: string } | undefined => {
  const [id = '', event] = line.split('\t');
  return /^\d+$/.test(id) && event !== undefined ? { id: Number(id), event } : undefined;
};

/** A reply line to operation `op`, decoded by the table; undefined when it is not one of op's events. */
export const decodeReply = <O extends Operation>(op: O, line: string): Reply<O> | undefined => {
  const [, event = '', ...values] = line.split('\t');
  const specs = (REPLIES[op] as Record<string, readonly string[] | undefined>)[event];
  if (!specs) return undefined;
  const fields: Record<string, unknown> = {};
  for (const spec of specs.map(parseSpec)) {
    fields[spec.name] = spec.list ? values.splice(0).map((v) => decodeValue(spec.codec, v)) : decodeValue(spec.codec, values.shift());
  }
  return { event, fields } as Reply<O>;
};

/** Over lab's socket the greeting names the agent: `agent ready TOKEN PID`. */
export const parseGreeting = (line: string): { token: string; pid: number } | undefined => {
  const [word, ready, token = '', pid] = line.split('\t');
  return `${word}\t${ready}` === GREETING ? { token, pid: Number(pid) } : undefined;
};
