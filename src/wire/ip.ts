/**
 * IP and TCP helpers for the data path: pure functions over a caller's `Uint8Array`, no state,
 * no allocation on the hot path, never a throw on bad bytes.
 *
 * What:
 * - IPv4 header checks (RFC 791 section 3.1): version 4, IHL >= 5, header inside the buffer,
 *   Total Length >= IHL*4 and <= the buffer. `ipv4HeaderError` returns a stable error code or
 *   undefined; the field readers (`ipv4Protocol`, `ipv4Source`, `ipv4Destination`, ...) are only
 *   meaningful after it returned undefined. Addresses are unsigned 32-bit numbers.
 * - IPv6 fixed header checks (RFC 8200 section 3): version 6, 40 bytes, 40 + Payload Length
 *   <= the buffer.
 * - TCP MSS clamping (RouterOS `change-tcp-mss`): in a SYN or SYN-ACK (RFC 9293 section 3.1,
 *   RFC 879, RFC 6691) the Maximum Segment Size option is lowered to `maxMss` in place, and the
 *   TCP checksum is fixed incrementally with RFC 1624 eqn. 3, HC' = ~(~HC + ~m + m'), so the
 *   segment is never re-summed. IPv4 and IPv6 (the IPv6 walk skips Hop-by-Hop, Routing and
 *   Destination Options extension headers; fragments are left alone).
 * - `mssForMtu`: the largest MSS that fits a tunnel MTU, MTU - 40 for IPv4 (20 IP + 20 TCP) and
 *   MTU - 60 for IPv6 (40 + 20), as RFC 6691 section 2 says: the MSS counts neither IP nor TCP
 *   options.
 * - `internetChecksum` / `tcpChecksumOk`: full recomputation (RFC 1071), for tests and diagnostics.
 *
 *   IPv4 header (RFC 791 section 3.1):
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |Version|  IHL  |Type of Service|          Total Length         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |         Identification        |Flags|      Fragment Offset    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Time to Live |    Protocol   |         Header Checksum       |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                       Source Address                          |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Destination Address                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 *   TCP header (RFC 9293 section 3.1), offsets from the start of the segment:
 *   0 Source Port, 2 Destination Port, 4 Sequence Number, 8 Acknowledgment Number,
 *   12 Data Offset (high nibble), 13 flags (CWR ECE URG ACK PSH RST SYN FIN), 14 Window,
 *   16 Checksum, 18 Urgent Pointer, 20 options up to Data Offset * 4.
 *   MSS option (RFC 879): Kind 2, Length 4, 16-bit value.
 *
 * Invariants: every index is checked against the buffer before it is read; a function given
 * garbage returns an error code / false / undefined. `clampMss` changes at most the two MSS bytes
 * and the two checksum bytes, and only when it returns true.
 */

/** IP protocol numbers (IANA "Assigned Internet Protocol Numbers") used here. */
export const IpProtocol = {
  ICMP: 1,
  TCP: 6,
  UDP: 17,
  IPV6_HOP_BY_HOP: 0,
  IPV6_ROUTING: 43,
  IPV6_FRAGMENT: 44,
  ICMPV6: 58,
  IPV6_DESTINATION_OPTIONS: 60,
} as const;

export const IPV4_MIN_HEADER_LENGTH = 20;
export const IPV6_HEADER_LENGTH = 40;
export const TCP_MIN_HEADER_LENGTH = 20;
/** TCP flag bits in octet 13 of the TCP header. */
export const TcpFlag = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10 } as const;
/** TCP option kinds (RFC 9293 section 3.2). */
export const TcpOptionKind = { END: 0, NOP: 1, MSS: 2 } as const;
const MSS_OPTION_LENGTH = 4;

/** IP version from the first nibble: 4, 6, or undefined for anything else (or an empty buffer). */
export function ipVersion(packet: Uint8Array): 4 | 6 | undefined {
  const b = packet[0];
  if (b === undefined) return undefined;
  const v = b >>> 4;
  return v === 4 ? 4 : v === 6 ? 6 : undefined;
}

export type IpHeaderError = 'IP_TRUNCATED' | 'IP_BAD_VERSION' | 'IP_BAD_IHL' | 'IP_BAD_TOTAL_LENGTH';

/**
 * Checks an IPv4 header against the buffer. Returns undefined when the header is sound: version
 * 4, IHL >= 5 ("the minimum value for a correct header is 5", RFC 791), IHL*4 <= Total Length <=
 * buffer length. The header checksum is not verified (the receiving kernel does that).
 */
export function ipv4HeaderError(packet: Uint8Array): IpHeaderError | undefined {
  if (packet.length < IPV4_MIN_HEADER_LENGTH) return 'IP_TRUNCATED';
  const b0 = packet[0]!;
  if (b0 >>> 4 !== 4) return 'IP_BAD_VERSION';
  const ihl = (b0 & 0x0f) * 4;
  if (ihl < IPV4_MIN_HEADER_LENGTH || ihl > packet.length) return 'IP_BAD_IHL';
  const total = (packet[2]! << 8) | packet[3]!;
  if (total < ihl || total > packet.length) return 'IP_BAD_TOTAL_LENGTH';
  return undefined;
}

/** Header length in bytes (IHL * 4). Valid after `ipv4HeaderError` returned undefined. */
export function ipv4HeaderLength(packet: Uint8Array): number {
  return ((packet[0] ?? 0) & 0x0f) * 4;
}

/** Total Length field. Valid after `ipv4HeaderError` returned undefined. */
export function ipv4TotalLength(packet: Uint8Array): number {
  return ((packet[2] ?? 0) << 8) | (packet[3] ?? 0);
}

/** Protocol field (6 = TCP, 17 = UDP, ...). */
export function ipv4Protocol(packet: Uint8Array): number {
  return packet[9] ?? 0;
}

function u32At(b: Uint8Array, o: number): number {
  return (((b[o] ?? 0) << 24) | ((b[o + 1] ?? 0) << 16) | ((b[o + 2] ?? 0) << 8) | (b[o + 3] ?? 0)) >>> 0;
}

/** Source Address as an unsigned 32-bit number (10.0.0.1 = 0x0a000001). */
export function ipv4Source(packet: Uint8Array): number {
  return u32At(packet, 12);
}

/** Destination Address as an unsigned 32-bit number. */
export function ipv4Destination(packet: Uint8Array): number {
  return u32At(packet, 16);
}

/** Fragment Offset (in 8-byte units) is non-zero: the packet carries no transport header. */
export function ipv4IsLaterFragment(packet: Uint8Array): boolean {
  return ((((packet[6] ?? 0) & 0x1f) << 8) | (packet[7] ?? 0)) !== 0;
}

/** Dotted-quad text of a 32-bit address, for logs. */
export function formatIpv4Number(addr: number): string {
  return `${(addr >>> 24) & 0xff}.${(addr >>> 16) & 0xff}.${(addr >>> 8) & 0xff}.${addr & 0xff}`;
}

/** Checks the IPv6 fixed header against the buffer (RFC 8200 section 3). */
export function ipv6HeaderError(packet: Uint8Array): IpHeaderError | undefined {
  if (packet.length < IPV6_HEADER_LENGTH) return 'IP_TRUNCATED';
  if (packet[0]! >>> 4 !== 6) return 'IP_BAD_VERSION';
  const payload = (packet[4]! << 8) | packet[5]!;
  // A jumbogram (Payload Length 0, RFC 2675) never crosses a PPP link of MTU < 65536.
  if (IPV6_HEADER_LENGTH + payload > packet.length) return 'IP_BAD_TOTAL_LENGTH';
  return undefined;
}

/** Length of the whole IPv6 packet (40 + Payload Length). Valid after `ipv6HeaderError`. */
export function ipv6TotalLength(packet: Uint8Array): number {
  return IPV6_HEADER_LENGTH + (((packet[4] ?? 0) << 8) | (packet[5] ?? 0));
}

/**
 * Checks either IP version. Returns undefined when the header is sound, else the error code.
 * For the data path: one call decides whether a packet may be written to the TUN device.
 */
export function ipHeaderError(packet: Uint8Array): IpHeaderError | undefined {
  const v = ipVersion(packet);
  if (v === 4) return ipv4HeaderError(packet);
  if (v === 6) return ipv6HeaderError(packet);
  return packet.length === 0 ? 'IP_TRUNCATED' : 'IP_BAD_VERSION';
}

/** Length the IP header says the packet has (Total Length, or 40 + Payload Length). */
export function ipTotalLength(packet: Uint8Array): number {
  return ipVersion(packet) === 6 ? ipv6TotalLength(packet) : ipv4TotalLength(packet);
}

/** Largest TCP MSS that fits in a link of this MTU (RFC 6691 section 2; RouterOS change-tcp-mss). */
export function mssForMtu(mtu: number, version: 4 | 6 = 4): number {
  return Math.max(0, mtu - (version === 6 ? IPV6_HEADER_LENGTH : IPV4_MIN_HEADER_LENGTH) - TCP_MIN_HEADER_LENGTH);
}

/**
 * Where the TCP segment starts and ends inside `packet`, or -1 when the packet is not a
 * well-formed unfragmented-at-the-start TCP packet. Writes the end into `segmentEnd[0]`.
 * IPv6: follows Hop-by-Hop, Routing and Destination Options headers (RFC 8200 section 4.2,
 * Hdr Ext Len in 8-octet units not counting the first 8); a Fragment header stops the walk.
 */
function tcpSegmentStart(packet: Uint8Array, end: Int32Array): number {
  const v = ipVersion(packet);
  if (v === 4) {
    if (ipv4HeaderError(packet) !== undefined) return -1;
    if (packet[9] !== IpProtocol.TCP || ipv4IsLaterFragment(packet)) return -1;
    end[0] = ipv4TotalLength(packet);
    return ipv4HeaderLength(packet);
  }
  if (v === 6) {
    if (ipv6HeaderError(packet) !== undefined) return -1;
    const total = ipv6TotalLength(packet);
    let next = packet[6]!;
    let o = IPV6_HEADER_LENGTH;
    // Bounded: each extension header is at least 8 bytes, and o only grows.
    while (next !== IpProtocol.TCP) {
      if (next !== IpProtocol.IPV6_HOP_BY_HOP && next !== IpProtocol.IPV6_ROUTING && next !== IpProtocol.IPV6_DESTINATION_OPTIONS) return -1;
      if (o + 8 > total) return -1;
      next = packet[o]!;
      o += (packet[o + 1]! + 1) * 8;
    }
    if (o > total) return -1;
    end[0] = total;
    return o;
  }
  return -1;
}

/** Adds a 16-bit word change to a checksum per RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'). */
function checksumUpdate(hc: number, oldWord: number, newWord: number): number {
  let sum = (~hc & 0xffff) + (~oldWord & 0xffff) + newWord;
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

const scratchEnd = new Int32Array(1);

/**
 * Offset of the MSS option's 2-byte value inside `packet` when it is a SYN (or SYN-ACK) TCP
 * segment carrying one, else -1. Also reports the TCP segment start via `segStart[0]`.
 */
function findMss(packet: Uint8Array, segStart: Int32Array): number {
  const tcp = tcpSegmentStart(packet, scratchEnd);
  if (tcp < 0) return -1;
  const segEnd = scratchEnd[0]!;
  if (tcp + TCP_MIN_HEADER_LENGTH > segEnd) return -1;
  if ((packet[tcp + 13]! & TcpFlag.SYN) === 0) return -1;
  const dataOffset = (packet[tcp + 12]! >>> 4) * 4;
  if (dataOffset < TCP_MIN_HEADER_LENGTH || tcp + dataOffset > segEnd) return -1;
  const optEnd = tcp + dataOffset;
  let o = tcp + TCP_MIN_HEADER_LENGTH;
  // Bounded: o grows by at least 1 per round (NOP) or by an option length >= 2.
  while (o < optEnd) {
    const kind = packet[o]!;
    if (kind === TcpOptionKind.END) return -1;
    if (kind === TcpOptionKind.NOP) {
      o += 1;
      continue;
    }
    if (o + 1 >= optEnd) return -1;
    const len = packet[o + 1]!;
    if (len < 2 || o + len > optEnd) return -1;
    if (kind === TcpOptionKind.MSS) {
      if (len !== MSS_OPTION_LENGTH) return -1;
      segStart[0] = tcp;
      return o + 2;
    }
    o += len;
  }
  return -1;
}

const scratchStart = new Int32Array(1);

/** MSS carried by a SYN / SYN-ACK, or undefined when the packet has none. */
export function tcpMss(packet: Uint8Array): number | undefined {
  const at = findMss(packet, scratchStart);
  return at < 0 ? undefined : (packet[at]! << 8) | packet[at + 1]!;
}

/**
 * Lowers the MSS option of a TCP SYN or SYN-ACK to `maxMss` when it is larger, in place, fixing
 * the TCP checksum incrementally (RFC 1624). Returns true when the packet was changed.
 * A SYN without an MSS option is left alone (RFC 9293 section 3.7.1 then assumes 536 for IPv4 /
 * 1220 for IPv6, both below any tunnel's clamp). Never throws.
 */
export function clampMss(packet: Uint8Array, maxMss: number): boolean {
  const at = findMss(packet, scratchStart);
  if (at < 0) return false;
  const old = (packet[at]! << 8) | packet[at + 1]!;
  const clamp = maxMss & 0xffff;
  if (old <= clamp) return false;
  const tcp = scratchStart[0]!;
  const ck = tcp + 16;
  let hc = (packet[ck]! << 8) | packet[ck + 1]!;
  // The checksum sums 16-bit words aligned to the segment start. An MSS value at an odd offset
  // (options after a lone NOP) straddles two words: update each aligned word it touches.
  if ((at - tcp) % 2 === 0) {
    hc = checksumUpdate(hc, old, clamp);
    packet[at] = clamp >>> 8;
    packet[at + 1] = clamp & 0xff;
  } else {
    const w1 = at - 1;
    const w2 = at + 1;
    const old1 = (packet[w1]! << 8) | packet[w1 + 1]!;
    const old2 = (packet[w2]! << 8) | packet[w2 + 1]!;
    packet[at] = clamp >>> 8;
    packet[at + 1] = clamp & 0xff;
    hc = checksumUpdate(hc, old1, (packet[w1]! << 8) | packet[w1 + 1]!);
    hc = checksumUpdate(hc, old2, (packet[w2]! << 8) | packet[w2 + 1]!);
  }
  packet[ck] = hc >>> 8;
  packet[ck + 1] = hc & 0xff;
  return true;
}

/** One's complement sum of `bytes[from..to)` as 16-bit big-endian words, added to `initial` (RFC 1071). Unfolded. */
function onesSum(bytes: Uint8Array, from: number, to: number, initial: number): number {
  let sum = initial;
  let i = from;
  for (; i + 1 < to; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (i < to) sum += bytes[i]! << 8;
  return sum;
}

function fold(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

/** The Internet checksum (RFC 1071) of `bytes`: the one's complement of the one's complement sum. */
export function internetChecksum(bytes: Uint8Array): number {
  return ~fold(onesSum(bytes, 0, bytes.length, 0)) & 0xffff;
}

/**
 * Recomputes the TCP checksum over the pseudo-header (RFC 9293 section 3.1 for IPv4, RFC 8200
 * section 8.1 for IPv6) and the segment. Returns true when it verifies, false when it does not,
 * undefined when the packet is not TCP at all. For tests and diagnostics (it reads every byte).
 */
export function tcpChecksumOk(packet: Uint8Array): boolean | undefined {
  const tcp = tcpSegmentStart(packet, scratchEnd);
  if (tcp < 0) return undefined;
  const end = scratchEnd[0]!;
  if (tcp + TCP_MIN_HEADER_LENGTH > end) return undefined;
  const tcpLength = end - tcp;
  let sum: number;
  if (ipVersion(packet) === 4) {
    sum = onesSum(packet, 12, 20, 0) + IpProtocol.TCP + tcpLength;
  } else {
    sum = onesSum(packet, 8, 40, 0) + IpProtocol.TCP + tcpLength;
  }
  sum = onesSum(packet, tcp, end, sum);
  return fold(sum) === 0xffff;
}
