/**
 * CHAP with MD5 (RFC 1994 section 4.1, algorithm 5 of RFC 1994 section 2).
 *
 * RFC 1994 section 4.1: "The Response Value is the one-way hash calculated over a stream of
 * octets consisting of the Identifier, followed by (concatenated with) the "secret", followed by
 * (concatenated with) the Challenge Value." The same computation checks a RADIUS CHAP-Password
 * (RFC 2865 section 5.3), where the CHAP Identifier is the attribute's first octet.
 *
 * Invariants: pure; MD5 comes from node:crypto (hashing is computation, not I/O). Inputs are not
 * modified.
 */
import { createHash } from 'node:crypto';

/** Length of an MD5 CHAP Response Value (RFC 1994 section 4.1). */
export const CHAP_MD5_RESPONSE_LENGTH = 16;

/** MD5(Identifier || secret || Challenge). `id` is the CHAP Identifier octet (0..255). */
export function chapMd5Response(id: number, secret: Uint8Array, challenge: Uint8Array): Uint8Array {
  if (!Number.isInteger(id) || id < 0 || id > 0xff) throw new RangeError('CHAP Identifier must be 0..255');
  const h = createHash('md5');
  h.update(Uint8Array.of(id));
  h.update(secret);
  h.update(challenge);
  return new Uint8Array(h.digest());
}
