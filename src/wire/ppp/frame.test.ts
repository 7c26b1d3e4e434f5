import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromHex, hex } from '../../core/bytes.js';
import {
  ControlCode,
  PppProtocol,
  decodeControl,
  decodeFrame,
  decodeOptions,
  encodeControl,
  encodeFrame,
  encodeOptions,
  isValidProtocol,
  protocolName,
} from './frame.js';

// SoftEther's LCP ConfReq from captures/softether-ppp-pap.pcap frame 12 (PPP part of the L2TP data).
const SOFTETHER_CONFREQ_EAP = 'ff03c021010000080304c227';
// Our client's LCP ConfReq, frame 11: <mru 1400> <magic 656f7fc2>.
const CLIENT_CONFREQ = 'ff03c0210102000e010405780506656f7fc2';

test('decodes a captured LCP frame with FF 03 and a 2-octet protocol', () => {
  const f = decodeFrame(fromHex(SOFTETHER_CONFREQ_EAP));
  assert.ok(f.ok);
  assert.equal(f.value.protocol, PppProtocol.LCP);
  assert.equal(f.value.addressControlCompressed, false);
  assert.equal(f.value.protocolCompressed, false);
  const c = decodeControl(f.value.information);
  assert.ok(c.ok);
  assert.equal(c.value.code, ControlCode.ConfigureRequest);
  assert.equal(c.value.id, 0);
  const o = decodeOptions(c.value.data);
  assert.ok(o.ok);
  assert.deepEqual(
    o.value.map((x) => [x.type, hex(x.data)]),
    [[3, 'c227']],
  );
});

test('round-trips the captured client ConfReq byte for byte', () => {
  const f = decodeFrame(fromHex(CLIENT_CONFREQ));
  assert.ok(f.ok);
  const c = decodeControl(f.value.information);
  assert.ok(c.ok);
  const o = decodeOptions(c.value.data);
  assert.ok(o.ok);
  const again = encodeFrame(f.value.protocol, encodeControl({ code: c.value.code, id: c.value.id, data: encodeOptions(o.value) }));
  assert.equal(hex(again), CLIENT_CONFREQ);
});

test('ACFC and PFC: compressed headers decode; encoder honours the flags', () => {
  const f = decodeFrame(fromHex('21450000'));
  assert.ok(f.ok);
  assert.equal(f.value.protocol, PppProtocol.IPV4);
  assert.equal(f.value.addressControlCompressed, true);
  assert.equal(f.value.protocolCompressed, true);
  assert.equal(hex(f.value.information), '450000');
  const g = decodeFrame(fromHex('c02101'));
  assert.ok(g.ok);
  assert.equal(g.value.protocol, PppProtocol.LCP);
  assert.equal(g.value.addressControlCompressed, true);
  assert.equal(hex(encodeFrame(0x21, fromHex('45'), { addressControlCompressed: true, protocolCompressed: true })), '2145');
  assert.equal(hex(encodeFrame(0xc021, fromHex('01'), { protocolCompressed: true })), 'ff03c02101');
  assert.equal(hex(encodeFrame(0x57, fromHex('60'))), 'ff03005760');
});

test('frame errors: empty, FF without 03, truncated protocol', () => {
  for (const [h, code] of [
    ['', 'PPP_FRAME_TOO_SHORT'],
    ['ff', 'PPP_BAD_ADDRESS_CONTROL'],
    ['ff04c021', 'PPP_BAD_ADDRESS_CONTROL'],
    ['ff03', 'PPP_FRAME_TOO_SHORT'],
    ['ff03c0', 'PPP_FRAME_TOO_SHORT'],
    ['80', 'PPP_FRAME_TOO_SHORT'],
  ] as const) {
    const r = decodeFrame(fromHex(h));
    assert.equal(r.ok, false, h);
    if (!r.ok) assert.equal(r.error.code, code, h);
  }
});

test('control packet: Length bounds data, padding ignored, lying lengths rejected', () => {
  const p = decodeControl(fromHex('0201000600010000ffff'));
  assert.ok(p.ok);
  assert.equal(hex(p.value.data), '0001');
  for (const [h, code] of [
    ['010203', 'PPP_CONTROL_TOO_SHORT'],
    ['01020003', 'PPP_CONTROL_LENGTH_SHORT'],
    ['01020009000000', 'PPP_CONTROL_LENGTH_EXCEEDS'],
  ] as const) {
    const r = decodeControl(fromHex(h));
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.code, code);
  }
});

test('options: zero-length, short and overflowing options are errors', () => {
  for (const [h, code] of [
    ['0100', 'PPP_OPTION_LENGTH_SHORT'],
    ['0101', 'PPP_OPTION_LENGTH_SHORT'],
    ['010405', 'PPP_OPTION_LENGTH_EXCEEDS'],
    ['0104057805', 'PPP_OPTION_TRUNCATED'],
  ] as const) {
    const r = decodeOptions(fromHex(h));
    assert.equal(r.ok, false, h);
    if (!r.ok) assert.equal(r.error.code, code, h);
  }
  const ok = decodeOptions(fromHex('07020802'));
  assert.ok(ok.ok);
  assert.deepEqual(
    ok.value.map((o) => o.type),
    [7, 8],
  );
});

test('protocol validity and names', () => {
  assert.ok(isValidProtocol(PppProtocol.LCP));
  assert.ok(isValidProtocol(PppProtocol.IPV4));
  assert.ok(!isValidProtocol(0xc020));
  assert.ok(!isValidProtocol(0x0121));
  assert.equal(protocolName(PppProtocol.IPV6CP), 'IPV6CP');
  assert.equal(protocolName(0x1234), '0x1234');
});

test('property: decoders never throw; decoded control packets and options re-encode exactly', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
      decodeFrame(b);
      const c = decodeControl(b);
      if (c.ok) {
        const again = encodeControl(c.value);
        assert.equal(hex(again), hex(b.subarray(0, again.length)));
      }
      const o = decodeOptions(b);
      if (o.ok) assert.equal(hex(encodeOptions(o.value)), hex(b));
    }),
    { numRuns: 2000 },
  );
});
