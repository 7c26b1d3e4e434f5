/**
 * The RouterOS menus of this product as ONE declarative table. Print (plain, detail, terse),
 * export, set/add validation, completion, `?` help, and later the RouterOS API and REST are all
 * driven from here; nothing is hand-formatted per menu elsewhere.
 *
 * Source of truth: /work/shared/ROUTEROS.md (v7 spelling and defaults) and the RouterOS v6
 * "Manual:Interface/L2TP" page. Where v6 and v7 differ we print v7 and accept the v6 spelling
 * where cheap (`use-ipsec=require` as an alias of `required`).
 *
 * Vocabulary:
 * - a menu is addressed by its path words joined with a space: `interface l2tp-client`, `ppp secret`;
 * - kind `list` holds items with ids (`*1`), `singleton` one settings object, `runtime` rows that
 *   only the running daemon knows (`/ppp active`), read through a RuntimeProvider;
 * - a directory (`/ppp`, `/ip`) is a path node without a menu of its own.
 *
 * Invariants (checked by schema.test.ts):
 * - every default parses to itself under its property's type;
 * - property names are unique within a menu; `ref` properties point at list menus with `name`;
 * - `exportOrder` lists dependencies first (pools before profiles, profiles before secrets and
 *   clients) so that an export re-imports into an empty store without forward references.
 */
import { type ValueType } from './values.js';

/** Where a property appears when printing. */
export interface PropertyDef {
  readonly name: string;
  readonly type: ValueType;
  /** Canonical default; undefined = unset (omitted from detail print, no value). */
  readonly default?: string;
  /** Hidden by `export` unless `show-sensitive`. */
  readonly sensitive?: boolean;
  /** Not settable by users (runtime or computed). */
  readonly readOnly?: boolean;
  /** Must be given to `add`. */
  readonly required?: boolean;
  /** Column header in table print (absent = not a column). */
  readonly column?: string;
  /** Not shown as `name=value` in detail/terse print (e.g. `disabled`, shown as flag X). */
  readonly hiddenInDetail?: boolean;
  /** Extra column shown by `print stats`. */
  readonly stats?: boolean;
  /** Short help text for `?`. */
  readonly help?: string;
}

/** A print flag such as `X - disabled`. */
export interface FlagDef {
  readonly letter: string;
  readonly description: string;
  /**
   * Where the flag comes from: a bool property equal to `yes`, an item being dynamic (runtime
   * rows appended to a list), a built-in item, or a letter reported by the runtime.
   */
  readonly source: { readonly property: string } | 'dynamic' | 'builtin' | 'runtime';
}

export interface BuiltinItem {
  readonly id: string;
  readonly values: Readonly<Record<string, string>>;
}

export type MenuKind = 'list' | 'singleton' | 'runtime';
export type PrintStyle = 'table' | 'detail' | 'settings' | 'log';

export interface MenuDef {
  /** Path words, e.g. ['interface', 'l2tp-client']. */
  readonly path: readonly string[];
  readonly kind: MenuKind;
  readonly properties: readonly PropertyDef[];
  readonly flags: readonly FlagDef[];
  /** How plain `print` looks (detail print is always `detail`). */
  readonly printStyle: PrintStyle;
  /** Items of this menu can be named in commands (`set default ...`) and referenced. */
  readonly nameProperty?: string;
  /** Name given by `add` when none is given, `l2tp-out` -> `l2tp-out1`, `l2tp-out2`... */
  readonly autoNamePrefix?: string;
  readonly builtins?: readonly BuiltinItem[];
  /** Extra verbs beyond those implied by the kind (monitor, remove on runtime menus). */
  readonly extraVerbs?: readonly string[];
  readonly help?: string;
}

/** Verbs every menu of a kind has. */
export const VERBS_BY_KIND: Readonly<Record<MenuKind, readonly string[]>> = {
  list: ['add', 'disable', 'enable', 'export', 'find', 'get', 'print', 'remove', 'set'],
  singleton: ['export', 'get', 'print', 'set'],
  runtime: ['find', 'get', 'print'],
};

const yesNo: ValueType = { kind: 'bool' };
const str: ValueType = { kind: 'string' };
const ip: ValueType = { kind: 'ip' };
const mtu: ValueType = { kind: 'int', min: 32, max: 65535 };
const mrru: ValueType = { kind: 'int-or', word: 'disabled', min: 512, max: 65535 };
const authMethods: ValueType = { kind: 'enum-set', values: ['pap', 'chap', 'mschap1', 'mschap2'] };
const profileRef: ValueType = { kind: 'ref', menu: 'ppp profile' };
const u32: ValueType = { kind: 'int', min: 0, max: 4294967295 };
const u64: ValueType = { kind: 'int', min: 0, max: Number.MAX_SAFE_INTEGER };
const triState: ValueType = { kind: 'enum', values: ['default', 'no', 'yes'] };

const disabledProp = (def: string): PropertyDef => ({
  name: 'disabled',
  type: yesNo,
  default: def,
  hiddenInDetail: true,
  help: 'Whether the item is disabled',
});
const commentProp: PropertyDef = {
  name: 'comment',
  type: str,
  hiddenInDetail: true,
  help: 'Short description of the item',
};
const xFlag: FlagDef = { letter: 'X', description: 'disabled', source: { property: 'disabled' } };
const dFlag: FlagDef = { letter: 'D', description: 'dynamic', source: 'dynamic' };
const rFlag: FlagDef = { letter: 'R', description: 'running', source: 'runtime' };

export const MENUS: readonly MenuDef[] = [
  {
    path: ['interface'],
    kind: 'runtime',
    printStyle: 'table',
    help: 'All interfaces (filled by the running daemon)',
    flags: [dFlag, xFlag, rFlag],
    nameProperty: 'name',
    extraVerbs: ['monitor'],
    properties: [
      { name: 'name', type: str, column: 'NAME' },
      { name: 'type', type: str, column: 'TYPE' },
      { name: 'actual-mtu', type: u32, column: 'ACTUAL-MTU' },
      { name: 'l2mtu', type: u32, column: 'L2MTU' },
      // Linux limits names to 15 characters: `<l2tp-user1>` runs as `l2tp-user1`.
      { name: 'kernel-name', type: str, column: 'KERNEL-NAME', help: 'Name of the kernel interface' },
      { name: 'rx-byte', type: str, stats: true, column: 'RX-BYTE' },
      { name: 'tx-byte', type: str, stats: true, column: 'TX-BYTE' },
      { name: 'rx-packet', type: str, stats: true, column: 'RX-PACKET' },
      { name: 'tx-packet', type: str, stats: true, column: 'TX-PACKET' },
      { name: 'rx-drop', type: str, stats: true, column: 'RX-DROP' },
      { name: 'tx-drop', type: str, stats: true, column: 'TX-DROP' },
      { name: 'disabled', type: yesNo, hiddenInDetail: true },
      { name: 'comment', type: str, hiddenInDetail: true },
    ],
  },
  {
    // RouterOS lists the router's Ethernet ports here; the daemon adds the kernel's Ethernet-like
    // links at start. `arp=proxy-arp` is the seed manual's remote-office example.
    path: ['interface', 'ethernet'],
    kind: 'list',
    printStyle: 'table',
    help: 'Ethernet interfaces of this host',
    flags: [xFlag, rFlag],
    nameProperty: 'name',
    properties: [
      { name: 'name', type: str, required: true, column: 'NAME' },
      { name: 'arp', type: { kind: 'enum', values: ['enabled', 'disabled', 'proxy-arp', 'reply-only', 'local-proxy-arp'] }, default: 'enabled', column: 'ARP' },
      disabledProp('no'),
      commentProp,
    ],
  },
  {
    path: ['interface', 'l2tp-client'],
    kind: 'list',
    printStyle: 'detail',
    help: 'L2TP client interfaces (LAC side)',
    flags: [xFlag, rFlag],
    nameProperty: 'name',
    autoNamePrefix: 'l2tp-out',
    extraVerbs: ['monitor'],
    properties: [
      { name: 'name', type: str, column: 'NAME', help: 'Interface name' },
      { name: 'max-mtu', type: mtu, default: '1450' },
      { name: 'max-mru', type: mtu, default: '1450' },
      { name: 'mrru', type: mrru, default: 'disabled' },
      { name: 'connect-to', type: ip, required: true, column: 'CONNECT-TO', help: 'Remote address of the L2TP server' },
      { name: 'user', type: str, default: '', column: 'USER' },
      { name: 'password', type: str, default: '', sensitive: true },
      { name: 'profile', type: profileRef, default: 'default-encryption' },
      { name: 'keepalive-timeout', type: { kind: 'int-or', word: 'disabled', min: 1, max: 4294967295 }, default: '60' },
      { name: 'use-peer-dns', type: { kind: 'enum', values: ['no', 'yes', 'exclusively'] }, default: 'no' },
      { name: 'use-ipsec', type: yesNo, default: 'no' },
      { name: 'ipsec-secret', type: str, default: '', sensitive: true },
      { name: 'allow-fast-path', type: yesNo, default: 'no' },
      { name: 'add-default-route', type: yesNo, default: 'no' },
      { name: 'default-route-distance', type: { kind: 'int', min: 0, max: 255 } },
      { name: 'dial-on-demand', type: yesNo, default: 'no' },
      { name: 'allow', type: authMethods, default: 'pap,chap,mschap1,mschap2' },
      { name: 'src-address', type: ip },
      // Not in the v7 print example of ROUTEROS.md: shown by export and get only.
      { name: 'random-source-port', type: yesNo, default: 'no', hiddenInDetail: true },
      disabledProp('yes'),
      commentProp,
    ],
  },
  {
    path: ['interface', 'l2tp-server'],
    kind: 'list',
    printStyle: 'table',
    help: 'L2TP server interfaces: static entries and the dynamic ones of connected users',
    flags: [xFlag, dFlag, rFlag],
    nameProperty: 'name',
    autoNamePrefix: 'l2tp-in',
    extraVerbs: ['monitor'],
    properties: [
      { name: 'name', type: str, column: 'NAME' },
      { name: 'user', type: str, default: '', column: 'USER' },
      { name: 'mtu', type: u32, readOnly: true, column: 'MTU' },
      { name: 'client-address', type: ip, readOnly: true, column: 'CLIENT-ADDRESS' },
      { name: 'uptime', type: { kind: 'duration' }, readOnly: true, column: 'UPTIME' },
      { name: 'encoding', type: str, readOnly: true, column: 'ENCODING' },
      disabledProp('no'),
      commentProp,
    ],
  },
  {
    path: ['interface', 'l2tp-server', 'server'],
    kind: 'singleton',
    printStyle: 'settings',
    help: 'L2TP server settings',
    flags: [],
    properties: [
      { name: 'enabled', type: yesNo, default: 'no' },
      { name: 'max-mtu', type: mtu, default: '1450' },
      { name: 'max-mru', type: mtu, default: '1450' },
      { name: 'mrru', type: mrru, default: 'disabled' },
      { name: 'authentication', type: authMethods, default: 'mschap1,mschap2' },
      { name: 'keepalive-timeout', type: { kind: 'int-or', word: 'disabled', min: 1, max: 4294967295 }, default: '30' },
      { name: 'max-sessions', type: { kind: 'int-or', word: 'unlimited', min: 0, max: 4294967295 }, default: 'unlimited' },
      { name: 'default-profile', type: profileRef, default: 'default-encryption' },
      {
        name: 'use-ipsec',
        type: { kind: 'enum', values: ['no', 'yes', 'required'], aliases: { require: 'required' } },
        default: 'no',
      },
      { name: 'ipsec-secret', type: str, default: '', sensitive: true },
      { name: 'caller-id-type', type: { kind: 'enum', values: ['ip-address', 'number'] }, default: 'ip-address' },
      { name: 'one-session-per-host', type: yesNo, default: 'no' },
      { name: 'allow-fast-path', type: yesNo, default: 'no' },
    ],
  },
  {
    path: ['ppp', 'secret'],
    kind: 'list',
    printStyle: 'table',
    help: 'Local PPP users',
    flags: [xFlag],
    nameProperty: 'name',
    properties: [
      { name: 'name', type: str, required: true, column: 'NAME' },
      {
        name: 'service',
        type: { kind: 'enum', values: ['any', 'async', 'l2tp', 'ovpn', 'pppoe', 'pptp', 'sstp'] },
        default: 'any',
        column: 'SERVICE',
      },
      { name: 'caller-id', type: str, default: '', column: 'CALLER-ID' },
      { name: 'password', type: str, default: '', sensitive: true, column: 'PASSWORD' },
      { name: 'profile', type: profileRef, default: 'default', column: 'PROFILE' },
      { name: 'local-address', type: { kind: 'ip-or-pool' } },
      { name: 'remote-address', type: { kind: 'ip-or-pool' }, column: 'REMOTE-ADDRESS' },
      { name: 'routes', type: str },
      { name: 'limit-bytes-in', type: u64, default: '0' },
      { name: 'limit-bytes-out', type: u64, default: '0' },
      { name: 'last-logged-out', type: str, readOnly: true },
      { name: 'last-caller-id', type: str, readOnly: true },
      { name: 'last-disconnect-reason', type: str, readOnly: true },
      disabledProp('no'),
      commentProp,
    ],
  },
  {
    path: ['ppp', 'profile'],
    kind: 'list',
    printStyle: 'table',
    help: 'PPP profiles (built-ins default and default-encryption cannot be removed)',
    flags: [{ letter: '*', description: 'default', source: 'builtin' }],
    nameProperty: 'name',
    builtins: [
      { id: '*0', values: { name: 'default' } },
      { id: '*FFFFFFFE', values: { name: 'default-encryption', 'use-encryption': 'yes' } },
    ],
    properties: [
      { name: 'name', type: str, required: true, column: 'NAME' },
      { name: 'local-address', type: { kind: 'ip-or-pool' }, column: 'LOCAL-ADDRESS' },
      { name: 'remote-address', type: { kind: 'ip-or-pool' }, column: 'REMOTE-ADDRESS' },
      { name: 'bridge', type: str },
      { name: 'bridge-horizon', type: { kind: 'int-or', word: 'none', min: 0, max: 429496729 } },
      { name: 'bridge-path-cost', type: { kind: 'int', min: 1, max: 200000000 } },
      { name: 'bridge-port-priority', type: { kind: 'int', min: 0, max: 240 } },
      { name: 'incoming-filter', type: str },
      { name: 'outgoing-filter', type: str },
      { name: 'address-list', type: str, default: '' },
      { name: 'dns-server', type: { kind: 'ip-list' } },
      { name: 'wins-server', type: { kind: 'ip-list' } },
      { name: 'change-tcp-mss', type: triState, default: 'default' },
      { name: 'use-compression', type: triState, default: 'default' },
      {
        name: 'use-encryption',
        type: { kind: 'enum', values: ['default', 'no', 'yes', 'required'], aliases: { require: 'required' } },
        default: 'default',
        column: 'USE-ENCRYPTION',
      },
      { name: 'use-ipv6', type: { kind: 'enum', values: ['default', 'no', 'yes', 'required'] }, default: 'yes' },
      { name: 'only-one', type: triState, default: 'default' },
      { name: 'session-timeout', type: { kind: 'duration' } },
      { name: 'idle-timeout', type: { kind: 'duration' } },
      { name: 'rate-limit', type: str },
      { name: 'on-up', type: str, default: '' },
      { name: 'on-down', type: str, default: '' },
      commentProp,
    ],
  },
  {
    path: ['ppp', 'active'],
    kind: 'runtime',
    printStyle: 'table',
    help: 'Active PPP sessions (remove disconnects)',
    flags: [{ letter: 'R', description: 'radius', source: 'runtime' }],
    nameProperty: 'name',
    extraVerbs: ['remove'],
    properties: [
      { name: 'name', type: str, column: 'NAME' },
      { name: 'service', type: str, column: 'SERVICE' },
      { name: 'caller-id', type: str, column: 'CALLER-ID' },
      { name: 'address', type: ip, column: 'ADDRESS' },
      { name: 'uptime', type: { kind: 'duration' }, column: 'UPTIME' },
      { name: 'encoding', type: str, column: 'ENCODING' },
      { name: 'session-id', type: str },
      { name: 'limit-bytes-in', type: u64 },
      { name: 'limit-bytes-out', type: u64 },
      { name: 'bytes', type: str, stats: true, column: 'BYTES' },
      { name: 'packets', type: str, stats: true, column: 'PACKETS' },
    ],
  },
  {
    // RouterOS turns a session's rate-limit into a dynamic simple queue; here the rows show the
    // token buckets the data path applies (tx shaped, rx policed; see docs/aaa.md).
    path: ['queue', 'simple'],
    kind: 'runtime',
    printStyle: 'detail',
    help: 'Per-session rate limits (dynamic queues of rate-limited PPP sessions)',
    flags: [dFlag],
    nameProperty: 'name',
    properties: [
      { name: 'name', type: str, column: 'NAME' },
      { name: 'target', type: str, column: 'TARGET' },
      { name: 'parent', type: str },
      { name: 'priority', type: str },
      { name: 'queue', type: str },
      { name: 'limit-at', type: str },
      { name: 'max-limit', type: str, column: 'MAX-LIMIT' },
      { name: 'burst-limit', type: str },
      { name: 'burst-threshold', type: str },
      { name: 'burst-time', type: str },
    ],
  },
  {
    path: ['ppp', 'aaa'],
    kind: 'singleton',
    printStyle: 'settings',
    help: 'PPP authentication and accounting settings',
    flags: [],
    properties: [
      { name: 'use-radius', type: yesNo, default: 'no' },
      { name: 'accounting', type: yesNo, default: 'yes' },
      { name: 'interim-update', type: { kind: 'duration' }, default: '0s' },
    ],
  },
  {
    path: ['ppp', 'l2tp-secret'],
    kind: 'list',
    printStyle: 'table',
    help: 'L2TP tunnel authentication secrets per peer address',
    flags: [],
    properties: [
      { name: 'address', type: { kind: 'ip-prefix' }, default: '0.0.0.0/0', column: 'ADDRESS' },
      { name: 'secret', type: str, default: '', sensitive: true, column: 'SECRET' },
      commentProp,
    ],
  },
  {
    path: ['ip', 'address'],
    kind: 'list',
    printStyle: 'table',
    help: 'Interface addresses',
    flags: [xFlag, { letter: 'I', description: 'invalid', source: 'runtime' }, dFlag],
    properties: [
      { name: 'address', type: { kind: 'ip-address-mask' }, required: true, column: 'ADDRESS' },
      { name: 'network', type: ip, column: 'NETWORK' },
      { name: 'interface', type: str, required: true, column: 'INTERFACE' },
      disabledProp('no'),
      commentProp,
    ],
  },
  {
    // Static entries are configuration; a PPP session's entries (profile `address-list`,
    // RADIUS Mikrotik-Address-List) are dynamic rows from the runtime: shown, never exported.
    // The daemon mirrors every enabled entry into the nftables set `inet l2tp <list>`.
    path: ['ip', 'firewall', 'address-list'],
    kind: 'list',
    printStyle: 'table',
    help: 'Named address lists (kernel nftables sets in table inet l2tp)',
    flags: [xFlag, dFlag],
    properties: [
      { name: 'list', type: str, required: true, column: 'LIST', help: 'Name of the list' },
      { name: 'address', type: { kind: 'ip-range' }, required: true, column: 'ADDRESS' },
      // Runtime value: when the router saw the entry appear.
      { name: 'creation-time', type: str, readOnly: true, column: 'CREATION-TIME' },
      { name: 'timeout', type: { kind: 'duration' }, column: 'TIMEOUT', help: 'Remove the entry after this time' },
      disabledProp('no'),
      commentProp,
    ],
  },
  {
    path: ['ip', 'pool'],
    kind: 'list',
    printStyle: 'table',
    help: 'IP address pools',
    flags: [],
    nameProperty: 'name',
    properties: [
      { name: 'name', type: str, required: true, column: 'NAME' },
      { name: 'ranges', type: { kind: 'ranges' }, required: true, column: 'RANGES' },
      { name: 'next-pool', type: { kind: 'ref', menu: 'ip pool', word: 'none' }, default: 'none' },
      commentProp,
    ],
  },
  {
    path: ['ip', 'pool', 'used'],
    kind: 'runtime',
    printStyle: 'table',
    help: 'Addresses handed out from pools',
    flags: [],
    properties: [
      { name: 'pool', type: str, column: 'POOL' },
      { name: 'address', type: ip, column: 'ADDRESS' },
      { name: 'owner', type: str, column: 'OWNER' },
      { name: 'info', type: str, column: 'INFO' },
    ],
  },
  {
    path: ['ip', 'route'],
    kind: 'list',
    printStyle: 'table',
    help: 'Static routes',
    flags: [xFlag, dFlag, { letter: 'A', description: 'active', source: 'runtime' }],
    properties: [
      { name: 'dst-address', type: { kind: 'ip-prefix' }, default: '0.0.0.0/0', column: 'DST-ADDRESS' },
      { name: 'gateway', type: str, default: '', column: 'GATEWAY' },
      { name: 'distance', type: { kind: 'int', min: 0, max: 255 }, default: '1', column: 'DISTANCE' },
      { name: 'pref-src', type: ip },
      { name: 'routing-table', type: str, default: 'main' },
      { name: 'scope', type: { kind: 'int', min: 0, max: 255 }, default: '30' },
      { name: 'target-scope', type: { kind: 'int', min: 0, max: 255 }, default: '10' },
      disabledProp('no'),
      commentProp,
    ],
  },
  {
    path: ['radius'],
    kind: 'list',
    printStyle: 'table',
    help: 'RADIUS servers',
    flags: [xFlag],
    properties: [
      {
        name: 'service',
        type: { kind: 'enum-set', values: ['ppp', 'login', 'hotspot', 'wireless', 'dhcp', 'ipsec', 'dot1x'] },
        default: '',
        column: 'SERVICE',
      },
      { name: 'called-id', type: str, default: '' },
      { name: 'domain', type: str, default: '' },
      { name: 'address', type: ip, required: true, column: 'ADDRESS' },
      { name: 'secret', type: str, default: '', sensitive: true, column: 'SECRET' },
      { name: 'authentication-port', type: { kind: 'int', min: 1, max: 65535 }, default: '1812' },
      { name: 'accounting-port', type: { kind: 'int', min: 1, max: 65535 }, default: '1813' },
      { name: 'timeout', type: { kind: 'duration' }, default: '100ms' },
      { name: 'src-address', type: ip, default: '0.0.0.0' },
      disabledProp('no'),
      commentProp,
    ],
  },
  {
    path: ['radius', 'incoming'],
    kind: 'singleton',
    printStyle: 'settings',
    help: 'RADIUS Disconnect-Request / CoA listener (RFC 5176)',
    flags: [],
    properties: [
      { name: 'accept', type: yesNo, default: 'no' },
      { name: 'port', type: { kind: 'int', min: 1, max: 65535 }, default: '1700' },
    ],
  },
  {
    path: ['log'],
    kind: 'runtime',
    printStyle: 'log',
    help: 'Log buffer',
    flags: [],
    properties: [
      { name: 'time', type: str, column: 'TIME' },
      { name: 'topics', type: str, column: 'TOPICS' },
      { name: 'message', type: str, column: 'MESSAGE' },
    ],
  },
  {
    path: ['ip', 'settings'],
    kind: 'singleton',
    printStyle: 'settings',
    help: 'IP settings',
    flags: [],
    properties: [{ name: 'ip-forward', type: yesNo, default: 'yes', help: 'Route packets between interfaces (net.ipv4.ip_forward)' }],
  },
  {
    path: ['ip', 'dns'],
    kind: 'singleton',
    printStyle: 'settings',
    help: 'DNS servers of this host (the resolver the daemon manages)',
    flags: [],
    properties: [
      { name: 'servers', type: { kind: 'ip-list' }, default: '', help: 'Static DNS servers' },
      {
        name: 'dynamic-servers',
        type: { kind: 'ip-list' },
        readOnly: true,
        help: 'Servers learned from PPP peers (l2tp-client use-peer-dns=yes|exclusively)',
      },
    ],
  },
  {
    path: ['system', 'identity'],
    kind: 'singleton',
    printStyle: 'settings',
    help: 'Router name shown in the prompt',
    flags: [],
    properties: [{ name: 'name', type: str, default: 'MikroTik' }],
  },
];

/** Export writes menus in this order so references always point backwards. */
export const EXPORT_ORDER: readonly string[] = [
  'interface ethernet',
  'ip pool',
  'ppp profile',
  'interface l2tp-client',
  'interface l2tp-server',
  'interface l2tp-server server',
  'ip address',
  'ip route',
  'ip firewall address-list',
  'ppp aaa',
  'ppp l2tp-secret',
  'ppp secret',
  'radius',
  'radius incoming',
  'ip settings',
  'ip dns',
  'system identity',
];

export function menuKey(path: readonly string[]): string {
  return path.join(' ');
}

const BY_KEY = new Map<string, MenuDef>(MENUS.map((m) => [menuKey(m.path), m]));

/** The menu at `key` (`ppp secret`), or undefined. */
export function getMenu(key: string): MenuDef | undefined {
  return BY_KEY.get(key);
}

export function getProperty(menu: MenuDef, name: string): PropertyDef | undefined {
  return menu.properties.find((p) => p.name === name);
}

/** Verbs available in a menu. */
export function verbsOf(menu: MenuDef): readonly string[] {
  const base = VERBS_BY_KIND[menu.kind];
  const extra = menu.extraVerbs ?? [];
  return [...new Set([...base, ...extra])].sort();
}

/** Children (next path words) of a path, in alphabetical order. */
export function childrenOf(path: readonly string[]): string[] {
  const out = new Set<string>();
  for (const m of MENUS) {
    if (m.path.length > path.length && path.every((w, i) => m.path[i] === w)) {
      const next = m.path[path.length];
      if (next !== undefined) out.add(next);
    }
  }
  return [...out].sort();
}

/** Whether `path` is a directory or a menu. */
export function pathExists(path: readonly string[]): boolean {
  if (path.length === 0) return true;
  return getMenu(menuKey(path)) !== undefined || childrenOf(path).length > 0;
}
