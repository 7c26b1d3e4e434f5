/**
 * PPP frame and control-packet codecs: pure functions, no state.
 *
 * What: (1) the PPP frame as carried in an L2TP data message (RFC 2661 section 5.1: the HDLC flag,
 * FCS and byte stuffing are absent; the Address/Control octets FF 03 are present unless
 * Address-and-Control-Field-Compression applies), with a 1- or 2-octet Protocol field
 * (RFC 1661 section 2, section 6.5 PFC, section 6.6 ACFC); (2) the control packet shared by LCP,
 * the NCPs and CCP (RFC 1661 section 5): Code, Identifier, Length, Data; (3) the Configuration
 * Option list carried by Configure-Request/Ack/Nak/Reject (RFC 1661 section 6).
 *
 *   PPP frame (RFC 1662 section 3.1 without flag/FCS, as L2TP carries it):
 *   +----------+----------+----------+-------------+
 *   | Address  | Control  | Protocol | Information |
 *   | 0xff     | 0x03     | 8/16 bits|      *      |
 *   +----------+----------+----------+-------------+
 *
 *   Control packet (RFC 1661 section 5):
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |     Code      |  Identifier   |            Length             |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |    Data ...
 *
 *   Configuration Option (RFC 1661 section 6):
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |     Type      |    Length     |    Data ...
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Invariants: decoders never throw; a malformed input yields `{ ok: false, error }` with a stable
 * `code`. Lengths are checked once at entry; payloads are `subarray` views (no copies).
 *
 * Malformed-input policy (documented choice):
 * - Control packet Length < 4, or Length larger than the bytes received: malformed; the engines
 *   silently discard it ("If the Length field exceeds the received packet length, the packet MUST
 *   be silently discarded", RFC 1661 section 5). Octets beyond Length are padding, ignored.
 * - An option list that cannot be delimited (an option Length < 2, or running past the end of the
 *   packet) is malformed as a whole: we cannot even echo the options in a Configure-Reject, so the
 *   packet is silently discarded. An option whose Length is self-consistent but wrong for its Type
 *   (e.g. MRU with Length 3) is delimited fine; the option handler Configure-Rejects it.
 */

/** PPP Protocol field values we know by name (IANA "PPP DLL Protocol Numbers"). */
export const PppProtocol = {
  IPV4: 0x0021,
  MP: 0x003d,
  IPV6: 0x0057,
  COMPRESSED_DATAGRAM: 0x00fd,
  IPCP: 0x8021,
  BCP: 0x8031,
  IPV6CP: 0x8057,
  CCP: 0x80fd,
  LCP: 0xc021,
  PAP: 0xc023,
  LQR: 0xc025,
  CHAP: 0xc223,
  EAP: 0xc227,
} as const;

const PROTOCOL_NAMES: ReadonlyMap<number, string> = new Map([
  [PppProtocol.IPV4, 'IPv4'],
  [PppProtocol.MP, 'MP'],
  [PppProtocol.IPV6, 'IPv6'],
  [PppProtocol.COMPRESSED_DATAGRAM, 'compressed-datagram'],
  [PppProtocol.IPCP, 'IPCP'],
  [PppProtocol.BCP, 'BCP'],
  [PppProtocol.IPV6CP, 'IPV6CP'],
  [PppProtocol.CCP, 'CCP'],
  [PppProtocol.LCP, 'LCP'],
  [PppProtocol.PAP, 'PAP'],
  [PppProtocol.LQR, 'LQR'],
  [PppProtocol.CHAP, 'CHAP'],
  [PppProtocol.EAP, 'EAP'],
]);

export function protocolName(protocol: number): string {
  return PROTOCOL_NAMES.get(protocol) ?? `0x${protocol.toString(16).padStart(4, '0')}`;
}

/**
 * RFC 1661 section 2: "Protocol field values ... MUST be odd; that is, the least significant bit
 * of the least significant octet MUST equal 1. Also, all Protocols MUST be assigned such that the
 * least significant bit of the most significant octet equals 0. Frames received which don't comply
 * with these rules MUST be treated as having an unrecognized Protocol."
 */
export function isValidProtocol(protocol: number): boolean {
  return (protocol & 0x0001) === 1 && (protocol & 0x0100) === 0 && protocol >= 0 && protocol <= 0xffff;
}

/** Control packet codes, RFC 1661 section 5 (1..11), RFC 1570 (12, 13), RFC 1962 (14, 15). */
export const ControlCode = {
  ConfigureRequest: 1,
  ConfigureAck: 2,
  ConfigureNak: 3,
  ConfigureReject: 4,
  TerminateRequest: 5,
  TerminateAck: 6,
  CodeReject: 7,
  ProtocolReject: 8,
  EchoRequest: 9,
  EchoReply: 10,
  DiscardRequest: 11,
  Identification: 12,
  TimeRemaining: 13,
  ResetRequest: 14,
  ResetAck: 15,
} as const;

export type PppDecodeErrorCode =
  | 'PPP_FRAME_TOO_SHORT'
  | 'PPP_BAD_ADDRESS_CONTROL'
  | 'PPP_CONTROL_TOO_SHORT'
  | 'PPP_CONTROL_LENGTH_SHORT'
  | 'PPP_CONTROL_LENGTH_EXCEEDS'
  | 'PPP_OPTION_TRUNCATED'
  | 'PPP_OPTION_LENGTH_SHORT'
  | 'PPP_OPTION_LENGTH_EXCEEDS';

export interface PppDecodeError {
  readonly code: PppDecodeErrorCode;
  readonly message: string;
}

export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: PppDecodeError };

function fail<T>(code: PppDecodeErrorCode, message: string): Decoded<T> {
  return { ok: false, error: { code, message } };
}

export const PPP_ADDRESS = 0xff;
export const PPP_CONTROL = 0x03;

/**
 * Whether the PPP frame at `bytes[offset..]` is link control traffic (LCP, authentication, an
 * NCP, CCP...) rather than a datagram (IPv4, IPv6, or 0x00FD compressed/encrypted). Address and
 * Control may be absent (ACFC) and the Protocol one octet (PFC). A frame too short to say counts
 * as control, so that it reaches the engine that rejects it properly. Allocation-free: it runs on
 * every received datagram when the daemon sheds load (L2TP's P bit, RFC 2661 section 3.1, serves
 * the same purpose on the sending side).
 */
export function isPppControlFrame(bytes: Uint8Array, offset = 0): boolean {
  let o = offset;
  const n = bytes.length;
  if (o + 1 < n && bytes[o] === PPP_ADDRESS && bytes[o + 1] === PPP_CONTROL) o += 2;
  if (o >= n) return true;
  let protocol = bytes[o]!;
  if ((protocol & 1) === 0) {
    if (o + 1 >= n) return true;
    protocol = (protocol << 8) | bytes[o + 1]!;
  }
  return protocol !== PppProtocol.IPV4 && protocol !== PppProtocol.IPV6 && protocol !== PppProtocol.COMPRESSED_DATAGRAM;
}

export interface PppFrame {
  readonly protocol: number;
  /** The Information field, a view into the input. */
  readonly information: Uint8Array;
  /** True when FF 03 was absent (ACFC applied by the sender). */
  readonly addressControlCompressed: boolean;
  /** True when the Protocol field was one octet (PFC applied by the sender). */
  readonly protocolCompressed: boolean;
}

/**
 * Decodes a PPP frame as L2TP carries it. FF 03 is stripped when present. A first octet that is
 * odd is a compressed (1-octet) Protocol field (RFC 1661 section 6.5: PFC only compresses values
 * 0x0001..0x00ff, whose high octet 0x00 is even, so the first octet tells them apart). A frame that
 * starts with FF but not FF 03 is an error (FF is odd, but 0x00ff is no protocol; RFC 1662 treats
 * a bad Control field as an invalid frame).
 */
export function decodeFrame(bytes: Uint8Array): Decoded<PppFrame> {
  let off = 0;
  let acc = true;
  if (bytes.length >= 1 && bytes[0] === PPP_ADDRESS) {
    if (bytes.length < 2 || bytes[1] !== PPP_CONTROL) return fail('PPP_BAD_ADDRESS_CONTROL', 'address FF without control 03');
    off = 2;
    acc = false;
  }
  if (bytes.length < off + 1) return fail('PPP_FRAME_TOO_SHORT', 'no protocol field');
  const first = bytes[off]!;
  if ((first & 1) === 1) {
    return {
      ok: true,
      value: { protocol: first, information: bytes.subarray(off + 1), addressControlCompressed: acc, protocolCompressed: true },
    };
  }
  if (bytes.length < off + 2) return fail('PPP_FRAME_TOO_SHORT', 'truncated protocol field');
  const protocol = (first << 8) | bytes[off + 1]!;
  return {
    ok: true,
    value: { protocol, information: bytes.subarray(off + 2), addressControlCompressed: acc, protocolCompressed: false },
  };
}

export interface EncodeFrameOptions {
  /** Omit FF 03 (only when ACFC was negotiated; this project always sends it on L2TP). */
  readonly addressControlCompressed?: boolean;
  /** Send a 1-octet Protocol field when possible (only when PFC was negotiated). */
  readonly protocolCompressed?: boolean;
}

export function encodeFrame(protocol: number, information: Uint8Array, opts: EncodeFrameOptions = {}): Uint8Array {
  const ac = opts.addressControlCompressed ? 0 : 2;
  const pfc = opts.protocolCompressed === true && protocol <= 0xff;
  const pl = pfc ? 1 : 2;
  const out = new Uint8Array(ac + pl + information.length);
  if (ac) {
    out[0] = PPP_ADDRESS;
    out[1] = PPP_CONTROL;
  }
  if (pfc) out[ac] = protocol;
  else {
    out[ac] = protocol >>> 8;
    out[ac + 1] = protocol & 0xff;
  }
  out.set(information, ac + pl);
  return out;
}

export interface ControlPacket {
  readonly code: number;
  readonly id: number;
  /** The Data field, bounded by Length (padding removed). */
  readonly data: Uint8Array;
}

export const CONTROL_HEADER_LENGTH = 4;

/** Decodes Code/Identifier/Length/Data; octets beyond Length are padding and ignored. */
export function decodeControl(bytes: Uint8Array): Decoded<ControlPacket> {
  if (bytes.length < CONTROL_HEADER_LENGTH) return fail('PPP_CONTROL_TOO_SHORT', `control packet of ${bytes.length} octets`);
  const length = (bytes[2]! << 8) | bytes[3]!;
  if (length < CONTROL_HEADER_LENGTH) return fail('PPP_CONTROL_LENGTH_SHORT', `Length ${length} < 4`);
  if (length > bytes.length) return fail('PPP_CONTROL_LENGTH_EXCEEDS', `Length ${length} > ${bytes.length} received`);
  return { ok: true, value: { code: bytes[0]!, id: bytes[1]!, data: bytes.subarray(CONTROL_HEADER_LENGTH, length) } };
}

export function encodeControl(p: ControlPacket): Uint8Array {
  const length = CONTROL_HEADER_LENGTH + p.data.length;
  const out = new Uint8Array(length);
  out[0] = p.code & 0xff;
  out[1] = p.id & 0xff;
  out[2] = length >>> 8;
  out[3] = length & 0xff;
  out.set(p.data, CONTROL_HEADER_LENGTH);
  return out;
}

export interface PppOption {
  readonly type: number;
  /** The Data field (after Type and Length). */
  readonly data: Uint8Array;
}

export const OPTION_HEADER_LENGTH = 2;

/** Decodes a Configuration Option list; any option that cannot be delimited fails the whole list. */
export function decodeOptions(bytes: Uint8Array): Decoded<PppOption[]> {
  const out: PppOption[] = [];
  let off = 0;
  while (off < bytes.length) {
    if (off + OPTION_HEADER_LENGTH > bytes.length) return fail('PPP_OPTION_TRUNCATED', `option header truncated at ${off}`);
    const type = bytes[off]!;
    const len = bytes[off + 1]!;
    if (len < OPTION_HEADER_LENGTH) return fail('PPP_OPTION_LENGTH_SHORT', `option ${type} Length ${len} < 2`);
    if (off + len > bytes.length) return fail('PPP_OPTION_LENGTH_EXCEEDS', `option ${type} Length ${len} overflows the packet`);
    out.push({ type, data: bytes.subarray(off + OPTION_HEADER_LENGTH, off + len) });
    off += len;
  }
  return { ok: true, value: out };
}

/** Encodes options in order. Option data is at most 253 octets (Length is one octet). */
export function encodeOptions(options: readonly PppOption[]): Uint8Array {
  let n = 0;
  for (const o of options) n += OPTION_HEADER_LENGTH + Math.min(o.data.length, 253);
  const out = new Uint8Array(n);
  let off = 0;
  for (const o of options) {
    const d = o.data.length > 253 ? o.data.subarray(0, 253) : o.data;
    out[off] = o.type & 0xff;
    out[off + 1] = OPTION_HEADER_LENGTH + d.length;
    out.set(d, off + OPTION_HEADER_LENGTH);
    off += OPTION_HEADER_LENGTH + d.length;
  }
  return out;
}

/** Big-endian helpers for option values. */
export function u16(hi: number, lo: number): number {
  return ((hi << 8) | lo) >>> 0;
}

export function readU16(b: Uint8Array, off = 0): number | undefined {
  if (b.length < off + 2) return undefined;
  return (b[off]! << 8) | b[off + 1]!;
}

export function readU32(b: Uint8Array, off = 0): number | undefined {
  if (b.length < off + 4) return undefined;
  return ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
}

export function u16Bytes(v: number): Uint8Array {
  return Uint8Array.of((v >>> 8) & 0xff, v & 0xff);
}

export function u32Bytes(v: number): Uint8Array {
  return Uint8Array.of((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
}
