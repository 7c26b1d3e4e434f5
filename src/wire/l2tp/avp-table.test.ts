import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AVP_TABLE, avpDef, describeMessage, MESSAGE_RULES, messageRule, missingAvps } from './avp-table.js';
import { AvpType, MessageType } from './constants.js';

const avpTypes = Object.values(AvpType).filter((v): v is AvpType => typeof v === 'number');
const messageTypes = Object.values(MessageType).filter((v): v is MessageType => typeof v === 'number');

test('one row per RFC 2661 4.4 AVP (0..39 without the reserved 20), in type order, keys unique', () => {
  assert.equal(AVP_TABLE.length, 39);
  assert.deepEqual(AVP_TABLE.map((d) => d.type), avpTypes);
  assert.equal(avpDef(20), undefined);
  const keys = AVP_TABLE.map((d) => d.key).filter((k) => k !== undefined);
  assert.equal(new Set(keys).size, keys.length);
  for (const d of AVP_TABLE) assert.ok(d.minLength <= d.maxLength, d.name);
});

test('table transcribes the RFC M and hiding rules for the AVPs engines depend on', () => {
  const row = (t: AvpType) => avpDef(t)!;
  for (const t of [AvpType.MessageType, AvpType.ResultCode, AvpType.ProtocolVersion, AvpType.HostName, AvpType.ReceiveWindowSize, AvpType.Challenge, AvpType.RandomVector, AvpType.TieBreaker, AvpType.SequencingRequired]) {
    assert.equal(row(t).mayBeHidden, false, row(t).name);
  }
  for (const t of [AvpType.ChallengeResponse, AvpType.AssignedTunnelId, AvpType.AssignedSessionId, AvpType.CallSerialNumber, AvpType.ProxyAuthenName]) {
    assert.equal(row(t).mayBeHidden, true, row(t).name);
  }
  for (const t of [AvpType.TieBreaker, AvpType.FirmwareRevision, AvpType.VendorName, AvpType.PhysicalChannelId, AvpType.ProxyAuthenType, AvpType.PrivateGroupId, AvpType.RxConnectSpeed]) {
    assert.equal(row(t).mandatory, 'clear', row(t).name);
  }
  assert.equal(row(AvpType.Accm).kind, 'accm');
  assert.equal(row(AvpType.CallErrors).minLength, 26);
});

test('section 6 rules: every message type has one, with scope and required AVPs', () => {
  assert.deepEqual(Object.keys(MESSAGE_RULES).map(Number), messageTypes);
  assert.deepEqual(MESSAGE_RULES[MessageType.SCCRQ].required, [AvpType.MessageType, AvpType.ProtocolVersion, AvpType.HostName, AvpType.FramingCapabilities, AvpType.AssignedTunnelId]);
  for (const t of [MessageType.SCCRQ, MessageType.SCCRP, MessageType.SCCCN, MessageType.StopCCN, MessageType.HELLO]) assert.equal(MESSAGE_RULES[t].scope, 'tunnel');
  for (const t of [MessageType.ICRQ, MessageType.ICRP, MessageType.ICCN, MessageType.OCRQ, MessageType.OCRP, MessageType.OCCN, MessageType.CDN, MessageType.WEN, MessageType.SLI]) {
    assert.equal(MESSAGE_RULES[t].scope, 'session');
  }
  for (const r of Object.values(MESSAGE_RULES)) assert.ok(r.optional.includes(AvpType.RandomVector));
  assert.equal(messageRule(5), undefined);
  assert.equal(messageRule(0), undefined);
  assert.deepEqual(missingAvps(MessageType.CDN, { assignedSessionId: 1 }), [AvpType.ResultCode]);
  assert.deepEqual(missingAvps(MessageType.HELLO, {}), []);
});

test('describeMessage: one line, AVPs in table order, unknown AVPs and ZLB', () => {
  assert.equal(
    describeMessage({
      tunnelId: 0, sessionId: 0, ns: 0, nr: 0, type: MessageType.SCCRQ,
      avps: { hostName: 'x', protocolVersion: { version: 1, revision: 0 }, framingCapabilities: 3, assignedTunnelId: 7, challenge: Uint8Array.of(0xab), sequencingRequired: false },
      unknown: [{ vendorId: 311, type: 5, mandatory: false, hidden: true, value: Uint8Array.of(1) }],
    }),
    'SCCRQ tid=0 sid=0 ns=0 nr=0 protocol-version=1.0 framing-capabilities=0x3 host-name="x" assigned-tunnel-id=7 challenge=ab avp(311:5,H)=01',
  );
  assert.equal(describeMessage({ tunnelId: 3, sessionId: 0, ns: 1, nr: 2, type: undefined, avps: {}, unknown: [] }), 'ZLB tid=3 sid=0 ns=1 nr=2');
  assert.equal(
    describeMessage({ tunnelId: 3, sessionId: 4, ns: 1, nr: 2, type: MessageType.CDN, avps: { resultCode: { result: 2, error: 8, message: 'm' }, assignedSessionId: 9 }, unknown: [] }),
    'CDN tid=3 sid=4 ns=1 nr=2 result-code=2/8 "m" assigned-session-id=9',
  );
});
