/**
 * The local-secret check: given an `AuthCheck` from an authenticator engine and the password the
 * service looked up for `check.user`, decide and produce what the engine and MPPE need.
 *
 *   pap      compare passwords (RFC 1334 section 2.2.1)
 *   chap     MD5(Identifier || secret || Challenge) (RFC 1994 section 2.2)
 *   mschap1  NT-Response (or LM-Response when Flags=0), RFC 2433 section 5 / appendix A;
 *            MPPE inputs: PasswordHashHash, NT-Response, Challenge (RFC 3079 section 2.1)
 *   mschap2  GenerateNTResponse, then GenerateAuthenticatorResponse for the "S=" string
 *            (RFC 2759 sections 8.1 and 8.7); MPPE inputs: PasswordHashHash and NT-Response
 *            (RFC 3079 section 3.4 GetMasterKey)
 *
 * Never throws; comparisons run over the whole value (no early exit) so timing tells little.
 */
import { utf8 } from '../core/bytes.js';
import { chapMd5Response } from '../crypto/chap.js';
import {
  generateAuthenticatorResponse,
  generateNtResponse,
  hashNtPasswordHash,
  lmChallengeResponse,
  ntChallengeResponse,
  ntPasswordHash,
} from '../crypto/mschap.js';
import type { AuthCheck, AuthVerdict } from './types.js';

const REJECT_MESSAGE = 'invalid user name or password';

export function verifyWithPassword(check: AuthCheck, password: string): AuthVerdict {
  switch (check.method) {
    case 'pap':
      return sameBytes(utf8(check.password), utf8(password)) ? { ok: true, user: check.user } : reject();
    case 'chap': {
      const expected = chapMd5Response(check.id, utf8(password), check.challenge);
      return sameBytes(expected, check.response) ? { ok: true, user: check.user } : reject();
    }
    case 'mschap1': {
      // Our engines always build checks of these sizes; a hand-made check of other sizes is
      // refused here rather than thrown on by the crypto.
      if (check.challenge.length !== 8 || check.ntResponse.length !== 24 || check.lmResponse.length !== 24) return reject();
      const good = check.useNt
        ? sameBytes(ntChallengeResponse(check.challenge, password), check.ntResponse)
        : sameBytes(lmChallengeResponse(check.challenge, password), check.lmResponse);
      if (!good) return reject();
      const passwordHashHash = hashNtPasswordHash(ntPasswordHash(password));
      return {
        ok: true,
        user: check.user,
        mppe: { masterKeyInputs: { passwordHashHash, ntResponse: check.ntResponse, challenge: check.challenge } },
      };
    }
    case 'mschap2': {
      if (check.authenticatorChallenge.length !== 16 || check.peerChallenge.length !== 16 || check.ntResponse.length !== 24) {
        return reject();
      }
      const expected = generateNtResponse(check.authenticatorChallenge, check.peerChallenge, check.user, password);
      if (!sameBytes(expected, check.ntResponse)) return reject();
      return {
        ok: true,
        user: check.user,
        authenticatorResponse: generateAuthenticatorResponse(
          password,
          check.ntResponse,
          check.peerChallenge,
          check.authenticatorChallenge,
          check.user,
        ),
        mppe: { masterKeyInputs: { passwordHashHash: hashNtPasswordHash(ntPasswordHash(password)), ntResponse: check.ntResponse } },
      };
    }
  }
}

function reject(): AuthVerdict {
  return { ok: false, message: REJECT_MESSAGE };
}

/** Equal length and content, examining every octet. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
