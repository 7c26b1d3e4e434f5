/**
 * PAP, RFC 1334 section 2: both ends.
 *
 * Peer (`PapPeer`): on start sends Authenticate-Request and retransmits it on the Restart timer
 * ("The Authenticate-Request packet MUST be repeated until a valid reply packet is received, or
 * an optional retry counter expires", section 2.2.1), changing the Identifier each time ("The
 * Identifier field MUST be changed each time an Authenticate-Request packet is issued"). A reply
 * (Ack / Nak) is matched against every Identifier we used, since a slow authenticator may answer
 * an earlier copy. After `maxRetries` unanswered requests it fails with code 'timeout': SoftEther
 * answers a wrong password with LCP Terminate-Request and no Nak at all, so silence must end.
 * RouterOS sends an Ack whose Length is 4 even though a message octet follows: Length wins
 * (see packet.ts).
 *
 * Authenticator (`PapAuthenticator`): waits (maxRetries * restartMs) for an Authenticate-Request,
 * emits a 'check' event and, on `completeCheck`, answers Authenticate-Ack or Authenticate-Nak
 * using the Identifier of the latest request. "If the Peer-ID/Password pair received in an
 * Authenticate-Request is not recognizable or acceptable, then the authenticator MUST transmit
 * an Authenticate-Nak ... and SHOULD take action to terminate the link": a 'failure' event
 * follows the Nak. Requests repeated after an Ack (the Ack was lost) get the Ack again.
 *
 * Call order: see types.ts. Malformed packets and codes meant for the other side are silently
 * discarded (logged at debug).
 */
import { fromUtf8, utf8 } from '../core/bytes.js';
import type { Instant } from '../core/time.js';
import { EngineBase, randomId, type EngineDeps } from './engine-base.js';
import {
  decodeHeader,
  decodePapReplyMessage,
  decodePapRequestData,
  encodePapReply,
  encodePapRequest,
  PAP_AUTHENTICATE_ACK,
  PAP_AUTHENTICATE_NAK,
  PAP_AUTHENTICATE_REQUEST,
} from './packet.js';
import type { AuthEngine, AuthVerdict } from './types.js';

export class PapPeer extends EngineBase implements AuthEngine {
  private readonly user: string;
  private readonly peerId: Uint8Array;
  private readonly password: Uint8Array;
  private id = 0;
  private tries = 0;
  private started = false;
  /** Identifiers of every request sent, so a late reply to an earlier copy still counts. */
  private readonly sentIds = new Set<number>();

  constructor(creds: { user: string; password: string }, deps: EngineDeps) {
    super(deps);
    this.user = creds.user;
    this.peerId = utf8(creds.user);
    this.password = utf8(creds.password);
  }

  start(now: Instant): void {
    if (this.started) return;
    this.started = true;
    this.id = randomId(this.random);
    this.sendRequest(now);
  }

  private sendRequest(now: Instant): void {
    this.tries++;
    this.sentIds.add(this.id);
    this.transmit(encodePapRequest(this.id, this.peerId, this.password));
    this.timers.set('restart', now + this.restartMs);
  }

  handleTimeout(now: Instant): void {
    if (this.finished) return;
    for (const _ of this.timers.expired(now)) {
      if (this.tries >= this.maxRetries) {
        this.finishFailure('timeout', `no PAP reply after ${this.tries} Authenticate-Requests`);
        return;
      }
      this.id = (this.id + 1) & 0xff;
      this.sendRequest(now);
    }
  }

  handlePacket(_now: Instant, packet: Uint8Array): void {
    const h = decodeHeader(packet);
    if (!h.ok) return this.debug(`PAP: discarded malformed packet: ${h.error}`);
    const { code, id, data } = h.value;
    if (code !== PAP_AUTHENTICATE_ACK && code !== PAP_AUTHENTICATE_NAK) {
      return this.debug(`PAP peer: discarded code ${code}`);
    }
    if (!this.started || this.finished) return;
    if (!this.sentIds.has(id)) return this.debug(`PAP peer: discarded reply with unknown id ${id}`);
    const message = decodePapReplyMessage(data);
    if (code === PAP_AUTHENTICATE_ACK) {
      const verdict: AuthVerdict = { ok: true, user: this.user, message };
      this.finishSuccess(this.user, verdict);
    } else {
      this.finishFailure('pap-nak', message === '' ? 'PAP Authenticate-Nak' : message);
    }
  }
}

type PapAuthenticatorState = 'initial' | 'waiting' | 'checking' | 'acked' | 'naked';

export class PapAuthenticator extends EngineBase implements AuthEngine {
  private state: PapAuthenticatorState = 'initial';
  /** Identifier of the latest Authenticate-Request, echoed in the reply. */
  private lastId = 0;
  private ackMessage = '';

  constructor(deps: EngineDeps) {
    super(deps);
  }

  start(now: Instant): void {
    if (this.state !== 'initial') return;
    this.state = 'waiting';
    // The authenticator sends nothing first; it only bounds how long it waits for the peer.
    this.timers.set('restart', now + this.restartMs * this.maxRetries);
  }

  handleTimeout(now: Instant): void {
    if (this.finished) return;
    if (this.timers.expired(now).length > 0 && this.state === 'waiting') {
      this.finishFailure('timeout', 'no PAP Authenticate-Request received');
    }
  }

  handlePacket(_now: Instant, packet: Uint8Array): void {
    const h = decodeHeader(packet);
    if (!h.ok) return this.debug(`PAP: discarded malformed packet: ${h.error}`);
    const { code, id, data } = h.value;
    if (code !== PAP_AUTHENTICATE_REQUEST) return this.debug(`PAP authenticator: discarded code ${code}`);
    const req = decodePapRequestData(id, data);
    if (!req.ok) return this.debug(`PAP authenticator: discarded Authenticate-Request: ${req.error}`);
    switch (this.state) {
      case 'initial':
      case 'naked':
        return;
      case 'waiting':
        this.lastId = id;
        this.state = 'checking';
        // The service (local secrets or RADIUS) bounds its own decision time.
        this.timers.stop('restart');
        this.emit({
          type: 'check',
          check: { method: 'pap', user: fromUtf8(req.value.peerId), password: fromUtf8(req.value.password) },
        });
        return;
      case 'checking':
        // A retransmission while we decide: answer it when the verdict comes.
        this.lastId = id;
        return;
      case 'acked':
        // Our Ack was lost and the peer asks again: repeat the same reply code.
        this.transmit(encodePapReply(PAP_AUTHENTICATE_ACK, id, this.ackMessage));
        return;
    }
  }

  completeCheck(_now: Instant, verdict: AuthVerdict): void {
    if (this.state !== 'checking') return;
    if (verdict.ok) {
      this.state = 'acked';
      this.ackMessage = verdict.message ?? '';
      this.transmit(encodePapReply(PAP_AUTHENTICATE_ACK, this.lastId, this.ackMessage));
      this.finishSuccess(verdict.user, verdict);
    } else {
      this.state = 'naked';
      this.transmit(encodePapReply(PAP_AUTHENTICATE_NAK, this.lastId, verdict.message));
      this.finishFailure('auth-rejected', verdict.message);
    }
  }
}
