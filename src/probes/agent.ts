// The namespace agent: one long-lived process per node of a case, started inside the node's
// namespace, so that a probe costs no process start of its own (issue: spawning dominated).
//   node agent.js
// Reads one JSON request per line on stdin, answers one JSON line per event on stdout, each with
// the request's id:
//   {"id":1,"op":"exec","argv":[...],"input":"...","timeoutMs":5000}
//       → {"id":1,"exitCode":0,"stdout":"...","stderr":"...","timedOut":false}
//   {"id":2,"op":"listen","kind":"udp"|"tcp","family":4|6,"address":"...","port":47000,"marker":"...","timeoutMs":1000}
//       → {"id":2,"event":"ready"} then {"id":2,"event":"result","received":true,"from":"ip:port","bytes":n}
//         or {"id":2,"event":"error","message":"..."}
//   {"id":3,"op":"counters"} → {"id":3,"counters":{"IpInReceives":1,...}}  (what nstat reads)
//   {"id":4,"op":"close","listen":2} → listener 2 stops; it answers {"id":2,"event":"result","received":false}
//       unless it had its datagram already. The client closes once its own wait (counted from
//       the send) is over; the listener's timeoutMs is only a safety net.
// Ends when stdin closes. Prints {"agent":"ready"} once it reads requests.
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';

type Request =
  | { id: number; op: 'exec'; argv: string[]; input?: string; timeoutMs?: number }
  | { id: number; op: 'listen'; kind: 'udp' | 'tcp'; family: 4 | 6; address: string; port: number; marker: string; timeoutMs: number }
  | { id: number; op: 'counters' }
  | { id: number; op: 'close'; listen: number };

/** Open listeners by request id, so that `close` can end one. */
const listeners = new Map<number, () => void>();

const say = (msg: object): void => {
  process.stdout.write(`${JSON.stringify(msg)}\n`);
};

const exec = (r: Extract<Request, { op: 'exec' }>): void => {
  const [file, ...args] = r.argv;
  if (!file) return say({ id: r.id, exitCode: -1, stdout: '', stderr: 'empty argv', timedOut: false });
  const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, r.timeoutMs ?? 10_000);
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.on('error', (err) => {
    clearTimeout(timer);
    say({ id: r.id, exitCode: -1, stdout, stderr: err.message, timedOut });
  });
  child.on('close', (code) => {
    clearTimeout(timer);
    say({ id: r.id, exitCode: code ?? -1, stdout, stderr, timedOut });
  });
  child.stdin.on('error', () => undefined);
  child.stdin.end(r.input ?? '');
};

const listen = (r: Extract<Request, { op: 'listen' }>): void => {
  let done = false;
  let close = (): void => undefined;
  const finish = (result: object): void => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    listeners.delete(r.id);
    say({ id: r.id, event: 'result', ...result });
    close();
  };
  listeners.set(r.id, () => finish({ received: false }));
  const fail = (err: Error): void => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    listeners.delete(r.id);
    say({ id: r.id, event: 'error', message: err.message });
    close();
  };
  const timer = setTimeout(() => finish({ received: false }), r.timeoutMs);
  if (r.kind === 'udp') {
    const socket = createSocket({ type: r.family === 6 ? 'udp6' : 'udp4', reuseAddr: true });
    close = () => socket.close();
    socket.on('message', (msg, rinfo) => {
      if (msg.toString().includes(r.marker)) finish({ received: true, from: `${rinfo.address}:${rinfo.port}`, bytes: msg.length });
    });
    socket.on('error', fail);
    socket.bind(r.port, r.address, () => say({ id: r.id, event: 'ready' }));
  } else {
    const server = createServer((conn) => {
      let data = '';
      conn.on('data', (chunk: Buffer) => {
        data += chunk.toString();
        if (data.includes(r.marker)) {
          finish({ received: true, from: `${conn.remoteAddress}:${conn.remotePort}`, bytes: data.length });
          conn.end();
        }
      });
      conn.on('error', () => undefined);
    });
    close = () => server.close();
    server.on('error', fail);
    server.listen({ port: r.port, host: r.address, exclusive: true }, () => say({ id: r.id, event: 'ready' }));
  }
};

/** /proc/net/snmp and /proc/net/netstat as nstat names them (Ip + InReceives = IpInReceives). */
export const parseProcCounters = (...texts: string[]): Record<string, number> => {
  const counters: Record<string, number> = {};
  for (const text of texts) {
    const lines = text.trim().split('\n');
    for (let i = 0; i + 1 < lines.length; i += 2) {
      const [prefix, ...names] = (lines[i] ?? '').split(/\s+/);
      const [, ...values] = (lines[i + 1] ?? '').split(/\s+/);
      const p = prefix?.replace(/:$/, '') ?? '';
      names.forEach((n, j) => {
        const v = Number(values[j]);
        if (Number.isFinite(v)) counters[`${p}${n}`] = v;
      });
    }
  }
  return counters;
};

const counters = (r: Extract<Request, { op: 'counters' }>): void => {
  const read = (f: string): string => {
    try {
      return readFileSync(f, 'utf8');
    } catch {
      return '';
    }
  };
  say({ id: r.id, counters: parseProcCounters(read('/proc/net/snmp'), read('/proc/net/netstat')) });
};

const main = (): void => {
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    let r: Request;
    try {
      r = JSON.parse(line) as Request;
    } catch {
      return;
    }
    if (r.op === 'exec') exec(r);
    else if (r.op === 'listen') listen(r);
    else if (r.op === 'counters') counters(r);
    else if (r.op === 'close') listeners.get(r.listen)?.();
  });
  rl.on('close', () => process.exit(0));
  say({ agent: 'ready' });
};

// Only when run as the agent, not when imported by a test for parseProcCounters.
if (process.argv[1] && /agent\.(js|ts)$/.test(process.argv[1])) main();
