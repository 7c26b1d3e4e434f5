import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';

import { fromHex, hex } from '../core/bytes.js';
import { mppeChangeKey, mppeInitialSessionKey, mppeStartKeysV2, type MppeKeyBits } from '../crypto/mppe-keys.js';
import {
  MPPE_ENCRYPTED,
  MPPE_FLUSHED,
  MppeChannel,
  MppeDecryptError,
  MppeReceiver,
  MppeSender,
  mppeEncodingName,
  mppeStartKeys,
} from './mppe.js';

// ---- an independent model, written from the RFC text only (not from mppe.ts) ------------------

/** Textbook RC4 (KSA + PRGA), a second implementation to check the data path against. */
class ModelRc4 {
  private s: number[] = [];
  private i = 0;
  private j = 0;
  constructor(key: Uint8Array) {
    this.s = Array.from({ length: 256 }, (_, k) => k);
    let j = 0;
    for (let i = 0; i < 256; i++) {
      j = (j + this.s[i]! + key[i % key.length]!) % 256;
      [this.s[i], this.s[j]] = [this.s[j]!, this.s[i]!];
    }
  }
  crypt(data: Uint8Array): Uint8Array {
    const out = new Uint8Array(data.length);
    for (let p = 0; p < data.length; p++) {
      this.i = (this.i + 1) % 256;
      this.j = (this.j + this.s[this.i]!) % 256;
      [this.s[this.i], this.s[this.j]] = [this.s[this.j]!, this.s[this.i]!];
      out[p] = data[p]! ^ this.s[(this.s[this.i]! + this.s[this.j]!) % 256]!;
    }
    return out;
  }
}

function modelReduce(k: Uint8Array, bits: MppeKeyBits): Uint8Array {
  const out = k.slice();
  if (bits === 40) out.set([0xd1, 0x26, 0x9e]);
  if (bits === 56) out[0] = 0xd1;
  return out;
}

/** RFC 3078 7.3 GetNewKeyFromSHA + RC4(interim, interim) + reduce, with node's SHA-1. */
function modelChangeKey(start: Uint8Array, current: Uint8Array, bits: MppeKeyBits): Uint8Array {
  const len = bits === 128 ? 16 : 8;
  const interim = createHash('sha1')
    .update(start.subarray(0, len))
    .update(new Uint8Array(40))
    .update(current.subarray(0, len))
    .update(new Uint8Array(40).fill(0xf2))
    .digest()
    .subarray(0, len);
  return modelReduce(new ModelRc4(interim).crypt(interim), bits);
}

/** The sender as RFC 3078 describes it, packet by packet. */
class ModelSender {
  key: Uint8Array;
  rc4: ModelRc4;
  cc = 4095;
  constructor(
    private readonly start: Uint8Array,
    private readonly bits: MppeKeyBits,
    private readonly stateless: boolean,
  ) {
    this.key = mppeInitialSessionKey(start, bits);
    this.rc4 = new ModelRc4(this.key);
  }
  packet(payload: Uint8Array, flush = false): Uint8Array {
    this.cc = (this.cc + 1) % 4096;
    const change = this.stateless || this.cc % 256 === 255 || flush;
    if (change) {
      this.key = modelChangeKey(this.start, this.key, this.bits);
      this.rc4 = new ModelRc4(this.key);
    }
    const head = [(change ? 0x80 : 0) | 0x10 | (this.cc >> 8), this.cc & 0xff];
    return Uint8Array.from([...head, ...this.rc4.crypt(payload)]);
  }
}

// RFC 3079 section 3.5 inputs (MS-CHAPv2): PasswordHashHash and NT-Response of "User"/"clientPass".
const NT_RESPONSE = fromHex('82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF');
const PASSWORD_HASH_HASH = fromHex('41C00C584BD2D91C4017A2A12FA59F3F');
const V2_INPUTS = { masterKeyInputs: { passwordHashHash: PASSWORD_HASH_HASH, ntResponse: NT_RESPONSE } };

const IP_PAYLOAD = fromHex('0021' + '4500001c0001000040017cdd0a0000010a000002' + '0800f7ff00000000');

function encryptOne(s: MppeSender, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(payload.length + 2);
  const n = s.encrypt(payload, out);
  assert.equal(n, out.length);
  return out;
}

function decryptOne(r: MppeReceiver, frame: Uint8Array): Uint8Array | number {
  const out = new Uint8Array(frame.length);
  const n = r.decrypt(frame, out);
  return n < 0 ? n : out.subarray(0, n);
}

// ---- known answers -----------------------------------------------------------------------------

test('RFC 3079 3.5.3 keys through the channel: the first stateful packet is RC4(key0, payload)', () => {
  const server = mppeStartKeys(V2_INPUTS, 128, 'server');
  assert.ok(server);
  assert.equal(hex(server.sendStartKey), '8b7cdc149b993a1ba118cb153f56dccb');
  const ch = new MppeChannel({ bits: 128, stateless: false, ...server });
  // RFC 3079 3.5.3: the initial 128-bit send session key.
  assert.equal(hex(ch.sender.sessionKey), '405cb2247a7956e6e211007ae27b22d4');
  const frame = encryptOne(ch.sender, IP_PAYLOAD);
  assert.deepEqual([...frame.subarray(0, 2)], [MPPE_ENCRYPTED, 0x00], 'D set, A clear, coherency count 0');
  const expected = new ModelRc4(fromHex('405cb2247a7956e6e211007ae27b22d4')).crypt(IP_PAYLOAD);
  assert.equal(hex(frame.subarray(2)), hex(expected));
  assert.notEqual(hex(frame.subarray(2)), hex(IP_PAYLOAD));
});

test('RFC 3079 3.5.1/3.5.2 (40/56-bit) keys: first stateless packet uses the first changed key, flushed', () => {
  for (const [bits, key0] of [
    [40, 'd1269ec49fa62e3e'],
    [56, 'd15c00c49fa62e3e'],
  ] as const) {
    const server = mppeStartKeys(V2_INPUTS, bits, 'server');
    assert.ok(server);
    const s = new MppeSender(server.sendStartKey, bits, true);
    assert.equal(hex(s.sessionKey), key0);
    const frame = encryptOne(s, IP_PAYLOAD);
    assert.deepEqual([...frame.subarray(0, 2)], [MPPE_FLUSHED | MPPE_ENCRYPTED, 0x00]);
    const key1 = modelChangeKey(server.sendStartKey, fromHex(key0), bits);
    assert.equal(hex(key1.subarray(0, bits === 40 ? 3 : 1)), bits === 40 ? 'd1269e' : 'd1');
    assert.equal(hex(frame.subarray(2)), hex(new ModelRc4(key1).crypt(IP_PAYLOAD)));
    assert.equal(hex(s.sessionKey), hex(key1));
  }
});

test('the in-place key change equals mppeChangeKey of src/crypto for every key length', () => {
  for (const bits of [40, 56, 128] as const) {
    const start = mppeStartKeysV2(PASSWORD_HASH_HASH, NT_RESPONSE, bits, false).sendStartKey;
    const s = new MppeSender(start, bits, true);
    let k = mppeInitialSessionKey(start, bits);
    for (let n = 0; n < 5; n++) {
      encryptOne(s, IP_PAYLOAD);
      k = mppeChangeKey(start, k, bits);
      assert.equal(hex(s.sessionKey), hex(k));
    }
  }
});

test('stateful key change sequence across 256-packet flag boundaries and the 4096 wrap matches the model', () => {
  const start = fromHex('8b7cdc149b993a1ba118cb153f56dccb');
  const s = new MppeSender(start, 128, false);
  const model = new ModelSender(start, 128, false);
  const r = new MppeReceiver(start, 128, false);
  for (let n = 0; n < 4096 + 300; n++) {
    const payload = Uint8Array.of(0x00, 0x21, n & 0xff, (n >> 8) & 0xff, 7, 7, 7);
    const frame = encryptOne(s, payload);
    const cc = n % 4096;
    assert.equal(((frame[0]! & 0x0f) << 8) | frame[1]!, cc);
    assert.equal((frame[0]! & MPPE_FLUSHED) !== 0, cc % 256 === 255, `flushed only on flag packets (cc ${cc})`);
    // Checking every packet against the slow model is costly; check the interesting ones.
    const mf = model.packet(payload);
    if (cc < 3 || cc % 256 >= 254 || cc % 256 <= 1 || n >= 4094) assert.equal(hex(frame), hex(mf), `packet ${n}`);
    const back = decryptOne(r, frame);
    assert.ok(back instanceof Uint8Array, `packet ${n} decrypts`);
    assert.equal(hex(back), hex(payload));
  }
});

test('stateless: receiver jumps keys forward over skipped counts, across the wrap, and drops late packets', () => {
  const start = fromHex('0123456789abcdef0123456789abcdef');
  for (const bits of [40, 56, 128] as const) {
    const s = new MppeSender(start, bits, true);
    const model = new ModelSender(start, bits, true);
    const r = new MppeReceiver(start, bits, true);
    let delivered = 0;
    let last: Uint8Array | undefined;
    for (let n = 0; n < 4096 + 50; n++) {
      const payload = Uint8Array.of(0x00, 0x21, n & 0xff, n >> 8);
      const frame = encryptOne(s, payload);
      const mf = model.packet(payload);
      if (n < 3) assert.equal(hex(frame), hex(mf));
      assert.ok((frame[0]! & MPPE_FLUSHED) !== 0);
      if (n % 7 !== 3) continue; // lose six of every seven
      const back = decryptOne(r, frame);
      assert.ok(back instanceof Uint8Array, `packet ${n}`);
      assert.equal(hex(back), hex(payload));
      delivered++;
      if (last) assert.equal(decryptOne(r, last), MppeDecryptError.Late, 'an older packet is late');
      assert.equal(decryptOne(r, frame), MppeDecryptError.Late, 'a repeat is late');
      last = frame;
    }
    assert.ok(delivered > 580);
  }
});

test('stateless: after a loss burst of more than half, or more than all, of the count space the receiver recovers', () => {
  const start = fromHex('00112233445566778899aabbccddeeff');
  for (const burst of [3000, 4096 + 100, 4096 + 3000]) {
    const s = new MppeSender(start, 128, true);
    const r = new MppeReceiver(start, 128, true);
    const payloadOf = (n: number): Uint8Array => Uint8Array.of(0x00, 0x21, n & 0xff, (n >> 8) & 0xff, 0x5a);
    // In sync first.
    for (let n = 0; n < 10; n++) assert.equal(hex(decryptOne(r, encryptOne(s, payloadOf(n))) as Uint8Array), hex(payloadOf(n)));
    for (let n = 0; n < burst; n++) encryptOne(s, payloadOf(-1)); // lost
    // What the link does: check each plaintext, markLost() when it is not the datagram sent.
    let recoveredAt = -1;
    for (let n = 0; n < 200 && recoveredAt < 0; n++) {
      const p = payloadOf(10 + n);
      const back = decryptOne(r, encryptOne(s, p));
      if (back instanceof Uint8Array) {
        if (hex(back) === hex(p)) recoveredAt = n;
        else r.markLost();
      }
    }
    assert.ok(recoveredAt >= 0, `recovered after a burst of ${burst}`);
    assert.ok(recoveredAt <= 40, `within ${recoveredAt} packets`);
    // And it stays in sync.
    for (let n = 0; n < 20; n++) assert.equal(hex(decryptOne(r, encryptOne(s, payloadOf(n))) as Uint8Array), hex(payloadOf(n)));
  }
});

test('stateful: loss -> LostSync + Reset-Request; peer flush -> resynchronized, with and without missed flag packets', () => {
  const start = fromHex('00112233445566778899aabbccddeeff');
  for (const [lost, gaps] of [[[5], 1], [[250, 251, 252, 253, 254, 255, 256, 300], 2], [[10, 11], 1], [[4094, 4095, 4096, 4097], 1]] as const) {
    // Packet indices are absolute; 4094..4097 straddle the coherency count wrap (4095 -> 0).
    const total = lost[0] === 4094 ? 4200 : 1000;
    const ch = { s: new MppeSender(start, 128, false), r: new MppeReceiver(start, 128, false) };
    let resets = 0;
    let n = 0;
    let delivered = 0;
    // Bounded: at most `total` packets per scenario.
    for (; n < total; n++) {
      const payload = Uint8Array.of(0x00, 0x21, n & 0xff);
      const frame = encryptOne(ch.s, payload);
      if ((lost as readonly number[]).includes(n)) continue;
      const back = decryptOne(ch.r, frame);
      if (typeof back === 'number') {
        assert.ok(back === MppeDecryptError.LostSync || back === MppeDecryptError.Resynchronizing);
        if (ch.r.resetRequest) {
          assert.equal(back, MppeDecryptError.LostSync);
          resets++;
          ch.s.flush(); // the peer got our Reset-Request
        }
        continue;
      }
      assert.equal(hex(back), hex(payload));
      delivered++;
    }
    assert.equal(resets, gaps, `one Reset-Request per gap for loss ${lost.join(',')}`);
    assert.equal(ch.r.resynchronizing, false);
    assert.ok(delivered >= total - lost.length - gaps, `only the packet after each gap is discarded (${delivered})`);
  }
});

test('stateful: a gap that ends on a flag packet resynchronizes without a Reset-Request', () => {
  const start = fromHex('00112233445566778899aabbccddeeff');
  const s = new MppeSender(start, 56, false);
  const r = new MppeReceiver(start, 56, false);
  for (let n = 0; n < 600; n++) {
    const payload = Uint8Array.of(0x00, 0x21, n & 0xff);
    const frame = encryptOne(s, payload);
    if (n >= 250 && n < 255) continue; // 255 is the flag packet
    const back = decryptOne(r, frame);
    assert.ok(back instanceof Uint8Array, `packet ${n}`);
    assert.equal(hex(back), hex(payload));
  }
  assert.equal(r.stats.resyncs, 1);
});

test('stateful: markLost (garbage plaintext) asks for a reset and waits for a flush', () => {
  const start = fromHex('00112233445566778899aabbccddeeff');
  const s = new MppeSender(start, 128, false);
  const r = new MppeReceiver(start, 128, false);
  const p = Uint8Array.of(0x00, 0x21, 1);
  assert.ok(decryptOne(r, encryptOne(s, p)) instanceof Uint8Array);
  r.markLost();
  assert.equal(r.resetRequest, true);
  assert.equal(decryptOne(r, encryptOne(s, p)), MppeDecryptError.Resynchronizing);
  s.flush();
  assert.equal(hex(decryptOne(r, encryptOne(s, p)) as Uint8Array), hex(p));
});

test('malformed frames: too short, not encrypted, MPPC-compressed, stateless without A; decrypt never throws', () => {
  const start = fromHex('00112233445566778899aabbccddeeff');
  const r = new MppeReceiver(start, 128, true);
  assert.equal(decryptOne(r, Uint8Array.of(0x90)), MppeDecryptError.TooShort);
  assert.equal(decryptOne(r, Uint8Array.of(0x90, 0x00)), MppeDecryptError.TooShort);
  assert.equal(decryptOne(r, Uint8Array.of(0x80, 0x00, 1, 2)), MppeDecryptError.NotEncrypted);
  assert.equal(decryptOne(r, Uint8Array.of(0xb0, 0x00, 1, 2)), MppeDecryptError.Compressed);
  assert.equal(decryptOne(r, Uint8Array.of(0x10, 0x00, 1, 2)), MppeDecryptError.NotFlushed);
  assert.equal(r.decrypt(Uint8Array.of(0x90, 0x00, 1, 2), new Uint8Array(1)), MppeDecryptError.OutputTooSmall);
  fc.assert(
    fc.property(fc.boolean(), fc.uint8Array({ maxLength: 64 }), (stateless, bytes) => {
      const rx = new MppeReceiver(start, 40, stateless);
      const n = rx.decrypt(bytes, new Uint8Array(64));
      return Number.isInteger(n) && n <= Math.max(0, bytes.length - 2);
    }),
    { numRuns: 300 },
  );
});

test('encryptDatagram equals encrypt of protocol+data; decryption in place over the header', () => {
  const start = fromHex('00112233445566778899aabbccddeeff');
  const a = new MppeSender(start, 128, false);
  const b = new MppeSender(start, 128, false);
  const data = IP_PAYLOAD.subarray(2);
  const out1 = new Uint8Array(100);
  const n1 = a.encryptDatagram(0x0021, data, out1, 10);
  const out2 = encryptOne(b, IP_PAYLOAD);
  assert.equal(hex(out1.subarray(10, 10 + n1)), hex(out2));
  const r = new MppeReceiver(start, 128, false);
  const buf = out2.slice();
  const n = r.decrypt(buf, buf, 0);
  assert.equal(hex(buf.subarray(0, n)), hex(IP_PAYLOAD));
  assert.throws(() => a.encrypt(IP_PAYLOAD, new Uint8Array(5)), RangeError);
});

test('start keys: MS-CHAPv2 asymmetric by role, RADIUS keys as given, MS-CHAPv1 symmetric; channels interoperate', () => {
  for (const bits of [40, 56, 128] as const) {
    const s = mppeStartKeys(V2_INPUTS, bits, 'server');
    const c = mppeStartKeys(V2_INPUTS, bits, 'client');
    assert.ok(s && c);
    assert.equal(hex(s.sendStartKey), hex(c.receiveStartKey));
    assert.equal(hex(s.receiveStartKey), hex(c.sendStartKey));
    // RADIUS MS-MPPE-Send-Key/Recv-Key carry the server's 16-octet start keys.
    const full = mppeStartKeys(V2_INPUTS, 128, 'server')!;
    const radius = mppeStartKeys({ sendKey: full.sendStartKey, recvKey: full.receiveStartKey }, bits, 'server');
    assert.equal(hex(radius!.sendStartKey), hex(s.sendStartKey));
    for (const stateless of [true, false]) {
      const server: MppeChannel = new MppeChannel({ bits, stateless, ...radius! });
      const client: MppeChannel = new MppeChannel({ bits, stateless, ...c });
      assert.equal(server.encoding, mppeEncodingName(bits, stateless));
      for (let n = 0; n < 3; n++) {
        const f1 = encryptOne(server.sender, IP_PAYLOAD);
        assert.equal(hex(decryptOne(client.receiver, f1) as Uint8Array), hex(IP_PAYLOAD));
        const f2 = encryptOne(client.sender, IP_PAYLOAD);
        assert.equal(hex(decryptOne(server.receiver, f2) as Uint8Array), hex(IP_PAYLOAD));
      }
    }
  }
  const v1 = { masterKeyInputs: { passwordHashHash: PASSWORD_HASH_HASH, ntResponse: NT_RESPONSE, challenge: fromHex('102db5df085d3041') } };
  const k1 = mppeStartKeys(v1, 128, 'server')!;
  // RFC 3079 2.5.3 start key for these inputs.
  assert.equal(hex(k1.sendStartKey), 'a8947850cfc0acc1d1789fb62ddcddb0');
  assert.equal(hex(k1.receiveStartKey), hex(k1.sendStartKey));
  assert.equal(mppeStartKeys({ sendKey: new Uint8Array(4), recvKey: new Uint8Array(4) }, 128, 'server'), undefined);
  assert.equal(mppeStartKeys({ masterKeyInputs: { passwordHashHash: new Uint8Array(3), ntResponse: NT_RESPONSE } }, 128, 'server'), undefined);
});

test('markLost rolls back a forged flushed packet (stateful) and a far-ahead count (stateless)', () => {
  const start = fromHex('00112233445566778899aabbccddeeff');
  const p = Uint8Array.of(0x00, 0x21, 9, 9);
  // Stateful: a forged in-sequence packet with A set would put our key one change ahead.
  const s = new MppeSender(start, 128, false);
  const r = new MppeReceiver(start, 128, false);
  assert.ok(decryptOne(r, encryptOne(s, p)) instanceof Uint8Array);
  assert.ok(decryptOne(r, Uint8Array.of(0x90, 0x01, 0xaa, 0xbb)) instanceof Uint8Array, 'accepted: MPPE cannot tell');
  r.markLost();
  assert.equal(r.resetRequest, true);
  assert.equal(decryptOne(r, encryptOne(s, p)), MppeDecryptError.Resynchronizing);
  s.flush();
  assert.equal(hex(decryptOne(r, encryptOne(s, p)) as Uint8Array), hex(p));
  // Stateless: a forged count 2000 ahead would make every genuine packet "late".
  const s2 = new MppeSender(start, 128, true);
  const r2 = new MppeReceiver(start, 128, true);
  assert.ok(decryptOne(r2, encryptOne(s2, p)) instanceof Uint8Array);
  assert.ok(decryptOne(r2, Uint8Array.of(0x97, 0xd0, 0xaa, 0xbb)) instanceof Uint8Array);
  r2.markLost();
  assert.equal(r2.resetRequest, false);
  assert.equal(hex(decryptOne(r2, encryptOne(s2, p)) as Uint8Array), hex(p));
});

// ---- stateful resynchronization with a plaintext check ------------------------------------------

/** An IPv4 datagram of 28 octets behind a 2-octet Protocol field; `n` marks it. */
function ipPayloadOf(n: number): Uint8Array {
  const p = IP_PAYLOAD.slice();
  p[p.length - 1] = n & 0xff;
  return p;
}

/** The check the PPP link installs, reduced to IPv4 for the test. */
function ipv4Check(prefix: Uint8Array, length: number): boolean {
  return prefix.length >= 6 && prefix[0] === 0x00 && prefix[1] === 0x21 && prefix[2] === 0x45 && ((prefix[4]! << 8) | prefix[5]!) === length - 2;
}

/**
 * Drives a stateful sender and a receiver with a plaintext check through `total` packets; `lose(n)`
 * drops packet n on the way. Reset-Requests reach the sender unless `loseReset` says otherwise.
 * Returns the packets delivered intact and the receiver.
 */
function statefulRun(total: number, lose: (n: number) => boolean, check = ipv4Check): { delivered: number[]; r: MppeReceiver } {
  const start = fromHex('00112233445566778899aabbccddeeff');
  const s = new MppeSender(start, 128, false);
  const r = new MppeReceiver(start, 128, false, check);
  const delivered: number[] = [];
  let waiting = 0;
  for (let n = 0; n < total; n++) {
    const payload = ipPayloadOf(n);
    const frame = encryptOne(s, payload);
    if (lose(n)) continue;
    const back = decryptOne(r, frame);
    if (typeof back === 'number') {
      // The link sends a Reset-Request at once on a new loss and repeats it while discarding (per
      // Restart interval; here every 20 discarded packets).
      if (r.resetRequest || (r.resynchronizing && ++waiting % 20 === 0)) s.flush();
      continue;
    }
    if (hex(back) === hex(payload)) delivered.push(n);
    else {
      r.markLost();
      if (r.resetRequest) s.flush();
    }
  }
  return { delivered, r };
}

test('stateful: the flushed answer to a Reset-Request is lost too: the receiver finds the extra key change', () => {
  // Packet 10 is lost; 11 shows the gap -> Reset-Request -> the sender flushes its next packet, 12,
  // which is lost as well. Without the search the receiver would stay one key change behind for
  // good (the coherency count cannot tell).
  const { delivered, r } = statefulRun(400, (n) => n === 10 || n === 12);
  assert.ok(delivered.includes(399), 'in sync at the end');
  assert.ok(r.stats.extraKeyChanges >= 1, `extra key changes found: ${r.stats.extraKeyChanges}`);
  assert.ok(delivered.length >= 400 - 30, `delivered ${delivered.length} (one repeat interval of discards)`);
});

test('stateful: a burst longer than the 4096-packet count cycle is recovered (16 flag changes lost beyond the count)', () => {
  const { delivered, r } = statefulRun(6000, (n) => n >= 100 && n < 100 + 4096 + 300);
  assert.ok(delivered.includes(5999), 'in sync at the end');
  assert.ok(r.stats.extraKeyChanges >= 16, `extra key changes: ${r.stats.extraKeyChanges}`);
  assert.equal(r.resynchronizing, false);
});

test('stateful: random loss of 30% (Reset-Requests and their answers lost too) never leaves the receiver stuck', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
      let x = seed;
      const rnd = (): number => {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        return x / 2 ** 32;
      };
      // 30% loss for 1400 packets, then a clean link: the receiver must be back in step (the
      // next repeated Reset-Request's flush is found) and deliver the last packet.
      const { delivered } = statefulRun(1500, (n) => n < 1400 && rnd() < 0.3);
      return delivered.includes(1499);
    }),
    { numRuns: 50 },
  );
});

test('stateful: a forged flushed packet in the discard state is refused (NoKey) and leaves the key chain alone', () => {
  const start = fromHex('00112233445566778899aabbccddeeff');
  const s = new MppeSender(start, 128, false);
  const r = new MppeReceiver(start, 128, false, ipv4Check);
  assert.ok(decryptOne(r, encryptOne(s, ipPayloadOf(0))) instanceof Uint8Array);
  encryptOne(s, ipPayloadOf(1)); // lost
  assert.equal(decryptOne(r, encryptOne(s, ipPayloadOf(2))), MppeDecryptError.LostSync);
  const forged = new Uint8Array(30).fill(0x5a);
  forged[0] = MPPE_FLUSHED | MPPE_ENCRYPTED;
  forged[1] = 3;
  assert.equal(decryptOne(r, forged), MppeDecryptError.NoKey);
  assert.equal(r.resynchronizing, true);
  // Already discarding: no Reset-Request per forged packet (the link repeats them on its timer).
  assert.equal(r.resetRequest, false);
  assert.equal(decryptOne(r, forged), MppeDecryptError.NoKey);
  s.flush();
  assert.equal(hex(decryptOne(r, encryptOne(s, ipPayloadOf(3))) as Uint8Array), hex(ipPayloadOf(3)));
  assert.equal(r.stats.extraKeyChanges, 0);
});
