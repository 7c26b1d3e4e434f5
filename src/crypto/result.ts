/**
 * Error values for the crypto module's decoders (unhiding a RADIUS attribute, parsing an MS-CHAP
 * Failure message). Per the project rule, code that reads bytes or text from the wire never
 * throws on bad input: it returns `{ ok: false, code, message }`, and `code` is stable so callers
 * can branch on it (never on `message`).
 */

export type CryptoErrorCode =
  /** A hidden/encrypted RADIUS attribute value has an impossible length. */
  | 'CRYPTO_BAD_LENGTH'
  /** Decryption produced an embedded length that does not fit the value (wrong secret?). */
  | 'CRYPTO_BAD_PLAINTEXT'
  /** A RADIUS packet's header or attribute list is malformed. */
  | 'CRYPTO_BAD_PACKET'
  /** A packet lacks the attribute the operation needs (e.g. Message-Authenticator). */
  | 'CRYPTO_MISSING_ATTRIBUTE'
  /** An MS-CHAP Failure/Success message does not follow RFC 2759 sections 5 and 6. */
  | 'CRYPTO_BAD_MESSAGE';

export interface CryptoError {
  readonly ok: false;
  readonly code: CryptoErrorCode;
  readonly message: string;
}

export interface CryptoOk<T> {
  readonly ok: true;
  readonly value: T;
}

export type CryptoResult<T> = CryptoOk<T> | CryptoError;

export function cryptoOk<T>(value: T): CryptoOk<T> {
  return { ok: true, value };
}

export function cryptoError(code: CryptoErrorCode, message: string): CryptoError {
  return { ok: false, code, message };
}
