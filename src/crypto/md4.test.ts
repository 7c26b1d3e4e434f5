import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';

import { md4 } from './md4.js';
import { hex, utf8 } from '../core/bytes.js';

// RFC 1320 appendix A.5, "Test suite".
const RFC1320_A5: readonly (readonly [string, string])[] = [
  ['', '31d6cfe0d16ae931b73c59d7e0c089c0'],
  ['a', 'bde52cb31de33e46245e05fbdbd6fb24'],
  ['abc', 'a448017aaf21d8525fc10ae87aa6729d'],
  ['message digest', 'd9130a8164549fe818874806e1c7014b'],
  ['abcdefghijklmnopqrstuvwxyz', 'd79e1c308aa5bbcdeea8ed63df412da9'],
  ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', '043f8582f241db351ce627e153e7f0e4'],
  [
    '12345678901234567890123456789012345678901234567890123456789012345678901234567890',
    'e33b4ddc9c38f2199c3e7b164fcc0536',
  ],
];

test('RFC 1320 A.5 test suite', () => {
  for (const [input, digest] of RFC1320_A5) assert.equal(hex(md4(utf8(input))), digest, JSON.stringify(input));
});

test('padding boundaries: 55, 56, 63, 64, 65 octets hash without error and differ', () => {
  const seen = new Set<string>();
  for (const n of [55, 56, 57, 63, 64, 65, 119, 120, 128]) seen.add(hex(md4(new Uint8Array(n))));
  assert.equal(seen.size, 9);
});

test('does not depend on the input view offset and does not modify the input', () => {
  const backing = utf8('xxabcxx');
  const view = backing.subarray(2, 5);
  assert.equal(hex(md4(view)), 'a448017aaf21d8525fc10ae87aa6729d');
  assert.equal(hex(backing), hex(utf8('xxabcxx')));
});

// When Node runs with --openssl-legacy-provider, compare against OpenSSL's MD4 on random input.
function opensslMd4(): ((b: Uint8Array) => string) | undefined {
  try {
    createHash('md4');
    return (b) => createHash('md4').update(b).digest('hex');
  } catch {
    return undefined;
  }
}
const reference = opensslMd4();

test('matches OpenSSL MD4 on random inputs (legacy provider only)', { skip: reference === undefined }, () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (b) => hex(md4(b)) === reference!(b)),
    { numRuns: 300 },
  );
});
