/**
 * The contract between the PPP link (src/ppp) and the authentication engines in this folder.
 *
 * What: the four methods RouterOS offers (PAP, CHAP-MD5, MS-CHAPv1, MS-CHAPv2), the `AuthCheck`
 * an authenticator hands to the service to decide (local secret or RADIUS), the `AuthVerdict` the
 * service hands back, and the `AuthEngine` interface both sides implement.
 *
 * Call order (quinn-proto style, no I/O inside an engine):
 *   start(now) once, when the link enters the Authenticate phase (RFC 1661 section 3.5);
 *   handlePacket(now, payload) for every received packet of protocol 0xc023 / 0xc223;
 *   handleTimeout(now) when now >= nextTimeout();
 *   after each call drain pollTransmit() then pollEvent() until both return undefined;
 *   authenticator only: answer each 'check' event with completeCheck(now, verdict).
 * The link MUST send everything pollTransmit() returned before it acts on a 'failure' event, so
 * that a Nak / Failure reaches the peer before the LCP Terminate-Request.
 */
import type { Instant } from '../core/time.js';

export type AuthMethod = 'pap' | 'chap' | 'mschap1' | 'mschap2';

export type AuthCheck =
  | { method: 'pap'; user: string; password: string }
  | { method: 'chap'; user: string; id: number; challenge: Uint8Array; response: Uint8Array }
  | {
      method: 'mschap1';
      user: string;
      challenge: Uint8Array /*8*/;
      ntResponse: Uint8Array /*24*/;
      lmResponse: Uint8Array;
      useNt: boolean;
    }
  | {
      method: 'mschap2';
      user: string;
      authenticatorChallenge: Uint8Array /*16*/;
      peerChallenge: Uint8Array /*16*/;
      ntResponse: Uint8Array /*24*/;
      flags: number;
    };

export type AuthVerdict =
  | {
      ok: true;
      user: string;
      authenticatorResponse?: string /* mschap2 "S=..." */;
      mppe?:
        | { sendKey: Uint8Array; recvKey: Uint8Array }
        | { masterKeyInputs: { passwordHashHash: Uint8Array; ntResponse: Uint8Array; challenge?: Uint8Array } };
      message?: string;
    }
  | { ok: false; message: string; retry?: boolean };

export interface AuthEngine {
  start(now: Instant): void;
  handlePacket(now: Instant, packet: Uint8Array /* PPP payload of protocol c023/c223: code,id,len,data */): void;
  handleTimeout(now: Instant): void;
  nextTimeout(): Instant | undefined;
  pollTransmit(): Uint8Array | undefined; // PPP payload (the link adds the protocol field)
  pollEvent(): AuthEngineEvent | undefined;
  completeCheck?(now: Instant, verdict: AuthVerdict): void; // authenticator only
}

export type AuthEngineEvent =
  | { type: 'check'; check: AuthCheck }
  | { type: 'success'; user: string; verdict?: AuthVerdict }
  | { type: 'failure'; message: string; code: string };

/**
 * Stable codes carried by `failure` events (never match on message text).
 * - timeout: restart timer ran out of tries (no answer from the other side)
 * - pap-nak: the authenticator sent PAP Authenticate-Nak
 * - chap-failure: CHAP / MS-CHAP Failure received (peer) with no retry left
 * - mschap2-bad-authenticator: the MS-CHAPv2 Success did not carry the right S= value (RFC 2759 s5)
 * - auth-rejected: the authenticator refused the peer (verdict ok=false)
 * - not-started / bad-verdict: programming errors reported instead of thrown
 */
export type AuthFailureCode =
  | 'timeout'
  | 'pap-nak'
  | 'chap-failure'
  | 'mschap2-bad-authenticator'
  | 'auth-rejected'
  | 'bad-verdict';
