import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { seqAdd, seqDiff, seqInRange, seqLess, seqLessOrEqual, seqNext } from './seq.js';

const u16 = fc.integer({ min: 0, max: 0xffff });

test('seqAdd and seqNext wrap at 65535 -> 0', () => {
  assert.equal(seqNext(65535), 0);
  assert.equal(seqNext(0), 1);
  assert.equal(seqAdd(65534, 3), 1);
  assert.equal(seqAdd(1, -3), 65534);
  assert.equal(seqAdd(0, 65536), 0);
});

test('seqDiff is the signed distance across the wrap', () => {
  assert.equal(seqDiff(0, 65535), 1);
  assert.equal(seqDiff(65535, 0), -1);
  assert.equal(seqDiff(5, 5), 0);
  assert.equal(seqDiff(32767, 0), 32767);
  assert.equal(seqDiff(32768, 0), -32768);
});

test('seqLess follows RFC 2661 5.8 across the wrap: 65534 is less than 15', () => {
  assert.equal(seqLess(65534, 15), true);
  assert.equal(seqLess(15, 65534), false);
  assert.equal(seqLess(3, 4), true);
  assert.equal(seqLess(4, 4), false);
  assert.equal(seqLessOrEqual(4, 4), true);
});

test('property: seqAdd(b, seqDiff(a, b)) === a', () => {
  fc.assert(fc.property(u16, u16, (a, b) => seqAdd(b, seqDiff(a, b)) === a));
});

test('property: exactly one of a<b, b<a, a==b', () => {
  fc.assert(
    fc.property(u16, u16, (a, b) => {
      const n = Number(seqLess(a, b)) + Number(seqLess(b, a)) + Number(a === b);
      return n === 1;
    }),
  );
});

test('property: a < a + k for 1 <= k <= 32767', () => {
  fc.assert(
    fc.property(u16, fc.integer({ min: 1, max: 32767 }), (a, k) => seqLess(a, seqAdd(a, k)) && !seqLess(seqAdd(a, k), a)),
  );
});

test('seqInRange across the wrap', () => {
  assert.equal(seqInRange(65535, 65534, 4), true);
  assert.equal(seqInRange(1, 65534, 4), true);
  assert.equal(seqInRange(2, 65534, 4), false);
  assert.equal(seqInRange(65533, 65534, 4), false);
  assert.equal(seqInRange(7, 7, 0), false);
});
