/** Per-option negotiation tests: each handler through the generic OptionNegotiator. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, hex } from '../core/bytes.js';
import { MemoryLogger } from '../core/log.js';
import { SeededRandom } from '../core/random.js';
import type { PppOption } from '../wire/ppp/frame.js';
import { createIpv6cpNegotiator } from './ipv6cp/ipv6cp.js';
import { createLcpNegotiator } from './lcp/lcp.js';
import { AUTH_NEGOTIATION_FAILED } from './lcp/opt-auth.js';
import { freshNegotiated, type LcpSettings } from './lcp/types.js';
import type { ConfigureReply } from './negotiator.js';

const opt = (type: number, h: string): PppOption => ({ type, data: fromHex(h) });
const show = (r: ConfigureReply) => (r.kind === 'ack' ? 'ack' : `${r.kind} ${r.options.map((o) => `${o.type}:${hex(o.data)}`).join(' ')}`);

function lcpFor(over: Partial<LcpSettings> = {}) {
  const settings: LcpSettings = { role: 'server', mru: 1450, mtu: 1450, authentication: ['pap'], hasCredentials: false, multilink: false, ...over };
  const negotiated = freshNegotiated();
  const n = createLcpNegotiator(settings, negotiated, new SeededRandom(9), new MemoryLogger());
  n.reset();
  return { n, negotiated };
}

test('MRU: bad length rejected, tiny value naked up to 128, acked value recorded', () => {
  const { n, negotiated } = lcpFor();
  assert.equal(show(n.handleRequest([opt(1, '05')], false)), 'reject 1:05');
  assert.equal(show(n.handleRequest([opt(1, '0040')], false)), 'nak 1:0080');
  assert.equal(show(n.handleRequest([opt(1, '0578')], false)), 'ack');
  assert.equal(negotiated.peerMru, 1400);
  assert.equal(show(n.handleRequest([], false)), 'ack');
  assert.equal(negotiated.peerMru, 1500, 'default when the peer leaves MRU out');
});

test('MRU: our request follows a Nak within [128, max-mru]; Reject stops it', () => {
  const { n, negotiated } = lcpFor();
  assert.deepEqual(n.buildRequest().find((o) => o.type === 1)?.data, fromHex('05aa'));
  n.handleNak([opt(1, '0578')]);
  assert.deepEqual(n.buildRequest().find((o) => o.type === 1)?.data, fromHex('0578'));
  n.handleNak([opt(1, '2000')]);
  assert.deepEqual(n.buildRequest().find((o) => o.type === 1)?.data, fromHex('05aa'), 'never above max-mru');
  const req = n.buildRequest();
  n.handleAck(req);
  assert.equal(negotiated.mru, 1450);
  assert.ok(n.handleReject([opt(1, '05aa')]));
  assert.equal(n.buildRequest().find((o) => o.type === 1), undefined);
});

test('ACCM, PFC, ACFC: acked when well-formed, rejected otherwise; PFC/ACFC recorded', () => {
  const { n, negotiated } = lcpFor();
  assert.equal(show(n.handleRequest([opt(2, '00000000'), opt(7, ''), opt(8, '')], false)), 'ack');
  assert.ok(negotiated.peerPfc && negotiated.peerAcfc);
  assert.equal(show(n.handleRequest([opt(2, '0000'), opt(7, '00')], false)), 'reject 2:0000 7:00');
});

test('unknown LCP options (quality protocol, short sequence, 99) are rejected', () => {
  const { n } = lcpFor();
  assert.equal(show(n.handleRequest([opt(4, 'c025000003e8'), opt(18, ''), opt(99, 'ab')], false)), 'reject 4:c025000003e8 18: 99:ab');
});

test('server auth: Nak hint allowed -> switch; all refused -> negotiation failed; Reject -> failed', () => {
  const a = lcpFor({ authentication: ['mschap2', 'chap', 'pap'] });
  assert.equal(hex(a.n.buildRequest().find((o) => o.type === 3)!.data), 'c22381');
  a.n.handleNak([opt(3, 'c22305')]);
  assert.equal(hex(a.n.buildRequest().find((o) => o.type === 3)!.data), 'c22305');
  a.n.handleNak([opt(3, 'c227')]);
  assert.equal(hex(a.n.buildRequest().find((o) => o.type === 3)!.data), 'c023');
  assert.equal(a.n.fatalError(), undefined);
  a.n.handleNak([opt(3, 'c22381')]);
  assert.equal(a.n.fatalError(), AUTH_NEGOTIATION_FAILED, 'mschap2 was already refused');
  const b = lcpFor({ authentication: ['pap'] });
  b.n.buildRequest();
  assert.ok(b.n.handleReject([opt(3, 'c023')]));
  assert.equal(b.n.fatalError(), AUTH_NEGOTIATION_FAILED);
  // The server refuses to authenticate itself to the peer.
  assert.equal(show(b.n.handleRequest([opt(3, 'c023')], false)), 'reject 3:c023');
});

test('client auth: acks an allowed method, Naks toward its preferences, rejects without credentials', () => {
  const c = lcpFor({ role: 'client', authentication: ['mschap2', 'pap'], hasCredentials: true });
  assert.equal(show(c.n.handleRequest([opt(3, 'c227')], false)), 'nak 3:c22381');
  assert.equal(show(c.n.handleRequest([opt(3, 'c22305')], false)), 'nak 3:c023');
  assert.equal(show(c.n.handleRequest([opt(3, 'c023')], false)), 'ack');
  assert.equal(c.negotiated.authMethod, 'pap');
  assert.equal(c.n.buildRequest().find((o) => o.type === 3), undefined, 'a client never asks to authenticate the server');
  const d = lcpFor({ role: 'client', authentication: ['pap'], hasCredentials: false });
  assert.equal(show(d.n.handleRequest([opt(3, 'c023')], false)), 'reject 3:c023');
});

test('Max-Failure: naks become rejects', () => {
  const { n } = lcpFor();
  assert.equal(show(n.handleRequest([opt(1, '0010')], true)), 'reject 1:0010');
});

test('IPV6CP Interface-Identifier: zero and collisions Naked with a fresh nonzero id; others acked', () => {
  const neg = { localId: undefined as Uint8Array | undefined, remoteId: undefined as Uint8Array | undefined };
  const n = createIpv6cpNegotiator(new SeededRandom(4), neg);
  n.reset();
  const ours = n.buildRequest()[0]!.data;
  assert.equal(ours.length, 8);
  assert.notEqual(hex(ours), '0000000000000000');
  const zero = n.handleRequest([opt(1, '0000000000000000')], false);
  assert.equal(zero.kind, 'nak');
  if (zero.kind === 'nak') assert.notEqual(hex(zero.options[0]!.data), '0000000000000000');
  const same = n.handleRequest([{ type: 1, data: ours }], false);
  assert.equal(same.kind, 'nak');
  if (same.kind === 'nak') assert.notEqual(hex(same.options[0]!.data), hex(ours));
  assert.equal(show(n.handleRequest([opt(1, '0011223344556677')], false)), 'ack');
  assert.equal(hex(neg.remoteId!), '0011223344556677');
  assert.equal(show(n.handleRequest([opt(1, '00112233')], false)), 'reject 1:00112233');
  assert.equal(show(n.handleRequest([opt(2, '002d')], false)), 'reject 2:002d', 'IPv6 compression not offered');
  // A Nak suggesting the peer's own id is not adopted.
  n.handleNak([opt(1, '0011223344556677')]);
  assert.notEqual(hex(n.buildRequest()[0]!.data), '0011223344556677');
});
