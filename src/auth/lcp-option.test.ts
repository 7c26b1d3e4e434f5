import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromHex, hex } from '../core/bytes.js';
import { lcpAuthOptionData, methodFromLcpAuthOption, protocolFor } from './lcp-option.js';
import type { AuthMethod } from './types.js';

const methods: AuthMethod[] = ['pap', 'chap', 'mschap1', 'mschap2'];

test('LCP Authentication-Protocol option data (RFC 1334 2.1, RFC 1994 3, RFC 2433 3, RFC 2759 3)', () => {
  assert.deepEqual(methods.map((m) => hex(lcpAuthOptionData(m))), ['c023', 'c22305', 'c22380', 'c22381']);
  assert.deepEqual(methods.map(protocolFor), [0xc023, 0xc223, 0xc223, 0xc223]);
  for (const m of methods) assert.equal(methodFromLcpAuthOption(lcpAuthOptionData(m)), m);
});

test('unknown or malformed Authentication-Protocol data maps to undefined', () => {
  for (const h of ['', 'c0', 'c02300', 'c223', 'c22306', 'c2230580', 'c227', 'c2238100']) {
    assert.equal(methodFromLcpAuthOption(fromHex(h)), undefined, h);
  }
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 8 }), (b) => {
      const m = methodFromLcpAuthOption(b);
      if (m !== undefined) assert.equal(hex(lcpAuthOptionData(m)), hex(b));
    }),
  );
});
