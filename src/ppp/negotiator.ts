/**
 * Option negotiation for the RFC 1661 automaton: the `Negotiator` interface the automaton calls,
 * and `OptionNegotiator`, which builds one from small per-option handlers (one file per option:
 * lcp/opt-mru.ts, ipcp/opt-address.ts, ...).
 *
 * RFC 1661 sections 5.1-5.4 (Configure-Request/Ack/Nak/Reject) and 6 (options):
 * - Answering the peer's Configure-Request: if any option is unrecognizable or not acceptable,
 *   send Configure-Reject with exactly those options, in order, unmodified; else if any option
 *   value is unacceptable, send Configure-Nak with the acceptable values; else Configure-Ack.
 *   "Options which are not recognized ... MUST be Configure-Rejected."
 * - Max-Failure (section 4.6): once that many Naks were sent without an Ack, further Naks are
 *   converted to Rejects. A handler may refuse that conversion (`neverReject`): the IPCP
 *   IP-Address option, because Windows hangs up when it is rejected.
 * - Processing a Nak of our request: each handler adjusts what it will request next. A Nak may
 *   carry options we did not request ("the peer would like us to"); handlers decide.
 * - Processing a Reject: the handlers named stop requesting their option.
 *
 * Invariant: handlers only commit peer values (`peerAcked`) when the whole request is acked.
 * Call order (by the automaton): reset() at the start of each negotiation; buildRequest() for each
 * new Configure-Request; handleRequest() for each peer request; handleAck/Nak/Reject() for
 * replies to ours; fatalError() after a Nak/Reject.
 */
import type { PppOption } from '../wire/ppp/frame.js';

export type ConfigureReply =
  | { readonly kind: 'ack' }
  | { readonly kind: 'nak'; readonly options: PppOption[] }
  | { readonly kind: 'reject'; readonly options: PppOption[] };

export interface Negotiator {
  reset(): void;
  buildRequest(): PppOption[];
  /** `nakAsReject`: Max-Failure reached, convert Naks to Rejects. */
  handleRequest(options: readonly PppOption[], nakAsReject: boolean): ConfigureReply;
  handleAck(options: readonly PppOption[]): void;
  handleNak(options: readonly PppOption[]): void;
  /** Returns false when the Reject is invalid (names options we did not request). */
  handleReject(options: readonly PppOption[]): boolean;
  /** A reason to give up (e.g. no authentication protocol both ends accept), else undefined. */
  fatalError?(): string | undefined;
}

export type OptionVerdict = { readonly kind: 'ack' } | { readonly kind: 'nak'; readonly hint: Uint8Array } | { readonly kind: 'reject' };

export const ACK: OptionVerdict = { kind: 'ack' };
export const REJECT: OptionVerdict = { kind: 'reject' };
export function nak(hint: Uint8Array): OptionVerdict {
  return { kind: 'nak', hint };
}

/** One Configuration Option, both directions. All methods but `type`/`name`/`checkPeer` optional. */
export interface OptionHandler {
  readonly type: number;
  readonly name: string;
  /** Never converted to Reject by Max-Failure. */
  readonly neverReject?: boolean;
  /** Start of a negotiation. */
  reset?(): void;
  /** Data to include in our Configure-Request, or undefined to leave the option out. */
  ourRequest?(): Uint8Array | undefined;
  /** The peer acked our request carrying this option data. */
  ackedByPeer?(data: Uint8Array): void;
  /** The peer naked (or suggested, if we did not request it) with this data. */
  nakedByPeer?(data: Uint8Array): void;
  /** The peer rejected the option: stop requesting it. */
  rejectedByPeer?(): void;
  /** Judge the peer's request. Bad lengths should be answered with REJECT. */
  checkPeer(data: Uint8Array): OptionVerdict;
  /** The peer's request was acked: `data` is its value, or undefined when it left the option out. */
  peerAcked?(data: Uint8Array | undefined): void;
}

export class OptionNegotiator implements Negotiator {
  private readonly byType = new Map<number, OptionHandler>();
  private requested = new Set<number>();

  constructor(
    readonly handlers: readonly OptionHandler[],
    private readonly fatal?: () => string | undefined,
  ) {
    for (const h of handlers) this.byType.set(h.type, h);
  }

  reset(): void {
    for (const h of this.handlers) h.reset?.();
  }

  buildRequest(): PppOption[] {
    const out: PppOption[] = [];
    this.requested = new Set();
    for (const h of this.handlers) {
      const data = h.ourRequest?.();
      if (data !== undefined) {
        out.push({ type: h.type, data });
        this.requested.add(h.type);
      }
    }
    return out;
  }

  handleRequest(options: readonly PppOption[], nakAsReject: boolean): ConfigureReply {
    const rejects: PppOption[] = [];
    const naks: PppOption[] = [];
    for (const o of options) {
      const h = this.byType.get(o.type);
      let v: OptionVerdict = h ? h.checkPeer(o.data) : REJECT;
      if (v.kind === 'nak' && nakAsReject && !h?.neverReject) v = REJECT;
      if (v.kind === 'reject') rejects.push(o);
      else if (v.kind === 'nak') naks.push({ type: o.type, data: v.hint });
    }
    if (rejects.length > 0) return { kind: 'reject', options: rejects };
    if (naks.length > 0) return { kind: 'nak', options: naks };
    // The whole request is acked: commit. Last occurrence wins if an option repeats.
    const seen = new Map<number, Uint8Array>();
    for (const o of options) seen.set(o.type, o.data);
    for (const h of this.handlers) h.peerAcked?.(seen.get(h.type));
    return { kind: 'ack' };
  }

  handleAck(options: readonly PppOption[]): void {
    for (const o of options) this.byType.get(o.type)?.ackedByPeer?.(o.data);
  }

  handleNak(options: readonly PppOption[]): void {
    for (const o of options) this.byType.get(o.type)?.nakedByPeer?.(o.data);
  }

  handleReject(options: readonly PppOption[]): boolean {
    for (const o of options) if (!this.requested.has(o.type)) return false;
    for (const o of options) this.byType.get(o.type)?.rejectedByPeer?.();
    return true;
  }

  fatalError(): string | undefined {
    return this.fatal?.();
  }
}
