import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';

import { utf8 } from '../core/bytes.js';
import { MemoryLogger } from '../core/log.js';
import { signMessageAuthenticator, verifyResponseAuthenticator } from '../crypto/radius-crypto.js';
import { dynamicRequest } from '../testing/radius-twin.js';
import { RadiusCode } from '../wire/radius/dictionary.js';
import { attribute, decodePacket, encodePacket, getInteger, type RadiusAttribute } from '../wire/radius/packet.js';
import { authorizationChangeOf, DynamicAuthorizationServer, type AuthorizationChange, type DynamicSessionInfo } from './coa.js';
import type { RadiusServer } from './radius-client.js';

const SECRET = 'testing123';
const SERVER: RadiusServer = { address: '10.0.0.1', secret: SECRET, authenticationPort: 1812, accountingPort: 1813, timeoutMs: 100 };
const FROM = { ip: '10.0.0.1', port: 40000 };

function setup(sessions: DynamicSessionInfo[], opts: { refuse?: boolean } = {}) {
  const disconnected: string[][] = [];
  const changed: Array<[string, AuthorizationChange]> = [];
  const logger = new MemoryLogger();
  const das = new DynamicAuthorizationServer({
    servers: [SERVER],
    nasIdentifier: 'MikroTik',
    nasIpAddress: '192.0.2.1',
    logger,
    target: {
      sessions: () => sessions,
      disconnect: (_now, ids) => {
        if (opts.refuse) return false;
        disconnected.push([...ids]);
        return true;
      },
      changeAuthorization: (_now, id, auth) => {
        if (opts.refuse) return false;
        changed.push([id, auth]);
        return true;
      },
    },
  });
  return { das, disconnected, changed, logger };
}

const SESSIONS: DynamicSessionInfo[] = [
  { sessionId: '81000001', user: 'alice', framedIpAddress: '10.5.0.9', callingStationId: '192.0.2.10' },
  { sessionId: '81000002', user: 'alice', framedIpAddress: '10.5.0.10', callingStationId: '192.0.2.11' },
  { sessionId: '81000003', user: 'bob', framedIpAddress: '10.5.0.11', callingStationId: '192.0.2.12' },
];

/** Sends a request and returns the decoded reply (code, Error-Cause), checking its authenticator. */
function exchange(das: DynamicAuthorizationServer, request: Uint8Array, secret = SECRET): { code: number; errorCause?: number } | undefined {
  das.handleDatagram(0, FROM, request);
  const out = das.pollTransmit();
  if (!out) return undefined;
  assert.deepEqual(out.to, FROM);
  assert.ok(verifyResponseAuthenticator(out.bytes, request.subarray(4, 20), utf8(secret)), 'Response Authenticator (RFC 5176 3.5)');
  const r = decodePacket(out.bytes);
  assert.ok(r.ok);
  const cause = getInteger(r.packet, 'Error-Cause');
  return { code: r.packet.code, ...(cause !== undefined ? { errorCause: cause } : {}) };
}

const disconnect = (id: number, attrs: RadiusAttribute[]) => dynamicRequest(RadiusCode.DisconnectRequest, id, attrs, SECRET);

test('Disconnect-Request by User-Name disconnects every session of the user (ACK)', () => {
  const { das, disconnected } = setup(SESSIONS);
  assert.deepEqual(exchange(das, disconnect(1, [attribute('User-Name', 'alice')])), { code: RadiusCode.DisconnectAck });
  assert.deepEqual(disconnected, [['81000001', '81000002']]);
});

test('matching: every identification attribute given must match (Acct-Session-Id, Framed-IP-Address, Calling-Station-Id)', () => {
  const rows: Array<[string, RadiusAttribute[], string[] | number]> = [
    ['Acct-Session-Id', [attribute('Acct-Session-Id', '81000003')], ['81000003']],
    ['Framed-IP-Address', [attribute('Framed-IP-Address', '10.5.0.10')], ['81000002']],
    ['Calling-Station-Id', [attribute('Calling-Station-Id', '192.0.2.10')], ['81000001']],
    ['User-Name + Acct-Session-Id', [attribute('User-Name', 'alice'), attribute('Acct-Session-Id', '81000002')], ['81000002']],
    ['conflicting pair', [attribute('User-Name', 'bob'), attribute('Acct-Session-Id', '81000002')], 503],
    ['unknown user', [attribute('User-Name', 'carol')], 503],
    ['no identification attribute', [attribute('Reply-Message', 'bye')], 402],
    ['another NAS', [attribute('NAS-IP-Address', '192.0.2.99'), attribute('User-Name', 'bob')], 403],
    ['another NAS-Identifier', [attribute('NAS-Identifier', 'other'), attribute('User-Name', 'bob')], 403],
    ['our NAS', [attribute('NAS-IP-Address', '192.0.2.1'), attribute('NAS-Identifier', 'MikroTik'), attribute('User-Name', 'bob')], ['81000003']],
  ];
  let id = 10;
  for (const [what, attrs, expect] of rows) {
    const { das, disconnected } = setup(SESSIONS);
    const r = exchange(das, disconnect(id++, attrs));
    if (typeof expect === 'number') {
      assert.deepEqual(r, { code: RadiusCode.DisconnectNak, errorCause: expect }, what);
      assert.deepEqual(disconnected, [], what);
    } else {
      assert.deepEqual(r, { code: RadiusCode.DisconnectAck }, what);
      assert.deepEqual(disconnected, [expect], what);
    }
  }
});

test('CoA-Request changes one session: the new attributes reach the target; ambiguous or refused -> NAK', () => {
  const { das, changed } = setup(SESSIONS);
  const coa = dynamicRequest(
    RadiusCode.CoaRequest,
    7,
    [attribute('Acct-Session-Id', '81000003'), attribute('Mikrotik-Rate-Limit', '5M/5M'), attribute('Session-Timeout', 600)],
    SECRET,
  );
  assert.deepEqual(exchange(das, coa), { code: RadiusCode.CoaAck });
  assert.equal(changed[0]?.[0], '81000003');
  assert.equal(changed[0]?.[1].rateLimit, '5M/5M');
  assert.equal(changed[0]?.[1].sessionTimeout, 600);
  const many = dynamicRequest(RadiusCode.CoaRequest, 8, [attribute('User-Name', 'alice'), attribute('Session-Timeout', 1)], SECRET);
  assert.deepEqual(exchange(das, many), { code: RadiusCode.CoaNak, errorCause: 508 });
  const refusing = setup(SESSIONS, { refuse: true });
  assert.deepEqual(exchange(refusing.das, coa), { code: RadiusCode.CoaNak, errorCause: 506 });
  assert.deepEqual(exchange(refusing.das, disconnect(9, [attribute('User-Name', 'bob')])), { code: RadiusCode.DisconnectNak, errorCause: 504 });
  assert.equal(das.counters().coaAcks, 1);
  assert.equal(das.counters().coaNaks, 1);
});

test('verification: wrong secret, unknown source, tampering, wrong code are dropped silently and counted', () => {
  const { das, disconnected, logger } = setup(SESSIONS);
  const good = disconnect(1, [attribute('User-Name', 'bob')]);
  const wrongSecret = dynamicRequest(RadiusCode.DisconnectRequest, 2, [attribute('User-Name', 'bob')], 'guess');
  const tampered = good.slice();
  tampered[tampered.length - 1]! ^= 1;
  const accessAccept = dynamicRequest(RadiusCode.AccessAccept, 3, [attribute('User-Name', 'bob')], SECRET);
  for (const b of [wrongSecret, tampered, accessAccept, good.subarray(0, 10)]) {
    das.handleDatagram(0, FROM, b);
  }
  das.handleDatagram(0, { ip: '10.0.0.66', port: 1 }, good);
  assert.equal(das.pollTransmit(), undefined);
  assert.equal(das.counters().dropped, 5);
  assert.deepEqual(disconnected, []);
  assert.ok(logger.has(/dropped/));
});

test('Message-Authenticator: verified when present (zeroed-authenticator signing, as FreeRADIUS)', () => {
  const { das, disconnected } = setup(SESSIONS);
  const build = (mac: boolean, tamperMac: boolean): Uint8Array => {
    const bytes = encodePacket({
      code: RadiusCode.DisconnectRequest,
      identifier: 4,
      authenticator: new Uint8Array(16),
      attributes: [attribute('Message-Authenticator', new Uint8Array(16)), attribute('User-Name', 'bob')],
    });
    if (mac) signMessageAuthenticator(bytes, utf8(SECRET));
    if (tamperMac) bytes[22]! ^= 1;
    // Request Authenticator last: it covers the Message-Authenticator value.
    return dynamicRequestFromBytes(bytes);
  };
  das.handleDatagram(0, FROM, build(true, true));
  assert.equal(das.pollTransmit(), undefined);
  assert.deepEqual(exchange(das, build(true, false)), { code: RadiusCode.DisconnectAck });
  assert.deepEqual(disconnected, [['81000003']]);
});

function dynamicRequestFromBytes(bytes: Uint8Array): Uint8Array {
  const p = decodePacket(bytes);
  assert.ok(p.ok);
  // Re-sign with the RFC 5176 3.5 Request Authenticator, keeping the attribute octets as they are.
  const out = dynamicRequest(p.packet.code, p.packet.identifier, p.packet.attributes, SECRET);
  return out;
}

test('a retransmitted request gets the same reply and is not acted on twice', () => {
  const { das, disconnected } = setup(SESSIONS);
  const req = disconnect(5, [attribute('User-Name', 'bob')]);
  das.handleDatagram(0, FROM, req);
  const first = das.pollTransmit()!;
  das.handleDatagram(1000, FROM, req);
  const second = das.pollTransmit()!;
  assert.deepEqual(second.bytes, first.bytes);
  assert.equal(disconnected.length, 1);
  // After the duplicate window the same bytes are a new request (the session is then gone).
  das.handleDatagram(60_000, FROM, req);
  assert.ok(das.pollTransmit());
  assert.equal(disconnected.length, 2);
});

test('property: random datagrams never throw and never act', () => {
  const { das, disconnected, changed } = setup(SESSIONS);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 120 }), (b) => {
      das.handleDatagram(0, FROM, b);
      while (das.pollTransmit()) {
        /* replies only for authentic requests */
      }
    }),
    { numRuns: 2000 },
  );
  assert.deepEqual(disconnected, []);
  assert.deepEqual(changed, []);
});

// ---------------------------------------------------------------------------------------------
// CoA-Request: what may change, and the Error-Cause of what may not (RFC 5176 3.5, 3.6)

const coaRequest = (id: number, attrs: RadiusAttribute[]) => dynamicRequest(RadiusCode.CoaRequest, id, attrs, SECRET);
const packetOf = (attrs: RadiusAttribute[]) => ({ code: RadiusCode.CoaRequest, identifier: 1, authenticator: new Uint8Array(16), attributes: attrs });

test('authorizationChangeOf: each changeable attribute, and only those the request carries', () => {
  const r = authorizationChangeOf(
    packetOf([
      attribute('User-Name', 'bob'),
      attribute('Session-Timeout', 600),
      attribute('Idle-Timeout', 30),
      attribute('Acct-Interim-Interval', 120),
      attribute('Mikrotik-Rate-Limit', '2M/4M 4M/8M 1M/2M 10/10'),
      attribute('Mikrotik-Address-List', 'paying'),
      attribute('Mikrotik-Address-List', 'vip, paying'),
      attribute('Service-Type', 2),
      attribute('Event-Timestamp', 1_700_000_000),
    ]),
  );
  assert.deepEqual(r, {
    ok: true,
    change: { sessionTimeout: 600, idleTimeout: 30, acctInterimInterval: 120, rateLimit: '2M/4M 4M/8M 1M/2M 10/10', addressLists: ['paying', 'vip'] },
  });
  assert.deepEqual(authorizationChangeOf(packetOf([attribute('User-Name', 'bob'), attribute('Mikrotik-Rate-Limit', '1M')])), { ok: true, change: { rateLimit: '1M' } });
  assert.deepEqual(authorizationChangeOf(packetOf([attribute('User-Name', 'bob'), attribute('Mikrotik-Address-List', '')])), { ok: true, change: { addressLists: [] } });
});

test('authorizationChangeOf: unsupported attribute 401, unsupported service 405, invalid value 407', () => {
  const rows: Array<[string, RadiusAttribute[], string]> = [
    ['Filter-Id (we apply no filters by RADIUS)', [attribute('Filter-Id', 'web-only')], 'Unsupported-Attribute'],
    ['Framed-Pool cannot change on a live session', [attribute('Framed-Pool', 'p2')], 'Unsupported-Attribute'],
    ['Mikrotik-Group', [attribute('Mikrotik-Group', 'gold')], 'Unsupported-Attribute'],
    ['an unknown VSA (vendor 9)', [{ type: 1, vendor: 9, value: utf8('x=y') }], 'Unsupported-Attribute'],
    ['an unknown standard attribute', [{ type: 200, value: new Uint8Array([1]) }], 'Unsupported-Attribute'],
    ['Service-Type Authorize-Only (17)', [attribute('Service-Type', 17)], 'Unsupported-Service'],
    ['Service-Type Login', [attribute('Service-Type', 1)], 'Unsupported-Service'],
    ['rate-limit RouterOS would not parse', [attribute('Mikrotik-Rate-Limit', 'fast please')], 'Invalid-Attribute-Value'],
    ['Session-Timeout of 3 octets', [{ type: 27, value: new Uint8Array([0, 0, 1]) }], 'Invalid-Attribute-Value'],
  ];
  for (const [what, attrs, cause] of rows) {
    const r = authorizationChangeOf(packetOf([attribute('User-Name', 'bob'), ...attrs]));
    assert.equal(r.ok, false, what);
    if (!r.ok) assert.equal(r.cause, cause, what);
  }
});

test('CoA-Request: unsupported -> CoA-NAK 401 and nothing applied, even with supported changes beside it', () => {
  const { das, changed } = setup(SESSIONS);
  const req = coaRequest(20, [attribute('Acct-Session-Id', '81000003'), attribute('Session-Timeout', 60), attribute('Filter-Id', 'x')]);
  assert.deepEqual(exchange(das, req), { code: RadiusCode.CoaNak, errorCause: 401 });
  assert.deepEqual(changed, []);
  assert.deepEqual(exchange(das, coaRequest(21, [attribute('Acct-Session-Id', '81000003'), attribute('Service-Type', 17)])), { code: RadiusCode.CoaNak, errorCause: 405 });
  assert.deepEqual(exchange(das, coaRequest(22, [attribute('Acct-Session-Id', '81000003'), attribute('Mikrotik-Rate-Limit', 'x')])), { code: RadiusCode.CoaNak, errorCause: 407 });
  assert.deepEqual(exchange(das, coaRequest(23, [attribute('User-Name', 'carol'), attribute('Mikrotik-Rate-Limit', '1M/1M')])), { code: RadiusCode.CoaNak, errorCause: 503 });
  assert.deepEqual(exchange(das, coaRequest(24, [attribute('Mikrotik-Rate-Limit', '1M/1M')])), { code: RadiusCode.CoaNak, errorCause: 402 });
  assert.deepEqual(changed, []);
  assert.deepEqual(das.counters(), { disconnectRequests: 0, disconnectAcks: 0, disconnectNaks: 0, coaRequests: 5, coaAcks: 0, coaNaks: 5, dropped: 0 });
});

test('CoA-Request by Framed-IP-Address, every changeable attribute handed over whole (ACK)', () => {
  const { das, changed } = setup(SESSIONS);
  const req = coaRequest(30, [
    attribute('Framed-IP-Address', '10.5.0.11'),
    attribute('Session-Timeout', 3600),
    attribute('Idle-Timeout', 300),
    attribute('Acct-Interim-Interval', 60),
    attribute('Mikrotik-Rate-Limit', '1M/2M'),
    attribute('Mikrotik-Address-List', 'throttled'),
  ]);
  assert.deepEqual(exchange(das, req), { code: RadiusCode.CoaAck });
  assert.deepEqual(changed, [['81000003', { sessionTimeout: 3600, idleTimeout: 300, acctInterimInterval: 60, rateLimit: '1M/2M', addressLists: ['throttled'] }]]);
});

test('CoA-NAK bytes from first principles: Error-Cause 401 = 00 00 01 91, Response Authenticator = MD5(reply | Request Authenticator | secret), Proxy-State echoed', () => {
  const { das } = setup(SESSIONS);
  const proxyState = new Uint8Array([0xde, 0xad, 0xbe, 0xef]);
  const req = coaRequest(0x42, [attribute('User-Name', 'bob'), attribute('Proxy-State', proxyState), attribute('NAS-Port', 7)]);
  das.handleDatagram(0, FROM, req);
  const out = das.pollTransmit();
  assert.ok(out);
  const b = out.bytes;
  assert.equal(b[0], RadiusCode.CoaNak); // 45
  assert.equal(b[1], 0x42);
  assert.equal((b[2]! << 8) | b[3]!, b.length);
  // Attributes: Error-Cause (101, length 6, 401) then Proxy-State (33) as received.
  assert.deepEqual([...b.subarray(20, 26)], [101, 6, 0x00, 0x00, 0x01, 0x91]);
  assert.deepEqual([...b.subarray(26)], [33, 6, 0xde, 0xad, 0xbe, 0xef]);
  const expected = createHash('md5')
    .update(b.subarray(0, 4))
    .update(req.subarray(4, 20))
    .update(b.subarray(20))
    .update(SECRET)
    .digest();
  assert.deepEqual([...b.subarray(4, 20)], [...expected]);
  // And the request we sent carries MD5(Code+Id+Length+16 zero octets+Attributes+Secret).
  const zeroed = req.slice();
  zeroed.fill(0, 4, 20);
  assert.deepEqual([...req.subarray(4, 20)], [...createHash('md5').update(zeroed).update(SECRET).digest()]);
});
