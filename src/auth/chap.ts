/**
 * CHAP (RFC 1994) with its three algorithms: MD5 (algorithm 5), MS-CHAPv1 (0x80, RFC 2433) and
 * MS-CHAPv2 (0x81, RFC 2759). Both ends, as `ChapAuthenticator` and `ChapPeer`.
 *
 * Authenticator: start() sends a Challenge (16 random octets for MD5 and MS-CHAPv2, 8 for
 * MS-CHAPv1) carrying our Name. "Additional Challenge packets MUST be sent until a valid Response
 * packet is received, or an optional retry counter expires" (RFC 1994 section 4.1); each repeat
 * gets a new Identifier ("The Identifier field MUST be changed each time a Challenge is sent")
 * and a new value. After maxRetries Challenges it fails with 'timeout'. A Response carrying the
 * current Identifier becomes a 'check' event; `completeCheck` answers Success or Failure with the
 * Response's Identifier. "The authenticator MUST allow repeated Response packets ... any Response
 * packets received having the current Challenge Identifier MUST return the same reply Code"
 * (RFC 1994 section 4.1): we re-send the cached reply.
 *   MS-CHAP failures: `E=691 R=r C=<challenge> V=v`. R=1 only while `retries` (default 0, like
 *   RouterOS) is not used up; then the C= value becomes the current challenge and the peer's new
 *   Response is expected with Identifier = Failure Identifier + 1. With R=0 a 'failure' follows.
 *
 * Peer: answers every valid Challenge with a Response (RFC 1994: "Whenever a Challenge packet is
 * received, the peer MUST transmit a CHAP packet with the Code field set to 2"), re-sending the
 * same bytes for a repeated (id, value) so MS-CHAPv2 does not burn a new Peer-Challenge. It
 * retransmits its last Response on the Restart timer: nothing else recovers a lost Success, and
 * the authenticator answers repeats with the same reply. maxRetries timer expiries without
 * progress fail with 'timeout'.
 *   MS-CHAPv2 Success: "The authenticating peer MUST verify the authenticator response when a
 *   Success packet is received ... If the authenticator response is either missing or incorrect,
 *   the peer MUST end the session" (RFC 2759 section 5): failure 'mschap2-bad-authenticator'.
 *   MS-CHAP Failure with R=1 and a C= challenge: retry once with that challenge and Identifier
 *   Failure-Identifier + 1 (RFC 2759 section 6 / 7; no Change-Password). Otherwise 'chap-failure'.
 *
 * Periodic re-challenge (RFC 1994 section 2, "MAY be repeated anytime") is not initiated by our
 * authenticator; our MD5 peer does answer later Challenges after success, without new events.
 *
 * Malformed packets and codes meant for the other side (a link may run both directions on 0xc223:
 * Challenge/Success/Failure go to the peer, Response to the authenticator) are silently discarded.
 */
import { equalBytes, fromUtf8, utf8 } from '../core/bytes.js';
import { randomBytes } from '../core/random.js';
import type { Instant } from '../core/time.js';
import { EngineBase, randomId, type EngineDeps } from './engine-base.js';
import {
  CHAP_CHALLENGE,
  CHAP_FAILURE,
  CHAP_MD5_CHALLENGE_LENGTH,
  CHAP_MD5_RESPONSE_LENGTH,
  CHAP_RESPONSE,
  CHAP_SUCCESS,
  decodeChapValueData,
  decodeHeader,
  decodeMsChap1ResponseValue,
  decodeMsChap2ResponseValue,
  encodeChapMessage,
  encodeChapValue,
  MSCHAP1_CHALLENGE_LENGTH,
  MSCHAP2_CHALLENGE_LENGTH,
} from './packet.js';
import {
  buildMsChap1Failure,
  buildMsChap2Failure,
  buildMsChap2Success,
  computePeerResponse,
  MSCHAP_ERROR_AUTHENTICATION_FAILURE,
  parseMsChapFailure,
  peerMppeInputs,
  verifyMsChap2Success,
  type PeerResponse,
} from './mschap-messages.js';
import type { AuthCheck, AuthEngine, AuthVerdict } from './types.js';

export type ChapMethod = 'chap' | 'mschap1' | 'mschap2';

export function challengeLengthFor(method: ChapMethod): number {
  switch (method) {
    case 'chap':
      return CHAP_MD5_CHALLENGE_LENGTH;
    case 'mschap1':
      return MSCHAP1_CHALLENGE_LENGTH;
    case 'mschap2':
      return MSCHAP2_CHALLENGE_LENGTH;
  }
}

export interface ChapAuthenticatorDeps extends EngineDeps {
  /** Our Name, sent in every Challenge (RouterOS sends its identity). */
  name: string;
  /** MS-CHAP only: how many failed Responses may be retried (R=1). Default 0, like RouterOS. */
  retries?: number;
}

type AuthenticatorState = 'initial' | 'challenge-sent' | 'checking' | 'retry-wait' | 'succeeded' | 'failed';

export class ChapAuthenticator extends EngineBase implements AuthEngine {
  private state: AuthenticatorState = 'initial';
  private readonly name: Uint8Array;
  private retriesLeft: number;
  private id = 0;
  private challenge: Uint8Array = new Uint8Array(0);
  private challengesSent = 0;
  /** The reply we gave to the Response with `reply.id`, repeated for duplicates. */
  private reply: { id: number; packet: Uint8Array } | undefined;

  constructor(
    readonly method: ChapMethod,
    deps: ChapAuthenticatorDeps,
  ) {
    super(deps);
    this.name = utf8(deps.name);
    this.retriesLeft = Math.max(0, Math.floor(deps.retries ?? 0));
  }

  start(now: Instant): void {
    if (this.state !== 'initial') return;
    this.id = randomId(this.random);
    this.sendChallenge(now);
  }

  private sendChallenge(now: Instant): void {
    this.challenge = randomBytes(this.random, challengeLengthFor(this.method));
    this.challengesSent++;
    this.state = 'challenge-sent';
    this.transmit(encodeChapValue(CHAP_CHALLENGE, this.id, this.challenge, this.name));
    this.timers.set('restart', now + this.restartMs);
  }

  handleTimeout(now: Instant): void {
    if (this.finished || this.timers.expired(now).length === 0) return;
    if (this.state === 'challenge-sent') {
      if (this.challengesSent >= this.maxRetries) {
        this.state = 'failed';
        this.finishFailure('timeout', `no CHAP Response after ${this.challengesSent} Challenges`);
        return;
      }
      this.id = (this.id + 1) & 0xff;
      this.sendChallenge(now);
    } else if (this.state === 'retry-wait') {
      this.state = 'failed';
      this.finishFailure('timeout', 'peer did not retry after MS-CHAP Failure R=1');
    }
  }

  handlePacket(_now: Instant, packet: Uint8Array): void {
    const h = decodeHeader(packet);
    if (!h.ok) return this.debug(`CHAP: discarded malformed packet: ${h.error}`);
    const { code, id, data } = h.value;
    if (code !== CHAP_RESPONSE) return this.debug(`CHAP authenticator: discarded code ${code}`);
    if (this.reply !== undefined && id === this.reply.id && this.state !== 'checking') {
      // Repeated Response: our Success / Failure may have been lost.
      this.transmit(this.reply.packet);
      return;
    }
    if (this.state !== 'challenge-sent' && this.state !== 'retry-wait') return;
    if (id !== this.id) return this.debug(`CHAP authenticator: discarded Response id ${id}, expected ${this.id}`);
    const body = decodeChapValueData(data);
    if (!body.ok) return this.debug(`CHAP authenticator: discarded Response: ${body.error}`);
    const check = this.toCheck(body.value.value, fromUtf8(body.value.name));
    if (check === undefined) return;
    this.state = 'checking';
    // The service bounds its own decision time (local lookup or RADIUS timeout).
    this.timers.stop('restart');
    this.emit({ type: 'check', check });
  }

  private toCheck(value: Uint8Array, user: string): AuthCheck | undefined {
    switch (this.method) {
      case 'chap':
        if (value.length !== CHAP_MD5_RESPONSE_LENGTH) {
          this.debug(`CHAP authenticator: discarded MD5 Response of ${value.length} octets`);
          return undefined;
        }
        return { method: 'chap', user, id: this.id, challenge: this.challenge, response: value.slice() };
      case 'mschap1': {
        const r = decodeMsChap1ResponseValue(value);
        if (!r.ok) {
          this.debug(`CHAP authenticator: ${r.error}`);
          return undefined;
        }
        return {
          method: 'mschap1',
          user,
          challenge: this.challenge,
          ntResponse: r.value.ntResponse,
          lmResponse: r.value.lmResponse,
          useNt: r.value.flags === 1,
        };
      }
      case 'mschap2': {
        const r = decodeMsChap2ResponseValue(value);
        if (!r.ok) {
          this.debug(`CHAP authenticator: ${r.error}`);
          return undefined;
        }
        return {
          method: 'mschap2',
          user,
          authenticatorChallenge: this.challenge,
          peerChallenge: r.value.peerChallenge,
          ntResponse: r.value.ntResponse,
          flags: r.value.flags,
        };
      }
    }
  }

  completeCheck(now: Instant, verdict: AuthVerdict): void {
    if (this.state !== 'checking') return;
    if (verdict.ok) {
      let message = verdict.message ?? '';
      if (this.method === 'mschap2') {
        const success = buildMsChap2Success(verdict.authenticatorResponse, verdict.message);
        if (success === undefined) {
          // Without S= the peer MUST end the session (RFC 2759 section 5), so fail here.
          this.logger.log(['ppp', 'error'], 'MS-CHAPv2: accept verdict carries no authenticator response');
          this.reject(now, { ok: false, message: 'authentication failed' }, 'bad-verdict');
          return;
        }
        message = success;
      }
      const packet = encodeChapMessage(CHAP_SUCCESS, this.id, message);
      this.reply = { id: this.id, packet };
      this.state = 'succeeded';
      this.transmit(packet);
      this.finishSuccess(verdict.user, verdict);
      return;
    }
    this.reject(now, verdict, 'auth-rejected');
  }

  private reject(now: Instant, verdict: { ok: false; message: string; retry?: boolean }, code: 'auth-rejected' | 'bad-verdict'): void {
    const failureId = this.id;
    let message = verdict.message;
    const retry = this.method !== 'chap' && verdict.retry !== false && this.retriesLeft > 0 && code === 'auth-rejected';
    if (this.method !== 'chap') {
      const next = randomBytes(this.random, challengeLengthFor(this.method));
      message =
        this.method === 'mschap2'
          ? buildMsChap2Failure(MSCHAP_ERROR_AUTHENTICATION_FAILURE, retry, next, verdict.message)
          : buildMsChap1Failure(MSCHAP_ERROR_AUTHENTICATION_FAILURE, retry, next);
      if (retry) {
        this.retriesLeft--;
        this.challenge = next;
        // RFC 2759 section 7 / RFC 2433 section 8: the retried Response's Identifier is one
        // greater than the Failure's.
        this.id = (failureId + 1) & 0xff;
      }
    }
    const packet = encodeChapMessage(CHAP_FAILURE, failureId, message);
    this.reply = { id: failureId, packet };
    this.transmit(packet);
    if (retry) {
      this.state = 'retry-wait';
      // "When the authenticator sets this flag to '1' it disables short timeouts, expecting the
      // peer to prompt the user for new credentials" (RFC 2759 section 6).
      this.timers.set('restart', now + this.restartMs * this.maxRetries);
      return;
    }
    this.state = 'failed';
    this.finishFailure(code, verdict.message);
  }
}

type PeerState = 'initial' | 'waiting' | 'response-sent' | 'succeeded' | 'failed';

export class ChapPeer extends EngineBase implements AuthEngine {
  private state: PeerState = 'initial';
  private readonly user: string;
  private readonly password: string;
  private retryUsed = false;
  /** Timer expiries since the last progress (a Challenge or a retry). */
  private idleTries = 0;
  /** Last Challenge answered and what we answered, for repeats and for checking Success. */
  private last: { id: number; challenge: Uint8Array; response: PeerResponse; packet: Uint8Array } | undefined;

  constructor(
    readonly method: ChapMethod,
    creds: { user: string; password: string },
    deps: EngineDeps,
  ) {
    super(deps);
    this.user = creds.user;
    this.password = creds.password;
  }

  start(now: Instant): void {
    if (this.state !== 'initial') return;
    this.state = 'waiting';
    this.timers.set('restart', now + this.restartMs);
  }

  handleTimeout(now: Instant): void {
    if (this.finished || this.timers.expired(now).length === 0) return;
    this.idleTries++;
    if (this.idleTries >= this.maxRetries) {
      const what = this.state === 'waiting' ? 'no CHAP Challenge received' : 'no CHAP Success or Failure received';
      this.state = 'failed';
      this.finishFailure('timeout', what);
      return;
    }
    if (this.state === 'response-sent' && this.last !== undefined) this.transmit(this.last.packet);
    this.timers.set('restart', now + this.restartMs);
  }

  handlePacket(now: Instant, packet: Uint8Array): void {
    const h = decodeHeader(packet);
    if (!h.ok) return this.debug(`CHAP: discarded malformed packet: ${h.error}`);
    const { code, id, data } = h.value;
    switch (code) {
      case CHAP_CHALLENGE:
        return this.onChallenge(now, id, data);
      case CHAP_SUCCESS:
        return this.onSuccess(id, data);
      case CHAP_FAILURE:
        return this.onFailure(now, id, data);
      default:
        return this.debug(`CHAP peer: discarded code ${code}`);
    }
  }

  private onChallenge(now: Instant, id: number, data: Uint8Array): void {
    if (this.state === 'initial' || this.state === 'failed') return;
    // After success only MD5 answers re-challenges (RFC 1994 section 2 step 4).
    if (this.state === 'succeeded' && this.method !== 'chap') return;
    const body = decodeChapValueData(data);
    if (!body.ok) return this.debug(`CHAP peer: discarded Challenge: ${body.error}`);
    const challenge = body.value.value;
    if (this.method !== 'chap' && challenge.length !== challengeLengthFor(this.method)) {
      return this.debug(`CHAP peer: discarded ${this.method} Challenge of ${challenge.length} octets`);
    }
    if (this.last !== undefined && this.last.id === id && equalBytes(this.last.challenge, challenge)) {
      this.transmit(this.last.packet);
    } else {
      this.respond(id, challenge.slice());
    }
    if (this.state !== 'succeeded') {
      this.idleTries = 0;
      this.timers.set('restart', now + this.restartMs);
    }
  }

  private respond(id: number, challenge: Uint8Array): void {
    const response = computePeerResponse(this.method, id, challenge, this.user, this.password, this.random);
    const packet = encodeChapValue(CHAP_RESPONSE, id, response.value, utf8(this.user));
    this.last = { id, challenge, response, packet };
    if (this.state !== 'succeeded') this.state = 'response-sent';
    this.transmit(packet);
  }

  private onSuccess(id: number, data: Uint8Array): void {
    if (this.state !== 'response-sent' || this.last === undefined) return;
    if (id !== this.last.id) return this.debug(`CHAP peer: discarded Success id ${id}, expected ${this.last.id}`);
    const message = fromUtf8(data);
    if (this.method === 'mschap2') {
      const check = verifyMsChap2Success(message, this.password, this.last.response, this.last.challenge, this.user);
      if (!check.ok) {
        this.state = 'failed';
        this.finishFailure('mschap2-bad-authenticator', check.reason);
        return;
      }
    }
    const verdict: AuthVerdict = { ok: true, user: this.user, message };
    const mppe = peerMppeInputs(this.method, this.password, this.last.response, this.last.challenge);
    if (mppe !== undefined) verdict.mppe = { masterKeyInputs: mppe };
    this.state = 'succeeded';
    this.finishSuccess(this.user, verdict);
  }

  private onFailure(now: Instant, id: number, data: Uint8Array): void {
    if (this.state !== 'response-sent' || this.last === undefined) return;
    if (id !== this.last.id) return this.debug(`CHAP peer: discarded Failure id ${id}, expected ${this.last.id}`);
    const message = fromUtf8(data);
    if (this.method !== 'chap') {
      const f = parseMsChapFailure(message, challengeLengthFor(this.method));
      if (f.retry && f.challenge !== undefined && !this.retryUsed) {
        this.retryUsed = true;
        this.logger.log(['ppp', 'info'], `MS-CHAP Failure E=${f.error ?? '?'} R=1: retrying with the new challenge`);
        this.respond((id + 1) & 0xff, f.challenge);
        this.idleTries = 0;
        this.timers.set('restart', now + this.restartMs);
        return;
      }
      this.state = 'failed';
      this.finishFailure('chap-failure', f.text);
      return;
    }
    this.state = 'failed';
    this.finishFailure('chap-failure', message === '' ? 'CHAP Failure' : message);
  }
}
