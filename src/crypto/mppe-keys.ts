/**
 * MPPE key derivation (RFC 3079) and session key changes (RFC 3078 section 7.3).
 *
 * MS-CHAPv2 (RFC 3079 section 3), the common case:
 *   masterKey = mppeGetMasterKey(PasswordHashHash, NT-Response)                      (3.4)
 *   sendStart = mppeGetAsymmetricStartKey(masterKey, len, isSend=true,  isServer)    (3.4)
 *   recvStart = mppeGetAsymmetricStartKey(masterKey, len, isSend=false, isServer)
 *   key0      = mppeInitialSessionKey(start, bits)   GetNewKeyFromSHA(start, start) + reduce
 *   keyN+1    = mppeChangeKey(start, keyN, bits)     GetNewKeyFromSHA(start, keyN), RC4 the
 *                                                     result with itself, reduce   (RFC 3078 7.3)
 * where len = 8 octets for 40- and 56-bit keys and 16 for 128-bit keys. The start keys are also
 * what RADIUS carries in MS-MPPE-Send-Key / MS-MPPE-Recv-Key (RFC 2548 2.4.2/2.4.3): the NAS
 * derives key0 from them the same way.
 *
 * MS-CHAPv1 (RFC 3079 section 2): the start key ("InitialSessionKey") is
 *   - 128-bit: GetStartKey(Challenge, NtPasswordHashHash), 16 octets (2.3, 2.4);
 *   - 40/56-bit: the first 8 octets of the LAN Manager password hash (2.1, 2.2).
 * after which key0 and the key changes use the same functions (RFC 3079 GetKey() is the same
 * computation as GetNewKeyFromSHA()). pppd and the Linux kernel instead use the first 8 octets of
 * the 128-bit start key for 40/56-bit MS-CHAPv1; `mppeStartKeyV1` offers that when no LM hash is
 * given (interop choice, documented there).
 *
 * Reduction (RFC 3079 2.1/3.1, 2.2/3.2): a 40-bit key has its first three octets set to
 * 0xD1 0x26 0x9E, a 56-bit key its first octet to 0xD1; 128-bit keys are used as they are.
 *
 * Note: the initial key is NOT passed through RC4; RFC 3079's sample derivations (3.5.1-3.5.3)
 * show key0 = reduce(GetNewKeyFromSHA(start, start)). Only later changes apply RC4 (RFC 3078 7.3).
 *
 * Invariants: pure functions (SHA-1 via node:crypto, RC4 from this folder); inputs never modified;
 * wrong fixed lengths throw RangeError (programming errors).
 */
import { createHash } from 'node:crypto';

import { rc4 } from './rc4.js';

export type MppeKeyBits = 40 | 56 | 128;
export type MppeKeyLength = 8 | 16;

/** RFC 3079 3.4 Magic1: "This is the MPPE Master Key" (27 octets). */
const MASTER_KEY_MAGIC = new TextEncoder().encode('This is the MPPE Master Key');
/** RFC 3079 3.4 Magic2 (84 octets). */
const MAGIC_CLIENT_SEND = new TextEncoder().encode(
  'On the client side, this is the send key; on the server side, it is the receive key.',
);
/** RFC 3079 3.4 Magic3 (84 octets). */
const MAGIC_CLIENT_RECEIVE = new TextEncoder().encode(
  'On the client side, this is the receive key; on the server side, it is the send key.',
);
/** RFC 3079 SHSpad1: 40 octets of 0x00. */
const SHS_PAD1 = new Uint8Array(40);
/** RFC 3079 SHSpad2: 40 octets of 0xF2. */
const SHS_PAD2 = new Uint8Array(40).fill(0xf2);

function checkLength(name: string, b: Uint8Array, n: number): void {
  if (b.length !== n) throw new RangeError(`${name} must be ${n} octets, got ${b.length}`);
}

/** Start/session key length in octets for a key strength: 8 for 40/56-bit, 16 for 128-bit. */
export function mppeKeyLength(bits: MppeKeyBits): MppeKeyLength {
  return bits === 128 ? 16 : 8;
}

/** GetMasterKey (RFC 3079 3.4): first 16 octets of SHA1(PasswordHashHash || NT-Response || Magic1). */
export function mppeGetMasterKey(passwordHashHash16: Uint8Array, ntResponse24: Uint8Array): Uint8Array {
  checkLength('PasswordHashHash', passwordHashHash16, 16);
  checkLength('NT-Response', ntResponse24, 24);
  const d = createHash('sha1').update(passwordHashHash16).update(ntResponse24).update(MASTER_KEY_MAGIC).digest();
  return new Uint8Array(d.subarray(0, 16));
}

/**
 * GetAsymmetricStartKey (RFC 3079 3.4). The client's send key is the server's receive key:
 * Magic2 is used for (send, client) and (receive, server), Magic3 for the other two.
 */
export function mppeGetAsymmetricStartKey(
  masterKey16: Uint8Array,
  keyLength: MppeKeyLength,
  isSend: boolean,
  isServer: boolean,
): Uint8Array {
  checkLength('MasterKey', masterKey16, 16);
  const magic = isSend === isServer ? MAGIC_CLIENT_RECEIVE : MAGIC_CLIENT_SEND;
  const d = createHash('sha1').update(masterKey16).update(SHS_PAD1).update(magic).update(SHS_PAD2).digest();
  return new Uint8Array(d.subarray(0, keyLength));
}

/**
 * GetNewKeyFromSHA (RFC 3079 3.4; the same computation as GetKey of 2.4): first `keyLength` octets
 * of SHA1(StartKey[..len] || SHSpad1 || SessionKey[..len] || SHSpad2).
 */
export function mppeGetNewKeyFromSha(
  startKey: Uint8Array,
  sessionKey: Uint8Array,
  keyLength: MppeKeyLength,
): Uint8Array {
  if (startKey.length < keyLength || sessionKey.length < keyLength) {
    throw new RangeError(`start and session keys must have at least ${keyLength} octets`);
  }
  const d = createHash('sha1')
    .update(startKey.subarray(0, keyLength))
    .update(SHS_PAD1)
    .update(sessionKey.subarray(0, keyLength))
    .update(SHS_PAD2)
    .digest();
  return new Uint8Array(d.subarray(0, keyLength));
}

/**
 * Reduces a key to its effective strength (RFC 3079 2.1/2.2, 3.1/3.2): 40-bit keys get
 * 0xD1 0x26 0x9E in their first three octets, 56-bit keys 0xD1 in the first. Returns a copy.
 */
export function mppeReduceKey(key: Uint8Array, bits: MppeKeyBits): Uint8Array {
  checkLength('session key', key, mppeKeyLength(bits));
  const out = key.slice();
  if (bits === 40) {
    out[0] = 0xd1;
    out[1] = 0x26;
    out[2] = 0x9e;
  } else if (bits === 56) {
    out[0] = 0xd1;
  }
  return out;
}

/** The first session key from a start key: reduce(GetNewKeyFromSHA(start, start)) (RFC 3079 3.5). */
export function mppeInitialSessionKey(startKey: Uint8Array, bits: MppeKeyBits): Uint8Array {
  const len = mppeKeyLength(bits);
  return mppeReduceKey(mppeGetNewKeyFromSha(startKey, startKey, len), bits);
}

/**
 * A key change (RFC 3078 section 7.3): InterimKey = GetNewKeyFromSHA(StartKey, CurrentSessionKey);
 * the new key is InterimKey encrypted with RC4 keyed by InterimKey itself, then reduced.
 * `currentSessionKey` is the key in use (already reduced), as the RFC 3078 pseudocode keeps it.
 */
export function mppeChangeKey(
  startKey: Uint8Array,
  currentSessionKey: Uint8Array,
  bits: MppeKeyBits,
): Uint8Array {
  const len = mppeKeyLength(bits);
  const interim = mppeGetNewKeyFromSha(startKey, currentSessionKey, len);
  return mppeReduceKey(rc4(interim, interim), bits);
}

/** GetStartKey (RFC 3079 2.4): first 16 octets of SHA1(NtPasswordHashHash x2 || Challenge). */
export function mppeGetStartKeyV1(challenge8: Uint8Array, passwordHashHash16: Uint8Array): Uint8Array {
  checkLength('Challenge', challenge8, 8);
  checkLength('NtPasswordHashHash', passwordHashHash16, 16);
  const d = createHash('sha1')
    .update(passwordHashHash16)
    .update(passwordHashHash16)
    .update(challenge8)
    .digest();
  return new Uint8Array(d.subarray(0, 16));
}

export interface MppeV1Credentials {
  /** NtPasswordHashHash: MD4(MD4(unicode password)); RADIUS: MS-CHAP-MPPE-Keys NT-Key. */
  readonly passwordHashHash: Uint8Array;
  /** The 8-octet MS-CHAPv1 challenge the authenticator sent. */
  readonly challenge: Uint8Array;
  /**
   * LAN Manager password hash (16 octets; only the first 8 are used), or its 8-octet LM-Key from
   * RADIUS MS-CHAP-MPPE-Keys. When absent, 40/56-bit keys use the first 8 octets of the 128-bit
   * start key, as pppd and the Linux kernel do.
   */
  readonly lmPasswordHash?: Uint8Array;
}

/**
 * The MS-CHAPv1 start key ("InitialSessionKey", RFC 3079 sections 2.1-2.3) for a key strength;
 * both directions use the same key in MS-CHAPv1. Feed it to `mppeInitialSessionKey`.
 */
export function mppeStartKeyV1(bits: MppeKeyBits, creds: MppeV1Credentials): Uint8Array {
  if (bits !== 128 && creds.lmPasswordHash !== undefined) {
    if (creds.lmPasswordHash.length < 8) throw new RangeError('LM password hash must have at least 8 octets');
    return creds.lmPasswordHash.slice(0, 8);
  }
  const start = mppeGetStartKeyV1(creds.challenge, creds.passwordHashHash);
  return bits === 128 ? start : start.slice(0, 8);
}

/** Both directions' start keys for MS-CHAPv2, from the point of view of one side. */
export interface MppeStartKeys {
  readonly sendStartKey: Uint8Array;
  readonly receiveStartKey: Uint8Array;
}

/** RFC 3079 3.3/3.4 in one call: master key, then both asymmetric start keys for `isServer`. */
export function mppeStartKeysV2(
  passwordHashHash16: Uint8Array,
  ntResponse24: Uint8Array,
  bits: MppeKeyBits,
  isServer: boolean,
): MppeStartKeys {
  const master = mppeGetMasterKey(passwordHashHash16, ntResponse24);
  const len = mppeKeyLength(bits);
  return {
    sendStartKey: mppeGetAsymmetricStartKey(master, len, true, isServer),
    receiveStartKey: mppeGetAsymmetricStartKey(master, len, false, isServer),
  };
}
