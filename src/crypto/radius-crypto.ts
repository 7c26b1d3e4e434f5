/**
 * RADIUS cryptography: User-Password hiding (RFC 2865 section 5.2), the Response Authenticator
 * (RFC 2865 section 3), the Accounting-Request Authenticator (RFC 2866 section 3),
 * Message-Authenticator (RFC 3579 section 3.2, RFC 2869 section 5.14), and the salted encryption
 * shared by MS-MPPE-Send-Key / MS-MPPE-Recv-Key (RFC 2548 sections 2.4.2, 2.4.3) and
 * Tunnel-Password (RFC 2868 section 3.5).
 *
 * All functions work on raw packet octets, so they sit below the RADIUS codec in src/wire:
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |     Code      |  Identifier   |            Length             |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                         Authenticator (16 octets)             |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Attributes ... (Type, Length, Value)
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-
 *
 * Call order when building a response (RFC 3579 section 3.2): put the Request Authenticator in
 * the header and a zeroed Message-Authenticator attribute in the list, `signMessageAuthenticator`,
 * then compute the Response Authenticator over the result (`signResponseAuthenticator`), since
 * the Response Authenticator covers the Message-Authenticator value. When checking a response,
 * verify the Response Authenticator first, then the Message-Authenticator with the request's
 * authenticator substituted.
 *
 * Invariants: pure (MD5 and HMAC-MD5 from node:crypto); functions named `sign*` write into the
 * packet passed in and say so; every other function leaves its inputs untouched. Functions that
 * read values from the wire (`unhide*`, `decrypt*`, `verify*`) never throw on bad octets: they
 * return a CryptoResult or `false`. Building functions throw RangeError on impossible arguments
 * (our own bug, not the peer's).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

import type { Random } from '../core/random.js';
import { cryptoError, cryptoOk, type CryptoResult } from './result.js';

export const RADIUS_HEADER_LENGTH = 20;
export const RADIUS_AUTHENTICATOR_OFFSET = 4;
export const RADIUS_AUTHENTICATOR_LENGTH = 16;
/** RFC 3579 section 3.2: attribute type 80, length 18. */
export const ATTRIBUTE_MESSAGE_AUTHENTICATOR = 80;
const MESSAGE_AUTHENTICATOR_ATTRIBUTE_LENGTH = 18;
/** RFC 2865 section 5.2: "The password MUST NOT be longer than 128 characters" (after padding). */
export const USER_PASSWORD_MAX_LENGTH = 128;
const BLOCK = 16;
export const SALT_LENGTH = 2;

function md5(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

function checkLength(name: string, b: Uint8Array, n: number): void {
  if (b.length !== n) throw new RangeError(`${name} must be ${n} octets, got ${b.length}`);
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The RFC 2865 5.2 / RFC 2548 2.4.2 chain: c(1) = p(1) xor MD5(S + iv), c(i) = p(i) xor
 * MD5(S + c(i-1)). `iv` is the Request Authenticator (User-Password) or Request Authenticator +
 * Salt (MPPE keys, Tunnel-Password). `plain.length` is a multiple of 16.
 */
function chainEncrypt(plain: Uint8Array, secret: Uint8Array, iv: Uint8Array): Uint8Array {
  const out = new Uint8Array(plain.length);
  let prev = iv;
  for (let off = 0; off < plain.length; off += BLOCK) {
    const b = md5(secret, prev);
    for (let k = 0; k < BLOCK; k++) out[off + k] = plain[off + k]! ^ b[k]!;
    prev = out.subarray(off, off + BLOCK);
  }
  return out;
}

/** Inverse of `chainEncrypt`: the key stream uses the previous CIPHERTEXT block. */
function chainDecrypt(cipher: Uint8Array, secret: Uint8Array, iv: Uint8Array): Uint8Array {
  const out = new Uint8Array(cipher.length);
  let prev = iv;
  for (let off = 0; off < cipher.length; off += BLOCK) {
    const b = md5(secret, prev);
    for (let k = 0; k < BLOCK; k++) out[off + k] = cipher[off + k]! ^ b[k]!;
    prev = cipher.subarray(off, off + BLOCK);
  }
  return out;
}

function padTo16(data: Uint8Array, minLength: number): Uint8Array {
  const n = Math.max(minLength, Math.ceil(data.length / BLOCK) * BLOCK);
  const out = new Uint8Array(n);
  out.set(data);
  return out;
}

// ---------------------------------------------------------------------------------------------
// User-Password (RFC 2865 section 5.2)

/**
 * Hides a User-Password: pad with NULs to a multiple of 16 (at least 16), then the MD5 chain
 * keyed by the shared secret and the Request Authenticator. Passwords over 128 octets are refused.
 */
export function hideUserPassword(
  password: Uint8Array,
  secret: Uint8Array,
  requestAuthenticator16: Uint8Array,
): Uint8Array {
  checkLength('Request Authenticator', requestAuthenticator16, RADIUS_AUTHENTICATOR_LENGTH);
  if (password.length > USER_PASSWORD_MAX_LENGTH) throw new RangeError('User-Password longer than 128 octets');
  return chainEncrypt(padTo16(password, BLOCK), secret, requestAuthenticator16);
}

/**
 * Recovers a User-Password; trailing NUL padding is removed. The value must be 16..128 octets in
 * multiples of 16 (RFC 2865 5.2); anything else is CRYPTO_BAD_LENGTH. A wrong secret cannot be
 * detected here (it just yields other octets); the caller's password check catches it.
 */
export function unhideUserPassword(
  hidden: Uint8Array,
  secret: Uint8Array,
  requestAuthenticator16: Uint8Array,
): CryptoResult<Uint8Array> {
  if (requestAuthenticator16.length !== RADIUS_AUTHENTICATOR_LENGTH) {
    return cryptoError('CRYPTO_BAD_LENGTH', 'Request Authenticator is not 16 octets');
  }
  if (hidden.length < BLOCK || hidden.length > USER_PASSWORD_MAX_LENGTH || hidden.length % BLOCK !== 0) {
    return cryptoError('CRYPTO_BAD_LENGTH', `User-Password length ${hidden.length} is not 16..128 by 16`);
  }
  const plain = chainDecrypt(hidden, secret, requestAuthenticator16);
  let end = plain.length;
  while (end > 0 && plain[end - 1] === 0) end--;
  return cryptoOk(plain.slice(0, end));
}

// ---------------------------------------------------------------------------------------------
// Packet authenticators

function packetLengthError(packet: Uint8Array): string | undefined {
  if (packet.length < RADIUS_HEADER_LENGTH) return 'packet shorter than the 20-octet header';
  const declared = (packet[2]! << 8) | packet[3]!;
  if (declared < RADIUS_HEADER_LENGTH || declared > packet.length) return `Length field ${declared} is invalid`;
  return undefined;
}

/** The octets the Length field covers (RFC 2865 section 3: octets beyond it are padding). */
function declaredPacket(packet: Uint8Array): Uint8Array {
  return packet.subarray(0, (packet[2]! << 8) | packet[3]!);
}

/** MD5 over the packet with `authenticatorField` in the header, followed by the secret. */
function authenticatorOver(packet: Uint8Array, authenticatorField: Uint8Array, secret: Uint8Array): Uint8Array {
  const p = declaredPacket(packet);
  return md5(
    p.subarray(0, RADIUS_AUTHENTICATOR_OFFSET),
    authenticatorField,
    p.subarray(RADIUS_HEADER_LENGTH),
    secret,
  );
}

/**
 * Response Authenticator (RFC 2865 section 3; also Accounting-Response, RFC 2866 section 3):
 * MD5(Code + Identifier + Length + RequestAuth + Attributes + Secret). `packetWithRequestAuth` is
 * the response whose authenticator field still holds the Request Authenticator.
 */
export function responseAuthenticator(packetWithRequestAuth: Uint8Array, secret: Uint8Array): Uint8Array {
  const err = packetLengthError(packetWithRequestAuth);
  if (err !== undefined) throw new RangeError(err);
  return md5(declaredPacket(packetWithRequestAuth), secret);
}

/** Writes the Response Authenticator into a response that holds the Request Authenticator. */
export function signResponseAuthenticator(packetWithRequestAuth: Uint8Array, secret: Uint8Array): void {
  packetWithRequestAuth.set(responseAuthenticator(packetWithRequestAuth, secret), RADIUS_AUTHENTICATOR_OFFSET);
}

/**
 * Checks a received response against the Request Authenticator of the request we sent. Returns
 * false (never throws) on a malformed packet or a mismatch.
 */
export function verifyResponseAuthenticator(
  response: Uint8Array,
  requestAuthenticator16: Uint8Array,
  secret: Uint8Array,
): boolean {
  if (packetLengthError(response) !== undefined) return false;
  if (requestAuthenticator16.length !== RADIUS_AUTHENTICATOR_LENGTH) return false;
  const expected = authenticatorOver(response, requestAuthenticator16, secret);
  return constantTimeEqual(expected, response.subarray(4, 20));
}

/**
 * Accounting-Request Authenticator (RFC 2866 section 3): MD5(Code + Identifier + Length + 16 zero
 * octets + Attributes + Secret). The packet's own authenticator field is ignored (treated as zero).
 */
export function accountingRequestAuthenticator(packet: Uint8Array, secret: Uint8Array): Uint8Array {
  const err = packetLengthError(packet);
  if (err !== undefined) throw new RangeError(err);
  return authenticatorOver(packet, new Uint8Array(RADIUS_AUTHENTICATOR_LENGTH), secret);
}

/** Writes the Accounting-Request Authenticator into the packet. */
export function signAccountingRequest(packet: Uint8Array, secret: Uint8Array): void {
  packet.set(accountingRequestAuthenticator(packet, secret), RADIUS_AUTHENTICATOR_OFFSET);
}

/** Checks a received Accounting-Request (or CoA/Disconnect-Request, RFC 5176 3.5). */
export function verifyAccountingRequest(packet: Uint8Array, secret: Uint8Array): boolean {
  if (packetLengthError(packet) !== undefined) return false;
  return constantTimeEqual(accountingRequestAuthenticator(packet, secret), packet.subarray(4, 20));
}

// ---------------------------------------------------------------------------------------------
// Message-Authenticator (RFC 3579 section 3.2, RFC 2869 section 5.14)

/** Offset of the Message-Authenticator attribute's 16-octet value, or an error. */
export function findMessageAuthenticator(packet: Uint8Array): CryptoResult<number> {
  const err = packetLengthError(packet);
  if (err !== undefined) return cryptoError('CRYPTO_BAD_PACKET', err);
  const end = (packet[2]! << 8) | packet[3]!;
  let off = RADIUS_HEADER_LENGTH;
  let found: number | undefined;
  while (off < end) {
    if (off + 2 > end) return cryptoError('CRYPTO_BAD_PACKET', 'truncated attribute header');
    const type = packet[off]!;
    const len = packet[off + 1]!;
    if (len < 2 || off + len > end) return cryptoError('CRYPTO_BAD_PACKET', `attribute at ${off} has bad length ${len}`);
    if (type === ATTRIBUTE_MESSAGE_AUTHENTICATOR) {
      if (len !== MESSAGE_AUTHENTICATOR_ATTRIBUTE_LENGTH) {
        return cryptoError('CRYPTO_BAD_PACKET', 'Message-Authenticator length is not 18');
      }
      // RFC 3579 3.2 table: at most one Message-Authenticator ("0-1") per packet.
      if (found !== undefined) return cryptoError('CRYPTO_BAD_PACKET', 'more than one Message-Authenticator');
      found = off + 2;
    }
    off += len;
  }
  if (found === undefined) return cryptoError('CRYPTO_MISSING_ATTRIBUTE', 'no Message-Authenticator attribute');
  return cryptoOk(found);
}

/**
 * Computes Message-Authenticator = HMAC-MD5(secret, packet) with the attribute's value taken as
 * 16 zero octets. For Access-Accept/Reject/Challenge, pass the Request Authenticator of the
 * Access-Request: RFC 3579 3.2 computes the response's HMAC with it in the header.
 */
export function messageAuthenticator(
  packet: Uint8Array,
  secret: Uint8Array,
  requestAuthenticator16?: Uint8Array,
): CryptoResult<Uint8Array> {
  const at = findMessageAuthenticator(packet);
  if (!at.ok) return at;
  if (requestAuthenticator16 !== undefined && requestAuthenticator16.length !== RADIUS_AUTHENTICATOR_LENGTH) {
    return cryptoError('CRYPTO_BAD_LENGTH', 'Request Authenticator is not 16 octets');
  }
  const p = declaredPacket(packet);
  const h = createHmac('md5', secret);
  h.update(p.subarray(0, RADIUS_AUTHENTICATOR_OFFSET));
  h.update(requestAuthenticator16 ?? p.subarray(RADIUS_AUTHENTICATOR_OFFSET, RADIUS_HEADER_LENGTH));
  h.update(p.subarray(RADIUS_HEADER_LENGTH, at.value));
  h.update(new Uint8Array(RADIUS_AUTHENTICATOR_LENGTH));
  h.update(p.subarray(at.value + RADIUS_AUTHENTICATOR_LENGTH));
  return cryptoOk(new Uint8Array(h.digest()));
}

/** Computes and writes the Message-Authenticator value into `packet` (see call order above). */
export function signMessageAuthenticator(
  packet: Uint8Array,
  secret: Uint8Array,
  requestAuthenticator16?: Uint8Array,
): CryptoResult<void> {
  const mac = messageAuthenticator(packet, secret, requestAuthenticator16);
  if (!mac.ok) return mac;
  const at = findMessageAuthenticator(packet);
  if (!at.ok) return at;
  packet.set(mac.value, at.value);
  return cryptoOk(undefined);
}

/**
 * Checks the Message-Authenticator of a received packet. RFC 3579 3.2: a packet whose
 * Message-Authenticator is invalid MUST be silently discarded; this returns false for that, and
 * for a packet without the attribute or malformed (the caller decides whether it was required).
 */
export function verifyMessageAuthenticator(
  packet: Uint8Array,
  secret: Uint8Array,
  requestAuthenticator16?: Uint8Array,
): boolean {
  const at = findMessageAuthenticator(packet);
  if (!at.ok) return false;
  const mac = messageAuthenticator(packet, secret, requestAuthenticator16);
  if (!mac.ok) return false;
  return constantTimeEqual(mac.value, packet.subarray(at.value, at.value + RADIUS_AUTHENTICATOR_LENGTH));
}

// ---------------------------------------------------------------------------------------------
// Salted encryption: MS-MPPE-Send-Key / MS-MPPE-Recv-Key (RFC 2548 2.4.2/2.4.3), Tunnel-Password
// (RFC 2868 3.5). Plaintext = one length octet + data + NUL padding to a multiple of 16;
// b(1) = MD5(Secret + Request-Authenticator + Salt), then the chain as for User-Password.

function checkSalt(salt: Uint8Array): void {
  checkLength('Salt', salt, SALT_LENGTH);
  // RFC 2548 2.4.2 / RFC 2868 3.5: "The most significant bit (leftmost) of the Salt field MUST be set (1)."
  if ((salt[0]! & 0x80) === 0) throw new RangeError('Salt must have its most significant bit set');
}

/** Encrypts `data` with the salted scheme; returns Salt || encrypted string. */
export function encryptSalted(
  data: Uint8Array,
  secret: Uint8Array,
  requestAuthenticator16: Uint8Array,
  salt: Uint8Array,
): Uint8Array {
  checkLength('Request Authenticator', requestAuthenticator16, RADIUS_AUTHENTICATOR_LENGTH);
  checkSalt(salt);
  if (data.length > 0xff) throw new RangeError('salted attribute data longer than 255 octets');
  const plain = new Uint8Array(Math.ceil((data.length + 1) / BLOCK) * BLOCK);
  plain[0] = data.length;
  plain.set(data, 1);
  const iv = new Uint8Array(RADIUS_AUTHENTICATOR_LENGTH + SALT_LENGTH);
  iv.set(requestAuthenticator16);
  iv.set(salt, RADIUS_AUTHENTICATOR_LENGTH);
  const out = new Uint8Array(SALT_LENGTH + plain.length);
  out.set(salt);
  out.set(chainEncrypt(plain, secret, iv), SALT_LENGTH);
  return out;
}

/**
 * Decrypts Salt || encrypted string. The salt's high bit is not enforced on receipt (a sender
 * bug there does not weaken anything we rely on); the embedded length must fit, otherwise
 * CRYPTO_BAD_PLAINTEXT (usually a wrong shared secret or Request Authenticator).
 */
export function decryptSalted(
  value: Uint8Array,
  secret: Uint8Array,
  requestAuthenticator16: Uint8Array,
): CryptoResult<Uint8Array> {
  if (requestAuthenticator16.length !== RADIUS_AUTHENTICATOR_LENGTH) {
    return cryptoError('CRYPTO_BAD_LENGTH', 'Request Authenticator is not 16 octets');
  }
  const cipherLength = value.length - SALT_LENGTH;
  if (cipherLength < BLOCK || cipherLength % BLOCK !== 0) {
    return cryptoError('CRYPTO_BAD_LENGTH', `salted value length ${value.length} is not 2 + 16n`);
  }
  const iv = new Uint8Array(RADIUS_AUTHENTICATOR_LENGTH + SALT_LENGTH);
  iv.set(requestAuthenticator16);
  iv.set(value.subarray(0, SALT_LENGTH), RADIUS_AUTHENTICATOR_LENGTH);
  const plain = chainDecrypt(value.subarray(SALT_LENGTH), secret, iv);
  const n = plain[0]!;
  if (n + 1 > plain.length) return cryptoError('CRYPTO_BAD_PLAINTEXT', `embedded length ${n} exceeds the value`);
  return cryptoOk(plain.slice(1, 1 + n));
}

/** MS-MPPE-Send-Key / MS-MPPE-Recv-Key value (after Vendor-Id, Vendor-Type, Vendor-Length). */
export function encryptMppeKey(
  key: Uint8Array,
  secret: Uint8Array,
  requestAuthenticator16: Uint8Array,
  salt: Uint8Array,
): Uint8Array {
  return encryptSalted(key, secret, requestAuthenticator16, salt);
}

export function decryptMppeKey(
  value: Uint8Array,
  secret: Uint8Array,
  requestAuthenticator16: Uint8Array,
): CryptoResult<Uint8Array> {
  return decryptSalted(value, secret, requestAuthenticator16);
}

/** Tunnel-Password value after the Tag octet (RFC 2868 3.5): Salt || encrypted string. */
export function encryptTunnelPassword(
  password: Uint8Array,
  secret: Uint8Array,
  requestAuthenticator16: Uint8Array,
  salt: Uint8Array,
): Uint8Array {
  return encryptSalted(password, secret, requestAuthenticator16, salt);
}

export function decryptTunnelPassword(
  value: Uint8Array,
  secret: Uint8Array,
  requestAuthenticator16: Uint8Array,
): CryptoResult<Uint8Array> {
  return decryptSalted(value, secret, requestAuthenticator16);
}

/**
 * `count` distinct salts with the high bit set, from the injected Random. RFC 2548 2.4.2: "Each
 * Salt field ... MUST be unique" within an Access-Accept; e.g. Send-Key and Recv-Key need two.
 */
export function randomSalts(random: Random, count: number): Uint8Array[] {
  if (!Number.isInteger(count) || count < 0 || count > 0x8000) throw new RangeError('bad salt count');
  const seen = new Set<number>();
  const out: Uint8Array[] = [];
  // Bounded: stop after far more attempts than a working Random needs, rather than loop forever
  // on a broken one (e.g. a test double that always returns the same octets).
  for (let attempts = 0; out.length < count && attempts < 64 * count + 64; attempts++) {
    const s = random.fill(new Uint8Array(SALT_LENGTH));
    s[0] = s[0]! | 0x80;
    const v = (s[0]! << 8) | s[1]!;
    if (seen.has(v)) continue;
    seen.add(v);
    out.push(s);
  }
  if (out.length < count) throw new RangeError('Random produced too few distinct salts');
  return out;
}
