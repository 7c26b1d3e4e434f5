/**
 * MS-CHAP version 1 (RFC 2433 appendix A) and version 2 (RFC 2759 section 8) computations, and the
 * text formats of the MS-CHAPv2 Success and Failure messages (RFC 2759 sections 5 and 6).
 *
 * Functions keep the RFC pseudocode names (NtPasswordHash -> `ntPasswordHash`, ...) and argument
 * order. Each "FromHash" variant takes the 16-octet NT password hash instead of the password, for
 * secrets stored hashed and for RADIUS/MPPE code that only ever sees the hash.
 *
 * Encodings:
 * - Passwords are JS strings hashed as UTF-16LE ("0-to-256-unicode-char"; RFC 2759 section 8.3:
 *   "Only the password is hashed without including any terminating 0"). Each UTF-16 code unit is
 *   written little-endian, so astral characters become their surrogate pair, as Windows does.
 * - User names ("0-to-256-char") are octets: a string is encoded as UTF-8 (identical to ASCII for
 *   ASCII names); pass the Name field's raw octets as a Uint8Array to avoid any re-encoding.
 * - ChallengeHash strips a Windows domain: RFC 2759 section 8.2, "Only the user name (as presented
 *   by the peer and excluding any prepended domain name) is used as input to SHAUpdate()", and
 *   section 4, "BIGCO\johndoe". We drop everything up to and including the LAST backslash (a
 *   Windows account name cannot contain a backslash, so the last one ends the domain).
 * - LM hashing (RFC 2433 A.2, "0-to-14-oem-char"): the OEM code page is not specified, so we
 *   upper-case ASCII letters only (locale-independent), map code units above 0xFF to '?', and use
 *   the first 14 octets. LM is only used by MS-CHAPv1 peers that set the "use NT" flag to 0.
 *
 * Invariants: pure functions (SHA-1 from node:crypto, MD4/DES/RC4 from this folder); inputs are
 * never modified; lengths of fixed-size inputs are checked and a wrong length is a programming
 * error (RangeError). Parsing wire text (`parseMsChapV2Failure`, `parseMsChapV2Success`) never
 * throws: it returns a CryptoResult.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

import { md4 } from './md4.js';
import { desEncrypt7 } from './des.js';
import { cryptoError, cryptoOk, type CryptoResult } from './result.js';

export const NT_PASSWORD_HASH_LENGTH = 16;
export const CHALLENGE_RESPONSE_LENGTH = 24;
export const MSCHAP_V1_CHALLENGE_LENGTH = 8;
export const MSCHAP_V2_CHALLENGE_LENGTH = 16;
/** "S=" followed by 40 upper-case hex digits (RFC 2759 section 5). */
export const AUTHENTICATOR_RESPONSE_LENGTH = 42;

/** RFC 2759 section 6 error codes for the Failure packet's E= field. */
export const MsChapError = {
  ERROR_RESTRICTED_LOGON_HOURS: 646,
  ERROR_ACCT_DISABLED: 647,
  ERROR_PASSWD_EXPIRED: 648,
  ERROR_NO_DIALIN_PERMISSION: 649,
  ERROR_AUTHENTICATION_FAILURE: 691,
  ERROR_CHANGING_PASSWORD: 709,
} as const;

/** RFC 2759 section 6: "For MS-CHAP-V2, this value SHOULD always be 3." */
export const MSCHAP_V2_PASSWORD_CHANGE_VERSION = 3;

/** RFC 2759 section 8.7 Magic1: "Magic server to client signing constant". */
const MAGIC1 = new TextEncoder().encode('Magic server to client signing constant');
/** RFC 2759 section 8.7 Magic2: "Pad to make it do more than one iteration". */
const MAGIC2 = new TextEncoder().encode('Pad to make it do more than one iteration');
/** RFC 2433 A.3 DesHash StdText. */
const LM_STD_TEXT = new TextEncoder().encode('KGS!@#$%');
const LM_PASSWORD_MAX = 14;

function checkLength(name: string, b: Uint8Array, n: number): void {
  if (b.length !== n) throw new RangeError(`${name} must be ${n} octets, got ${b.length}`);
}

/** UTF-16LE octets of a JS string (one code unit = two octets, low first). */
export function unicodePassword(password: string): Uint8Array {
  const out = new Uint8Array(password.length * 2);
  for (let i = 0; i < password.length; i++) {
    const u = password.charCodeAt(i);
    out[2 * i] = u & 0xff;
    out[2 * i + 1] = u >>> 8;
  }
  return out;
}

/** User name octets with any "DOMAIN\" prefix removed (RFC 2759 section 8.2). */
export function stripDomain(username: string | Uint8Array): Uint8Array {
  const bytes = typeof username === 'string' ? new TextEncoder().encode(username) : username;
  const backslash = bytes.lastIndexOf(0x5c);
  return backslash < 0 ? bytes : bytes.subarray(backslash + 1);
}

// ---------------------------------------------------------------------------------------------
// Shared by MS-CHAPv1 and v2

/** NtPasswordHash (RFC 2433 A.6, RFC 2759 8.3): MD4 of the UTF-16LE password. */
export function ntPasswordHash(password: string): Uint8Array {
  return md4(unicodePassword(password));
}

/** HashNtPasswordHash (RFC 2759 8.4): MD4 of the 16-octet NT password hash. */
export function hashNtPasswordHash(passwordHash: Uint8Array): Uint8Array {
  checkLength('PasswordHash', passwordHash, NT_PASSWORD_HASH_LENGTH);
  return md4(passwordHash);
}

/**
 * ChallengeResponse (RFC 2433 A.7, RFC 2759 8.5): the hash zero-padded to 21 octets, split into
 * three 7-octet DES keys, each encrypting the 8-octet challenge; 24 octets out.
 */
export function challengeResponse(challenge8: Uint8Array, passwordHash16: Uint8Array): Uint8Array {
  checkLength('Challenge', challenge8, MSCHAP_V1_CHALLENGE_LENGTH);
  checkLength('PasswordHash', passwordHash16, NT_PASSWORD_HASH_LENGTH);
  const z = new Uint8Array(21);
  z.set(passwordHash16);
  const out = new Uint8Array(CHALLENGE_RESPONSE_LENGTH);
  for (let k = 0; k < 3; k++) out.set(desEncrypt7(challenge8, z.subarray(7 * k, 7 * k + 7)), 8 * k);
  return out;
}

// ---------------------------------------------------------------------------------------------
// MS-CHAPv1 (RFC 2433)

/** NtChallengeResponse (RFC 2433 A.5): the MS-CHAPv1 NT-Response field. */
export function ntChallengeResponse(challenge8: Uint8Array, password: string): Uint8Array {
  return challengeResponse(challenge8, ntPasswordHash(password));
}

/**
 * LmPasswordHash (RFC 2433 A.2): upper-case, zero-pad to 14 octets, DesHash each 7-octet half
 * (DES of "KGS!@#$%" under that half). See the module header for the OEM-charset choice.
 */
export function lmPasswordHash(password: string): Uint8Array {
  const oem = new Uint8Array(LM_PASSWORD_MAX);
  const n = Math.min(password.length, LM_PASSWORD_MAX);
  for (let i = 0; i < n; i++) {
    let c = password.charCodeAt(i);
    if (c >= 0x61 && c <= 0x7a) c -= 0x20; // ASCII a-z -> A-Z
    else if (c > 0xff) c = 0x3f; // '?': not representable in an 8-bit OEM code page
    oem[i] = c;
  }
  const out = new Uint8Array(NT_PASSWORD_HASH_LENGTH);
  out.set(desEncrypt7(LM_STD_TEXT, oem.subarray(0, 7)), 0);
  out.set(desEncrypt7(LM_STD_TEXT, oem.subarray(7, 14)), 8);
  return out;
}

/** LmChallengeResponse (RFC 2433 A.1): the MS-CHAPv1 LM-Response field. */
export function lmChallengeResponse(challenge8: Uint8Array, password: string): Uint8Array {
  return challengeResponse(challenge8, lmPasswordHash(password));
}

// ---------------------------------------------------------------------------------------------
// MS-CHAPv2 (RFC 2759)

/**
 * ChallengeHash (RFC 2759 8.2): first 8 octets of SHA1(PeerChallenge || AuthenticatorChallenge ||
 * UserName), the user name without its domain.
 */
export function challengeHash(
  peerChallenge16: Uint8Array,
  authenticatorChallenge16: Uint8Array,
  username: string | Uint8Array,
): Uint8Array {
  checkLength('PeerChallenge', peerChallenge16, MSCHAP_V2_CHALLENGE_LENGTH);
  checkLength('AuthenticatorChallenge', authenticatorChallenge16, MSCHAP_V2_CHALLENGE_LENGTH);
  const h = createHash('sha1');
  h.update(peerChallenge16);
  h.update(authenticatorChallenge16);
  h.update(stripDomain(username));
  return new Uint8Array(h.digest().subarray(0, 8));
}

/** GenerateNTResponse (RFC 2759 8.1) from the password. */
export function generateNtResponse(
  authenticatorChallenge16: Uint8Array,
  peerChallenge16: Uint8Array,
  username: string | Uint8Array,
  password: string,
): Uint8Array {
  return generateNtResponseFromHash(authenticatorChallenge16, peerChallenge16, username, ntPasswordHash(password));
}

/** GenerateNTResponse (RFC 2759 8.1) from the 16-octet NT password hash. */
export function generateNtResponseFromHash(
  authenticatorChallenge16: Uint8Array,
  peerChallenge16: Uint8Array,
  username: string | Uint8Array,
  passwordHash16: Uint8Array,
): Uint8Array {
  const challenge = challengeHash(peerChallenge16, authenticatorChallenge16, username);
  return challengeResponse(challenge, passwordHash16);
}

/** GenerateAuthenticatorResponse (RFC 2759 8.7) from the password: "S=" + 40 upper-case hex. */
export function generateAuthenticatorResponse(
  password: string,
  ntResponse24: Uint8Array,
  peerChallenge16: Uint8Array,
  authenticatorChallenge16: Uint8Array,
  username: string | Uint8Array,
): string {
  return generateAuthenticatorResponseFromHash(
    ntPasswordHash(password),
    ntResponse24,
    peerChallenge16,
    authenticatorChallenge16,
    username,
  );
}

/** GenerateAuthenticatorResponse (RFC 2759 8.7) from the 16-octet NT password hash. */
export function generateAuthenticatorResponseFromHash(
  passwordHash16: Uint8Array,
  ntResponse24: Uint8Array,
  peerChallenge16: Uint8Array,
  authenticatorChallenge16: Uint8Array,
  username: string | Uint8Array,
): string {
  checkLength('NT-Response', ntResponse24, CHALLENGE_RESPONSE_LENGTH);
  const passwordHashHash = hashNtPasswordHash(passwordHash16);
  const d1 = createHash('sha1').update(passwordHashHash).update(ntResponse24).update(MAGIC1).digest();
  const challenge = challengeHash(peerChallenge16, authenticatorChallenge16, username);
  const d2 = createHash('sha1').update(d1).update(challenge).update(MAGIC2).digest();
  // RFC 2759 section 5: "The hexadecimal digits A-F (if present) MUST be uppercase."
  return 'S=' + d2.toString('hex').toUpperCase();
}

/**
 * CheckAuthenticatorResponse (RFC 2759 8.8), for the peer side. `received` is the Success
 * packet's Message field; anything after the 42-octet "S=..." (such as " M=...") is ignored.
 * RFC 2759 section 5: "If the authenticator response is either missing or incorrect, the peer
 * MUST end the session." The comparison accepts lower-case hex (seen from some servers) and
 * is constant-time over the 42 octets.
 */
export function checkAuthenticatorResponse(
  password: string,
  ntResponse24: Uint8Array,
  peerChallenge16: Uint8Array,
  authenticatorChallenge16: Uint8Array,
  username: string | Uint8Array,
  received: string,
): boolean {
  return checkAuthenticatorResponseFromHash(
    ntPasswordHash(password),
    ntResponse24,
    peerChallenge16,
    authenticatorChallenge16,
    username,
    received,
  );
}

/** CheckAuthenticatorResponse (RFC 2759 8.8) from the 16-octet NT password hash. */
export function checkAuthenticatorResponseFromHash(
  passwordHash16: Uint8Array,
  ntResponse24: Uint8Array,
  peerChallenge16: Uint8Array,
  authenticatorChallenge16: Uint8Array,
  username: string | Uint8Array,
  received: string,
): boolean {
  const expected = generateAuthenticatorResponseFromHash(
    passwordHash16,
    ntResponse24,
    peerChallenge16,
    authenticatorChallenge16,
    username,
  );
  const got = received.slice(0, AUTHENTICATOR_RESPONSE_LENGTH).toUpperCase();
  if (got.length !== AUTHENTICATOR_RESPONSE_LENGTH) return false;
  const rest = received.slice(AUTHENTICATOR_RESPONSE_LENGTH);
  // Only a separator may follow the response ("S=<auth_string> M=<message>").
  if (rest.length > 0 && rest[0] !== ' ') return false;
  return timingSafeEqual(Buffer.from(got, 'latin1'), Buffer.from(expected, 'latin1'));
}

// ---------------------------------------------------------------------------------------------
// Success / Failure message text (RFC 2759 sections 5 and 6)

/** "S=<auth_string> M=<message>" (RFC 2759 section 5). `message` omitted -> no " M=" part. */
export function formatMsChapV2Success(authenticatorResponse: string, message?: string): string {
  return message === undefined ? authenticatorResponse : `${authenticatorResponse} M=${message}`;
}

export interface MsChapSuccess {
  /** "S=" + 40 hex digits, as received. */
  readonly authenticatorResponse: string;
  readonly message?: string;
}

/** Parses an MS-CHAPv2 Success Message field. Never throws. */
export function parseMsChapV2Success(s: string): CryptoResult<MsChapSuccess> {
  const auth = s.slice(0, AUTHENTICATOR_RESPONSE_LENGTH);
  if (!/^S=[0-9A-Fa-f]{40}$/.test(auth)) {
    return cryptoError('CRYPTO_BAD_MESSAGE', 'Success message does not start with S=<40 hex digits>');
  }
  const rest = s.slice(AUTHENTICATOR_RESPONSE_LENGTH);
  if (rest === '') return cryptoOk({ authenticatorResponse: auth });
  if (rest.startsWith(' M=')) return cryptoOk({ authenticatorResponse: auth, message: rest.slice(3) });
  return cryptoError('CRYPTO_BAD_MESSAGE', 'unexpected text after the authenticator response');
}

export interface MsChapFailure {
  /** E=: decimal error code (RFC 2759 section 6; see MsChapError). */
  readonly error: number;
  /** R=: '1' if the peer may retry. */
  readonly retry: boolean;
  /** C=: the new challenge (16 octets for v2, 8 for MS-CHAPv1), when present. */
  readonly challenge?: Uint8Array;
  /** V=: password-change protocol version, when present. */
  readonly version?: number;
  /** M=: human-readable text, when present (it runs to the end of the field). */
  readonly message?: string;
}

/**
 * Formats the Failure Message field: "E=691 R=0 C=<32 HEX> V=3", plus " M=<message>" when given.
 * RFC 2759 section 6: the challenge "MUST be exactly 32 octets long and MUST be present"; an
 * 8-octet challenge gives the 16-digit MS-CHAPv1 form (RFC 2433 section 6).
 */
export function formatMsChapV2Failure(
  error: number,
  retry: boolean,
  challenge16: Uint8Array,
  version: number,
  message?: string,
): string {
  const c = Buffer.from(challenge16.buffer, challenge16.byteOffset, challenge16.byteLength)
    .toString('hex')
    .toUpperCase();
  const base = `E=${error} R=${retry ? 1 : 0} C=${c} V=${version}`;
  return message === undefined ? base : `${base} M=${message}`;
}

/**
 * Parses a Failure Message field (RFC 2759 section 6, also the MS-CHAPv1 form of RFC 2433). Fields
 * are space-separated "X=value" pairs; M= takes the rest of the text. E= and R= are required;
 * unknown fields are ignored, as RFC 2759 asks implementations to "deal with codes not on this
 * list gracefully". Never throws.
 */
export function parseMsChapV2Failure(s: string): CryptoResult<MsChapFailure> {
  let error: number | undefined;
  let retry: boolean | undefined;
  let challenge: Uint8Array | undefined;
  let version: number | undefined;
  let message: string | undefined;

  let rest = s.trim();
  while (rest.length > 0) {
    if (rest.startsWith('M=')) {
      message = rest.slice(2);
      break;
    }
    const space = rest.indexOf(' ');
    const token = space < 0 ? rest : rest.slice(0, space);
    rest = space < 0 ? '' : rest.slice(space + 1).trimStart();
    const eq = token.indexOf('=');
    if (eq !== 1) continue; // not an "X=value" field: ignore
    const key = token[0];
    const value = token.slice(2);
    if (key === 'E') {
      if (!/^\d{1,10}$/.test(value)) return cryptoError('CRYPTO_BAD_MESSAGE', 'E= is not a decimal code');
      error = Number(value);
    } else if (key === 'R') {
      if (value !== '0' && value !== '1') return cryptoError('CRYPTO_BAD_MESSAGE', 'R= is not 0 or 1');
      retry = value === '1';
    } else if (key === 'C') {
      if (!/^(?:[0-9A-Fa-f]{16}|[0-9A-Fa-f]{32})$/.test(value)) {
        return cryptoError('CRYPTO_BAD_MESSAGE', 'C= is not 16 or 32 hex digits');
      }
      challenge = new Uint8Array(Buffer.from(value, 'hex'));
    } else if (key === 'V') {
      if (!/^\d{1,10}$/.test(value)) return cryptoError('CRYPTO_BAD_MESSAGE', 'V= is not a decimal version');
      version = Number(value);
    }
  }
  if (error === undefined) return cryptoError('CRYPTO_BAD_MESSAGE', 'E= missing');
  if (retry === undefined) return cryptoError('CRYPTO_BAD_MESSAGE', 'R= missing');
  const failure: MsChapFailure = {
    error,
    retry,
    ...(challenge !== undefined ? { challenge } : {}),
    ...(version !== undefined ? { version } : {}),
    ...(message !== undefined ? { message } : {}),
  };
  return cryptoOk(failure);
}
