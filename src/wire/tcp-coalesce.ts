/**
 * TCP segment coalescing for writing to a TUN device opened with IFF_VNET_HDR (receive offload
 * done in userspace, as the kernel's GRO does for a NIC): consecutive segments of one TCP flow
 * become one large packet preceded by a `virtio_net_hdr` asking for TCP segmentation offload
 * (GSO_TCPV4) and a partial checksum. The kernel then delivers it to a local socket as one
 * segment-train (one pass through IP and TCP instead of one per segment), or cuts it back into
 * the original segments when it forwards it (GSO at the egress device).
 *
 * Frame written to the TUN (virtio 1.x header, little-endian fields; 10 octets, no num_buffers):
 *   [0] flags        1 = VIRTIO_NET_HDR_F_NEEDS_CSUM for a coalesced packet, 0 for a plain one
 *   [1] gso_type     1 = VIRTIO_NET_HDR_GSO_TCPV4, 0 = none
 *   [2..3] hdr_len   IP + TCP header length
 *   [4..5] gso_size  payload octets per segment (the first segment's)
 *   [6..7] csum_start  offset of the TCP header
 *   [8..9] csum_offset 16 (the TCP checksum field)
 * then the IP packet. For NEEDS_CSUM the TCP checksum field holds the pseudo-header sum (source,
 * destination, protocol, TCP length), not complemented: the kernel finishes it per segment.
 *
 * What merges (the conditions Linux's tcp4_gro_receive uses, simplified): IPv4 without options
 * and not a fragment; TCP with only ACK (PSH allowed, and it ends the train); same addresses,
 * ports, TOS, TTL, DF, acknowledgment number, window and option octets (timestamps included);
 * the next sequence number; every segment the size of the first except possibly the last; at
 * most 65535 octets in all. Anything else (IPv6, UDP, ICMP, SYN/FIN/RST, out-of-order) is
 * written on its own, unchanged, behind a zero header, after the train in progress, so the
 * order of packets is kept.
 *
 * Checksums: the segments' own TCP checksums are not verified before merging (the kernel takes
 * a NEEDS_CSUM packet as good); the UDP checksum of the L2TP datagram covered them on the wire,
 * and MPPE (RC4) has no integrity check either way.
 *
 * Allocation-free: one 64 KiB train buffer and one scratch frame, reused. `push` copies what it
 * needs from the packet before returning, so the packet may live in a buffer that is reused.
 *
 * Call order: any number of `push(packet, write)`, then `finish()` (the end of a received batch).
 * `write` says where the packet goes (one writer per TUN device): one coalescer can serve many
 * devices, trains never mix writers. `write(frame)` gets a view of an internal buffer, valid only
 * during the call.
 */

export const VNET_HDR_LENGTH = 10;
const VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
const VIRTIO_NET_HDR_GSO_TCPV4 = 1;
const IPV4_HEADER = 20;
const TCP_PROTOCOL = 6;
const TCP_ACK = 0x10;
const TCP_PSH = 0x08;
const MAX_IP_LENGTH = 65535;

export type FrameWriter = (frame: Uint8Array) => void;

/** Counters for diagnostics and benchmarks. */
export interface CoalesceStats {
  /** Packets pushed. */
  packets: number;
  /** Frames written (one per train or unmergeable packet). */
  frames: number;
  /** Packets that went out inside a train of two or more. */
  merged: number;
}

export class TcpCoalescer {
  readonly stats: CoalesceStats = { packets: 0, frames: 0, merged: 0 };
  private readonly train = new Uint8Array(VNET_HDR_LENGTH + MAX_IP_LENGTH);
  private readonly single = new Uint8Array(VNET_HDR_LENGTH + MAX_IP_LENGTH);
  /** Octets of IP packet in `train` (after the vnet header); 0 = no train open. */
  private length = 0;
  private headerLength = 0;
  private segments = 0;
  private segmentSize = 0;
  private nextSeq = 0;
  /** The train ended its run: a short segment or PSH arrived. */
  private closed = false;
  private psh = false;
  /** Where the open train goes. */
  private writer: FrameWriter | undefined;

  /** Adds one IP packet; may write the train in progress and/or this packet. */
  push(packet: Uint8Array, write: FrameWriter): void {
    this.stats.packets++;
    const tcpHeader = eligible(packet);
    if (tcpHeader === 0) {
      this.finish();
      this.writeSingle(packet, write);
      return;
    }
    const headerLength = IPV4_HEADER + tcpHeader;
    const payload = packet.length - headerLength;
    const flags = packet[IPV4_HEADER + 13]!;
    if (this.length > 0 && write === this.writer && this.canExtend(packet, headerLength, payload)) {
      this.train.set(packet.subarray(headerLength), VNET_HDR_LENGTH + this.length);
      this.length += payload;
      this.segments++;
      this.nextSeq = (this.nextSeq + payload) >>> 0;
      if (payload < this.segmentSize) this.closed = true;
      if ((flags & TCP_PSH) !== 0) {
        this.psh = true;
        this.closed = true;
      }
      return;
    }
    this.finish();
    this.writer = write;
    this.train.set(packet, VNET_HDR_LENGTH);
    this.length = packet.length;
    this.headerLength = headerLength;
    this.segments = 1;
    this.segmentSize = payload;
    this.nextSeq = (readU32(packet, IPV4_HEADER + 4) + payload) >>> 0;
    this.psh = (flags & TCP_PSH) !== 0;
    this.closed = this.psh;
  }

  /** Writes the train in progress, if any. */
  finish(): void {
    const write = this.writer;
    if (this.length === 0 || write === undefined) return;
    const t = this.train;
    const h = VNET_HDR_LENGTH;
    const total = this.length;
    t.fill(0, 0, h);
    if (this.segments > 1) {
      // IP: new Total Length and header checksum.
      t[h + 2] = total >>> 8;
      t[h + 3] = total & 0xff;
      t[h + 10] = 0;
      t[h + 11] = 0;
      const ipSum = ~fold(sum16(t, h, h + IPV4_HEADER, 0)) & 0xffff;
      t[h + 10] = ipSum >>> 8;
      t[h + 11] = ipSum & 0xff;
      // TCP: PSH of the last segment; checksum field = pseudo-header sum (NEEDS_CSUM).
      if (this.psh) t[h + IPV4_HEADER + 13] = t[h + IPV4_HEADER + 13]! | TCP_PSH;
      const tcpLength = total - IPV4_HEADER;
      const pseudo = fold(sum16(t, h + 12, h + 20, 0) + TCP_PROTOCOL + tcpLength);
      t[h + IPV4_HEADER + 16] = pseudo >>> 8;
      t[h + IPV4_HEADER + 17] = pseudo & 0xff;
      t[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
      t[1] = VIRTIO_NET_HDR_GSO_TCPV4;
      putU16le(t, 2, this.headerLength);
      putU16le(t, 4, this.segmentSize);
      putU16le(t, 6, IPV4_HEADER);
      putU16le(t, 8, 16);
      this.stats.merged += this.segments;
    }
    this.length = 0;
    this.writer = undefined;
    this.stats.frames++;
    write(t.subarray(0, h + total));
  }

  private writeSingle(packet: Uint8Array, write: FrameWriter): void {
    const f = this.single;
    f.fill(0, 0, VNET_HDR_LENGTH);
    f.set(packet, VNET_HDR_LENGTH);
    this.stats.frames++;
    write(f.subarray(0, VNET_HDR_LENGTH + packet.length));
  }

  private canExtend(p: Uint8Array, headerLength: number, payload: number): boolean {
    if (this.closed || headerLength !== this.headerLength || payload > this.segmentSize) return false;
    if (this.length + payload > MAX_IP_LENGTH) return false;
    const t = this.train;
    const b = VNET_HDR_LENGTH;
    // IP: TOS, flags/fragment (DF), TTL, protocol, addresses.
    if (p[1] !== t[b + 1] || p[6] !== t[b + 6] || p[7] !== t[b + 7] || p[8] !== t[b + 8] || p[9] !== t[b + 9]) return false;
    for (let k = 12; k < 20; k++) if (p[k] !== t[b + k]) return false;
    const o = IPV4_HEADER;
    // TCP: ports.
    for (let k = 0; k < 4; k++) if (p[o + k] !== t[b + o + k]) return false;
    if (readU32(p, o + 4) !== this.nextSeq) return false;
    // Acknowledgment number, data offset, window, urgent pointer, options.
    for (let k = 8; k < 13; k++) if (p[o + k] !== t[b + o + k]) return false;
    for (let k = 14; k < 16; k++) if (p[o + k] !== t[b + o + k]) return false;
    for (let k = 18; k < headerLength - IPV4_HEADER; k++) if (p[o + k] !== t[b + o + k]) return false;
    return true;
  }
}

/**
 * The TCP header length of `packet` when it may start or join a train (IPv4, no IP options, not
 * a fragment, Total Length = the packet's length, TCP with ACK and optionally PSH only, some
 * payload); 0 otherwise.
 */
function eligible(p: Uint8Array): number {
  const n = p.length;
  if (n < IPV4_HEADER + 20 || p[0] !== 0x45 || p[9] !== TCP_PROTOCOL) return 0;
  if (((p[2]! << 8) | p[3]!) !== n) return 0;
  // MF clear and fragment offset 0 (DF may be set).
  if ((p[6]! & 0x3f) !== 0 || p[7] !== 0) return 0;
  const tcpHeader = (p[IPV4_HEADER + 12]! >>> 4) * 4;
  if (tcpHeader < 20 || IPV4_HEADER + tcpHeader >= n) return 0;
  const flags = p[IPV4_HEADER + 13]!;
  if ((flags & ~TCP_PSH) !== TCP_ACK) return 0;
  if (p[IPV4_HEADER + 18] !== 0 || p[IPV4_HEADER + 19] !== 0) return 0;
  return tcpHeader;
}

function readU32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

function putU16le(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
}

/** One's complement sum of the big-endian 16-bit words of b[from, to) (even length). */
function sum16(b: Uint8Array, from: number, to: number, initial: number): number {
  let s = initial;
  for (let i = from; i < to; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  return s;
}

function fold(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}
