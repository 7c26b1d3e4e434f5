/**
 * Micro-benchmark for the crypto primitives on the MPPE data path and the per-authentication
 * path. Not a test: run it by hand,
 *
 *   node --import tsx bench/crypto.ts
 *   node --openssl-legacy-provider --import tsx bench/crypto.ts   (adds OpenSSL RC4/MD4 rows)
 *
 * What it measures (best of several ~200 ms rounds, single core):
 * - RC4 `process(buf, buf)` in place on 64, 1400 (a typical MPPE payload) and 65536-octet buffers,
 *   one long keystream (stateful MPPE);
 * - RC4 re-key + 1400 octets (stateless MPPE re-keys before every packet: `reset` + `process`);
 * - the same through OpenSSL's RC4 when the legacy provider is loaded, for comparison;
 * - MD4 (NtPasswordHash-sized input), DES blocks, a full MS-CHAPv2 GenerateNTResponse.
 *
 * A script, not an engine: it reads the clock.
 */
import { createCipheriv, createHash } from 'node:crypto';

import { Rc4 } from '../src/crypto/rc4.js';
import { md4 } from '../src/crypto/md4.js';
import { desEncryptBlock } from '../src/crypto/des.js';
import { generateNtResponse } from '../src/crypto/mschap.js';
import { measureRate } from './lib/rate.js';



function row(name: string, rate: number, unit: 'MB/s' | 'ops/s'): void {
  const value = unit === 'MB/s' ? (rate / 1e6).toFixed(0) : rate.toFixed(0);
  console.log(`${name.padEnd(44)} ${value.padStart(10)} ${unit}`);
}

function legacyAvailable(): boolean {
  try {
    createCipheriv('rc4', new Uint8Array(16), null);
    return true;
  } catch {
    return false;
  }
}

const key16 = new Uint8Array(16).map((_, i) => i * 17 + 3);
const legacy = legacyAvailable();
console.log(`node ${process.version}, OpenSSL legacy provider: ${legacy ? 'loaded' : 'not loaded'}`);

for (const size of [64, 1400, 65536]) {
  const buf = new Uint8Array(size);
  const rc4 = new Rc4(key16);
  row(`RC4 (pure TS) in place, ${size} B`, measureRate(() => rc4.process(buf, buf), size), 'MB/s');
  if (legacy) {
    const c = createCipheriv('rc4', key16, null);
    row(`RC4 (OpenSSL legacy) update, ${size} B`, measureRate(() => c.update(buf), size), 'MB/s');
  }
}
{
  const buf = new Uint8Array(1400);
  const rc4 = new Rc4(key16);
  row('RC4 (pure TS) reset + 1400 B (stateless)', measureRate(() => {
    rc4.reset(key16);
    rc4.process(buf, buf);
  }, 1400), 'MB/s');
  if (legacy) {
    row('RC4 (OpenSSL legacy) new cipher + 1400 B', measureRate(() => {
      createCipheriv('rc4', key16, null).update(buf);
    }, 1400), 'MB/s');
  }
}

const pw = new Uint8Array(20).fill(0x41);
row('MD4 (pure TS), 20 B', measureRate(() => md4(pw), 1), 'ops/s');
if (legacy) row('MD4 (OpenSSL legacy), 20 B', measureRate(() => createHash('md4').update(pw).digest(), 1), 'ops/s');
const block = new Uint8Array(8);
row('DES block (pure TS)', measureRate(() => desEncryptBlock(key16.subarray(0, 8), block), 1), 'ops/s');
const ac = new Uint8Array(16).fill(1);
const pc = new Uint8Array(16).fill(2);
row('MS-CHAPv2 GenerateNTResponse', measureRate(() => generateNtResponse(ac, pc, 'user1', 'pass1'), 1), 'ops/s');
