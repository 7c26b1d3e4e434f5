/**
 * RADIUS accounting for PPP sessions (RFC 2866, RFC 2869 section 2.1/5): Start, Interim-Update
 * and Stop records, kept in a bounded queue that survives a RADIUS outage.
 *
 * Records carry Acct-Status-Type, Acct-Session-Id, User-Name, NAS-IP-Address, NAS-Identifier,
 * NAS-Port, NAS-Port-Type = Virtual, Service-Type = Framed, Framed-Protocol = PPP,
 * Calling-Station-Id, Called-Station-Id, Framed-IP-Address, Acct-Authentic, every Class of the
 * Access-Accept echoed unmodified (RFC 2865 5.25 "SHOULD be sent unmodified by the client to the
 * accounting server"), Event-Timestamp when a wall clock is given; Interim/Stop add
 * Acct-Session-Time, Acct-Input/Output-Octets with Acct-Input/Output-Gigawords for the bits above
 * 2^32 (RFC 2869 5.1/5.2), Acct-Input/Output-Packets; Stop adds Acct-Terminate-Cause (RFC 2866
 * 5.10) mapped from the session's end reason. Counters are from the NAS's point of view:
 * "Input" is what the NAS received from the user (RFC 2866 5.3).
 *
 * Delivery: records are sent in order through an `AccountingTransport` (RadiusClient, which does
 * per-server retransmission and failover and adds Acct-Delay-Time). When a record fails on
 * every server, sending pauses for `retryDelayMs` (doubling to `maxRetryDelayMs`), then resumes
 * with the oldest record, so records are delivered once a server is back. The queue holds at
 * most `maxQueue` records: when full, the oldest record is dropped (cancelled if on the wire) and
 * counted.
 * A queued Interim-Update is replaced by a newer one of the same session (it only carries
 * totals). Nothing here blocks a session: `start`/`stop` only enqueue.
 *
 * Interim interval: `/ppp aaa interim-update`, or the RADIUS Acct-Interim-Interval (policy.ts
 * decides and passes `interimUpdateMs`); 0 disables. RFC 2869 5.16: the value "SHOULD NOT be
 * smaller than 60" seconds; we honour smaller values from configuration but not below 1 s.
 *
 * A CoA may change the interval of a live session (`setInterimInterval`).
 *
 * Call order: start / stop / setInterimInterval from the service; handleTimeout(now) when now >= nextTimeout()
 * (interim updates and retry pauses); handleTransportResult(now, token, delivered) for each
 * `accounting` event of the RadiusClient. No I/O; counters are read through the injected
 * `readCounters` callback at interim time.
 */
import type { Instant } from '../core/time.js';
import { AcctTerminateCause, type AcctTerminateCauseName } from '../wire/radius/dictionary.js';
import { attribute, type RadiusAttribute } from '../wire/radius/packet.js';
import { sessionAttributes } from './radius-client.js';

export interface TrafficCounters {
  /** Octets received from the user (router rx). */
  readonly inputOctets: number;
  /** Octets sent to the user (router tx). */
  readonly outputOctets: number;
  readonly inputPackets: number;
  readonly outputPackets: number;
}

export const ZERO_COUNTERS: TrafficCounters = { inputOctets: 0, outputOctets: 0, inputPackets: 0, outputPackets: 0 };

export interface AccountingSession {
  readonly acctSessionId: string;
  readonly user: string;
  readonly nasPort: number;
  readonly callingStationId: string;
  readonly calledStationId?: string;
  readonly framedIpAddress?: string;
  readonly classes: readonly Uint8Array[];
  /** Acct-Authentic: how the user was authenticated. */
  readonly authentic: 'RADIUS' | 'Local';
  /** 0 = no Interim-Update. */
  readonly interimUpdateMs: number;
}

/** Why a session ended, as the services layer knows it. */
export type SessionEndReason =
  | 'user-request' // the peer hung up (LCP Terminate-Request, CDN or StopCCN from the peer)
  | 'lost-carrier' // keepalive / tunnel lost
  | 'lost-service'
  | 'idle-timeout'
  | 'session-timeout'
  | 'admin-reset' // /ppp active remove, Disconnect-Request
  | 'admin-reboot' // daemon shutdown
  | 'nas-request' // limit-bytes reached, configuration change
  | 'nas-error'
  | 'port-error'
  | 'service-unavailable'
  | 'user-error'
  | 'host-request';

const CAUSE_OF: Readonly<Record<SessionEndReason, AcctTerminateCauseName>> = {
  'user-request': 'User-Request',
  'lost-carrier': 'Lost-Carrier',
  'lost-service': 'Lost-Service',
  'idle-timeout': 'Idle-Timeout',
  'session-timeout': 'Session-Timeout',
  'admin-reset': 'Admin-Reset',
  'admin-reboot': 'Admin-Reboot',
  'nas-request': 'NAS-Request',
  'nas-error': 'NAS-Error',
  'port-error': 'Port-Error',
  'service-unavailable': 'Service-Unavailable',
  'user-error': 'User-Error',
  'host-request': 'Host-Request',
};

/** RFC 2866 5.10 Acct-Terminate-Cause value for an end reason. */
export function terminateCause(reason: SessionEndReason): number {
  return AcctTerminateCause[CAUSE_OF[reason]];
}

export interface AccountingTransport {
  sendAccounting(now: Instant, attributes: readonly RadiusAttribute[], createdAt: Instant): number;
  cancel?(token: number): void;
}

export interface AccountingOptions {
  readonly transport: AccountingTransport;
  readonly nasIdentifier: string;
  readonly nasIpAddress?: string;
  /** Current counters of a session (undefined when it is gone). */
  readonly readCounters: (acctSessionId: string) => TrafficCounters | undefined;
  /** Unix time in seconds for Event-Timestamp; omitted when not given (engines read no clock). */
  readonly unixSeconds?: (now: Instant) => number;
  readonly maxQueue?: number;
  readonly maxInFlight?: number;
  readonly retryDelayMs?: number;
  readonly maxRetryDelayMs?: number;
}

export interface AccountingStats {
  queued: number;
  inFlight: number;
  delivered: number;
  dropped: number;
  failures: number;
}

type StatusType = 'Start' | 'Interim-Update' | 'Stop';

interface AccountingRecord {
  readonly acctSessionId: string;
  readonly status: StatusType;
  readonly attributes: readonly RadiusAttribute[];
  readonly createdAt: Instant;
  token?: number;
}

interface Tracked {
  session: AccountingSession;
  readonly startedAt: Instant;
  nextInterim?: Instant;
}

const GIGA = 0x1_0000_0000;
const MIN_INTERIM_MS = 1000;

export class Accounting {
  private readonly queue: AccountingRecord[] = [];
  private readonly byToken = new Map<number, AccountingRecord>();
  private readonly sessions = new Map<string, Tracked>();
  private holdUntil: Instant | undefined;
  private retryDelayMs: number;
  private readonly stats: AccountingStats = { queued: 0, inFlight: 0, delivered: 0, dropped: 0, failures: 0 };
  private readonly maxQueue: number;
  private readonly maxInFlight: number;

  constructor(private readonly options: AccountingOptions) {
    this.maxQueue = Math.max(1, options.maxQueue ?? 4096);
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 32);
    this.retryDelayMs = options.retryDelayMs ?? 5_000;
  }

  counters(): AccountingStats {
    return { ...this.stats, queued: this.queue.length, inFlight: this.byToken.size };
  }

  /** Session accounting starts (after IPCP is up, when the address is known). */
  start(now: Instant, session: AccountingSession): void {
    const interval = session.interimUpdateMs > 0 ? Math.max(MIN_INTERIM_MS, session.interimUpdateMs) : 0;
    this.sessions.set(session.acctSessionId, { session, startedAt: now, ...(interval > 0 ? { nextInterim: now + interval } : {}) });
    this.enqueue(now, session.acctSessionId, 'Start', this.attributes(now, session, 'Start'));
  }

  /**
   * A new interim interval for a live session (RFC 5176 CoA carrying Acct-Interim-Interval): the
   * next Interim-Update is due one new interval from now; 0 stops interim updates. False when the
   * session is not accounted.
   */
  setInterimInterval(now: Instant, acctSessionId: string, interimUpdateMs: number): boolean {
    const t = this.sessions.get(acctSessionId);
    if (!t) return false;
    t.session = { ...t.session, interimUpdateMs };
    if (interimUpdateMs > 0) t.nextInterim = now + Math.max(MIN_INTERIM_MS, interimUpdateMs);
    else delete t.nextInterim;
    return true;
  }

  /** Session accounting stops with final counters. */
  stop(now: Instant, acctSessionId: string, counters: TrafficCounters, reason: SessionEndReason): void {
    const t = this.sessions.get(acctSessionId);
    if (!t) return;
    this.sessions.delete(acctSessionId);
    const attrs = [
      ...this.attributes(now, t.session, 'Stop'),
      ...usage(now, t.startedAt, counters),
      attribute('Acct-Terminate-Cause', terminateCause(reason)),
    ];
    this.enqueue(now, acctSessionId, 'Stop', attrs);
  }

  nextTimeout(): Instant | undefined {
    let min = this.holdUntil;
    for (const t of this.sessions.values()) if (t.nextInterim !== undefined && (min === undefined || t.nextInterim < min)) min = t.nextInterim;
    return min;
  }

  handleTimeout(now: Instant): void {
    for (const [id, t] of this.sessions) {
      if (t.nextInterim === undefined || t.nextInterim > now) continue;
      const interval = Math.max(MIN_INTERIM_MS, t.session.interimUpdateMs);
      t.nextInterim = now + interval;
      const counters = this.options.readCounters(id) ?? ZERO_COUNTERS;
      this.enqueue(now, id, 'Interim-Update', [...this.attributes(now, t.session, 'Interim-Update'), ...usage(now, t.startedAt, counters)]);
    }
    if (this.holdUntil !== undefined && this.holdUntil <= now) {
      this.holdUntil = undefined;
      this.pump(now);
    }
  }

  /** The RadiusClient's `accounting` event for a token this engine sent. */
  handleTransportResult(now: Instant, token: number, delivered: boolean): void {
    const r = this.byToken.get(token);
    if (!r) return;
    this.byToken.delete(token);
    r.token = undefined;
    if (delivered) {
      const i = this.queue.indexOf(r);
      if (i >= 0) this.queue.splice(i, 1);
      this.stats.delivered++;
      this.retryDelayMs = this.options.retryDelayMs ?? 5_000;
    } else {
      // Every server failed: keep the record (it stays at its place in the queue) and pause.
      this.stats.failures++;
      if (this.holdUntil === undefined) {
        // Several records in flight usually fail together: one pause (and one doubling) for all.
        this.holdUntil = now + this.retryDelayMs;
        this.retryDelayMs = Math.min(this.retryDelayMs * 2, this.options.maxRetryDelayMs ?? 60_000);
      }
    }
    this.pump(now);
  }

  private enqueue(now: Instant, acctSessionId: string, status: StatusType, attributes: readonly RadiusAttribute[]): void {
    if (status === 'Interim-Update') {
      // Only the latest totals matter: replace a waiting Interim-Update of this session.
      for (let i = this.queue.length - 1; i >= 0; i--) {
        const r = this.queue[i]!;
        if (r.acctSessionId === acctSessionId && r.status === 'Interim-Update' && r.token === undefined) this.queue.splice(i, 1);
      }
    }
    if (this.queue.length >= this.maxQueue) {
      // Full: the oldest record goes, even when it is on the wire (its request is cancelled).
      const oldest = this.queue.shift()!;
      if (oldest.token !== undefined) {
        this.byToken.delete(oldest.token);
        this.options.transport.cancel?.(oldest.token);
      }
      this.stats.dropped++;
    }
    this.queue.push({ acctSessionId, status, attributes, createdAt: now });
    this.pump(now);
  }

  private pump(now: Instant): void {
    if (this.holdUntil !== undefined) return;
    for (const r of this.queue) {
      if (this.byToken.size >= this.maxInFlight) return;
      if (r.token !== undefined) continue;
      const token = this.options.transport.sendAccounting(now, r.attributes, r.createdAt);
      r.token = token;
      this.byToken.set(token, r);
      // A transport may answer synchronously (a test double): stop if it paused us.
      if (this.holdUntil !== undefined) return;
    }
  }

  private attributes(now: Instant, s: AccountingSession, status: StatusType): RadiusAttribute[] {
    const o = this.options;
    const attrs: RadiusAttribute[] = [
      attribute('Acct-Status-Type', status),
      attribute('Acct-Session-Id', s.acctSessionId),
      attribute('User-Name', s.user),
    ];
    if (o.nasIpAddress !== undefined) attrs.push(attribute('NAS-IP-Address', o.nasIpAddress));
    if (o.nasIdentifier !== '') attrs.push(attribute('NAS-Identifier', o.nasIdentifier));
    attrs.push(...sessionAttributes(s));
    if (s.framedIpAddress !== undefined) attrs.push(attribute('Framed-IP-Address', s.framedIpAddress));
    attrs.push(attribute('Acct-Authentic', s.authentic));
    for (const c of s.classes) attrs.push(attribute('Class', c));
    if (o.unixSeconds) attrs.push(attribute('Event-Timestamp', Math.floor(o.unixSeconds(now)) >>> 0));
    return attrs;
  }
}

/** Session time and counters, 64-bit octet counts split into octets + gigawords. */
function usage(now: Instant, startedAt: Instant, c: TrafficCounters): RadiusAttribute[] {
  const split = (n: number): [number, number] => {
    const v = Math.max(0, Math.floor(n));
    return [v % GIGA, Math.floor(v / GIGA) % GIGA];
  };
  const [inLow, inHigh] = split(c.inputOctets);
  const [outLow, outHigh] = split(c.outputOctets);
  return [
    attribute('Acct-Session-Time', Math.max(0, Math.floor((now - startedAt) / 1000))),
    attribute('Acct-Input-Octets', inLow),
    attribute('Acct-Input-Gigawords', inHigh),
    attribute('Acct-Output-Octets', outLow),
    attribute('Acct-Output-Gigawords', outHigh),
    attribute('Acct-Input-Packets', Math.max(0, Math.floor(c.inputPackets)) % GIGA),
    attribute('Acct-Output-Packets', Math.max(0, Math.floor(c.outputPackets)) % GIGA),
  ];
}
