/**
 * RADIUS client engine (RFC 2865 authentication, RFC 2866 accounting transport, RFC 2869 / RFC
 * 3579 Message-Authenticator, RFC 2548 Microsoft attributes), as RouterOS's `/radius` client for
 * PPP: several servers tried in order, each with its own timeout and retransmissions, then
 * failover to the next.
 *
 * What it does:
 *  - `authenticate(now, check, session)` turns an `AuthCheck` from the PPP authenticator into an
 *    Access-Request: PAP as a hidden User-Password (RFC 2865 5.2); CHAP as CHAP-Password
 *    (Identifier + Response) and CHAP-Challenge (RFC 2865 5.3, 5.40); MS-CHAPv1 as MS-CHAP-Challenge
 *    and MS-CHAP-Response (RFC 2548 2.1.3, 2.3.2); MS-CHAPv2 as MS-CHAP-Challenge and
 *    MS-CHAP2-Response (Ident, Flags, Peer-Challenge, Reserved, Response; RFC 2548 2.3.2). Every
 *    request carries User-Name, NAS-IP-Address (when known), NAS-Identifier, NAS-Port,
 *    NAS-Port-Type = Virtual, Calling-Station-Id (the client's IP), Called-Station-Id,
 *    Service-Type = Framed, Framed-Protocol = PPP, Acct-Session-Id, and Message-Authenticator
 *    (first, as the BlastRADIUS advice recommends).
 *  - `sendAccounting(now, attributes, createdAt)` carries an Accounting-Request built by
 *    accounting.ts, adding Acct-Delay-Time (RFC 2866 5.2) each time a new packet is built.
 *  - The reply becomes an `access` event: an `AuthVerdict` (MS-CHAP2-Success -> the "S=..."
 *    authenticator response; MS-MPPE-Send/Recv-Key decrypted -> `mppe`; MS-CHAP-MPPE-Keys for
 *    MS-CHAPv1 -> MPPE inputs) and a `RadiusAuthorization` of the reply attributes RouterOS
 *    honours. Accounting replies become `accounting` events.
 *
 * Reliability (RFC 2865 section 2.4-2.5 practice): a retransmission to the same server reuses the
 * same Identifier and bytes; moving to another server builds a new packet (new Identifier,
 * new Request Authenticator, password hidden with that server's secret). After `tries` sends
 * per server on every server, the request ends with a timeout (`access` reject with retry, or
 * `accounting` not delivered). Identifiers are allocated per destination (address:port), 256
 * outstanding at most; requests beyond that wait in FIFO order for a free Identifier.
 *
 * Response checks (a reply is accepted only when all pass; otherwise dropped and counted in
 * `badReplies`, never acted on): it decodes; it comes from the address:port we sent to; its
 * Identifier matches an outstanding request there; its code answers that request's code;
 * its Response Authenticator verifies with the server's secret (RFC 2865 section 3); and its
 * Message-Authenticator verifies when present (RFC 3579 3.2 "MUST be silently discarded"), or
 * is required when `requireMessageAuthenticator` is set.
 *
 * Call order (engine contract, no I/O): authenticate / sendAccounting; then the driver drains
 * pollTransmit() (datagrams `{to, bytes}`; the daemon owns the socket) and pollEvent();
 * handleDatagram(now, from, bytes) for each datagram from a RADIUS server; handleTimeout(now)
 * when now >= nextTimeout().
 */
import { concat, fromUtf8, utf8 } from '../core/bytes.js';
import { nullLogger, RateLimitedLog, type Logger } from '../core/log.js';
import { randomBytes, type Random } from '../core/random.js';
import type { Instant } from '../core/time.js';
import {
  decryptMppeKey,
  hideUserPassword,
  signAccountingRequest,
  signMessageAuthenticator,
  unhideUserPassword,
  USER_PASSWORD_MAX_LENGTH,
  verifyMessageAuthenticator,
  verifyResponseAuthenticator,
} from '../crypto/radius-crypto.js';
import type { AuthCheck, AuthVerdict } from '../auth/types.js';
import type { ConfigStore } from '../config/store.js';
import { parseDuration } from '../config/values.js';
import { RadiusCode, codeName } from '../wire/radius/dictionary.js';
import {
  attribute,
  decodePacket,
  encodePacket,
  findAttribute,
  getAllValues,
  getInteger,
  getOctets,
  getText,
  getValue,
  type RadiusAttribute,
  type RadiusPacket,
} from '../wire/radius/packet.js';

export interface UdpAddress {
  readonly ip: string;
  readonly port: number;
}

export interface RadiusDatagram {
  readonly to: UdpAddress;
  readonly bytes: Uint8Array;
}

/** One `/radius` entry. */
export interface RadiusServer {
  readonly address: string;
  readonly secret: string;
  readonly authenticationPort: number;
  readonly accountingPort: number;
  /** Wait for a reply before retransmitting, ms (RouterOS `timeout`, default 100ms). */
  readonly timeoutMs: number;
}

/** The NAS as RADIUS sees it. */
export interface NasIdentity {
  /** NAS-IP-Address; omitted when undefined (then NAS-Identifier alone identifies us). */
  readonly nasIpAddress?: string;
  /** NAS-Identifier: RouterOS sends its system identity. */
  readonly nasIdentifier: string;
}

/** The PPP session an Access-Request is for. */
export interface RadiusSessionInfo {
  readonly acctSessionId: string;
  readonly nasPort: number;
  /** Calling-Station-Id: the L2TP peer's IP address (RouterOS caller-id). */
  readonly callingStationId: string;
  /** Called-Station-Id: the address the peer dialled (our L2TP listening address). */
  readonly calledStationId?: string;
}

/** Reply attributes RouterOS honours for a PPP session (RFC 2865 section 5, vendor 311 and 14988). */
export interface RadiusAuthorization {
  readonly framedIpAddress?: string;
  readonly framedIpNetmask?: string;
  readonly framedPool?: string;
  readonly framedRoutes: readonly string[];
  readonly framedMtu?: number;
  /** Seconds. */
  readonly sessionTimeout?: number;
  /** Seconds. */
  readonly idleTimeout?: number;
  /** Seconds (RFC 2869 5.16). */
  readonly acctInterimInterval?: number;
  /** Class values, echoed in accounting (RFC 2865 5.25). */
  readonly classes: readonly Uint8Array[];
  readonly rateLimit?: string;
  readonly addressLists: readonly string[];
  /** Mikrotik-Group: the PPP profile to use instead of the default profile. */
  readonly group?: string;
  readonly primaryDns?: string;
  readonly secondaryDns?: string;
  readonly primaryNbns?: string;
  readonly secondaryNbns?: string;
  readonly mppeEncryptionPolicy?: number;
  readonly mppeEncryptionTypes?: number;
  readonly replyMessage?: string;
}

export type RadiusClientEvent =
  | {
      readonly type: 'access';
      readonly token: number;
      readonly verdict: AuthVerdict;
      /** Present on Access-Accept. */
      readonly authorization?: RadiusAuthorization;
      /** Server that answered; undefined on timeout. */
      readonly server?: string;
      /** True when no server answered. */
      readonly timedOut: boolean;
    }
  | { readonly type: 'accounting'; readonly token: number; readonly delivered: boolean; readonly server?: string };

/** `/radius monitor` counters (RouterOS names with dashes, here in camelCase). */
export interface RadiusCounters {
  pending: number;
  requests: number;
  accepts: number;
  rejects: number;
  resends: number;
  timeouts: number;
  badReplies: number;
  accountingRequests: number;
  accountingResponses: number;
  /** Round trip of the last answered request, ms. */
  lastRequestRtt: number;
}

export interface RadiusClientOptions {
  readonly random: Random;
  readonly nas: NasIdentity;
  readonly servers: readonly RadiusServer[];
  readonly logger?: Logger;
  /** Sends per server before failing over (default 3: the first send and two retransmissions). */
  readonly tries?: number;
  /** Drop replies without Message-Authenticator (default false: FreeRADIUS 3.2.1 omits it). */
  readonly requireMessageAuthenticator?: boolean;
}

export const DEFAULT_TRIES = 3;
export const RADIUS_AUTH_PORT = 1812;
export const RADIUS_ACCT_PORT = 1813;

type RequestKind = 'access' | 'accounting';

interface Request {
  readonly token: number;
  readonly kind: RequestKind;
  readonly check?: AuthCheck;
  readonly session?: RadiusSessionInfo;
  readonly accountingAttributes?: readonly RadiusAttribute[];
  readonly createdAt: Instant;
  serverIndex: number;
  triesLeft: number;
  /** Set while the request is on the wire. */
  inFlight?: {
    destination: string;
    to: UdpAddress;
    identifier: number;
    requestAuthenticator: Uint8Array;
    bytes: Uint8Array;
    secret: Uint8Array;
    deadline: Instant;
    firstSentAt: Instant;
  };
}

/** Per-destination Identifier space (RFC 2865 section 3: the Identifier matches requests and replies). */
class IdentifierSpace {
  private readonly used = new Map<number, Request>();
  private next: number;
  constructor(start: number) {
    this.next = start & 0xff;
  }
  get size(): number {
    return this.used.size;
  }
  allocate(r: Request): number | undefined {
    if (this.used.size >= 256) return undefined;
    for (let i = 0; i < 256; i++) {
      const id = (this.next + i) & 0xff;
      if (!this.used.has(id)) {
        this.used.set(id, r);
        this.next = (id + 1) & 0xff;
        return id;
      }
    }
    return undefined;
  }
  get(id: number): Request | undefined {
    return this.used.get(id);
  }
  release(id: number): void {
    this.used.delete(id);
  }
}

function destinationKey(a: UdpAddress): string {
  return `${a.ip}:${a.port}`;
}

/** Enabled `/radius` entries whose service includes `ppp`, in configuration order. */
/**
 * What identifies a PPP session's port to RADIUS, the same in Access- and Accounting-Requests
 * (RFC 2865 5.5/5.7/5.30/5.31/5.41): NAS-Port, NAS-Port-Type=Virtual, Service-Type=Framed,
 * Framed-Protocol=PPP, Calling-Station-Id (the client's IP) and Called-Station-Id when known.
 */
export function sessionAttributes(session: { readonly nasPort: number; readonly callingStationId: string; readonly calledStationId?: string }): RadiusAttribute[] {
  const attrs = [
    attribute('NAS-Port', session.nasPort >>> 0),
    attribute('NAS-Port-Type', 'Virtual'),
    attribute('Service-Type', 'Framed'),
    attribute('Framed-Protocol', 'PPP'),
    attribute('Calling-Station-Id', session.callingStationId),
  ];
  if (session.calledStationId !== undefined) attrs.push(attribute('Called-Station-Id', session.calledStationId));
  return attrs;
}

export function serversFromConfig(store: ConfigStore): RadiusServer[] {
  const out: RadiusServer[] = [];
  for (const item of store.items('radius')) {
    const v = item.values;
    if (v['disabled'] === 'yes') continue;
    if (!(v['service'] ?? '').split(',').includes('ppp')) continue;
    const address = v['address'];
    if (address === undefined) continue;
    out.push({
      address,
      secret: v['secret'] ?? '',
      authenticationPort: Number(v['authentication-port'] ?? RADIUS_AUTH_PORT),
      accountingPort: Number(v['accounting-port'] ?? RADIUS_ACCT_PORT),
      timeoutMs: parseDuration(v['timeout'] ?? '100ms') ?? 100,
    });
  }
  return out;
}

export class RadiusClient {
  private readonly random: Random;
  private readonly logger: Logger;
  private readonly badLog: RateLimitedLog;
  private readonly tries: number;
  private readonly requireMessageAuthenticator: boolean;
  private nas: NasIdentity;
  private servers: readonly RadiusServer[];
  private readonly requests = new Map<number, Request>();
  private readonly spaces = new Map<string, IdentifierSpace>();
  /** Requests waiting for a free Identifier at their destination, FIFO. */
  private readonly backlog: Request[] = [];
  private readonly transmits: RadiusDatagram[] = [];
  private readonly events: RadiusClientEvent[] = [];
  private nextToken = 1;
  private readonly stats: RadiusCounters = {
    pending: 0,
    requests: 0,
    accepts: 0,
    rejects: 0,
    resends: 0,
    timeouts: 0,
    badReplies: 0,
    accountingRequests: 0,
    accountingResponses: 0,
    lastRequestRtt: 0,
  };

  constructor(options: RadiusClientOptions) {
    this.random = options.random;
    this.logger = options.logger ?? nullLogger;
    this.badLog = new RateLimitedLog(this.logger, 10_000);
    this.tries = Math.max(1, options.tries ?? DEFAULT_TRIES);
    this.requireMessageAuthenticator = options.requireMessageAuthenticator ?? false;
    this.nas = options.nas;
    this.servers = options.servers;
  }

  /** Replaces the server list (a `/radius` change); requests in flight finish where they are. */
  setServers(servers: readonly RadiusServer[]): void {
    this.servers = servers;
  }

  setNas(nas: NasIdentity): void {
    this.nas = nas;
  }

  counters(): RadiusCounters {
    return { ...this.stats, pending: this.requests.size };
  }

  /** Starts an Access-Request for a PPP authentication check; the answer is an `access` event. */
  authenticate(now: Instant, check: AuthCheck, session: RadiusSessionInfo): number {
    const token = this.nextToken++;
    if (check.method === 'pap' && utf8(check.password).length > USER_PASSWORD_MAX_LENGTH) {
      // RFC 2865 5.2: the hidden password is at most 128 octets; such a login cannot be asked.
      this.events.push({ type: 'access', token, verdict: { ok: false, message: 'password too long for RADIUS' }, timedOut: false });
      return token;
    }
    this.start(now, { token, kind: 'access', check, session, createdAt: now, serverIndex: 0, triesLeft: this.tries });
    return token;
  }

  /**
   * Sends an Accounting-Request with these attributes (accounting.ts builds them, Class echo
   * included); Acct-Delay-Time is added from `createdAt`. The answer is an `accounting` event.
   */
  sendAccounting(now: Instant, attributes: readonly RadiusAttribute[], createdAt: Instant = now): number {
    const token = this.nextToken++;
    this.start(now, { token, kind: 'accounting', accountingAttributes: attributes, createdAt, serverIndex: 0, triesLeft: this.tries });
    return token;
  }

  /**
   * Forgets a request (the session went away, or accounting dropped the record); its datagrams not
   * yet polled are withdrawn and a late reply is dropped as unknown.
   */
  cancel(token: number): void {
    const r = this.requests.get(token);
    if (!r) return;
    const bytes = r.inFlight?.bytes;
    // Not sent yet either: a datagram still waiting in pollTransmit() is withdrawn too.
    if (bytes) for (let i = this.transmits.length - 1; i >= 0; i--) if (this.transmits[i]!.bytes === bytes) this.transmits.splice(i, 1);
    this.releaseWire(r);
    this.requests.delete(token);
    const i = this.backlog.indexOf(r);
    if (i >= 0) this.backlog.splice(i, 1);
  }

  pollTransmit(): RadiusDatagram | undefined {
    return this.transmits.shift();
  }

  pollEvent(): RadiusClientEvent | undefined {
    return this.events.shift();
  }

  nextTimeout(): Instant | undefined {
    let min: Instant | undefined;
    for (const r of this.requests.values()) {
      const d = r.inFlight?.deadline;
      if (d !== undefined && (min === undefined || d < min)) min = d;
    }
    return min;
  }

  handleTimeout(now: Instant): void {
    for (const r of [...this.requests.values()]) {
      const f = r.inFlight;
      if (!f || f.deadline > now) continue;
      if (r.triesLeft > 0) {
        // RFC 2865 section 3 / 2866 section 3: a retransmission carries the same Identifier and
        // the same octets, so the server can recognise a duplicate.
        r.triesLeft--;
        f.deadline = now + this.serverOf(r)!.timeoutMs;
        this.stats.resends++;
        this.transmits.push({ to: f.to, bytes: f.bytes });
        continue;
      }
      this.logger.log(['radius', 'debug'], `${codeName(r.kind === 'access' ? RadiusCode.AccessRequest : RadiusCode.AccountingRequest)} to ${f.to.ip} timed out`);
      this.releaseWire(r);
      r.serverIndex++;
      r.triesLeft = this.tries;
      this.send(now, r);
    }
    // Identifiers freed by give-ups and failovers can serve requests waiting for one.
    if (this.backlog.length > 0) this.drainBacklog(now);
  }

  /** A datagram from a RADIUS server (from = its source address and port). */
  handleDatagram(now: Instant, from: UdpAddress, bytes: Uint8Array): void {
    const decoded = decodePacket(bytes);
    if (!decoded.ok) return this.bad(now, from, `malformed reply: ${decoded.message}`);
    const packet = decoded.packet;
    const space = this.spaces.get(destinationKey(from));
    const r = space?.get(packet.identifier);
    const f = r?.inFlight;
    if (!r || !f) return this.bad(now, from, `reply id ${packet.identifier} matches no request`);
    const expected = r.kind === 'access'
      ? [RadiusCode.AccessAccept, RadiusCode.AccessReject, RadiusCode.AccessChallenge]
      : [RadiusCode.AccountingResponse];
    if (!(expected as number[]).includes(packet.code)) return this.bad(now, from, `unexpected ${codeName(packet.code)} for id ${packet.identifier}`);
    const declared = bytes.subarray(0, (bytes[2]! << 8) | bytes[3]!);
    if (!verifyResponseAuthenticator(declared, f.requestAuthenticator, f.secret)) {
      return this.bad(now, from, `${codeName(packet.code)} id ${packet.identifier}: bad Response Authenticator`);
    }
    const hasMa = findAttribute(packet, 'Message-Authenticator') !== undefined;
    if (hasMa ? !verifyMessageAuthenticator(declared, f.secret, f.requestAuthenticator) : this.requireMessageAuthenticator) {
      return this.bad(now, from, `${codeName(packet.code)} id ${packet.identifier}: bad or missing Message-Authenticator`);
    }
    this.stats.lastRequestRtt = now - f.firstSentAt;
    const server = f.to.ip;
    const requestAuthenticator = f.requestAuthenticator;
    const secret = f.secret;
    this.releaseWire(r);
    this.requests.delete(r.token);
    if (r.kind === 'accounting') {
      this.stats.accountingResponses++;
      this.events.push({ type: 'accounting', token: r.token, delivered: true, server });
    } else {
      this.events.push(this.accessResult(r, packet, requestAuthenticator, secret, server));
    }
    this.drainBacklog(now);
  }

  // ---------------------------------------------------------------------------------------------

  private bad(now: Instant, from: UdpAddress, why: string): void {
    this.stats.badReplies++;
    this.badLog.log(now, from.ip, ['radius', 'warning'], `dropped reply from ${from.ip}:${from.port}: ${why}`);
  }

  private serverOf(r: Request): RadiusServer | undefined {
    return this.servers[r.serverIndex];
  }

  private start(now: Instant, r: Request): void {
    this.requests.set(r.token, r);
    if (r.kind === 'access') this.stats.requests++;
    else this.stats.accountingRequests++;
    this.send(now, r);
  }

  /** Builds and sends `r` to its current server, failing over past servers that cannot be used. */
  private send(now: Instant, r: Request): void {
    for (;;) {
      const server = this.serverOf(r);
      if (!server) return this.giveUp(r);
      const to = { ip: server.address, port: r.kind === 'access' ? server.authenticationPort : server.accountingPort };
      const destination = destinationKey(to);
      let space = this.spaces.get(destination);
      if (!space) {
        space = new IdentifierSpace(randomBytes(this.random, 1)[0]!);
        this.spaces.set(destination, space);
      }
      const identifier = space.allocate(r);
      if (identifier === undefined) {
        // 256 outstanding to this server: wait for an Identifier instead of reusing one.
        if (!this.backlog.includes(r)) this.backlog.push(r);
        return;
      }
      const secret = utf8(server.secret);
      const built = r.kind === 'access' ? this.buildAccessRequest(r, identifier, secret) : this.buildAccountingRequest(now, r, identifier, secret);
      if (!built) {
        space.release(identifier);
        return this.giveUp(r);
      }
      r.inFlight = {
        destination,
        to,
        identifier,
        requestAuthenticator: built.requestAuthenticator,
        bytes: built.bytes,
        secret,
        deadline: now + server.timeoutMs,
        firstSentAt: now,
      };
      r.triesLeft--;
      this.transmits.push({ to, bytes: built.bytes });
      return;
    }
  }

  private giveUp(r: Request): void {
    this.requests.delete(r.token);
    if (r.kind === 'accounting') {
      this.events.push({ type: 'accounting', token: r.token, delivered: false });
      return;
    }
    this.stats.timeouts++;
    const user = r.check?.user ?? '';
    this.logger.log(['radius', 'info'], `no RADIUS server answered for ${user}`);
    this.events.push({
      type: 'access',
      token: r.token,
      verdict: { ok: false, message: 'RADIUS server is not responding', retry: true },
      timedOut: true,
    });
  }

  private releaseWire(r: Request): void {
    const f = r.inFlight;
    if (!f) return;
    this.spaces.get(f.destination)?.release(f.identifier);
    r.inFlight = undefined;
  }

  private drainBacklog(now: Instant): void {
    const waiting = this.backlog.splice(0, this.backlog.length);
    for (const r of waiting) if (this.requests.has(r.token)) this.send(now, r);
  }

  private commonAttributes(user: string): RadiusAttribute[] {
    const out = [attribute('User-Name', user)];
    if (this.nas.nasIpAddress !== undefined) out.push(attribute('NAS-IP-Address', this.nas.nasIpAddress));
    if (this.nas.nasIdentifier !== '') out.push(attribute('NAS-Identifier', this.nas.nasIdentifier));
    return out;
  }

  private buildAccessRequest(
    r: Request,
    identifier: number,
    secret: Uint8Array,
  ): { bytes: Uint8Array; requestAuthenticator: Uint8Array } | undefined {
    const check = r.check;
    const session = r.session;
    if (!check || !session) return undefined;
    // RFC 2865 section 3: the Request Authenticator "SHOULD exhibit global and temporal uniqueness"
    // and be unpredictable: 16 octets from the injected Random.
    const requestAuthenticator = randomBytes(this.random, 16);
    const attrs: RadiusAttribute[] = [attribute('Message-Authenticator', new Uint8Array(16)), ...this.commonAttributes(check.user)];
    switch (check.method) {
      case 'pap':
        attrs.push(attribute('User-Password', hideUserPassword(utf8(check.password), secret, requestAuthenticator)));
        break;
      case 'chap':
        attrs.push(attribute('CHAP-Password', concat([Uint8Array.of(check.id & 0xff), check.response])));
        attrs.push(attribute('CHAP-Challenge', check.challenge));
        break;
      case 'mschap1': {
        // RFC 2548 2.3.2 MS-CHAP-Response: Ident, Flags (1 = use the NT-Response), LM-Response, NT-Response.
        const value = new Uint8Array(50);
        value[1] = check.useNt ? 1 : 0;
        if (check.lmResponse.length === 24) value.set(check.lmResponse, 2);
        if (check.ntResponse.length === 24) value.set(check.ntResponse, 26);
        attrs.push(attribute('MS-CHAP-Challenge', check.challenge));
        attrs.push(attribute('MS-CHAP-Response', value));
        break;
      }
      case 'mschap2': {
        // RFC 2548 2.3.2 MS-CHAP2-Response: Ident, Flags ("MUST be zero"), Peer-Challenge (16),
        // Reserved (8 zero octets), Response (24).
        const value = new Uint8Array(50);
        if (check.peerChallenge.length === 16) value.set(check.peerChallenge, 2);
        if (check.ntResponse.length === 24) value.set(check.ntResponse, 26);
        attrs.push(attribute('MS-CHAP-Challenge', check.authenticatorChallenge));
        attrs.push(attribute('MS-CHAP2-Response', value));
        break;
      }
    }
    attrs.push(...sessionAttributes(session));
    attrs.push(attribute('Acct-Session-Id', session.acctSessionId));
    const bytes = encodePacket({ code: RadiusCode.AccessRequest, identifier, authenticator: requestAuthenticator, attributes: attrs });
    // RFC 3579 3.2: in an Access-Request the HMAC covers the packet with the Request Authenticator
    // already in place and the attribute's value zeroed.
    const signed = signMessageAuthenticator(bytes, secret);
    if (!signed.ok) return undefined;
    return { bytes, requestAuthenticator };
  }

  private buildAccountingRequest(
    now: Instant,
    r: Request,
    identifier: number,
    secret: Uint8Array,
  ): { bytes: Uint8Array; requestAuthenticator: Uint8Array } | undefined {
    const base = r.accountingAttributes ?? [];
    // RFC 2866 5.2 Acct-Delay-Time: seconds the client has been trying to send this record; a new
    // value means a new packet, which is why it is only set when a packet is built.
    const delay = Math.max(0, Math.floor((now - r.createdAt) / 1000));
    const attrs = [...base.filter((a) => !(a.vendor === undefined && a.type === 41)), attribute('Acct-Delay-Time', delay)];
    const bytes = encodePacket({ code: RadiusCode.AccountingRequest, identifier, authenticator: new Uint8Array(16), attributes: attrs });
    signAccountingRequest(bytes, secret);
    return { bytes, requestAuthenticator: bytes.slice(4, 20) };
  }

  private accessResult(
    r: Request,
    packet: RadiusPacket,
    requestAuthenticator: Uint8Array,
    secret: Uint8Array,
    server: string,
  ): RadiusClientEvent {
    const check = r.check!;
    const replyMessage = getText(packet, 'Reply-Message');
    if (packet.code !== RadiusCode.AccessAccept) {
      this.stats.rejects++;
      const msError = getOctets(packet, 'MS-CHAP-Error');
      // RFC 2548 2.1.5 MS-CHAP-Error: Ident octet, then the text ("E=691 R=0 ...").
      const message =
        packet.code === RadiusCode.AccessChallenge
          ? 'RADIUS Access-Challenge is not supported for PPP'
          : msError && msError.length > 1
            ? fromUtf8(msError.subarray(1))
            : (replyMessage ?? 'RADIUS server rejected the user');
      this.logger.log(['radius', 'info'], `${check.user}: ${codeName(packet.code)} from ${server}`);
      return { type: 'access', token: r.token, verdict: { ok: false, message }, server, timedOut: false };
    }
    this.stats.accepts++;
    const authorization = authorizationOf(packet);
    const verdict = this.acceptVerdict(check, packet, requestAuthenticator, secret, replyMessage);
    if (!verdict.ok) {
      this.logger.log(['radius', 'warning'], `${check.user}: Access-Accept from ${server} unusable: ${verdict.message}`);
      return { type: 'access', token: r.token, verdict, server, timedOut: false };
    }
    return { type: 'access', token: r.token, verdict, authorization, server, timedOut: false };
  }

  private acceptVerdict(
    check: AuthCheck,
    packet: RadiusPacket,
    requestAuthenticator: Uint8Array,
    secret: Uint8Array,
    replyMessage: string | undefined,
  ): AuthVerdict {
    const base = { ok: true as const, user: check.user, ...(replyMessage !== undefined ? { message: replyMessage } : {}) };
    if (check.method === 'mschap2') {
      // RFC 2548 2.3.3 MS-CHAP2-Success: Ident, then the 42-octet "S=<hex>" authenticator response
      // the NAS passes to the peer (RFC 2759 section 5). Without it the peer cannot finish.
      const success = getOctets(packet, 'MS-CHAP2-Success');
      if (!success || success.length < 1 + 42) return { ok: false, message: 'Access-Accept without MS-CHAP2-Success' };
      const authenticatorResponse = fromUtf8(success.subarray(1, 43));
      if (!/^S=[0-9A-Fa-f]{40}$/.test(authenticatorResponse)) return { ok: false, message: 'malformed MS-CHAP2-Success' };
      const mppe = this.mppeKeys(packet, requestAuthenticator, secret);
      return { ...base, authenticatorResponse, ...(mppe ? { mppe } : {}) };
    }
    if (check.method === 'mschap1') {
      // RFC 2548 2.4.1 MS-CHAP-MPPE-Keys: LM-Key (8) + NT-Key (16), hidden like User-Password.
      const hidden = getOctets(packet, 'MS-CHAP-MPPE-Keys');
      if (hidden) {
        const plain = unhideUserPassword(hidden, secret, requestAuthenticator);
        if (plain.ok) {
          // Unhiding strips trailing NULs; the keys have a fixed layout, so pad back.
          const keys = new Uint8Array(Math.max(24, plain.value.length));
          keys.set(plain.value);
          return {
            ...base,
            mppe: { masterKeyInputs: { passwordHashHash: keys.slice(8, 24), ntResponse: check.ntResponse, challenge: check.challenge } },
          };
        }
      }
      const mppe = this.mppeKeys(packet, requestAuthenticator, secret);
      return { ...base, ...(mppe ? { mppe } : {}) };
    }
    return base;
  }

  /** MS-MPPE-Send-Key / Recv-Key (RFC 2548 2.4.2/2.4.3): the NAS's send and receive keys. */
  private mppeKeys(packet: RadiusPacket, requestAuthenticator: Uint8Array, secret: Uint8Array): { sendKey: Uint8Array; recvKey: Uint8Array } | undefined {
    const send = getOctets(packet, 'MS-MPPE-Send-Key');
    const recv = getOctets(packet, 'MS-MPPE-Recv-Key');
    if (!send || !recv) return undefined;
    const s = decryptMppeKey(send, secret, requestAuthenticator);
    const v = decryptMppeKey(recv, secret, requestAuthenticator);
    if (!s.ok || !v.ok || s.value.length === 0 || v.value.length === 0) return undefined;
    return { sendKey: s.value, recvKey: v.value };
  }
}

/** The reply attributes of an Access-Accept that RouterOS applies to a PPP session. */
export function authorizationOf(packet: RadiusPacket): RadiusAuthorization {
  const text = (name: string): string | undefined => getText(packet, name);
  const ipOf = (name: string): string | undefined => {
    const v = getValue(packet, name);
    return typeof v === 'string' ? v : undefined;
  };
  const out: { -readonly [K in keyof RadiusAuthorization]: RadiusAuthorization[K] } = {
    framedRoutes: getAllValues(packet, 'Framed-Route').filter((v): v is string => typeof v === 'string'),
    classes: getAllValues(packet, 'Class').filter((v): v is Uint8Array => v instanceof Uint8Array),
    addressLists: getAllValues(packet, 'Mikrotik-Address-List').filter((v): v is string => typeof v === 'string'),
  };
  const set = <K extends keyof RadiusAuthorization>(k: K, v: RadiusAuthorization[K] | undefined): void => {
    if (v !== undefined) out[k] = v;
  };
  const framedIp = ipOf('Framed-IP-Address');
  // RFC 2865 5.8: 255.255.255.254 = "let the NAS select" (a pool), 255.255.255.255 = "let the user
  // select": neither is an address to assign.
  if (framedIp !== undefined && framedIp !== '255.255.255.254' && framedIp !== '255.255.255.255') set('framedIpAddress', framedIp);
  set('framedIpNetmask', ipOf('Framed-IP-Netmask'));
  set('framedPool', text('Framed-Pool'));
  set('framedMtu', getInteger(packet, 'Framed-MTU'));
  set('sessionTimeout', getInteger(packet, 'Session-Timeout'));
  set('idleTimeout', getInteger(packet, 'Idle-Timeout'));
  set('acctInterimInterval', getInteger(packet, 'Acct-Interim-Interval'));
  set('rateLimit', text('Mikrotik-Rate-Limit'));
  set('group', text('Mikrotik-Group'));
  set('primaryDns', ipOf('MS-Primary-DNS-Server'));
  set('secondaryDns', ipOf('MS-Secondary-DNS-Server'));
  set('primaryNbns', ipOf('MS-Primary-NBNS-Server'));
  set('secondaryNbns', ipOf('MS-Secondary-NBNS-Server'));
  set('mppeEncryptionPolicy', getInteger(packet, 'MS-MPPE-Encryption-Policy'));
  set('mppeEncryptionTypes', getInteger(packet, 'MS-MPPE-Encryption-Types'));
  set('replyMessage', text('Reply-Message'));
  return out;
}
