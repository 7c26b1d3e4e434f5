/**
 * LCP Authentication-Protocol (type 3), RFC 1661 section 6.2; values per RFC 1334 (PAP), RFC 1994
 * (CHAP-MD5), RFC 2433 (MS-CHAPv1), RFC 2759 (MS-CHAPv2); encoding in src/auth/lcp-option.ts.
 *
 * Server (authenticator): requests its allowed methods in preference order mschap2, mschap1, chap,
 * pap. A Nak whose hint is allowed and not yet refused switches to it (Windows may ask for EAP
 * first; that hint is not ours, so we move down our list); otherwise we move to the next allowed
 * method. When every allowed method was refused, or the option is rejected outright, negotiation
 * failed: `failure()` returns 'authentication protocol negotiation failed' and LCP closes.
 * A peer asking us to authenticate ourselves is rejected (the server does not authenticate to
 * clients).
 *
 * Client (peer): acks a requested method in its `allow=` list; otherwise Naks toward its own most
 * preferred method not suggested yet (then repeats its favourite; Max-Failure ends a deadlock).
 * Without credentials or with an empty list it Rejects the option.
 */
import type { AuthMethod } from '../../auth/types.js';
import { lcpAuthOptionData, methodFromLcpAuthOption } from '../../auth/lcp-option.js';
import { ACK, REJECT, nak, type OptionHandler } from '../negotiator.js';
import { LcpOptionType, type LcpNegotiated, type LcpSettings } from './types.js';

export const AUTH_PREFERENCE: readonly AuthMethod[] = ['mschap2', 'mschap1', 'chap', 'pap'];

export const AUTH_NEGOTIATION_FAILED = 'authentication protocol negotiation failed';

export function authOption(settings: LcpSettings, negotiated: LcpNegotiated): OptionHandler & { failure(): string | undefined } {
  const allowed = AUTH_PREFERENCE.filter((m) => settings.authentication.includes(m));
  let current: AuthMethod | undefined = allowed[0];
  const refused = new Set<AuthMethod>();
  let failed = false;
  const suggested = new Set<AuthMethod>();

  const server: OptionHandler & { failure(): string | undefined } = {
    type: LcpOptionType.AuthenticationProtocol,
    name: 'auth',
    failure: () => (failed ? AUTH_NEGOTIATION_FAILED : undefined),
    reset() {
      current = allowed[0];
      refused.clear();
      failed = false;
      negotiated.authMethod = undefined;
    },
    ourRequest: () => (current !== undefined && !failed ? lcpAuthOptionData(current) : undefined),
    ackedByPeer(data) {
      negotiated.authMethod = methodFromLcpAuthOption(data);
    },
    nakedByPeer(data) {
      if (current !== undefined) refused.add(current);
      const hint = methodFromLcpAuthOption(data);
      if (hint !== undefined && allowed.includes(hint) && !refused.has(hint)) current = hint;
      else current = allowed.find((m) => !refused.has(m));
      if (current === undefined) failed = true;
    },
    rejectedByPeer() {
      // The peer refuses to authenticate at all; we never run without authentication when the
      // configuration requires it.
      current = undefined;
      if (allowed.length > 0) failed = true;
    },
    checkPeer: () => REJECT,
  };

  const client: OptionHandler & { failure(): string | undefined } = {
    type: LcpOptionType.AuthenticationProtocol,
    name: 'auth',
    failure: () => undefined,
    reset() {
      suggested.clear();
      negotiated.authMethod = undefined;
    },
    checkPeer(data) {
      if (!settings.hasCredentials || allowed.length === 0) return REJECT;
      const m = methodFromLcpAuthOption(data);
      if (m !== undefined && allowed.includes(m)) return ACK;
      const next = allowed.find((x) => !suggested.has(x)) ?? allowed[0]!;
      suggested.add(next);
      return nak(lcpAuthOptionData(next));
    },
    peerAcked(data) {
      negotiated.authMethod = data ? methodFromLcpAuthOption(data) : undefined;
    },
  };

  return settings.role === 'server' ? server : client;
}
