/**
 * The router: RouterOS configuration applied to the L2TP/PPP service, and the live state shown
 * back through `/ppp active`, `/interface`, `/interface l2tp-server`, `/interface l2tp-client
 * monitor` and the secrets' `last-*` fields. Still I/O-free: sockets are asked for with
 * `RouterCommand`s that the daemon carries out, time comes in as `now`.
 *
 * What configuration does, live (issue 4 "Wiring"):
 *  - `/interface l2tp-server server enabled=yes` opens UDP 1701 (`listen`); `no` closes it
 *    (`unlisten`) and ends the server's sessions.
 *  - an enabled `/interface l2tp-client` dials; after a failure it redials with backoff
 *    (5 s doubling to 60 s); disabling or removing it hangs up.
 *  - `/ppp active remove` disconnects a session; secrets are read at every login, so a changed
 *    password applies to the next one.
 *
 * Authorisation of server sessions follows RouterOS: the `/ppp secret` of the user (disabled,
 * service any|l2tp, caller-id), its values first, then the profile it names, then the server's
 * default-profile. RADIUS and pools plug in at `authorizeSession` (issue 6).
 *
 * Address lists and scripts (issue 6): a server session's remote address joins the lists of its
 * profile / RADIUS reply as dynamic `/ip firewall address-list` rows while it is up; every
 * enabled entry is mirrored to the kernel through `address-lists` commands (the wanted state,
 * emitted only when it changed); a static entry with `timeout` is removed by our own timer.
 * The profile's on-up runs once the interface is up, on-down after the session is gone, both
 * through a ConsoleSession on the same store with the RouterOS variables `user`,
 * `local-address`, `remote-address`, `caller-id`, `interface`; queued scripts run at the end of
 * a pump, their configuration changes apply at once and leave as `config-changed` to be saved.
 */
import type { AuthMethod } from '../auth/types.js';
import type { SessionEndReason } from '../aaa/accounting.js';
import type { UseEncryption } from '../ppp/link.js';
import type { Logger } from '../core/log.js';
import type { Random } from '../core/random.js';
import { DeadlineQueue } from '../core/deadlines.js';
import { earliest, type Instant } from '../core/time.js';
import type { ChangeRecord, ConfigStore, Item, Values } from '../config/store.js';
import type { RuntimeCommandOutcome, RuntimeProvider, RuntimeRow, RuntimeStatus } from '../config/runtime.js';
import { formatDuration, parseDuration } from '../config/values.js';
import { ConsoleSession } from '../frontends/console/session.js';
import { MAIN_SOCKET, type Address, type SocketKey, type Transmit } from '../l2tp/types.js';
import { COA_SOCKET, RADIUS_SOCKET, ServerAaa } from './aaa.js';
import type { AuthorizationChange } from '../aaa/coa.js';
import type { SessionParameters } from '../aaa/policy.js';
import { PppOverL2tp, type ServerPppOptions, type ServiceEvent, type SessionKey } from './ppp-over-l2tp.js';
import { applyRateLimit } from './rate-limit.js';

export const L2TP_PORT = 1701;
/** Client sockets get keys from here on (the engine numbers its ephemeral server sockets from 1). */
const CLIENT_SOCKET_BASE = 0x100000;
const REDIAL_MIN_MS = 5_000;
const REDIAL_MAX_MS = 60_000;
/** RouterOS: "a route with gateway address from 10.112.112.0/24 will be added while connection is not established". */
const DEMAND_NET = '10.112.112.';
const DEMAND_QUEUE = 8;

const MENU = {
  server: 'interface l2tp-server server',
  serverIf: 'interface l2tp-server',
  client: 'interface l2tp-client',
  secret: 'ppp secret',
  profile: 'ppp profile',
  active: 'ppp active',
  iface: 'interface',
  addressList: 'ip firewall address-list',
  dns: 'ip dns',
} as const;
/** Dynamic address-list ids live above the configured ones (`*A000001`...). */
const DYNAMIC_LIST_ID_BASE = 0xa000000;
/** Scripts run per pump at most (each is itself bounded by the console's limits). */
const MAX_SCRIPTS_PER_PUMP = 64;

/** A route to install while an interface is up (`dev` is implied by the interface). */
export interface RouteSpec {
  readonly dst: string;
  readonly gateway?: string;
  readonly metric?: number;
}

export type RouterCommand =
  | { readonly type: 'listen'; readonly address: string; readonly port: number }
  | {
      readonly type: 'interface-up';
      readonly key: SessionKey;
      /** The RouterOS name (`l2tp-out1`, `<l2tp-user1>`, a static entry's name). */
      readonly name: string;
      /** A valid Linux name (at most 15 characters), unique while the interface exists. */
      readonly kernelName: string;
      readonly local: string;
      readonly remote: string;
      readonly mtu: number;
      readonly routes: readonly RouteSpec[];
    }
  | { readonly type: 'interface-down'; readonly key: SessionKey; readonly kernelName: string; readonly routes: readonly RouteSpec[] }
  /**
   * The host resolver's servers changed: `/ip dns servers` plus what l2tp-clients with
   * use-peer-dns learned (IPCP DNS, RFC 1877); `exclusive` when a client says `exclusively`
   * (then only its servers). Empty `servers`: give the resolver its original configuration back.
   */
  | { readonly type: 'dns'; readonly servers: readonly string[]; readonly exclusive: boolean }
  /** `/ip route` changed while the interface is up. */
  | { readonly type: 'interface-routes'; readonly key: SessionKey; readonly kernelName: string; readonly add: readonly RouteSpec[]; readonly remove: readonly RouteSpec[] }
  /** Dial-on-demand: the interface stays, its addresses change (placeholder <-> negotiated). */
  | {
      readonly type: 'interface-readdress';
      readonly key: SessionKey;
      readonly kernelName: string;
      readonly local: string;
      readonly remote: string;
      readonly mtu: number;
      readonly routes: readonly RouteSpec[];
    }
  | { readonly type: 'unlisten' }
  /**
   * `/ip firewall address-list`: the wanted content of every list known so far (enabled static
   * entries and the sessions' dynamic ones); a list that emptied is sent with no addresses.
   */
  | { readonly type: 'address-lists'; readonly sets: Readonly<Record<string, readonly string[]>> }
  /** The router changed the configuration itself (an on-up script, an expired timeout): save it. */
  | { readonly type: 'config-changed'; readonly changes: readonly ChangeRecord[] }
  | { readonly type: 'open-socket'; readonly socket: SocketKey; readonly address: string; readonly port?: number }
  | { readonly type: 'close-socket'; readonly socket: SocketKey };

type ClientStatus = 'dialing' | 'verifying password...' | 'connected' | 'disconnected' | 'terminating...';

/** A kernel name with a `-n` suffix, the base cut so the whole stays within 15 characters. */
function suffixedName(base: string, n: number): string {
  const suffix = `-${n}`;
  return base.slice(0, 15 - suffix.length) + suffix;
}

interface UpInterface {
  readonly name: string;
  readonly kernelName: string;
  /** The base and suffix `kernelName` was made from (suffix 0: the base itself). */
  readonly kernelBase: string;
  readonly kernelSuffix: number;
  readonly remote: string;
  /** Routes of the session itself (secret routes, add-default-route). */
  readonly own: readonly RouteSpec[];
  /** Everything installed: `own` plus `/ip route` entries through this interface. */
  routes: readonly RouteSpec[];
}

/** DNS servers an l2tp-client learned with use-peer-dns, while it is connected. */
interface PeerDns {
  readonly servers: readonly string[];
  readonly exclusive: boolean;
}

interface ClientState {
  readonly id: string;
  socket: SocketKey;
  tunnelId: number | undefined;
  session: SessionKey | undefined;
  status: ClientStatus;
  connectedAt: Instant | undefined;
  local: string;
  remote: string;
  mtu: number;
  mru: number;
  failures: number;
  lastError: string;
  encoding: string;
  /** Dial-on-demand: the key of the interface that lives while the client is enabled. */
  demandKey: SessionKey | undefined;
  /** Packets that arrived on the demand interface before the link was up (first ones kept). */
  queued: Uint8Array[];
}

interface ActiveSession {
  readonly key: SessionKey;
  readonly index: number;
  readonly peer: Address;
  readonly startedAt: Instant;
  user: string;
  local: string;
  remote: string;
  up: boolean;
  mtu: number;
  /** The static `/interface l2tp-server` entry that took this session, if any. */
  staticId: string | undefined;
  radius: boolean;
  encoding: string;
  /** Why we are ending it, when we are (accounting's terminate cause). */
  endCause: SessionEndReason | undefined;
  /** The profile's on-down script and the variables of its on-up, kept from session up. */
  onDown: string;
  scriptVars: Readonly<Record<string, string>> | undefined;
  profile: string;
}

/** A session's entry in `/ip firewall address-list` (dynamic: never stored). */
interface DynamicListEntry {
  readonly id: string;
  readonly key: SessionKey;
  readonly list: string;
  readonly address: string;
  readonly comment: string;
  readonly createdAt: Instant;
}

interface PendingScript {
  readonly profile: string;
  readonly which: 'on-up' | 'on-down';
  readonly text: string;
  readonly vars: Readonly<Record<string, string>>;
}

interface SecretHistory {
  lastLoggedOut?: Instant;
  lastCallerId?: string;
  lastDisconnectReason?: string;
}

export class L2tpRouter implements RuntimeProvider {
  readonly service: PppOverL2tp;
  private readonly commands: RouterCommand[] = [];
  private readonly clients = new Map<string, ClientState>();
  private readonly clientByTunnel = new Map<number, ClientState>();
  private readonly clientBySession = new Map<SessionKey, ClientState>();
  private readonly sessions = new Map<SessionKey, ActiveSession>();
  private readonly secretHistory = new Map<string, SecretHistory>();
  private readonly peerDns = new Map<string, PeerDns>();
  private readonly timers = new DeadlineQueue<string>();
  readonly aaa: ServerAaa;
  /** Interfaces up, by session; their kernel names in use. */
  private readonly interfaces = new Map<SessionKey, UpInterface>();
  private readonly kernelNames = new Set<string>();
  /** Per kernel-name base, the lowest suffix that may be free (so a storm of one user's sessions is O(1) each). */
  private readonly kernelSuffixHint = new Map<string, number>();
  private listening = false;
  private nextSocket = CLIENT_SOCKET_BASE;
  private nextSessionIndex = 1;
  /** Demand interfaces use negative keys: session keys are always positive. */
  private nextDemandKey = -1;
  private readonly clientByDemandKey = new Map<SessionKey, ClientState>();
  private readonly dynamicEntries: DynamicListEntry[] = [];
  private nextDynamicEntry = 1;
  /** When the router first saw each static address-list entry (creation-time, timeout). */
  private readonly listEntrySeen = new Map<string, Instant>();
  /** Every list name ever mirrored, so a list that empties is flushed in the kernel too. */
  private readonly knownLists = new Set<string>();
  private lastListState = '';
  private readonly pendingScripts: PendingScript[] = [];
  private runningScripts = false;
  /** What scripts see as runtime (the daemon may give the composed one, with `/log`). */
  scriptRuntime: RuntimeProvider | undefined;
  private now: Instant = 0;
  /** Wall-clock offset for `last-logged-out` (the daemon passes `Date.now() - now`). */
  wallClockOffsetMs = 0;
  /** Receives IP packets that came out of a session (the daemon writes them to its TUN). */
  ipSink: ((key: SessionKey, protocol: 'ipv4' | 'ipv6', packet: Uint8Array) => void) | undefined;

  constructor(
    private readonly store: ConfigStore,
    private readonly deps: { random: Random; logger: Logger },
  ) {
    this.service = new PppOverL2tp({ acceptTunnels: false, hostName: this.identity(), secretFor: (peer) => this.tunnelSecretFor(peer) }, undefined, deps);
    this.service.mssClampFor = (key) => this.profileOf(key)['change-tcp-mss'] !== 'no';
    this.aaa = new ServerAaa(
      store,
      {
        completeAuth: (now, key, verdict) => this.service.completeAuth(now, key, verdict),
        disconnect: (now, key, reason, cause) => {
          const a = this.sessions.get(key);
          if (a) a.endCause ??= cause;
          this.service.disconnect(now, key, reason);
        },
        traffic: (key) => {
          const c = this.service.counters(key);
          return c ? { inputOctets: c.rxBytes, outputOctets: c.txBytes, inputPackets: c.rxPackets, outputPackets: c.txPackets, lastActivity: c.lastActivity } : undefined;
        },
        active: () => [...this.sessions.values()].filter((a) => a.up).map((a) => ({ key: a.key, user: a.user, callerId: a.peer.ip })),
        authorizationChanged: (now, key, params, change) => this.authorizationChanged(now, key, params, change),
      },
      { ...deps, unixSeconds: (now) => Math.floor((now + this.wallClockOffsetMs) / 1000) },
    );
    // Fast-path packets out of sessions go straight to the interface owner; a dial-on-demand
    // client's packets belong to its long-lived interface.
    this.service.ipSink = (key, protocol, packet) => {
      const c = this.clientBySession.get(key);
      this.ipSink?.(c?.demandKey ?? key, protocol, packet);
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Configuration

  /** Brings the running state in line with the whole configuration (start-up). */
  start(now: Instant): void {
    this.now = now;
    this.pumpAaa();
    this.applyServer(now);
    for (const item of this.store.items(MENU.client)) this.applyClient(now, item.id);
    this.applyAddressLists(now);
    if (this.store.settings(MENU.dns)['servers']) this.emitDns();
  }

  /** Applies what a console command changed. */
  applyChanges(now: Instant, changes: readonly ChangeRecord[]): void {
    this.now = now;
    let server = false;
    for (const c of changes) {
      if (c.menu === MENU.server || c.menu === 'system identity') server = true;
      else if (c.menu === MENU.client) this.applyClient(now, c.id);
    }
    if (server) this.applyServer(now);
    if (changes.some((c) => c.menu === 'ip route')) this.applyStaticRoutes();
    if (changes.some((c) => c.menu === MENU.addressList)) this.applyAddressLists(now, changes);
    if (changes.some((c) => c.menu === MENU.dns)) this.emitDns();
    this.aaa.reconfigure(now, changes);
    this.pumpAaa();
  }

  private applyServer(now: Instant): void {
    const s = this.store.settings(MENU.server);
    const enabled = s['enabled'] === 'yes';
    this.service.setServerOptions(enabled ? this.serverOptions(s) : undefined);
    this.service.setAcceptTunnels(enabled);
    if (enabled && !this.listening) {
      this.listening = true;
      this.commands.push({ type: 'listen', address: '0.0.0.0', port: L2TP_PORT });
      this.deps.logger.log(['l2tp', 'info'], 'L2TP server enabled');
    } else if (!enabled && this.listening) {
      this.listening = false;
      for (const a of [...this.sessions.values()]) this.service.disconnect(now, a.key, 'server disabled');
      for (const id of this.service.l2tp.tunnelIds()) {
        if (this.service.l2tp.tunnelInfo(id)?.role === 'lns') this.service.l2tp.closeTunnel(now, id, { result: 6, message: 'server disabled' }, 'server disabled');
      }
      this.commands.push({ type: 'unlisten' });
      this.deps.logger.log(['l2tp', 'info'], 'L2TP server disabled');
    }
  }

  private serverOptions(s: Values): ServerPppOptions {
    const keepalive = s['keepalive-timeout'];
    return {
      authentication: splitList(s['authentication']) as AuthMethod[],
      mru: Number(s['max-mru'] ?? 1450),
      mtu: Number(s['max-mtu'] ?? 1450),
      keepaliveTimeoutS: keepalive === undefined || keepalive === 'disabled' ? undefined : Number(keepalive),
      ipv6: false,
      hostName: this.identity(),
      // CCP is always ready to hold a pipelined request; each user's profile decides at authorize().
      encryption: true,
    };
  }

  private applyClient(now: Instant, id: string): void {
    const item = this.store.get(MENU.client, id);
    const state = this.clients.get(id);
    const wanted = item !== undefined && item.values['disabled'] !== 'yes';
    if (!wanted) {
      if (state) this.stopClient(now, state, item ? 'disabled' : 'removed');
      return;
    }
    if (state) {
      // A changed client reconnects with its new settings.
      this.stopClient(now, state, 'configuration changed');
    }
    const c: ClientState = {
      id,
      socket: this.nextSocket++,
      tunnelId: undefined,
      session: undefined,
      status: 'disconnected',
      connectedAt: undefined,
      local: '',
      remote: '',
      mtu: 0,
      mru: 0,
      failures: 0,
      lastError: '',
      encoding: '',
      demandKey: undefined,
      queued: [],
    };
    this.clients.set(id, c);
    this.commands.push({ type: 'open-socket', socket: c.socket, address: item.values['src-address'] || '0.0.0.0' });
    if (item.values['dial-on-demand'] === 'yes') {
      // The interface and its routes exist at once, on placeholder addresses; the first packet
      // routed into it dials (and is sent once the link is up).
      c.demandKey = this.nextDemandKey--;
      this.clientByDemandKey.set(c.demandKey, c);
      const n = 2 * ((-c.demandKey - 1) % 127) + 1;
      this.interfaceUp(c.demandKey, item.values['name'] ?? id, `${DEMAND_NET}${n}`, `${DEMAND_NET}${n + 1}`, Number(item.values['max-mtu'] ?? 1450), this.clientRoutes(id));
      return;
    }
    this.dial(now, c);
  }

  private clientRoutes(id: string): RouteSpec[] {
    const item = this.store.get(MENU.client, id);
    const routes: RouteSpec[] = [];
    if (item?.values['add-default-route'] === 'yes') {
      const distance = item.values['default-route-distance'];
      routes.push({ dst: '0.0.0.0/0', ...(distance ? { metric: Number(distance) } : {}) });
    }
    return routes;
  }

  private dial(now: Instant, c: ClientState): void {
    const item = this.store.get(MENU.client, c.id);
    if (!item) return;
    const v = item.values;
    const keepalive = v['keepalive-timeout'];
    c.status = 'dialing';
    const name = v['name'] ?? c.id;
    const tunnelId = this.service.dial(now, {
      peer: { ip: v['connect-to'] ?? '0.0.0.0', port: L2TP_PORT },
      via: c.socket,
      user: v['user'] ?? '',
      password: v['password'] ?? '',
      allow: splitList(v['allow']) as AuthMethod[],
      mru: Number(v['max-mru'] ?? 1450),
      mtu: Number(v['max-mtu'] ?? 1450),
      keepaliveTimeoutS: keepalive === undefined || keepalive === 'disabled' ? undefined : Number(keepalive),
      usePeerDns: v['use-peer-dns'] !== 'no',
      name,
      encryption: resolveEncryption(this.store.findByName(MENU.profile, v['profile'] ?? 'default-encryption')?.values['use-encryption']),
    });
    this.deps.logger.log(['l2tp', 'info'], `${name}: initializing... connecting to ${v['connect-to']}`);
    if (tunnelId === undefined) return this.clientFailed(now, c, 'no free tunnel id');
    c.tunnelId = tunnelId;
    this.clientByTunnel.set(tunnelId, c);
  }

  /** The resolver's servers: `/ip dns servers`, then what connected clients learned (RouterOS order). */
  private dnsServers(): { servers: string[]; dynamic: string[]; exclusive: boolean } {
    const dynamic = [...new Set([...this.peerDns.values()].flatMap((d) => d.servers))];
    const exclusive = [...this.peerDns.values()].some((d) => d.exclusive);
    const configured = (this.store.settings(MENU.dns)['servers'] ?? '').split(',').filter((x) => x !== '');
    const servers = exclusive ? [...new Set([...this.peerDns.values()].filter((d) => d.exclusive).flatMap((d) => d.servers))] : [...new Set([...configured, ...dynamic])];
    return { servers, dynamic, exclusive };
  }

  private emitDns(): void {
    const d = this.dnsServers();
    this.commands.push({ type: 'dns', servers: d.servers, exclusive: d.exclusive });
  }

  private stopClient(now: Instant, c: ClientState, why: string): void {
    this.timers.delete(`redial:${c.id}`);
    if (this.peerDns.delete(c.id)) this.emitDns();
    if (c.tunnelId !== undefined) {
      this.clientByTunnel.delete(c.tunnelId);
      this.service.hangUp(now, c.tunnelId, why);
    }
    if (c.session !== undefined) this.clientBySession.delete(c.session);
    if (c.demandKey !== undefined) {
      this.interfaceDown(c.demandKey);
      this.clientByDemandKey.delete(c.demandKey);
    }
    this.clients.delete(c.id);
    this.commands.push({ type: 'close-socket', socket: c.socket });
  }

  private clientFailed(now: Instant, c: ClientState, why: string): void {
    if (c.tunnelId !== undefined) {
      this.clientByTunnel.delete(c.tunnelId);
      this.service.hangUp(now, c.tunnelId, why);
      c.tunnelId = undefined;
    }
    if (c.session !== undefined) this.clientBySession.delete(c.session);
    c.session = undefined;
    const wasConnected = c.connectedAt !== undefined && now - c.connectedAt >= REDIAL_MAX_MS;
    c.failures = wasConnected ? 1 : c.failures + 1;
    c.status = 'disconnected';
    c.connectedAt = undefined;
    c.local = '';
    c.remote = '';
    c.lastError = why;
    const name = this.store.get(MENU.client, c.id)?.values['name'] ?? c.id;
    if (c.demandKey !== undefined) {
      // Dial-on-demand redials on the next packet, not on a timer.
      c.queued = [];
      const i = this.interfaces.get(c.demandKey);
      const n = 2 * ((-c.demandKey - 1) % 127) + 1;
      if (i) this.commands.push({ type: 'interface-readdress', key: c.demandKey, kernelName: i.kernelName, local: `${DEMAND_NET}${n}`, remote: `${DEMAND_NET}${n + 1}`, mtu: Number(this.store.get(MENU.client, c.id)?.values['max-mtu'] ?? 1450), routes: i.routes });
      this.deps.logger.log(['l2tp', 'info'], `${name}: disconnected: ${why}; dialing again on demand`);
      return;
    }
    const delay = Math.min(REDIAL_MAX_MS, REDIAL_MIN_MS * 2 ** Math.max(0, c.failures - 1));
    this.deps.logger.log(['l2tp', 'info'], `${name}: disconnected: ${why}; redialing in ${formatDuration(delay)}`);
    this.timers.set(`redial:${c.id}`, now + delay);
  }

  // ---------------------------------------------------------------------------------------------
  // Engine contract

  handleDatagram(now: Instant, from: Address, bytes: Uint8Array, via: SocketKey = MAIN_SOCKET): void {
    this.now = now;
    if (via === RADIUS_SOCKET || via === COA_SOCKET) {
      this.aaa.handleDatagram(now, via, from, bytes);
      this.pumpAaa();
    } else {
      this.service.handleDatagram(now, from, bytes, via);
    }
    this.pump(now);
  }

  handleTimeout(now: Instant): void {
    this.now = now;
    this.service.handleTimeout(now);
    this.aaa.handleTimeout(now);
    this.pumpAaa();
    for (const t of this.timers.popDue(now)) {
      if (t.startsWith('redial:')) {
        const c = this.clients.get(t.slice('redial:'.length));
        if (c && c.tunnelId === undefined) this.dial(now, c);
      } else if (t.startsWith('list-timeout:')) {
        this.listEntryExpired(now, t.slice('list-timeout:'.length));
      }
    }
    this.pump(now);
  }

  nextTimeout(): Instant | undefined {
    return earliest(this.service.nextTimeout(), this.timers.peek(), this.aaa.nextTimeout());
  }

  pollTransmit(): Transmit | undefined {
    return this.service.pollTransmit() ?? this.aaa.pollTransmit();
  }

  /** AAA's socket needs become router commands. */
  private pumpAaa(): void {
    for (let c = this.aaa.pollCommand(); c; c = this.aaa.pollCommand()) {
      if (c.type === 'listen-coa') this.commands.push({ type: 'open-socket', socket: COA_SOCKET, address: '0.0.0.0', port: c.port });
      else this.commands.push({ type: 'close-socket', socket: COA_SOCKET });
    }
  }

  /** An IP packet from the interface of a session (TUN), into the tunnel. */
  sendIp(now: Instant, key: SessionKey, packet: Uint8Array, protocol: 'ipv4' | 'ipv6'): void {
    this.now = now;
    const demand = this.clientByDemandKey.get(key);
    if (demand) {
      if (demand.status === 'connected' && demand.session !== undefined) {
        this.service.sendIp(now, demand.session, packet, protocol);
      } else {
        // Only IPv4 dials (IPv6 is not negotiated on our links). The view is only valid during
        // the TUN callback: keep a copy.
        if (protocol === 'ipv4') {
          if (demand.queued.length < DEMAND_QUEUE) demand.queued.push(packet.slice());
          if (demand.tunnelId === undefined) this.dial(now, demand);
        }
      }
      this.pump(now);
      return;
    }
    // The service counts the activity (idle-time) and raises no events for a send: no pump.
    this.service.sendIp(now, key, packet, protocol);
  }

  pollCommand(): RouterCommand | undefined {
    return this.commands.shift();
  }

  /** Closes everything with StopCCN (daemon shutdown). */
  shutdown(now: Instant): void {
    this.now = now;
    for (const c of this.clients.values()) this.timers.delete(`redial:${c.id}`);
    this.service.shutdown(now);
    this.pump(now);
  }

  /** True when no tunnel is left (used to wait for StopCCN acks at shutdown). */
  get idle(): boolean {
    return this.service.l2tp.tunnelIds().every((id) => this.service.l2tp.tunnelInfo(id)?.state === 'closing');
  }

  private pump(now: Instant): void {
    for (let ev = this.service.pollEvent(); ev; ev = this.service.pollEvent()) this.onEvent(now, ev);
    this.runScripts(now);
  }

  private onEvent(now: Instant, ev: ServiceEvent): void {
    switch (ev.type) {
      case 'tunnel-up':
        return;
      case 'tunnel-down': {
        const c = this.clientByTunnel.get(ev.tunnelId);
        if (c) this.clientFailed(now, c, ev.reason);
        return;
      }
      case 'session-up': {
        if (ev.role === 'lac') {
          const c = this.clientByTunnel.get(ev.tunnelId);
          if (c) {
            c.session = ev.key;
            c.status = 'verifying password...';
            this.clientBySession.set(ev.key, c);
          }
          return;
        }
        this.sessions.set(ev.key, {
          key: ev.key,
          index: this.nextSessionIndex++,
          peer: ev.peer,
          startedAt: now,
          user: '',
          local: '',
          remote: '',
          up: false,
          mtu: 0,
          staticId: undefined,
          radius: false,
          encoding: '',
          endCause: undefined,
          onDown: '',
          scriptVars: undefined,
          profile: '',
        });
        this.aaa.sessionStarted(now, ev.key, this.nextSessionIndex - 1, ev.peer);
        return;
      }
      case 'auth-check':
        this.aaa.check(now, ev.key, ev.check);
        this.pumpAaa();
        return;
      case 'authenticated': {
        const c = this.clientBySession.get(ev.key);
        if (c) return;
        const a = this.sessions.get(ev.key);
        if (a) a.user = ev.user;
        return;
      }
      case 'need-addresses':
        return this.authorizeSession(now, ev.key, ev.user);
      case 'ipcp-up': {
        const c = this.clientBySession.get(ev.key);
        const link = this.service.link(ev.key);
        if (c) {
          c.status = 'connected';
          c.connectedAt = now;
          c.failures = 0;
          c.local = ev.local;
          c.remote = ev.remote;
          c.mtu = tunnelMtu(link);
          c.mru = link?.state.negotiated.mru ?? 0;
          c.encoding = link?.state.encoding ?? '';
          const name = this.store.get(MENU.client, c.id)?.values['name'] ?? c.id;
          const demand = c.demandKey !== undefined ? this.interfaces.get(c.demandKey) : undefined;
          if (c.demandKey !== undefined && demand) {
            this.commands.push({ type: 'interface-readdress', key: c.demandKey, kernelName: demand.kernelName, local: ev.local, remote: ev.remote, mtu: c.mtu, routes: demand.routes });
            for (const p of c.queued.splice(0)) this.service.sendIp(now, ev.key, p, (p[0]! >> 4) === 6 ? 'ipv6' : 'ipv4');
          } else {
            this.interfaceUp(ev.key, name, ev.local, ev.remote, c.mtu, this.clientRoutes(c.id));
          }
          this.deps.logger.log(['l2tp', 'info'], `${name}: connected, ${ev.local} -> ${ev.remote}`);
          const usePeerDns = this.store.get(MENU.client, c.id)?.values['use-peer-dns'] ?? 'no';
          if (usePeerDns !== 'no' && ev.dns.length > 0) {
            this.peerDns.set(c.id, { servers: [...ev.dns], exclusive: usePeerDns === 'exclusively' });
            this.emitDns();
          }
          return;
        }
        const a = this.sessions.get(ev.key);
        if (!a) return;
        a.up = true;
        a.local = ev.local;
        a.remote = ev.remote;
        a.mtu = tunnelMtu(link);
        a.encoding = link?.state.encoding ?? '';
        a.radius = this.aaa.isRadius(ev.key);
        a.staticId = this.staticEntryFor(a.user, ev.key);
        const staticName = a.staticId !== undefined ? this.store.get(MENU.serverIf, a.staticId)?.values['name'] : undefined;
        const params = this.aaa.params(ev.key);
        this.interfaceUp(ev.key, staticName ?? `<l2tp-${a.user}>`, a.local, a.remote, a.mtu, parseSecretRoutes((params?.routes ?? []).join(',')));
        // rx/tx from the router's point of view: rx (from the client) policed, tx shaped.
        if (params?.rateLimit) applyRateLimit(this.service, ev.key, params.rateLimit);
        this.aaa.sessionUp(now, ev.key);
        this.pumpAaa();
        this.deps.logger.log(['l2tp', 'ppp', 'info', 'account'], `${a.user} logged in, ${a.remote}`);
        this.sessionUpHooks(now, a, staticName ?? `<l2tp-${a.user}>`, params?.addressLists ?? [], params?.onUp ?? '', params?.onDown ?? '');
        return;
      }
      case 'ip-packet':
        return; // packets arrive through service.ipSink (set in the constructor), not as events
      case 'session-down': {
        this.interfaceDown(ev.key);
        const c = this.clientBySession.get(ev.key);
        if (c) {
          if (this.peerDns.delete(c.id)) this.emitDns();
          return this.clientFailed(now, c, ev.reason);
        }
        const a = this.sessions.get(ev.key);
        if (!a) return;
        this.sessions.delete(ev.key);
        const c2 = ev.counters ?? this.service.counters(ev.key);
        this.aaa.sessionDown(now, ev.key, a.endCause ?? endCauseOf(ev.code), c2 ? { inputOctets: c2.rxBytes, outputOctets: c2.txBytes, inputPackets: c2.rxPackets, outputPackets: c2.txPackets } : undefined);
        this.pumpAaa();
        if (a.user) {
          const secret = this.store.findByName(MENU.secret, a.user);
          if (secret) this.secretHistory.set(secret.id, { lastLoggedOut: now, lastCallerId: a.peer.ip, lastDisconnectReason: ev.reason });
          if (a.up) this.deps.logger.log(['l2tp', 'ppp', 'info', 'account'], `${a.user} logged out, ${Math.round((now - a.startedAt) / 1000)} (${ev.reason})`);
        }
        this.sessionDownHooks(now, a);
        return;
      }
      case 'socket-open':
        return;
      case 'socket-close':
        this.commands.push({ type: 'close-socket', socket: ev.socket });
        return;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Interfaces

  /** Static `/ip route` entries whose gateway is this interface, or its remote address. */
  private staticRoutesVia(name: string, remote: string): RouteSpec[] {
    const routes: RouteSpec[] = [];
    for (const r of this.store.items('ip route')) {
      const v = r.values;
      if (v['disabled'] === 'yes') continue;
      if (v['gateway'] === name) routes.push({ dst: v['dst-address'] ?? '0.0.0.0/0', metric: Number(v['distance'] ?? 1) });
      else if (v['gateway'] === remote) routes.push({ dst: v['dst-address'] ?? '0.0.0.0/0', gateway: remote, metric: Number(v['distance'] ?? 1) });
    }
    return routes;
  }

  /** `/ip route` changed: bring every up interface's routes in line. */
  private applyStaticRoutes(): void {
    const key = (r: RouteSpec): string => `${r.dst} ${r.gateway ?? ''} ${r.metric ?? ''}`;
    for (const [k, i] of this.interfaces) {
      const next = [...i.own, ...this.staticRoutesVia(i.name, i.remote)];
      const before = new Set(i.routes.map(key));
      const after = new Set(next.map(key));
      const add = next.filter((r) => !before.has(key(r)));
      const remove = i.routes.filter((r) => !after.has(key(r)));
      i.routes = next;
      if (add.length > 0 || remove.length > 0) this.commands.push({ type: 'interface-routes', key: k, kernelName: i.kernelName, add, remove });
    }
  }

  private interfaceUp(key: SessionKey, name: string, local: string, remote: string, mtu: number, own: readonly RouteSpec[]): void {
    if (this.interfaces.has(key)) return;
    const { kernelName, kernelBase, kernelSuffix } = this.kernelNameFor(name);
    const routes: RouteSpec[] = [...own, ...this.staticRoutesVia(name, remote)];
    this.interfaces.set(key, { name, kernelName, kernelBase, kernelSuffix, remote, own, routes });
    this.kernelNames.add(kernelName);
    this.commands.push({ type: 'interface-up', key, name, kernelName, local, remote, mtu, routes });
  }

  private interfaceDown(key: SessionKey): void {
    const i = this.interfaces.get(key);
    if (!i) return;
    this.interfaces.delete(key);
    this.kernelNames.delete(i.kernelName);
    const hint = this.kernelSuffixHint.get(i.kernelBase);
    if (i.kernelSuffix > 0 && hint !== undefined && i.kernelSuffix < hint) this.kernelSuffixHint.set(i.kernelBase, i.kernelSuffix);
    this.commands.push({ type: 'interface-down', key, kernelName: i.kernelName, routes: i.routes });
  }

  /** The RouterOS name if Linux accepts it, else a sanitised, unique form of at most 15 chars. */
  private kernelNameFor(name: string): { kernelName: string; kernelBase: string; kernelSuffix: number } {
    let base = name.replace(/^<|>$/g, '').replace(/[^A-Za-z0-9_.-]/g, '_');
    if (base === '' || base === '.' || base === '..') base = 'l2tp';
    base = base.slice(0, 15);
    if (!this.kernelNames.has(base)) return { kernelName: base, kernelBase: base, kernelSuffix: 0 };
    for (let n = this.kernelSuffixHint.get(base) ?? 1; n < 100_000; n++) {
      const candidate = suffixedName(base, n);
      if (!this.kernelNames.has(candidate)) {
        this.kernelSuffixHint.set(base, n + 1);
        return { kernelName: candidate, kernelBase: base, kernelSuffix: n };
      }
    }
    return { kernelName: base, kernelBase: base, kernelSuffix: 0 };
  }

  /** The kernel name of a RouterOS interface name, when it is up. */
  kernelNameOf(name: string): string | undefined {
    for (const i of this.interfaces.values()) if (i.name === name) return i.kernelName;
    return undefined;
  }

  // ---------------------------------------------------------------------------------------------
  // Authorisation (RouterOS precedence)

  private authorizeSession(now: Instant, key: SessionKey, user: string): void {
    const r = this.aaa.authorizeSession(key, user);
    if (!r.ok) {
      this.deps.logger.log(['l2tp', 'ppp', 'info'], `${user}: login refused: ${r.reason}`);
      const a = this.sessions.get(key);
      if (a) a.endCause = 'nas-request';
      this.service.disconnect(now, key, r.reason);
      return;
    }
    const p = r.session.params;
    this.service.authorize(now, key, {
      localAddress: r.session.localAddress,
      remoteAddress: r.session.remoteAddress,
      dns: [...p.dnsServers],
      wins: [...p.winsServers],
      encryption: p.useEncryption,
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Runtime views

  rows(menu: string): readonly RuntimeRow[] {
    if (menu === MENU.active) return [...this.sessions.values()].filter((a) => a.up).map((a) => this.activeRow(a));
    if (menu === MENU.serverIf) {
      return [...this.sessions.values()]
        .filter((a) => a.up && a.staticId === undefined)
        .map((a) => ({ id: `*${(0x9000000 + a.index).toString(16).toUpperCase()}`, flags: 'R', values: this.serverIfValues(a, `<l2tp-${a.user}>`) }));
    }
    if (menu === MENU.iface) return this.interfaceRows();
    if (menu === 'ip pool used') return this.aaa.poolUsedRows();
    if (menu === 'queue simple') return this.simpleQueueRows();
    if (menu === MENU.addressList) {
      return this.dynamicEntries.map((e) => ({
        id: e.id,
        values: { list: e.list, address: e.address, comment: e.comment, 'creation-time': this.wallTime(e.createdAt) },
      }));
    }
    return [];
  }

  status(menu: string, id: string): RuntimeStatus | undefined {
    if (menu === MENU.dns) return { values: { 'dynamic-servers': this.dnsServers().dynamic.join(',') } };
    if (menu === MENU.addressList) {
      const seen = this.listEntrySeen.get(id);
      if (seen === undefined) return undefined;
      const expires = this.timers.get(`list-timeout:${id}`);
      return { values: { 'creation-time': this.wallTime(seen), ...(expires !== undefined ? { timeout: formatDuration(Math.max(0, expires - this.now)) } : {}) } };
    }
    if (menu === MENU.client) {
      const c = this.clients.get(id);
      return c?.status === 'connected' ? { flags: 'R' } : undefined;
    }
    if (menu === MENU.serverIf) {
      const a = [...this.sessions.values()].find((s) => s.staticId === id && s.up);
      return a ? { flags: 'R', values: this.serverIfValues(a, undefined) } : undefined;
    }
    if (menu === MENU.secret) {
      const h = this.secretHistory.get(id);
      if (!h) return undefined;
      return {
        values: {
          ...(h.lastLoggedOut !== undefined ? { 'last-logged-out': this.wallTime(h.lastLoggedOut) } : {}),
          ...(h.lastCallerId !== undefined ? { 'last-caller-id': h.lastCallerId } : {}),
          ...(h.lastDisconnectReason !== undefined ? { 'last-disconnect-reason': h.lastDisconnectReason } : {}),
        },
      };
    }
    return undefined;
  }

  monitor(menu: string, id: string): Readonly<Record<string, string>> | undefined {
    if (menu === 'radius') return this.store.get('radius', id) ? this.aaa.radiusMonitor() : undefined;
    if (menu === MENU.client) {
      if (!this.store.get(MENU.client, id)) return undefined;
      const c = this.clients.get(id);
      if (!c) return { status: 'disconnected' };
      if (c.status !== 'connected') return { status: c.status };
      return {
        status: 'connected',
        uptime: formatDuration(this.now - (c.connectedAt ?? this.now)),
        'idle-time': formatDuration(this.now - ((c.session !== undefined ? this.service.counters(c.session)?.lastActivity : undefined) ?? c.connectedAt ?? this.now)),
        encoding: c.encoding,
        mtu: String(c.mtu),
        mru: String(c.mru),
        'local-address': c.local,
        'remote-address': c.remote,
      };
    }
    if (menu === MENU.serverIf) {
      const a = [...this.sessions.values()].find((s) => s.up && (s.staticId === id || `*${(0x9000000 + s.index).toString(16).toUpperCase()}` === id));
      if (!a) return undefined;
      return { status: 'connected', uptime: formatDuration(this.now - a.startedAt), encoding: a.encoding, mtu: String(a.mtu), 'local-address': a.local, 'remote-address': a.remote };
    }
    return undefined;
  }

  command(menu: string, verb: string, ids: readonly string[]): RuntimeCommandOutcome {
    if (menu === MENU.active && verb === 'remove') {
      for (const id of ids) {
        const a = [...this.sessions.values()].find((s) => this.activeId(s) === id);
        if (!a) return { error: { code: 'RUNTIME_NO_SUCH_ITEM', message: 'no such item' } };
        this.service.disconnect(this.now, a.key, 'disconnected by admin');
      }
      this.pump(this.now);
      return {};
    }
    return { error: { code: 'RUNTIME_UNSUPPORTED', message: `failure: ${verb} not supported here` } };
  }

  private activeId(a: ActiveSession): string {
    return `*${(0x8000000 + a.index).toString(16).toUpperCase()}`;
  }

  private activeRow(a: ActiveSession): RuntimeRow {
    const secret = this.store.findByName(MENU.secret, a.user);
    return {
      id: this.activeId(a),
      ...(a.radius ? { flags: 'R' } : {}),
      values: {
        name: a.user,
        service: 'l2tp',
        'caller-id': a.peer.ip,
        address: a.remote,
        uptime: formatDuration(this.now - a.startedAt),
        encoding: a.encoding,
        'session-id': `0x${(0x81000000 + a.index).toString(16).toUpperCase()}`,
        'limit-bytes-in': secret?.values['limit-bytes-in'] ?? '0',
        'limit-bytes-out': secret?.values['limit-bytes-out'] ?? '0',
        ...this.activeStats(a.key),
      },
    };
  }

  /** `print stats` of /ppp active: tx/rx from the router's point of view. */
  private activeStats(key: SessionKey): Record<string, string> {
    const c = this.service.counters(key);
    if (!c) return {};
    return { bytes: `${c.txBytes}/${c.rxBytes}`, packets: `${c.txPackets}/${c.rxPackets}` };
  }

  /** `print stats` of /interface. */
  private interfaceStats(key: SessionKey | undefined): Record<string, string> {
    const c = key !== undefined ? this.service.counters(key) : undefined;
    if (!c) return {};
    return {
      'rx-byte': String(c.rxBytes),
      'tx-byte': String(c.txBytes),
      'rx-packet': String(c.rxPackets),
      'tx-packet': String(c.txPackets),
      'rx-drop': String(c.rxDrops),
      'tx-drop': String(c.txDrops),
    };
  }

  private serverIfValues(a: ActiveSession, name: string | undefined): Record<string, string> {
    return {
      ...(name !== undefined ? { name } : {}),
      user: a.user,
      mtu: String(a.mtu),
      'client-address': a.peer.ip,
      uptime: formatDuration(this.now - a.startedAt),
      encoding: a.encoding,
    };
  }

  private staticEntryFor(user: string, key: SessionKey): string | undefined {
    for (const item of this.store.items(MENU.serverIf)) {
      if (item.values['user'] !== user || item.values['disabled'] === 'yes') continue;
      const taken = [...this.sessions.values()].some((s) => s.key !== key && s.staticId === item.id);
      if (!taken) return item.id;
    }
    return undefined;
  }

  private interfaceRows(): RuntimeRow[] {
    const rows: RuntimeRow[] = [];
    for (const item of this.store.items(MENU.client)) {
      const c = this.clients.get(item.id);
      rows.push(this.ifaceRow(item, 'l2tp-out', c?.status === 'connected', c?.mtu, c?.session));
    }
    for (const item of this.store.items(MENU.serverIf)) {
      const a = [...this.sessions.values()].find((s) => s.staticId === item.id && s.up);
      rows.push(this.ifaceRow(item, 'l2tp-in', a !== undefined, a?.mtu, a?.key));
    }
    for (const a of this.sessions.values()) {
      if (!a.up || a.staticId !== undefined) continue;
      const kernel = this.interfaces.get(a.key)?.kernelName;
      rows.push({ id: `*${(0x9000000 + a.index).toString(16).toUpperCase()}`, flags: 'DR', values: { name: `<l2tp-${a.user}>`, type: 'l2tp-in', 'actual-mtu': String(a.mtu), ...(kernel ? { 'kernel-name': kernel } : {}), ...this.interfaceStats(a.key) } });
    }
    return rows;
  }

  private ifaceRow(item: Item, type: string, running: boolean, mtu: number | undefined, key: SessionKey | undefined): RuntimeRow {
    const flags = (item.values['disabled'] === 'yes' ? 'X' : '') + (running ? 'R' : '');
    // By session key (a map lookup): a scan by name made `/interface print` quadratic in sessions.
    const kernel = !running ? undefined : key !== undefined ? this.interfaces.get(key)?.kernelName : this.kernelNameOf(item.values['name'] ?? '');
    return {
      id: item.id,
      ...(flags ? { flags } : {}),
      values: {
        name: item.values['name'] ?? '',
        type,
        ...(running && mtu ? { 'actual-mtu': String(mtu) } : {}),
        ...(kernel ? { 'kernel-name': kernel } : {}),
        ...(running ? this.interfaceStats(key) : {}),
        disabled: item.values['disabled'] ?? 'no',
      },
    };
  }

  /** The profile in force for a session: the client's, or the secret's / server default's. */
  private profileOf(key: SessionKey): Values {
    const c = this.clientBySession.get(key);
    const server = this.store.settings(MENU.server);
    const name = c
      ? (this.store.get(MENU.client, c.id)?.values['profile'] ?? 'default-encryption')
      : (this.store.findByName(MENU.secret, this.sessions.get(key)?.user ?? '')?.values['profile'] ?? server['default-profile'] ?? 'default');
    return this.store.findByName(MENU.profile, name)?.values ?? {};
  }

  /** `/ppp l2tp-secret`: the longest prefix that contains the peer's address wins. */
  private tunnelSecretFor(peer: Address): Uint8Array | undefined {
    const ip = ipv4ToNumber(peer.ip);
    if (ip === undefined) return undefined;
    let best: { len: number; secret: string } | undefined;
    for (const item of this.store.items('ppp l2tp-secret')) {
      const [net, lenText] = (item.values['address'] ?? '0.0.0.0/0').split('/');
      const base = ipv4ToNumber(net ?? '');
      const len = Number(lenText ?? 32);
      if (base === undefined || !(len >= 0 && len <= 32)) continue;
      const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
      if (((ip & mask) >>> 0) !== ((base & mask) >>> 0)) continue;
      const secret = item.values['secret'] ?? '';
      if (secret !== '' && (!best || len > best.len)) best = { len, secret };
    }
    return best ? new TextEncoder().encode(best.secret) : undefined;
  }

  private identity(): string {
    return this.store.settings('system identity')['name'] ?? 'MikroTik';
  }

  /** `2026-01-02 03:04:05` (UTC) of an Instant. */
  private wallTime(at: Instant): string {
    return new Date(at + this.wallClockOffsetMs).toISOString().replace('T', ' ').slice(0, 19);
  }

  // ---------------------------------------------------------------------------------------------
  // Address lists and on-up / on-down scripts

  /**
   * A server session is up: its remote address joins the profile's (or RADIUS's) address lists
   * as dynamic entries commented with the user name, as RouterOS does, then on-up runs.
   */
  private sessionUpHooks(now: Instant, a: ActiveSession, ifName: string, lists: readonly string[], onUp: string, onDown: string): void {
    for (const list of new Set(lists)) {
      this.dynamicEntries.push({
        id: `*${(DYNAMIC_LIST_ID_BASE + this.nextDynamicEntry++).toString(16).toUpperCase()}`,
        key: a.key,
        list,
        address: a.remote,
        comment: a.user,
        createdAt: now,
      });
    }
    if (lists.length > 0) this.syncAddressLists();
    const profile = this.profileOf(a.key)['name'] ?? 'default';
    const vars = { user: a.user, 'local-address': a.local, 'remote-address': a.remote, 'caller-id': a.peer.ip, interface: ifName };
    a.onDown = onDown;
    a.scriptVars = vars;
    a.profile = profile;
    if (onUp.trim() !== '') this.pendingScripts.push({ profile, which: 'on-up', text: onUp, vars });
  }

  /** The session went down: its dynamic entries go, then on-down runs (only after an on-up point). */
  private sessionDownHooks(_now: Instant, a: ActiveSession): void {
    const before = this.dynamicEntries.length;
    for (let i = this.dynamicEntries.length - 1; i >= 0; i--) if (this.dynamicEntries[i]?.key === a.key) this.dynamicEntries.splice(i, 1);
    if (this.dynamicEntries.length !== before) this.syncAddressLists();
    if (a.up && a.scriptVars && a.onDown.trim() !== '') this.pendingScripts.push({ profile: a.profile, which: 'on-down', text: a.onDown, vars: a.scriptVars });
  }

  /**
   * Runs queued scripts against the configuration, as the console would, after the events that
   * queued them were handled (a script may itself disconnect a session). Their changes apply at
   * once and go to the daemon to be saved; errors are logged, never thrown.
   */
  private runScripts(now: Instant): void {
    if (this.runningScripts) return;
    this.runningScripts = true;
    try {
      for (let n = 0; n < MAX_SCRIPTS_PER_PUMP; n++) {
        const job = this.pendingScripts.shift();
        if (!job) break;
        let outcome: { changes: readonly ChangeRecord[]; error?: string };
        try {
          const session = new ConsoleSession(this.store, this.scriptRuntime ?? this, { logger: this.deps.logger, user: job.vars['user'] ?? 'admin' });
          const r = session.runScript(job.text, job.vars);
          outcome = { changes: r.changes, ...(r.error ? { error: r.error.message } : {}) };
        } catch (err) {
          outcome = { changes: [], error: `internal error: ${err instanceof Error ? err.message : String(err)}` };
        }
        if (outcome.error !== undefined) this.deps.logger.log(['script', 'error'], `${job.profile} ${job.which}: ${outcome.error}`);
        if (outcome.changes.length > 0) {
          this.applyChanges(now, outcome.changes);
          this.commands.push({ type: 'config-changed', changes: outcome.changes });
        }
      }
    } finally {
      this.runningScripts = false;
    }
  }

  /** Static entries: creation time, timeout timers, then the kernel sets. */
  private applyAddressLists(now: Instant, changes?: readonly ChangeRecord[]): void {
    const items = this.store.items(MENU.addressList);
    const present = new Set(items.map((i) => i.id));
    for (const id of [...this.listEntrySeen.keys()]) {
      if (!present.has(id)) {
        this.listEntrySeen.delete(id);
        this.timers.delete(`list-timeout:${id}`);
      }
    }
    const touched = new Set((changes ?? []).filter((c) => c.menu === MENU.addressList && c.before?.['timeout'] !== c.after?.['timeout']).map((c) => c.id));
    for (const item of items) {
      if (!this.listEntrySeen.has(item.id)) this.listEntrySeen.set(item.id, now);
      const key = `list-timeout:${item.id}`;
      const timeout = item.values['timeout'];
      const ms = timeout === undefined ? undefined : parseDuration(timeout);
      if (ms === undefined || ms <= 0) this.timers.delete(key);
      else if (this.timers.get(key) === undefined || touched.has(item.id)) this.timers.set(key, now + ms);
    }
    this.syncAddressLists();
  }

  /** Our timer removes a static entry whose timeout ran out (a configuration change to save). */
  private listEntryExpired(now: Instant, id: string): void {
    const item = this.store.get(MENU.addressList, id);
    if (!item) return;
    const r = this.store.remove(MENU.addressList, [id]);
    if (!Array.isArray(r)) return;
    this.deps.logger.log(['system', 'info'], `address-list ${item.values['list'] ?? ''} ${item.values['address'] ?? ''} timed out`);
    this.applyChanges(now, r);
    this.commands.push({ type: 'config-changed', changes: r });
  }

  /** Emits the wanted kernel sets when they differ from what was last sent. */
  private syncAddressLists(): void {
    const sets = new Map<string, Set<string>>();
    const add = (list: string, address: string): void => {
      this.knownLists.add(list);
      let s = sets.get(list);
      if (!s) sets.set(list, (s = new Set()));
      s.add(address);
    };
    for (const item of this.store.items(MENU.addressList)) {
      const list = item.values['list'];
      const address = item.values['address'];
      if (list !== undefined && address !== undefined && item.values['disabled'] !== 'yes') add(list, address);
      else if (list !== undefined) this.knownLists.add(list);
    }
    for (const e of this.dynamicEntries) add(e.list, e.address);
    const out: Record<string, string[]> = {};
    for (const list of [...this.knownLists].sort()) out[list] = [...(sets.get(list) ?? [])].sort();
    const state = JSON.stringify(out);
    // The first call (at start) always goes out, even with no lists: the driver then clears sets a
    // crashed run left in the kernel.
    if (state === this.lastListState) return;
    this.lastListState = state;
    this.commands.push({ type: 'address-lists', sets: out });
  }

  // ---------------------------------------------------------------------------------------------
  // RADIUS CoA (RFC 5176) on a live session

  /**
   * The router's part of a CoA: the new rate-limit into the data path (buckets change at once,
   * both directions, fast path or MPPE link path) and the session's dynamic address-list entries
   * replaced. All or nothing: a session that is not up refuses before anything changes.
   */
  private authorizationChanged(now: Instant, key: SessionKey, params: SessionParameters, change: AuthorizationChange): boolean {
    const a = this.sessions.get(key);
    if (!a?.up) return false;
    if (change.rateLimit !== undefined && !applyRateLimit(this.service, key, params.rateLimit)) return false;
    if (change.addressLists !== undefined) {
      const wanted = new Set(change.addressLists);
      const before = this.dynamicEntries.length;
      for (let i = this.dynamicEntries.length - 1; i >= 0; i--) {
        const e = this.dynamicEntries[i];
        if (e?.key === key && !wanted.has(e.list)) this.dynamicEntries.splice(i, 1);
      }
      let changed = this.dynamicEntries.length !== before;
      for (const list of wanted) {
        if (this.dynamicEntries.some((e) => e.key === key && e.list === list)) continue;
        this.dynamicEntries.push({ id: `*${(DYNAMIC_LIST_ID_BASE + this.nextDynamicEntry++).toString(16).toUpperCase()}`, key, list, address: a.remote, comment: a.user, createdAt: now });
        changed = true;
      }
      if (changed) this.syncAddressLists();
    }
    return true;
  }

  /**
   * `/queue simple`: RouterOS shows a rate-limited PPP session as a dynamic simple queue named
   * after its interface, max-limit etc. in the rate-limit's order (upload/download of the target,
   * i.e. the router's rx/tx). The current limit, CoA changes included.
   */
  private simpleQueueRows(): RuntimeRow[] {
    const rows: RuntimeRow[] = [];
    for (const a of this.sessions.values()) {
      const text = a.up ? this.aaa.params(a.key)?.rateLimitText : undefined;
      if (text === undefined) continue;
      const w = text.trim().split(/\s+/);
      const both = (v: string | undefined, dflt: string): string => (v === undefined ? dflt : v.includes('/') ? v : `${v}/${v}`);
      const name = this.interfaces.get(a.key)?.name ?? `<l2tp-${a.user}>`;
      rows.push({
        id: `*${(0x1000000 + a.index).toString(16).toUpperCase()}`,
        flags: 'D',
        values: {
          name,
          target: name,
          parent: 'none',
          'max-limit': both(w[0], '0/0'),
          'burst-limit': both(w[1], '0/0'),
          'burst-threshold': both(w[2], '0/0'),
          'burst-time': both(w[3], '0s/0s').replace(/(^|\/)(\d+)(?=\/|$)/g, '$1$2s'),
          priority: both(w[4], '8/8'),
          'limit-at': both(w[5], '0/0'),
          queue: 'default-small/default-small',
        },
      });
    }
    return rows;
  }

  /** The dynamic address-list entries (tests, monitoring). */
  addressListEntries(): readonly { list: string; address: string; comment: string }[] {
    return this.dynamicEntries.map((e) => ({ list: e.list, address: e.address, comment: e.comment }));
  }
}

/** RouterOS `use-encryption` of a profile; `default` means no. */
function resolveEncryption(v: string | undefined): UseEncryption {
  return v === 'yes' || v === 'required' ? v : 'no';
}

/** The IP MTU of a link: the negotiated MTU, less MPPE's 4 octets when it encrypts. */
function tunnelMtu(link: { state: { negotiated: { mtu: number }; encoding: string } } | undefined): number {
  if (!link) return 0;
  return link.state.negotiated.mtu - (link.state.encoding !== '' ? 4 : 0);
}

/** Accounting's terminate cause for a session that ended without us choosing why. */
function endCauseOf(code: string): SessionEndReason {
  switch (code) {
    case 'keepalive':
    case 'retransmit-limit':
    case 'lower-down':
    case 'tunnel-down':
      return 'lost-carrier';
    case 'admin':
    case 'local-close':
      return 'admin-reset';
    case 'auth-failed':
      return 'user-error';
    default:
      return 'user-request';
  }
}

/** `/ppp secret routes`: "dst gw metric" entries, comma-separated (RouterOS). */
export function parseSecretRoutes(s: string | undefined): RouteSpec[] {
  const out: RouteSpec[] = [];
  for (const part of splitList(s)) {
    const [dst, gw, metric] = part.split(/\s+/);
    if (!dst) continue;
    out.push({ dst, ...(gw ? { gateway: gw } : {}), ...(metric && /^\d+$/.test(metric) ? { metric: Number(metric) } : {}) });
  }
  return out;
}

function splitList(s: string | undefined): string[] {
  return (s ?? '').split(',').map((x) => x.trim()).filter((x) => x !== '');
}

function ipv4ToNumber(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

