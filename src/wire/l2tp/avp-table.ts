/**
 * The AVP table of RFC 2661 section 4.4 and the per-message AVP rules of section 6, as data.
 *
 * One row per IETF AVP (Vendor ID 0): attribute type, RFC name, the key it decodes into in
 * `Avps`, the M-bit rule, whether the RFC allows hiding it (section 4.3), and a value codec with
 * its length limits. The same rows drive decoding (`message.ts`), encoding (`message.ts`),
 * validation (`MESSAGE_RULES`, `missingAvps`) and pretty-printing (`describeMessage`).
 *
 * Every AVP has this header (RFC 2661 4.1):
 *
 *      0                   1                   2                   3
 *      0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     |M|H| rsvd  |      Length       |           Vendor ID           |
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     |         Attribute Type        |        Attribute Value...
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *                         [until Length is reached]...                |
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Length limits below are for the Attribute Value only (AVP Length minus the 6-byte header).
 *
 * Receive policy (robustness, INTEROP.md): the M-bit rule and the may-be-hidden rule are what we
 * *send*; on receipt a known AVP is accepted whatever its M bit, and a hidden one is unhidden
 * even if the RFC says it MUST NOT be hidden. Only the value's shape is enforced.
 *
 * Invariants: each codec's `decode` returns undefined (never throws) when the value does not fit
 * its shape; `decode(encode(x))` equals `x` for values inside the codec's limits.
 */
import { fromUtf8, hex, utf8, view } from '../../core/bytes.js';
import { AvpType, MessageType } from './constants.js';
import type { Avps, CallErrorsValue, ControlMessage, ResultCodeValue } from './message.js';

/** What the RFC says about the M bit of an AVP: we send it that way. */
export type MandatoryRule = 'set' | 'clear';

/** The shape of an Attribute Value, named for documentation and tests. */
export type CodecKind =
  | 'u16'
  | 'u32'
  | 'u64-bytes'
  | 'string'
  | 'bytes'
  | 'result-code'
  | 'protocol-version'
  | 'q931'
  | 'call-errors'
  | 'accm'
  | 'bit-flags'
  | 'proxy-authen-id'
  | 'empty';

export interface ValueCodec<T> {
  readonly kind: CodecKind;
  readonly minLength: number;
  readonly maxLength: number;
  decode(value: Uint8Array): T | undefined;
  // Method syntax on purpose: rows of different value types share the `AvpDef` shape.
  encode(v: T): Uint8Array;
  format(v: T): string;
}

/** The largest Attribute Value: the 10-bit AVP Length minus the 6-byte AVP header. */
export const MAX_AVP_VALUE_LENGTH = 1023 - 6;
export const AVP_HEADER_LENGTH = 6;

// Value codecs -----------------------------------------------------------------------------

const u16: ValueCodec<number> = {
  kind: 'u16',
  minLength: 2,
  maxLength: 2,
  decode: (v) => (v.length === 2 ? (v[0]! << 8) | v[1]! : undefined),
  encode: (n) => Uint8Array.of((n >>> 8) & 0xff, n & 0xff),
  format: (n) => String(n),
};

function u32Of(kind: 'u32' | 'bit-flags'): ValueCodec<number> {
  return {
    kind,
    minLength: 4,
    maxLength: 4,
    decode: (v) => (v.length === 4 ? view(v).getUint32(0) : undefined),
    encode: (n) => {
      const out = new Uint8Array(4);
      view(out).setUint32(0, n >>> 0);
      return out;
    },
    format: (n) => (kind === 'bit-flags' ? `0x${n.toString(16)}` : String(n)),
  };
}
const u32 = u32Of('u32');
const flags = u32Of('bit-flags');

function bytes(minLength: number, maxLength = MAX_AVP_VALUE_LENGTH, kind: 'bytes' | 'u64-bytes' = 'bytes'): ValueCodec<Uint8Array> {
  return {
    kind,
    minLength,
    maxLength,
    decode: (v) => (v.length >= minLength && v.length <= maxLength ? v.slice() : undefined),
    encode: (b) => b,
    format: (b) => hex(b),
  };
}

function text(minLength: number): ValueCodec<string> {
  return {
    kind: 'string',
    minLength,
    maxLength: MAX_AVP_VALUE_LENGTH,
    decode: (v) => (v.length >= minLength ? fromUtf8(v) : undefined),
    encode: (s) => utf8(s),
    format: (s) => JSON.stringify(s),
  };
}

/** Drops trailing NUL bytes: some stacks send C strings (SoftEther pads its Error Message). */
function trimNul(v: Uint8Array): Uint8Array {
  let end = v.length;
  while (end > 0 && v[end - 1] === 0) end--;
  return v.subarray(0, end);
}

/**
 * A 16-bit code that arrived byte-swapped: "Apple has sent a byte-swapped result code"
 * (INTEROP.md), and SoftEther's StopCCN carries Error Code 0x0600. Every defined Result and
 * Error Code is below 256, so a value with an empty low byte and a non-empty high byte can only
 * be a swapped small code.
 */
function unswap(code: number): number {
  return code > 0xff && (code & 0xff) === 0 ? code >>> 8 : code;
}

/**
 * Result Code (RFC 2661 4.4.2): Result Code (2), optional Error Code (2), optional Error Message.
 * "Error Code ... present if the Length is 10 or greater" (the RFC's AVP Length), so RouterOS
 * 6.33 and Android's 8-byte AVPs decode without an error code. A stray single byte after the
 * Result Code is tolerated and dropped.
 */
const resultCode: ValueCodec<ResultCodeValue> = {
  kind: 'result-code',
  minLength: 2,
  maxLength: MAX_AVP_VALUE_LENGTH,
  decode: (v) => {
    if (v.length < 2) return undefined;
    const result = unswap((v[0]! << 8) | v[1]!);
    if (v.length < 4) return { result };
    const error = unswap((v[2]! << 8) | v[3]!);
    const msg = trimNul(v.subarray(4));
    return msg.length > 0 ? { result, error, message: fromUtf8(msg) } : { result, error };
  },
  encode: (r) => {
    const message = r.message !== undefined && r.message.length > 0 ? utf8(r.message) : undefined;
    // The Error Message can only follow an Error Code; "no general error" fills the gap.
    const error = r.error ?? (message ? 0 : undefined);
    const out = new Uint8Array(2 + (error !== undefined ? 2 : 0) + (message?.length ?? 0));
    const dv = view(out);
    dv.setUint16(0, r.result);
    if (error !== undefined) dv.setUint16(2, error);
    if (message) out.set(message, 4);
    return out;
  },
  format: (r) => `${r.result}${r.error !== undefined ? `/${r.error}` : ''}${r.message !== undefined ? ` ${JSON.stringify(r.message)}` : ''}`,
};

/** Protocol Version (RFC 2661 4.4.3): Ver (1 octet), Rev (1 octet). */
const protocolVersion: ValueCodec<{ version: number; revision: number }> = {
  kind: 'protocol-version',
  minLength: 2,
  maxLength: 2,
  decode: (v) => (v.length === 2 ? { version: v[0]!, revision: v[1]! } : undefined),
  encode: (p) => Uint8Array.of(p.version & 0xff, p.revision & 0xff),
  format: (p) => `${p.version}.${p.revision}`,
};

/** Q.931 Cause Code (RFC 2661 4.4.10): Cause Code (2), Cause Msg (1), Advisory Msg (rest). */
const q931: ValueCodec<{ cause: number; msg: number; advisory?: string }> = {
  kind: 'q931',
  minLength: 3,
  maxLength: MAX_AVP_VALUE_LENGTH,
  decode: (v) => {
    if (v.length < 3) return undefined;
    const cause = (v[0]! << 8) | v[1]!;
    const msg = v[2]!;
    return v.length > 3 ? { cause, msg, advisory: fromUtf8(v.subarray(3)) } : { cause, msg };
  },
  encode: (q) => {
    const advisory = q.advisory !== undefined ? utf8(q.advisory) : new Uint8Array(0);
    const out = new Uint8Array(3 + advisory.length);
    view(out).setUint16(0, q.cause);
    out[2] = q.msg & 0xff;
    out.set(advisory, 3);
    return out;
  },
  format: (q) => `${q.cause}/${q.msg}${q.advisory !== undefined ? ` ${JSON.stringify(q.advisory)}` : ''}`,
};

const CALL_ERROR_FIELDS = ['crcErrors', 'framingErrors', 'hardwareOverruns', 'bufferOverruns', 'timeoutErrors', 'alignmentErrors'] as const;

/** Call Errors (RFC 2661 4.4.9): Reserved (2), then six 32-bit counters. */
const callErrors: ValueCodec<CallErrorsValue> = {
  kind: 'call-errors',
  minLength: 26,
  maxLength: 26,
  decode: (v) => {
    if (v.length !== 26) return undefined;
    const dv = view(v);
    return {
      crcErrors: dv.getUint32(2),
      framingErrors: dv.getUint32(6),
      hardwareOverruns: dv.getUint32(10),
      bufferOverruns: dv.getUint32(14),
      timeoutErrors: dv.getUint32(18),
      alignmentErrors: dv.getUint32(22),
    };
  },
  encode: (c) => {
    const out = new Uint8Array(26);
    const dv = view(out);
    CALL_ERROR_FIELDS.forEach((f, i) => dv.setUint32(2 + 4 * i, c[f] >>> 0));
    return out;
  },
  format: (c) => CALL_ERROR_FIELDS.map((f) => `${f}:${c[f]}`).join(','),
};

/** ACCM (RFC 2661 4.4.9): Reserved (2), Send ACCM (4), Receive ACCM (4). */
const accm: ValueCodec<{ send: number; receive: number }> = {
  kind: 'accm',
  minLength: 10,
  maxLength: 10,
  decode: (v) => (v.length === 10 ? { send: view(v).getUint32(2), receive: view(v).getUint32(6) } : undefined),
  encode: (a) => {
    const out = new Uint8Array(10);
    view(out).setUint32(2, a.send >>> 0);
    view(out).setUint32(6, a.receive >>> 0);
    return out;
  },
  format: (a) => `send:0x${a.send.toString(16)},receive:0x${a.receive.toString(16)}`,
};

/** Proxy Authen ID (RFC 2661 4.4.5): Reserved (1), ID (1). */
const proxyAuthenId: ValueCodec<number> = {
  kind: 'proxy-authen-id',
  minLength: 2,
  maxLength: 2,
  decode: (v) => (v.length === 2 ? v[1]! : undefined),
  encode: (id) => Uint8Array.of(0, id & 0xff),
  format: (id) => String(id),
};

/** Sequencing Required (RFC 2661 4.4.6): presence is the value; Attribute Value is empty. */
const presence: ValueCodec<boolean> = {
  kind: 'empty',
  minLength: 0,
  maxLength: 0,
  decode: (v) => (v.length === 0 ? true : undefined),
  encode: () => new Uint8Array(0),
  format: () => 'yes',
};

// Rows ---------------------------------------------------------------------------------------

/** One AVP, with its value codec already bound to its `Avps` field. */
export interface AvpDef {
  readonly type: AvpType;
  /** The RFC's name, e.g. "Assigned Tunnel ID". */
  readonly name: string;
  /** Kebab-case label used by `describeMessage`, e.g. "assigned-tunnel-id". */
  readonly label: string;
  /** Field of `Avps`; undefined only for Message Type, which lives in `ControlMessage.type`. */
  readonly key: keyof Avps | undefined;
  readonly mandatory: MandatoryRule;
  /** RFC 2661 4.4: "This AVP MAY be hidden" (true) or "MUST NOT be hidden" (false). */
  readonly mayBeHidden: boolean;
  readonly kind: CodecKind;
  readonly minLength: number;
  readonly maxLength: number;
  /** Decodes `value` into `avps[key]`; false if the value does not fit the codec. */
  decodeInto(value: Uint8Array, avps: Avps): boolean;
  /** The Attribute Value for `avps[key]`, or undefined when the field is absent. */
  encodeFrom(avps: Avps): Uint8Array | undefined;
  /** `label=value` for logs, or undefined when absent. */
  formatFrom(avps: Avps): string | undefined;
}

interface RowSpec<K extends keyof Avps> {
  type: AvpType;
  name: string;
  key: K;
  mandatory: MandatoryRule;
  mayBeHidden: boolean;
  codec: ValueCodec<NonNullable<Avps[K]>>;
}

function labelOf(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

/** Binds a codec to an `Avps` field; generic so the field and value types stay linked. */
function row<K extends keyof Avps>(s: RowSpec<K>): AvpDef {
  const label = labelOf(s.name);
  return {
    type: s.type,
    name: s.name,
    label,
    key: s.key,
    mandatory: s.mandatory,
    mayBeHidden: s.mayBeHidden,
    kind: s.codec.kind,
    minLength: s.codec.minLength,
    maxLength: s.codec.maxLength,
    decodeInto(value, avps) {
      const v = s.codec.decode(value);
      if (v === undefined) return false;
      avps[s.key] = v;
      return true;
    },
    encodeFrom(avps) {
      const v = avps[s.key];
      // `sequencingRequired: false` means the AVP is absent: its presence is its value.
      return v === undefined || v === null || v === false ? undefined : s.codec.encode(v);
    },
    formatFrom(avps) {
      const v = avps[s.key];
      return v === undefined || v === null || v === false ? undefined : `${label}=${s.codec.format(v)}`;
    },
  };
}

/** Message Type (RFC 2661 4.4.1): decoded specially into `ControlMessage.type`. */
const messageTypeRow: AvpDef = {
  type: AvpType.MessageType,
  name: 'Message Type',
  label: 'message-type',
  key: undefined,
  mandatory: 'set',
  mayBeHidden: false,
  kind: 'u16',
  minLength: 2,
  maxLength: 2,
  decodeInto: () => true,
  encodeFrom: () => undefined,
  formatFrom: () => undefined,
};

const S = 'set';
const C = 'clear';

/**
 * RFC 2661 section 4.4, in attribute-type order. The M/H columns transcribe each AVP's
 * "The M bit for this AVP MUST be set to ..." and "This AVP MAY / MUST NOT be hidden" sentences.
 */
export const AVP_TABLE: readonly AvpDef[] = [
  messageTypeRow,
  row({ type: AvpType.ResultCode, name: 'Result Code', key: 'resultCode', mandatory: S, mayBeHidden: false, codec: resultCode }),
  row({ type: AvpType.ProtocolVersion, name: 'Protocol Version', key: 'protocolVersion', mandatory: S, mayBeHidden: false, codec: protocolVersion }),
  row({ type: AvpType.FramingCapabilities, name: 'Framing Capabilities', key: 'framingCapabilities', mandatory: S, mayBeHidden: true, codec: flags }),
  row({ type: AvpType.BearerCapabilities, name: 'Bearer Capabilities', key: 'bearerCapabilities', mandatory: S, mayBeHidden: true, codec: flags }),
  row({ type: AvpType.TieBreaker, name: 'Tie Breaker', key: 'tieBreaker', mandatory: C, mayBeHidden: false, codec: bytes(8, 8, 'u64-bytes') }),
  row({ type: AvpType.FirmwareRevision, name: 'Firmware Revision', key: 'firmwareRevision', mandatory: C, mayBeHidden: true, codec: u16 }),
  row({ type: AvpType.HostName, name: 'Host Name', key: 'hostName', mandatory: S, mayBeHidden: false, codec: text(1) }),
  row({ type: AvpType.VendorName, name: 'Vendor Name', key: 'vendorName', mandatory: C, mayBeHidden: true, codec: text(0) }),
  row({ type: AvpType.AssignedTunnelId, name: 'Assigned Tunnel ID', key: 'assignedTunnelId', mandatory: S, mayBeHidden: true, codec: u16 }),
  row({ type: AvpType.ReceiveWindowSize, name: 'Receive Window Size', key: 'receiveWindowSize', mandatory: S, mayBeHidden: false, codec: u16 }),
  row({ type: AvpType.Challenge, name: 'Challenge', key: 'challenge', mandatory: S, mayBeHidden: false, codec: bytes(1) }),
  row({ type: AvpType.Q931CauseCode, name: 'Q.931 Cause Code', key: 'q931CauseCode', mandatory: S, mayBeHidden: false, codec: q931 }),
  row({ type: AvpType.ChallengeResponse, name: 'Challenge Response', key: 'challengeResponse', mandatory: S, mayBeHidden: true, codec: bytes(16, 16) }),
  row({ type: AvpType.AssignedSessionId, name: 'Assigned Session ID', key: 'assignedSessionId', mandatory: S, mayBeHidden: true, codec: u16 }),
  row({ type: AvpType.CallSerialNumber, name: 'Call Serial Number', key: 'callSerialNumber', mandatory: S, mayBeHidden: true, codec: u32 }),
  row({ type: AvpType.MinimumBps, name: 'Minimum BPS', key: 'minimumBps', mandatory: S, mayBeHidden: true, codec: u32 }),
  row({ type: AvpType.MaximumBps, name: 'Maximum BPS', key: 'maximumBps', mandatory: S, mayBeHidden: true, codec: u32 }),
  row({ type: AvpType.BearerType, name: 'Bearer Type', key: 'bearerType', mandatory: S, mayBeHidden: true, codec: flags }),
  row({ type: AvpType.FramingType, name: 'Framing Type', key: 'framingType', mandatory: S, mayBeHidden: true, codec: flags }),
  row({ type: AvpType.CalledNumber, name: 'Called Number', key: 'calledNumber', mandatory: S, mayBeHidden: true, codec: text(0) }),
  row({ type: AvpType.CallingNumber, name: 'Calling Number', key: 'callingNumber', mandatory: S, mayBeHidden: true, codec: text(0) }),
  row({ type: AvpType.SubAddress, name: 'Sub-Address', key: 'subAddress', mandatory: S, mayBeHidden: true, codec: text(0) }),
  row({ type: AvpType.TxConnectSpeed, name: 'Tx Connect Speed', key: 'txConnectSpeed', mandatory: S, mayBeHidden: true, codec: u32 }),
  row({ type: AvpType.PhysicalChannelId, name: 'Physical Channel ID', key: 'physicalChannelId', mandatory: C, mayBeHidden: true, codec: u32 }),
  row({ type: AvpType.InitialReceivedLcpConfReq, name: 'Initial Received LCP CONFREQ', key: 'initialReceivedLcpConfReq', mandatory: C, mayBeHidden: true, codec: bytes(0) }),
  row({ type: AvpType.LastSentLcpConfReq, name: 'Last Sent LCP CONFREQ', key: 'lastSentLcpConfReq', mandatory: C, mayBeHidden: true, codec: bytes(0) }),
  row({ type: AvpType.LastReceivedLcpConfReq, name: 'Last Received LCP CONFREQ', key: 'lastReceivedLcpConfReq', mandatory: C, mayBeHidden: true, codec: bytes(0) }),
  row({ type: AvpType.ProxyAuthenType, name: 'Proxy Authen Type', key: 'proxyAuthenType', mandatory: C, mayBeHidden: true, codec: u16 }),
  row({ type: AvpType.ProxyAuthenName, name: 'Proxy Authen Name', key: 'proxyAuthenName', mandatory: C, mayBeHidden: true, codec: text(0) }),
  row({ type: AvpType.ProxyAuthenChallenge, name: 'Proxy Authen Challenge', key: 'proxyAuthenChallenge', mandatory: C, mayBeHidden: true, codec: bytes(0) }),
  row({ type: AvpType.ProxyAuthenId, name: 'Proxy Authen ID', key: 'proxyAuthenId', mandatory: C, mayBeHidden: true, codec: proxyAuthenId }),
  row({ type: AvpType.ProxyAuthenResponse, name: 'Proxy Authen Response', key: 'proxyAuthenResponse', mandatory: C, mayBeHidden: true, codec: bytes(0) }),
  row({ type: AvpType.CallErrors, name: 'Call Errors', key: 'callErrors', mandatory: S, mayBeHidden: true, codec: callErrors }),
  row({ type: AvpType.Accm, name: 'ACCM', key: 'accm', mandatory: S, mayBeHidden: true, codec: accm }),
  row({ type: AvpType.RandomVector, name: 'Random Vector', key: 'randomVector', mandatory: S, mayBeHidden: false, codec: bytes(1) }),
  row({ type: AvpType.PrivateGroupId, name: 'Private Group ID', key: 'privateGroupId', mandatory: C, mayBeHidden: true, codec: bytes(0) }),
  row({ type: AvpType.RxConnectSpeed, name: 'Rx Connect Speed', key: 'rxConnectSpeed', mandatory: C, mayBeHidden: true, codec: u32 }),
  row({ type: AvpType.SequencingRequired, name: 'Sequencing Required', key: 'sequencingRequired', mandatory: S, mayBeHidden: false, codec: presence }),
];

const BY_TYPE: ReadonlyMap<number, AvpDef> = new Map(AVP_TABLE.map((d) => [d.type, d]));

/** The row for an IETF (Vendor ID 0) attribute type, or undefined if we do not know it. */
export function avpDef(type: number): AvpDef | undefined {
  return BY_TYPE.get(type);
}

// Per-message rules, RFC 2661 section 6 ---------------------------------------------------------

/**
 * Tunnel messages manage the control connection; session messages manage one call. The scope
 * decides the teardown for a bad message (RFC 2661 4.2: an unknown mandatory AVP in a session
 * message tears the session down, in a tunnel message the tunnel).
 */
export type MessageScope = 'tunnel' | 'session';

export interface MessageRule {
  readonly type: MessageType;
  readonly scope: MessageScope;
  /** AVPs the message MUST carry, Message Type included. */
  readonly required: readonly AvpType[];
  /** AVPs it MAY carry. Random Vector may precede hidden AVPs in any message (RFC 4.3). */
  readonly optional: readonly AvpType[];
}

function rule(type: MessageType, scope: MessageScope, required: AvpType[], optional: AvpType[] = []): MessageRule {
  return { type, scope, required: [AvpType.MessageType, ...required], optional: [...optional, AvpType.RandomVector] };
}

const A = AvpType;
/** RFC 2661 sections 6.1 to 6.14. */
export const MESSAGE_RULES: Readonly<Record<MessageType, MessageRule>> = {
  [MessageType.SCCRQ]: rule(
    MessageType.SCCRQ,
    'tunnel',
    [A.ProtocolVersion, A.HostName, A.FramingCapabilities, A.AssignedTunnelId],
    [A.BearerCapabilities, A.ReceiveWindowSize, A.Challenge, A.TieBreaker, A.FirmwareRevision, A.VendorName],
  ),
  [MessageType.SCCRP]: rule(
    MessageType.SCCRP,
    'tunnel',
    [A.ProtocolVersion, A.FramingCapabilities, A.HostName, A.AssignedTunnelId],
    [A.BearerCapabilities, A.FirmwareRevision, A.VendorName, A.ReceiveWindowSize, A.Challenge, A.ChallengeResponse],
  ),
  [MessageType.SCCCN]: rule(MessageType.SCCCN, 'tunnel', [], [A.ChallengeResponse]),
  [MessageType.StopCCN]: rule(MessageType.StopCCN, 'tunnel', [A.AssignedTunnelId, A.ResultCode]),
  [MessageType.HELLO]: rule(MessageType.HELLO, 'tunnel', []),
  [MessageType.ICRQ]: rule(
    MessageType.ICRQ,
    'session',
    [A.AssignedSessionId, A.CallSerialNumber],
    [A.BearerType, A.PhysicalChannelId, A.CallingNumber, A.CalledNumber, A.SubAddress],
  ),
  [MessageType.ICRP]: rule(MessageType.ICRP, 'session', [A.AssignedSessionId]),
  [MessageType.ICCN]: rule(
    MessageType.ICCN,
    'session',
    [A.TxConnectSpeed, A.FramingType],
    [
      A.InitialReceivedLcpConfReq,
      A.LastSentLcpConfReq,
      A.LastReceivedLcpConfReq,
      A.ProxyAuthenType,
      A.ProxyAuthenName,
      A.ProxyAuthenChallenge,
      A.ProxyAuthenId,
      A.ProxyAuthenResponse,
      A.PrivateGroupId,
      A.RxConnectSpeed,
      A.SequencingRequired,
    ],
  ),
  [MessageType.OCRQ]: rule(
    MessageType.OCRQ,
    'session',
    [A.AssignedSessionId, A.CallSerialNumber, A.MinimumBps, A.MaximumBps, A.BearerType, A.FramingType, A.CalledNumber],
    [A.SubAddress],
  ),
  [MessageType.OCRP]: rule(MessageType.OCRP, 'session', [A.AssignedSessionId], [A.PhysicalChannelId]),
  [MessageType.OCCN]: rule(MessageType.OCCN, 'session', [A.TxConnectSpeed, A.FramingType], [A.RxConnectSpeed, A.SequencingRequired]),
  [MessageType.CDN]: rule(MessageType.CDN, 'session', [A.ResultCode, A.AssignedSessionId], [A.Q931CauseCode]),
  [MessageType.WEN]: rule(MessageType.WEN, 'session', [A.CallErrors]),
  [MessageType.SLI]: rule(MessageType.SLI, 'session', [A.Accm]),
};

/** The rule for a known message type, or undefined (reserved or unknown values). */
export function messageRule(type: number): MessageRule | undefined {
  return Object.prototype.hasOwnProperty.call(MESSAGE_RULES, type) ? MESSAGE_RULES[type as MessageType] : undefined;
}

/** Required AVPs of `type` absent from `avps` (Message Type itself is never reported). */
export function missingAvps(type: MessageType, avps: Avps): AvpType[] {
  const out: AvpType[] = [];
  for (const t of MESSAGE_RULES[type].required) {
    const def = avpDef(t);
    if (def?.key !== undefined && avps[def.key] === undefined) out.push(t);
  }
  return out;
}

/**
 * One log line: `SCCRQ tid=0 sid=0 ns=0 nr=0 protocol-version=1.0 host-name="x" ...`, AVPs in
 * table order, unknown AVPs as `avp(vendor:type)=hex`. A ZLB prints as `ZLB tid=.. ns nr`.
 */
export function describeMessage(msg: ControlMessage): string {
  const name = msg.type === undefined ? 'ZLB' : (MessageType[msg.type] ?? `type-${String(msg.type)}`);
  const parts = [`${name} tid=${msg.tunnelId} sid=${msg.sessionId} ns=${msg.ns} nr=${msg.nr}`];
  for (const def of AVP_TABLE) {
    const s = def.formatFrom(msg.avps);
    if (s !== undefined) parts.push(s);
  }
  for (const u of msg.unknown) {
    parts.push(`avp(${u.vendorId}:${u.type}${u.mandatory ? ',M' : ''}${u.hidden ? ',H' : ''})=${hex(u.value)}`);
  }
  return parts.join(' ');
}
