/**
 * IPV6CP Interface-Identifier (type 1), RFC 5072 section 4.1.
 *
 * We request a random nonzero 64-bit identifier from the injected Random. The peer's identifier is
 * acked unless it is zero or equal to ours ("If the two Interface-Identifiers are equal ... a
 * Configure-Nak ... with a different Interface-Identifier"; zero means "please suggest one"), in
 * which case we Nak with a fresh random value. A Nak of ours adopts the suggestion when it is
 * nonzero and differs from the peer's; otherwise we pick a new random one. A Reject stops the
 * request (we keep our identifier locally).
 */
import { equalBytes } from '../../core/bytes.js';
import { randomBytes, type Random } from '../../core/random.js';
import { ACK, REJECT, nak, type OptionHandler } from '../negotiator.js';

export const IPV6CP_INTERFACE_IDENTIFIER = 1;
export const INTERFACE_ID_LENGTH = 8;

function isZero(b: Uint8Array): boolean {
  return b.every((x) => x === 0);
}

export function newInterfaceId(random: Random, avoid: readonly Uint8Array[]): Uint8Array {
  for (let i = 0; i < 16; i++) {
    const id = randomBytes(random, INTERFACE_ID_LENGTH);
    if (!isZero(id) && !avoid.some((a) => equalBytes(a, id))) return id;
  }
  // Only reachable with a broken generator; still return something nonzero and distinct.
  const id = new Uint8Array(INTERFACE_ID_LENGTH);
  id[7] = 1 + (avoid.length & 0x7f);
  return id;
}

export interface Ipv6cpNegotiated {
  localId: Uint8Array | undefined;
  remoteId: Uint8Array | undefined;
}

export function interfaceIdOption(random: Random, negotiated: Ipv6cpNegotiated): OptionHandler {
  let ours: Uint8Array | undefined;
  let peer: Uint8Array | undefined;
  let rejected = false;
  return {
    type: IPV6CP_INTERFACE_IDENTIFIER,
    name: 'interface-id',
    reset() {
      ours = newInterfaceId(random, []);
      peer = undefined;
      rejected = false;
      negotiated.localId = undefined;
      negotiated.remoteId = undefined;
    },
    ourRequest() {
      if (rejected) return undefined;
      ours ??= newInterfaceId(random, []);
      return ours;
    },
    ackedByPeer(data) {
      negotiated.localId = data.slice();
    },
    nakedByPeer(data) {
      if (data.length === INTERFACE_ID_LENGTH && !isZero(data) && !(peer && equalBytes(peer, data))) ours = data.slice();
      else ours = newInterfaceId(random, [ours ?? new Uint8Array(8), peer ?? new Uint8Array(8)]);
    },
    rejectedByPeer() {
      rejected = true;
      negotiated.localId = ours;
    },
    checkPeer(data) {
      if (data.length !== INTERFACE_ID_LENGTH) return REJECT;
      peer = data.slice();
      if (isZero(data) || (ours !== undefined && equalBytes(ours, data)))
        return nak(newInterfaceId(random, [ours ?? new Uint8Array(8), data]));
      return ACK;
    },
    peerAcked(data) {
      negotiated.remoteId = data ? data.slice() : undefined;
    },
  };
}
