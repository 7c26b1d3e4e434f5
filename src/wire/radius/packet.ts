/**
 * RADIUS packet codec (RFC 2865 section 3 and 5, RFC 2866 section 3, RFC 5176 section 3), driven
 * by the dictionary in dictionary.ts.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |     Code      |  Identifier   |            Length             |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                     Authenticator (16 octets)                 |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Type  | Length |  Value ...        (attributes, RFC 2865 section 5)
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 *   Vendor-Specific (RFC 2865 5.26, with the RFC 2548 / MikroTik sub-attribute layout):
 *   |  26  | Length | Vendor-Id (4 octets) | Vendor-Type | Vendor-Length | Value ... |
 *
 * Decoding: lengths are checked once, at entry (RFC 2865 section 3: "The minimum length is 20 and
 * maximum length is 4096"; octets beyond Length are padding; a packet shorter than its Length
 * "MUST be silently discarded"), then every attribute header is checked against the declared
 * end, so nothing later can read out of bounds. `decodePacket` never throws: bad bytes give a
 * `RadiusDecodeError` with a stable code. Vendor-Specific attributes whose string parses as
 * Vendor-Type/Vendor-Length sub-attributes are split into one `RadiusAttribute` per
 * sub-attribute (with `vendor` set); other vendor strings stay as one raw attribute 26.
 *
 * Encoding: `encodePacket` writes the header and attributes exactly as given, one Vendor-Specific
 * per vendor attribute. It throws RangeError only for our own mistakes (a value too long, a
 * packet over 4096 octets). Authenticators and hidden values are NOT computed here: callers use
 * src/crypto/radius-crypto.ts in the call order documented there.
 */
import { concat, fromUtf8, utf8 } from '../../core/bytes.js';
import {
  ATTRIBUTE_VENDOR_SPECIFIC,
  attributeByCode,
  attributeByName,
  codeName,
  valueName,
  vendorName,
  type AttributeDef,
} from './dictionary.js';

export const RADIUS_MIN_LENGTH = 20;
export const RADIUS_MAX_LENGTH = 4096;
const HEADER = 20;
const AUTHENTICATOR_LENGTH = 16;
/** An attribute's Length octet counts Type and Length too: at most 253 value octets. */
export const ATTRIBUTE_MAX_VALUE = 253;
/** Vendor-Specific: 4 octets Vendor-Id + Vendor-Type + Vendor-Length before the value. */
export const VENDOR_ATTRIBUTE_MAX_VALUE = ATTRIBUTE_MAX_VALUE - 6;

export interface RadiusAttribute {
  /** Attribute type, or the Vendor-Type when `vendor` is set. */
  readonly type: number;
  /** Vendor-Id of a vendor sub-attribute; undefined for standard attributes. */
  readonly vendor?: number;
  readonly value: Uint8Array;
}

export interface RadiusPacket {
  readonly code: number;
  readonly identifier: number;
  /** 16 octets. */
  readonly authenticator: Uint8Array;
  readonly attributes: readonly RadiusAttribute[];
}

export type RadiusDecodeErrorCode =
  | 'RADIUS_TRUNCATED' // shorter than 20 octets, or shorter than its Length field
  | 'RADIUS_BAD_LENGTH' // Length field below 20 or above 4096
  | 'RADIUS_BAD_ATTRIBUTE'; // an attribute header that overruns the packet or has Length < 2

export interface RadiusDecodeError {
  readonly ok: false;
  readonly code: RadiusDecodeErrorCode;
  readonly message: string;
}

export type RadiusDecodeResult = { readonly ok: true; readonly packet: RadiusPacket } | RadiusDecodeError;

function decodeError(code: RadiusDecodeErrorCode, message: string): RadiusDecodeError {
  return { ok: false, code, message };
}

/** Decodes one datagram. Never throws. */
export function decodePacket(bytes: Uint8Array): RadiusDecodeResult {
  if (bytes.length < RADIUS_MIN_LENGTH) return decodeError('RADIUS_TRUNCATED', `${bytes.length} octets, below the 20-octet header`);
  const length = (bytes[2]! << 8) | bytes[3]!;
  if (length < RADIUS_MIN_LENGTH || length > RADIUS_MAX_LENGTH) {
    return decodeError('RADIUS_BAD_LENGTH', `Length field ${length} outside 20..4096`);
  }
  if (bytes.length < length) return decodeError('RADIUS_TRUNCATED', `Length field ${length} but ${bytes.length} octets received`);
  const attributes: RadiusAttribute[] = [];
  let off = HEADER;
  while (off < length) {
    if (off + 2 > length) return decodeError('RADIUS_BAD_ATTRIBUTE', `attribute header at ${off} overruns the packet`);
    const type = bytes[off]!;
    const alen = bytes[off + 1]!;
    if (alen < 2 || off + alen > length) return decodeError('RADIUS_BAD_ATTRIBUTE', `attribute ${type} at ${off} has bad length ${alen}`);
    const value = bytes.slice(off + 2, off + alen);
    if (type === ATTRIBUTE_VENDOR_SPECIFIC) attributes.push(...splitVendorSpecific(value));
    else attributes.push({ type, value });
    off += alen;
  }
  return {
    ok: true,
    packet: { code: bytes[0]!, identifier: bytes[1]!, authenticator: bytes.slice(4, 4 + AUTHENTICATOR_LENGTH), attributes },
  };
}

/** Splits a Vendor-Specific value into sub-attributes, or keeps it raw when it does not parse. */
function splitVendorSpecific(value: Uint8Array): RadiusAttribute[] {
  const raw: RadiusAttribute[] = [{ type: ATTRIBUTE_VENDOR_SPECIFIC, value }];
  // RFC 2865 5.26: "The high-order octet is 0"; anything else is not a Vendor-Id we can read.
  if (value.length < 4 + 2 || value[0] !== 0) return raw;
  const vendor = ((value[1]! << 16) | (value[2]! << 8) | value[3]!) >>> 0;
  const out: RadiusAttribute[] = [];
  let off = 4;
  while (off < value.length) {
    if (off + 2 > value.length) return raw;
    const vlen = value[off + 1]!;
    if (vlen < 2 || off + vlen > value.length) return raw;
    out.push({ type: value[off]!, vendor, value: value.slice(off + 2, off + vlen) });
    off += vlen;
  }
  return out;
}

/** Encodes a packet. Throws RangeError for values or packets over the RFC limits (our bug). */
export function encodePacket(packet: RadiusPacket): Uint8Array {
  if (packet.authenticator.length !== AUTHENTICATOR_LENGTH) throw new RangeError('authenticator must be 16 octets');
  const parts: Uint8Array[] = [new Uint8Array(HEADER)];
  for (const a of packet.attributes) parts.push(encodeAttribute(a));
  const out = concat(parts);
  if (out.length > RADIUS_MAX_LENGTH) throw new RangeError(`packet of ${out.length} octets exceeds 4096`);
  out[0] = packet.code;
  out[1] = packet.identifier & 0xff;
  out[2] = out.length >> 8;
  out[3] = out.length & 0xff;
  out.set(packet.authenticator, 4);
  return out;
}

function encodeAttribute(a: RadiusAttribute): Uint8Array {
  if (a.vendor === undefined) {
    if (a.value.length > ATTRIBUTE_MAX_VALUE) throw new RangeError(`attribute ${a.type} value longer than 253 octets`);
    const out = new Uint8Array(2 + a.value.length);
    out[0] = a.type;
    out[1] = out.length;
    out.set(a.value, 2);
    return out;
  }
  if (a.value.length > VENDOR_ATTRIBUTE_MAX_VALUE) throw new RangeError(`vendor attribute ${a.vendor}/${a.type} value too long`);
  const out = new Uint8Array(8 + a.value.length);
  out[0] = ATTRIBUTE_VENDOR_SPECIFIC;
  out[1] = out.length;
  out[2] = (a.vendor >>> 24) & 0xff;
  out[3] = (a.vendor >>> 16) & 0xff;
  out[4] = (a.vendor >>> 8) & 0xff;
  out[5] = a.vendor & 0xff;
  out[6] = a.type;
  out[7] = 2 + a.value.length;
  out.set(a.value, 8);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Typed values through the dictionary

/** text -> string, ipaddr -> dotted string, integer/date -> number, everything else -> octets. */
export type RadiusValue = string | number | Uint8Array;

function parseDotted(s: string): Uint8Array | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const v = Number(m[i + 1]);
    if (v > 255) return undefined;
    out[i] = v;
  }
  return out;
}

function u32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  out[0] = (n >>> 24) & 0xff;
  out[1] = (n >>> 16) & 0xff;
  out[2] = (n >>> 8) & 0xff;
  out[3] = n & 0xff;
  return out;
}

/** Encodes a typed value for a definition. Throws RangeError on a value of the wrong kind (our bug). */
export function encodeValue(def: AttributeDef, value: RadiusValue): Uint8Array {
  switch (def.valueType) {
    case 'text':
      if (typeof value !== 'string') throw new RangeError(`${def.name} takes text`);
      return utf8(value);
    case 'integer':
    case 'date': {
      let n = value;
      if (typeof n === 'string') n = def.values?.[n] ?? Number.NaN;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0xffff_ffff) {
        throw new RangeError(`${def.name} takes a 32-bit unsigned integer`);
      }
      return u32(n);
    }
    case 'ipaddr': {
      const b = typeof value === 'string' ? parseDotted(value) : undefined;
      if (!b) throw new RangeError(`${def.name} takes a dotted IPv4 address`);
      return b;
    }
    case 'octets':
    case 'ipv6addr':
    case 'ipv6prefix':
    case 'ifid':
      if (!(value instanceof Uint8Array)) throw new RangeError(`${def.name} takes octets`);
      return value;
  }
}

/** Decodes a value for a definition; undefined when its length does not fit the type. */
export function decodeValue(def: AttributeDef, bytes: Uint8Array): RadiusValue | undefined {
  if (def.fixedLength !== undefined && bytes.length !== def.fixedLength) return undefined;
  switch (def.valueType) {
    case 'text':
      return fromUtf8(bytes);
    case 'integer':
    case 'date':
      if (bytes.length !== 4) return undefined;
      return ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
    case 'ipaddr':
      if (bytes.length !== 4) return undefined;
      return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
    default:
      return bytes;
  }
}

/** Builds an attribute from a dictionary name. Throws RangeError on an unknown name (our bug). */
export function attribute(name: string, value: RadiusValue): RadiusAttribute {
  const def = attributeByName(name);
  if (!def) throw new RangeError(`unknown RADIUS attribute ${name}`);
  const bytes = encodeValue(def, value);
  return def.vendor === undefined ? { type: def.type, value: bytes } : { type: def.type, vendor: def.vendor, value: bytes };
}

function matches(a: RadiusAttribute, def: AttributeDef): boolean {
  return a.type === def.type && a.vendor === def.vendor;
}

/** Every attribute of a name, in packet order. */
export function findAll(packet: RadiusPacket, name: string): RadiusAttribute[] {
  const def = attributeByName(name);
  if (!def) return [];
  return packet.attributes.filter((a) => matches(a, def));
}

/** The first attribute of a name. */
export function findAttribute(packet: RadiusPacket, name: string): RadiusAttribute | undefined {
  const def = attributeByName(name);
  if (!def) return undefined;
  return packet.attributes.find((a) => matches(a, def));
}

/** The first value of a name, decoded by its type (undefined when absent or malformed). */
export function getValue(packet: RadiusPacket, name: string): RadiusValue | undefined {
  const def = attributeByName(name);
  const a = findAttribute(packet, name);
  return def && a ? decodeValue(def, a.value) : undefined;
}

export function getText(packet: RadiusPacket, name: string): string | undefined {
  const v = getValue(packet, name);
  return typeof v === 'string' ? v : undefined;
}

export function getInteger(packet: RadiusPacket, name: string): number | undefined {
  const v = getValue(packet, name);
  return typeof v === 'number' ? v : undefined;
}

export function getOctets(packet: RadiusPacket, name: string): Uint8Array | undefined {
  return findAttribute(packet, name)?.value;
}

/** Every value of a name that decodes (e.g. several Framed-Route or Class attributes). */
export function getAllValues(packet: RadiusPacket, name: string): RadiusValue[] {
  const def = attributeByName(name);
  if (!def) return [];
  const out: RadiusValue[] = [];
  for (const a of findAll(packet, name)) {
    const v = decodeValue(def, a.value);
    if (v !== undefined) out.push(v);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Pretty-print (FreeRADIUS-like `Name = value` lines, for logs and test failures)

function hexOf(b: Uint8Array): string {
  let s = '0x';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

export function formatAttribute(a: RadiusAttribute): string {
  const def = attributeByCode(a.vendor, a.type);
  if (!def) {
    const name = a.vendor === undefined ? `Attr-${a.type}` : `${vendorName(a.vendor)}-Attr-${a.type}`;
    return `${name} = ${hexOf(a.value)}`;
  }
  if (def.hidden !== undefined) return `${def.name} = <hidden>`;
  const v = decodeValue(def, a.value);
  if (v === undefined) return `${def.name} = <malformed ${hexOf(a.value)}>`;
  if (typeof v === 'number') return `${def.name} = ${valueName(def, v) ?? String(v)}`;
  if (typeof v === 'string') return def.valueType === 'text' ? `${def.name} = ${JSON.stringify(v)}` : `${def.name} = ${v}`;
  return `${def.name} = ${hexOf(v)}`;
}

export function formatPacket(packet: RadiusPacket): string {
  const lines = [`${codeName(packet.code)} id=${packet.identifier}`];
  for (const a of packet.attributes) lines.push(`  ${formatAttribute(a)}`);
  return lines.join('\n');
}
