import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryLogger } from '../core/log.js';
import { ControlCode, decodeControl, encodeControl, type ControlPacket } from '../wire/ppp/frame.js';
import { FSM_EVENTS, FSM_STATES, Fsm, TRANSITIONS, type FsmEvent, type FsmHost, type FsmState } from './fsm.js';
import type { ConfigureReply, Negotiator } from './negotiator.js';

/**
 * A second, independent transcription of RFC 1661 section 4.1, laid out by state (column) as the
 * RFC prints it, to check every cell of the implementation: state x event -> actions performed
 * (observed through the packets sent and the host callbacks) and next state.
 */
const EXPECTED: Record<FsmState, Record<FsmEvent, string>> = {
  Initial: { Up: '2', Down: '-', Open: 'tls/1', Close: '0', 'TO+': '-', 'TO-': '-', 'RCR+': '-', 'RCR-': '-', RCA: '-', RCN: '-', RTR: '-', RTA: '-', RUC: '-', 'RXJ+': '-', 'RXJ-': '-', RXR: '-' },
  Starting: { Up: 'irc,scr/6', Down: '-', Open: '1', Close: 'tlf/0', 'TO+': '-', 'TO-': '-', 'RCR+': '-', 'RCR-': '-', RCA: '-', RCN: '-', RTR: '-', RTA: '-', RUC: '-', 'RXJ+': '-', 'RXJ-': '-', RXR: '-' },
  Closed: { Up: '-', Down: '0', Open: 'irc,scr/6', Close: '2', 'TO+': '-', 'TO-': '-', 'RCR+': 'sta/2', 'RCR-': 'sta/2', RCA: 'sta/2', RCN: 'sta/2', RTR: 'sta/2', RTA: '2', RUC: 'scj/2', 'RXJ+': '2', 'RXJ-': 'tlf/2', RXR: '2' },
  Stopped: { Up: '-', Down: 'tls/1', Open: '3', Close: '2', 'TO+': '-', 'TO-': '-', 'RCR+': 'irc,scr,sca/8', 'RCR-': 'irc,scr,scn/6', RCA: 'sta/3', RCN: 'sta/3', RTR: 'sta/3', RTA: '3', RUC: 'scj/3', 'RXJ+': '3', 'RXJ-': 'tlf/3', RXR: '3' },
  Closing: { Up: '-', Down: '0', Open: '5', Close: '4', 'TO+': 'str/4', 'TO-': 'tlf/2', 'RCR+': '4', 'RCR-': '4', RCA: '4', RCN: '4', RTR: 'sta/4', RTA: 'tlf/2', RUC: 'scj/4', 'RXJ+': '4', 'RXJ-': 'tlf/2', RXR: '4' },
  Stopping: { Up: '-', Down: '1', Open: '5', Close: '4', 'TO+': 'str/5', 'TO-': 'tlf/3', 'RCR+': '5', 'RCR-': '5', RCA: '5', RCN: '5', RTR: 'sta/5', RTA: 'tlf/3', RUC: 'scj/5', 'RXJ+': '5', 'RXJ-': 'tlf/3', RXR: '5' },
  'Req-Sent': { Up: '-', Down: '1', Open: '6', Close: 'irc,str/4', 'TO+': 'scr/6', 'TO-': 'tlf/3', 'RCR+': 'sca/8', 'RCR-': 'scn/6', RCA: 'irc/7', RCN: 'irc,scr/6', RTR: 'sta/6', RTA: '6', RUC: 'scj/6', 'RXJ+': '6', 'RXJ-': 'tlf/3', RXR: '6' },
  'Ack-Rcvd': { Up: '-', Down: '1', Open: '7', Close: 'irc,str/4', 'TO+': 'scr/6', 'TO-': 'tlf/3', 'RCR+': 'sca,tlu/9', 'RCR-': 'scn/7', RCA: 'scr/6', RCN: 'scr/6', RTR: 'sta/6', RTA: '6', RUC: 'scj/7', 'RXJ+': '6', 'RXJ-': 'tlf/3', RXR: '7' },
  'Ack-Sent': { Up: '-', Down: '1', Open: '8', Close: 'irc,str/4', 'TO+': 'scr/8', 'TO-': 'tlf/3', 'RCR+': 'sca/8', 'RCR-': 'scn/6', RCA: 'irc,tlu/9', RCN: 'irc,scr/8', RTR: 'sta/6', RTA: '8', RUC: 'scj/8', 'RXJ+': '8', 'RXJ-': 'tlf/3', RXR: '8' },
  Opened: { Up: '-', Down: 'tld/1', Open: '9', Close: 'tld,irc,str/4', 'TO+': '-', 'TO-': '-', 'RCR+': 'tld,scr,sca/8', 'RCR-': 'tld,scr,scn/6', RCA: 'tld,scr/6', RCN: 'tld,scr/6', RTR: 'tld,zrc,sta/5', RTA: 'tld,scr/6', RUC: 'scj/9', 'RXJ+': '9', 'RXJ-': 'tld,irc,str/5', RXR: 'ser/9' },
};

const MAX_CONFIGURE = 10;
const MAX_TERMINATE = 2;
const START_COUNTER = 5;

class StubNegotiator implements Negotiator {
  reset(): void {}
  buildRequest() {
    return [{ type: 1, data: Uint8Array.of(5, 0xdc) }];
  }
  handleRequest(): ConfigureReply {
    return { kind: 'ack' };
  }
  handleAck(): void {}
  handleNak(): void {}
  handleReject(): boolean {
    return true;
  }
}

function harness() {
  const observed: string[] = [];
  const host: FsmHost = {
    thisLayerUp: () => observed.push('tlu'),
    thisLayerDown: () => observed.push('tld'),
    thisLayerStarted: () => observed.push('tls'),
    thisLayerFinished: () => observed.push('tlf'),
    sendEchoReply: () => observed.push('ser'),
  };
  const codeToAction = new Map<number, string>([
    [ControlCode.ConfigureRequest, 'scr'],
    [ControlCode.ConfigureAck, 'sca'],
    [ControlCode.ConfigureNak, 'scn'],
    [ControlCode.TerminateRequest, 'str'],
    [ControlCode.TerminateAck, 'sta'],
    [ControlCode.CodeReject, 'scj'],
  ]);
  const sent: ControlPacket[] = [];
  const fsm = new Fsm(
    'TEST',
    host,
    new StubNegotiator(),
    (payload) => {
      const p = decodeControl(payload);
      assert.ok(p.ok);
      sent.push(p.value);
      observed.push(codeToAction.get(p.value.code) ?? `code${p.value.code}`);
    },
    new MemoryLogger(),
    { restartMs: 3000, maxConfigure: MAX_CONFIGURE, maxTerminate: MAX_TERMINATE, maxFailure: 5 },
  );
  return { fsm, observed, sent };
}

function contextFor(event: FsmEvent) {
  const code =
    event === 'RXR'
      ? ControlCode.EchoRequest
      : event === 'RTR'
        ? ControlCode.TerminateRequest
        : event === 'RUC'
          ? 42
          : ControlCode.ConfigureRequest;
  const packet: ControlPacket = { code, id: 0x77, data: new Uint8Array(4) };
  const reply: ConfigureReply = event === 'RCR-' ? { kind: 'nak', options: [{ type: 1, data: Uint8Array.of(5, 0xdc) }] } : { kind: 'ack' };
  return { packet, raw: encodeControl(packet), reply };
}

for (const state of FSM_STATES) {
  for (const event of FSM_EVENTS) {
    const cell = EXPECTED[state][event];
    test(`RFC 1661 4.1 cell: ${state} x ${event} = ${cell}`, () => {
      const { fsm, observed, sent } = harness();
      fsm.setStateForTest(state, START_COUNTER);
      const before = fsm.counters.restart;
      fsm.dispatch(1000, event, contextFor(event));
      if (cell === '-') {
        assert.equal(fsm.state, state, 'impossible event must not change state');
        assert.deepEqual(observed, []);
        assert.equal(TRANSITIONS[state][event], undefined);
        return;
      }
      const [actionText, nextText] = cell.includes('/') ? (cell.split('/') as [string, string]) : ['', cell];
      const expectedActions = actionText === '' ? [] : actionText.split(',');
      assert.equal(fsm.state, FSM_STATES[Number(nextText)], 'next state');
      // irc and zrc have no packet; check them through the counter.
      assert.deepEqual(
        observed,
        expectedActions.filter((a) => a !== 'irc' && a !== 'zrc'),
        'actions',
      );
      const sendsCounted = expectedActions.filter((a) => a === 'scr' || a === 'str').length;
      if (expectedActions.includes('irc')) {
        const base = fsm.state === 'Closing' || fsm.state === 'Stopping' ? MAX_TERMINATE : MAX_CONFIGURE;
        assert.equal(fsm.counters.restart, base - sendsCounted, 'irc');
      } else if (expectedActions.includes('zrc')) {
        assert.equal(fsm.counters.restart, 0, 'zrc');
        assert.equal(fsm.nextTimeout(), 1000 + 3000);
      } else {
        assert.equal(fsm.counters.restart, before - sendsCounted, 'counter untouched except by scr/str');
      }
      // Replies carry the Identifier of the packet they answer.
      for (const p of sent) {
        if (p.code === ControlCode.ConfigureAck || p.code === ControlCode.ConfigureNak || p.code === ControlCode.TerminateAck)
          assert.equal(p.id, 0x77);
      }
      const timerStates: FsmState[] = ['Closing', 'Stopping', 'Req-Sent', 'Ack-Rcvd', 'Ack-Sent'];
      if (!timerStates.includes(fsm.state)) assert.equal(fsm.nextTimeout(), undefined, 'timer stops outside timer states');
      if (expectedActions.includes('scr') || expectedActions.includes('str')) assert.equal(fsm.nextTimeout(), 1000 + 3000);
    });
  }
}

test('restart timer: TO+ retransmits with the same Identifier; TO- after Max-Configure finishes', () => {
  const { fsm, sent, observed } = harness();
  fsm.open(0);
  fsm.up(0);
  assert.equal(fsm.state, 'Req-Sent');
  let now = 0;
  for (let i = 0; i < 20 && fsm.nextTimeout() !== undefined; i++) {
    now = fsm.nextTimeout()!;
    fsm.handleTimeout(now);
  }
  assert.equal(sent.filter((p) => p.code === ControlCode.ConfigureRequest).length, MAX_CONFIGURE);
  assert.ok(sent.every((p) => p.id === sent[0]!.id));
  assert.equal(fsm.state, 'Stopped');
  assert.equal(observed.at(-1), 'tlf');
  assert.equal(fsm.finish?.code, 'timeout');
  assert.equal(now, MAX_CONFIGURE * 3000);
});

test('Close from Opened: Terminate-Request Max-Terminate times, then Closed', () => {
  const { fsm, sent } = harness();
  fsm.setStateForTest('Opened');
  fsm.close(0);
  for (let i = 0; i < 10 && fsm.nextTimeout() !== undefined; i++) fsm.handleTimeout(fsm.nextTimeout()!);
  assert.equal(sent.filter((p) => p.code === ControlCode.TerminateRequest).length, MAX_TERMINATE);
  assert.equal(fsm.state, 'Closed');
});

test('receive: ConfAck with wrong Identifier or altered options is discarded', () => {
  const { fsm, sent } = harness();
  fsm.open(0);
  fsm.up(0);
  const req = sent[0]!;
  fsm.receive(1, encodeControl({ code: ControlCode.ConfigureAck, id: (req.id + 1) & 0xff, data: req.data }));
  assert.equal(fsm.state, 'Req-Sent');
  fsm.receive(1, encodeControl({ code: ControlCode.ConfigureAck, id: req.id, data: Uint8Array.of(1, 4, 5, 0xdd) }));
  assert.equal(fsm.state, 'Req-Sent');
  fsm.receive(1, encodeControl({ code: ControlCode.ConfigureAck, id: req.id, data: req.data }));
  assert.equal(fsm.state, 'Ack-Rcvd');
});

test('receive: Code-Reject of a Configure code is catastrophic (RXJ-), of an extension code is not', () => {
  const a = harness();
  a.fsm.setStateForTest('Opened');
  a.fsm.receive(0, encodeControl({ code: ControlCode.CodeReject, id: 1, data: Uint8Array.of(9, 1, 0, 8, 0, 0, 0, 0) }));
  assert.equal(a.fsm.state, 'Opened');
  a.fsm.receive(0, encodeControl({ code: ControlCode.CodeReject, id: 2, data: Uint8Array.of(1, 1, 0, 4) }));
  assert.equal(a.fsm.state, 'Stopping');
});
