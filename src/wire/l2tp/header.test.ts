import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { fromHex, hex } from '../../core/bytes.js';
import { readUdpDatagrams, vectorPath } from '../../testing/pcap.js';
import { dataHeaderLength, decodeHeader, decodeHeaderInto, emptyHeader, encodeData, encodeDataHeader, isControlPlane, type DataHeaderOptions } from './header.js';

test('golden: data messages from softether-ppp-pap.pcap (SoftEther sets L, the lab LAC does not)', () => {
  const udp = readUdpDatagrams(readFileSync(vectorPath('softether-ppp-pap.pcap')));
  const frame = (n: number) => udp.find((u) => u.frame === n)!.payload;
  // Frame 11: LAC -> LNS LCP ConfReq, header 0002 0001 0001 (no L, no S).
  const lac = decodeHeader(frame(11));
  assert.ok(lac.ok);
  assert.deepEqual(
    { ...lac.header },
    {
      isControl: false, hasLength: false, hasSequence: false, hasOffset: false, priority: false, version: 2,
      length: 24, tunnelId: 1, sessionId: 1, ns: undefined, nr: undefined, payloadOffset: 6, payloadEnd: 24,
    },
  );
  assert.equal(hex(frame(11).subarray(6, 10)), 'ff03c021');
  // Frame 12: LNS -> LAC with the L bit: 4002 <len> 4609 5554.
  const lns = decodeHeader(frame(12));
  assert.ok(lns.ok);
  assert.equal(lns.header.hasLength, true);
  assert.equal(lns.header.tunnelId, 17929);
  assert.equal(lns.header.sessionId, 21844);
  assert.equal(lns.header.payloadOffset, 8);
  assert.equal(lns.header.payloadEnd, lns.header.length);
  // Re-encoding the same header options reproduces both datagrams byte for byte.
  for (const n of [11, 12]) {
    const bytes = frame(n);
    const h = decodeHeader(bytes);
    assert.ok(h.ok);
    const again = encodeData(
      { tunnelId: h.header.tunnelId, sessionId: h.header.sessionId, length: h.header.hasLength },
      bytes.subarray(h.header.payloadOffset, h.header.payloadEnd),
    );
    assert.equal(hex(again), hex(bytes));
  }
});

test('control header: T L S required, Ns/Nr read, trailing bytes beyond Length ignored', () => {
  const zlb = fromHex('c802000c00010002000300040000');
  const r = decodeHeader(zlb);
  assert.ok(r.ok);
  assert.deepEqual(
    [r.header.isControl, r.header.length, r.header.tunnelId, r.header.sessionId, r.header.ns, r.header.nr, r.header.payloadOffset, r.header.payloadEnd],
    [true, 12, 1, 2, 3, 4, 12, 12],
  );
  const noSeq = decodeHeader(fromHex('c002000c0001000200030004'));
  assert.equal(noSeq.ok ? '' : noSeq.error.code, 'L2TP_BAD_CONTROL_HEADER');
  const noLen = decodeHeader(fromHex('8802000100020003000400'));
  assert.equal(noLen.ok ? '' : noLen.error.code, 'L2TP_BAD_CONTROL_HEADER');
});

test('header errors carry stable codes and action ignore', () => {
  const cases: Array<[string, string]> = [
    ['', 'L2TP_TRUNCATED'],
    ['c80200', 'L2TP_TRUNCATED'],
    ['c802000c00010002', 'L2TP_TRUNCATED'],
    ['c803000c0001000200030004', 'L2TP_BAD_VERSION'],
    ['c801000c0001000200030004', 'L2TP_BAD_VERSION'],
    ['c802000d0001000200030004', 'L2TP_BAD_LENGTH'],
    ['c80200080001000200030004', 'L2TP_BAD_LENGTH'],
    ['0202000100010004aabb', 'L2TP_BAD_LENGTH'],
  ];
  for (const [h, code] of cases) {
    const r = decodeHeader(fromHex(h));
    assert.equal(r.ok, false, h);
    if (!r.ok) {
      assert.equal(r.error.code, code, h);
      assert.equal(r.error.action, 'ignore');
    }
  }
  const v3 = decodeHeader(fromHex('c803000c0001000200030004'));
  assert.ok(!v3.ok && /L2TPv3/.test(v3.error.message));
});

test('data header with offset and priority; encodeDataHeader reuses a buffer', () => {
  const opts: DataHeaderOptions = { tunnelId: 7, sessionId: 9, length: true, sequence: { ns: 1, nr: 2 }, offset: 3, priority: true };
  const out = new Uint8Array(64).fill(0xee);
  const n = encodeDataHeader(out, opts, 5);
  assert.equal(n, dataHeaderLength(opts));
  assert.equal(n, 2 + 2 + 4 + 4 + 2 + 3);
  assert.equal(hex(out.subarray(0, n)), '4b02' + '0016' + '00070009' + '00010002' + '0003' + '000000');
  out.set([1, 2, 3, 4, 5], n);
  const r = decodeHeader(out.subarray(0, n + 5));
  assert.ok(r.ok);
  assert.deepEqual(
    [r.header.priority, r.header.hasOffset, r.header.ns, r.header.nr, r.header.payloadOffset, r.header.payloadEnd],
    [true, true, 1, 2, n, n + 5],
  );
  assert.throws(() => encodeDataHeader(new Uint8Array(4), opts, 0), RangeError);
});

const headerOptions = fc.record(
  {
    tunnelId: fc.integer({ min: 0, max: 0xffff }),
    sessionId: fc.integer({ min: 0, max: 0xffff }),
    length: fc.boolean(),
    sequence: fc.record({ ns: fc.integer({ min: 0, max: 0xffff }), nr: fc.integer({ min: 0, max: 0xffff }) }),
    offset: fc.integer({ min: 0, max: 20 }),
    priority: fc.boolean(),
  },
  { requiredKeys: ['tunnelId', 'sessionId'] },
);

test('property: decodeHeader(encodeData(opts, payload)) gives back opts and the payload offsets', () => {
  fc.assert(
    fc.property(headerOptions, fc.uint8Array({ maxLength: 64 }), (opts, payload) => {
      const bytes = encodeData(opts, payload);
      const r = decodeHeader(bytes);
      assert.ok(r.ok);
      const h = r.header;
      assert.equal(h.isControl, false);
      assert.equal(h.tunnelId, opts.tunnelId);
      assert.equal(h.sessionId, opts.sessionId);
      assert.equal(h.hasLength, opts.length === true);
      assert.equal(h.priority, opts.priority === true);
      assert.equal(h.ns, opts.sequence?.ns);
      assert.equal(h.nr, opts.sequence?.nr);
      assert.equal(h.hasOffset, opts.offset !== undefined);
      assert.deepEqual(bytes.subarray(h.payloadOffset, h.payloadEnd), payload);
    }),
  );
});

test('property: decodeHeader never throws and keeps offsets inside the buffer', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
      const r = decodeHeader(bytes);
      if (r.ok) {
        assert.ok(0 <= r.header.payloadOffset && r.header.payloadOffset <= r.header.payloadEnd && r.header.payloadEnd <= bytes.length);
      }
    }),
    { numRuns: 2000 },
  );
  // Biased towards version 2 so the deeper checks run.
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), fc.integer({ min: 0, max: 0xff }), (rest, hi) => {
      const bytes = Uint8Array.from([hi, 0x02, ...rest]);
      const r = decodeHeader(bytes);
      if (r.ok) assert.ok(r.header.payloadOffset <= r.header.payloadEnd && r.header.payloadEnd <= bytes.length);
    }),
    { numRuns: 2000 },
  );
});

test('isControlPlane: control messages, P bit and PPP control frames yes; IP and MPPE datagrams no', () => {
  const data = (flags: number, ppp: number[], extra: number[] = []): Uint8Array => new Uint8Array([flags >> 8, flags & 0xff, ...extra, 0, 1, 0, 2, ...ppp]);
  assert.equal(isControlPlane(new Uint8Array([0xc8, 0x02, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0])), true); // SCCRQ-like
  assert.equal(isControlPlane(data(0x4002, [0xff, 0x03, 0x00, 0x21, 0x45], [0, 13])), false); // IPv4, L bit
  assert.equal(isControlPlane(data(0x0002, [0x21, 0x45])), false); // ACFC + PFC IPv4
  assert.equal(isControlPlane(data(0x0002, [0xff, 0x03, 0x00, 0xfd, 0x90, 0x01])), false); // MPPE
  assert.equal(isControlPlane(data(0x0002, [0xff, 0x03, 0x00, 0x57])), false); // IPv6
  assert.equal(isControlPlane(data(0x0002, [0xff, 0x03, 0xc0, 0x21, 0x09])), true); // LCP echo
  assert.equal(isControlPlane(data(0x0102, [0xff, 0x03, 0x00, 0x21])), true); // P bit
  assert.equal(isControlPlane(new Uint8Array([0x08, 0x02, 0, 1, 0, 2, 0, 0, 0, 0, 0xff, 0x03, 0x00, 0x21])), false); // S bit, IPv4
  assert.equal(isControlPlane(new Uint8Array([0x02, 0x02, 0, 1, 0, 2, 0, 2, 0xaa, 0xbb, 0x00, 0x21])), false); // O bit with 2 pad, PFC-less IPv4
  assert.equal(isControlPlane(new Uint8Array([0x02, 0x02, 0, 1, 0, 2, 0, 9])), true); // offset beyond the end
  assert.equal(isControlPlane(new Uint8Array([0x00])), true);
});

test('decodeHeaderInto: one scratch header reused across datagrams keeps no stale field', () => {
  const h = emptyHeader();
  const payload = new Uint8Array([0xff, 0x03, 0x00, 0x21, 0x45]);
  const full = encodeData({ tunnelId: 7, sessionId: 9, length: true, sequence: { ns: 3, nr: 4 }, offset: 2, priority: true }, payload);
  assert.equal(decodeHeaderInto(full, h), undefined);
  assert.deepEqual({ ...h }, { ...(decodeHeader(full) as { ok: true; header: object }).header });
  assert.equal(h.ns, 3);
  assert.equal(h.priority, true);
  const bare = encodeData({ tunnelId: 1, sessionId: 2 }, payload);
  assert.equal(decodeHeaderInto(bare, h), undefined);
  assert.deepEqual(
    { ...h },
    { isControl: false, hasLength: false, hasSequence: false, hasOffset: false, priority: false, version: 2, length: bare.length, tunnelId: 1, sessionId: 2, ns: undefined, nr: undefined, payloadOffset: 6, payloadEnd: bare.length },
  );
  assert.deepEqual([...bare.subarray(h.payloadOffset, h.payloadEnd)], [...payload]);
  // Errors are returned, not thrown, and a bad Length still names the ids it read.
  const bad = encodeData({ tunnelId: 5, sessionId: 6, length: true }, payload);
  bad[3] = 200;
  const err = decodeHeaderInto(bad, h);
  assert.equal(err?.code, 'L2TP_BAD_LENGTH');
  assert.equal(err?.tunnelId, 5);
  assert.equal(decodeHeaderInto(new Uint8Array(3), h)?.code, 'L2TP_TRUNCATED');
});
