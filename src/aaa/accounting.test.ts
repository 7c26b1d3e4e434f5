import { test } from 'node:test';
import assert from 'node:assert/strict';

import { fromUtf8, utf8 } from '../core/bytes.js';
import { SeededRandom } from '../core/random.js';
import type { Instant } from '../core/time.js';
import { RadiusTwin } from '../testing/radius-twin.js';
import { getAllValues, getInteger, getText, type RadiusPacket } from '../wire/radius/packet.js';
import { Accounting, terminateCause, type AccountingSession, type SessionEndReason, type TrafficCounters } from './accounting.js';
import { RadiusClient, type RadiusServer } from './radius-client.js';

const S1: RadiusServer = { address: '10.0.0.1', secret: 'testing123', authenticationPort: 1812, accountingPort: 1813, timeoutMs: 500 };
const S2: RadiusServer = { address: '10.0.0.2', secret: 'testing123', authenticationPort: 1812, accountingPort: 1813, timeoutMs: 500 };

const SESSION: AccountingSession = {
  acctSessionId: '81000001',
  user: 'alice',
  nasPort: 3,
  callingStationId: '192.0.2.10',
  calledStationId: '192.0.2.1',
  framedIpAddress: '10.5.0.9',
  classes: [utf8('gold'), utf8('tier-2')],
  authentic: 'RADIUS',
  interimUpdateMs: 60_000,
};

interface World {
  now: Instant;
  client: RadiusClient;
  acct: Accounting;
  twins: Map<string, RadiusTwin>;
  counters: Map<string, TrafficCounters>;
}

function world(servers = [S1, S2], opts: { maxQueue?: number } = {}): World {
  const client = new RadiusClient({ random: new SeededRandom(3), nas: { nasIdentifier: 'MikroTik' }, servers });
  const counters = new Map<string, TrafficCounters>();
  const acct = new Accounting({
    transport: client,
    nasIdentifier: 'MikroTik',
    nasIpAddress: '192.0.2.1',
    readCounters: (id) => counters.get(id),
    unixSeconds: (now) => 1_700_000_000 + now / 1000,
    ...(opts.maxQueue !== undefined ? { maxQueue: opts.maxQueue } : {}),
  });
  const twins = new Map(servers.map((s) => [s.address, new RadiusTwin({ secret: s.secret, users: {} })] as const));
  return { now: 0, client, acct, twins, counters };
}

/** Runs both engines on a virtual clock until `until` (bounded). */
function runUntil(w: World, until: Instant): void {
  for (let steps = 0; steps < 100_000; steps++) {
    let progressed = false;
    for (let d = w.client.pollTransmit(); d; d = w.client.pollTransmit()) {
      progressed = true;
      const reply = w.twins.get(d.to.ip)?.handle(d.bytes);
      if (reply) w.client.handleDatagram(w.now, d.to, reply);
    }
    for (let e = w.client.pollEvent(); e; e = w.client.pollEvent()) {
      progressed = true;
      if (e.type === 'accounting') w.acct.handleTransportResult(w.now, e.token, e.delivered);
    }
    if (progressed) continue;
    const next = [w.client.nextTimeout(), w.acct.nextTimeout()].filter((t): t is number => t !== undefined);
    const t = next.length > 0 ? Math.min(...next) : undefined;
    if (t === undefined || t > until) {
      w.now = until;
      return;
    }
    w.now = Math.max(w.now, t);
    w.client.handleTimeout(w.now);
    w.acct.handleTimeout(w.now);
  }
  assert.fail('did not settle');
}

const status = (p: RadiusPacket): number | undefined => getInteger(p, 'Acct-Status-Type');

test('Start, Interim-Update every interval and Stop, with gigawords, Class echo and terminate cause', () => {
  const w = world();
  w.acct.start(0, SESSION);
  w.counters.set(SESSION.acctSessionId, { inputOctets: 1000, outputOctets: 2000, inputPackets: 10, outputPackets: 20 });
  runUntil(w, 61_000);
  w.counters.set(SESSION.acctSessionId, { inputOctets: 5_000_000_000, outputOctets: 2 ** 32 + 7, inputPackets: 11, outputPackets: 21 });
  runUntil(w, 121_000);
  w.acct.stop(w.now, SESSION.acctSessionId, { inputOctets: 5_000_000_100, outputOctets: 2 ** 32 + 9, inputPackets: 12, outputPackets: 22 }, 'admin-reset');
  runUntil(w, 200_000);
  const recs = w.twins.get('10.0.0.1')!.accountingRecords;
  assert.deepEqual(recs.map(status), [1, 3, 3, 2]);
  const [start, interim1, interim2, stop] = recs as [RadiusPacket, RadiusPacket, RadiusPacket, RadiusPacket];
  for (const r of recs) {
    assert.equal(getText(r, 'Acct-Session-Id'), '81000001');
    assert.equal(getText(r, 'User-Name'), 'alice');
    assert.equal(getInteger(r, 'NAS-Port-Type'), 5);
    assert.equal(getText(r, 'Calling-Station-Id'), '192.0.2.10');
    assert.deepEqual(getAllValues(r, 'Class').map((c) => fromUtf8(c as Uint8Array)), ['gold', 'tier-2']);
    assert.equal(getInteger(r, 'Acct-Authentic'), 1);
    assert.equal(getInteger(r, 'Acct-Delay-Time'), 0);
  }
  assert.equal(getInteger(start, 'Acct-Session-Time'), undefined);
  assert.equal(getInteger(start, 'Event-Timestamp'), 1_700_000_000);
  assert.equal(getInteger(interim1, 'Acct-Session-Time'), 60);
  assert.equal(getInteger(interim1, 'Acct-Input-Octets'), 1000);
  assert.equal(getInteger(interim1, 'Acct-Input-Gigawords'), 0);
  assert.equal(getInteger(interim2, 'Acct-Input-Octets'), 5_000_000_000 - 2 ** 32);
  assert.equal(getInteger(interim2, 'Acct-Input-Gigawords'), 1);
  assert.equal(getInteger(interim2, 'Acct-Output-Octets'), 7);
  assert.equal(getInteger(interim2, 'Acct-Output-Gigawords'), 1);
  assert.equal(getInteger(stop, 'Acct-Terminate-Cause'), 6, 'Admin-Reset');
  assert.equal(getInteger(stop, 'Acct-Input-Packets'), 12);
  assert.equal(getInteger(stop, 'Acct-Output-Packets'), 22);
  assert.equal(getInteger(stop, 'Acct-Session-Time'), 121);
  assert.equal(w.acct.nextTimeout(), undefined, 'no interim after Stop');
  assert.deepEqual(w.acct.counters(), { queued: 0, inFlight: 0, delivered: 4, dropped: 0, failures: 0 });
});

test('outage: records wait, are retried with backoff and delivered in order once a server is back', () => {
  const w = world();
  for (const t of w.twins.values()) t.down = true;
  w.acct.start(0, { ...SESSION, interimUpdateMs: 0 });
  w.acct.start(10, { ...SESSION, acctSessionId: '81000002', interimUpdateMs: 0 });
  runUntil(w, 20_000);
  w.acct.stop(w.now, '81000001', { inputOctets: 1, outputOctets: 2, inputPackets: 3, outputPackets: 4 }, 'user-request');
  runUntil(w, 60_000);
  const c = w.acct.counters();
  assert.equal(c.delivered, 0);
  assert.equal(c.queued, 3);
  assert.ok(c.failures >= 2);
  // The second server comes back.
  w.twins.get('10.0.0.2')!.down = false;
  runUntil(w, 200_000);
  const recs = w.twins.get('10.0.0.2')!.accountingRecords;
  assert.deepEqual(recs.map((r) => [status(r), getText(r, 'Acct-Session-Id')]), [
    [1, '81000001'],
    [1, '81000002'],
    [2, '81000001'],
  ]);
  // Acct-Delay-Time says how long the record waited (RFC 2866 5.2).
  assert.ok((getInteger(recs[0]!, 'Acct-Delay-Time') ?? 0) >= 60);
  assert.equal(w.acct.counters().queued, 0);
  assert.equal(w.acct.counters().delivered, 3);
});

test('bounded queue: the oldest waiting record is dropped and counted; interim updates coalesce', () => {
  const w = world([S1], { maxQueue: 3 });
  w.twins.get('10.0.0.1')!.down = true;
  for (let i = 0; i < 5; i++) w.acct.start(i, { ...SESSION, acctSessionId: `s${i}`, interimUpdateMs: 0 });
  const c = w.acct.counters();
  assert.equal(c.queued, 3);
  // s0 and s1 (the oldest, cancelled on the wire) made room for s3 and s4.
  assert.equal(c.dropped, 2);
  w.twins.get('10.0.0.1')!.down = false;
  runUntil(w, 100_000);
  assert.deepEqual(w.twins.get('10.0.0.1')!.accountingRecords.map((r) => getText(r, 'Acct-Session-Id')), ['s2', 's3', 's4']);

  const w2 = world([S1]);
  w2.twins.get('10.0.0.1')!.down = true;
  w2.acct.start(0, { ...SESSION, interimUpdateMs: 1000 });
  runUntil(w2, 30_000);
  // Start (stuck) plus at most one waiting Interim-Update, whatever the number of intervals.
  assert.ok(w2.acct.counters().queued <= 2, `queued ${w2.acct.counters().queued}`);
  w2.twins.get('10.0.0.1')!.down = false;
  runUntil(w2, 60_000);
  const st = w2.twins.get('10.0.0.1')!.accountingRecords.map(status);
  assert.equal(st[0], 1);
  assert.ok(st.filter((s) => s === 3).length < 40);
});

test('terminate cause mapping (RFC 2866 5.10)', () => {
  const table: Array<[SessionEndReason, number]> = [
    ['user-request', 1], ['lost-carrier', 2], ['lost-service', 3], ['idle-timeout', 4], ['session-timeout', 5],
    ['admin-reset', 6], ['admin-reboot', 7], ['port-error', 8], ['nas-error', 9], ['nas-request', 10],
    ['service-unavailable', 15], ['user-error', 17], ['host-request', 18],
  ];
  for (const [reason, code] of table) assert.equal(terminateCause(reason), code, reason);
});

test('setInterimInterval (CoA Acct-Interim-Interval): the next Interim-Update one new interval from now; 0 stops them', () => {
  const w = world([S1]);
  w.acct.start(0, { ...SESSION, interimUpdateMs: 0 });
  runUntil(w, 10_000);
  assert.equal(w.acct.nextTimeout(), undefined);
  assert.equal(w.acct.setInterimInterval(w.now, SESSION.acctSessionId, 5_000), true);
  assert.equal(w.acct.nextTimeout(), 15_000);
  runUntil(w, 26_000);
  assert.equal(w.acct.setInterimInterval(w.now, SESSION.acctSessionId, 0), true);
  runUntil(w, 60_000);
  assert.deepEqual(w.twins.get('10.0.0.1')!.accountingRecords.map(status), [1, 3, 3, 3], 'at 15, 20 and 25 s, then none');
  assert.equal(w.acct.setInterimInterval(w.now, 'no-such-session', 5_000), false);
});
