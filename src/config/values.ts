/**
 * Value types of the RouterOS configuration schema: parsing user input into a canonical string
 * and describing the type for `?` help. Pure functions, no state, no I/O.
 *
 * RouterOS keeps every property as text on the wire (API words, REST JSON strings), so the store
 * keeps canonical strings too: `parseValue(type, input)` turns what a user typed
 * (`use-ipsec=req`, `keepalive-timeout=00:01:00`, `allow=chap,pap`) into the one spelling that
 * print, export and the engines see (`required`, `1m`, `pap,chap`).
 *
 * Invariants:
 * - parseValue never throws; bad input returns a `ConfigError` with a stable code and the
 *   RouterOS message (`invalid value for argument X`, `input does not match any value of X`,
 *   `ambiguous value of X, more than one possible value matches input`).
 * - parseValue(t, parseValue(t, x)) === parseValue(t, x) for every accepted x (canonical is a
 *   fixed point), which is what makes export -> import reproduce a configuration exactly.
 * - Name references (`ref`) are only checked syntactically here; existence is the store's job.
 */

/** Stable error codes of the configuration layer. Never match on message text. */
export type ConfigErrorCode =
  | 'CFG_INVALID_VALUE'
  | 'CFG_NO_MATCH'
  | 'CFG_AMBIGUOUS_VALUE'
  | 'CFG_UNKNOWN_PROPERTY'
  | 'CFG_READ_ONLY'
  | 'CFG_NO_SUCH_ITEM'
  | 'CFG_NO_SUCH_MENU'
  | 'CFG_DUPLICATE_NAME'
  | 'CFG_MISSING_VALUE'
  | 'CFG_BUILTIN'
  | 'CFG_IN_USE'
  | 'CFG_NOT_SUPPORTED'
  | 'CFG_CORRUPT';

/** An error returned (never thrown) by the configuration layer. */
export class ConfigError {
  constructor(
    readonly code: ConfigErrorCode,
    readonly message: string,
  ) {}
}

export function isConfigError(x: unknown): x is ConfigError {
  return x instanceof ConfigError;
}

/** The value types of the schema. */
export type ValueType =
  | { readonly kind: 'string' }
  | { readonly kind: 'bool' }
  | { readonly kind: 'int'; readonly min: number; readonly max: number }
  /** An integer or a keyword (`disabled` for mrru, `unlimited` for max-sessions). */
  | { readonly kind: 'int-or'; readonly word: string; readonly min: number; readonly max: number }
  | { readonly kind: 'ip' }
  /** Comma list of IP addresses (dns-server). */
  | { readonly kind: 'ip-list' }
  /** A network prefix; host bits are cleared (`10.1.2.3/24` -> `10.1.2.0/24`). */
  | { readonly kind: 'ip-prefix' }
  /** An interface address with its mask; host bits are kept (`/ip address`). */
  | { readonly kind: 'ip-address-mask' }
  /** An IP address, or the name of an `/ip pool` (profile/secret local-, remote-address). */
  | { readonly kind: 'ip-or-pool' }
  /** Pool ranges: `a-b`, single addresses or prefixes, comma separated. */
  | { readonly kind: 'ranges' }
  /** ONE address, prefix or `a-b` range (`/ip firewall address-list` address). */
  | { readonly kind: 'ip-range' }
  | { readonly kind: 'duration'; readonly word?: string }
  | {
      readonly kind: 'enum';
      readonly values: readonly string[];
      readonly aliases?: Readonly<Record<string, string>>;
    }
  | { readonly kind: 'enum-set'; readonly values: readonly string[] }
  /** The name of an item of another list menu (profile -> `/ppp profile`). */
  | { readonly kind: 'ref'; readonly menu: string; readonly word?: string };

// ---------------------------------------------------------------------------------------------
// IPv4

/** Parses a dotted quad strictly (no leading zeros beyond `0`, four octets). */
export function parseIpv4(s: string): number | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    v = v * 256 + n;
  }
  return v;
}

export function formatIpv4(v: number): string {
  return [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
}

function maskOf(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

/** `a.b.c.d/len` or `a.b.c.d` (= /32). */
export function parsePrefix(s: string): { addr: number; len: number } | undefined {
  const slash = s.indexOf('/');
  const ipText = slash < 0 ? s : s.slice(0, slash);
  const addr = parseIpv4(ipText);
  if (addr === undefined) return undefined;
  if (slash < 0) return { addr, len: 32 };
  const lenText = s.slice(slash + 1);
  if (!/^[0-9]{1,2}$/.test(lenText)) return undefined;
  const len = Number(lenText);
  if (len > 32) return undefined;
  return { addr, len };
}

/** Network address of a prefix (host bits cleared). */
export function networkOf(addr: number, len: number): number {
  return (addr & maskOf(len)) >>> 0;
}

// ---------------------------------------------------------------------------------------------
// Durations: RouterOS prints `1w2d3h4m5s`, `500ms`, `1s500ms`; accepts `90` (seconds), `1m30s`,
// `00:01:30`, `1d 02:00:00`-like forms are not needed.

const UNIT_MS: Readonly<Record<string, number>> = {
  w: 604_800_000,
  d: 86_400_000,
  h: 3_600_000,
  m: 60_000,
  s: 1_000,
  ms: 1,
};

/** Parses a duration into milliseconds, or undefined. */
export function parseDuration(s: string): number | undefined {
  if (s.length === 0 || s.length > 64) return undefined;
  if (/^[0-9]+$/.test(s)) return Number(s) * 1000;
  const clock = /^(?:([0-9]+)d)?([0-9]{1,2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,3}))?$/.exec(s);
  if (clock) {
    const d = Number(clock[1] ?? '0');
    const h = Number(clock[2]);
    const m = Number(clock[3]);
    const sec = Number(clock[4]);
    if (m > 59 || sec > 59) return undefined;
    const ms = clock[5] === undefined ? 0 : Number(clock[5].padEnd(3, '0'));
    return ((d * 24 + h) * 60 + m) * 60_000 + sec * 1000 + ms;
  }
  const re = /([0-9]+)(ms|w|d|h|m|s)/gy;
  let total = 0;
  let pos = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? 0);
    pos = re.lastIndex;
  }
  if (pos !== s.length) return undefined;
  return Number.isSafeInteger(total) ? total : undefined;
}

/** Formats milliseconds the RouterOS way: `7h24m18s`, `1d2h`, `30s`, `0s`, `300ms`. */
export function formatDuration(ms: number): string {
  if (ms <= 0) return '0s';
  let rest = Math.floor(ms);
  let out = '';
  for (const [unit, size] of Object.entries(UNIT_MS)) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Generic parsing

function invalid(name: string): ConfigError {
  return new ConfigError('CFG_INVALID_VALUE', `invalid value for argument ${name}`);
}

/**
 * Matches `input` against keywords the RouterOS way: exact match, then alias, then unique prefix.
 */
export function matchKeyword(
  name: string,
  input: string,
  values: readonly string[],
  aliases?: Readonly<Record<string, string>>,
): string | ConfigError {
  if (values.includes(input)) return input;
  const alias = aliases?.[input];
  if (alias !== undefined && Object.hasOwn(aliases ?? {}, input)) return alias;
  const hits = input.length === 0 ? [] : values.filter((v) => v.startsWith(input));
  if (hits.length === 1 && hits[0] !== undefined) return hits[0];
  if (hits.length > 1) {
    return new ConfigError(
      'CFG_AMBIGUOUS_VALUE',
      `ambiguous value of ${name}, more than one possible value matches input`,
    );
  }
  return new ConfigError('CFG_NO_MATCH', `input does not match any value of ${name}`);
}

function parseInteger(s: string): number | undefined {
  if (/^[0-9]{1,15}$/.test(s)) return Number(s);
  if (/^0x[0-9a-fA-F]{1,12}$/.test(s)) return Number.parseInt(s.slice(2), 16);
  return undefined;
}

const POOL_NAME = /^[^\s,;"\\[\]$=/]{1,64}$/;

/**
 * Parses `input` for property `name` of type `type` into its canonical string.
 * Never throws.
 */
export function parseValue(name: string, type: ValueType, input: string): string | ConfigError {
  switch (type.kind) {
    case 'string':
      if (input.length > 4096) return invalid(name);
      return input;
    case 'bool': {
      if (input === 'true') return 'yes';
      if (input === 'false') return 'no';
      return matchKeyword(name, input, ['yes', 'no']);
    }
    case 'int': {
      const n = parseInteger(input);
      if (n === undefined || n < type.min || n > type.max) return invalid(name);
      return String(n);
    }
    case 'int-or': {
      if (input.length > 0 && type.word.startsWith(input) && !/^[0-9]/.test(input)) return type.word;
      const n = parseInteger(input);
      if (n === undefined || n < type.min || n > type.max) return invalid(name);
      return String(n);
    }
    case 'ip': {
      const v = parseIpv4(input);
      return v === undefined ? invalid(name) : formatIpv4(v);
    }
    case 'ip-list': {
      if (input === '') return '';
      const parts = input.split(',');
      const out: string[] = [];
      for (const p of parts) {
        const v = parseIpv4(p);
        if (v === undefined) return invalid(name);
        out.push(formatIpv4(v));
      }
      return out.join(',');
    }
    case 'ip-prefix': {
      const p = parsePrefix(input);
      if (!p) return invalid(name);
      return `${formatIpv4(networkOf(p.addr, p.len))}/${p.len}`;
    }
    case 'ip-address-mask': {
      const p = parsePrefix(input);
      if (!p) return invalid(name);
      return `${formatIpv4(p.addr)}/${p.len}`;
    }
    case 'ip-or-pool': {
      const v = parseIpv4(input);
      if (v !== undefined) return formatIpv4(v);
      // Looks like an address but is not one: reject rather than treat as a pool name.
      if (/^[0-9.]+$/.test(input) || !POOL_NAME.test(input)) return invalid(name);
      return input;
    }
    case 'ranges': {
      if (input.length === 0) return invalid(name);
      const out: string[] = [];
      for (const part of input.split(',')) {
        const dash = part.indexOf('-');
        if (dash >= 0) {
          const a = parseIpv4(part.slice(0, dash));
          const b = parseIpv4(part.slice(dash + 1));
          if (a === undefined || b === undefined || a > b) return invalid(name);
          out.push(`${formatIpv4(a)}-${formatIpv4(b)}`);
        } else if (part.includes('/')) {
          const p = parsePrefix(part);
          if (!p) return invalid(name);
          out.push(`${formatIpv4(networkOf(p.addr, p.len))}/${p.len}`);
        } else {
          const a = parseIpv4(part);
          if (a === undefined) return invalid(name);
          out.push(formatIpv4(a));
        }
      }
      return out.join(',');
    }
    case 'ip-range': {
      // RouterOS prints a /32 as the bare address and a one-address range likewise.
      const dash = input.indexOf('-');
      if (dash >= 0) {
        const a = parseIpv4(input.slice(0, dash));
        const b = parseIpv4(input.slice(dash + 1));
        if (a === undefined || b === undefined || a > b) return invalid(name);
        return a === b ? formatIpv4(a) : `${formatIpv4(a)}-${formatIpv4(b)}`;
      }
      const p = parsePrefix(input);
      if (!p) return invalid(name);
      return p.len === 32 ? formatIpv4(p.addr) : `${formatIpv4(networkOf(p.addr, p.len))}/${p.len}`;
    }
    case 'duration': {
      if (type.word !== undefined && input.length > 0 && type.word.startsWith(input)) return type.word;
      const ms = parseDuration(input);
      return ms === undefined ? invalid(name) : formatDuration(ms);
    }
    case 'enum':
      return matchKeyword(name, input, type.values, type.aliases);
    case 'enum-set': {
      if (input === '') return '';
      const chosen = new Set<string>();
      for (const part of input.split(',')) {
        const v = matchKeyword(name, part, type.values);
        if (v instanceof ConfigError) return v;
        chosen.add(v);
      }
      // Canonical order is the schema's order, as RouterOS prints `pap,chap,mschap1,mschap2`.
      return type.values.filter((v) => chosen.has(v)).join(',');
    }
    case 'ref': {
      if (type.word !== undefined && input === type.word) return input;
      if (!POOL_NAME.test(input)) return invalid(name);
      return input;
    }
  }
}

/** A one-line description of a type for `?` help, RouterOS style (`yes | no`). */
export function describeType(type: ValueType): string {
  switch (type.kind) {
    case 'string':
      return 'string';
    case 'bool':
      return 'yes | no';
    case 'int':
      return `integer [${type.min}..${type.max}]`;
    case 'int-or':
      return `${type.word} | integer [${type.min}..${type.max}]`;
    case 'ip':
      return 'IP address';
    case 'ip-list':
      return 'IP address[,IP address...]';
    case 'ip-prefix':
      return 'IP prefix (A.B.C.D/M)';
    case 'ip-address-mask':
      return 'IP address with mask (A.B.C.D/M)';
    case 'ip-or-pool':
      return 'IP address | pool name';
    case 'ranges':
      return 'A.B.C.D-A.B.C.D | A.B.C.D/M [,...]';
    case 'ip-range':
      return 'A.B.C.D | A.B.C.D/M | A.B.C.D-A.B.C.D';
    case 'duration':
      return type.word === undefined ? 'time' : `${type.word} | time`;
    case 'enum':
      return type.values.join(' | ');
    case 'enum-set':
      return `${type.values.join(' | ')} [,...]`;
    case 'ref':
      return `${type.word === undefined ? '' : `${type.word} | `}name of /${type.menu}`;
  }
}

/** Enum-like keywords a value of this type may take (for completion). */
export function keywordsOf(type: ValueType): readonly string[] {
  switch (type.kind) {
    case 'bool':
      return ['yes', 'no'];
    case 'enum':
    case 'enum-set':
      return type.values;
    case 'int-or':
      return [type.word];
    case 'duration':
    case 'ref':
      return type.word === undefined ? [] : [type.word];
    default:
      return [];
  }
}
