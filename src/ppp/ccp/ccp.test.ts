// CCP negotiator with the MPPE option: per-option verdicts, and scripted conversations on the
// shared automaton (Windows' `<mppe +H -M +S -L>`, Windows over IPsec `<mppe +H -M -S -L>`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { hex } from '../../core/bytes.js';
import { MemoryLogger } from '../../core/log.js';
import { ControlCode, decodeControl, decodeOptions, encodeControl, encodeOptions, u32Bytes } from '../../wire/ppp/frame.js';
import { Fsm, type FsmHost } from '../fsm.js';
import { createCcpNegotiator } from './ccp.js';
import { CcpOptionType, MppeBit, ccpSettings, formatMppeBits, freshCcpNegotiated, mppeAgreement, type MppePolicy } from './types.js';

const { H, M, S, L, D, C } = MppeBit;
const mppe = (bits: number) => ({ type: CcpOptionType.MppeMppc, data: u32Bytes(bits >>> 0) });

function negotiator(policy: MppePolicy, keysAvailable = true) {
  const settings = ccpSettings(policy);
  settings.keysAvailable = keysAvailable;
  const negotiated = freshCcpNegotiated();
  const n = createCcpNegotiator(settings, negotiated);
  n.reset();
  return { n, negotiated, settings };
}

test('our request: all allowed lengths, H unless fixed stateful; nothing with use=no or without keys', () => {
  assert.deepEqual(negotiator({ use: 'yes' }).n.buildRequest(), [mppe(H | S | M | L)]);
  assert.deepEqual(negotiator({ use: 'required', keyBits: [128], mode: 'stateful' }).n.buildRequest(), [mppe(S)]);
  assert.deepEqual(negotiator({ use: 'no' }).n.buildRequest(), []);
  assert.deepEqual(negotiator({ use: 'yes' }, false).n.buildRequest(), []);
});

test('peer requests: ack one strongest length with our mode; nak anything else; never C or D', () => {
  const { n } = negotiator({ use: 'yes' });
  assert.deepEqual(n.handleRequest([mppe(H | S)], false), { kind: 'ack' });
  assert.deepEqual(n.handleRequest([mppe(H | S | M | L)], false), { kind: 'nak', options: [mppe(H | S)] });
  assert.deepEqual(n.handleRequest([mppe(S)], false), { kind: 'nak', options: [mppe(H | S)] }, 'mode any starts stateless');
  assert.deepEqual(n.handleRequest([mppe(H | S | C)], false), { kind: 'nak', options: [mppe(H | S)] }, 'MPPC refused');
  assert.deepEqual(n.handleRequest([mppe(H | S | D)], false), { kind: 'nak', options: [mppe(H | S)] });
  assert.deepEqual(n.handleRequest([mppe(H | L)], false), { kind: 'ack' }, 'a 40-bit-only peer gets 40');
  assert.deepEqual(n.handleRequest([mppe(C)], false), { kind: 'nak', options: [mppe(H | S)] }, 'MPPC only: nak toward MPPE');
  assert.deepEqual(n.handleRequest([mppe(H | S | C)], true), { kind: 'reject', options: [mppe(H | S | C)] }, 'Max-Failure');
  assert.deepEqual(n.handleRequest([{ type: 18, data: Uint8Array.of(1, 2) }], false), { kind: 'reject', options: [{ type: 18, data: Uint8Array.of(1, 2) }] });
  assert.deepEqual(n.handleRequest([{ type: 26, data: Uint8Array.of(0x48, 0) }], false).kind, 'reject', 'Deflate unknown');
  const stateful = negotiator({ use: 'yes', keyBits: [128, 40], mode: 'stateful' }).n;
  assert.deepEqual(stateful.handleRequest([mppe(H | S | M | L)], false), { kind: 'nak', options: [mppe(S)] });
  const no = negotiator({ use: 'no' }).n;
  assert.deepEqual(no.handleRequest([mppe(H | S)], false), { kind: 'reject', options: [mppe(H | S)] });
});

test('naks of our request: adopt an allowed length; mode any follows H, fixed modes do not', () => {
  const any = negotiator({ use: 'yes' });
  any.n.buildRequest();
  any.n.handleNak([mppe(M)]);
  assert.deepEqual(any.n.buildRequest(), [mppe(M)]);
  assert.deepEqual(any.n.handleRequest([mppe(M)], false), { kind: 'ack' }, 'now stateful too');
  const fixed = negotiator({ use: 'yes', mode: 'stateless', keyBits: [128] });
  fixed.n.buildRequest();
  fixed.n.handleNak([mppe(S)]);
  assert.deepEqual(fixed.n.buildRequest(), [mppe(H | S)]);
  fixed.n.handleNak([mppe(H | L)]);
  assert.deepEqual(fixed.n.buildRequest(), [mppe(H | S)], '40 not allowed: keep asking 128');
});

test('required: a Reject of MPPE is fatal; yes: it is not', () => {
  const r = negotiator({ use: 'required' });
  r.n.buildRequest();
  assert.equal(r.n.handleReject([mppe(H | S | M | L)]), true);
  assert.match(r.n.fatalError() ?? '', /^encryption required but not negotiated/);
  const y = negotiator({ use: 'yes' });
  y.n.buildRequest();
  y.n.handleReject([mppe(H | S | M | L)]);
  assert.equal(y.n.fatalError(), undefined);
});

test('mppeAgreement: needs both directions, same length, same mode', () => {
  const all = [128, 56, 40] as const;
  assert.deepEqual(mppeAgreement({ ours: H | S | M | L, peers: H | S }, all), { bits: 128, stateless: true });
  assert.deepEqual(mppeAgreement({ ours: L, peers: L }, all), { bits: 40, stateless: false });
  assert.ok('reason' in mppeAgreement({ ours: undefined, peers: H | S }, all));
  assert.ok('reason' in mppeAgreement({ ours: H | S, peers: undefined }, all));
  assert.ok('reason' in mppeAgreement({ ours: H | L, peers: H | S }, all));
  assert.ok('reason' in mppeAgreement({ ours: S, peers: H | S }, all));
  assert.equal(formatMppeBits(H | S), '+H -M +S -L -D -C');
});

test('property: the peer-request verdict never throws and only acks a single length without C/D', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 6 }), fc.constantFrom<MppePolicy['use']>('no', 'yes', 'required'), (data, use) => {
      const { n } = negotiator({ use });
      const r = n.handleRequest([{ type: 18, data }], false);
      if (r.kind !== 'ack') return true;
      const v = ((data[0]! << 24) | (data[1]! << 16) | (data[2]! << 8) | data[3]!) >>> 0;
      const lengths = [S, M, L].filter((b) => (v & b) !== 0).length;
      return data.length === 4 && lengths === 1 && (v & (C | D)) === 0;
    }),
    { numRuns: 500 },
  );
});

/** One CCP automaton (ours) and a scripted peer: returns what we sent for each step. */
function scripted(policy: MppePolicy) {
  const { n, negotiated, settings } = negotiator(policy);
  const sent: Uint8Array[] = [];
  let up = 0;
  const host: FsmHost = { thisLayerUp: () => up++, thisLayerDown: () => {}, thisLayerStarted: () => {}, thisLayerFinished: () => {} };
  const fsm = new Fsm('CCP', host, n, (p) => sent.push(p), new MemoryLogger(), undefined, 0x20);
  return {
    fsm,
    negotiated,
    settings,
    sent,
    get up() {
      return up;
    },
    take() {
      return sent.splice(0).map((p) => {
        const d = decodeControl(p);
        assert.ok(d.ok);
        const o = decodeOptions(d.value.data);
        return { code: d.value.code, id: d.value.id, options: o.ok ? o.value.map((x) => `${x.type}:${hex(x.data)}`) : [] };
      });
    },
  };
}

const windowsRequest = (id: number, bits: number) => encodeControl({ code: ControlCode.ConfigureRequest, id, data: encodeOptions([mppe(bits)]) });

test('Windows <mppe +H -M +S -L>: acked at once; Windows naks ours to +H +S; CCP opens MPPE128 stateless', () => {
  const s = scripted({ use: 'required' });
  s.fsm.open(0);
  s.fsm.up(0);
  assert.deepEqual(s.take(), [{ code: ControlCode.ConfigureRequest, id: 0x20, options: ['18:010000e0'] }]);
  s.fsm.receive(1, windowsRequest(7, H | S));
  assert.deepEqual(s.take(), [{ code: ControlCode.ConfigureAck, id: 7, options: ['18:01000040'] }]);
  // Windows answers our multi-length request with a Nak to the single length it wants.
  s.fsm.receive(2, encodeControl({ code: ControlCode.ConfigureNak, id: 0x20, data: encodeOptions([mppe(H | S)]) }));
  assert.deepEqual(s.take(), [{ code: ControlCode.ConfigureRequest, id: 0x21, options: ['18:01000040'] }]);
  s.fsm.receive(3, encodeControl({ code: ControlCode.ConfigureAck, id: 0x21, data: encodeOptions([mppe(H | S)]) }));
  assert.equal(s.fsm.state, 'Opened');
  assert.equal(s.up, 1);
  assert.deepEqual(mppeAgreement(s.negotiated, s.settings.keyBits), { bits: 128, stateless: true });
});

test('Windows over IPsec <mppe +H -M -S -L>: use=no rejects it (CCP opens empty); use=yes naks toward +H +S', () => {
  const no = scripted({ use: 'no' });
  no.fsm.open(0);
  no.fsm.up(0);
  assert.deepEqual(no.take(), [{ code: ControlCode.ConfigureRequest, id: 0x20, options: [] }]);
  no.fsm.receive(1, windowsRequest(9, H));
  assert.deepEqual(no.take(), [{ code: ControlCode.ConfigureReject, id: 9, options: ['18:01000000'] }]);
  // Windows then asks with no options; we ack; it acks our empty request: CCP Opened, no MPPE.
  no.fsm.receive(2, encodeControl({ code: ControlCode.ConfigureRequest, id: 10, data: new Uint8Array(0) }));
  no.fsm.receive(3, encodeControl({ code: ControlCode.ConfigureAck, id: 0x20, data: new Uint8Array(0) }));
  assert.equal(no.fsm.state, 'Opened');
  assert.ok('reason' in mppeAgreement(no.negotiated, no.settings.keyBits));

  const yes = scripted({ use: 'yes' });
  yes.fsm.open(0);
  yes.fsm.up(0);
  yes.take();
  yes.fsm.receive(1, windowsRequest(9, H));
  assert.deepEqual(yes.take(), [{ code: ControlCode.ConfigureNak, id: 9, options: ['18:01000040'] }]);
});
