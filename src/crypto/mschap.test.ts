import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import {
  challengeHash,
  challengeResponse,
  checkAuthenticatorResponse,
  checkAuthenticatorResponseFromHash,
  formatMsChapV2Failure,
  formatMsChapV2Success,
  generateAuthenticatorResponse,
  generateAuthenticatorResponseFromHash,
  generateNtResponse,
  generateNtResponseFromHash,
  hashNtPasswordHash,
  lmChallengeResponse,
  lmPasswordHash,
  ntChallengeResponse,
  ntPasswordHash,
  parseMsChapV2Failure,
  parseMsChapV2Success,
  stripDomain,
  unicodePassword,
} from './mschap.js';
import { desEncryptBlock, expandDesKey } from './des.js';
import { fromHex, hex } from '../core/bytes.js';

const h = (s: string): Uint8Array => fromHex(s.replace(/ /g, ''));

// RFC 2433 appendix B.2, "Hash Example": password "MyPw".
const V1_CHALLENGE = h('10 2D B5 DF 08 5D 30 41');

test('RFC 2433 B.2: NtPassword, NtPasswordHash and NtChallengeResponse for "MyPw"', () => {
  assert.equal(hex(unicodePassword('MyPw')), hex(h('4D 00 79 00 50 00 77 00')));
  const hash = ntPasswordHash('MyPw');
  assert.equal(hex(hash), hex(h('FC 15 6A F7 ED CD 6C 0E DD E3 33 7D 42 7F 4E AC')));
  const expected = h('4E 9D 3C 8F 9C FD 38 5D 5B F4 D3 24 67 91 95 6C A4 C3 51 AB 40 9A 3D 61');
  assert.equal(hex(ntChallengeResponse(V1_CHALLENGE, 'MyPw')), hex(expected));
  assert.equal(hex(challengeResponse(V1_CHALLENGE, hash)), hex(expected));
});

test('RFC 2433 B.3 / RFC 2759 9.3: the DES keys of the "MyPw" hash', () => {
  const hash = ntPasswordHash('MyPw');
  assert.equal(hex(expandDesKey(hash.subarray(0, 7))), hex(h('FD 0B 5B 5E 7F 6E 34 D9')));
  assert.equal(hex(expandDesKey(hash.subarray(7, 14))), hex(h('0E 6E 79 67 37 EA 08 FE')));
});

// RFC 2759 section 9.2, "Hash Example": user name "User", password "clientPass".
const AUTH_CHALLENGE = h('5B 5D 7C 7D 7B 3F 2F 3E 3C 2C 60 21 32 26 26 28');
const PEER_CHALLENGE = h('21 40 23 24 25 5E 26 2A 28 29 5F 2B 3A 33 7C 7E');
const NT_RESPONSE = h('82 30 9E CD 8D 70 8B 5E A0 8F AA 39 81 CD 83 54 42 33 11 4A 3D 85 D6 DF');
const PASSWORD_HASH = h('44 EB BA 8D 53 12 B8 D6 11 47 44 11 F5 69 89 AE');
const AUTH_RESPONSE = 'S=407A5589115FD0D6209F510FE9C04566932CDA56';

test('RFC 2759 9.2: every intermediate value', () => {
  assert.equal(hex(new TextEncoder().encode('User')), hex(h('55 73 65 72')));
  assert.equal(hex(unicodePassword('clientPass')), hex(h('63 00 6C 00 69 00 65 00 6E 00 74 00 50 00 61 00 73 00 73 00')));
  assert.equal(hex(challengeHash(PEER_CHALLENGE, AUTH_CHALLENGE, 'User')), hex(h('D0 2E 43 86 BC E9 12 26')));
  assert.equal(hex(ntPasswordHash('clientPass')), hex(PASSWORD_HASH));
  assert.equal(hex(generateNtResponse(AUTH_CHALLENGE, PEER_CHALLENGE, 'User', 'clientPass')), hex(NT_RESPONSE));
  assert.equal(hex(hashNtPasswordHash(PASSWORD_HASH)), hex(h('41 C0 0C 58 4B D2 D9 1C 40 17 A2 A1 2F A5 9F 3F')));
  assert.equal(generateAuthenticatorResponse('clientPass', NT_RESPONSE, PEER_CHALLENGE, AUTH_CHALLENGE, 'User'), AUTH_RESPONSE);
});

test('RFC 2759 9.2 through the FromHash variants', () => {
  assert.equal(hex(generateNtResponseFromHash(AUTH_CHALLENGE, PEER_CHALLENGE, 'User', PASSWORD_HASH)), hex(NT_RESPONSE));
  assert.equal(
    generateAuthenticatorResponseFromHash(PASSWORD_HASH, NT_RESPONSE, PEER_CHALLENGE, AUTH_CHALLENGE, 'User'),
    AUTH_RESPONSE,
  );
  assert.ok(
    checkAuthenticatorResponseFromHash(PASSWORD_HASH, NT_RESPONSE, PEER_CHALLENGE, AUTH_CHALLENGE, 'User', AUTH_RESPONSE),
  );
});

test('RFC 2759 8.8 CheckAuthenticatorResponse: accepts the right response, with or without M=', () => {
  const check = (s: string, pw = 'clientPass'): boolean =>
    checkAuthenticatorResponse(pw, NT_RESPONSE, PEER_CHALLENGE, AUTH_CHALLENGE, 'User', s);
  assert.ok(check(AUTH_RESPONSE));
  assert.ok(check(`${AUTH_RESPONSE} M=Access granted`));
  assert.ok(check(AUTH_RESPONSE.toLowerCase().replace('s=', 'S=')), 'lower-case hex tolerated');
  assert.equal(check(AUTH_RESPONSE, 'wrong'), false);
  assert.equal(check(AUTH_RESPONSE.slice(0, 41)), false, 'truncated');
  assert.equal(check(''), false, 'missing');
  assert.equal(check(`${AUTH_RESPONSE}0`), false, 'trailing garbage');
  assert.equal(check('S=507A5589115FD0D6209F510FE9C04566932CDA56'), false, 'one digit off');
});

test('RFC 2759 8.2: a prepended domain is not part of the ChallengeHash', () => {
  const plain = challengeHash(PEER_CHALLENGE, AUTH_CHALLENGE, 'User');
  assert.equal(hex(challengeHash(PEER_CHALLENGE, AUTH_CHALLENGE, 'BIGCO\\User')), hex(plain));
  assert.equal(hex(challengeHash(PEER_CHALLENGE, AUTH_CHALLENGE, new TextEncoder().encode('BIGCO\\User'))), hex(plain));
  assert.equal(hex(stripDomain('A\\B\\c')), hex(new TextEncoder().encode('c')));
  assert.equal(hex(stripDomain('user@realm')), hex(new TextEncoder().encode('user@realm')), 'only backslash domains');
});

test('real peer: SoftEther capture (softether-ppp-mschapv2.pcap), user1 / pass1', () => {
  // Frame 21 Challenge (Identifier 2, from "vm"), frame 22 Response value, frame 23 Success.
  const authChallenge = fromHex('37f609eca6e7bc6660f77562f7fa1e5c');
  const value = fromHex('1ce60a968797ae29b8260f144cdb37fe000000000000000023703b322af11cbb5d60a9bbb5d94cb0afa9cc6c27762b4100');
  const peerChallenge = value.subarray(0, 16);
  const ntResponse = value.subarray(24, 48);
  assert.equal(hex(generateNtResponse(authChallenge, peerChallenge, 'user1', 'pass1')), hex(ntResponse));
  assert.equal(
    generateAuthenticatorResponse('pass1', ntResponse, peerChallenge, authChallenge, 'user1'),
    'S=0CA42F28363290D901B28D2506A797F99035B7AA',
  );
});

test('RFC 2433 A.2/A.3: LmPasswordHash is DesHash("KGS!@#$%") of both upper-cased halves', () => {
  // RFC 3079 2.5.1 lists LmPasswordHash("clientPass") = 76 a1 52 93 60 96 d7 83 0e 23 90 22 74 04 af d2.
  assert.equal(hex(lmPasswordHash('clientPass')), '76a152936096d7830e2390227404afd2');
  const std = new TextEncoder().encode('KGS!@#$%');
  const upper = new TextEncoder().encode('MYPW\0\0\0\0\0\0\0\0\0\0');
  const expected = new Uint8Array(16);
  expected.set(desEncryptBlock(expandDesKey(upper.subarray(0, 7)), std), 0);
  expected.set(desEncryptBlock(expandDesKey(upper.subarray(7, 14)), std), 8);
  assert.equal(hex(lmPasswordHash('MyPw')), hex(expected));
  assert.equal(hex(lmPasswordHash('mypw')), hex(lmPasswordHash('MYPW')), 'case-insensitive');
  assert.equal(hex(lmPasswordHash('abcdefghijklmnXYZ')), hex(lmPasswordHash('ABCDEFGHIJKLMN')), '14-octet limit');
  assert.equal(hex(lmChallengeResponse(V1_CHALLENGE, 'MyPw')), hex(challengeResponse(V1_CHALLENGE, lmPasswordHash('MyPw'))));
});

test('RFC 2759 section 6: Failure message format and parse', () => {
  const c = h('00 11 22 33 44 55 66 77 88 99 AA BB CC DD EE FF');
  const s = formatMsChapV2Failure(691, false, c, 3);
  assert.equal(s, 'E=691 R=0 C=00112233445566778899AABBCCDDEEFF V=3');
  assert.equal(formatMsChapV2Failure(648, true, c, 3, 'expired'), 'E=648 R=1 C=00112233445566778899AABBCCDDEEFF V=3 M=expired');
  const p = parseMsChapV2Failure(`${s} M=Authentication failed, try again`);
  assert.ok(p.ok);
  assert.equal(p.value.error, 691);
  assert.equal(p.value.retry, false);
  assert.equal(hex(p.value.challenge!), hex(c));
  assert.equal(p.value.version, 3);
  assert.equal(p.value.message, 'Authentication failed, try again');
});

test('parseMsChapV2Failure: MS-CHAPv1 form, minimal form and errors', () => {
  const v1 = parseMsChapV2Failure('E=691 R=1 C=0011223344556677 V=2');
  assert.ok(v1.ok);
  assert.equal(v1.value.challenge!.length, 8);
  const minimal = parseMsChapV2Failure('E=646 R=0');
  assert.ok(minimal.ok);
  assert.equal(minimal.value.challenge, undefined);
  assert.equal(minimal.value.version, undefined);
  for (const bad of ['', 'R=0', 'E=691', 'E=x R=0', 'E=691 R=2', 'E=691 R=0 C=123', 'E=691 R=0 V=three']) {
    const r = parseMsChapV2Failure(bad);
    assert.equal(r.ok, false, bad);
    if (!r.ok) assert.equal(r.code, 'CRYPTO_BAD_MESSAGE');
  }
});

test('Success message format and parse (RFC 2759 section 5)', () => {
  assert.equal(formatMsChapV2Success(AUTH_RESPONSE), AUTH_RESPONSE);
  assert.equal(formatMsChapV2Success(AUTH_RESPONSE, 'Welcome'), `${AUTH_RESPONSE} M=Welcome`);
  const p = parseMsChapV2Success(`${AUTH_RESPONSE} M=Welcome`);
  assert.ok(p.ok);
  assert.equal(p.value.authenticatorResponse, AUTH_RESPONSE);
  assert.equal(p.value.message, 'Welcome');
  assert.equal(parseMsChapV2Success('S=123').ok, false);
  assert.equal(parseMsChapV2Success(`${AUTH_RESPONSE}X`).ok, false);
});

test('property: the text parsers never throw', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 120 }), (s) => {
      parseMsChapV2Failure(s);
      parseMsChapV2Success(s);
      checkAuthenticatorResponse('x', NT_RESPONSE, PEER_CHALLENGE, AUTH_CHALLENGE, 'User', s);
      return true;
    }),
  );
});

test('property: format then parse a Failure round-trips', () => {
  fc.assert(
    fc.property(fc.nat(99999), fc.boolean(), fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.nat(9), (e, r, c, v) => {
      const p = parseMsChapV2Failure(formatMsChapV2Failure(e, r, c, v));
      return p.ok && p.value.error === e && p.value.retry === r && hex(p.value.challenge!) === hex(c) && p.value.version === v;
    }),
  );
});

test('wrong fixed lengths are programming errors (RangeError)', () => {
  assert.throws(() => challengeResponse(new Uint8Array(7), PASSWORD_HASH), RangeError);
  assert.throws(() => challengeResponse(V1_CHALLENGE, new Uint8Array(15)), RangeError);
  assert.throws(() => challengeHash(new Uint8Array(8), AUTH_CHALLENGE, 'u'), RangeError);
  assert.throws(() => hashNtPasswordHash(new Uint8Array(8)), RangeError);
});
