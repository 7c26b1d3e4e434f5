/**
 * RADIUS dictionaries as data: packet codes and attributes of RFC 2865 (authentication), RFC 2866
 * (accounting), RFC 2869 (extensions: gigawords, Event-Timestamp, Message-Authenticator,
 * Acct-Interim-Interval, Framed-Pool), RFC 3162 (IPv6), RFC 5176 (Dynamic Authorization:
 * Error-Cause), the Microsoft vendor 311 (RFC 2548) and the MikroTik vendor 14988.
 *
 * One table drives encode (name + typed value -> octets), decode (octets -> typed value) and
 * pretty-print (`formatAttribute` in packet.ts), so a new attribute is one line here.
 *
 * Value types (RFC 2865 section 5 "text", "string", "address", "integer", "time"; RFC 3162 for the
 * IPv6 ones):
 *   text      UTF-8, 1..253 octets                      -> string
 *   octets    any binary ("string" in RFC 2865)         -> Uint8Array
 *   integer   32-bit unsigned, network order            -> number
 *   ipaddr    4 octets                                  -> dotted string
 *   date      32-bit seconds since 1970 (RFC 2865 time) -> number
 *   ipv6addr  16 octets; ipv6prefix reserved+len+prefix; ifid 8 octets -> Uint8Array (raw)
 *
 * `hidden` marks values that are encrypted on the wire (User-Password style `user-password`, or the
 * RFC 2548 salted scheme `salted`); the codec never encrypts by itself (that needs the shared
 * secret and the Request Authenticator: see src/crypto/radius-crypto.ts), and pretty-print
 * shows such values as `<hidden>`.
 *
 * Invariants: (vendor, type) pairs and names are unique (checked by the tests); lookups are
 * O(1) maps built once at module load.
 */

export const VENDOR_MICROSOFT = 311;
export const VENDOR_MIKROTIK = 14988;
/** RFC 2865 section 5.26. */
export const ATTRIBUTE_VENDOR_SPECIFIC = 26;

/** RFC 2865 section 3, RFC 2866 section 3, RFC 5176 section 3. */
export const RadiusCode = {
  AccessRequest: 1,
  AccessAccept: 2,
  AccessReject: 3,
  AccountingRequest: 4,
  AccountingResponse: 5,
  AccessChallenge: 11,
  StatusServer: 12,
  StatusClient: 13,
  DisconnectRequest: 40,
  DisconnectAck: 41,
  DisconnectNak: 42,
  CoaRequest: 43,
  CoaAck: 44,
  CoaNak: 45,
} as const;
export type RadiusCodeName = keyof typeof RadiusCode;

const CODE_NAMES: ReadonlyMap<number, string> = new Map([
  [1, 'Access-Request'],
  [2, 'Access-Accept'],
  [3, 'Access-Reject'],
  [4, 'Accounting-Request'],
  [5, 'Accounting-Response'],
  [11, 'Access-Challenge'],
  [12, 'Status-Server'],
  [13, 'Status-Client'],
  [40, 'Disconnect-Request'],
  [41, 'Disconnect-ACK'],
  [42, 'Disconnect-NAK'],
  [43, 'CoA-Request'],
  [44, 'CoA-ACK'],
  [45, 'CoA-NAK'],
]);

/** The RFC name of a packet code (`Access-Accept`), or `Code-<n>` for an unknown one. */
export function codeName(code: number): string {
  return CODE_NAMES.get(code) ?? `Code-${code}`;
}

export type RadiusValueType = 'text' | 'octets' | 'integer' | 'ipaddr' | 'date' | 'ipv6addr' | 'ipv6prefix' | 'ifid';

export interface AttributeDef {
  readonly name: string;
  /** Attribute type, or Vendor-Type for vendor attributes. */
  readonly type: number;
  /** Vendor-Id for attributes carried inside Vendor-Specific (26); undefined for standard ones. */
  readonly vendor?: number;
  readonly valueType: RadiusValueType;
  /** Named integer values (RFC VALUE tables). */
  readonly values?: Readonly<Record<string, number>>;
  readonly hidden?: 'user-password' | 'salted';
  /** Exact value length in octets where the RFC fixes it (decode reports other lengths). */
  readonly fixedLength?: number;
}

/** RFC 2865 5.6 Service-Type. */
export const ServiceType = {
  Login: 1, Framed: 2, 'Callback-Login': 3, 'Callback-Framed': 4, Outbound: 5, Administrative: 6,
  'NAS-Prompt': 7, 'Authenticate-Only': 8, 'Callback-NAS-Prompt': 9, 'Call-Check': 10, 'Callback-Administrative': 11,
} as const;
/** RFC 2865 5.7 Framed-Protocol. */
export const FramedProtocol = { PPP: 1, SLIP: 2, ARAP: 3, 'Gandalf-SLML': 4, 'Xylogics-IPX-SLIP': 5, 'X.75-Synchronous': 6 } as const;
/** RFC 2865 5.41 NAS-Port-Type (subset; RouterOS sends Virtual for L2TP). */
export const NasPortType = {
  Async: 0, Sync: 1, 'ISDN-Sync': 2, 'ISDN-Async-V120': 3, 'ISDN-Async-V110': 4, Virtual: 5, PIAFS: 6,
  'HDLC-Clear-Channel': 7, 'X.25': 8, 'X.75': 9, 'G.3-Fax': 10, SDSL: 11, 'ADSL-CAP': 12, 'ADSL-DMT': 13,
  IDSL: 14, Ethernet: 15, xDSL: 16, Cable: 17, 'Wireless-Other': 18, 'Wireless-802.11': 19,
} as const;
/** RFC 2866 5.1 Acct-Status-Type (Interim-Update from RFC 2869 5.1). */
export const AcctStatusType = { Start: 1, Stop: 2, 'Interim-Update': 3, 'Accounting-On': 7, 'Accounting-Off': 8 } as const;
/** RFC 2866 5.6 Acct-Authentic. */
export const AcctAuthentic = { RADIUS: 1, Local: 2, Remote: 3 } as const;
/** RFC 2866 5.10 Acct-Terminate-Cause. */
export const AcctTerminateCause = {
  'User-Request': 1, 'Lost-Carrier': 2, 'Lost-Service': 3, 'Idle-Timeout': 4, 'Session-Timeout': 5,
  'Admin-Reset': 6, 'Admin-Reboot': 7, 'Port-Error': 8, 'NAS-Error': 9, 'NAS-Request': 10, 'NAS-Reboot': 11,
  'Port-Unneeded': 12, 'Port-Preempted': 13, 'Port-Suspended': 14, 'Service-Unavailable': 15, Callback: 16,
  'User-Error': 17, 'Host-Request': 18,
} as const;
export type AcctTerminateCauseName = keyof typeof AcctTerminateCause;
/** RFC 5176 3.5 Error-Cause. */
export const ErrorCause = {
  'Residual-Session-Context-Removed': 201, 'Invalid-EAP-Packet': 202, 'Unsupported-Attribute': 401,
  'Missing-Attribute': 402, 'NAS-Identification-Mismatch': 403, 'Invalid-Request': 404, 'Unsupported-Service': 405,
  'Unsupported-Extension': 406, 'Invalid-Attribute-Value': 407, 'Administratively-Prohibited': 501,
  'Request-Not-Routable': 502, 'Session-Context-Not-Found': 503, 'Session-Context-Not-Removable': 504,
  'Other-Proxy-Processing-Error': 505, 'Resources-Unavailable': 506, 'Request-Initiated': 507,
  'Multiple-Session-Selection-Unsupported': 508,
} as const;
export type ErrorCauseName = keyof typeof ErrorCause;
/** RFC 2548 2.4.4 MS-MPPE-Encryption-Policy. */
export const MsMppeEncryptionPolicy = { 'Encryption-Allowed': 1, 'Encryption-Required': 2 } as const;
/** RFC 2548 2.4.5 MS-MPPE-Encryption-Types bits: 0x2 = 40-bit RC4, 0x4 = 128-bit RC4 (0x8 = 56-bit, later). */
export const MsMppeEncryptionTypes = { 'RC4-40bit-Allowed': 2, 'RC4-128bit-Allowed': 4, 'RC4-40or128-bit-Allowed': 6 } as const;

type Row = readonly [type: number, name: string, valueType: RadiusValueType, extra?: Partial<AttributeDef>];

const STANDARD: readonly Row[] = [
  // RFC 2865 section 5
  [1, 'User-Name', 'text'],
  [2, 'User-Password', 'octets', { hidden: 'user-password' }],
  [3, 'CHAP-Password', 'octets', { fixedLength: 17 }],
  [4, 'NAS-IP-Address', 'ipaddr'],
  [5, 'NAS-Port', 'integer'],
  [6, 'Service-Type', 'integer', { values: ServiceType }],
  [7, 'Framed-Protocol', 'integer', { values: FramedProtocol }],
  [8, 'Framed-IP-Address', 'ipaddr'],
  [9, 'Framed-IP-Netmask', 'ipaddr'],
  [10, 'Framed-Routing', 'integer'],
  [11, 'Filter-Id', 'text'],
  [12, 'Framed-MTU', 'integer'],
  [13, 'Framed-Compression', 'integer'],
  [14, 'Login-IP-Host', 'ipaddr'],
  [15, 'Login-Service', 'integer'],
  [16, 'Login-TCP-Port', 'integer'],
  [18, 'Reply-Message', 'text'],
  [19, 'Callback-Number', 'text'],
  [20, 'Callback-Id', 'text'],
  [22, 'Framed-Route', 'text'],
  [23, 'Framed-IPX-Network', 'integer'],
  [24, 'State', 'octets'],
  [25, 'Class', 'octets'],
  [27, 'Session-Timeout', 'integer'],
  [28, 'Idle-Timeout', 'integer'],
  [29, 'Termination-Action', 'integer'],
  [30, 'Called-Station-Id', 'text'],
  [31, 'Calling-Station-Id', 'text'],
  [32, 'NAS-Identifier', 'text'],
  [33, 'Proxy-State', 'octets'],
  [34, 'Login-LAT-Service', 'text'],
  [35, 'Login-LAT-Node', 'text'],
  [36, 'Login-LAT-Group', 'octets'],
  [37, 'Framed-AppleTalk-Link', 'integer'],
  [38, 'Framed-AppleTalk-Network', 'integer'],
  [39, 'Framed-AppleTalk-Zone', 'text'],
  [60, 'CHAP-Challenge', 'octets'],
  [61, 'NAS-Port-Type', 'integer', { values: NasPortType }],
  [62, 'Port-Limit', 'integer'],
  [63, 'Login-LAT-Port', 'text'],
  // RFC 2866 section 5
  [40, 'Acct-Status-Type', 'integer', { values: AcctStatusType }],
  [41, 'Acct-Delay-Time', 'integer'],
  [42, 'Acct-Input-Octets', 'integer'],
  [43, 'Acct-Output-Octets', 'integer'],
  [44, 'Acct-Session-Id', 'text'],
  [45, 'Acct-Authentic', 'integer', { values: AcctAuthentic }],
  [46, 'Acct-Session-Time', 'integer'],
  [47, 'Acct-Input-Packets', 'integer'],
  [48, 'Acct-Output-Packets', 'integer'],
  [49, 'Acct-Terminate-Cause', 'integer', { values: AcctTerminateCause }],
  [50, 'Acct-Multi-Session-Id', 'text'],
  [51, 'Acct-Link-Count', 'integer'],
  // RFC 2869 section 5
  [52, 'Acct-Input-Gigawords', 'integer'],
  [53, 'Acct-Output-Gigawords', 'integer'],
  [55, 'Event-Timestamp', 'date'],
  [77, 'Connect-Info', 'text'],
  [79, 'EAP-Message', 'octets'],
  [80, 'Message-Authenticator', 'octets', { fixedLength: 16 }],
  [85, 'Acct-Interim-Interval', 'integer'],
  [87, 'NAS-Port-Id', 'text'],
  [88, 'Framed-Pool', 'text'],
  // RFC 3162
  [95, 'NAS-IPv6-Address', 'ipv6addr', { fixedLength: 16 }],
  [96, 'Framed-Interface-Id', 'ifid', { fixedLength: 8 }],
  [97, 'Framed-IPv6-Prefix', 'ipv6prefix'],
  [98, 'Login-IPv6-Host', 'ipv6addr', { fixedLength: 16 }],
  [99, 'Framed-IPv6-Route', 'text'],
  [100, 'Framed-IPv6-Pool', 'text'],
  // RFC 5176 section 3.5
  [101, 'Error-Cause', 'integer', { values: ErrorCause }],
];

const MICROSOFT: readonly Row[] = [
  // RFC 2548 section 2
  [1, 'MS-CHAP-Response', 'octets', { fixedLength: 50 }],
  [2, 'MS-CHAP-Error', 'octets'],
  [3, 'MS-CHAP-CPW-1', 'octets'],
  [4, 'MS-CHAP-CPW-2', 'octets'],
  [5, 'MS-CHAP-LM-Enc-PW', 'octets'],
  [6, 'MS-CHAP-NT-Enc-PW', 'octets'],
  [7, 'MS-MPPE-Encryption-Policy', 'integer', { values: MsMppeEncryptionPolicy }],
  [8, 'MS-MPPE-Encryption-Types', 'integer', { values: MsMppeEncryptionTypes }],
  [9, 'MS-RAS-Vendor', 'integer'],
  [10, 'MS-CHAP-Domain', 'octets'],
  [11, 'MS-CHAP-Challenge', 'octets'],
  [12, 'MS-CHAP-MPPE-Keys', 'octets', { hidden: 'user-password' }],
  [13, 'MS-BAP-Usage', 'integer'],
  [14, 'MS-Link-Utilization-Threshold', 'integer'],
  [15, 'MS-Link-Drop-Time-Limit', 'integer'],
  [16, 'MS-MPPE-Send-Key', 'octets', { hidden: 'salted' }],
  [17, 'MS-MPPE-Recv-Key', 'octets', { hidden: 'salted' }],
  [18, 'MS-RAS-Version', 'text'],
  [22, 'MS-Filter', 'octets'],
  [23, 'MS-Acct-Auth-Type', 'integer'],
  [24, 'MS-Acct-EAP-Type', 'integer'],
  [25, 'MS-CHAP2-Response', 'octets', { fixedLength: 50 }],
  [26, 'MS-CHAP2-Success', 'octets'],
  [27, 'MS-CHAP2-CPW', 'octets'],
  [28, 'MS-Primary-DNS-Server', 'ipaddr'],
  [29, 'MS-Secondary-DNS-Server', 'ipaddr'],
  [30, 'MS-Primary-NBNS-Server', 'ipaddr'],
  [31, 'MS-Secondary-NBNS-Server', 'ipaddr'],
];

const MIKROTIK: readonly Row[] = [
  [1, 'Mikrotik-Recv-Limit', 'integer'],
  [2, 'Mikrotik-Xmit-Limit', 'integer'],
  [3, 'Mikrotik-Group', 'text'],
  [8, 'Mikrotik-Rate-Limit', 'text'],
  [9, 'Mikrotik-Realm', 'text'],
  [10, 'Mikrotik-Host-IP', 'ipaddr'],
  [11, 'Mikrotik-Mark-Id', 'text'],
  [14, 'Mikrotik-Recv-Limit-Gigawords', 'integer'],
  [15, 'Mikrotik-Xmit-Limit-Gigawords', 'integer'],
  [17, 'Mikrotik-Total-Limit', 'integer'],
  [18, 'Mikrotik-Total-Limit-Gigawords', 'integer'],
  [19, 'Mikrotik-Address-List', 'text'],
  [22, 'Mikrotik-Delegated-IPv6-Pool', 'text'],
];

function defs(rows: readonly Row[], vendor?: number): AttributeDef[] {
  return rows.map(([type, name, valueType, extra]) => ({
    ...(extra ?? {}),
    type,
    name,
    valueType,
    ...(vendor !== undefined ? { vendor } : {}),
  }));
}

export const ATTRIBUTES: readonly AttributeDef[] = [
  ...defs(STANDARD),
  ...defs(MICROSOFT, VENDOR_MICROSOFT),
  ...defs(MIKROTIK, VENDOR_MIKROTIK),
];

const VENDOR_NAMES: ReadonlyMap<number, string> = new Map([
  [VENDOR_MICROSOFT, 'Microsoft'],
  [VENDOR_MIKROTIK, 'Mikrotik'],
]);

export function vendorName(vendor: number): string {
  return VENDOR_NAMES.get(vendor) ?? `Vendor-${vendor}`;
}

function key(vendor: number | undefined, type: number): number {
  // Vendor ids fit in 24 bits in practice (IANA PEN) but the field is 32: a float key is exact.
  return (vendor ?? 0) * 256 + type;
}

const BY_CODE = new Map<number, AttributeDef>();
const BY_NAME = new Map<string, AttributeDef>();
for (const d of ATTRIBUTES) {
  BY_CODE.set(key(d.vendor, d.type), d);
  BY_NAME.set(d.name.toLowerCase(), d);
}

/** The definition of (vendor, type); vendor undefined for standard attributes. */
export function attributeByCode(vendor: number | undefined, type: number): AttributeDef | undefined {
  return BY_CODE.get(key(vendor, type));
}

/** The definition of an attribute name (case-insensitive, as FreeRADIUS dictionaries). */
export function attributeByName(name: string): AttributeDef | undefined {
  return BY_NAME.get(name.toLowerCase());
}

/** Name of a named integer value, e.g. valueName(Service-Type, 2) = 'Framed'. */
export function valueName(def: AttributeDef, value: number): string | undefined {
  if (def.values === undefined) return undefined;
  for (const [n, v] of Object.entries(def.values)) if (v === value) return n;
  return undefined;
}
