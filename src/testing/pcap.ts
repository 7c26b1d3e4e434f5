/**
 * A tiny capture reader for tests: classic pcap (both byte orders, micro- and nanosecond) and
 * pcapng (Section Header, Interface Description, Enhanced and Simple Packet blocks), then
 * Ethernet (with 802.1Q tags), Linux cooked SLL and SLL2, BSD loopback and raw IP link layers,
 * then IPv4/IPv6 and UDP, yielding each UDP payload with its addresses and ports.
 *
 * Test tooling, not an engine: it parses bytes the test loaded (see `vectorPath`) and throws
 * on a file that is not a capture at all. Packets it cannot dissect (other link types, non-UDP,
 * IP fragments after the first) are skipped. `frame` numbers count every packet from 1,
 * matching tshark's frame numbers.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { view } from '../core/bytes.js';

/**
 * Path of a file in the project's test vectors (`test/vectors/`), whether tests run from `src/`
 * under tsx or compiled from `dist/src/`: walks up from this module, then falls back to the
 * working directory. (The only file-system touch here; the caller reads the file.)
 */
export function vectorPath(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const p = join(dir, 'test', 'vectors', name);
    if (existsSync(p)) return p;
    dir = dirname(dir);
  }
  return resolve('test', 'vectors', name);
}

export interface CapturedPacket {
  /** 1-based position in the file, as tshark numbers frames. */
  frame: number;
  linkType: number;
  data: Uint8Array;
}

export interface UdpDatagram {
  frame: number;
  srcAddr: string;
  srcPort: number;
  dstAddr: string;
  dstPort: number;
  payload: Uint8Array;
}

/** Link-layer header types (tcpdump.org LINKTYPE_ values) we understand. */
export const LinkType = {
  Null: 0,
  Ethernet: 1,
  Raw: 101,
  LinuxSll: 113,
  Ipv4: 228,
  Ipv6: 229,
  LinuxSll2: 276,
} as const;

const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_IDB = 0x00000001;
const PCAPNG_SPB = 0x00000003;
const PCAPNG_EPB = 0x00000006;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const MAX_PACKETS = 1_000_000;

/** Reads every packet of a pcap or pcapng file. */
export function readCapture(file: Uint8Array): CapturedPacket[] {
  if (file.length < 12) throw new Error('pcap: file too short');
  const dv = view(file);
  const magicBE = dv.getUint32(0, false);
  if (magicBE === PCAPNG_SHB) return readPcapng(file);
  const magicLE = dv.getUint32(0, true);
  const classic = [0xa1b2c3d4, 0xa1b23c4d];
  let le: boolean;
  if (classic.includes(magicLE)) le = true;
  else if (classic.includes(magicBE)) le = false;
  else throw new Error(`pcap: unknown magic 0x${magicBE.toString(16)}`);
  if (file.length < 24) throw new Error('pcap: truncated global header');
  const linkType = dv.getUint32(20, le) & 0x0fffffff;
  const out: CapturedPacket[] = [];
  let o = 24;
  while (o + 16 <= file.length && out.length < MAX_PACKETS) {
    const inclLen = dv.getUint32(o + 8, le);
    const start = o + 16;
    if (start + inclLen > file.length) break;
    out.push({ frame: out.length + 1, linkType, data: file.subarray(start, start + inclLen) });
    o = start + inclLen;
  }
  return out;
}

function readPcapng(file: Uint8Array): CapturedPacket[] {
  const dv = view(file);
  const out: CapturedPacket[] = [];
  let le = true;
  let interfaces: number[] = [];
  let o = 0;
  while (o + 12 <= file.length && out.length < MAX_PACKETS) {
    const blockTypeLE = dv.getUint32(o, true);
    if (blockTypeLE === PCAPNG_SHB) {
      // The byte-order magic decides the endianness of this section.
      const bom = dv.getUint32(o + 8, true);
      le = bom === BYTE_ORDER_MAGIC;
      interfaces = [];
    }
    const blockType = dv.getUint32(o, le);
    const blockLen = dv.getUint32(o + 4, le);
    if (blockLen < 12 || blockLen % 4 !== 0 || o + blockLen > file.length) break;
    const body = o + 8;
    if (blockType === PCAPNG_IDB) {
      interfaces.push(dv.getUint16(body, le));
    } else if (blockType === PCAPNG_EPB) {
      const ifId = dv.getUint32(body, le);
      const capLen = dv.getUint32(body + 12, le);
      const start = body + 20;
      if (start + capLen <= o + blockLen - 4) {
        out.push({ frame: out.length + 1, linkType: interfaces[ifId] ?? -1, data: file.subarray(start, start + capLen) });
      }
    } else if (blockType === PCAPNG_SPB) {
      const origLen = dv.getUint32(body, le);
      const start = body + 4;
      const capLen = Math.min(origLen, o + blockLen - 4 - start);
      out.push({ frame: out.length + 1, linkType: interfaces[0] ?? -1, data: file.subarray(start, start + capLen) });
    }
    o += blockLen;
  }
  return out;
}

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = [0x8100, 0x88a8, 0x9100];
const IPPROTO_UDP = 17;

/** Locates the IP packet inside a link-layer frame: [offset, ethertype-like protocol]. */
function network(p: CapturedPacket): { offset: number; proto: number } | undefined {
  const d = p.data;
  const dv = view(d);
  switch (p.linkType) {
    case LinkType.Ethernet: {
      let o = 12;
      if (d.length < o + 2) return undefined;
      let et = dv.getUint16(o);
      for (let tags = 0; ETHERTYPE_VLAN.includes(et) && tags < 4; tags++) {
        o += 4;
        if (d.length < o + 2) return undefined;
        et = dv.getUint16(o);
      }
      return { offset: o + 2, proto: et };
    }
    case LinkType.LinuxSll:
      return d.length >= 16 ? { offset: 16, proto: dv.getUint16(14) } : undefined;
    case LinkType.LinuxSll2:
      return d.length >= 20 ? { offset: 20, proto: dv.getUint16(0) } : undefined;
    case LinkType.Null: {
      if (d.length < 4) return undefined;
      const family = dv.getUint32(0, true) > 0xffff ? dv.getUint32(0, false) : dv.getUint32(0, true);
      return { offset: 4, proto: family === 2 ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6 };
    }
    case LinkType.Raw:
    case LinkType.Ipv4:
    case LinkType.Ipv6: {
      if (d.length < 1) return undefined;
      const v = d[0]! >> 4;
      return { offset: 0, proto: v === 4 ? ETHERTYPE_IPV4 : v === 6 ? ETHERTYPE_IPV6 : -1 };
    }
    default:
      return undefined;
  }
}

function ipv4(b: Uint8Array): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

function ipv6(b: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  return groups.join(':');
}

/** The UDP datagram inside a captured packet, or undefined. */
export function udpOf(p: CapturedPacket): UdpDatagram | undefined {
  const n = network(p);
  if (!n) return undefined;
  const d = p.data;
  const dv = view(d);
  let o = n.offset;
  let src: string;
  let dst: string;
  let ipEnd: number;
  if (n.proto === ETHERTYPE_IPV4) {
    if (d.length < o + 20 || d[o]! >> 4 !== 4) return undefined;
    const ihl = (d[o]! & 0x0f) * 4;
    const total = dv.getUint16(o + 2);
    const fragOffset = dv.getUint16(o + 6) & 0x1fff;
    if (d[o + 9] !== IPPROTO_UDP || fragOffset !== 0 || ihl < 20) return undefined;
    src = ipv4(d.subarray(o + 12, o + 16));
    dst = ipv4(d.subarray(o + 16, o + 20));
    ipEnd = Math.min(d.length, o + total);
    o += ihl;
  } else if (n.proto === ETHERTYPE_IPV6) {
    if (d.length < o + 40 || d[o]! >> 4 !== 6) return undefined;
    // Extension headers are not followed: UDP must be the Next Header.
    if (d[o + 6] !== IPPROTO_UDP) return undefined;
    src = ipv6(d.subarray(o + 8, o + 24));
    dst = ipv6(d.subarray(o + 24, o + 40));
    ipEnd = Math.min(d.length, o + 40 + dv.getUint16(o + 4));
    o += 40;
  } else {
    return undefined;
  }
  if (ipEnd < o + 8) return undefined;
  const udpLen = dv.getUint16(o + 4);
  const end = Math.min(ipEnd, o + Math.max(udpLen, 8));
  return { frame: p.frame, srcAddr: src, srcPort: dv.getUint16(o), dstAddr: dst, dstPort: dv.getUint16(o + 2), payload: d.subarray(o + 8, end) };
}

/** Every UDP datagram of a capture file, in file order. */
export function readUdpDatagrams(file: Uint8Array): UdpDatagram[] {
  const out: UdpDatagram[] = [];
  for (const p of readCapture(file)) {
    const u = udpOf(p);
    if (u) out.push(u);
  }
  return out;
}
