import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import {
  mppeChangeKey,
  mppeGetAsymmetricStartKey,
  mppeGetMasterKey,
  mppeGetNewKeyFromSha,
  mppeGetStartKeyV1,
  mppeInitialSessionKey,
  mppeReduceKey,
  mppeStartKeysV2,
  mppeStartKeyV1,
} from './mppe-keys.js';
import { hashNtPasswordHash, lmPasswordHash, ntPasswordHash } from './mschap.js';
import { rc4 } from './rc4.js';
import { fromHex, hex } from '../core/bytes.js';

const h = (s: string): string => s.replace(/ /g, '').toLowerCase();

// RFC 3079 section 2.5 (MS-CHAPv1), Initial Values: Password = "clientPass",
// Challenge = 10 2d b5 df 08 5d 30 41.
const V1_CHALLENGE = fromHex('102db5df085d3041');

test('RFC 3079 2.5.1: sample 40-bit key derivation (MS-CHAPv1, LM hash)', () => {
  const lm = lmPasswordHash('clientPass');
  assert.equal(hex(lm), h('76 a1 52 93 60 96 d7 83 0e 23 90 22 74 04 af d2'));
  // Step: GetKey(PasswordHash, SessionKey = copy of PasswordHash, 8).
  assert.equal(hex(mppeGetNewKeyFromSha(lm, lm, 8)), h('d8 08 01 53 8c ec 4a 08'));
  const start = mppeStartKeyV1(40, { passwordHashHash: new Uint8Array(16), challenge: V1_CHALLENGE, lmPasswordHash: lm });
  assert.equal(hex(mppeInitialSessionKey(start, 40)), h('d1 26 9e 53 8c ec 4a 08'));
});

test('RFC 3079 2.5.2: sample 56-bit key derivation (MS-CHAPv1, LM hash)', () => {
  const lm = lmPasswordHash('clientPass');
  const start = mppeStartKeyV1(56, { passwordHashHash: new Uint8Array(16), challenge: V1_CHALLENGE, lmPasswordHash: lm });
  assert.equal(hex(mppeInitialSessionKey(start, 56)), h('d1 08 01 53 8c ec 4a 08'));
});

test('RFC 3079 2.5.3: sample 128-bit key derivation (MS-CHAPv1)', () => {
  const hash = ntPasswordHash('clientPass');
  assert.equal(hex(hash), h('44 eb ba 8d 53 12 b8 d6 11 47 44 11 f5 69 89 ae'));
  const hashHash = hashNtPasswordHash(hash);
  assert.equal(hex(hashHash), h('41 c0 0c 58 4b d2 d9 1c 40 17 a2 a1 2f a5 9f 3f'));
  const initial = mppeGetStartKeyV1(V1_CHALLENGE, hashHash);
  assert.equal(hex(initial), h('a8 94 78 50 cf c0 ac c1 d1 78 9f b6 2d dc dd b0'));
  assert.equal(hex(mppeStartKeyV1(128, { passwordHashHash: hashHash, challenge: V1_CHALLENGE })), hex(initial));
  assert.equal(hex(mppeInitialSessionKey(initial, 128)), h('59 d1 59 bc 09 f7 6f 1d a2 a8 6a 28 ff ec 0b 1e'));
});

test('MS-CHAPv1 40-bit without an LM hash: first 8 octets of the 128-bit start key (pppd/Linux)', () => {
  const hashHash = hashNtPasswordHash(ntPasswordHash('clientPass'));
  const start = mppeStartKeyV1(40, { passwordHashHash: hashHash, challenge: V1_CHALLENGE });
  assert.equal(hex(start), h('a8 94 78 50 cf c0 ac c1'));
});

// RFC 3079 section 3.5 (MS-CHAPv2), Initial Values: UserName "User", Password "clientPass",
// the RFC 2759 9.2 challenges, NT-Response 82 30 9E ...
const NT_RESPONSE = fromHex('82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF');
const PASSWORD_HASH_HASH = fromHex('41C00C584BD2D91C4017A2A12FA59F3F');
const MASTER_KEY = h('FD EC E3 71 7A 8C 83 8C B3 88 E5 27 AE 3C DD 31');

test('RFC 3079 3.5.1: sample 40-bit key derivation (MS-CHAPv2)', () => {
  assert.equal(hex(mppeGetMasterKey(PASSWORD_HASH_HASH, NT_RESPONSE)), MASTER_KEY);
  const sendStart = mppeGetAsymmetricStartKey(fromHex(MASTER_KEY), 8, true, true);
  assert.equal(hex(sendStart), h('8B 7C DC 14 9B 99 3A 1B'));
  assert.equal(hex(mppeInitialSessionKey(sendStart, 40)), h('D1 26 9E C4 9F A6 2E 3E'));
});

test('RFC 3079 3.5.2: sample 56-bit key derivation (MS-CHAPv2)', () => {
  const sendStart = mppeGetAsymmetricStartKey(fromHex(MASTER_KEY), 8, true, true);
  assert.equal(hex(sendStart), h('8B 7C DC 14 9B 99 3A 1B'));
  assert.equal(hex(mppeInitialSessionKey(sendStart, 56)), h('D1 5C 00 C4 9F A6 2E 3E'));
});

test('RFC 3079 3.5.3: sample 128-bit key derivation (MS-CHAPv2)', () => {
  const sendStart = mppeGetAsymmetricStartKey(fromHex(MASTER_KEY), 16, true, true);
  assert.equal(hex(sendStart), h('8B 7C DC 14 9B 99 3A 1B A1 18 CB 15 3F 56 DC CB'));
  assert.equal(hex(mppeInitialSessionKey(sendStart, 128)), h('40 5C B2 24 7A 79 56 E6 E2 11 00 7A E2 7B 22 D4'));
});

test('RFC 3079 3.4: the client send key is the server receive key, and vice versa', () => {
  const server = mppeStartKeysV2(PASSWORD_HASH_HASH, NT_RESPONSE, 128, true);
  const client = mppeStartKeysV2(PASSWORD_HASH_HASH, NT_RESPONSE, 128, false);
  assert.equal(hex(server.sendStartKey), h('8B 7C DC 14 9B 99 3A 1B A1 18 CB 15 3F 56 DC CB'));
  assert.equal(hex(client.receiveStartKey), hex(server.sendStartKey));
  assert.equal(hex(client.sendStartKey), hex(server.receiveStartKey));
  assert.notEqual(hex(server.sendStartKey), hex(server.receiveStartKey));
  // 8-octet start keys are the prefix of the 16-octet ones (same SHA-1 digest).
  const s40 = mppeStartKeysV2(PASSWORD_HASH_HASH, NT_RESPONSE, 40, true);
  assert.equal(hex(s40.sendStartKey), hex(server.sendStartKey.subarray(0, 8)));
});

test('RFC 3078 7.3 key change: GetNewKeyFromSHA, RC4 with itself, reduce', () => {
  const start = fromHex('8B7CDC149B993A1BA118CB153F56DCCB');
  const k0 = mppeInitialSessionKey(start, 128);
  const k1 = mppeChangeKey(start, k0, 128);
  const interim = mppeGetNewKeyFromSha(start, k0, 16);
  assert.equal(hex(k1), hex(rc4(interim, interim)));
  assert.notEqual(hex(k1), hex(k0));
  const s8 = start.subarray(0, 8);
  const k40 = mppeChangeKey(s8, mppeInitialSessionKey(s8, 40), 40);
  assert.equal(hex(k40.subarray(0, 3)), 'd1269e');
  const k56 = mppeChangeKey(s8, mppeInitialSessionKey(s8, 56), 56);
  assert.equal(k56[0], 0xd1);
});

test('mppeReduceKey copies and only touches the leading octets', () => {
  const k = fromHex('0011223344556677');
  assert.equal(hex(mppeReduceKey(k, 40)), 'd1269e3344556677');
  assert.equal(hex(mppeReduceKey(k, 56)), 'd111223344556677');
  assert.equal(hex(k), '0011223344556677');
  const k16 = fromHex('00112233445566778899aabbccddeeff');
  assert.equal(hex(mppeReduceKey(k16, 128)), hex(k16));
  assert.throws(() => mppeReduceKey(k16, 40), RangeError);
});

test('property: key changes are deterministic, keep length and reduction', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.constantFrom(40, 56, 128 as const), (start, bits) => {
      const b = bits as 40 | 56 | 128;
      const len = b === 128 ? 16 : 8;
      let k = mppeInitialSessionKey(start, b);
      for (let n = 0; n < 4; n++) {
        const next = mppeChangeKey(start, k, b);
        if (next.length !== len || hex(next) !== hex(mppeChangeKey(start, k, b))) return false;
        if (b === 40 && hex(next.subarray(0, 3)) !== 'd1269e') return false;
        k = next;
      }
      return true;
    }),
    { numRuns: 50 },
  );
});
