import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { DES_SBOXES, desDecryptBlock, desEncrypt7, desEncryptBlock, expandDesKey } from './des.js';
import { fromHex, hex, utf8 } from '../core/bytes.js';

test('FIPS 81 appendix B ECB example: "Now is the time for all " under 0123456789ABCDEF', () => {
  const key = fromHex('0123456789abcdef');
  const plain = utf8('Now is the time for all ');
  const expected = ['3fa40e8a984d4815', '6a271787ab8883f9', '893d51ec4b563b53'];
  for (let i = 0; i < 3; i++) {
    assert.equal(hex(desEncryptBlock(key, plain.subarray(8 * i, 8 * i + 8))), expected[i]);
  }
});

test('classic worked example: key 133457799BBCDFF1, plaintext 0123456789ABCDEF', () => {
  assert.equal(hex(desEncryptBlock(fromHex('133457799BBCDFF1'), fromHex('0123456789ABCDEF'))), '85e813540f0ab405');
  assert.equal(hex(desDecryptBlock(fromHex('133457799BBCDFF1'), fromHex('85e813540f0ab405'))), '0123456789abcdef');
});

test('RFC 2759 section 9.3 / RFC 2433 B.3: parity-corrected DES keys', () => {
  assert.equal(hex(expandDesKey(fromHex('FC156AF7EDCD6C'))), 'fd0b5b5e7f6e34d9');
  assert.equal(hex(expandDesKey(fromHex('0EDDE3337D427F'))), '0e6e796737ea08fe');
});

test('every S-box row is a permutation of 0..15', () => {
  for (const box of DES_SBOXES) {
    for (let row = 0; row < 4; row++) {
      assert.deepEqual([...box.slice(row * 16, row * 16 + 16)].sort((a, b) => a - b), [...Array(16).keys()]);
    }
  }
});

test('property: expanded keys have odd parity and keep the 56 key bits', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 7, maxLength: 7 }), (k7) => {
      const k8 = expandDesKey(k7);
      let bits = '';
      for (const b of k8) {
        let ones = 0;
        for (let i = 0; i < 8; i++) ones += (b >>> i) & 1;
        if (ones % 2 !== 1) return false;
        bits += b.toString(2).padStart(8, '0').slice(0, 7);
      }
      let raw = '';
      for (const b of k7) raw += b.toString(2).padStart(8, '0');
      return bits === raw;
    }),
  );
});

test('property: parity bits are ignored and decryption inverts encryption', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 8, maxLength: 8 }),
      fc.uint8Array({ minLength: 8, maxLength: 8 }),
      (key, block) => {
        const c = desEncryptBlock(key, block);
        const flipped = key.map((b) => b ^ 1);
        return hex(desEncryptBlock(flipped, block)) === hex(c) && hex(desDecryptBlock(key, c)) === hex(block);
      },
    ),
    { numRuns: 200 },
  );
});

test('desEncrypt7 is DES under the parity-expanded key; wrong lengths throw', () => {
  const k7 = fromHex('FC156AF7EDCD6C');
  const clear = fromHex('102DB5DF085D3041');
  assert.equal(hex(desEncrypt7(clear, k7)), hex(desEncryptBlock(fromHex('fd0b5b5e7f6e34d9'), clear)));
  assert.throws(() => desEncryptBlock(new Uint8Array(7), clear), RangeError);
  assert.throws(() => desEncryptBlock(new Uint8Array(8), new Uint8Array(9)), RangeError);
  assert.throws(() => expandDesKey(new Uint8Array(8)), RangeError);
});
