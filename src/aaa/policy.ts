/**
 * PPP authorisation policy exactly as RouterOS applies it to an L2TP server session, computed
 * from a ConfigStore snapshot (menus `ppp secret`, `ppp profile`, `ip pool`, `ppp aaa`,
 * `interface l2tp-server server`), the session's user and caller id, the active sessions, and
 * (for RADIUS users) the reply attributes of the Access-Accept.
 *
 * Precedence (ROUTEROS.md "Attribute precedence: secret, then profile named by secret, then the
 * server's default-profile"):
 *   local user:  `/ppp secret` value  >  profile named by the secret  >  server default-profile
 *   RADIUS user: RADIUS attribute     >  Mikrotik-Group profile (when it names one)  >
 *                server default-profile
 * A profile value of `default` (use-encryption, only-one, change-tcp-mss, use-compression) means
 * "not set here" and falls through to the next level; after the last level the RouterOS built-in
 * behaviour applies (encryption no, only-one no, change-tcp-mss yes, compression no).
 * Addresses: a single IP beats a pool (RADIUS Framed-IP-Address beats Framed-Pool; a secret's
 * IP beats the profile's pool by precedence); local-address and remote-address may name an
 * `/ip pool`, resolved by `assignAddresses` with the allocator of pools.ts.
 *
 * Checks, each with a stable refusal code:
 *   secret: `disabled` (a disabled secret is ignored, as RouterOS ignores disabled items, so the
 *   user is "not found" locally and RADIUS may be asked), `service` (any | l2tp), `caller-id`
 *   (the client's IP for L2TP); profile `only-one`; server `max-sessions` and
 *   `one-session-per-host`. Choice made here: `only-one` and `one-session-per-host` refuse the
 *   NEW session (the existing one keeps running).
 *   `limit-bytes-in/out` are returned for the data path; `bytesLimitReached` says when to
 *   disconnect (in/out from the router's point of view, like rate-limit rx/tx).
 *
 * Call order for a login: `verifyLocal(store, check, callerId)`; when `found` is false and
 * `/ppp aaa use-radius=yes`, ask RADIUS (radius-client.ts). On success `authorize(store, input)`
 * then `assignAddresses(params, pools, owner, user)`; release the leased addresses at logout.
 * Pure: no I/O, no time.
 */
import { verifyWithPassword } from '../auth/verify.js';
import type { AuthCheck, AuthVerdict } from '../auth/types.js';
import type { ConfigStore, Values } from '../config/store.js';
import { parseDuration, parseIpv4 } from '../config/values.js';
import type { IpPools, PoolFailure } from './pools.js';
import type { RadiusAuthorization } from './radius-client.js';

const MENU = {
  secret: 'ppp secret',
  profile: 'ppp profile',
  server: 'interface l2tp-server server',
  aaa: 'ppp aaa',
} as const;

export type PolicyRefusalCode =
  | 'no-such-user'
  | 'user-disabled'
  | 'service-not-allowed'
  | 'caller-id-mismatch'
  | 'max-sessions'
  | 'one-session-per-host'
  | 'only-one'
  | 'wrong-password';

export interface PolicyRefusal {
  readonly ok: false;
  readonly code: PolicyRefusalCode;
  /** Log text (RouterOS style, e.g. "caller-id 192.0.2.9 not allowed"). */
  readonly reason: string;
}

/** An address setting: a single IP or an `/ip pool` name. */
export type AddressSpec = { readonly kind: 'ip'; readonly ip: string } | { readonly kind: 'pool'; readonly pool: string };

/** Parsed `rate-limit` / Mikrotik-Rate-Limit, bits per second and ms; rx/tx from the router's side. */
export interface RateLimit {
  readonly rx: number;
  readonly tx: number;
  readonly burstRx?: number;
  readonly burstTx?: number;
  readonly thresholdRx?: number;
  readonly thresholdTx?: number;
  readonly burstTimeRxMs?: number;
  readonly burstTimeTxMs?: number;
  readonly priority?: number;
  readonly minRx?: number;
  readonly minTx?: number;
}

export type TriDefault = 'default' | 'no' | 'yes';

/** Everything a session needs from its secret, profile(s) and RADIUS reply. */
export interface SessionParameters {
  readonly user: string;
  readonly source: 'local' | 'radius';
  /** The profile that applied (secret's or Mikrotik-Group), before the default-profile. */
  readonly profile: string;
  readonly localAddress?: AddressSpec;
  readonly remoteAddress?: AddressSpec;
  readonly dnsServers: readonly string[];
  readonly winsServers: readonly string[];
  readonly sessionTimeoutMs?: number;
  readonly idleTimeoutMs?: number;
  readonly rateLimit?: RateLimit;
  readonly rateLimitText?: string;
  readonly addressLists: readonly string[];
  readonly useEncryption: 'no' | 'yes' | 'required';
  readonly useCompression: boolean;
  readonly changeTcpMss: boolean;
  readonly useIpv6: 'no' | 'yes' | 'required';
  readonly onlyOne: boolean;
  /** `/ppp secret routes` ("dst gw metric" entries) or RADIUS Framed-Route values. */
  readonly routes: readonly string[];
  /** 0 = unlimited. */
  readonly limitBytesIn: number;
  readonly limitBytesOut: number;
  /** Accounting Interim-Update interval, ms; 0 = none. RADIUS Acct-Interim-Interval wins. */
  readonly interimUpdateMs: number;
  readonly accounting: boolean;
  /** Class attributes to echo in accounting (RFC 2865 5.25). */
  readonly classes: readonly Uint8Array[];
  readonly onUp: string;
  readonly onDown: string;
  readonly incomingFilter?: string;
  readonly outgoingFilter?: string;
  readonly bridge?: string;
  /** Non-fatal problems (e.g. an unparsable rate-limit), for the log. */
  readonly warnings: readonly string[];
}

export interface ActiveSessionInfo {
  readonly user: string;
  readonly callerId: string;
}

export interface AuthorizeInput {
  readonly user: string;
  readonly callerId: string;
  /** Sessions already up (not including this one). */
  readonly active: readonly ActiveSessionInfo[];
  /** Present for a RADIUS-authenticated user. */
  readonly radius?: RadiusAuthorization;
}

export type AuthorizeResult = { readonly ok: true; readonly params: SessionParameters } | PolicyRefusal;

function refuse(code: PolicyRefusalCode, reason: string): PolicyRefusal {
  return { ok: false, code, reason };
}

// ---------------------------------------------------------------------------------------------
// Local secrets

export type LocalVerifyResult =
  | { readonly found: false; readonly reason: string }
  | { readonly found: true; readonly verdict: AuthVerdict; readonly refusal?: PolicyRefusal };

/** The enabled `/ppp secret` of a user, or undefined. */
export function findSecret(store: ConfigStore, user: string): Values | undefined {
  const item = store.items(MENU.secret).find((i) => i.values['name'] === user && i.values['disabled'] !== 'yes');
  return item?.values;
}

/** Secret checks that do not involve the password: service and caller-id. */
export function checkSecret(secret: Values, callerId: string): PolicyRefusal | undefined {
  const service = secret['service'] ?? 'any';
  if (service !== 'any' && service !== 'l2tp') return refuse('service-not-allowed', `service ${service} not allowed`);
  const want = secret['caller-id'] ?? '';
  if (want !== '' && want !== callerId) return refuse('caller-id-mismatch', `caller-id ${callerId} not allowed`);
  return undefined;
}

/**
 * The local verifier: find the secret, check service and caller-id, then the password with
 * `verifyWithPassword` (src/auth). `found: false` means "ask RADIUS if use-radius=yes".
 */
export function verifyLocal(store: ConfigStore, check: AuthCheck, callerId: string): LocalVerifyResult {
  const secret = findSecret(store, check.user);
  if (!secret) {
    const disabled = store.items(MENU.secret).some((i) => i.values['name'] === check.user);
    return { found: false, reason: disabled ? 'user disabled' : 'no such user' };
  }
  const refusal = checkSecret(secret, callerId);
  if (refusal) return { found: true, verdict: { ok: false, message: 'authentication failed' }, refusal };
  const verdict = verifyWithPassword(check, secret['password'] ?? '');
  return verdict.ok ? { found: true, verdict } : { found: true, verdict, refusal: refuse('wrong-password', 'wrong password') };
}

/** `/ppp aaa use-radius`. */
export function useRadius(store: ConfigStore): boolean {
  return store.settings(MENU.aaa)['use-radius'] === 'yes';
}

// ---------------------------------------------------------------------------------------------
// Authorisation

function addressSpec(v: string | undefined): AddressSpec | undefined {
  if (v === undefined || v === '') return undefined;
  return parseIpv4(v) !== undefined ? { kind: 'ip', ip: v } : { kind: 'pool', pool: v };
}

function splitList(v: string | undefined): string[] {
  return v === undefined || v === '' ? [] : v.split(',').filter((s) => s !== '');
}

/** Values of the profiles in precedence order; `pick` finds the first set (non-default) value. */
class Chain {
  constructor(private readonly levels: readonly Values[]) {}
  pick(name: string): string | undefined {
    for (const l of this.levels) {
      const v = l[name];
      if (v !== undefined && v !== '' && v !== 'default') return v;
    }
    return undefined;
  }
}

export function authorize(store: ConfigStore, input: AuthorizeInput): AuthorizeResult {
  const server = store.settings(MENU.server);
  const aaa = store.settings(MENU.aaa);
  const r = input.radius;
  const secret = r ? undefined : findSecret(store, input.user);
  if (!r && !secret) return refuse('no-such-user', 'no such user');

  // Server-wide limits first: they do not depend on the user's settings.
  const max = server['max-sessions'] ?? 'unlimited';
  if (max !== 'unlimited' && input.active.length >= Number(max)) return refuse('max-sessions', `max-sessions ${max} reached`);
  if (server['one-session-per-host'] === 'yes' && input.active.some((a) => a.callerId === input.callerId)) {
    return refuse('one-session-per-host', `host ${input.callerId} already has a session`);
  }

  const defaultProfileName = server['default-profile'] ?? 'default';
  const defaultProfile = store.findByName(MENU.profile, defaultProfileName)?.values ?? {};
  let profileName: string;
  if (secret) profileName = secret['profile'] ?? 'default';
  else profileName = r?.group !== undefined && store.findByName(MENU.profile, r.group) ? r.group : defaultProfileName;
  const profile = store.findByName(MENU.profile, profileName)?.values ?? {};
  const profiles = new Chain([profile, defaultProfile]);
  const all = new Chain([secret ?? {}, profile, defaultProfile]);

  const onlyOne = profiles.pick('only-one') === 'yes';
  if (onlyOne && input.active.some((a) => a.user === input.user)) return refuse('only-one', `user ${input.user} is already logged in (only-one)`);

  const warnings: string[] = [];
  // Addresses: RADIUS Framed-IP-Address beats Framed-Pool beats the profiles.
  let remoteAddress = addressSpec(all.pick('remote-address'));
  if (r?.framedPool !== undefined) remoteAddress = { kind: 'pool', pool: r.framedPool };
  if (r?.framedIpAddress !== undefined) remoteAddress = { kind: 'ip', ip: r.framedIpAddress };
  const localAddress = addressSpec(all.pick('local-address'));

  let dnsServers = splitList(profiles.pick('dns-server'));
  const radiusDns = [r?.primaryDns, r?.secondaryDns].filter((x): x is string => x !== undefined);
  if (radiusDns.length > 0) dnsServers = radiusDns;
  let winsServers = splitList(profiles.pick('wins-server'));
  const radiusWins = [r?.primaryNbns, r?.secondaryNbns].filter((x): x is string => x !== undefined);
  if (radiusWins.length > 0) winsServers = radiusWins;

  const durationMs = (name: string): number | undefined => {
    const v = profiles.pick(name);
    const ms = v === undefined ? undefined : parseDuration(v);
    return ms === undefined || ms === 0 ? undefined : ms;
  };
  const sessionTimeoutMs = r?.sessionTimeout !== undefined && r.sessionTimeout > 0 ? r.sessionTimeout * 1000 : durationMs('session-timeout');
  const idleTimeoutMs = r?.idleTimeout !== undefined && r.idleTimeout > 0 ? r.idleTimeout * 1000 : durationMs('idle-timeout');

  const rateLimitText = r?.rateLimit ?? profiles.pick('rate-limit');
  let rateLimit: RateLimit | undefined;
  if (rateLimitText !== undefined) {
    rateLimit = parseRateLimit(rateLimitText);
    if (!rateLimit) warnings.push(`rate-limit "${rateLimitText}" is not valid, ignored`);
  }

  const addressLists = r && r.addressLists.length > 0 ? [...r.addressLists] : splitList(profiles.pick('address-list'));
  const routes = r ? [...r.framedRoutes] : splitList(secret?.['routes']);
  const interimFromConfig = parseDuration(aaa['interim-update'] ?? '0s') ?? 0;
  const interimUpdateMs = r?.acctInterimInterval !== undefined && r.acctInterimInterval > 0 ? r.acctInterimInterval * 1000 : interimFromConfig;

  const enc = profiles.pick('use-encryption');
  const ipv6 = profiles.pick('use-ipv6');
  const params: SessionParameters = {
    user: input.user,
    source: r ? 'radius' : 'local',
    profile: profileName,
    ...(localAddress ? { localAddress } : {}),
    ...(remoteAddress ? { remoteAddress } : {}),
    dnsServers,
    winsServers,
    ...(sessionTimeoutMs !== undefined ? { sessionTimeoutMs } : {}),
    ...(idleTimeoutMs !== undefined ? { idleTimeoutMs } : {}),
    ...(rateLimit ? { rateLimit, rateLimitText } : {}),
    addressLists,
    useEncryption: enc === 'yes' || enc === 'required' ? enc : 'no',
    useCompression: profiles.pick('use-compression') === 'yes',
    changeTcpMss: profiles.pick('change-tcp-mss') !== 'no',
    useIpv6: ipv6 === 'no' || ipv6 === 'required' ? ipv6 : 'yes',
    onlyOne,
    routes,
    limitBytesIn: Number(secret?.['limit-bytes-in'] ?? '0') || 0,
    limitBytesOut: Number(secret?.['limit-bytes-out'] ?? '0') || 0,
    interimUpdateMs,
    accounting: aaa['accounting'] !== 'no',
    classes: r ? [...r.classes] : [],
    onUp: profiles.pick('on-up') ?? '',
    onDown: profiles.pick('on-down') ?? '',
    ...optional('incomingFilter', profiles.pick('incoming-filter')),
    ...optional('outgoingFilter', profiles.pick('outgoing-filter')),
    ...optional('bridge', profiles.pick('bridge')),
    warnings,
  };
  return { ok: true, params };
}

function optional<K extends string>(k: K, v: string | undefined): { [P in K]?: string } {
  return (v === undefined ? {} : { [k]: v }) as { [P in K]?: string };
}

/**
 * True when a session's byte counters reached the secret's limit-bytes-in / limit-bytes-out
 * ("in" = bytes the router received from the client, "out" = bytes it sent).
 */
export function bytesLimitReached(params: SessionParameters, bytesIn: number, bytesOut: number): boolean {
  return (params.limitBytesIn > 0 && bytesIn >= params.limitBytesIn) || (params.limitBytesOut > 0 && bytesOut >= params.limitBytesOut);
}

// ---------------------------------------------------------------------------------------------
// Addresses

export interface AssignedAddresses {
  readonly localAddress?: string;
  readonly remoteAddress?: string;
  /** Addresses taken from pools: give them back with pools.release at logout. */
  readonly leased: readonly string[];
}

/**
 * Resolves AddressSpecs to addresses, taking pool addresses for `owner` (e.g. `<l2tp-alice>`)
 * with info = user. On failure nothing stays leased, and the PoolFailure says why (for the
 * log line that refuses the login).
 */
export function assignAddresses(params: SessionParameters, pools: IpPools, owner: string): AssignedAddresses | PoolFailure {
  const leased: string[] = [];
  const resolve = (spec: AddressSpec | undefined): string | PoolFailure | undefined => {
    if (!spec) return undefined;
    if (spec.kind === 'ip') return spec.ip;
    const got = pools.acquire(spec.pool, owner, params.user);
    if (!got.ok) return got;
    leased.push(got.address);
    return got.address;
  };
  const remote = resolve(params.remoteAddress);
  if (typeof remote === 'object') return remote;
  const local = resolve(params.localAddress);
  if (typeof local === 'object') {
    for (const a of leased) pools.release(a);
    return local;
  }
  return { ...(local !== undefined ? { localAddress: local } : {}), ...(remote !== undefined ? { remoteAddress: remote } : {}), leased };
}

// ---------------------------------------------------------------------------------------------
// rate-limit

function parseRate(s: string): number | undefined {
  const m = /^([0-9]+(?:\.[0-9]+)?)([kKMG]?)$/.exec(s);
  if (!m) return undefined;
  const mult = { '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9 }[m[2] as '' | 'k' | 'K' | 'M' | 'G'];
  return Math.round(Number(m[1]) * mult);
}

function parseSeconds(s: string): number | undefined {
  if (/^[0-9]+$/.test(s)) return Number(s) * 1000;
  return parseDuration(s);
}

function pair<T>(s: string, one: (x: string) => T | undefined): [T, T] | undefined {
  const parts = s.split('/');
  if (parts.length > 2) return undefined;
  const a = one(parts[0]!);
  const b = parts.length === 2 ? one(parts[1]!) : a;
  return a === undefined || b === undefined ? undefined : [a, b];
}

/**
 * Parses RouterOS rate-limit text:
 * `rx-rate[/tx-rate] [rx-burst-rate[/tx-burst-rate] [rx-burst-threshold[/tx-burst-threshold]
 * [rx-burst-time[/tx-burst-time] [priority] [rx-rate-min[/tx-rate-min]]]]]`, rates with optional
 * k/M/G suffix (decimal, bits per second), times in seconds. A missing tx value equals rx.
 */
export function parseRateLimit(text: string): RateLimit | undefined {
  const words = text.trim().split(/\s+/).filter((w) => w !== '');
  if (words.length === 0 || words.length > 6) return undefined;
  const rate = pair(words[0]!, parseRate);
  if (!rate) return undefined;
  const out: { -readonly [K in keyof RateLimit]: RateLimit[K] } = { rx: rate[0], tx: rate[1] };
  if (words[1] !== undefined) {
    const b = pair(words[1], parseRate);
    if (!b) return undefined;
    [out.burstRx, out.burstTx] = b;
  }
  if (words[2] !== undefined) {
    const t = pair(words[2], parseRate);
    if (!t) return undefined;
    [out.thresholdRx, out.thresholdTx] = t;
  }
  if (words[3] !== undefined) {
    const t = pair(words[3], parseSeconds);
    if (!t) return undefined;
    [out.burstTimeRxMs, out.burstTimeTxMs] = t;
  }
  if (words[4] !== undefined) {
    if (!/^[1-8]$/.test(words[4])) return undefined;
    out.priority = Number(words[4]);
  }
  if (words[5] !== undefined) {
    const m = pair(words[5], parseRate);
    if (!m) return undefined;
    [out.minRx, out.minTx] = m;
  }
  return out;
}
