/**
 * L2TPv2 control messages (RFC 2661 sections 3.1, 3.2, 4.1 to 4.4, 6): decode the header and
 * AVP list into a `ControlMessage`, and encode an `OutgoingControl` back into bytes.
 *
 * Control message layout: a 12-byte header (T=1 L=1 S=1, see header.ts) followed by AVPs, the
 * first of which MUST be Message Type (RFC 4.1). A message with no AVPs is a ZLB ("Zero-Length
 * Body") acknowledgement, decoded with `type: undefined`.
 *
 * Decoding rules (never throws; failures return an `L2tpDecodeError` telling the engine what
 * the RFC wants done: 'ignore', 'stopccn' or 'cdn', with the Result/Error Code to send):
 * - The Vendor ID is checked BEFORE the attribute type: a vendor AVP whose type is 0..39 is not
 *   the IETF one (xl2tpd#163 mistook one for a standard AVP).
 * - An AVP with a reserved header bit set is treated as unrecognized (RFC 4.1).
 * - Unrecognized AVP with M=1: RFC 4.1 "MUST ... terminate the associated tunnel or session".
 *   Tunnel-scope message -> 'stopccn', session-scope message -> 'cdn'; Result 2 (general
 *   error), Error 8 ("unknown AVP with the M-bit set"). Without M it is kept in `unknown`.
 * - Unknown Message Type: with M=1 the tunnel "MUST be cleared" (RFC 4.4.1) -> 'stopccn'
 *   Result 2 Error 3 (field out of range); without M -> 'ignore'.
 * - Structural errors (AVP Length < 6, AVP running past the message, a first AVP that is not
 *   Message Type): when the message type is known, teardown at its scope with Result 2 Error 2
 *   ("length is wrong"); before that (we cannot tell tunnel from session) -> 'ignore'.
 * - A known AVP whose value has the wrong shape -> its scope, Result 2 Error 2.
 * - Missing required AVP (section 6) -> its scope, Result 2 Error 2. Our choice: the RFC names
 *   no code for it, and a message short of a required AVP is "the wrong length" for its type.
 * - Hidden AVP (H=1, RFC 4.3): needs the tunnel secret and a preceding Random Vector; without
 *   either -> 'L2TP_HIDDEN_NO_SECRET', and an Original Length that does not fit (wrong secret)
 *   -> 'L2TP_HIDDEN_BAD_VALUE'. Both are 'stopccn' Result 4 ("not authorized"): the peers'
 *   shared secrets disagree, which is an authorization failure of the control connection.
 *   Padding after the Original Length is ignored. Unrecognized non-mandatory hidden AVPs are
 *   kept still hidden in `unknown`.
 * - A duplicated known AVP: the first occurrence wins (a later Random Vector still re-keys the
 *   hidden AVPs after it).
 *
 * Encoding (`encodeControl`): header T=1 L=1 S=1 O=0 P=0 Ver=2, exactly 12 bytes with Ns=Nr=0;
 * the reliable-delivery channel patches Ns at bytes 8..9 and Nr at 10..11 on every
 * (re)transmission. AVPs: Message Type first, then Random Vector (when present or when hiding),
 * then the rest in attribute-type order, M bit as the table says. With `hide` and a `secret`,
 * every AVP the RFC allows to hide is hidden under that Random Vector (a fresh 16-byte one from
 * `random` unless `avps.randomVector` is given). Encoders throw RangeError only on programming
 * errors (a value too long for the 10-bit AVP Length, hiding without randomness).
 */
import { view } from '../../core/bytes.js';
import type { Random } from '../../core/random.js';
import { randomBytes } from '../../core/random.js';
import { hideAvpValue, unhideAvpValue } from '../../crypto/hidden-avp.js';
import { AVP_HEADER_LENGTH, AVP_TABLE, avpDef, messageRule, missingAvps, type MessageScope } from './avp-table.js';
import { AvpType, GeneralError, L2TP_VERSION, MessageType, StopCcnResult } from './constants.js';
import { CONTROL_HEADER_LENGTH, decodeHeader, HeaderFlag } from './header.js';

export interface ResultCodeValue {
  result: number;
  error?: number;
  message?: string;
}

export interface CallErrorsValue {
  crcErrors: number;
  framingErrors: number;
  hardwareOverruns: number;
  bufferOverruns: number;
  timeoutErrors: number;
  alignmentErrors: number;
}

/** Decoded IETF AVPs (Message Type excepted: it is `ControlMessage.type`). */
export interface Avps {
  resultCode?: ResultCodeValue;
  protocolVersion?: { version: number; revision: number };
  framingCapabilities?: number;
  bearerCapabilities?: number;
  tieBreaker?: Uint8Array;
  firmwareRevision?: number;
  hostName?: string;
  vendorName?: string;
  assignedTunnelId?: number;
  receiveWindowSize?: number;
  challenge?: Uint8Array;
  q931CauseCode?: { cause: number; msg: number; advisory?: string };
  challengeResponse?: Uint8Array;
  assignedSessionId?: number;
  callSerialNumber?: number;
  minimumBps?: number;
  maximumBps?: number;
  bearerType?: number;
  framingType?: number;
  calledNumber?: string;
  callingNumber?: string;
  subAddress?: string;
  txConnectSpeed?: number;
  physicalChannelId?: number;
  initialReceivedLcpConfReq?: Uint8Array;
  lastSentLcpConfReq?: Uint8Array;
  lastReceivedLcpConfReq?: Uint8Array;
  proxyAuthenType?: number;
  proxyAuthenName?: string;
  proxyAuthenChallenge?: Uint8Array;
  proxyAuthenId?: number;
  proxyAuthenResponse?: Uint8Array;
  callErrors?: CallErrorsValue;
  accm?: { send: number; receive: number };
  randomVector?: Uint8Array;
  privateGroupId?: Uint8Array;
  rxConnectSpeed?: number;
  sequencingRequired?: boolean;
}

export interface UnknownAvp {
  vendorId: number;
  type: number;
  mandatory: boolean;
  hidden: boolean;
  /** The Attribute Value as received (still hidden when `hidden`). */
  value: Uint8Array;
}

export interface ControlMessage {
  tunnelId: number;
  sessionId: number;
  ns: number;
  nr: number;
  /** undefined = ZLB (no AVPs). */
  type: MessageType | undefined;
  avps: Avps;
  unknown: UnknownAvp[];
}

/** Stable decode error codes. Never match on `message`. */
export type L2tpDecodeErrorCode =
  | 'L2TP_TRUNCATED'
  | 'L2TP_BAD_VERSION'
  | 'L2TP_BAD_LENGTH'
  | 'L2TP_BAD_CONTROL_HEADER'
  | 'L2TP_NOT_CONTROL'
  | 'L2TP_AVP_OVERFLOW'
  | 'L2TP_AVP_ZERO_LENGTH'
  | 'L2TP_HIDDEN_NO_SECRET'
  | 'L2TP_HIDDEN_BAD_VALUE'
  | 'L2TP_UNKNOWN_MANDATORY_AVP'
  | 'L2TP_MISSING_AVP'
  | 'L2TP_BAD_AVP_VALUE'
  | 'L2TP_FIRST_AVP_NOT_MESSAGE_TYPE'
  | 'L2TP_UNKNOWN_MESSAGE_TYPE';

export interface L2tpDecodeError {
  /** Stable code, one of `L2tpDecodeErrorCode`. */
  code: string;
  message: string;
  tunnelId?: number;
  sessionId?: number;
  ns?: number;
  nr?: number;
  messageType?: number;
  /** What the RFC says to do about it. */
  action: 'ignore' | 'stopccn' | 'cdn';
  /** Result Code to put in the StopCCN/CDN. */
  resultCode?: number;
  /** Error Code to put next to it. */
  errorCode?: number;
  /** For L2TP_UNKNOWN_MANDATORY_AVP: the offending AVP; for L2TP_MISSING_AVP: the first missing type. */
  avpType?: number;
  vendorId?: number;
  /** For session-scope errors: the peer's Assigned Session ID if it was decoded (to address the CDN). */
  assignedSessionId?: number;
}

export type ControlDecodeResult = { ok: true; message: ControlMessage } | { ok: false; error: L2tpDecodeError };

export interface DecodeOptions {
  /** Shared tunnel secret, needed for hidden AVPs (RFC 4.3). */
  secret?: Uint8Array;
}

/** Bits of the first AVP header word (RFC 4.1). */
const AvpFlag = { Mandatory: 0x8000, Hidden: 0x4000, Reserved: 0x3c00 } as const;
const AVP_LENGTH_MASK = 0x03ff;
const MAX_AVP_LENGTH = AVP_LENGTH_MASK;

function actionFor(scope: MessageScope): 'stopccn' | 'cdn' {
  return scope === 'tunnel' ? 'stopccn' : 'cdn';
}

/** Decodes one control message (or ZLB). Never throws. */
export function decodeControl(buf: Uint8Array, opts: DecodeOptions = {}): ControlDecodeResult {
  const h = decodeHeader(buf);
  if (!h.ok) return h;
  const { header } = h;
  const base = { tunnelId: header.tunnelId, sessionId: header.sessionId, ns: header.ns ?? 0, nr: header.nr ?? 0 };
  if (!header.isControl) {
    return { ok: false, error: { code: 'L2TP_NOT_CONTROL', message: 'data message given to the control decoder', action: 'ignore', ...base } };
  }
  const message: ControlMessage = { ...base, type: undefined, avps: {}, unknown: [] };
  const end = header.payloadEnd;
  if (header.payloadOffset === end) return { ok: true, message };

  const dv = view(buf);
  let scope: MessageScope | undefined;
  let type: MessageType | undefined;
  let randomVector: Uint8Array | undefined;

  const fail = (
    code: L2tpDecodeErrorCode,
    text: string,
    extra: Partial<L2tpDecodeError> & { action?: L2tpDecodeError['action'] } = {},
  ): ControlDecodeResult => {
    const teardown = scope !== undefined ? actionFor(scope) : 'ignore';
    const error: L2tpDecodeError = {
      code,
      message: text,
      ...base,
      ...(type !== undefined ? { messageType: type } : {}),
      ...(message.avps.assignedSessionId !== undefined ? { assignedSessionId: message.avps.assignedSessionId } : {}),
      action: teardown,
      ...(teardown !== 'ignore' ? { resultCode: StopCcnResult.GeneralError, errorCode: GeneralError.LengthWrong } : {}),
      ...extra,
    };
    if (error.action === 'ignore') {
      delete error.resultCode;
      delete error.errorCode;
    }
    return { ok: false, error };
  };

  let p = header.payloadOffset;
  let first = true;
  // Each iteration consumes at least AVP_HEADER_LENGTH bytes, so the loop is bounded by the length.
  while (p < end) {
    if (end - p < AVP_HEADER_LENGTH) return fail('L2TP_AVP_OVERFLOW', `${end - p} stray bytes after the last AVP`);
    const word = dv.getUint16(p);
    const length = word & AVP_LENGTH_MASK;
    const mandatory = (word & AvpFlag.Mandatory) !== 0;
    const hidden = (word & AvpFlag.Hidden) !== 0;
    const reserved = (word & AvpFlag.Reserved) !== 0;
    if (length < AVP_HEADER_LENGTH) return fail('L2TP_AVP_ZERO_LENGTH', `AVP at offset ${p} has Length ${length} < 6`);
    if (p + length > end) return fail('L2TP_AVP_OVERFLOW', `AVP at offset ${p} with Length ${length} runs past the message end ${end}`);
    const vendorId = dv.getUint16(p + 2);
    const attrType = dv.getUint16(p + 4);
    const raw = buf.subarray(p + AVP_HEADER_LENGTH, p + length);
    p += length;

    if (first) {
      first = false;
      // RFC 4.1: "The Message Type AVP ... MUST be the first AVP in a message".
      if (vendorId !== 0 || attrType !== AvpType.MessageType || hidden || reserved) {
        return fail('L2TP_FIRST_AVP_NOT_MESSAGE_TYPE', `first AVP is ${vendorId}:${attrType}, not Message Type`);
      }
      if (raw.length !== 2) return fail('L2TP_BAD_AVP_VALUE', `Message Type AVP value of ${raw.length} bytes`);
      const t = (raw[0]! << 8) | raw[1]!;
      const rule = messageRule(t);
      if (!rule) {
        // RFC 4.4.1: with M set on an unrecognized message type "the tunnel MUST be cleared";
        // without it the message MAY be ignored.
        return fail('L2TP_UNKNOWN_MESSAGE_TYPE', `unknown message type ${t}`, {
          messageType: t,
          ...(mandatory
            ? { action: 'stopccn', resultCode: StopCcnResult.GeneralError, errorCode: GeneralError.FieldOutOfRange }
            : { action: 'ignore' }),
        });
      }
      type = rule.type;
      scope = rule.scope;
      message.type = type;
      continue;
    }

    // Vendor ID first: a vendor AVP is never the IETF AVP of the same number (xl2tpd#163).
    const def = vendorId === 0 && !reserved ? avpDef(attrType) : undefined;
    if (!def || def.key === undefined) {
      if (mandatory) {
        // RFC 4.1: an unrecognized AVP with M set "MUST" terminate the tunnel or session it is for.
        return fail('L2TP_UNKNOWN_MANDATORY_AVP', `unknown mandatory AVP ${vendorId}:${attrType}`, {
          // StopCCN and CDN share Result Code 2, "general error, Error Code indicates the problem".
          resultCode: StopCcnResult.GeneralError,
          errorCode: GeneralError.UnknownMandatoryAvp,
          avpType: attrType,
          vendorId,
        });
      }
      message.unknown.push({ vendorId, type: attrType, mandatory, hidden, value: raw.slice() });
      continue;
    }

    let value: Uint8Array = raw;
    if (hidden) {
      if (!opts.secret || !randomVector) {
        return fail('L2TP_HIDDEN_NO_SECRET', `hidden ${def.name} AVP without ${opts.secret ? 'a preceding Random Vector' : 'a tunnel secret'}`, {
          action: 'stopccn',
          resultCode: StopCcnResult.NotAuthorized,
          errorCode: GeneralError.NoError,
          avpType: attrType,
        });
      }
      const plain = unhideAvpValue(attrType, opts.secret, randomVector, raw);
      if (!plain) {
        return fail('L2TP_HIDDEN_BAD_VALUE', `hidden ${def.name} AVP does not decode (tunnel secrets differ?)`, {
          action: 'stopccn',
          resultCode: StopCcnResult.NotAuthorized,
          errorCode: GeneralError.NoError,
          avpType: attrType,
        });
      }
      value = plain;
    }
    if (attrType === AvpType.RandomVector) {
      // RFC 4.3: a Random Vector applies to the hidden AVPs that follow it, up to the next one.
      if (value.length === 0) return fail('L2TP_BAD_AVP_VALUE', 'empty Random Vector', { avpType: attrType });
      randomVector = value.slice();
    }
    if (message.avps[def.key] !== undefined) continue;
    if (!def.decodeInto(value, message.avps)) {
      return fail('L2TP_BAD_AVP_VALUE', `${def.name} AVP value of ${value.length} bytes, expected ${def.minLength}..${def.maxLength}`, {
        avpType: attrType,
      });
    }
  }

  if (type === undefined) return fail('L2TP_FIRST_AVP_NOT_MESSAGE_TYPE', 'no Message Type AVP');
  const missing = missingAvps(type, message.avps);
  if (missing.length > 0) {
    const names = missing.map((t) => avpDef(t)?.name ?? String(t)).join(', ');
    return fail('L2TP_MISSING_AVP', `${MessageType[type]} lacks ${names}`, { avpType: missing[0]! });
  }
  return { ok: true, message };
}

export interface OutgoingControl {
  tunnelId: number;
  sessionId: number;
  type: MessageType;
  avps: Avps;
}

export interface EncodeOptions {
  /** Shared tunnel secret; needed with `hide`. */
  secret?: Uint8Array;
  /** Hide the AVPs the table allows to hide (RFC 4.3). Ignored without `secret`. */
  hide?: boolean;
  /** Source of the Random Vector (and hidden padding) when hiding. */
  random?: Random;
  /** Random padding bytes added to each hidden value (RFC 4.3 suggests hiding the length). Default 0. */
  hiddenPadding?: number;
}

/** Length of the Random Vector we generate: one MD5 block, as common implementations send. */
export const RANDOM_VECTOR_LENGTH = 16;

function writeAvp(out: Uint8Array, o: number, type: number, mandatory: boolean, hidden: boolean, value: Uint8Array): number {
  const length = AVP_HEADER_LENGTH + value.length;
  if (length > MAX_AVP_LENGTH) throw new RangeError(`encodeControl: AVP ${type} of ${length} bytes exceeds the 10-bit Length`);
  const dv = view(out);
  dv.setUint16(o, (mandatory ? AvpFlag.Mandatory : 0) | (hidden ? AvpFlag.Hidden : 0) | length);
  dv.setUint16(o + 2, 0);
  dv.setUint16(o + 4, type);
  out.set(value, o + AVP_HEADER_LENGTH);
  return o + length;
}

interface PendingAvp {
  type: number;
  mandatory: boolean;
  hidden: boolean;
  value: Uint8Array;
}

/**
 * Encodes a control message with Ns = Nr = 0 (the channel patches them). See the module header
 * for the AVP order and hiding.
 */
export function encodeControl(msg: OutgoingControl, opts: EncodeOptions = {}): Uint8Array {
  const hide = opts.hide === true && opts.secret !== undefined;
  let randomVector = msg.avps.randomVector;
  if (hide && randomVector === undefined) {
    if (!opts.random) throw new RangeError('encodeControl: hiding needs `random` or avps.randomVector');
    randomVector = randomBytes(opts.random, RANDOM_VECTOR_LENGTH);
  }
  const pending: PendingAvp[] = [{ type: AvpType.MessageType, mandatory: true, hidden: false, value: Uint8Array.of(msg.type >>> 8, msg.type & 0xff) }];
  // The Random Vector must precede the hidden AVPs it keys (RFC 4.3).
  if (randomVector !== undefined) pending.push({ type: AvpType.RandomVector, mandatory: true, hidden: false, value: randomVector });
  for (const def of AVP_TABLE) {
    if (def.type === AvpType.MessageType || def.type === AvpType.RandomVector) continue;
    const value = def.encodeFrom(msg.avps);
    if (value === undefined) continue;
    const hidden = hide && def.mayBeHidden && randomVector !== undefined && opts.secret !== undefined;
    pending.push({
      type: def.type,
      mandatory: def.mandatory === 'set',
      hidden,
      value: hidden ? hideAvpValue(def.type, opts.secret!, randomVector!, value, opts.hiddenPadding ?? 0, opts.random) : value,
    });
  }
  let total = CONTROL_HEADER_LENGTH;
  for (const a of pending) total += AVP_HEADER_LENGTH + a.value.length;
  if (total > 0xffff) throw new RangeError(`encodeControl: message of ${total} bytes exceeds the 16-bit Length`);
  const out = new Uint8Array(total);
  writeControlHeader(out, msg.tunnelId, msg.sessionId, 0, 0);
  let o = CONTROL_HEADER_LENGTH;
  for (const a of pending) o = writeAvp(out, o, a.type, a.mandatory, a.hidden, a.value);
  return out;
}

/** The control header flags: T=1 L=1 S=1 O=0 P=0 Ver=2 (0xC802). */
export const CONTROL_FLAGS = HeaderFlag.Type | HeaderFlag.Length | HeaderFlag.Sequence | L2TP_VERSION;
/** Byte offsets of Ns and Nr in a control message, for the channel to patch. */
export const NS_OFFSET = 8;
export const NR_OFFSET = 10;

function writeControlHeader(out: Uint8Array, tunnelId: number, sessionId: number, ns: number, nr: number): void {
  const dv = view(out);
  dv.setUint16(0, CONTROL_FLAGS);
  dv.setUint16(2, out.length);
  dv.setUint16(4, tunnelId & 0xffff);
  dv.setUint16(6, sessionId & 0xffff);
  dv.setUint16(NS_OFFSET, ns & 0xffff);
  dv.setUint16(NR_OFFSET, nr & 0xffff);
}

/** A ZLB acknowledgement (RFC 2661 5.8): a control header with no AVPs. */
export function encodeZlb(tunnelId: number, ns: number, nr: number): Uint8Array {
  const out = new Uint8Array(CONTROL_HEADER_LENGTH);
  writeControlHeader(out, tunnelId, 0, ns, nr);
  return out;
}

/** Writes Ns and Nr into an encoded control message (what the reliable channel does per send). */
export function patchSequence(msg: Uint8Array, ns: number, nr: number): void {
  const dv = view(msg);
  dv.setUint16(NS_OFFSET, ns & 0xffff);
  dv.setUint16(NR_OFFSET, nr & 0xffff);
}
