/**
 * Codecs for PAP (RFC 1334 section 2.2) and CHAP (RFC 1994 section 4) packets, the payloads of
 * PPP protocols 0xc023 and 0xc223. MS-CHAPv1/v2 (RFC 2433, RFC 2759) reuse the CHAP framing; the
 * layout of their Response Value (49 octets) is decoded here too.
 *
 * Common header (both protocols):
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |     Code      |  Identifier   |            Length             |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |    Data ...
 *
 * PAP Authenticate-Request data:  Peer-ID Length(1) Peer-ID  Passwd-Length(1) Password
 * PAP Authenticate-Ack/Nak data:  Msg-Length(1) Message
 * CHAP Challenge/Response data:   Value-Size(1) Value  Name (rest, up to Length)
 * CHAP Success/Failure data:      Message (rest, up to Length)
 *
 * Invariants: decoders never throw; they check Length once against the buffer and return
 * `{ ok: false, error }` for anything malformed. "Octets outside the range of the Length field
 * should be treated as Data Link Layer padding and should be ignored on reception" (RFC 1994
 * section 4), so the Length field, not the buffer size, bounds the data. Encoders truncate
 * strings that cannot fit their one-octet length fields (255) rather than throw.
 */
import { fromUtf8, utf8 } from '../core/bytes.js';

/** PAP codes, RFC 1334 section 2.2. */
export const PAP_AUTHENTICATE_REQUEST = 1;
export const PAP_AUTHENTICATE_ACK = 2;
export const PAP_AUTHENTICATE_NAK = 3;

/** CHAP codes, RFC 1994 section 4. */
export const CHAP_CHALLENGE = 1;
export const CHAP_RESPONSE = 2;
export const CHAP_SUCCESS = 3;
export const CHAP_FAILURE = 4;

const HEADER_LENGTH = 4;
const MAX_U8_FIELD = 255;

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: string };

export interface PacketHeader {
  code: number;
  id: number;
  /** The Data field, bounded by the Length field (a view into the input). */
  data: Uint8Array;
}

/** Reads Code / Identifier / Length and returns the Data field bounded by Length. */
export function decodeHeader(packet: Uint8Array): Decoded<PacketHeader> {
  if (packet.length < HEADER_LENGTH) return { ok: false, error: 'shorter than the 4-octet header' };
  const code = packet[0]!;
  const id = packet[1]!;
  const length = (packet[2]! << 8) | packet[3]!;
  if (length < HEADER_LENGTH) return { ok: false, error: `Length ${length} below header size` };
  if (length > packet.length) return { ok: false, error: `Length ${length} beyond ${packet.length} received octets` };
  return { ok: true, value: { code, id, data: packet.subarray(HEADER_LENGTH, length) } };
}

function withHeader(code: number, id: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_LENGTH + data.length);
  out[0] = code;
  out[1] = id & 0xff;
  out[2] = (out.length >>> 8) & 0xff;
  out[3] = out.length & 0xff;
  out.set(data, HEADER_LENGTH);
  return out;
}

function cap(bytes: Uint8Array, max: number): Uint8Array {
  return bytes.length > max ? bytes.subarray(0, max) : bytes;
}

// ---------------------------------------------------------------------------------------------
// PAP

export interface PapRequest {
  id: number;
  peerId: Uint8Array;
  password: Uint8Array;
}

export function encodePapRequest(id: number, peerId: Uint8Array, password: Uint8Array): Uint8Array {
  const p = cap(peerId, MAX_U8_FIELD);
  const w = cap(password, MAX_U8_FIELD);
  const data = new Uint8Array(2 + p.length + w.length);
  data[0] = p.length;
  data.set(p, 1);
  data[1 + p.length] = w.length;
  data.set(w, 2 + p.length);
  return withHeader(PAP_AUTHENTICATE_REQUEST, id, data);
}

export function decodePapRequestData(id: number, data: Uint8Array): Decoded<PapRequest> {
  if (data.length < 1) return { ok: false, error: 'no Peer-ID Length' };
  const idLen = data[0]!;
  if (1 + idLen + 1 > data.length) return { ok: false, error: 'Peer-ID overruns Length' };
  const peerId = data.subarray(1, 1 + idLen);
  const pwLen = data[1 + idLen]!;
  if (2 + idLen + pwLen > data.length) return { ok: false, error: 'Password overruns Length' };
  const password = data.subarray(2 + idLen, 2 + idLen + pwLen);
  return { ok: true, value: { id, peerId, password } };
}

/** Authenticate-Ack (code 2) or Authenticate-Nak (code 3) with a message. */
export function encodePapReply(code: typeof PAP_AUTHENTICATE_ACK | typeof PAP_AUTHENTICATE_NAK, id: number, message: string): Uint8Array {
  const m = cap(utf8(message), MAX_U8_FIELD);
  const data = new Uint8Array(1 + m.length);
  data[0] = m.length;
  data.set(m, 1);
  return withHeader(code, id, data);
}

/**
 * Message of an Ack/Nak. Lenient on purpose: RouterOS sends an Ack with Length=4 (no Msg-Length
 * octet at all; INTEROP.md), and a Msg-Length larger than the data is clipped, since the message
 * "MUST NOT affect operation of the protocol" anyway.
 */
export function decodePapReplyMessage(data: Uint8Array): string {
  if (data.length < 1) return '';
  const n = Math.min(data[0]!, data.length - 1);
  return fromUtf8(data.subarray(1, 1 + n));
}

// ---------------------------------------------------------------------------------------------
// CHAP

export interface ChapChallengeOrResponse {
  value: Uint8Array;
  name: Uint8Array;
}

/** Challenge (code 1) or Response (code 2). */
export function encodeChapValue(code: typeof CHAP_CHALLENGE | typeof CHAP_RESPONSE, id: number, value: Uint8Array, name: Uint8Array): Uint8Array {
  const v = cap(value, MAX_U8_FIELD);
  // keep the whole packet within a 16-bit Length
  const n = cap(name, 0xffff - HEADER_LENGTH - 1 - v.length);
  const data = new Uint8Array(1 + v.length + n.length);
  data[0] = v.length;
  data.set(v, 1);
  data.set(n, 1 + v.length);
  return withHeader(code, id, data);
}

export function decodeChapValueData(data: Uint8Array): Decoded<ChapChallengeOrResponse> {
  if (data.length < 1) return { ok: false, error: 'no Value-Size' };
  const size = data[0]!;
  if (size === 0) return { ok: false, error: 'Value-Size 0' };
  if (1 + size > data.length) return { ok: false, error: 'Value overruns Length' };
  return { ok: true, value: { value: data.subarray(1, 1 + size), name: data.subarray(1 + size) } };
}

/** Success (code 3) or Failure (code 4). */
export function encodeChapMessage(code: typeof CHAP_SUCCESS | typeof CHAP_FAILURE, id: number, message: string): Uint8Array {
  return withHeader(code, id, cap(utf8(message), 0xffff - HEADER_LENGTH));
}

// ---------------------------------------------------------------------------------------------
// MS-CHAP Response Value layouts

/** RFC 2433 section 5 and RFC 2759 section 4: both Response Values are 49 octets. */
export const MSCHAP_RESPONSE_LENGTH = 49;
/** RFC 2433: challenge is 8 octets; RFC 2759: 16 octets. */
export const MSCHAP1_CHALLENGE_LENGTH = 8;
export const MSCHAP2_CHALLENGE_LENGTH = 16;
/** RFC 1994 allows any size; we send 16 random octets like common implementations. */
export const CHAP_MD5_CHALLENGE_LENGTH = 16;
export const CHAP_MD5_RESPONSE_LENGTH = 16;

/** MS-CHAPv1 Response Value: LM-Response(24) NT-Response(24) Flags(1); Flags=1 means use NT. */
export interface MsChap1ResponseValue {
  lmResponse: Uint8Array;
  ntResponse: Uint8Array;
  flags: number;
}

export function encodeMsChap1ResponseValue(v: MsChap1ResponseValue): Uint8Array {
  const out = new Uint8Array(MSCHAP_RESPONSE_LENGTH);
  out.set(v.lmResponse.subarray(0, 24), 0);
  out.set(v.ntResponse.subarray(0, 24), 24);
  out[48] = v.flags & 0xff;
  return out;
}

export function decodeMsChap1ResponseValue(value: Uint8Array): Decoded<MsChap1ResponseValue> {
  if (value.length !== MSCHAP_RESPONSE_LENGTH) return { ok: false, error: `MS-CHAPv1 Response Value is ${value.length} octets, not 49` };
  return { ok: true, value: { lmResponse: value.slice(0, 24), ntResponse: value.slice(24, 48), flags: value[48]! } };
}

/** MS-CHAPv2 Response Value: Peer-Challenge(16) Reserved(8, zero) NT-Response(24) Flags(1, zero). */
export interface MsChap2ResponseValue {
  peerChallenge: Uint8Array;
  reserved: Uint8Array;
  ntResponse: Uint8Array;
  flags: number;
}

export function encodeMsChap2ResponseValue(peerChallenge: Uint8Array, ntResponse: Uint8Array): Uint8Array {
  const out = new Uint8Array(MSCHAP_RESPONSE_LENGTH);
  out.set(peerChallenge.subarray(0, 16), 0);
  // octets 16..23 stay zero: "8-octet reserved field which MUST be zero" (RFC 2759 section 4)
  out.set(ntResponse.subarray(0, 24), 24);
  // Flags: "reserved for future use and MUST be zero" (RFC 2759 section 4)
  out[48] = 0;
  return out;
}

export function decodeMsChap2ResponseValue(value: Uint8Array): Decoded<MsChap2ResponseValue> {
  if (value.length !== MSCHAP_RESPONSE_LENGTH) return { ok: false, error: `MS-CHAPv2 Response Value is ${value.length} octets, not 49` };
  return {
    ok: true,
    value: { peerChallenge: value.slice(0, 16), reserved: value.slice(16, 24), ntResponse: value.slice(24, 48), flags: value[48]! },
  };
}
