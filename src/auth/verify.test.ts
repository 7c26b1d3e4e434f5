import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex } from '../core/bytes.js';
import { lmChallengeResponse } from '../crypto/mschap.js';
import { routeAuthPacket, verifyWithPassword } from './index.js';

test('verifyWithPassword: PAP compares whole passwords', () => {
  assert.deepEqual(verifyWithPassword({ method: 'pap', user: 'u', password: 'pw' }, 'pw'), { ok: true, user: 'u' });
  assert.equal(verifyWithPassword({ method: 'pap', user: 'u', password: 'pw' }, 'pw2').ok, false);
  assert.equal(verifyWithPassword({ method: 'pap', user: 'u', password: '' }, 'x').ok, false);
});

test('verifyWithPassword: MS-CHAPv1 with Flags=0 checks the LM response', () => {
  const challenge = fromHex('102DB5DF085D3041');
  const lm = lmChallengeResponse(challenge, 'MyPw');
  const check = { method: 'mschap1' as const, user: 'u', challenge, ntResponse: new Uint8Array(24), lmResponse: lm, useNt: false };
  assert.equal(verifyWithPassword(check, 'MyPw').ok, true);
  assert.equal(verifyWithPassword(check, 'MyPx').ok, false);
  assert.equal(verifyWithPassword({ ...check, useNt: true }, 'MyPw').ok, false);
});

test('verifyWithPassword: a wrong-length CHAP response is refused', () => {
  const v = verifyWithPassword({ method: 'chap', user: 'u', id: 1, challenge: new Uint8Array(16), response: new Uint8Array(15) }, 'pw');
  assert.deepEqual(v, { ok: false, message: 'invalid user name or password' });
});

test('routeAuthPacket splits a two-way link by code', () => {
  assert.equal(routeAuthPacket(0xc023, Uint8Array.of(1)), 'authenticator');
  assert.equal(routeAuthPacket(0xc023, Uint8Array.of(2)), 'peer');
  assert.equal(routeAuthPacket(0xc223, Uint8Array.of(2)), 'authenticator');
  for (const c of [1, 3, 4]) assert.equal(routeAuthPacket(0xc223, Uint8Array.of(c)), 'peer');
  assert.equal(routeAuthPacket(0xc223, new Uint8Array(0)), undefined);
  assert.equal(routeAuthPacket(0xc021, Uint8Array.of(1)), undefined);
});

test('verifyWithPassword: MS-CHAP checks with impossible sizes are refused, not thrown', () => {
  const z = (n: number): Uint8Array => new Uint8Array(n);
  assert.equal(verifyWithPassword({ method: 'mschap1', user: 'u', challenge: z(7), ntResponse: z(24), lmResponse: z(24), useNt: true }, 'p').ok, false);
  assert.equal(
    verifyWithPassword({ method: 'mschap2', user: 'u', authenticatorChallenge: z(16), peerChallenge: z(15), ntResponse: z(24), flags: 0 }, 'p').ok,
    false,
  );
});
