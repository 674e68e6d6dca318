// The probe receiver, run inside the namespace that owns the destination address:
//   node receiver.js udp4|udp6 ADDRESS PORT MARKER TIMEOUT_MS
// Prints `ready` once bound, then one JSON line: {"received":true,"from":"ip:port","bytes":n}
// for the first datagram carrying MARKER, or {"received":false} when TIMEOUT_MS passes first.
import { createSocket } from 'node:dgram';

const main = (argv: string[]): void => {
  const [type, address, portText, marker, timeoutText] = argv;
  if ((type !== 'udp4' && type !== 'udp6') || !address || !portText || !marker || !timeoutText) {
    process.stderr.write('usage: receiver udp4|udp6 ADDRESS PORT MARKER TIMEOUT_MS\n');
    process.exitCode = 2;
    return;
  }
  const socket = createSocket({ type, reuseAddr: true });
  const finish = (result: object): void => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    clearTimeout(timer);
    socket.close();
  };
  const timer = setTimeout(() => finish({ received: false }), Number(timeoutText));
  socket.on('message', (msg, rinfo) => {
    if (!msg.toString().includes(marker)) return;
    finish({ received: true, from: `${rinfo.address}:${rinfo.port}`, bytes: msg.length });
  });
  socket.on('error', (err) => {
    process.stderr.write(`${err.message}\n`);
    process.exitCode = 1;
    clearTimeout(timer);
    socket.close();
  });
  socket.bind(Number(portText), address, () => process.stdout.write('ready\n'));
};

main(process.argv.slice(2));
