// Socket addresses for the agent (src/agent/agent.pl), which binds, sends and connects with what
// lab packs here: it then needs no Socket module and no address parsing of its own.

/** Address families, include/linux/socket.h; sa_family is host-endian (little here and on arm64). */
const AF_INET = 2;
const AF_INET6 = 10;
/** The flow label is the low 20 bits of sin6_flowinfo (include/uapi/linux/in6.h, IPV6_FLOWINFO_FLOWLABEL). */
const FLOWLABEL_MASK = 0xfffff;

/**
 * The socket address perl's bind() takes (struct sockaddr_in / sockaddr_in6): a `bytes` field of
 * the agent's protocol. An IPv6 flow label goes in sin6_flowinfo, where sendto and connect take
 * it (with IPV6_FLOWINFO_SEND).
 */
export const socketAddress = (family: 4 | 6, address: string, port: number, flowlabel?: number): Buffer => {
  if (family === 4) {
    const b = Buffer.alloc(16);
    b.writeUInt16LE(AF_INET, 0);
    b.writeUInt16BE(port, 2);
    address.split('.').forEach((octet, i) => b.writeUInt8(Number(octet), 4 + i));
    return b;
  }
  const b = Buffer.alloc(28);
  b.writeUInt16LE(AF_INET6, 0);
  b.writeUInt16BE(port, 2);
  b.writeUInt32BE((flowlabel ?? 0) & FLOWLABEL_MASK, 4);
  ipv6Bytes(address).copy(b, 8);
  return b;
};

/** The 16 bytes of an IPv6 address in text form (with `::` and an embedded IPv4 tail). */
export const ipv6Bytes = (address: string): Buffer => {
  let text = address.replace(/%.*$/, '');
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const groups = (s: string | undefined): string[] => (s ? s.split(':') : []);
  const h = groups(head);
  const t = groups(tail);
  const all = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  if (all.length !== 8 || !all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) throw new Error(`not an IPv6 address: ${address}`);
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
};
