import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { fromHex, hex, utf8 } from '../core/bytes.js';
import { SeededRandom } from '../core/random.js';
import { hideAvpValue, unhideAvpValue } from './hidden-avp.js';

// From test/vectors/xl2tpd-auth-hidden.pcap: the lab LAC (secret "tunnelsecret", the secret of
// the lab's xl2tpd configuration) hides its SCCCN Challenge Response (type 13) under the Random
// Vector dea7b039... sent just before it. The value must be the RFC 2661 4.2 tunnel CHAP
// response MD5(Message Type 3 + secret + the LNS's challenge from its SCCRP).
const SECRET = utf8('tunnelsecret');
const SCCCN_RV = fromHex('dea7b0392fc9bf3eb4e2f8db97de9b71');
const SCCRP_CHALLENGE = fromHex('34e54f37a1b1e17b5d3f3c7a3d3ca35f');
// Attribute Value of the hidden AVP (AVP Length 38: 2 + 16 + 14 bytes of padding).
const SCCCN_HIDDEN_RESPONSE = fromHex('e9a601c82b38622c6568f6e18891840ed0e3f5bb62d312a5b40cebf8babb5b25');

function md5(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

test('golden: hidden Challenge Response from xl2tpd-auth-hidden.pcap unhides to the CHAP response', () => {
  const expected = md5(Uint8Array.of(3), SECRET, SCCRP_CHALLENGE);
  const value = unhideAvpValue(13, SECRET, SCCCN_RV, SCCCN_HIDDEN_RESPONSE);
  assert.ok(value);
  assert.equal(hex(value), hex(expected));
  assert.equal(hex(expected), 'f02e763a16bf2a9140fd2603f57b92c8');
  // Re-hiding with the same inputs reproduces the bytes up to the padding: the first chunk
  // (Original Length + value bytes 0..13) depends only on MD5(type + secret + RV).
  const again = hideAvpValue(13, SECRET, SCCCN_RV, value);
  assert.equal(hex(again.subarray(0, 16)), hex(SCCCN_HIDDEN_RESPONSE.subarray(0, 16)));
});

test('hidden subformat: Original Length, value, padding; wrong secret gives undefined or garbage', () => {
  const rv = fromHex('00112233445566778899aabbccddeeff');
  const value = Uint8Array.of(0x12, 0x34);
  const hidden = hideAvpValue(14, SECRET, rv, value, 10, new SeededRandom(3));
  assert.equal(hidden.length, 2 + 2 + 10);
  // The first two bytes are the Original Length XOR the first keystream bytes.
  const b1 = md5(Uint8Array.of(0, 14), SECRET, rv);
  assert.equal(hidden[0]! ^ b1[0]!, 0);
  assert.equal(hidden[1]! ^ b1[1]!, 2);
  assert.deepEqual([...unhideAvpValue(14, SECRET, rv, hidden)!], [0x12, 0x34]);
  // Another attribute type changes the keystream.
  assert.notEqual(hex(hideAvpValue(15, SECRET, rv, value)), hex(hideAvpValue(14, SECRET, rv, value)));
  assert.equal(unhideAvpValue(14, SECRET, rv, Uint8Array.of(1)), undefined);
  // Original Length 0xffff can't fit: a length that runs past the data is rejected.
  const bogus = Uint8Array.of(0xff ^ b1[0]!, 0xff ^ b1[1]!, 0, 0);
  assert.equal(unhideAvpValue(14, SECRET, rv, bogus), undefined);
});

test('multi-block values chain MD5(secret + previous hidden block)', () => {
  const rv = Uint8Array.of(9, 8, 7);
  const value = new Uint8Array(40).map((_, i) => i);
  const hidden = hideAvpValue(7, SECRET, rv, value);
  const plain = Uint8Array.from([0, 40, ...value]);
  const b1 = md5(Uint8Array.of(0, 7), SECRET, rv);
  const b2 = md5(SECRET, hidden.subarray(0, 16));
  const b3 = md5(SECRET, hidden.subarray(16, 32));
  const expected = plain.map((p, i) => p ^ (i < 16 ? b1[i]! : i < 32 ? b2[i - 16]! : b3[i - 32]!));
  assert.equal(hex(hidden), hex(expected));
});

test('property: unhide(hide(x)) = x for any value, padding, secret and Random Vector', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 0xffff }),
      fc.uint8Array({ maxLength: 24 }),
      fc.uint8Array({ minLength: 1, maxLength: 32 }),
      fc.uint8Array({ maxLength: 100 }),
      fc.integer({ min: 0, max: 40 }),
      (type, secret, rv, value, pad) => {
        const hidden = hideAvpValue(type, secret, rv, value, pad, new SeededRandom(pad));
        assert.equal(hidden.length, 2 + value.length + pad);
        assert.deepEqual(unhideAvpValue(type, secret, rv, hidden), value);
      },
    ),
  );
});
