/**
 * IPCP vocabulary (RFC 1332, RFC 1877): option numbers, IPv4 text <-> octets, the settings the
 * option handlers read and the negotiated record they write.
 *
 * Invariant: addresses are kept as 4-octet arrays; text only at the edges (config, events).
 */
export const IpcpOptionType = {
  IPAddresses: 1,
  IPCompressionProtocol: 2,
  IPAddress: 3,
  PrimaryDns: 129,
  PrimaryNbns: 130,
  SecondaryDns: 131,
  SecondaryNbns: 132,
} as const;

export const ZERO_ADDRESS = Uint8Array.of(0, 0, 0, 0);

/** Parses dotted-quad text; undefined when it is not one. */
export function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    out[i] = v;
  }
  return out;
}

export function formatIpv4(b: Uint8Array): string {
  return `${b[0] ?? 0}.${b[1] ?? 0}.${b[2] ?? 0}.${b[3] ?? 0}`;
}

export function isZeroAddress(b: Uint8Array): boolean {
  return b.length === 4 && b[0] === 0 && b[1] === 0 && b[2] === 0 && b[3] === 0;
}

/** What the server hands out, decided by the service after authentication. */
export interface IpcpAssignment {
  readonly localAddress: Uint8Array;
  readonly remoteAddress: Uint8Array;
  /** Up to two (primary, secondary). */
  readonly dns: readonly Uint8Array[];
  readonly wins: readonly Uint8Array[];
}

export interface IpcpSettings {
  readonly role: 'server' | 'client';
  /** Client: ask the server for DNS servers (RouterOS use-peer-dns). */
  readonly usePeerDns: boolean;
  /** Server: the assignment (set before IPCP starts). */
  assignment: IpcpAssignment | undefined;
}

export interface IpcpNegotiated {
  local: Uint8Array;
  remote: Uint8Array;
  /** Index 0 primary, 1 secondary; zero address when absent. */
  dns: [Uint8Array, Uint8Array];
  wins: [Uint8Array, Uint8Array];
}

export function freshIpcpNegotiated(): IpcpNegotiated {
  return { local: ZERO_ADDRESS, remote: ZERO_ADDRESS, dns: [ZERO_ADDRESS, ZERO_ADDRESS], wins: [ZERO_ADDRESS, ZERO_ADDRESS] };
}
