import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import {
  accountingRequestAuthenticator,
  decryptMppeKey,
  decryptTunnelPassword,
  encryptMppeKey,
  encryptTunnelPassword,
  findMessageAuthenticator,
  hideUserPassword,
  messageAuthenticator,
  randomSalts,
  responseAuthenticator,
  signAccountingRequest,
  signMessageAuthenticator,
  signResponseAuthenticator,
  unhideUserPassword,
  verifyAccountingRequest,
  verifyMessageAuthenticator,
  verifyResponseAuthenticator,
} from './radius-crypto.js';
import { SeededRandom } from '../core/random.js';
import { fromHex, fromUtf8, hex, utf8 } from '../core/bytes.js';

const h = (s: string): Uint8Array => fromHex(s.replace(/\s+/g, ''));

// RFC 2865 section 7.1, "User Telnet to Specified Host": shared secret "xyzzy5461", user "nemo",
// password "arctangent".
const RFC2865_SECRET = utf8('xyzzy5461');
const RFC2865_REQUEST = h(`01 00 00 38 0f 40 3f 94 73 97 80 57 bd 83 d5 cb
  98 f4 22 7a 01 06 6e 65 6d 6f 02 12 0d be 70 8d
  93 d4 13 ce 31 96 e4 3f 78 2a 0a ee 04 06 c0 a8
  01 10 05 06 00 00 00 03`);
const RFC2865_ACCEPT = h(`02 00 00 26 86 fe 22 0e 76 24 ba 2a 10 05 f6 bf
  9b 55 e0 b2 06 06 00 00 00 01 0f 06 00 00 00 00
  0e 06 c0 a8 01 03`);
const RFC2865_REQUEST_AUTH = RFC2865_REQUEST.subarray(4, 20);

test('RFC 2865 7.1: User-Password "arctangent" hides to the example octets and back', () => {
  const hidden = RFC2865_REQUEST.subarray(28, 44);
  assert.equal(hex(hideUserPassword(utf8('arctangent'), RFC2865_SECRET, RFC2865_REQUEST_AUTH)), hex(hidden));
  const back = unhideUserPassword(hidden, RFC2865_SECRET, RFC2865_REQUEST_AUTH);
  assert.ok(back.ok);
  assert.equal(fromUtf8(back.value), 'arctangent');
});

test('RFC 2865 7.1: Access-Accept Response Authenticator', () => {
  const response = RFC2865_ACCEPT.slice();
  response.set(RFC2865_REQUEST_AUTH, 4);
  assert.equal(hex(responseAuthenticator(response, RFC2865_SECRET)), hex(RFC2865_ACCEPT.subarray(4, 20)));
  signResponseAuthenticator(response, RFC2865_SECRET);
  assert.equal(hex(response), hex(RFC2865_ACCEPT));
  assert.ok(verifyResponseAuthenticator(RFC2865_ACCEPT, RFC2865_REQUEST_AUTH, RFC2865_SECRET));
  assert.equal(verifyResponseAuthenticator(RFC2865_ACCEPT, RFC2865_REQUEST_AUTH, utf8('wrong')), false);
  assert.equal(verifyResponseAuthenticator(RFC2865_ACCEPT.subarray(0, 19), RFC2865_REQUEST_AUTH, RFC2865_SECRET), false);
});

// Packets sent by FreeRADIUS 3 `radclient` to a loopback listener, shared secret "testing123".
const FR_SECRET = utf8('testing123');
// Access-Request: User-Name "flopsy", CHAP-Password, Message-Authenticator (radclient computed it).
const FR_CHAP_REQUEST = h(`01800041a855ceb7bc306ea3bb3e687ee9eea79e0108666c6f70737903135309ef2b0655d6c362
  a3f36db5faeace105012ebc861c9c276d21b5a6da3dcfbae0fac`);
// Access-Request: User-Name "user1", User-Password "a password longer than sixteen", NAS-Port 7.
const FR_PAP_REQUEST = h(`01220043fff0b076360f087e292d75d2186da2bd01077573657231022231d5063ba96e49bc36a5f0
  1c07f945afae8de7c538cc8a405c4ec0a46b47fe6e050600000007`);
// Accounting-Request: User-Name "user1", Acct-Status-Type Start, Acct-Session-Id "81000001".
const FR_ACCT_REQUEST = h(`046f002b8ad1687f91b602041d61c58617f5b516010775736572312806000000012c0a3831303030303031`);

test('FreeRADIUS radclient: two-block User-Password unhides', () => {
  const r = unhideUserPassword(FR_PAP_REQUEST.subarray(29, 61), FR_SECRET, FR_PAP_REQUEST.subarray(4, 20));
  assert.ok(r.ok);
  assert.equal(fromUtf8(r.value), 'a password longer than sixteen');
  assert.equal(
    hex(hideUserPassword(utf8('a password longer than sixteen'), FR_SECRET, FR_PAP_REQUEST.subarray(4, 20))),
    hex(FR_PAP_REQUEST.subarray(29, 61)),
  );
});

test('FreeRADIUS radclient: Message-Authenticator of an Access-Request (RFC 3579 3.2)', () => {
  const at = findMessageAuthenticator(FR_CHAP_REQUEST);
  assert.ok(at.ok);
  assert.equal(at.value, FR_CHAP_REQUEST.length - 16);
  const mac = messageAuthenticator(FR_CHAP_REQUEST, FR_SECRET);
  assert.ok(mac.ok);
  assert.equal(hex(mac.value), 'ebc861c9c276d21b5a6da3dcfbae0fac');
  assert.ok(verifyMessageAuthenticator(FR_CHAP_REQUEST, FR_SECRET));
  assert.equal(verifyMessageAuthenticator(FR_CHAP_REQUEST, utf8('testing124')), false);
  const copy = FR_CHAP_REQUEST.slice();
  copy.fill(0, copy.length - 16);
  assert.ok(signMessageAuthenticator(copy, FR_SECRET).ok);
  assert.equal(hex(copy), hex(FR_CHAP_REQUEST));
});

test('FreeRADIUS radclient: Accounting-Request Authenticator (RFC 2866 section 3)', () => {
  assert.equal(hex(accountingRequestAuthenticator(FR_ACCT_REQUEST, FR_SECRET)), '8ad1687f91b602041d61c58617f5b516');
  assert.ok(verifyAccountingRequest(FR_ACCT_REQUEST, FR_SECRET));
  const copy = FR_ACCT_REQUEST.slice();
  copy.fill(0, 4, 20);
  signAccountingRequest(copy, FR_SECRET);
  assert.equal(hex(copy), hex(FR_ACCT_REQUEST));
  copy[copy.length - 1]! ^= 1;
  assert.equal(verifyAccountingRequest(copy, FR_SECRET), false);
});

test('response call order: Message-Authenticator with the request authenticator, then Response Authenticator', () => {
  const requestAuth = h('00112233445566778899aabbccddeeff');
  // Access-Accept, Identifier 9: Service-Type = Framed, Message-Authenticator (zeroed).
  const accept = h(`02 09 00 2c ${'00'.repeat(16)} 06 06 00 00 00 02 50 12 ${'00'.repeat(16)}`);
  accept.set(requestAuth, 4);
  assert.ok(signMessageAuthenticator(accept, FR_SECRET).ok);
  signResponseAuthenticator(accept, FR_SECRET);
  assert.ok(verifyResponseAuthenticator(accept, requestAuth, FR_SECRET));
  assert.ok(verifyMessageAuthenticator(accept, FR_SECRET, requestAuth));
  assert.equal(verifyMessageAuthenticator(accept, FR_SECRET), false, 'needs the request authenticator');
});

test('Message-Authenticator errors are values, not exceptions', () => {
  const noMa = RFC2865_REQUEST;
  const r = messageAuthenticator(noMa, RFC2865_SECRET);
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.code, 'CRYPTO_MISSING_ATTRIBUTE');
  const truncated = findMessageAuthenticator(h('01 00 00 16' + '00'.repeat(16) + '50 12'));
  assert.equal(truncated.ok, false);
  if (!truncated.ok) assert.equal(truncated.code, 'CRYPTO_BAD_PACKET');
});

test('property: packet functions never throw on arbitrary octets', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 120 }), (p) => {
      findMessageAuthenticator(p);
      messageAuthenticator(p, FR_SECRET);
      verifyMessageAuthenticator(p, FR_SECRET);
      verifyResponseAuthenticator(p, new Uint8Array(16), FR_SECRET);
      verifyAccountingRequest(p, FR_SECRET);
      unhideUserPassword(p, FR_SECRET, new Uint8Array(16));
      decryptMppeKey(p, FR_SECRET, new Uint8Array(16));
      return true;
    }),
  );
});

test('User-Password: padding, limits, bad lengths', () => {
  const ra = new Uint8Array(16).fill(7);
  assert.equal(hideUserPassword(new Uint8Array(0), FR_SECRET, ra).length, 16);
  assert.equal(hideUserPassword(new Uint8Array(16), FR_SECRET, ra).length, 16);
  assert.equal(hideUserPassword(new Uint8Array(17), FR_SECRET, ra).length, 32);
  assert.equal(hideUserPassword(new Uint8Array(128), FR_SECRET, ra).length, 128);
  assert.throws(() => hideUserPassword(new Uint8Array(129), FR_SECRET, ra), RangeError);
  for (const n of [0, 15, 17, 144]) {
    const r = unhideUserPassword(new Uint8Array(n), FR_SECRET, ra);
    assert.equal(r.ok, false, `length ${n}`);
    if (!r.ok) assert.equal(r.code, 'CRYPTO_BAD_LENGTH');
  }
});

test('property: User-Password round trip (no trailing NULs in the password)', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 128 }).filter((p) => p.length === 0 || p[p.length - 1] !== 0),
      fc.uint8Array({ minLength: 1, maxLength: 32 }),
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
      (pw, secret, ra) => {
        const r = unhideUserPassword(hideUserPassword(pw, secret, ra), secret, ra);
        return r.ok && hex(r.value) === hex(pw);
      },
    ),
  );
});

test('RFC 2548 2.4.2: MS-MPPE-Send-Key layout and round trip', () => {
  const key = h('8B7CDC149B993A1BA118CB153F56DCCB');
  const ra = h('5B5D7C7D7B3F2F3E3C2C602132262628');
  const salt = h('8001');
  const v = encryptMppeKey(key, FR_SECRET, ra, salt);
  // Salt (2) + String (1 length octet + 16 key octets, padded to 32).
  assert.equal(v.length, 34);
  assert.equal(hex(v.subarray(0, 2)), '8001');
  // b(1) = MD5(S + R + A): the first plaintext octet is the key length, 16.
  const back = decryptMppeKey(v, FR_SECRET, ra);
  assert.ok(back.ok);
  assert.equal(hex(back.value), hex(key));
  const wrong = decryptMppeKey(v, utf8('other secret'), ra);
  assert.ok(!wrong.ok || hex(wrong.value) !== hex(key));
  assert.throws(() => encryptMppeKey(key, FR_SECRET, ra, h('0001')), RangeError, 'salt high bit');
  assert.throws(() => encryptMppeKey(key, FR_SECRET, ra, h('80')), RangeError, 'salt length');
  const short = decryptMppeKey(v.subarray(0, 17), FR_SECRET, ra);
  assert.equal(short.ok, false);
});

test('RFC 2868 3.5: Tunnel-Password round trip with salt', () => {
  const ra = new Uint8Array(16).fill(1);
  const v = encryptTunnelPassword(utf8('tunnelsecret'), FR_SECRET, ra, h('9a0b'));
  assert.equal(v.length, 18);
  const back = decryptTunnelPassword(v, FR_SECRET, ra);
  assert.ok(back.ok);
  assert.equal(fromUtf8(back.value), 'tunnelsecret');
});

test('randomSalts: high bit set, distinct, reproducible with SeededRandom', () => {
  const a = randomSalts(new SeededRandom(5), 16);
  const b = randomSalts(new SeededRandom(5), 16);
  assert.equal(a.map(hex).join(), b.map(hex).join());
  assert.equal(new Set(a.map(hex)).size, 16);
  for (const s of a) assert.ok((s[0]! & 0x80) !== 0);
  const stuck = { fill: (buf: Uint8Array): Uint8Array => buf.fill(0) };
  assert.throws(() => randomSalts(stuck, 2), RangeError);
});
