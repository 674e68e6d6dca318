// The probe receiver, run inside the namespace that owns the destination address:
//   node receiver.js udp4|udp6|tcp4|tcp6 ADDRESS PORT MARKER TIMEOUT_MS
// Prints `ready` once bound (listening, for tcp), then one JSON line:
// {"received":true,"from":"ip:port","bytes":n} for the first datagram (or connection's data)
// carrying MARKER, or {"received":false} when TIMEOUT_MS passes first.
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

type Finish = (result: object) => void;

const udp = (type: 'udp4' | 'udp6', address: string, port: number, marker: string, finish: Finish): (() => void) => {
  const socket = createSocket({ type, reuseAddr: true });
  socket.on('message', (msg, rinfo) => {
    if (msg.toString().includes(marker)) finish({ received: true, from: `${rinfo.address}:${rinfo.port}`, bytes: msg.length });
  });
  socket.on('error', fail);
  socket.bind(port, address, () => process.stdout.write('ready\n'));
  return () => socket.close();
};

const tcp = (address: string, port: number, marker: string, finish: Finish): (() => void) => {
  const server = createServer((conn) => {
    let data = '';
    conn.on('data', (chunk: Buffer) => {
      data += chunk.toString();
      if (data.includes(marker)) {
        finish({ received: true, from: `${conn.remoteAddress}:${conn.remotePort}`, bytes: data.length });
        conn.end();
      }
    });
    conn.on('error', () => undefined);
  });
  server.on('error', fail);
  server.listen({ port, host: address, exclusive: true }, () => process.stdout.write('ready\n'));
  return () => server.close();
};

function fail(err: Error): void {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
}

const main = (argv: string[]): void => {
  const [type, address, portText, marker, timeoutText] = argv;
  const kinds = ['udp4', 'udp6', 'tcp4', 'tcp6'];
  if (!type || !kinds.includes(type) || !address || !portText || !marker || !timeoutText) {
    process.stderr.write('usage: receiver udp4|udp6|tcp4|tcp6 ADDRESS PORT MARKER TIMEOUT_MS\n');
    process.exitCode = 2;
    return;
  }
  let done = false;
  let close = (): void => undefined;
  const finish: Finish = (result) => {
    if (done) return;
    done = true;
    process.stdout.write(`${JSON.stringify(result)}\n`);
    clearTimeout(timer);
    close();
    // A TCP server waits for its connections to end; the answer is out, so do not.
    setTimeout(() => process.exit(0), 50).unref();
  };
  const timer = setTimeout(() => finish({ received: false }), Number(timeoutText));
  const port = Number(portText);
  close = type.startsWith('udp')
    ? udp(type as 'udp4' | 'udp6', address, port, marker, finish)
    : tcp(address, port, marker, finish);
};

main(process.argv.slice(2));
