/**
 * Hidden AVP values, RFC 2661 section 4.3 ("Hiding of AVP Attribute Values").
 *
 * A hidden AVP's value is the "hidden AVP subformat": a 2-octet Original Length, the original
 * value, then optional padding (the RFC suggests padding so that the length of the value is not
 * revealed). That subformat is XORed with an MD5 keystream built from the shared tunnel secret
 * (S), the most recent Random Vector AVP (RV) and the 2-octet Attribute Type (AV):
 *
 *     b(1) = MD5(AV + S + RV)        c(1) = p(1) xor b(1)
 *     b(i) = MD5(S + c(i-1))         c(i) = p(i) xor b(i)
 *
 * where p(i) and c(i) are 16-octet chunks of the plain and hidden subformat; a short last chunk
 * is XORed with the first bytes of its b(i). Note the chaining uses the *ciphertext*, so
 * unhiding computes b(i+1) from the received bytes.
 *
 * Pure functions (MD5 from node:crypto is hashing, not I/O). Invariants: `unhideAvpValue`
 * returns undefined, never throws, when the Original Length does not fit (wrong secret or wrong
 * Random Vector give a garbage length, which is how a mismatch usually shows up).
 */
import { createHash } from 'node:crypto';
import type { Random } from '../core/random.js';

const MD5_LENGTH = 16;

function md5(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

function attributeType(avpType: number): Uint8Array {
  return Uint8Array.of((avpType >>> 8) & 0xff, avpType & 0xff);
}

/** XORs `input` with the RFC 2661 4.3 keystream. `hiding` says which side is the ciphertext. */
function applyKeystream(avpType: number, secret: Uint8Array, randomVector: Uint8Array, input: Uint8Array, hiding: boolean): Uint8Array {
  const out = new Uint8Array(input.length);
  let b = md5(attributeType(avpType), secret, randomVector);
  for (let i = 0; i < input.length; i += MD5_LENGTH) {
    const end = Math.min(i + MD5_LENGTH, input.length);
    for (let j = i; j < end; j++) out[j] = input[j]! ^ b[j - i]!;
    if (end < input.length) {
      // b(i+1) = MD5(S + c(i)): the hidden chunk is `out` when hiding, `input` when unhiding.
      const c = (hiding ? out : input).subarray(i, end);
      b = md5(secret, c);
    }
  }
  return out;
}

/**
 * Hides `value` as the AVP of type `avpType`: returns Original Length + value + padding, XORed
 * with the keystream. Padding bytes come from `random` when given, else zeros (the receiver
 * ignores them, RFC 4.3).
 */
export function hideAvpValue(
  avpType: number,
  secret: Uint8Array,
  randomVector: Uint8Array,
  value: Uint8Array,
  paddingLength = 0,
  random?: Random,
): Uint8Array {
  if (value.length > 0xffff) throw new RangeError('hideAvpValue: value longer than 65535 bytes');
  const plain = new Uint8Array(2 + value.length + paddingLength);
  plain[0] = (value.length >>> 8) & 0xff;
  plain[1] = value.length & 0xff;
  plain.set(value, 2);
  if (random && paddingLength > 0) random.fill(plain.subarray(2 + value.length));
  return applyKeystream(avpType, secret, randomVector, plain, true);
}

/**
 * Recovers the original value of a hidden AVP, dropping any padding. Returns undefined when the
 * hidden field is shorter than 2 bytes or its Original Length runs past it.
 */
export function unhideAvpValue(
  avpType: number,
  secret: Uint8Array,
  randomVector: Uint8Array,
  hidden: Uint8Array,
): Uint8Array | undefined {
  if (hidden.length < 2) return undefined;
  const plain = applyKeystream(avpType, secret, randomVector, hidden, false);
  const originalLength = (plain[0]! << 8) | plain[1]!;
  if (2 + originalLength > plain.length) return undefined;
  return plain.slice(2, 2 + originalLength);
}
