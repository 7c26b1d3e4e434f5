/**
 * `/radius incoming`: Dynamic Authorization Server side of RFC 5176 (Disconnect-Request and
 * CoA-Request, received on port 1700 as RouterOS does; RFC 5176 registers 3799).
 *
 * Verification, in order; a request failing 1-3 is silently discarded and counted (RFC 5176
 * section 3.5 / RFC 2865 section 3 rules for requests we cannot authenticate):
 *   1. it decodes and is a Disconnect-Request (40) or CoA-Request (43);
 *   2. it comes from the address of a `/radius` entry, whose secret is then used;
 *   3. its Request Authenticator is MD5(Code + Identifier + Length + 16 zero octets + Attributes +
 *      Secret) (RFC 5176 3.5, the RFC 2866 Accounting-Request rule), and a Message-Authenticator,
 *      when present, verifies (computed with the authenticator field zeroed, as FreeRADIUS signs
 *      these requests; the header value is also accepted).
 * Then the NAS identification attributes (NAS-IP-Address, NAS-Identifier), when present, must be
 * ours (else NAK, Error-Cause 403 NAS-Identification-Mismatch), at least one session
 * identification attribute must be present (else NAK 402 Missing-Attribute), and the sessions
 * matching ALL given identification attributes (User-Name, Acct-Session-Id, Framed-IP-Address,
 * Calling-Station-Id) are acted on: none -> NAK 503 Session-Context-Not-Found; the target refuses
 * -> NAK 504 Session-Context-Not-Removable (disconnect) or 506 Resources-Unavailable (CoA);
 * otherwise ACK (41 / 44). Several matching sessions are all disconnected; a CoA must match
 * exactly one (else NAK 508 Multiple-Session-Selection-Unsupported).
 *
 * CoA-Request (RFC 5176 section 3): the authorisation attributes we can change on a live session
 * are Session-Timeout, Idle-Timeout, Acct-Interim-Interval, Mikrotik-Rate-Limit (14988/8) and
 * Mikrotik-Address-List (14988/19); they become an `AuthorizationChange` holding only what the
 * request carries. Besides those and the identification attributes, a request may carry only
 * Message-Authenticator, Event-Timestamp, Proxy-State, and Service-Type = Framed. Checked before
 * anything is applied, in this order:
 *   - Service-Type other than Framed (e.g. Authorize-Only, which would need a new Access-Request)
 *     -> NAK 405 Unsupported-Service;
 *   - any other attribute -> NAK 401 Unsupported-Attribute (RFC 5176 3.6: "the request contained
 *     an attribute (for example, a VSA) that is not supported");
 *   - a supported attribute whose value does not decode, or a rate-limit RouterOS would not parse
 *     -> NAK 407 Invalid-Attribute-Value.
 * Only then is the session looked up and the change handed to the target, whole: the target
 * applies all of it or none (returning false -> NAK 506), so a CoA-ACK means every change took.
 *
 * Replies carry the Response Authenticator MD5(Code + Identifier + Length + Request Authenticator
 * + Attributes + Secret) (RFC 5176 3.5). A retransmitted request (same source, Identifier and
 * Request Authenticator within `duplicateWindowMs`) gets the cached reply again and is not acted
 * on twice.
 *
 * Call order: handleDatagram(now, from, bytes) for each datagram on the incoming port; then drain
 * pollTransmit() (replies `{to, bytes}`). The target callbacks run synchronously inside
 * handleDatagram. No I/O, no timers (the duplicate cache expires by `now`).
 */
import { hex, utf8 } from '../core/bytes.js';
import { nullLogger, RateLimitedLog, type Logger } from '../core/log.js';
import type { Instant } from '../core/time.js';
import { signResponseAuthenticator, verifyAccountingRequest, verifyMessageAuthenticator } from '../crypto/radius-crypto.js';
import { attributeByCode, ErrorCause, RadiusCode, ServiceType, codeName, type ErrorCauseName } from '../wire/radius/dictionary.js';
import { attribute, decodePacket, encodePacket, findAll, findAttribute, getAllValues, getInteger, getText, getValue, type RadiusPacket } from '../wire/radius/packet.js';
import { parseRateLimit } from './policy.js';
import type { RadiusDatagram, RadiusServer, UdpAddress } from './radius-client.js';

/** What the Dynamic Authorization Server needs to know about one active session. */
export interface DynamicSessionInfo {
  /** Acct-Session-Id. */
  readonly sessionId: string;
  readonly user: string;
  readonly framedIpAddress?: string;
  readonly callingStationId: string;
}

/**
 * What a CoA-Request changes on a session: only the attributes it carried are present. Values are
 * already validated (rate-limit parses as RouterOS rate-limit text).
 */
export interface AuthorizationChange {
  /** Session-Timeout, seconds (0: no limit). */
  readonly sessionTimeout?: number;
  /** Idle-Timeout, seconds (0: no limit). */
  readonly idleTimeout?: number;
  /** Acct-Interim-Interval, seconds (0: no interim updates). */
  readonly acctInterimInterval?: number;
  /** Mikrotik-Rate-Limit text ("rx/tx ..." from the router's point of view). */
  readonly rateLimit?: string;
  /** Mikrotik-Address-List values (every one given; replaces the session's lists). */
  readonly addressLists?: readonly string[];
}

/** The service side: the sessions, and how to act on them. Return false when it cannot. */
export interface DynamicAuthorizationTarget {
  sessions(): readonly DynamicSessionInfo[];
  disconnect(now: Instant, sessionIds: readonly string[]): boolean;
  /** Applies all of `change` or nothing; false when it cannot (-> NAK 506). */
  changeAuthorization(now: Instant, sessionId: string, change: AuthorizationChange): boolean;
}

/** RFC 5176 3.3: attributes that identify the session (those we match on) or the NAS. */
const IDENTIFICATION = ['User-Name', 'Acct-Session-Id', 'Framed-IP-Address', 'Calling-Station-Id', 'NAS-IP-Address', 'NAS-Identifier'];
/** Allowed in any CoA-Request, changing nothing (Service-Type is checked on its own). */
const NEUTRAL = ['Message-Authenticator', 'Event-Timestamp', 'Proxy-State', 'Service-Type'];
/** The authorisation attributes a CoA-Request may change. */
const CHANGEABLE = ['Session-Timeout', 'Idle-Timeout', 'Acct-Interim-Interval', 'Mikrotik-Rate-Limit', 'Mikrotik-Address-List'];
const UNDERSTOOD = new Set([...IDENTIFICATION, ...NEUTRAL, ...CHANGEABLE].map((n) => n.toLowerCase()));

/**
 * The change a CoA-Request asks for, or the Error-Cause that refuses it (RFC 5176 3.6), from the
 * attributes alone (no session needed). Exported for tests and for reuse.
 */
export function authorizationChangeOf(p: RadiusPacket): { ok: true; change: AuthorizationChange } | { ok: false; cause: ErrorCauseName; attribute?: string } {
  const serviceType = findAttribute(p, 'Service-Type');
  if (serviceType !== undefined && getInteger(p, 'Service-Type') !== ServiceType.Framed) return { ok: false, cause: 'Unsupported-Service', attribute: 'Service-Type' };
  for (const a of p.attributes) {
    const def = attributeByCode(a.vendor, a.type);
    if (!def || !UNDERSTOOD.has(def.name.toLowerCase())) {
      return { ok: false, cause: 'Unsupported-Attribute', attribute: def?.name ?? (a.vendor !== undefined ? `vendor ${a.vendor} attribute ${a.type}` : `attribute ${a.type}`) };
    }
  }
  const change: { -readonly [K in keyof AuthorizationChange]: AuthorizationChange[K] } = {};
  const integer = (name: string): number | undefined | false => {
    if (!findAttribute(p, name)) return undefined;
    const v = getInteger(p, name);
    return v === undefined ? false : v;
  };
  for (const [name, field] of [
    ['Session-Timeout', 'sessionTimeout'],
    ['Idle-Timeout', 'idleTimeout'],
    ['Acct-Interim-Interval', 'acctInterimInterval'],
  ] as const) {
    const v = integer(name);
    if (v === false) return { ok: false, cause: 'Invalid-Attribute-Value', attribute: name };
    if (v !== undefined) change[field] = v;
  }
  if (findAttribute(p, 'Mikrotik-Rate-Limit')) {
    const text = getText(p, 'Mikrotik-Rate-Limit');
    if (text === undefined || !parseRateLimit(text)) return { ok: false, cause: 'Invalid-Attribute-Value', attribute: 'Mikrotik-Rate-Limit' };
    change.rateLimit = text;
  }
  const lists = findAll(p, 'Mikrotik-Address-List');
  if (lists.length > 0) {
    const values = getAllValues(p, 'Mikrotik-Address-List').filter((v): v is string => typeof v === 'string');
    if (values.length !== lists.length) return { ok: false, cause: 'Invalid-Attribute-Value', attribute: 'Mikrotik-Address-List' };
    // An empty value clears the session's lists; several names may be given comma-separated.
    change.addressLists = [...new Set(values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== ''))];
  }
  return { ok: true, change };
}

export interface DynamicAuthorizationOptions {
  readonly target: DynamicAuthorizationTarget;
  /** `/radius` entries: a request is accepted only from one of their addresses, with its secret. */
  readonly servers: readonly RadiusServer[];
  readonly nasIdentifier: string;
  readonly nasIpAddress?: string;
  readonly logger?: Logger;
  readonly duplicateWindowMs?: number;
}

export interface DynamicAuthorizationCounters {
  disconnectRequests: number;
  disconnectAcks: number;
  disconnectNaks: number;
  coaRequests: number;
  coaAcks: number;
  coaNaks: number;
  dropped: number;
}

interface CachedReply {
  readonly at: Instant;
  readonly bytes: Uint8Array;
}

const DUPLICATE_CACHE_MAX = 1024;

export class DynamicAuthorizationServer {
  private servers: readonly RadiusServer[];
  private readonly logger: Logger;
  private readonly badLog: RateLimitedLog;
  private readonly transmits: RadiusDatagram[] = [];
  private readonly recent = new Map<string, CachedReply>();
  private readonly stats: DynamicAuthorizationCounters = {
    disconnectRequests: 0,
    disconnectAcks: 0,
    disconnectNaks: 0,
    coaRequests: 0,
    coaAcks: 0,
    coaNaks: 0,
    dropped: 0,
  };

  constructor(private readonly options: DynamicAuthorizationOptions) {
    this.servers = options.servers;
    this.logger = options.logger ?? nullLogger;
    this.badLog = new RateLimitedLog(this.logger, 10_000);
  }

  setServers(servers: readonly RadiusServer[]): void {
    this.servers = servers;
  }

  counters(): DynamicAuthorizationCounters {
    return { ...this.stats };
  }

  pollTransmit(): RadiusDatagram | undefined {
    return this.transmits.shift();
  }

  handleDatagram(now: Instant, from: UdpAddress, bytes: Uint8Array): void {
    const decoded = decodePacket(bytes);
    if (!decoded.ok) return this.drop(now, from, `malformed: ${decoded.message}`);
    const p = decoded.packet;
    if (p.code !== RadiusCode.DisconnectRequest && p.code !== RadiusCode.CoaRequest) return this.drop(now, from, `unexpected ${codeName(p.code)}`);
    const server = this.servers.find((s) => s.address === from.ip);
    if (!server) return this.drop(now, from, 'not from a configured /radius server');
    const secret = utf8(server.secret);
    const declared = bytes.subarray(0, (bytes[2]! << 8) | bytes[3]!);
    if (!verifyAccountingRequest(declared, secret)) return this.drop(now, from, `${codeName(p.code)}: bad Request Authenticator`);
    if (
      findAttribute(p, 'Message-Authenticator') &&
      !verifyMessageAuthenticator(declared, secret, new Uint8Array(16)) &&
      !verifyMessageAuthenticator(declared, secret)
    ) {
      return this.drop(now, from, `${codeName(p.code)}: bad Message-Authenticator`);
    }

    const key = `${from.ip}:${from.port}:${p.identifier}:${hex(p.authenticator)}`;
    this.expire(now);
    const cached = this.recent.get(key);
    if (cached) {
      // A retransmission: answer the same, do not act twice.
      this.transmits.push({ to: from, bytes: cached.bytes });
      return;
    }

    const isDisconnect = p.code === RadiusCode.DisconnectRequest;
    if (isDisconnect) this.stats.disconnectRequests++;
    else this.stats.coaRequests++;
    const outcome = this.decide(now, p, isDisconnect);
    const reply = this.reply(p, isDisconnect, outcome, secret);
    if (this.recent.size >= DUPLICATE_CACHE_MAX) {
      const oldest = this.recent.keys().next();
      if (!oldest.done) this.recent.delete(oldest.value);
    }
    this.recent.set(key, { at: now, bytes: reply });
    this.transmits.push({ to: from, bytes: reply });
  }

  // ---------------------------------------------------------------------------------------------

  private drop(now: Instant, from: UdpAddress, why: string): void {
    this.stats.dropped++;
    this.badLog.log(now, from.ip, ['radius', 'warning'], `incoming request from ${from.ip}:${from.port} dropped: ${why}`);
  }

  private expire(now: Instant): void {
    const window = this.options.duplicateWindowMs ?? 30_000;
    for (const [k, v] of this.recent) {
      if (now - v.at <= window) break; // insertion order = time order
      this.recent.delete(k);
    }
  }

  private decide(now: Instant, p: RadiusPacket, isDisconnect: boolean): ErrorCauseName | undefined {
    const nasIp = getValue(p, 'NAS-IP-Address');
    const nasId = getText(p, 'NAS-Identifier');
    if ((nasIp !== undefined && nasIp !== this.options.nasIpAddress) || (nasId !== undefined && nasId !== this.options.nasIdentifier)) {
      return 'NAS-Identification-Mismatch';
    }
    // A CoA-Request's attributes are checked whole before any session is touched.
    let change: AuthorizationChange | undefined;
    if (!isDisconnect) {
      const c = authorizationChangeOf(p);
      if (!c.ok) {
        this.logger.log(['radius', 'info'], `CoA refused: ${c.cause}${c.attribute !== undefined ? ` (${c.attribute})` : ''}`);
        return c.cause;
      }
      change = c.change;
    }
    const user = getText(p, 'User-Name');
    const sessionId = getText(p, 'Acct-Session-Id');
    const framedIp = getValue(p, 'Framed-IP-Address');
    const calling = getText(p, 'Calling-Station-Id');
    if (user === undefined && sessionId === undefined && framedIp === undefined && calling === undefined) return 'Missing-Attribute';
    const matched = this.options.target
      .sessions()
      .filter(
        (s) =>
          (user === undefined || s.user === user) &&
          (sessionId === undefined || s.sessionId === sessionId) &&
          (framedIp === undefined || s.framedIpAddress === framedIp) &&
          (calling === undefined || s.callingStationId === calling),
      );
    const what = `${isDisconnect ? 'disconnect' : 'CoA'} for ${user ?? sessionId ?? framedIp ?? calling}`;
    if (matched.length === 0) {
      this.logger.log(['radius', 'info'], `${what}: no such session`);
      return 'Session-Context-Not-Found';
    }
    if (isDisconnect || change === undefined) {
      const ok = this.options.target.disconnect(now, matched.map((s) => s.sessionId));
      this.logger.log(['radius', 'info'], `${what}: ${ok ? `${matched.length} session(s) disconnected` : 'refused'}`);
      return ok ? undefined : 'Session-Context-Not-Removable';
    }
    if (matched.length > 1) return 'Multiple-Session-Selection-Unsupported';
    const ok = this.options.target.changeAuthorization(now, matched[0]!.sessionId, change);
    this.logger.log(['radius', 'info'], `${what}: ${ok ? `applied ${describeChange(change)}` : 'refused'}`);
    return ok ? undefined : 'Resources-Unavailable';
  }

  private reply(p: RadiusPacket, isDisconnect: boolean, error: ErrorCauseName | undefined, secret: Uint8Array): Uint8Array {
    let code: number;
    if (error === undefined) {
      code = isDisconnect ? RadiusCode.DisconnectAck : RadiusCode.CoaAck;
      if (isDisconnect) this.stats.disconnectAcks++;
      else this.stats.coaAcks++;
    } else {
      code = isDisconnect ? RadiusCode.DisconnectNak : RadiusCode.CoaNak;
      if (isDisconnect) this.stats.disconnectNaks++;
      else this.stats.coaNaks++;
    }
    // RFC 2865 5.33: Proxy-State "MUST be included unmodified in the reply" (RFC 5176 3 keeps it).
    const attributes = [...(error === undefined ? [] : [attribute('Error-Cause', ErrorCause[error])]), ...findAll(p, 'Proxy-State')];
    const bytes = encodePacket({ code, identifier: p.identifier, authenticator: p.authenticator, attributes });
    signResponseAuthenticator(bytes, secret);
    return bytes;
  }
}

/** `session-timeout=600 rate-limit=5M/5M` for the log. */
function describeChange(c: AuthorizationChange): string {
  const parts: string[] = [];
  if (c.sessionTimeout !== undefined) parts.push(`session-timeout=${c.sessionTimeout}`);
  if (c.idleTimeout !== undefined) parts.push(`idle-timeout=${c.idleTimeout}`);
  if (c.acctInterimInterval !== undefined) parts.push(`interim-interval=${c.acctInterimInterval}`);
  if (c.rateLimit !== undefined) parts.push(`rate-limit=${c.rateLimit}`);
  if (c.addressLists !== undefined) parts.push(`address-list=${c.addressLists.join(',')}`);
  return parts.length > 0 ? parts.join(' ') : '(nothing to change)';
}
