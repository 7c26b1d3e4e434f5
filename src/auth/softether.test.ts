/**
 * Replays the authentication exchanges of two real captures against our engines:
 * /work/shared/captures/softether-ppp-mschapv2.pcap (frames 21-23) and softether-ppp-pap.pcap
 * (frames 23, 27). SoftEther was the authenticator (name "vm"); the client was pppd with
 * user1 / pass1. Payloads are the PPP Information field after the 0xc223 / 0xc023 protocol.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, fromUtf8, hex } from '../core/bytes.js';
import { MemoryLogger } from '../core/log.js';
import { checkAuthenticatorResponse } from '../crypto/mschap.js';
import { createAuthenticator, createPeer, verifyWithPassword } from './index.js';
import { drain, ScriptedRandom } from './testing.js';

const logger = new MemoryLogger();
const FRAME21_CHALLENGE = fromHex('010200171037f609eca6e7bc6660f77562f7fa1e5c766d');
const FRAME22_RESPONSE = fromHex(
  '0202003b311ce60a968797ae29b8260f144cdb37fe000000000000000023703b322af11cbb5d60a9bbb5d94cb0afa9cc6c27762b41007573657231',
);
const FRAME23_SUCCESS = fromHex('0302002e533d30434134324632383336333239304439303142323844323530364137393746393930333542374141');
const PEER_CHALLENGE = FRAME22_RESPONSE.subarray(5, 21);
const PAP_FRAME23_REQUEST = fromHex('01040010057573657231057061737331');
const PAP_FRAME27_ACK = fromHex('02040004');

test('MS-CHAPv2 peer: answers SoftEther\'s Challenge with exactly the bytes SoftEther accepted, and verifies its Success', () => {
  // Inject the capture's Peer-Challenge so the Response is reproducible.
  const peer = createPeer('mschap2', { user: 'user1', password: 'pass1' }, { random: new ScriptedRandom([PEER_CHALLENGE]), logger });
  peer.start(0);
  peer.handlePacket(5, FRAME21_CHALLENGE);
  const out = drain(peer);
  assert.deepEqual(out.events, []);
  assert.equal(out.tx.length, 1);
  assert.equal(hex(out.tx[0]!), hex(FRAME22_RESPONSE));
  peer.handlePacket(10, FRAME23_SUCCESS);
  const done = drain(peer);
  assert.equal(done.tx.length, 0);
  assert.equal(done.events.length, 1);
  const e = done.events[0];
  assert.ok(e?.type === 'success' && e.user === 'user1' && e.verdict?.ok === true);
  assert.equal(e.verdict.message, 'S=0CA42F28363290D901B28D2506A797F99035B7AA');
  assert.ok(e.verdict.mppe && 'masterKeyInputs' in e.verdict.mppe);
  assert.equal(hex(e.verdict.mppe.masterKeyInputs.ntResponse), hex(FRAME22_RESPONSE.subarray(29, 53)));
  assert.equal(peer.nextTimeout(), undefined);
});

test('SoftEther\'s Success message verifies with checkAuthenticatorResponse on the captured values', () => {
  const ok = checkAuthenticatorResponse(
    'pass1',
    FRAME22_RESPONSE.subarray(29, 53),
    PEER_CHALLENGE,
    FRAME21_CHALLENGE.subarray(5, 21),
    'user1',
    fromUtf8(FRAME23_SUCCESS.subarray(4)),
  );
  assert.equal(ok, true);
  assert.equal(
    checkAuthenticatorResponse('pass2', FRAME22_RESPONSE.subarray(29, 53), PEER_CHALLENGE, FRAME21_CHALLENGE.subarray(5, 21), 'user1', fromUtf8(FRAME23_SUCCESS.subarray(4))),
    false,
  );
});

test('MS-CHAPv2 authenticator in SoftEther\'s place: same Challenge bytes, accepts pppd\'s Response, same S= value', () => {
  const a = createAuthenticator('mschap2', {
    random: new ScriptedRandom([Uint8Array.of(2), FRAME21_CHALLENGE.subarray(5, 21)]),
    logger,
    name: 'vm',
  });
  a.start(0);
  const first = drain(a);
  assert.equal(hex(first.tx[0]!), hex(FRAME21_CHALLENGE));
  a.handlePacket(5, FRAME22_RESPONSE);
  const ev = drain(a).events;
  assert.equal(ev.length, 1);
  assert.ok(ev[0]?.type === 'check' && ev[0].check.method === 'mschap2');
  assert.equal(ev[0].check.user, 'user1');
  a.completeCheck?.(6, verifyWithPassword(ev[0].check, 'pass1'));
  const out = drain(a);
  assert.equal(out.tx.length, 1);
  const success = out.tx[0]!;
  assert.equal(success[0], 3);
  assert.equal(success[1], 2);
  // SoftEther sends no M= part; ours adds " M=Welcome" after the same 42 characters.
  assert.equal(fromUtf8(success.subarray(4, 46)), fromUtf8(FRAME23_SUCCESS.subarray(4)));
  assert.equal(out.events[0]?.type, 'success');
  // The wrong password is refused for the same captured Response.
  const b = createAuthenticator('mschap2', { random: new ScriptedRandom([Uint8Array.of(2), FRAME21_CHALLENGE.subarray(5, 21)]), logger, name: 'vm' });
  b.start(0);
  drain(b);
  b.handlePacket(5, FRAME22_RESPONSE);
  const check = drain(b).events[0];
  assert.ok(check?.type === 'check');
  assert.equal(verifyWithPassword(check.check, 'pass2').ok, false);
});

test('PAP: our peer sends SoftEther\'s frame 23 and accepts its Length=4 Ack (frame 27); our authenticator accepts frame 23', () => {
  const peer = createPeer('pap', { user: 'user1', password: 'pass1' }, { random: new ScriptedRandom([Uint8Array.of(4)]), logger });
  peer.start(0);
  assert.equal(hex(drain(peer).tx[0]!), hex(PAP_FRAME23_REQUEST));
  peer.handlePacket(1, PAP_FRAME27_ACK);
  assert.equal(drain(peer).events[0]?.type, 'success');

  const a = createAuthenticator('pap', { random: new ScriptedRandom(), logger, name: 'vm' });
  a.start(0);
  a.handlePacket(1, PAP_FRAME23_REQUEST);
  const ev = drain(a).events[0];
  assert.ok(ev?.type === 'check');
  assert.deepEqual(ev.check, { method: 'pap', user: 'user1', password: 'pass1' });
  a.completeCheck?.(2, verifyWithPassword(ev.check, 'pass1'));
  const out = drain(a);
  assert.equal(hex(out.tx[0]!), '0204000500');
  assert.equal(out.events[0]?.type, 'success');
});
