import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { fromHex, fromUtf8, hex } from '../core/bytes.js';
import { MemoryLogger } from '../core/log.js';
import { createAuthenticator, createPeer, verifyWithPassword } from './index.js';
import { decodeHeader } from './packet.js';
import { drain, runPair, ScriptedRandom } from './testing.js';
import type { AuthCheck, AuthMethod, AuthVerdict } from './types.js';

const logger = new MemoryLogger();
const chapMethods: AuthMethod[] = ['chap', 'mschap1', 'mschap2'];

const withPassword =
  (password: string) =>
  (check: AuthCheck): AuthVerdict =>
    verifyWithPassword(check, password);

function message(packet: Uint8Array): string {
  const h = decodeHeader(packet);
  assert.ok(h.ok);
  return fromUtf8(h.value.data);
}

// RFC 2759 section 9.2 sample values.
const RFC2759 = {
  user: 'User',
  password: 'clientPass',
  authenticatorChallenge: fromHex('5B5D7C7D7B3F2F3E3C2C602132262628'),
  peerChallenge: fromHex('21402324255E262A28295F2B3A337C7E'),
  ntResponse: '82309ecd8d708b5ea08faa3981cd83544233114a3d85d6df',
  passwordHashHash: '41c00c584bd2d91c4017a2a12fa59f3f',
  authenticatorResponse: 'S=407A5589115FD0D6209F510FE9C04566932CDA56',
};

test('MS-CHAPv2 full conversation reproduces RFC 2759 section 9.2', () => {
  const a = createAuthenticator('mschap2', {
    random: new ScriptedRandom([Uint8Array.of(0x2a), RFC2759.authenticatorChallenge]),
    logger,
    name: 'server',
  });
  const p = createPeer('mschap2', { user: RFC2759.user, password: RFC2759.password }, {
    random: new ScriptedRandom([RFC2759.peerChallenge]),
    logger,
  });
  const r = runPair(a, p, { decide: withPassword(RFC2759.password) });
  const check = r.checks[0];
  assert.ok(check?.method === 'mschap2');
  assert.equal(hex(check.ntResponse), RFC2759.ntResponse);
  assert.equal(check.user, 'User');
  assert.equal(check.flags, 0);
  const success = r.transcript.find((t) => t.packet[0] === 3);
  assert.ok(success);
  assert.equal(success.packet[1], 0x2a);
  assert.equal(message(success.packet), `${RFC2759.authenticatorResponse} M=Welcome`);
  const pe = r.peerEvents[0];
  assert.ok(pe?.type === 'success' && pe.verdict?.ok === true);
  assert.ok(pe.verdict.mppe && 'masterKeyInputs' in pe.verdict.mppe);
  assert.equal(hex(pe.verdict.mppe.masterKeyInputs.passwordHashHash), RFC2759.passwordHashHash);
  assert.equal(hex(pe.verdict.mppe.masterKeyInputs.ntResponse), RFC2759.ntResponse);
  const ae = r.authenticatorEvents.at(-1);
  assert.ok(ae?.type === 'success' && ae.verdict?.ok === true);
  assert.equal(ae.verdict.authenticatorResponse, RFC2759.authenticatorResponse);
  assert.ok(ae.verdict.mppe && 'masterKeyInputs' in ae.verdict.mppe);
  assert.equal(hex(ae.verdict.mppe.masterKeyInputs.passwordHashHash), RFC2759.passwordHashHash);
});

for (const method of chapMethods) {
  test(`${method} pair: right password succeeds on both sides`, () => {
    const a = createAuthenticator(method, { random: new ScriptedRandom([], 1), logger, name: 'MikroTik' });
    const p = createPeer(method, { user: 'user1', password: 'pass1' }, { random: new ScriptedRandom([], 2), logger });
    const r = runPair(a, p, { decide: withPassword('pass1') });
    assert.equal(r.checks.length, 1);
    assert.equal(r.checks[0]?.method, method);
    assert.equal(r.checks[0]?.user, 'user1');
    assert.equal(r.authenticatorEvents.at(-1)?.type, 'success');
    assert.deepEqual(r.peerEvents.map((e) => e.type), ['success']);
    assert.equal(a.nextTimeout(), undefined);
    assert.equal(p.nextTimeout(), undefined);
    // The Challenge carries our Name.
    const challenge = r.transcript[0]!.packet;
    const name = fromUtf8(challenge.subarray(5 + challenge[4]!));
    assert.equal(name, 'MikroTik');
    assert.equal(challenge[4], method === 'mschap1' ? 8 : 16);
  });

  test(`${method} pair: wrong password fails on both sides (no retry by default)`, () => {
    const a = createAuthenticator(method, { random: new ScriptedRandom([], 3), logger, name: 'MikroTik' });
    const p = createPeer(method, { user: 'user1', password: 'wrong' }, { random: new ScriptedRandom([], 4), logger });
    const r = runPair(a, p, { decide: withPassword('pass1') });
    assert.equal(r.checks.length, 1);
    assert.deepEqual(r.authenticatorEvents.at(-1), { type: 'failure', code: 'auth-rejected', message: 'invalid user name or password' });
    assert.equal(r.peerEvents.length, 1);
    assert.equal(r.peerEvents[0]?.type === 'failure' && r.peerEvents[0].code, 'chap-failure');
    const failure = r.transcript.find((t) => t.packet[0] === 4);
    assert.ok(failure);
    const text = message(failure.packet);
    if (method === 'mschap2') assert.match(text, /^E=691 R=0 C=[0-9A-F]{32} V=3 M=invalid user name or password$/);
    if (method === 'mschap1') assert.match(text, /^E=691 R=0 C=[0-9A-F]{16} V=2$/);
    if (method === 'chap') assert.equal(text, 'invalid user name or password');
  });
}

test('CHAP-MD5 response is MD5(id || secret || challenge) (RFC 1994 section 2.2)', () => {
  const challenge = fromHex('00112233445566778899aabbccddeeff');
  const p = createPeer('chap', { user: 'bob', password: 'secret' }, { random: new ScriptedRandom(), logger });
  p.start(0);
  p.handlePacket(1, Uint8Array.of(1, 0x37, 0, 4 + 1 + 16 + 2, 16, ...challenge, 0x61, 0x62));
  const { tx } = drain(p);
  assert.equal(tx.length, 1);
  const expected = createHash('md5').update(Uint8Array.of(0x37)).update('secret').update(challenge).digest('hex');
  assert.equal(hex(tx[0]!), '02370018' + '10' + expected + hex(new TextEncoder().encode('bob')));
});

test('MS-CHAPv2 peer ends the session on a wrong or missing authenticator response', () => {
  for (const success of ['S=0000000000000000000000000000000000000000 M=hi', 'M=no S at all', '', 'S=407A5589115FD0D6209F510FE9C04566932CDA56X']) {
    const p = createPeer('mschap2', { user: RFC2759.user, password: RFC2759.password }, {
      random: new ScriptedRandom([RFC2759.peerChallenge]),
      logger,
    });
    p.start(0);
    p.handlePacket(1, Uint8Array.of(1, 9, 0, 21, 16, ...RFC2759.authenticatorChallenge));
    drain(p);
    const body = new TextEncoder().encode(success);
    p.handlePacket(2, Uint8Array.of(3, 9, 0, 4 + body.length, ...body));
    const { events } = drain(p);
    assert.equal(events.length, 1, success);
    assert.ok(events[0]?.type === 'failure');
    assert.equal(events[0].code, 'mschap2-bad-authenticator', success);
    assert.equal(p.nextTimeout(), undefined);
  }
  // Lower-case hex of the right value, no M= part: accepted (SoftEther omits M=).
  const p = createPeer('mschap2', { user: RFC2759.user, password: RFC2759.password }, {
    random: new ScriptedRandom([RFC2759.peerChallenge]),
    logger,
  });
  p.start(0);
  p.handlePacket(1, Uint8Array.of(1, 9, 0, 21, 16, ...RFC2759.authenticatorChallenge));
  drain(p);
  const body = new TextEncoder().encode('S=' + RFC2759.authenticatorResponse.slice(2).toLowerCase());
  p.handlePacket(2, Uint8Array.of(3, 9, 0, 4 + body.length, ...body));
  assert.equal(drain(p).events[0]?.type, 'success');
});

for (const method of ['mschap1', 'mschap2'] as const) {
  test(`${method}: Failure with R=1 -> the peer retries once with the C= challenge and Identifier+1`, () => {
    const a = createAuthenticator(method, { random: new ScriptedRandom([Uint8Array.of(0x10)], 5), logger, name: 'srv', mschapRetries: 1 });
    const p = createPeer(method, { user: 'user1', password: 'pass1' }, { random: new ScriptedRandom([], 6), logger });
    let n = 0;
    // The first decision says no (as if the user mistyped), the retry is checked for real.
    const r = runPair(a, p, { decide: (c) => (n++ === 0 ? { ok: false, message: 'try again' } : verifyWithPassword(c, 'pass1')) });
    assert.equal(r.checks.length, 2);
    const failure = r.transcript.find((t) => t.packet[0] === 4);
    assert.ok(failure);
    assert.equal(failure.packet[1], 0x10);
    const text = message(failure.packet);
    const hexLen = method === 'mschap2' ? 32 : 16;
    const c = new RegExp(`^E=691 R=1 C=([0-9A-F]{${hexLen}}) V=${method === 'mschap2' ? 3 : 2}`).exec(text);
    assert.ok(c, text);
    const second = r.checks[1]!;
    const secondChallenge = second.method === 'mschap2' ? second.authenticatorChallenge : second.method === 'mschap1' ? second.challenge : undefined;
    assert.equal(hex(secondChallenge!).toUpperCase(), c[1]);
    const responses = r.transcript.filter((t) => t.direction === 'toAuthenticator');
    assert.deepEqual(responses.map((t) => t.packet[1]), [0x10, 0x11]);
    const success = r.transcript.find((t) => t.packet[0] === 3);
    assert.equal(success?.packet[1], 0x11);
    assert.deepEqual(r.peerEvents.map((e) => e.type), ['success']);
    assert.equal(r.authenticatorEvents.at(-1)?.type, 'success');
  });

  test(`${method}: with R=1 but still the wrong password the peer gives up after one retry`, () => {
    const a = createAuthenticator(method, { random: new ScriptedRandom([], 8), logger, name: 'srv', mschapRetries: 5 });
    const p = createPeer(method, { user: 'user1', password: 'bad' }, { random: new ScriptedRandom([], 9), logger });
    const r = runPair(a, p, { decide: withPassword('pass1'), maxTimeMs: 60_000 });
    assert.equal(r.checks.length, 2);
    assert.deepEqual(r.peerEvents.map((e) => e.type === 'failure' && e.code), ['chap-failure']);
    // The authenticator offered yet another retry and then waited in vain.
    assert.deepEqual(r.authenticatorEvents.at(-1), { type: 'failure', code: 'timeout', message: 'peer did not retry after MS-CHAP Failure R=1' });
  });
}

test('authenticator retransmits the Challenge with a new Identifier and gives up after maxRetries', () => {
  const a = createAuthenticator('chap', { random: new ScriptedRandom([Uint8Array.of(0xfe)]), logger, name: 'x', restartMs: 500, maxRetries: 3 });
  a.start(0);
  const ids: number[] = [];
  const values = new Set<string>();
  let events: ReturnType<typeof drain>['events'] = [];
  for (let i = 0; i < 10; i++) {
    const d = drain(a);
    for (const t of d.tx) {
      ids.push(t[1]!);
      values.add(hex(t.subarray(5, 21)));
    }
    events = events.concat(d.events);
    const next = a.nextTimeout();
    if (next === undefined) break;
    assert.equal(next, 500 * (i + 1));
    a.handleTimeout(next);
  }
  assert.deepEqual(ids, [0xfe, 0xff, 0x00]);
  assert.equal(values.size, 3);
  assert.deepEqual(events, [{ type: 'failure', code: 'timeout', message: 'no CHAP Response after 3 Challenges' }]);
});

test('peer waiting for a Challenge times out on the virtual clock', () => {
  const p = createPeer('mschap2', { user: 'u', password: 'p' }, { random: new ScriptedRandom(), logger });
  p.start(1000);
  let last = 0;
  for (let i = 0; i < 20 && p.nextTimeout() !== undefined; i++) {
    last = p.nextTimeout()!;
    p.handleTimeout(last);
  }
  assert.equal(last, 1000 + 10 * 3000);
  assert.deepEqual(drain(p), { tx: [], events: [{ type: 'failure', code: 'timeout', message: 'no CHAP Challenge received' }] });
});

test('lost Challenge, lost Response and lost Success are all recovered', () => {
  for (const method of chapMethods) {
    const a = createAuthenticator(method, { random: new ScriptedRandom([], 11), logger, name: 'n' });
    const p = createPeer(method, { user: 'user1', password: 'pass1' }, { random: new ScriptedRandom([], 12), logger });
    // toPeer: Challenge #0 lost, Challenge #1 delivered, Success lost once; toAuthenticator: first Response lost.
    const r = runPair(a, p, {
      decide: withPassword('pass1'),
      drop: (dir, n, packet) => (dir === 'toPeer' && (n === 0 || (packet[0] === 3 && n === 2))) || (dir === 'toAuthenticator' && n === 0),
    });
    assert.deepEqual(r.peerEvents.map((e) => e.type), ['success'], method);
    assert.equal(r.authenticatorEvents.filter((e) => e.type === 'success').length, 1, method);
    assert.equal(r.checks.length, 1, method);
  }
});

test('a repeated Response after Success gets the same Success; a verdict for nothing is ignored', () => {
  const a = createAuthenticator('chap', { random: new ScriptedRandom([Uint8Array.of(5)]), logger, name: 'n' });
  const p = createPeer('chap', { user: 'user1', password: 'pass1' }, { random: new ScriptedRandom(), logger });
  a.start(0);
  p.start(0);
  p.handlePacket(0, drain(a).tx[0]!);
  const response = drain(p).tx[0]!;
  a.handlePacket(0, response);
  const check = drain(a).events[0];
  assert.ok(check?.type === 'check');
  a.completeCheck?.(0, verifyWithPassword(check.check, 'pass1'));
  const first = drain(a);
  assert.equal(first.tx[0]?.[0], 3);
  a.handlePacket(1, response);
  const again = drain(a);
  assert.deepEqual(again.tx, first.tx);
  assert.deepEqual(again.events, []);
  a.completeCheck?.(2, { ok: false, message: 'late' });
  assert.deepEqual(drain(a), { tx: [], events: [] });
});

test('an MS-CHAPv2 accept verdict without S= is turned into a Failure, not a bare Success', () => {
  const a = createAuthenticator('mschap2', { random: new ScriptedRandom(), logger, name: 'n' });
  const p = createPeer('mschap2', { user: 'user1', password: 'pass1' }, { random: new ScriptedRandom(), logger });
  const r = runPair(a, p, { decide: () => ({ ok: true, user: 'user1' }) });
  assert.equal(r.authenticatorEvents.at(-1)?.type === 'failure' && r.authenticatorEvents.at(-1)?.type, 'failure');
  assert.equal(r.peerEvents[0]?.type, 'failure');
});

test('MS-CHAPv1 conversation carries the RFC 2433 appendix B NT-Response (password "MyPw")', () => {
  const a = createAuthenticator('mschap1', { random: new ScriptedRandom([Uint8Array.of(1), fromHex('102DB5DF085D3041')]), logger, name: 's' });
  const p = createPeer('mschap1', { user: 'User', password: 'MyPw' }, { random: new ScriptedRandom(), logger });
  const r = runPair(a, p, { decide: withPassword('MyPw') });
  const check = r.checks[0];
  assert.ok(check?.method === 'mschap1');
  assert.equal(hex(check.ntResponse), '4e9d3c8f9cfd385d5bf4d3246791956ca4c351ab409a3d61');
  assert.equal(hex(check.lmResponse), '00'.repeat(24));
  assert.equal(check.useNt, true);
  const response = r.transcript.find((t) => t.packet[0] === 2)!.packet;
  assert.equal(response[4], 49);
  assert.equal(response[4 + 49], 1); // Flags: use NT
  const pe = r.peerEvents[0];
  assert.ok(pe?.type === 'success' && pe.verdict?.ok === true && pe.verdict.mppe && 'masterKeyInputs' in pe.verdict.mppe);
  assert.equal(hex(pe.verdict.mppe.masterKeyInputs.challenge!), '102db5df085d3041');
  const ae = r.authenticatorEvents.at(-1);
  assert.ok(ae?.type === 'success' && ae.verdict?.ok === true && ae.verdict.mppe && 'masterKeyInputs' in ae.verdict.mppe);
  assert.deepEqual(ae.verdict.mppe.masterKeyInputs, pe.verdict.mppe.masterKeyInputs);
});
