/**
 * One L2TP session (a call) inside a tunnel: RFC 2661 section 7.3 (outgoing calls) and 7.4
 * (incoming calls) state machines for both the LAC and the LNS side.
 *
 *   LAC incoming:  idle -> wait-tunnel -> wait-reply (ICRQ sent) -> established (ICCN sent)
 *   LNS incoming:  idle -> wait-connect (ICRP sent) -> established (ICCN received)
 *   LAC outgoing:  idle -> established (OCRP and OCCN sent: we place no real call)
 *   LNS outgoing:  idle -> wait-tunnel -> wait-reply (OCRQ sent) -> wait-connect (OCRP received)
 *                  -> established (OCCN received)
 *
 * The session holds no I/O and no timers: the control channel below retransmits, and the tunnel
 * routes messages here by our session id (the Session ID field of the header). Every state change
 * goes through `transition()`, which logs `state a=>b (why)`.
 */
import type { Logger } from '../core/log.js';
import type { CallDirection, CallInfo, SessionState, TunnelRole } from './types.js';

export class Session {
  state: SessionState = 'idle';
  /** The peer's Assigned Session ID: 0 until the peer told us. */
  peerId = 0;
  /** Call information learned from ICRQ/ICCN (LNS) or configured (LAC). */
  call: CallInfo = { sequencingRequired: false };
  /** Next Ns for data messages when sequencing is on (RFC 2661 5.4). */
  dataNs = 0;
  /** Highest data Ns received + 1, echoed as Nr when we sequence. */
  dataNr = 0;
  readonly createdAt: number;

  constructor(
    readonly id: number,
    readonly role: TunnelRole,
    readonly direction: CallDirection,
    readonly callSerialNumber: number,
    private readonly logger: Logger,
    private readonly label: string,
    now: number,
  ) {
    this.createdAt = now;
  }

  transition(to: SessionState, why: string): void {
    if (to === this.state) return;
    this.logger.log(['l2tp', 'debug'], `${this.label} session ${this.id}: state ${this.state}=>${to} (${why})`);
    this.state = to;
  }

  get established(): boolean {
    return this.state === 'established';
  }
}
