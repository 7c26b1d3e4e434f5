import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromHex, fromUtf8, hex, utf8 } from '../core/bytes.js';
import {
  CHAP_CHALLENGE,
  CHAP_SUCCESS,
  decodeChapValueData,
  decodeHeader,
  decodeMsChap1ResponseValue,
  decodeMsChap2ResponseValue,
  decodePapReplyMessage,
  decodePapRequestData,
  encodeChapMessage,
  encodeChapValue,
  encodeMsChap2ResponseValue,
  encodePapReply,
  encodePapRequest,
  PAP_AUTHENTICATE_NAK,
} from './packet.js';

// Bytes from /work/shared/captures (PPP payload after the c023 / c223 protocol field).
const CAPTURE_PAP_REQUEST = '01040010057573657231057061737331';
const CAPTURE_MSCHAP2_CHALLENGE = '0102001710' + '37f609eca6e7bc6660f77562f7fa1e5c' + '766d';
const CAPTURE_MSCHAP2_RESPONSE =
  '0202003b31' +
  '1ce60a968797ae29b8260f144cdb37fe' +
  '0000000000000000' +
  '23703b322af11cbb5d60a9bbb5d94cb0afa9cc6c27762b41' +
  '00' +
  '7573657231';

test('PAP Authenticate-Request round trip against the SoftEther capture', () => {
  const h = decodeHeader(fromHex(CAPTURE_PAP_REQUEST));
  assert.ok(h.ok);
  const r = decodePapRequestData(h.value.id, h.value.data);
  assert.ok(r.ok);
  assert.equal(fromUtf8(r.value.peerId), 'user1');
  assert.equal(fromUtf8(r.value.password), 'pass1');
  assert.equal(hex(encodePapRequest(4, utf8('user1'), utf8('pass1'))), CAPTURE_PAP_REQUEST);
});

test('PAP reply message: Length bounds it; Length=4 means no message', () => {
  const nak = encodePapReply(PAP_AUTHENTICATE_NAK, 7, 'no');
  assert.equal(hex(nak), '03070007026e6f');
  const h = decodeHeader(nak);
  assert.ok(h.ok);
  assert.equal(decodePapReplyMessage(h.value.data), 'no');
  const short = decodeHeader(fromHex('0204000441'));
  assert.ok(short.ok);
  assert.equal(decodePapReplyMessage(short.value.data), '');
  // Msg-Length larger than the data is clipped.
  assert.equal(decodePapReplyMessage(fromHex('0941')), 'A');
});

test('CHAP Challenge and MS-CHAPv2 Response decode from the SoftEther capture and re-encode identically', () => {
  const c = decodeHeader(fromHex(CAPTURE_MSCHAP2_CHALLENGE));
  assert.ok(c.ok);
  const cv = decodeChapValueData(c.value.data);
  assert.ok(cv.ok);
  assert.equal(hex(cv.value.value), '37f609eca6e7bc6660f77562f7fa1e5c');
  assert.equal(fromUtf8(cv.value.name), 'vm');
  assert.equal(hex(encodeChapValue(CHAP_CHALLENGE, 2, cv.value.value, cv.value.name)), CAPTURE_MSCHAP2_CHALLENGE);

  const r = decodeHeader(fromHex(CAPTURE_MSCHAP2_RESPONSE));
  assert.ok(r.ok);
  const rv = decodeChapValueData(r.value.data);
  assert.ok(rv.ok);
  assert.equal(fromUtf8(rv.value.name), 'user1');
  const m = decodeMsChap2ResponseValue(rv.value.value);
  assert.ok(m.ok);
  assert.equal(hex(m.value.peerChallenge), '1ce60a968797ae29b8260f144cdb37fe');
  assert.equal(hex(m.value.reserved), '0000000000000000');
  assert.equal(m.value.flags, 0);
  assert.equal(hex(encodeMsChap2ResponseValue(m.value.peerChallenge, m.value.ntResponse)), hex(rv.value.value));
  assert.equal(decodeMsChap1ResponseValue(rv.value.value).ok, true);
});

test('CHAP Success message is bounded by Length', () => {
  const s = encodeChapMessage(CHAP_SUCCESS, 2, 'S=0CA42F28363290D901B28D2506A797F99035B7AA');
  assert.equal(s.length, 46); // as in capture frame 23
  const h = decodeHeader(Uint8Array.of(...s, 0, 0, 0));
  assert.ok(h.ok);
  assert.equal(fromUtf8(h.value.data), 'S=0CA42F28363290D901B28D2506A797F99035B7AA');
});

test('malformed headers and bodies are error values', () => {
  for (const h of ['', '01', '010200', '01020003', '0102000a00']) assert.equal(decodeHeader(fromHex(h)).ok, false, h);
  assert.equal(decodeChapValueData(fromHex('')).ok, false);
  assert.equal(decodeChapValueData(fromHex('00')).ok, false);
  assert.equal(decodeChapValueData(fromHex('0501')).ok, false);
  assert.equal(decodePapRequestData(1, fromHex('05aa')).ok, false);
  assert.equal(decodePapRequestData(1, fromHex('01aa05')).ok, false);
  assert.equal(decodeMsChap2ResponseValue(new Uint8Array(48)).ok, false);
});

test('decoders never throw on arbitrary bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
      const h = decodeHeader(b);
      if (h.ok) {
        decodePapRequestData(h.value.id, h.value.data);
        decodePapReplyMessage(h.value.data);
        const v = decodeChapValueData(h.value.data);
        if (v.ok) {
          decodeMsChap1ResponseValue(v.value.value);
          decodeMsChap2ResponseValue(v.value.value);
        }
      }
      decodeChapValueData(b);
      decodePapRequestData(0, b);
    }),
    { numRuns: 2000 },
  );
});
