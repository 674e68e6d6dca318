// Addresses as scenario files write them: CIDR on devices, node:address and address[:port] on probes.
import { isIP } from 'node:net';

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = <T>(error: string): Parsed<T> => ({ ok: false, error });
const quoted = (s: string): string => JSON.stringify(s);

export interface IpAddress {
  address: string;
  family: 4 | 6;
}

/** An IPv4 or IPv6 address, without zone index, brackets or prefix. */
export const parseIp = (text: string): Parsed<IpAddress> => {
  if (text.includes('%')) return fail(`${quoted(text)}: zone indexes (%dev) are not supported`);
  const family = isIP(text);
  if (family === 4 || family === 6) return ok({ address: text, family });
  return fail(`${quoted(text)} is not an IPv4 or IPv6 address`);
};

/**
 * One spelling per address, so that 2001:db8::1 and 2001:DB8:0::1 compare equal.
 * node:net accepts only the dotted-quad form for IPv4, which is already canonical.
 */
export const canonicalAddress = (ip: IpAddress): string =>
  ip.family === 4 ? ip.address : new URL(`http://[${ip.address}]/`).hostname.slice(1, -1);

interface Cidr extends IpAddress {
  prefix: number;
}

const DIGITS = /^[0-9]+$/;

export const parseCidr = (text: string): Parsed<Cidr> => {
  const slash = text.lastIndexOf('/');
  if (slash < 0) {
    const hint = isIP(text) === 6 ? `${text}/64` : isIP(text) === 4 ? `${text}/24` : 'ADDRESS/PREFIX';
    return fail(`${quoted(text)} has no prefix length; write it as ${hint}`);
  }
  const ip = parseIp(text.slice(0, slash));
  if (!ip.ok) return ip;
  const max = ip.value.family === 4 ? 32 : 128;
  const prefixText = text.slice(slash + 1);
  const prefix = Number(prefixText);
  if (!DIGITS.test(prefixText) || prefix > max) {
    return fail(`${quoted(text)}: the prefix length of an IPv${ip.value.family} address is 0 to ${max}`);
  }
  return ok({ ...ip.value, prefix });
};

interface ProbeSource extends IpAddress {
  node: string;
}

const FROM_FORM = 'node:address, e.g. laptop:192.0.2.1 or laptop:2001:db8::1';

/** `node:address`, split at the first colon (an IPv6 address has colons of its own). */
export const parseProbeFrom = (text: string): Parsed<ProbeSource> => {
  const colon = text.indexOf(':');
  if (colon < 0) return fail(`${quoted(text)} must be written ${FROM_FORM}`);
  const node = text.slice(0, colon);
  const rest = text.slice(colon + 1);
  if (node === '' || rest === '') return fail(`${quoted(text)} must be written ${FROM_FORM}`);
  const ip = parseIp(rest);
  if (!ip.ok) return fail(`${ip.error} (from takes no port or brackets: ${FROM_FORM})`);
  return ok({ node, ...ip.value });
};

interface ProbeTarget extends IpAddress {
  port?: number;
}

const parsePort = (text: string, whole: string): Parsed<number> => {
  const port = Number(text);
  return DIGITS.test(text) && port >= 1 && port <= 65535
    ? ok(port)
    : fail(`${quoted(whole)}: the port must be a number from 1 to 65535`);
};

const withPort = (ip: IpAddress, portText: string | undefined, whole: string): Parsed<ProbeTarget> => {
  if (portText === undefined) return ok(ip);
  const port = parsePort(portText, whole);
  return port.ok ? ok({ ...ip, port: port.value }) : port;
};

/** `address`, `ipv4:port`, `[ipv6]` or `[ipv6]:port`. */
export const parseProbeTo = (text: string): Parsed<ProbeTarget> => {
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(text);
  if (bracketed) {
    const ip = parseIp(bracketed[1] ?? '');
    if (!ip.ok) return ip;
    if (ip.value.family !== 6) return fail(`${quoted(text)}: only IPv6 addresses are written in brackets`);
    return withPort(ip.value, bracketed[2], text);
  }
  if (isIP(text)) return parseIp(text);
  const colons = text.split(':').length - 1;
  if (colons === 1) {
    const [host = '', portText = ''] = text.split(':');
    const ip = parseIp(host);
    if (!ip.ok) return ip;
    return withPort(ip.value, portText, text);
  }
  if (colons > 1) {
    return fail(`${quoted(text)} is not an IPv6 address; an IPv6 address with a port is written [2001:db8::2]:9000`);
  }
  return fail(`${quoted(text)} is not an IPv4 or IPv6 address`);
};

/** How a probe target is written back: `192.0.2.2:9000`, `[2001:db8::2]:9000`, `2001:db8::2`. */
export const formatTarget = (to: { address: string; port?: number }): string => {
  if (to.port === undefined) return to.address;
  return to.address.includes(':') ? `[${to.address}]:${to.port}` : `${to.address}:${to.port}`;
};

/** Whether an IPv4 address is in 127.0.0.0/8, which the kernel keeps off the wire unless route_localnet is 1. */
export const isLoopback4 = (address: string): boolean => /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address);
