/**
 * The RFC 1661 section 4 option-negotiation automaton, written once and shared by LCP, IPCP,
 * IPV6CP and (later) CCP and BCP. Each protocol plugs in an `FsmHost` (the this-layer-up/down/
 * started/finished actions and any extra codes such as LCP Echo) and a `Negotiator` (what to put
 * in a Configure-Request and how to answer the peer's; see negotiator.ts).
 *
 * RFC sections: 4.1 (state transition table, here `RFC1661_TABLE`, as data), 4.2 (states),
 * 4.3 (events), 4.4 (actions), 4.5 (loop avoidance), 4.6 (counters and timers: Restart timer
 * default 3 s, Max-Terminate 2, Max-Configure 10, Max-Failure 5), 5 (packet formats).
 *
 * Invariants:
 * - No I/O: time comes in as `now`; packets go out through the `send` callback given to the
 *   constructor (the link adds the PPP Protocol field).
 * - The Restart timer runs exactly in Closing, Stopping, Req-Sent, Ack-Rcvd and Ack-Sent
 *   ("the Restart timer is stopped when transitioning from any state where the timer is running
 *   to a state where the timer is not running", RFC 1661 section 4.6).
 * - Cells marked '-' in the RFC table are impossible events; they are ignored (logged at debug).
 * - The options `r` (restart), `p` (passive) and `x` (crossed connection) of the table are not
 *   implemented: `r` cells simply stay in their state (the link does its own restart by closing and
 *   re-opening), and passive mode is not needed over L2TP (both ends send ConfReq at once).
 *
 * Call order: construct; `open(now)` and `up(now)` (any order; the table handles both);
 * `receive(now, payload)` for every packet of the protocol; `handleTimeout(now)` when
 * `now >= nextTimeout()`; `close(now, why)` / `down(now)` to finish.
 */
import type { Instant } from '../core/time.js';
import type { Logger } from '../core/log.js';
import { ControlCode, decodeControl, decodeOptions, encodeControl, encodeOptions, type ControlPacket, type PppOption } from '../wire/ppp/frame.js';
import type { ConfigureReply, Negotiator } from './negotiator.js';
import { equalBytes } from '../core/bytes.js';

export type FsmState =
  | 'Initial'
  | 'Starting'
  | 'Closed'
  | 'Stopped'
  | 'Closing'
  | 'Stopping'
  | 'Req-Sent'
  | 'Ack-Rcvd'
  | 'Ack-Sent'
  | 'Opened';

/** In RFC order: index i is state number i of section 4.1. */
export const FSM_STATES: readonly FsmState[] = [
  'Initial',
  'Starting',
  'Closed',
  'Stopped',
  'Closing',
  'Stopping',
  'Req-Sent',
  'Ack-Rcvd',
  'Ack-Sent',
  'Opened',
];

export type FsmEvent =
  | 'Up'
  | 'Down'
  | 'Open'
  | 'Close'
  | 'TO+'
  | 'TO-'
  | 'RCR+'
  | 'RCR-'
  | 'RCA'
  | 'RCN'
  | 'RTR'
  | 'RTA'
  | 'RUC'
  | 'RXJ+'
  | 'RXJ-'
  | 'RXR';

export const FSM_EVENTS: readonly FsmEvent[] = [
  'Up',
  'Down',
  'Open',
  'Close',
  'TO+',
  'TO-',
  'RCR+',
  'RCR-',
  'RCA',
  'RCN',
  'RTR',
  'RTA',
  'RUC',
  'RXJ+',
  'RXJ-',
  'RXR',
];

export type FsmAction = 'tlu' | 'tld' | 'tls' | 'tlf' | 'irc' | 'zrc' | 'scr' | 'sca' | 'scn' | 'str' | 'sta' | 'scj' | 'ser';

export interface FsmTransition {
  readonly actions: readonly FsmAction[];
  readonly next: FsmState;
}

/**
 * RFC 1661 section 4.1, transcribed row by row (event) and column by column (state 0..9) in the
 * RFC's own notation: `actions/next-state`, or just `next-state`, or `-` for impossible. The option
 * suffixes `r`, `p`, `x` are kept in the text for fidelity and ignored by the parser.
 */
export const RFC1661_TABLE: Readonly<Record<FsmEvent, readonly string[]>> = {
  //        0 Initial  1 Starting   2 Closed     3 Stopped         4 Closing  5 Stopping 6 Req-Sent    7 Ack-Rcvd   8 Ack-Sent    9 Opened
  Up: ['2', 'irc,scr/6', '-', '-', '-', '-', '-', '-', '-', '-'],
  Down: ['-', '-', '0', 'tls/1', '0', '1', '1', '1', '1', 'tld/1'],
  Open: ['tls/1', '1', 'irc,scr/6', '3r', '5r', '5r', '6', '7', '8', '9r'],
  Close: ['0', 'tlf/0', '2', '2', '4', '4', 'irc,str/4', 'irc,str/4', 'irc,str/4', 'tld,irc,str/4'],
  'TO+': ['-', '-', '-', '-', 'str/4', 'str/5', 'scr/6', 'scr/6', 'scr/8', '-'],
  'TO-': ['-', '-', '-', '-', 'tlf/2', 'tlf/3', 'tlf/3p', 'tlf/3p', 'tlf/3p', '-'],
  'RCR+': ['-', '-', 'sta/2', 'irc,scr,sca/8', '4', '5', 'sca/8', 'sca,tlu/9', 'sca/8', 'tld,scr,sca/8'],
  'RCR-': ['-', '-', 'sta/2', 'irc,scr,scn/6', '4', '5', 'scn/6', 'scn/7', 'scn/6', 'tld,scr,scn/6'],
  RCA: ['-', '-', 'sta/2', 'sta/3', '4', '5', 'irc/7', 'scr/6x', 'irc,tlu/9', 'tld,scr/6x'],
  RCN: ['-', '-', 'sta/2', 'sta/3', '4', '5', 'irc,scr/6', 'scr/6x', 'irc,scr/8', 'tld,scr/6x'],
  RTR: ['-', '-', 'sta/2', 'sta/3', 'sta/4', 'sta/5', 'sta/6', 'sta/6', 'sta/6', 'tld,zrc,sta/5'],
  RTA: ['-', '-', '2', '3', 'tlf/2', 'tlf/3', '6', '6', '8', 'tld,scr/6'],
  RUC: ['-', '-', 'scj/2', 'scj/3', 'scj/4', 'scj/5', 'scj/6', 'scj/7', 'scj/8', 'scj/9'],
  'RXJ+': ['-', '-', '2', '3', '4', '5', '6', '6', '8', '9'],
  'RXJ-': ['-', '-', 'tlf/2', 'tlf/3', 'tlf/2', 'tlf/3', 'tlf/3', 'tlf/3', 'tlf/3', 'tld,irc,str/5'],
  RXR: ['-', '-', '2', '3', '4', '5', '6', '7', '8', 'ser/9'],
};

const ACTIONS: ReadonlySet<string> = new Set<FsmAction>(['tlu', 'tld', 'tls', 'tlf', 'irc', 'zrc', 'scr', 'sca', 'scn', 'str', 'sta', 'scj', 'ser']);

/** Parses one cell of the RFC notation; undefined for '-'. Throws only on a typo in the table. */
export function parseCell(cell: string): FsmTransition | undefined {
  if (cell === '-') return undefined;
  const slash = cell.lastIndexOf('/');
  const actionText = slash >= 0 ? cell.slice(0, slash) : '';
  const stateText = (slash >= 0 ? cell.slice(slash + 1) : cell).replace(/[rpx]$/, '');
  const next = FSM_STATES[Number(stateText)];
  if (next === undefined || !/^\d$/.test(stateText)) throw new Error(`bad RFC 1661 table cell ${cell}`);
  const actions = actionText === '' ? [] : actionText.split(',');
  for (const a of actions) if (!ACTIONS.has(a)) throw new Error(`bad action ${a} in cell ${cell}`);
  return { actions: actions as FsmAction[], next };
}

/** The table, parsed: TRANSITIONS[state][event] (absent = impossible event). */
export const TRANSITIONS: Readonly<Record<FsmState, Readonly<Partial<Record<FsmEvent, FsmTransition>>>>> = (() => {
  const out = {} as Record<FsmState, Partial<Record<FsmEvent, FsmTransition>>>;
  FSM_STATES.forEach((s) => (out[s] = {}));
  for (const ev of FSM_EVENTS) {
    RFC1661_TABLE[ev].forEach((cell, i) => {
      const t = parseCell(cell);
      const s = FSM_STATES[i];
      if (t && s) out[s][ev] = t;
    });
  }
  return out;
})();

const TIMER_STATES: ReadonlySet<FsmState> = new Set<FsmState>(['Closing', 'Stopping', 'Req-Sent', 'Ack-Rcvd', 'Ack-Sent']);

/** What the protocol using the automaton provides (pppd calls this a callback table). */
export interface FsmHost {
  /** tlu: the layer is Opened (LCP: enter Authenticate; NCP: the network protocol is usable). */
  thisLayerUp(now: Instant): void;
  /** tld: leaving Opened. */
  thisLayerDown(now: Instant): void;
  /** tls: the layer wants the lower layer up. */
  thisLayerStarted(now: Instant): void;
  /** tlf: the layer is done with the lower layer (LCP: the link may go down). */
  thisLayerFinished(now: Instant): void;
  /**
   * Codes beyond 1..7 (LCP 8..13, CCP 14..15). Return the event they map to (RXR for Echo and
   * Discard, RXJ+/RXJ- for Protocol-Reject) after any side effects, or undefined for unknown
   * codes, which the automaton turns into RUC (Code-Reject).
   */
  receiveExtended?(now: Instant, packet: ControlPacket, state: FsmState): FsmEvent | undefined;
  /** ser: answer an Echo-Request (LCP only). */
  sendEchoReply?(now: Instant, request: ControlPacket): void;
}

export interface FsmOptions {
  /** Restart timer, RFC 1661 section 4.6 default 3 seconds. */
  readonly restartMs: number;
  /** Max-Configure, default 10. */
  readonly maxConfigure: number;
  /** Max-Terminate, default 2. */
  readonly maxTerminate: number;
  /** Max-Failure, default 5: naks sent without an ack before naks become rejects. */
  readonly maxFailure: number;
}

export const DEFAULT_FSM_OPTIONS: FsmOptions = { restartMs: 3000, maxConfigure: 10, maxTerminate: 2, maxFailure: 5 };

/** The received packet an action answers (sca, scn, sta, scj, ser). */
interface EventContext {
  readonly packet?: ControlPacket;
  /** Raw control packet bytes (for Code-Reject). */
  readonly raw?: Uint8Array;
  readonly reply?: ConfigureReply;
}

/** Why the layer finished, so the link can report a meaningful reason. */
export interface FsmFinish {
  readonly code: 'timeout' | 'peer-terminated' | 'rejected' | 'closed' | 'negotiation-failed';
  readonly reason: string;
}

export class Fsm {
  private _state: FsmState = 'Initial';
  private restartCounter = 0;
  private failureCounter = 0;
  private restartAt: Instant | undefined;
  private nextId = 0;
  private lastRequest: { id: number; options: Uint8Array } | undefined;
  private lastTerminateId = 0;
  /** Set when something decides the layer's fate; read by the host in tlf/tld. */
  finish: FsmFinish | undefined;

  constructor(
    readonly name: string,
    private readonly host: FsmHost,
    readonly negotiator: Negotiator,
    private readonly send: (payload: Uint8Array) => void,
    private readonly logger: Logger,
    readonly options: FsmOptions = DEFAULT_FSM_OPTIONS,
    initialId = 0,
  ) {
    this.nextId = initialId & 0xff;
  }

  get state(): FsmState {
    return this._state;
  }

  /** For tests of single table cells: place the automaton in a state without actions. */
  setStateForTest(state: FsmState, restartCounter = this.options.maxConfigure): void {
    this._state = state;
    this.restartCounter = restartCounter;
    this.restartAt = TIMER_STATES.has(state) ? 0 : undefined;
  }

  get counters(): { restart: number; failure: number } {
    return { restart: this.restartCounter, failure: this.failureCounter };
  }

  nextTimeout(): Instant | undefined {
    return this.restartAt;
  }

  up(now: Instant): void {
    this.dispatch(now, 'Up');
  }

  down(now: Instant): void {
    this.dispatch(now, 'Down');
  }

  open(now: Instant): void {
    this.dispatch(now, 'Open');
  }

  close(now: Instant, finish: FsmFinish = { code: 'closed', reason: 'administrative close' }): void {
    this.finish ??= finish;
    this.dispatch(now, 'Close');
  }

  /** RXJ- from outside (LCP Protocol-Reject naming this protocol, RFC 1661 section 5.7). */
  protocolRejected(now: Instant): void {
    this.finish ??= { code: 'rejected', reason: `${this.name} rejected by peer (Protocol-Reject)` };
    this.dispatch(now, 'RXJ-');
  }

  handleTimeout(now: Instant): void {
    if (this.restartAt === undefined || now < this.restartAt) return;
    this.restartAt = undefined;
    if (this.restartCounter > 0) this.dispatch(now, 'TO+');
    else {
      if (this._state === 'Req-Sent' || this._state === 'Ack-Rcvd' || this._state === 'Ack-Sent')
        this.finish ??= { code: 'timeout', reason: `${this.name} negotiation timed out (Max-Configure reached)` };
      this.dispatch(now, 'TO-');
    }
  }

  /** A received packet of this protocol (the Information field of the PPP frame). */
  receive(now: Instant, payload: Uint8Array): void {
    if (this._state === 'Initial' || this._state === 'Starting') {
      // RFC 1661 section 4.2: in these states the lower layer is down; nothing can be received.
      this.logger.log(['ppp', 'debug'], `${this.name}: packet in ${this._state} discarded`);
      return;
    }
    const decoded = decodeControl(payload);
    if (!decoded.ok) {
      this.logger.log(['ppp', 'debug'], `${this.name}: malformed packet discarded: ${decoded.error.message}`);
      return;
    }
    const p = decoded.value;
    const raw = payload.subarray(0, 4 + p.data.length);
    switch (p.code) {
      case ControlCode.ConfigureRequest: {
        const opts = decodeOptions(p.data);
        if (!opts.ok) {
          this.logger.log(['ppp', 'debug'], `${this.name}: ConfReq with malformed options discarded: ${opts.error.message}`);
          return;
        }
        // Only consult the negotiator where the reply will be used; elsewhere (Closed, Stopped
        // answer with Terminate-Ack or restart; Closing/Stopping ignore) the state decides.
        const needReply = this._state !== 'Closed' && this._state !== 'Closing' && this._state !== 'Stopping';
        if (!needReply) {
          this.dispatch(now, 'RCR+', { packet: p, raw });
          return;
        }
        // Stopped + RCR starts a fresh negotiation (irc,scr,sca|scn); reset before judging.
        if (this._state === 'Stopped') this.negotiator.reset();
        const reply = this.negotiator.handleRequest(opts.value, this.failureCounter >= this.options.maxFailure);
        this.dispatch(now, reply.kind === 'ack' ? 'RCR+' : 'RCR-', { packet: p, raw, reply });
        return;
      }
      case ControlCode.ConfigureAck: {
        if (!this.matchesRequest(p)) return;
        if (this.lastRequest && !equalBytes(p.data, this.lastRequest.options)) {
          // RFC 1661 section 5.2: "the Configuration Options in a Configure-Ack packet MUST exactly
          // match those of the last transmitted Configure-Request. Invalid packets are silently
          // discarded."
          this.logger.log(['ppp', 'debug'], `${this.name}: ConfAck does not match our request, discarded`);
          return;
        }
        if (this.negotiating()) this.negotiator.handleAck(decodeOptionsOrEmpty(p.data));
        this.dispatch(now, 'RCA', { packet: p, raw });
        return;
      }
      case ControlCode.ConfigureNak:
      case ControlCode.ConfigureReject: {
        if (!this.matchesRequest(p)) return;
        const opts = decodeOptions(p.data);
        if (!opts.ok) {
          this.logger.log(['ppp', 'debug'], `${this.name}: Nak/Reject with malformed options discarded`);
          return;
        }
        if (this.negotiating()) {
          if (p.code === ControlCode.ConfigureNak) this.negotiator.handleNak(opts.value);
          else if (!this.negotiator.handleReject(opts.value)) {
            // RFC 1661 section 5.4: the rejected options "MUST NOT be reordered or modified in
            // any way" and must be ones we sent; otherwise the packet is invalid.
            this.logger.log(['ppp', 'debug'], `${this.name}: ConfRej lists options we did not request, discarded`);
            return;
          }
          const fatal = this.negotiator.fatalError?.();
          if (fatal !== undefined) {
            this.logger.log(['ppp', 'info'], `${this.name}: ${fatal}`);
            this.close(now, { code: 'negotiation-failed', reason: fatal });
            return;
          }
        }
        this.dispatch(now, 'RCN', { packet: p, raw });
        return;
      }
      case ControlCode.TerminateRequest:
        if (this._state === 'Opened') this.finish ??= { code: 'peer-terminated', reason: `${this.name} terminated by peer` };
        this.dispatch(now, 'RTR', { packet: p, raw });
        return;
      case ControlCode.TerminateAck:
        this.dispatch(now, 'RTA', { packet: p, raw });
        return;
      case ControlCode.CodeReject: {
        // RFC 1661 section 5.6: a Code-Reject of a code we need (1..7) is catastrophic (RXJ-).
        const rejectedCode = p.data[0];
        const catastrophic = rejectedCode === undefined || (rejectedCode >= ControlCode.ConfigureRequest && rejectedCode <= ControlCode.CodeReject);
        if (catastrophic) this.finish ??= { code: 'rejected', reason: `${this.name} Code-Reject of code ${rejectedCode ?? '?'}` };
        this.dispatch(now, catastrophic ? 'RXJ-' : 'RXJ+', { packet: p, raw });
        return;
      }
      default: {
        const ev = this.host.receiveExtended?.(now, p, this._state);
        this.dispatch(now, ev ?? 'RUC', { packet: p, raw });
      }
    }
  }

  /** Runs one cell of the table. Exposed for the per-cell tests and for hosts. */
  dispatch(now: Instant, event: FsmEvent, ctx: EventContext = {}): void {
    const from = this._state;
    const t = TRANSITIONS[from][event];
    if (!t) {
      this.logger.log(['ppp', 'debug'], `${this.name}: event ${event} impossible in ${from}, ignored`);
      return;
    }
    for (const a of t.actions) this.perform(now, a, event, t.next, ctx);
    if (this._state === from) this._state = t.next;
    if (from !== t.next) this.logger.log(['ppp', 'debug'], `${this.name}: ${event} ${from} => ${t.next}`);
    if (!TIMER_STATES.has(this._state)) this.restartAt = undefined;
  }

  private negotiating(): boolean {
    return this._state === 'Req-Sent' || this._state === 'Ack-Rcvd' || this._state === 'Ack-Sent' || this._state === 'Opened';
  }

  private matchesRequest(p: ControlPacket): boolean {
    // RFC 1661 section 5.2-5.4: replies whose Identifier does not match the last Configure-Request
    // are invalid and silently discarded.
    if (this.lastRequest === undefined || p.id !== this.lastRequest.id) {
      this.logger.log(['ppp', 'debug'], `${this.name}: reply id ${p.id} does not match our request, discarded`);
      return false;
    }
    return true;
  }

  private perform(now: Instant, action: FsmAction, event: FsmEvent, next: FsmState, ctx: EventContext): void {
    switch (action) {
      case 'tlu':
        this._state = next; // the host may look at the state; tlu is the last action of its cells
        this.host.thisLayerUp(now);
        return;
      case 'tld':
        this.host.thisLayerDown(now);
        return;
      case 'tls':
        this.host.thisLayerStarted(now);
        return;
      case 'tlf':
        this._state = next;
        this.restartAt = undefined;
        this.host.thisLayerFinished(now);
        return;
      case 'irc':
        this.restartCounter = next === 'Closing' || next === 'Stopping' ? this.options.maxTerminate : this.options.maxConfigure;
        if (next !== 'Closing' && next !== 'Stopping') this.failureCounter = 0;
        return;
      case 'zrc':
        // RFC 1661 section 4.4: "Zero-Restart-Count ... gives the peer the opportunity to receive
        // a Terminate-Ack packet before the link is torn down": one Restart period, no retries.
        this.restartCounter = 0;
        this.restartAt = now + this.options.restartMs;
        return;
      case 'scr':
        this.sendConfigureRequest(now, event === 'TO+');
        return;
      case 'sca': {
        const p = ctx.packet;
        if (!p) return;
        this.failureCounter = 0;
        // RFC 1661 section 5.2: Configure-Ack echoes the request's options exactly.
        this.send(encodeControl({ code: ControlCode.ConfigureAck, id: p.id, data: p.data }));
        return;
      }
      case 'scn': {
        const p = ctx.packet;
        const r = ctx.reply;
        if (!p || !r || r.kind === 'ack') return;
        if (r.kind === 'nak') this.failureCounter++;
        const code = r.kind === 'nak' ? ControlCode.ConfigureNak : ControlCode.ConfigureReject;
        this.send(encodeControl({ code, id: p.id, data: encodeOptions(r.options) }));
        return;
      }
      case 'str':
        this.lastTerminateId = this.allocateId();
        this.send(encodeControl({ code: ControlCode.TerminateRequest, id: this.lastTerminateId, data: new Uint8Array(0) }));
        this.restartCounter--;
        this.restartAt = now + this.options.restartMs;
        return;
      case 'sta': {
        const id = ctx.packet?.id ?? this.lastTerminateId;
        this.send(encodeControl({ code: ControlCode.TerminateAck, id, data: new Uint8Array(0) }));
        return;
      }
      case 'scj': {
        const raw = ctx.raw ?? new Uint8Array(0);
        this.send(encodeControl({ code: ControlCode.CodeReject, id: this.allocateId(), data: raw }));
        return;
      }
      case 'ser':
        if (ctx.packet?.code === ControlCode.EchoRequest) this.host.sendEchoReply?.(now, ctx.packet);
        return;
    }
  }

  private allocateId(): number {
    const id = this.nextId;
    this.nextId = (this.nextId + 1) & 0xff;
    return id;
  }

  private sendConfigureRequest(now: Instant, retransmit: boolean): void {
    // RFC 1661 section 5.1: "For retransmissions, the Identifier MAY remain unchanged"; a new
    // request (options changed or a reply arrived) gets a new Identifier.
    if (!retransmit || this.lastRequest === undefined) {
      // A fresh negotiation starts from Starting (Up) or Closed (Open); Stopped was reset when the
      // peer's request arrived. Renegotiation from Opened keeps what was learnt.
      if (this._state === 'Starting' || this._state === 'Closed') this.negotiator.reset();
      const options: PppOption[] = this.negotiator.buildRequest();
      this.lastRequest = { id: this.allocateId(), options: encodeOptions(options) };
    }
    const r = this.lastRequest;
    this.send(encodeControl({ code: ControlCode.ConfigureRequest, id: r.id, data: r.options }));
    this.restartCounter--;
    this.restartAt = now + this.options.restartMs;
  }
}

function decodeOptionsOrEmpty(b: Uint8Array): PppOption[] {
  const r = decodeOptions(b);
  return r.ok ? r.value : [];
}
