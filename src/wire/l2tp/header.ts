/**
 * L2TPv2 header codec (RFC 2661 section 3.1), shared by data and control messages.
 *
 * The decoder is a zero-copy view for the data path: it reads header fields straight from the
 * caller's buffer and reports the payload as offsets (`payloadOffset`..`payloadEnd`), so the
 * caller can `subarray` the PPP frame without copying; `decodeHeaderInto` fills a caller-owned
 * header and allocates nothing per datagram. Lengths are checked once here;
 * afterwards `0 <= payloadOffset <= payloadEnd <= buf.length` always holds.
 *
 *      0                   1                   2                   3
 *      0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     |T|L|x|x|S|x|O|P|x|x|x|x|  Ver  |          Length (opt)         |
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     |           Tunnel ID           |           Session ID          |
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     |             Ns (opt)          |             Nr (opt)          |
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     |      Offset Size (opt)        |    Offset pad... (opt)
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Checks made by `decodeHeader` (each failure is an error value, never an exception):
 * - Ver must be 2. RFC 2661 3.1: packets with an unknown Ver "MUST be discarded"; Ver 3
 *   (L2TPv3, RFC 3931) gets its own message because it is the common misconfiguration.
 * - Control messages (T=1) must have L=1 and S=1 (RFC 3.1: "the L bit MUST be set to 1 for
 *   control messages", likewise S).
 * - The Length field, when present, must cover the header and fit in the buffer. Bytes after
 *   Length are ignored (some stacks pad datagrams).
 * - The offset pad must fit inside the message.
 * All these errors carry action 'ignore': the datagram is discarded silently.
 *
 * Encoding: `encodeDataHeader` writes a data header into a caller-owned buffer at offset 0 and
 * returns its length, so the data path can reserve the header room once and reuse the buffer.
 * Control headers are written by `message.ts` (always exactly 12 bytes).
 */
import { view } from '../../core/bytes.js';
import { L2TP_VERSION, L2TPV3_VERSION } from './constants.js';
import type { L2tpDecodeError } from './message.js';
import { isPppControlFrame } from '../ppp/frame.js';

/** Flag bits of the first 16-bit word (RFC 2661 3.1). */
export const HeaderFlag = {
  /** T: 1 = control message, 0 = data message. */
  Type: 0x8000,
  /** L: Length field present. */
  Length: 0x4000,
  /** S: Ns and Nr fields present. */
  Sequence: 0x0800,
  /** O: Offset Size field present. */
  Offset: 0x0200,
  /** P: data message should get preferential treatment (RFC 3.1). */
  Priority: 0x0100,
} as const;
const VERSION_MASK = 0x000f;

/** Size of a control message header: flags, Length, Tunnel ID, Session ID, Ns, Nr. */
export const CONTROL_HEADER_LENGTH = 12;
/** Smallest possible header: flags, Tunnel ID, Session ID. */
export const MIN_HEADER_LENGTH = 6;

export interface L2tpHeader {
  isControl: boolean;
  hasLength: boolean;
  hasSequence: boolean;
  hasOffset: boolean;
  priority: boolean;
  version: number;
  /** Total message length from the L field, or buf.length when L=0. */
  length: number;
  tunnelId: number;
  sessionId: number;
  ns: number | undefined;
  nr: number | undefined;
  /** Where the payload (AVPs or PPP frame) starts. */
  payloadOffset: number;
  /** End of the payload (exclusive), equal to `length`. */
  payloadEnd: number;
}

export type HeaderResult = { ok: true; header: L2tpHeader } | { ok: false; error: L2tpDecodeError };

/** A header with every field zero: the scratch value to hand to `decodeHeaderInto`. */
export function emptyHeader(): L2tpHeader {
  return {
    isControl: false,
    hasLength: false,
    hasSequence: false,
    hasOffset: false,
    priority: false,
    version: 0,
    length: 0,
    tunnelId: 0,
    sessionId: 0,
    ns: undefined,
    nr: undefined,
    payloadOffset: 0,
    payloadEnd: 0,
  };
}

/** Decodes the L2TP header of `buf`. Never throws. Allocates the result (see `decodeHeaderInto`). */
export function decodeHeader(buf: Uint8Array): HeaderResult {
  const header = emptyHeader();
  const error = decodeHeaderInto(buf, header);
  return error === undefined ? { ok: true, header } : { ok: false, error };
}

/**
 * Decodes the L2TP header of `buf` into `out` (a caller-owned scratch object, overwritten) and
 * returns undefined, or returns the error. Allocates nothing on success: the inbound data path
 * calls it once per datagram. On error `out` holds whatever was read so far. Never throws.
 */
export function decodeHeaderInto(buf: Uint8Array, out: L2tpHeader): L2tpDecodeError | undefined {
  const n = buf.length;
  if (n < MIN_HEADER_LENGTH) return headerError('L2TP_TRUNCATED', `datagram of ${n} bytes is shorter than an L2TP header`);
  const flags = (buf[0]! << 8) | buf[1]!;
  const version = flags & VERSION_MASK;
  if (version !== L2TP_VERSION) {
    return headerError(
      'L2TP_BAD_VERSION',
      version === L2TPV3_VERSION ? 'L2TPv3 (Ver=3) is not supported' : `unknown L2TP version ${version}`,
    );
  }
  const isControl = (flags & HeaderFlag.Type) !== 0;
  const hasLength = (flags & HeaderFlag.Length) !== 0;
  const hasSequence = (flags & HeaderFlag.Sequence) !== 0;
  const hasOffset = (flags & HeaderFlag.Offset) !== 0;
  if (isControl && (!hasLength || !hasSequence)) {
    return headerError('L2TP_BAD_CONTROL_HEADER', 'control message without the L and S bits (RFC 2661 3.1)');
  }
  const fixed = MIN_HEADER_LENGTH + (hasLength ? 2 : 0) + (hasSequence ? 4 : 0) + (hasOffset ? 2 : 0);
  if (n < fixed) return headerError('L2TP_TRUNCATED', `datagram of ${n} bytes is shorter than its ${fixed}-byte header`);
  let o = 2;
  let length = n;
  if (hasLength) {
    length = (buf[2]! << 8) | buf[3]!;
    o = 4;
  }
  out.isControl = isControl;
  out.hasLength = hasLength;
  out.hasSequence = hasSequence;
  out.hasOffset = hasOffset;
  out.priority = (flags & HeaderFlag.Priority) !== 0;
  out.version = version;
  out.tunnelId = (buf[o]! << 8) | buf[o + 1]!;
  out.sessionId = (buf[o + 2]! << 8) | buf[o + 3]!;
  o += 4;
  if (hasSequence) {
    out.ns = (buf[o]! << 8) | buf[o + 1]!;
    out.nr = (buf[o + 2]! << 8) | buf[o + 3]!;
    o += 4;
  } else {
    out.ns = undefined;
    out.nr = undefined;
  }
  if (hasLength && (length < fixed || length > n)) {
    return headerError('L2TP_BAD_LENGTH', `Length field ${length} outside ${fixed}..${n}`, idsOf(out));
  }
  if (hasOffset) {
    const offsetSize = (buf[o]! << 8) | buf[o + 1]!;
    o += 2 + offsetSize;
    if (o > length) return headerError('L2TP_BAD_LENGTH', `offset pad of ${offsetSize} bytes runs past the message`, idsOf(out));
  }
  out.length = length;
  out.payloadOffset = o;
  out.payloadEnd = length;
  return undefined;
}

function headerError(code: string, message: string, extra: Partial<L2tpDecodeError> = {}): L2tpDecodeError {
  return { code, message, action: 'ignore', ...extra };
}

/** The ids an error carries (so a control-message error can still name its tunnel). */
function idsOf(h: L2tpHeader): Partial<L2tpDecodeError> {
  return { tunnelId: h.tunnelId, sessionId: h.sessionId, ...(h.ns !== undefined ? { ns: h.ns } : {}), ...(h.nr !== undefined ? { nr: h.nr } : {}) };
}

/**
 * Whether a received datagram belongs to the control plane and must survive load shedding: an
 * L2TP control message (T=1), a data message with the P bit (RFC 2661 section 3.1: such a message
 * "should get preferential treatment in its local queuing and transmission"; LCP echoes are its
 * example), or a data message whose PPP frame is link control (LCP, authentication, NCPs, CCP)
 * rather than an IP or compressed datagram. A datagram too short to tell counts as control.
 * Allocation-free; never throws.
 */
export function isControlPlane(buf: Uint8Array): boolean {
  if (buf.length < MIN_HEADER_LENGTH) return true;
  const flags = (buf[0]! << 8) | buf[1]!;
  if ((flags & (HeaderFlag.Type | HeaderFlag.Priority)) !== 0) return true;
  let o = 2;
  if ((flags & HeaderFlag.Length) !== 0) o += 2;
  o += 4; // Tunnel ID, Session ID
  if ((flags & HeaderFlag.Sequence) !== 0) o += 4;
  if ((flags & HeaderFlag.Offset) !== 0) {
    if (o + 2 > buf.length) return true;
    o += 2 + ((buf[o]! << 8) | buf[o + 1]!);
  }
  return isPppControlFrame(buf, o);
}

export interface DataHeaderOptions {
  tunnelId: number;
  sessionId: number;
  /** Set the L bit and write the Length field. */
  length?: boolean;
  /** Set the S bit and write Ns/Nr (RFC 2661 5.4: data sequencing). */
  sequence?: { ns: number; nr: number };
  /** Set the O bit with this many bytes of zero offset pad (0 writes an Offset Size of 0). */
  offset?: number;
  /** Set the P bit. */
  priority?: boolean;
}

/** Header length `encodeDataHeader` will write for `opts`. */
export function dataHeaderLength(opts: DataHeaderOptions): number {
  return (
    MIN_HEADER_LENGTH + (opts.length ? 2 : 0) + (opts.sequence ? 4 : 0) + (opts.offset !== undefined ? 2 + opts.offset : 0)
  );
}

/**
 * Writes a data message header (T=0) into `out` at offset 0 and returns the header length; the
 * caller puts the PPP frame right after it. Throws RangeError if `out` is too small or the total
 * length does not fit the 16-bit Length field (programming errors, not wire input).
 */
export function encodeDataHeader(out: Uint8Array, opts: DataHeaderOptions, payloadLength: number): number {
  const headerLength = dataHeaderLength(opts);
  if (out.length < headerLength) throw new RangeError(`encodeDataHeader: buffer of ${out.length} < ${headerLength}`);
  const total = headerLength + payloadLength;
  if (opts.length && total > 0xffff) throw new RangeError(`encodeDataHeader: message length ${total} exceeds 65535`);
  const dv = view(out);
  let flags = L2TP_VERSION;
  if (opts.length) flags |= HeaderFlag.Length;
  if (opts.sequence) flags |= HeaderFlag.Sequence;
  if (opts.offset !== undefined) flags |= HeaderFlag.Offset;
  if (opts.priority) flags |= HeaderFlag.Priority;
  dv.setUint16(0, flags);
  let o = 2;
  if (opts.length) {
    dv.setUint16(o, total);
    o += 2;
  }
  dv.setUint16(o, opts.tunnelId & 0xffff);
  dv.setUint16(o + 2, opts.sessionId & 0xffff);
  o += 4;
  if (opts.sequence) {
    dv.setUint16(o, opts.sequence.ns & 0xffff);
    dv.setUint16(o + 2, opts.sequence.nr & 0xffff);
    o += 4;
  }
  if (opts.offset !== undefined) {
    dv.setUint16(o, opts.offset);
    o += 2;
    // RFC 2661 3.1: the offset pad's contents are undefined; zero them so no stale bytes leak.
    out.fill(0, o, o + opts.offset);
    o += opts.offset;
  }
  return o;
}

/** Convenience: a fresh buffer holding a data header followed by `payload`. */
export function encodeData(opts: DataHeaderOptions, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(dataHeaderLength(opts) + payload.length);
  const n = encodeDataHeader(out, opts, payload.length);
  out.set(payload, n);
  return out;
}
