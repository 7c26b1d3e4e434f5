import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { Rc4, rc4 } from './rc4.js';
import { fromHex, hex } from '../core/bytes.js';

// RFC 6229 section 2, "Test Vectors for RC4": keystream octets at the given offsets.
const RFC6229: readonly { key: string; at: Readonly<Record<number, string>> }[] = [
  {
    key: '0102030405',
    at: {
      0: 'b2 39 63 05 f0 3d c0 27 cc c3 52 4a 0a 11 18 a8',
      16: '69 82 94 4f 18 fc 82 d5 89 c4 03 a4 7a 0d 09 19',
      240: '28 cb 11 32 c9 6c e2 86 42 1d ca ad b8 b6 9e ae',
      256: '1c fc f6 2b 03 ed db 64 1d 77 df cf 7f 8d 8c 93',
      4080: '06 83 26 a2 11 84 16 d2 1f 9d 04 b2 cd 1c a0 50',
      4096: 'ff 25 b5 89 95 99 67 07 e5 1f bd f0 8b 34 d8 75',
    },
  },
  {
    key: '01020304050607',
    at: {
      0: '29 3f 02 d4 7f 37 c9 b6 33 f2 af 52 85 fe b4 6b',
      16: 'e6 20 f1 39 0d 19 bd 84 e2 e0 fd 75 20 31 af c1',
      4096: 'e7 4b 0b 97 31 22 7f d3 7c 0e c0 8a 47 dd d8 b8',
    },
  },
  {
    key: '0102030405060708',
    at: {
      0: '97 ab 8a 1b f0 af b9 61 32 f2 f6 72 58 da 15 a8',
      16: '82 63 ef db 45 c4 a1 86 84 ef 87 e6 b1 9e 5b 09',
      4096: '3f b4 6e 2c 8f 0f 06 8e dc e8 cd cd 7d fc 58 62',
    },
  },
  {
    key: '0102030405060708090a0b0c0d0e0f10',
    at: {
      0: '9a c7 cc 9a 60 9d 1e f7 b2 93 28 99 cd e4 1b 97',
      16: '52 48 c4 95 90 14 12 6a 6e 8a 84 f1 1d 1a 9e 1c',
      240: '06 59 02 e4 b6 20 f6 cc 36 c8 58 9f 66 43 2f 2b',
      4096: 'a3 6a 4c 30 1a e8 ac 13 61 0c cb c1 22 56 ca cc',
    },
  },
  {
    key: '833222772a',
    at: {
      0: '80 ad 97 bd c9 73 df 8a 2e 87 9e 92 a4 97 ef da',
      4096: 'bf 42 c3 01 8c 2f 7c 66 bf de 52 49 75 76 81 15',
    },
  },
  {
    key: 'c109163908ebe51debb46227c6cc8b37641910833222772a',
    at: {
      0: '54 b6 4e 6b 5a 20 b5 e2 ec 84 59 3d c7 98 9d a7',
      4096: 'e4 dd 2e 98 d6 96 0f ae 0b 43 54 54 56 74 33 91',
    },
  },
];

test('RFC 6229 section 2 keystream vectors (one long keystream per key)', () => {
  for (const v of RFC6229) {
    const stream = new Rc4(fromHex(v.key)).process(new Uint8Array(4112));
    for (const [offset, expected] of Object.entries(v.at)) {
      const o = Number(offset);
      assert.equal(hex(stream.subarray(o, o + 16)), expected.replace(/ /g, ''), `key ${v.key} offset ${o}`);
    }
  }
});

test('RFC 6229 vectors through skip() and reset()', () => {
  const c = new Rc4(fromHex('ff'));
  for (const v of RFC6229) {
    c.reset(fromHex(v.key));
    c.skip(4096);
    assert.equal(hex(c.process(new Uint8Array(16))), v.at[4096]!.replace(/ /g, ''));
  }
});

test('in place when output === input, and no allocation when output is given', () => {
  const key = fromHex('0102030405');
  const buf = new Uint8Array(16);
  const r = new Rc4(key).process(buf, buf);
  assert.equal(r, buf);
  assert.equal(hex(buf), 'b2396305f03dc027ccc3524a0a1118a8');
  const out = new Uint8Array(32);
  assert.equal(new Rc4(key).process(new Uint8Array(16), out), out);
  assert.equal(hex(out.subarray(0, 16)), 'b2396305f03dc027ccc3524a0a1118a8');
  assert.throws(() => new Rc4(key).process(new Uint8Array(4), new Uint8Array(3)), RangeError);
});

test('key length limits', () => {
  assert.throws(() => new Rc4(new Uint8Array(0)), RangeError);
  assert.throws(() => new Rc4(new Uint8Array(257)), RangeError);
  new Rc4(new Uint8Array(256));
});

test('property: chunked processing equals one-shot, and decrypt(encrypt(x)) = x', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 1, maxLength: 32 }),
      fc.uint8Array({ maxLength: 200 }),
      fc.array(fc.nat(40), { maxLength: 8 }),
      (key, data, cuts) => {
        const whole = rc4(key, data);
        const c = new Rc4(key);
        const pieces = new Uint8Array(data.length);
        let off = 0;
        for (const cut of cuts) {
          const end = Math.min(data.length, off + cut);
          c.process(data.subarray(off, end), pieces.subarray(off, end));
          off = end;
        }
        c.process(data.subarray(off), pieces.subarray(off));
        return hex(pieces) === hex(whole) && hex(rc4(key, whole)) === hex(data);
      },
    ),
  );
});

test('processRange: offsets, in place over a lower offset, same keystream as process; bad ranges throw', () => {
  const key = fromHex('0102030405060708090a0b0c0d0e0f10');
  const data = new Uint8Array(300).map((_, i) => (i * 7) & 0xff);
  const expected = new Rc4(key).process(data);
  const buf = new Uint8Array(310);
  buf.set(data, 5);
  const c = new Rc4(key);
  c.processRange(buf, 5, 100, buf, 3);
  c.processRange(buf, 105, 200, buf, 103);
  assert.equal(hex(buf.subarray(3, 303)), hex(expected));
  assert.throws(() => c.processRange(buf, 300, 20, buf, 0), RangeError);
  assert.throws(() => c.processRange(buf, 0, 20, new Uint8Array(10), 0), RangeError);
});
