// 802.11 frames from a pcap written on a monitor interface (link type 127: radiotap header, then
// the 802.11 frame): which frames carried which IP packet, so the medium can be counted per probe.
// Pure: bytes in, frames out. Only what hwsim media carry is decoded: data frames with an LLC/SNAP
// header, with or without QoS, four addresses and a mesh control field; no A-MSDU, no decryption.

const LINKTYPE_IEEE802_11_RADIOTAP = 127;

/** The IP packet (or ARP message) a data frame carries, as far as probes need it. */
interface FramePacket {
  ethertype: number;
  /** IP protocol number (17 udp, 6 tcp, 1 icmp, 58 icmpv6); undefined for ARP and others. */
  protocol?: number;
  sport?: number;
  dport?: number;
  /** ICMP or ICMPv6 type and echo identifier. */
  icmpType?: number;
  icmpId?: number;
}

export interface AirFrame {
  /** Capture time, ms since the epoch. */
  timeMs: number;
  type: 'management' | 'control' | 'data' | 'extension';
  subtype: number;
  /** Receiver (addr1) and transmitter (addr2, absent in some control frames). */
  receiver: string;
  transmitter?: string;
  retry: boolean;
  /** The body is encrypted (WPA2 CCMP): no packet can be read. */
  protected: boolean;
  packet?: FramePacket;
}

export class PcapError extends Error {
  override name = 'PcapError';
}

const TYPES = ['management', 'control', 'data', 'extension'] as const;

const mac = (b: Buffer, at: number): string =>
  [...b.subarray(at, at + 6)].map((x) => x.toString(16).padStart(2, '0')).join(':');

/** LLC/SNAP (RFC 1042 or bridge tunnel) at `at`: the ethertype, or undefined. */
const snapType = (b: Buffer, at: number): number | undefined =>
  b.length >= at + 8 && b[at] === 0xaa && b[at + 1] === 0xaa && b[at + 2] === 0x03 && b[at + 3] === 0 && b[at + 4] === 0 &&
  (b[at + 5] === 0 || b[at + 5] === 0xf8)
    ? b.readUInt16BE(at + 6)
    : undefined;

const transport = (b: Buffer, at: number, protocol: number, out: FramePacket): void => {
  if ((protocol === 17 || protocol === 6) && b.length >= at + 4) {
    out.sport = b.readUInt16BE(at);
    out.dport = b.readUInt16BE(at + 2);
  } else if ((protocol === 1 || protocol === 58) && b.length >= at + 8) {
    out.icmpType = b[at] as number;
    out.icmpId = b.readUInt16BE(at + 4);
  }
};

/** The packet after the LLC/SNAP header at `at`. */
const parsePacket = (b: Buffer, at: number): FramePacket | undefined => {
  const ethertype = snapType(b, at);
  if (ethertype === undefined) return undefined;
  const ip = at + 8;
  const out: FramePacket = { ethertype };
  if (ethertype === 0x0800 && b.length >= ip + 20) {
    out.protocol = b[ip + 9] as number;
    transport(b, ip + ((b[ip] as number) & 0x0f) * 4, out.protocol, out);
  } else if (ethertype === 0x86dd && b.length >= ip + 40) {
    out.protocol = b[ip + 6] as number;
    transport(b, ip + 40, out.protocol, out);
  }
  return out;
};

/** One 802.11 frame (no radiotap header). */
export const parseFrame = (b: Buffer, timeMs: number): AirFrame | undefined => {
  if (b.length < 10) return undefined;
  const fc0 = b[0] as number;
  const fc1 = b[1] as number;
  const type = TYPES[(fc0 >> 2) & 3] as AirFrame['type'];
  const subtype = (fc0 >> 4) & 0x0f;
  const frame: AirFrame = {
    timeMs,
    type,
    subtype,
    receiver: mac(b, 4),
    ...(b.length >= 16 ? { transmitter: mac(b, 10) } : {}),
    retry: (fc1 & 0x08) !== 0,
    protected: (fc1 & 0x40) !== 0,
  };
  // Data frames without a body (null, QoS null) have bit 2 of the subtype set.
  if (type !== 'data' || (subtype & 0x04) !== 0 || frame.protected) return frame;
  const fourAddresses = (fc1 & 0x03) === 0x03;
  const qos = (subtype & 0x08) !== 0;
  let body = 24 + (fourAddresses ? 6 : 0);
  const qosControl = body;
  if (qos) body += 2 + ((fc1 & 0x80) !== 0 ? 4 : 0);
  // A mesh data frame has a mesh control field (6, 12 or 18 bytes) before LLC/SNAP. Bit 8 of QoS
  // control announces it, but not always (measured: a broadcast forwarded by a mesh point on 6.1
  // carries it with the bit clear), and outside a mesh the bit means something else: both are
  // tried, the announced layout first; LLC/SNAP decides.
  const mesh = body + 6 + 6 * ((b[body] ?? 0) & 0x03);
  const starts = qos && ((b[qosControl + 1] ?? 0) & 0x01) !== 0 ? [mesh, body] : [body, mesh];
  for (const at of starts) {
    const packet = parsePacket(b, at);
    if (packet) return { ...frame, packet };
  }
  return frame;
};

/** Every frame of a radiotap pcap (classic pcap format, either byte order, µs or ns timestamps). */
export const parseRadiotapPcap = (file: Buffer): AirFrame[] => {
  if (file.length === 0) return [];
  if (file.length < 24) throw new PcapError('truncated pcap header');
  const magic = file.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const be = file.readUInt32BE(0) === 0xa1b2c3d4 || file.readUInt32BE(0) === 0xa1b23c4d;
  if (!le && !be) throw new PcapError('not a pcap file (pcapng is not read)');
  const u32 = (at: number): number => (le ? file.readUInt32LE(at) : file.readUInt32BE(at));
  const nano = (le ? magic : file.readUInt32BE(0)) === 0xa1b23c4d;
  const linktype = u32(20) & 0x0fffffff;
  if (linktype !== LINKTYPE_IEEE802_11_RADIOTAP) throw new PcapError(`link type ${linktype}, not 802.11 with radiotap (127)`);
  const frames: AirFrame[] = [];
  // A capture stopped mid-write can end in a partial record: it is left out.
  for (let at = 24; at + 16 <= file.length; ) {
    const caplen = u32(at + 8);
    const data = at + 16;
    if (data + caplen > file.length) break;
    const timeMs = u32(at) * 1000 + u32(at + 4) / (nano ? 1e6 : 1e3);
    const record = file.subarray(data, data + caplen);
    // Radiotap: version, pad, length (always little-endian).
    if (record.length >= 4) {
      const frame = parseFrame(record.subarray(record.readUInt16LE(2)), timeMs);
      if (frame) frames.push(frame);
    }
    at = data + caplen;
  }
  return frames;
};
