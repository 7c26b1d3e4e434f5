import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, hex } from '../core/bytes.js';
import { MemoryLogger } from '../core/log.js';
import { PapAuthenticator, PapPeer } from './pap.js';
import { drain, runPair, ScriptedRandom } from './testing.js';
import type { AuthCheck, AuthVerdict } from './types.js';

const logger = new MemoryLogger();
const decide = (check: AuthCheck): AuthVerdict =>
  check.method === 'pap' && check.user === 'user1' && check.password === 'pass1'
    ? { ok: true, user: 'user1', message: 'welcome' }
    : { ok: false, message: 'bad password' };

test('PAP peer sends the Authenticate-Request SoftEther received (capture softether-ppp-pap.pcap frame 23)', () => {
  // The capture's request carries id 4: inject it as the first random octet.
  const peer = new PapPeer({ user: 'user1', password: 'pass1' }, { random: new ScriptedRandom([Uint8Array.of(4)]), logger });
  peer.start(0);
  const { tx } = drain(peer);
  assert.equal(tx.length, 1);
  assert.equal(hex(tx[0]!), '01040010057573657231057061737331');
});

test('PAP peer accepts SoftEther / RouterOS Ack with Length=4 and no Msg-Length (frame 27)', () => {
  const peer = new PapPeer({ user: 'user1', password: 'pass1' }, { random: new ScriptedRandom([Uint8Array.of(4)]), logger });
  peer.start(0);
  drain(peer);
  peer.handlePacket(10, fromHex('02040004'));
  const { events } = drain(peer);
  assert.deepEqual(events, [{ type: 'success', user: 'user1', verdict: { ok: true, user: 'user1', message: '' } }]);
  // A message octet beyond Length is padding: still success, message from within Length only.
  const peer2 = new PapPeer({ user: 'u', password: 'p' }, { random: new ScriptedRandom([Uint8Array.of(9)]), logger });
  peer2.start(0);
  peer2.handlePacket(1, fromHex('0209000400'));
  assert.equal(drain(peer2).events[0]?.type, 'success');
  assert.equal(peer2.nextTimeout(), undefined);
});

test('PAP pair: right password succeeds on both sides', () => {
  const a = new PapAuthenticator({ random: new ScriptedRandom(), logger });
  const p = new PapPeer({ user: 'user1', password: 'pass1' }, { random: new ScriptedRandom(), logger });
  const r = runPair(a, p, { decide });
  assert.deepEqual(r.checks, [{ method: 'pap', user: 'user1', password: 'pass1' }]);
  assert.equal(r.authenticatorEvents.at(-1)?.type, 'success');
  assert.deepEqual(r.peerEvents, [{ type: 'success', user: 'user1', verdict: { ok: true, user: 'user1', message: 'welcome' } }]);
  assert.equal(r.endedAt, 0);
});

test('PAP pair: wrong password gives Nak and failure on both sides', () => {
  const a = new PapAuthenticator({ random: new ScriptedRandom(), logger });
  const p = new PapPeer({ user: 'user1', password: 'nope' }, { random: new ScriptedRandom(), logger });
  const r = runPair(a, p, { decide });
  assert.deepEqual(r.authenticatorEvents.at(-1), { type: 'failure', code: 'auth-rejected', message: 'bad password' });
  assert.deepEqual(r.peerEvents, [{ type: 'failure', code: 'pap-nak', message: 'bad password' }]);
});

test('PAP peer retransmits with a new Identifier and survives lost requests and a lost Ack', () => {
  const a = new PapAuthenticator({ random: new ScriptedRandom(), logger });
  const p = new PapPeer({ user: 'user1', password: 'pass1' }, { random: new ScriptedRandom([Uint8Array.of(0xff)]), logger });
  const r = runPair(a, p, { decide, drop: (dir, n) => (dir === 'toAuthenticator' && n < 2) || (dir === 'toPeer' && n === 0) });
  assert.equal(r.peerEvents.at(-1)?.type, 'success');
  const ids = r.transcript.filter((t) => t.direction === 'toAuthenticator').map((t) => t.packet[1]);
  assert.deepEqual(ids, [0xff, 0x00, 0x01, 0x02]);
  // The Ack to id 1 was lost; the authenticator re-acks id 2.
  assert.deepEqual(
    r.transcript.filter((t) => t.direction === 'toPeer').map((t) => [t.packet[0], t.packet[1]]),
    [
      [2, 1],
      [2, 2],
    ],
  );
  assert.equal(r.endedAt, 9000);
});

test('PAP peer with no answer (SoftEther wrong password) fails with timeout after maxRetries', () => {
  const p = new PapPeer({ user: 'user1', password: 'x' }, { random: new ScriptedRandom(), logger, restartMs: 1000, maxRetries: 4 });
  p.start(0);
  let sent = drain(p).tx.length;
  for (let i = 0; i < 10 && p.nextTimeout() !== undefined; i++) {
    p.handleTimeout(p.nextTimeout()!);
    const d = drain(p);
    sent += d.tx.length;
    if (d.events.length > 0) {
      assert.deepEqual(d.events.map((e) => e.type === 'failure' && e.code), ['timeout']);
      assert.equal(p.nextTimeout(), undefined);
      assert.equal(sent, 4);
      return;
    }
  }
  assert.fail('no timeout');
});

test('PAP authenticator times out waiting for a request; ignores replies and garbage', () => {
  const a = new PapAuthenticator({ random: new ScriptedRandom(), logger, restartMs: 100, maxRetries: 3 });
  a.start(5);
  assert.equal(a.nextTimeout(), 305);
  a.handlePacket(6, fromHex('0201000500'));
  a.handlePacket(6, fromHex('01'));
  a.handlePacket(6, fromHex('0101000603'));
  assert.deepEqual(drain(a), { tx: [], events: [] });
  a.handleTimeout(305);
  assert.deepEqual(drain(a).events, [{ type: 'failure', code: 'timeout', message: 'no PAP Authenticate-Request received' }]);
});
