import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';

import { chapMd5Response } from './chap.js';
import { fromHex, hex, utf8 } from '../core/bytes.js';

test('RFC 1994 4.1 known answer from FreeRADIUS radclient: CHAP-Password for "arctangent"', () => {
  // Captured Access-Request sent by FreeRADIUS 3 `radclient` with CHAP-Password = "arctangent" and
  // no CHAP-Challenge, so the challenge is the Request Authenticator (RFC 2865 section 2.2):
  // Request Authenticator a855ceb7bc306ea3bb3e687ee9eea79e, CHAP-Password 53 09ef2b06...ce10.
  const challenge = fromHex('a855ceb7bc306ea3bb3e687ee9eea79e');
  assert.equal(hex(chapMd5Response(0x53, utf8('arctangent'), challenge)), '09ef2b0655d6c362a3f36db5faeace10');
});

test('is MD5(Identifier || secret || Challenge) (RFC 1994 section 4.1)', () => {
  fc.assert(
    fc.property(fc.nat(255), fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ minLength: 1, maxLength: 64 }), (id, s, c) => {
      const expected = createHash('md5').update(Uint8Array.of(id)).update(s).update(c).digest('hex');
      return hex(chapMd5Response(id, s, c)) === expected;
    }),
  );
});

test('rejects an Identifier outside 0..255', () => {
  assert.throws(() => chapMd5Response(256, utf8('x'), new Uint8Array(16)), RangeError);
  assert.throws(() => chapMd5Response(-1, utf8('x'), new Uint8Array(16)), RangeError);
});
