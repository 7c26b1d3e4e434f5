import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { fromHex, fromUtf8, hex, utf8 } from '../../core/bytes.js';
import { unhideUserPassword, verifyResponseAuthenticator, verifyMessageAuthenticator, verifyAccountingRequest } from '../../crypto/radius-crypto.js';
import { ATTRIBUTES, RadiusCode, VENDOR_MICROSOFT, VENDOR_MIKROTIK, attributeByCode, attributeByName } from './dictionary.js';
import {
  attribute,
  decodePacket,
  encodePacket,
  findAll,
  formatPacket,
  getAllValues,
  getInteger,
  getOctets,
  getText,
  getValue,
  type RadiusPacket,
} from './packet.js';

const h = (s: string): Uint8Array => fromHex(s.replace(/\s+/g, ''));

// RFC 2865 section 7.1: secret "xyzzy5461", user "nemo", password "arctangent".
const RFC2865_SECRET = utf8('xyzzy5461');
const RFC2865_REQUEST = h(`01 00 00 38 0f 40 3f 94 73 97 80 57 bd 83 d5 cb
  98 f4 22 7a 01 06 6e 65 6d 6f 02 12 0d be 70 8d
  93 d4 13 ce 31 96 e4 3f 78 2a 0a ee 04 06 c0 a8
  01 10 05 06 00 00 00 03`);
const RFC2865_ACCEPT = h(`02 00 00 26 86 fe 22 0e 76 24 ba 2a 10 05 f6 bf
  9b 55 e0 b2 06 06 00 00 00 01 0f 06 00 00 00 00
  0e 06 c0 a8 01 03`);
// FreeRADIUS radclient packets (secret testing123), as in src/crypto/radius-crypto.test.ts.
const FR_SECRET = utf8('testing123');
const FR_CHAP_REQUEST = h(`01800041a855ceb7bc306ea3bb3e687ee9eea79e0108666c6f70737903135309ef2b0655d6c362
  a3f36db5faeace105012ebc861c9c276d21b5a6da3dcfbae0fac`);
const FR_ACCT_REQUEST = h(`046f002b8ad1687f91b602041d61c58617f5b516010775736572312806000000012c0a3831303030303031`);

function decodeOk(b: Uint8Array): RadiusPacket {
  const r = decodePacket(b);
  assert.ok(r.ok, r.ok ? '' : r.message);
  return r.packet;
}

test('dictionary: names and (vendor, type) pairs are unique; lookups agree', () => {
  const names = new Set<string>();
  const codes = new Set<string>();
  for (const d of ATTRIBUTES) {
    assert.ok(!names.has(d.name.toLowerCase()), d.name);
    names.add(d.name.toLowerCase());
    const k = `${d.vendor ?? 0}/${d.type}`;
    assert.ok(!codes.has(k), k);
    codes.add(k);
    assert.equal(attributeByCode(d.vendor, d.type), d);
    assert.equal(attributeByName(d.name.toUpperCase()), d);
  }
  // The attributes the brief names, at their RFC numbers.
  const expect: Array<[string, number | undefined, number]> = [
    ['Acct-Input-Gigawords', undefined, 52], ['Acct-Output-Gigawords', undefined, 53], ['Event-Timestamp', undefined, 55],
    ['Message-Authenticator', undefined, 80], ['Acct-Interim-Interval', undefined, 85], ['Error-Cause', undefined, 101],
    ['MS-CHAP-Response', 311, 1], ['MS-CHAP-Error', 311, 2], ['MS-MPPE-Encryption-Policy', 311, 7],
    ['MS-MPPE-Encryption-Types', 311, 8], ['MS-CHAP-Challenge', 311, 11], ['MS-MPPE-Send-Key', 311, 16],
    ['MS-MPPE-Recv-Key', 311, 17], ['MS-CHAP2-Response', 311, 25], ['MS-CHAP2-Success', 311, 26],
    ['MS-Primary-DNS-Server', 311, 28], ['MS-Secondary-DNS-Server', 311, 29], ['Mikrotik-Group', 14988, 3],
    ['Mikrotik-Rate-Limit', 14988, 8], ['Mikrotik-Address-List', 14988, 19],
  ];
  for (const [name, vendor, type] of expect) {
    const d = attributeByName(name);
    assert.ok(d, name);
    assert.equal(d.vendor, vendor, name);
    assert.equal(d.type, type, name);
  }
});

test('RFC 2865 7.1 Access-Request decodes, re-encodes byte for byte, and the password unhides', () => {
  const p = decodeOk(RFC2865_REQUEST);
  assert.equal(p.code, RadiusCode.AccessRequest);
  assert.equal(p.identifier, 0);
  assert.equal(getText(p, 'User-Name'), 'nemo');
  assert.equal(getValue(p, 'NAS-IP-Address'), '192.168.1.16');
  assert.equal(getInteger(p, 'NAS-Port'), 3);
  const hidden = getOctets(p, 'User-Password');
  assert.ok(hidden);
  const pw = unhideUserPassword(hidden, RFC2865_SECRET, p.authenticator);
  assert.ok(pw.ok);
  assert.equal(fromUtf8(pw.value), 'arctangent');
  assert.equal(hex(encodePacket(p)), hex(RFC2865_REQUEST));
  assert.match(formatPacket(p), /User-Password = <hidden>/);
});

test('RFC 2865 7.1 Access-Accept decodes with named values and verifies through the codec', () => {
  const p = decodeOk(RFC2865_ACCEPT);
  assert.equal(p.code, RadiusCode.AccessAccept);
  assert.equal(getInteger(p, 'Service-Type'), 1);
  assert.equal(getValue(p, 'Login-IP-Host'), '192.168.1.3');
  assert.match(formatPacket(p), /Access-Accept id=0\n {2}Service-Type = Login/);
  const req = decodeOk(RFC2865_REQUEST);
  assert.ok(verifyResponseAuthenticator(encodePacket(p), req.authenticator, RFC2865_SECRET));
  // Same packet built from typed values.
  const built = encodePacket({
    code: RadiusCode.AccessAccept,
    identifier: 0,
    authenticator: p.authenticator,
    attributes: [attribute('Service-Type', 'Login'), attribute('Login-Service', 0), attribute('Login-IP-Host', '192.168.1.3')],
  });
  assert.equal(hex(built), hex(RFC2865_ACCEPT));
});

test('FreeRADIUS packets: CHAP request with Message-Authenticator and an Accounting-Request', () => {
  const chap = decodeOk(FR_CHAP_REQUEST);
  assert.equal(getText(chap, 'User-Name'), 'flopsy');
  assert.equal(getOctets(chap, 'CHAP-Password')?.length, 17);
  assert.equal(getOctets(chap, 'Message-Authenticator')?.length, 16);
  const again = encodePacket(chap);
  assert.equal(hex(again), hex(FR_CHAP_REQUEST));
  assert.ok(verifyMessageAuthenticator(again, FR_SECRET));
  const acct = decodeOk(FR_ACCT_REQUEST);
  assert.equal(getInteger(acct, 'Acct-Status-Type'), 1);
  assert.equal(getText(acct, 'Acct-Session-Id'), '81000001');
  assert.ok(verifyAccountingRequest(encodePacket(acct), FR_SECRET));
});

test('vendor attributes: Microsoft and MikroTik round trip, several sub-attributes in one VSA split', () => {
  const p: RadiusPacket = {
    code: RadiusCode.AccessAccept,
    identifier: 7,
    authenticator: new Uint8Array(16),
    attributes: [
      attribute('Mikrotik-Rate-Limit', '2M/4M'),
      attribute('Mikrotik-Address-List', 'vpn-users'),
      attribute('MS-Primary-DNS-Server', '10.0.0.53'),
      attribute('Framed-Route', '192.168.50.0/24 0.0.0.0 1'),
      attribute('Framed-Route', '192.168.51.0/24'),
    ],
  };
  const bytes = encodePacket(p);
  // 26, len, 00 00 3a 8c (14988), type 8, len
  assert.equal(hex(bytes.subarray(20, 33)), '1a0d00003a8c0807' + hex(utf8('2M/4M')));
  const back = decodeOk(bytes);
  assert.deepEqual(back.attributes, p.attributes);
  assert.equal(getText(back, 'Mikrotik-Rate-Limit'), '2M/4M');
  assert.deepEqual(getAllValues(back, 'Framed-Route'), ['192.168.50.0/24 0.0.0.0 1', '192.168.51.0/24']);
  // Two Microsoft sub-attributes packed in one Vendor-Specific attribute.
  const vsa = h(`1a 12 00 00 01 37 1c 06 0a 00 00 35 1d 06 0a 00 00 36`);
  const packed = new Uint8Array(20 + vsa.length);
  packed.set([2, 1, 0, packed.length]);
  packed.set(vsa, 20);
  const two = decodeOk(packed);
  assert.equal(two.attributes.length, 2);
  assert.equal(two.attributes[0]?.vendor, VENDOR_MICROSOFT);
  assert.equal(getValue(two, 'MS-Secondary-DNS-Server'), '10.0.0.54');
  // A vendor string that is not sub-attributes stays one raw attribute 26.
  const odd = h(`1a 08 00 00 3a 8c ff 09`);
  const oddPacket = new Uint8Array(20 + odd.length);
  oddPacket.set([2, 1, 0, oddPacket.length]);
  oddPacket.set(odd, 20);
  const raw = decodeOk(oddPacket);
  assert.equal(raw.attributes[0]?.type, 26);
  assert.equal(raw.attributes[0]?.vendor, undefined);
  assert.equal(findAll(raw, 'Mikrotik-Rate-Limit').length, 0);
  assert.equal(VENDOR_MIKROTIK, 14988);
});

test('bad packets are error values with stable codes', () => {
  const cases: Array<[string, Uint8Array, string]> = [
    ['short header', new Uint8Array(19), 'RADIUS_TRUNCATED'],
    ['length below 20', h(`02 01 00 13 ${'00'.repeat(16)}`), 'RADIUS_BAD_LENGTH'],
    ['length above 4096', h(`02 01 10 01 ${'00'.repeat(16)}`), 'RADIUS_BAD_LENGTH'],
    ['shorter than Length', RFC2865_ACCEPT.subarray(0, 37), 'RADIUS_TRUNCATED'],
    ['attribute length 1', h(`02 01 00 16 ${'00'.repeat(16)} 06 01`), 'RADIUS_BAD_ATTRIBUTE'],
    ['attribute overruns', h(`02 01 00 17 ${'00'.repeat(16)} 06 06 00`), 'RADIUS_BAD_ATTRIBUTE'],
    ['lone type octet', h(`02 01 00 15 ${'00'.repeat(16)} 06`), 'RADIUS_BAD_ATTRIBUTE'],
  ];
  for (const [what, bytes, code] of cases) {
    const r = decodePacket(bytes);
    assert.equal(r.ok, false, what);
    if (!r.ok) assert.equal(r.code, code, what);
  }
  // RFC 2865 section 3: octets beyond Length are padding and ignored.
  const padded = new Uint8Array(RFC2865_ACCEPT.length + 5);
  padded.set(RFC2865_ACCEPT);
  assert.equal(hex(encodePacket(decodeOk(padded))), hex(RFC2865_ACCEPT));
});

test('encoding refuses values over the RFC limits (our own bug, RangeError)', () => {
  assert.throws(() => attribute('No-Such-Attribute', 1), RangeError);
  assert.throws(() => attribute('NAS-Port', -1), RangeError);
  assert.throws(() => attribute('Framed-IP-Address', '10.0.0.256'), RangeError);
  assert.throws(
    () => encodePacket({ code: 1, identifier: 0, authenticator: new Uint8Array(16), attributes: [{ type: 1, value: new Uint8Array(254) }] }),
    RangeError,
  );
  const many = Array.from({ length: 20 }, () => ({ type: 25, value: new Uint8Array(253) }));
  assert.throws(() => encodePacket({ code: 1, identifier: 0, authenticator: new Uint8Array(16), attributes: many }), RangeError);
});

test('property: decodePacket never throws; decode -> encode -> decode is stable', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const r = decodePacket(bytes);
      if (!r.ok) return;
      const again = decodePacket(encodePacket(r.packet));
      assert.ok(again.ok);
      assert.deepEqual(again.packet, r.packet);
      formatPacket(r.packet);
    }),
    { numRuns: 3000 },
  );
  // Structured inputs reach the attribute loop far more often than random octets.
  const attr = fc.tuple(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 40 }));
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 255 }), fc.array(attr, { maxLength: 8 }), fc.integer({ min: -3, max: 3 }), (code, attrs, skew) => {
      const body = attrs.flatMap(([t, v]) => [t, v.length + 2, ...v]).map((x) => x & 0xff);
      const bytes = new Uint8Array(20 + body.length);
      const len = Math.max(0, bytes.length + skew);
      bytes.set([code, 1, len >> 8, len & 0xff]);
      bytes.set(body, 20);
      const r = decodePacket(bytes);
      if (r.ok) formatPacket(r.packet);
    }),
    { numRuns: 3000 },
  );
});
