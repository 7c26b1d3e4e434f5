/**
 * Public face of src/auth: factories for the authenticator (server) and peer (client) engines of
 * PAP (RFC 1334), CHAP-MD5 (RFC 1994), MS-CHAPv1 (RFC 2433) and MS-CHAPv2 (RFC 2759), the
 * local-secret verifier, and the LCP Authentication-Protocol option helpers.
 *
 * Usage by the PPP link (src/ppp), with no I/O in any engine:
 *   const a = createAuthenticator('mschap2', { random, logger, name: 'MikroTik' });
 *   a.start(now);                   // on entering the Authenticate phase
 *   a.handlePacket(now, payload);   // packets of protocolFor('mschap2'), routed by routeAuthPacket
 *   a.handleTimeout(now);           // when now >= a.nextTimeout()
 *   drain a.pollTransmit() (send first), then a.pollEvent():
 *     'check'   -> service decides (verifyWithPassword with the local secret, or RADIUS),
 *                  then a.completeCheck(now, verdict)
 *     'success' -> leave the Authenticate phase;  'failure' -> terminate the link
 * The peer side is the same without 'check' events.
 */
import type { Logger } from '../core/log.js';
import type { Random } from '../core/random.js';
import { ChapAuthenticator, ChapPeer } from './chap.js';
import { CHAP_RESPONSE, PAP_AUTHENTICATE_REQUEST } from './packet.js';
import { PapAuthenticator, PapPeer } from './pap.js';
import { PPP_PROTOCOL_CHAP, PPP_PROTOCOL_PAP } from './lcp-option.js';
import type { AuthEngine, AuthMethod } from './types.js';

export type { AuthCheck, AuthEngine, AuthEngineEvent, AuthFailureCode, AuthMethod, AuthVerdict } from './types.js';
export { lcpAuthOptionData, methodFromLcpAuthOption, protocolFor, PPP_PROTOCOL_CHAP, PPP_PROTOCOL_PAP } from './lcp-option.js';
export { verifyWithPassword } from './verify.js';
export { DEFAULT_MAX_RETRIES, DEFAULT_RESTART_MS } from './engine-base.js';

export interface AuthenticatorDeps {
  random: Random;
  logger: Logger;
  /** Our CHAP Name (RouterOS: the system identity). Unused by PAP. */
  name: string;
  /** Restart timer, ms (default 3000). */
  restartMs?: number;
  /** Challenges sent / waits before failing with 'timeout' (default 10). */
  maxRetries?: number;
  /** MS-CHAPv1/v2 only: failed Responses the peer may retry (Failure R=1). Default 0 (R=0). */
  mschapRetries?: number;
}

export interface PeerDeps {
  random: Random;
  logger: Logger;
  restartMs?: number;
  maxRetries?: number;
}

export function createAuthenticator(method: AuthMethod, deps: AuthenticatorDeps): AuthEngine {
  const common = {
    random: deps.random,
    logger: deps.logger,
    ...(deps.restartMs !== undefined ? { restartMs: deps.restartMs } : {}),
    ...(deps.maxRetries !== undefined ? { maxRetries: deps.maxRetries } : {}),
  };
  if (method === 'pap') return new PapAuthenticator(common);
  return new ChapAuthenticator(method, { ...common, name: deps.name, retries: deps.mschapRetries ?? 0 });
}

export function createPeer(method: AuthMethod, creds: { user: string; password: string }, deps: PeerDeps): AuthEngine {
  if (method === 'pap') return new PapPeer(creds, deps);
  return new ChapPeer(method, creds, deps);
}

/**
 * Which of our two engines a received PAP/CHAP packet is for, when a link authenticates in both
 * directions over one protocol number: PAP Authenticate-Request and CHAP Response go to our
 * authenticator, every other code to our peer. Undefined for other protocols or empty packets.
 */
export function routeAuthPacket(protocol: number, packet: Uint8Array): 'authenticator' | 'peer' | undefined {
  const code = packet[0];
  if (code === undefined) return undefined;
  if (protocol === PPP_PROTOCOL_PAP) return code === PAP_AUTHENTICATE_REQUEST ? 'authenticator' : 'peer';
  if (protocol === PPP_PROTOCOL_CHAP) return code === CHAP_RESPONSE ? 'authenticator' : 'peer';
  return undefined;
}
