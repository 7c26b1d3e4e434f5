/**
 * The server's AAA, as RouterOS does it, on top of the engines in src/aaa:
 *
 *  - authentication: the local `/ppp secret` first (`verifyLocal`); a user not found locally is
 *    asked of RADIUS when `/ppp aaa use-radius=yes` (RADIUS answers later: `completeAuth`);
 *  - authorisation (`authorizeSession`): precedence secret > profile > default-profile (or RADIUS
 *    attributes), `only-one`, `max-sessions`, `one-session-per-host`, addresses from IPs or
 *    `/ip pool` (leases released at logout);
 *  - while up: `session-timeout`, `idle-timeout`, `limit-bytes-in/out`, rate-limit buckets,
 *    accounting Start / Interim-Update / Stop (when `/ppp aaa accounting=yes` and RADIUS is used);
 *  - `/radius incoming accept=yes`: Disconnect-Request and CoA on its port. A CoA changes the
 *    live session all-or-nothing: the router is asked first (`authorizationChanged`: rate-limit
 *    buckets, address lists) and may refuse; only then do timers, the interim interval and the
 *    session's parameters change here, so a CoA-ACK means every change took.
 *
 * I/O-free: RADIUS datagrams leave through `pollTransmit()` on two socket keys (the client's
 * ephemeral socket, the incoming listener), and what happens to sessions goes through the
 * `AaaHooks` the router implements.
 */
import type { AuthCheck, AuthVerdict } from '../auth/types.js';
import { DeadlineQueue } from '../core/deadlines.js';
import type { Logger } from '../core/log.js';
import type { Random } from '../core/random.js';
import { earliest, type Instant } from '../core/time.js';
import type { ChangeRecord, ConfigStore } from '../config/store.js';
import type { RuntimeRow } from '../config/runtime.js';
import { Accounting, type SessionEndReason, type TrafficCounters } from '../aaa/accounting.js';
import { DynamicAuthorizationServer, type AuthorizationChange, type DynamicSessionInfo } from '../aaa/coa.js';
import { assignAddresses, authorize, bytesLimitReached, parseRateLimit, useRadius, verifyLocal, type SessionParameters } from '../aaa/policy.js';
import { IpPools, poolDefsFromConfig } from '../aaa/pools.js';
import { RadiusClient, serversFromConfig, type RadiusAuthorization } from '../aaa/radius-client.js';
import type { Address, SocketKey, Transmit } from '../l2tp/types.js';
import type { SessionKey } from './ppp-over-l2tp.js';

/** Socket keys of the RADIUS client and the incoming (CoA) listener, apart from L2TP's. */
export const RADIUS_SOCKET: SocketKey = 0x200000;
export const COA_SOCKET: SocketKey = 0x200001;
const LIMIT_CHECK_MS = 1000;

export interface AaaHooks {
  completeAuth(now: Instant, key: SessionKey, verdict: AuthVerdict): void;
  disconnect(now: Instant, key: SessionKey, reason: string, cause: SessionEndReason): void;
  /** Traffic so far, from the router's point of view (in = from the client). */
  traffic(key: SessionKey): (TrafficCounters & { lastActivity: Instant | undefined }) | undefined;
  /** Users and caller ids of the sessions that are up (for only-one and friends). */
  active(): readonly { key: SessionKey; user: string; callerId: string }[];
  /**
   * A CoA changes a live session: `params` are its parameters after the change (rate-limit,
   * address lists), `change` what the request carried. Return false, changing nothing, when it
   * cannot be applied (the CoA is then NAKed). Absent: CoAs that need it are refused.
   */
  authorizationChanged?(now: Instant, key: SessionKey, params: SessionParameters, change: AuthorizationChange): boolean;
}

export type AaaCommand = { readonly type: 'listen-coa'; readonly port: number } | { readonly type: 'unlisten-coa' };

interface AaaSession {
  readonly key: SessionKey;
  readonly acctSessionId: string;
  readonly peer: Address;
  readonly startedAt: Instant;
  user: string;
  radius: RadiusAuthorization | undefined;
  params: SessionParameters | undefined;
  leased: readonly string[];
  remote: string;
  accounting: boolean;
}

export interface AuthorizedSession {
  readonly params: SessionParameters;
  readonly localAddress: string;
  readonly remoteAddress: string;
}

export class ServerAaa {
  readonly pools = new IpPools();
  private radius: RadiusClient | undefined;
  private accounting: Accounting | undefined;
  private coa: DynamicAuthorizationServer | undefined;
  private coaPort: number | undefined;
  private readonly sessions = new Map<SessionKey, AaaSession>();
  private readonly pendingAuth = new Map<number, SessionKey>();
  private readonly timers = new DeadlineQueue<string>();
  private readonly commands: AaaCommand[] = [];
  private readonly transmits: Transmit[] = [];

  constructor(
    private readonly store: ConfigStore,
    private readonly hooks: AaaHooks,
    private readonly deps: { random: Random; logger: Logger; unixSeconds: (now: Instant) => number },
  ) {
    this.reconfigure(0, undefined);
  }

  /** Pools, RADIUS servers and the incoming listener follow the configuration. */
  reconfigure(now: Instant, changes: readonly ChangeRecord[] | undefined): void {
    const touched = (menu: string): boolean => changes === undefined || changes.some((c) => c.menu === menu);
    if (touched('ip pool')) {
      const err = this.pools.configure(poolDefsFromConfig(this.store));
      if (err) this.deps.logger.log(['ppp', 'error'], `ip pool: ${err.message}`);
    }
    if (touched('radius') || touched('system identity')) {
      const servers = serversFromConfig(this.store);
      const nas = { nasIdentifier: this.identity() };
      if (this.radius) {
        this.radius.setServers(servers);
        this.radius.setNas(nas);
      } else {
        this.radius = new RadiusClient({ random: this.deps.random, nas, servers, logger: this.deps.logger });
      }
      this.coa?.setServers(servers);
      if (!this.accounting) {
        const radius = this.radius;
        this.accounting = new Accounting({
          transport: { sendAccounting: (n, attrs, createdAt) => radius.sendAccounting(n, attrs, createdAt), cancel: (t) => radius.cancel(t) },
          nasIdentifier: this.identity(),
          readCounters: (id) => this.trafficOf(id),
          unixSeconds: this.deps.unixSeconds,
        });
      }
    }
    if (touched('radius incoming') || touched('radius')) {
      const inc = this.store.settings('radius incoming');
      const port = inc['accept'] === 'yes' ? Number(inc['port'] ?? 1700) : undefined;
      if (port !== this.coaPort) {
        if (this.coaPort !== undefined) this.commands.push({ type: 'unlisten-coa' });
        this.coaPort = port;
        this.coa = undefined;
        if (port !== undefined) {
          this.coa = new DynamicAuthorizationServer({
            target: {
              sessions: () => this.dynamicSessions(),
              disconnect: (n, ids) => this.coaDisconnect(n, ids),
              changeAuthorization: (n, id, auth) => this.coaChange(n, id, auth),
            },
            servers: serversFromConfig(this.store),
            nasIdentifier: this.identity(),
            logger: this.deps.logger,
          });
          this.commands.push({ type: 'listen-coa', port });
        }
      }
    }
    void now;
  }

  // ---------------------------------------------------------------------------------------------
  // Sessions

  /** A server session exists (L2TP session up); AAA follows it until `sessionDown`. */
  sessionStarted(now: Instant, key: SessionKey, index: number, peer: Address): void {
    this.sessions.set(key, {
      key,
      acctSessionId: (0x81000000 + index).toString(16).toUpperCase(),
      peer,
      startedAt: now,
      user: '',
      radius: undefined,
      params: undefined,
      leased: [],
      remote: '',
      accounting: false,
    });
  }

  /** PPP asks to verify a login: local secret, else RADIUS; answers through hooks.completeAuth. */
  check(now: Instant, key: SessionKey, check: AuthCheck): void {
    const s = this.sessions.get(key);
    if (!s) return;
    s.user = check.user;
    const local = verifyLocal(this.store, check, s.peer.ip);
    if (local.found) {
      if (local.refusal) this.deps.logger.log(['ppp', 'info'], `<${s.peer.ip}>: user ${check.user} authentication failed: ${local.refusal.reason}`);
      this.hooks.completeAuth(now, key, local.verdict);
      return;
    }
    if (useRadius(this.store) && this.radius && serversFromConfig(this.store).length > 0) {
      const token = this.radius.authenticate(now, check, { acctSessionId: s.acctSessionId, nasPort: 0x81000000 + (key & 0xffffff), callingStationId: s.peer.ip });
      this.pendingAuth.set(token, key);
      return;
    }
    this.deps.logger.log(['ppp', 'info'], `<${s.peer.ip}>: user ${check.user} authentication failed: ${local.reason}`);
    this.hooks.completeAuth(now, key, { ok: false, message: 'authentication failed' });
  }

  /** After authentication: the session's parameters and addresses, or why it is refused. */
  authorizeSession(key: SessionKey, user: string): { ok: true; session: AuthorizedSession } | { ok: false; reason: string } {
    const s = this.sessions.get(key);
    if (!s) return { ok: false, reason: 'unknown session' };
    const active = this.hooks.active().filter((a) => a.key !== key).map((a) => ({ user: a.user, callerId: a.callerId }));
    const r = authorize(this.store, { user, callerId: s.peer.ip, active, ...(s.radius ? { radius: s.radius } : {}) });
    if (!r.ok) return { ok: false, reason: r.reason };
    for (const w of r.params.warnings) this.deps.logger.log(['ppp', 'warning'], `${user}: ${w}`);
    const owner = `<l2tp-${user}>`;
    const a = assignAddresses(r.params, this.pools, owner);
    if ('code' in a) return { ok: false, reason: a.message };
    if (a.remoteAddress === undefined || a.localAddress === undefined) {
      for (const l of a.leased) this.pools.release(l);
      return { ok: false, reason: a.remoteAddress === undefined ? 'no remote-address configured' : 'no local-address configured' };
    }
    s.params = r.params;
    s.leased = a.leased;
    s.remote = a.remoteAddress;
    return { ok: true, session: { params: r.params, localAddress: a.localAddress, remoteAddress: a.remoteAddress } };
  }

  /** IPCP is up: timers, accounting Start. */
  sessionUp(now: Instant, key: SessionKey): void {
    const s = this.sessions.get(key);
    const p = s?.params;
    if (!s || !p) return;
    if (p.sessionTimeoutMs) this.timers.set(`session-timeout:${key}`, now + p.sessionTimeoutMs);
    if (p.idleTimeoutMs || p.limitBytesIn || p.limitBytesOut) this.timers.set(`limits:${key}`, now + LIMIT_CHECK_MS);
    const aaa = this.store.settings('ppp aaa');
    if (p.accounting && aaa['accounting'] !== 'no' && useRadius(this.store) && this.accounting) {
      s.accounting = true;
      this.accounting.start(now, {
        acctSessionId: s.acctSessionId,
        user: s.user,
        nasPort: 0x81000000 + (key & 0xffffff),
        callingStationId: s.peer.ip,
        framedIpAddress: s.remote,
        classes: p.classes,
        authentic: p.source === 'radius' ? 'RADIUS' : 'Local',
        interimUpdateMs: p.interimUpdateMs,
      });
    }
  }

  /** The session ended: accounting Stop, leases back to their pools. */
  sessionDown(now: Instant, key: SessionKey, cause: SessionEndReason, traffic: TrafficCounters | undefined): void {
    const s = this.sessions.get(key);
    if (!s) return;
    this.sessions.delete(key);
    this.timers.delete(`session-timeout:${key}`);
    this.timers.delete(`limits:${key}`);
    for (const l of s.leased) this.pools.release(l);
    if (s.accounting && this.accounting) this.accounting.stop(now, s.acctSessionId, traffic ?? { inputOctets: 0, outputOctets: 0, inputPackets: 0, outputPackets: 0 }, cause);
  }

  params(key: SessionKey): SessionParameters | undefined {
    return this.sessions.get(key)?.params;
  }

  isRadius(key: SessionKey): boolean {
    return this.sessions.get(key)?.radius !== undefined;
  }

  acctSessionId(key: SessionKey): string | undefined {
    return this.sessions.get(key)?.acctSessionId;
  }

  // ---------------------------------------------------------------------------------------------
  // Engine contract

  handleDatagram(now: Instant, via: SocketKey, from: Address, bytes: Uint8Array): void {
    if (via === RADIUS_SOCKET) this.radius?.handleDatagram(now, from, bytes);
    else if (via === COA_SOCKET) this.coa?.handleDatagram(now, from, bytes);
    this.pump(now);
  }

  handleTimeout(now: Instant): void {
    this.radius?.handleTimeout(now);
    this.accounting?.handleTimeout(now);
    for (const t of this.timers.popDue(now)) {
      const [kind, k] = t.split(':') as [string, string];
      const key = Number(k);
      const s = this.sessions.get(key);
      const p = s?.params;
      if (!s || !p) continue;
      if (kind === 'session-timeout') {
        this.deps.logger.log(['ppp', 'info'], `${s.user}: session timeout`);
        this.hooks.disconnect(now, key, 'session timeout', 'session-timeout');
      } else if (kind === 'limits') {
        const t2 = this.hooks.traffic(key);
        if (t2 && bytesLimitReached(p, t2.inputOctets, t2.outputOctets)) {
          this.deps.logger.log(['ppp', 'info'], `${s.user}: byte limit reached`);
          this.hooks.disconnect(now, key, 'limit-bytes reached', 'nas-request');
          continue;
        }
        if (p.idleTimeoutMs && now - (t2?.lastActivity ?? s.startedAt) >= p.idleTimeoutMs) {
          this.deps.logger.log(['ppp', 'info'], `${s.user}: idle timeout`);
          this.hooks.disconnect(now, key, 'idle timeout', 'idle-timeout');
          continue;
        }
        this.timers.set(`limits:${key}`, now + LIMIT_CHECK_MS);
      }
    }
    this.pump(now);
  }

  nextTimeout(): Instant | undefined {
    return earliest(this.radius?.nextTimeout(), this.accounting?.nextTimeout(), this.timers.peek());
  }

  pollTransmit(): Transmit | undefined {
    return this.transmits.shift();
  }

  pollCommand(): AaaCommand | undefined {
    return this.commands.shift();
  }

  private pump(now: Instant): void {
    if (this.radius) {
      for (let d = this.radius.pollTransmit(); d; d = this.radius.pollTransmit()) this.transmits.push({ to: d.to, via: RADIUS_SOCKET, bytes: d.bytes });
      for (let ev = this.radius.pollEvent(); ev; ev = this.radius.pollEvent()) {
        if (ev.type === 'access') {
          const key = this.pendingAuth.get(ev.token);
          this.pendingAuth.delete(ev.token);
          const s = key !== undefined ? this.sessions.get(key) : undefined;
          if (key === undefined || !s) continue;
          if (ev.verdict.ok && ev.authorization) s.radius = ev.authorization;
          if (!ev.verdict.ok) this.deps.logger.log(['ppp', 'radius', 'info'], `<${s.peer.ip}>: user ${s.user} authentication failed${ev.timedOut ? ': RADIUS server not responding' : ''}`);
          this.hooks.completeAuth(now, key, ev.verdict);
        } else {
          this.accounting?.handleTransportResult(now, ev.token, ev.delivered);
        }
      }
      // Accounting results may have queued more.
      for (let d = this.radius.pollTransmit(); d; d = this.radius.pollTransmit()) this.transmits.push({ to: d.to, via: RADIUS_SOCKET, bytes: d.bytes });
    }
    if (this.coa) for (let d = this.coa.pollTransmit(); d; d = this.coa.pollTransmit()) this.transmits.push({ to: d.to, via: COA_SOCKET, bytes: d.bytes });
  }

  // ---------------------------------------------------------------------------------------------
  // Views

  poolUsedRows(): RuntimeRow[] {
    return this.pools.used().map((u, i) => ({ id: `*${(0xa000000 + i).toString(16).toUpperCase()}`, values: { pool: u.pool, address: u.address, owner: u.owner, info: u.info } }));
  }

  radiusMonitor(): Record<string, string> {
    const c = this.radius?.counters();
    const acct = this.accounting?.counters();
    return {
      pending: String(c?.pending ?? 0),
      requests: String(c?.requests ?? 0),
      accepts: String(c?.accepts ?? 0),
      rejects: String(c?.rejects ?? 0),
      resends: String(c?.resends ?? 0),
      timeouts: String(c?.timeouts ?? 0),
      'bad-replies': String(c?.badReplies ?? 0),
      'last-request-rtt': `${c?.lastRequestRtt ?? 0}ms`,
      'acct-queued': String(acct?.queued ?? 0),
      'acct-delivered': String(acct?.delivered ?? 0),
      'acct-dropped': String(acct?.dropped ?? 0),
    };
  }

  // ---------------------------------------------------------------------------------------------

  private trafficOf(acctSessionId: string): TrafficCounters | undefined {
    for (const s of this.sessions.values()) if (s.acctSessionId === acctSessionId) return this.hooks.traffic(s.key);
    return undefined;
  }

  private dynamicSessions(): DynamicSessionInfo[] {
    return [...this.sessions.values()].filter((s) => s.params).map((s) => ({ sessionId: s.acctSessionId, user: s.user, framedIpAddress: s.remote, callingStationId: s.peer.ip }));
  }

  private coaDisconnect(now: Instant, ids: readonly string[]): boolean {
    let any = false;
    for (const s of [...this.sessions.values()]) {
      if (!ids.includes(s.acctSessionId)) continue;
      this.hooks.disconnect(now, s.key, 'disconnected by RADIUS', 'admin-reset');
      any = true;
    }
    return any;
  }

  private coaChange(now: Instant, id: string, change: AuthorizationChange): boolean {
    const s = [...this.sessions.values()].find((x) => x.acctSessionId === id);
    if (!s || !s.params) return false;
    const p = s.params;
    const rateLimit = change.rateLimit !== undefined ? parseRateLimit(change.rateLimit) : undefined;
    if (change.rateLimit !== undefined && !rateLimit) return false; // coa.ts validated it already
    // The RouterOS-visible parameters after the change (seconds -> ms; 0 = no limit).
    const next: SessionParameters = {
      ...p,
      ...(change.sessionTimeout !== undefined ? { sessionTimeoutMs: change.sessionTimeout * 1000 } : {}),
      ...(change.idleTimeout !== undefined ? { idleTimeoutMs: change.idleTimeout * 1000 } : {}),
      ...(change.acctInterimInterval !== undefined ? { interimUpdateMs: change.acctInterimInterval * 1000 } : {}),
      ...(rateLimit && change.rateLimit !== undefined ? { rateLimit, rateLimitText: change.rateLimit } : {}),
      ...(change.addressLists !== undefined ? { addressLists: change.addressLists } : {}),
    };
    if (change.rateLimit !== undefined || change.addressLists !== undefined) {
      // The router's part may fail (no data path for the session): then nothing changes at all.
      if (!this.hooks.authorizationChanged?.(now, s.key, next, change)) return false;
    }
    s.params = next;
    if (change.sessionTimeout !== undefined) {
      // Counted from the CoA, as the new authorisation starts now.
      if (change.sessionTimeout > 0) this.timers.set(`session-timeout:${s.key}`, now + change.sessionTimeout * 1000);
      else this.timers.delete(`session-timeout:${s.key}`);
    }
    if ((next.idleTimeoutMs || next.limitBytesIn || next.limitBytesOut) && this.timers.get(`limits:${s.key}`) === undefined) {
      this.timers.set(`limits:${s.key}`, now + LIMIT_CHECK_MS);
    }
    if (change.acctInterimInterval !== undefined && s.accounting) this.accounting?.setInterimInterval(now, s.acctSessionId, next.interimUpdateMs);
    this.deps.logger.log(['ppp', 'radius', 'info'], `${s.user}: change of authorisation applied`);
    return true;
  }

  private identity(): string {
    return this.store.settings('system identity')['name'] ?? 'MikroTik';
  }
}
