/**
 * The text and value glue between the CHAP engines and the MS-CHAP crypto (src/crypto/mschap.ts,
 * src/crypto/chap.ts): building a peer's Response Value for each CHAP algorithm, the MS-CHAPv2
 * Success message ("S=<auth_string> M=<message>", RFC 2759 section 5) on both sides, and MS-CHAP
 * Failure messages (RFC 2433 section 6, RFC 2759 section 6).
 *
 * Invariants: nothing here throws on text from the network; parse results are plain values.
 * The crypto itself (hashes, DES, the RFC 2759 section 8 routines) lives in src/crypto only.
 */
import { utf8 } from '../core/bytes.js';
import { randomBytes, type Random } from '../core/random.js';
import { chapMd5Response } from '../crypto/chap.js';
import {
  checkAuthenticatorResponse,
  formatMsChapV2Failure,
  formatMsChapV2Success,
  generateNtResponse,
  hashNtPasswordHash,
  ntChallengeResponse,
  ntPasswordHash,
  parseMsChapV2Failure,
} from '../crypto/mschap.js';
import { encodeMsChap1ResponseValue, encodeMsChap2ResponseValue } from './packet.js';

/** RFC 2759 section 6 / RFC 2433 section 6: ERROR_AUTHENTICATION_FAILURE. */
export const MSCHAP_ERROR_AUTHENTICATION_FAILURE = 691;
/** RFC 2759 section 6: "The 'vvvvvvvvvv' ... this field SHOULD always contain the value 3". */
export const MSCHAP2_FAILURE_VERSION = 3;
/**
 * RFC 2433 section 6: the V= of an MS-CHAPv1 Failure is the Change-Password version the server
 * supports and "SHOULD always contain a value greater than or equal to 2".
 */
export const MSCHAP1_FAILURE_VERSION = 2;

/** What a peer sent in a Response, kept to check the Success and to derive MPPE keys. */
export interface PeerResponse {
  /** The Response Value field. */
  value: Uint8Array;
  ntResponse?: Uint8Array;
  peerChallenge?: Uint8Array;
}

export function computePeerResponse(
  method: 'chap' | 'mschap1' | 'mschap2',
  id: number,
  challenge: Uint8Array,
  user: string,
  password: string,
  random: Random,
): PeerResponse {
  switch (method) {
    case 'chap':
      return { value: chapMd5Response(id, utf8(password), challenge) };
    case 'mschap1': {
      const ntResponse = ntChallengeResponse(challenge, password);
      // The LAN Manager response is left zero and Flags=1 selects the NT response (RFC 2433
      // section 5); the LM hash is weak and cannot represent passwords over 14 characters.
      const value = encodeMsChap1ResponseValue({ lmResponse: new Uint8Array(24), ntResponse, flags: 1 });
      return { value, ntResponse };
    }
    case 'mschap2': {
      // "Peer-Challenge ... a 16-octet random number" (RFC 2759 section 4)
      const peerChallenge = randomBytes(random, 16);
      const ntResponse = generateNtResponse(challenge, peerChallenge, user, password);
      return { value: encodeMsChap2ResponseValue(peerChallenge, ntResponse), ntResponse, peerChallenge };
    }
  }
}

const AUTH_STRING = /^S=[0-9A-Fa-f]{40}$/;

/** Authenticator side: "S=<40 hex> M=<message>", or undefined when no valid S= was supplied. */
export function buildMsChap2Success(authenticatorResponse: string | undefined, message: string | undefined): string | undefined {
  if (authenticatorResponse === undefined || !AUTH_STRING.test(authenticatorResponse)) return undefined;
  // "The hexadecimal digits A-F (if present) MUST be uppercase" (RFC 2759 section 5)
  return formatMsChapV2Success(`S=${authenticatorResponse.slice(2).toUpperCase()}`, message ?? 'Welcome');
}

/**
 * Peer side: check the S= value of a Success message. SoftEther sends "S=..." with no M= part,
 * others "S=... M=...": the crypto check reads the first 42 characters and wants a space or
 * nothing after them.
 */
export function verifyMsChap2Success(
  message: string,
  password: string,
  response: PeerResponse,
  authenticatorChallenge: Uint8Array,
  user: string,
): { ok: true } | { ok: false; reason: string } {
  if (!AUTH_STRING.test(message.slice(0, 42))) {
    return { ok: false, reason: 'MS-CHAPv2 Success without an authenticator response' };
  }
  if (response.ntResponse === undefined || response.peerChallenge === undefined) {
    return { ok: false, reason: 'MS-CHAPv2 Success for a Response we did not send' };
  }
  const good = checkAuthenticatorResponse(
    password,
    response.ntResponse,
    response.peerChallenge,
    authenticatorChallenge,
    user,
    message,
  );
  return good ? { ok: true } : { ok: false, reason: 'MS-CHAPv2 authenticator response does not match: server does not know the password' };
}

export function buildMsChap2Failure(error: number, retry: boolean, challenge16: Uint8Array, message: string): string {
  return formatMsChapV2Failure(error, retry, challenge16, MSCHAP2_FAILURE_VERSION, message);
}

/** RFC 2433 section 6: "E=eeeeeeeeee R=r C=cccccccccccccccc V=vvvvvvvvvv" (8-octet challenge). */
export function buildMsChap1Failure(error: number, retry: boolean, challenge8: Uint8Array): string {
  return formatMsChapV2Failure(error, retry, challenge8, MSCHAP1_FAILURE_VERSION);
}

export interface MsChapFailure {
  error: number | undefined;
  retry: boolean;
  /** The C= challenge, when present and of the method's length. */
  challenge: Uint8Array | undefined;
  /** Human-readable summary for logs and the failure event. */
  text: string;
}

/**
 * Reads an MS-CHAP Failure message (v1 or v2) with the crypto module's parser. A C= of the wrong
 * length for the method counts as absent; unparseable text yields { retry: false }.
 */
export function parseMsChapFailure(message: string, challengeLength: number): MsChapFailure {
  const text = message === '' ? 'MS-CHAP Failure' : message;
  const f = parseMsChapV2Failure(message);
  if (!f.ok) return { error: undefined, retry: false, challenge: undefined, text };
  const c = f.value.challenge;
  return {
    error: f.value.error,
    retry: f.value.retry,
    challenge: c !== undefined && c.length === challengeLength ? c : undefined,
    text,
  };
}

/** MPPE key inputs a peer keeps after MS-CHAP success (RFC 3079 sections 2 and 3). */
export function peerMppeInputs(
  method: 'chap' | 'mschap1' | 'mschap2',
  password: string,
  response: PeerResponse,
  challenge: Uint8Array,
): { passwordHashHash: Uint8Array; ntResponse: Uint8Array; challenge?: Uint8Array } | undefined {
  if (method === 'chap' || response.ntResponse === undefined) return undefined;
  const passwordHashHash = hashNtPasswordHash(ntPasswordHash(password));
  return method === 'mschap1'
    ? { passwordHashHash, ntResponse: response.ntResponse, challenge }
    : { passwordHashHash, ntResponse: response.ntResponse };
}
