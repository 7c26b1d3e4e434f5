/**
 * The MPPE data path (RFC 3078): encryption and decryption of PPP datagrams once CCP has agreed
 * on MPPE (option 18, src/ppp/ccp/), plus the choice of start keys from the authentication
 * verdict (RFC 3079 sections 2 and 3, RFC 2548 MS-MPPE-Send/Recv-Key).
 *
 *   MPPE packet (RFC 3078 section 3), the Information field of a PPP frame of protocol 0x00FD:
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |A|B|C|D|    Coherency Count    |  Encrypted Data (protocol + data) ...
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   A: flushed (the sender changed its key and restarted RC4); B, C: MPPC only (never set here;
 *   a packet with C set is discarded, we never agree to MPPC); D: encrypted (always set).
 *   The encrypted data is the PPP Protocol field (2 octets, or 1 when the sender used PFC) and the
 *   datagram, RC4-encrypted as one stream.
 *
 * Key schedule: key0 = reduce(GetNewKeyFromSHA(start, start)) (RFC 3079 3.5; mppeInitialSessionKey);
 * a key change is RFC 3078 section 7.3 (GetNewKeyFromSHA(start, current), RC4 of the result with
 * itself, reduce), identical to `mppeChangeKey` of src/crypto/mppe-keys.ts (a test pins that).
 * - Stateless ("historyless", H bit): the sender changes key before every packet and sets A on
 *   every packet; the receiver changes key once per coherency count step, so lost packets cost
 *   nothing (RFC 3078 section 8.1).
 * - Stateful: one RC4 stream across packets; the key changes at each "flag" packet (coherency
 *   count low octet 0xFF) and after a CCP Reset-Request, and both set A (RFC 3078 sections 7.1,
 *   8.2). A receiver that sees a gap enters the discard state and asks for a CCP Reset-Request
 *   (RFC 1962 code 14); the peer answers Reset-Ack (15) and flushes its next packet; the receiver
 *   then catches up one key change per flag packet it missed plus one for the flush. Given a
 *   `plaintextCheck`, it also tries up to RESYNC_EXTRA_CHANGES further key changes on that
 *   flushed packet (lost flushes and lost count cycles are invisible in the count).
 * Interop conventions (as the Linux kernel and Windows behave; RFC 3078 leaves them open): the
 * first packet carries coherency count 0 (counters start at 4095), and in stateful mode it is not
 * flushed and uses key0; in stateless mode the first packet already uses the first changed key.
 * A stateful receiver also treats every flag packet as flushed even if the sender left A clear.
 *
 * Invariants: no I/O, no timers, no randomness. `encrypt` / `decrypt` allocate nothing, key
 * changes included: the SHA-1 of GetNewKeyFromSHA runs over a preallocated two-block message
 * (`KeyHash`, FIPS 180-4 SHA-1; node:crypto's createHash allocates per call and measured slower
 * for these 96/112-octet inputs), and RC4 state is re-keyed in place.
 * `decrypt` never throws on wire bytes: it returns a negative `MppeDecryptError` code instead of a
 * length, and the `resetRequest` getter says whether the caller should send a CCP Reset-Request.
 * Coherency counts are 12 bits and wrap from 4095 to 0 (RFC 3078 section 3); all arithmetic is
 * modulo 4096. Late (older) or repeated packets are discarded: their key is gone.
 *
 * Call order: `mppeStartKeys(verdict material, bits, role)` once CCP is up, then
 * `new MppeChannel({bits, stateless, ...startKeys})`; `encrypt` per outgoing datagram, `decrypt`
 * per incoming 0x00FD frame; `peerResetRequested()` when CCP Reset-Request arrives (the caller
 * sends Reset-Ack); after a decrypt error with `resetRequest` set, send CCP Reset-Request.
 */
import type { AuthVerdict } from '../auth/types.js';
import {
  mppeInitialSessionKey,
  mppeKeyLength,
  mppeStartKeysV2,
  mppeStartKeyV1,
  type MppeKeyBits,
  type MppeStartKeys,
} from '../crypto/mppe-keys.js';
import { Rc4 } from '../crypto/rc4.js';

export type { MppeKeyBits, MppeStartKeys } from '../crypto/mppe-keys.js';

/** MPPE header flag bits, in the first octet (RFC 3078 section 3). */
export const MPPE_FLUSHED = 0x80;
export const MPPE_BIT_B = 0x40;
export const MPPE_COMPRESSED = 0x20;
export const MPPE_ENCRYPTED = 0x10;
export const MPPE_HEADER_LENGTH = 2;
/** The coherency count is 12 bits. */
export const MPPE_CCOUNT_SPACE = 4096;
/** Stateless: "late" packets in a row after which the receiver takes them as far ahead. */
export const LATE_RUN_AS_AHEAD = 8;
/** Stateless: unusable plaintexts in a row after which one full count cycle is tried. */
export const LOST_RUN_FULL_CYCLE = 16;
/**
 * Stateful: key changes tried beyond the ones the coherency count accounts for, on a flushed
 * packet after a gap. The count alone misses (a) flushed packets lost on the way, each one a key
 * change the peer made on our Reset-Request (Linux and RFC 3078 alike would stay one key behind
 * for good), and (b) whole count cycles lost in one burst (16 flag changes per 4096 packets, 66 ms
 * of a 62k packet/s flood). 40 covers two lost cycles plus 8 lost flushes; each try is one key
 * change (~5 us), and only flushed packets in the discard state pay it.
 */
export const RESYNC_EXTRA_CHANGES = 40;
/** Plaintext octets a `MppePlaintextCheck` sees: the 2-octet Protocol field and 6 datagram octets. */
export const MPPE_PROBE_LENGTH = 8;
/**
 * Tells a right key from a wrong one (MPPE has no integrity check): `prefix` holds the first
 * min(length, MPPE_PROBE_LENGTH) plaintext octets (PPP Protocol field, possibly PFC-compressed,
 * then the datagram), `length` is the whole plaintext's length.
 */
export type MppePlaintextCheck = (prefix: Uint8Array, length: number) => boolean;
const CCOUNT_MASK = 0xfff;
/** Flag packets: coherency count low octet 0xFF (stateful key change). */
const FLAG_LOW_OCTET = 0xff;

/** Reasons a received packet is discarded; negative so that `decrypt` can return them in place of a length. */
export const MppeDecryptError = {
  /** Shorter than the header plus one octet of protocol. */
  TooShort: -1,
  /** D bit clear: not an MPPE-encrypted packet. */
  NotEncrypted: -2,
  /** C bit set: MPPC-compressed, which we never agree to. */
  Compressed: -3,
  /** Stateless mode without the A bit (RFC 3078: every stateless packet is flushed). */
  NotFlushed: -4,
  /** Stateless: a coherency count at or behind the last one (late, duplicate, or replayed). */
  Late: -5,
  /** Stateful: a coherency count gap; the caller should send CCP Reset-Request. */
  LostSync: -6,
  /** Stateful: waiting for a flushed packet after a gap (RFC 3078 section 8.2 discard state). */
  Resynchronizing: -7,
  /** The output buffer cannot hold the plaintext. */
  OutputTooSmall: -8,
  /**
   * Stateful: a flushed packet after a gap that no nearby key decrypts to a plausible plaintext
   * (corrupted or forged, or more key changes lost than RESYNC_EXTRA_CHANGES); still discarding.
   */
  NoKey: -9,
} as const;
export type MppeDecryptError = (typeof MppeDecryptError)[keyof typeof MppeDecryptError];

export function mppeDecryptErrorName(code: number): string {
  for (const [name, v] of Object.entries(MppeDecryptError)) if (v === code) return name;
  return `MPPE error ${code}`;
}

export interface MppeChannelParams {
  readonly bits: MppeKeyBits;
  readonly stateless: boolean;
  /** Start key for what we send (8 octets for 40/56-bit, 16 for 128-bit; longer is truncated). */
  readonly sendStartKey: Uint8Array;
  /** Start key for what we receive. */
  readonly receiveStartKey: Uint8Array;
  /** Stateful resynchronization tries further keys until this accepts the plaintext. */
  readonly plaintextCheck?: MppePlaintextCheck;
}

/** RouterOS's `encoding` text: "MPPE128 stateless", "MPPE40 stateful", ... */
export function mppeEncodingName(bits: MppeKeyBits, stateless: boolean): string {
  return `MPPE${bits} ${stateless ? 'stateless' : 'stateful'}`;
}

/** RFC 3079 SHSpad1 / SHSpad2 are 40 octets each. */
const SHS_PAD_LENGTH = 40;
const SHS_PAD2_OCTET = 0xf2;
const SHA1_BLOCK = 64;

/**
 * GetNewKeyFromSHA(StartKey, SessionKey) (RFC 3079 3.4, RFC 3078 7.3) for a fixed start key:
 * SHA-1 (FIPS 180-4) of StartKey || SHSpad1 || SessionKey || SHSpad2, which with its padding is
 * exactly two 64-octet blocks for 8- and 16-octet keys. Only the SessionKey octets change between
 * calls; everything else is laid out once.
 */
class KeyHash {
  private readonly message = new Uint8Array(2 * SHA1_BLOCK);
  private readonly w = new Int32Array(80);
  private readonly h = new Int32Array(5);
  private readonly sessionOffset: number;

  constructor(startKey: Uint8Array) {
    const len = startKey.length;
    const m = this.message;
    m.set(startKey, 0);
    // SHSpad1 is zeros: already there.
    this.sessionOffset = len + SHS_PAD_LENGTH;
    const pad2 = 2 * len + SHS_PAD_LENGTH;
    m.fill(SHS_PAD2_OCTET, pad2, pad2 + SHS_PAD_LENGTH);
    const messageLength = pad2 + SHS_PAD_LENGTH;
    // FIPS 180-4 5.1.1: a 1 bit, zeros, then the 64-bit message length in bits.
    m[messageLength] = 0x80;
    const bitLength = messageLength * 8;
    m[2 * SHA1_BLOCK - 2] = bitLength >>> 8;
    m[2 * SHA1_BLOCK - 1] = bitLength & 0xff;
  }

  /** Writes the first `out.length` octets of the digest for `sessionKey` into `out`. */
  digestInto(sessionKey: Uint8Array, out: Uint8Array): void {
    this.message.set(sessionKey, this.sessionOffset);
    const h = this.h;
    h[0] = 0x67452301;
    h[1] = 0xefcdab89 | 0;
    h[2] = 0x98badcfe | 0;
    h[3] = 0x10325476;
    h[4] = 0xc3d2e1f0 | 0;
    this.compress(0);
    this.compress(SHA1_BLOCK);
    for (let n = 0; n < out.length; n++) out[n] = (h[n >>> 2]! >>> (24 - 8 * (n & 3))) & 0xff;
  }

  /** FIPS 180-4 6.1.2, one block. */
  private compress(off: number): void {
    const m = this.message;
    const w = this.w;
    const h = this.h;
    for (let t = 0; t < 16; t++) {
      const i = off + 4 * t;
      w[t] = (m[i]! << 24) | (m[i + 1]! << 16) | (m[i + 2]! << 8) | m[i + 3]!;
    }
    for (let t = 16; t < 80; t++) {
      const x = w[t - 3]! ^ w[t - 8]! ^ w[t - 14]! ^ w[t - 16]!;
      w[t] = (x << 1) | (x >>> 31);
    }
    let a = h[0]!;
    let b = h[1]!;
    let c = h[2]!;
    let d = h[3]!;
    let e = h[4]!;
    for (let t = 0; t < 80; t++) {
      let f: number;
      let k: number;
      if (t < 20) {
        f = (b & c) | (~b & d);
        k = 0x5a827999;
      } else if (t < 40) {
        f = b ^ c ^ d;
        k = 0x6ed9eba1;
      } else if (t < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8f1bbcdc | 0;
      } else {
        f = b ^ c ^ d;
        k = 0xca62c1d6 | 0;
      }
      const temp = (((a << 5) | (a >>> 27)) + f + e + k + w[t]!) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = temp;
    }
    h[0] = (h[0]! + a) | 0;
    h[1] = (h[1]! + b) | 0;
    h[2] = (h[2]! + c) | 0;
    h[3] = (h[3]! + d) | 0;
    h[4] = (h[4]! + e) | 0;
  }
}

/**
 * One direction's session key and RC4 state. `changeKey` is RFC 3078 section 7.3 done in place:
 * the interim key goes through the same RC4 object, which is then re-keyed with the new key.
 */
class KeyState {
  readonly rc4: Rc4;
  /** The current session key (already reduced). */
  readonly sessionKey: Uint8Array;
  /** Key changes so far (lets the receiver see whether a packet changed the key). */
  changes = 0;
  private readonly hash: KeyHash;
  private readonly interim: Uint8Array;

  constructor(
    startKey: Uint8Array,
    readonly bits: MppeKeyBits,
  ) {
    const len = mppeKeyLength(bits);
    if (startKey.length < len) throw new RangeError(`MPPE start key must have at least ${len} octets`);
    const start = startKey.slice(0, len);
    this.hash = new KeyHash(start);
    this.sessionKey = mppeInitialSessionKey(start, bits);
    this.interim = new Uint8Array(len);
    this.rc4 = new Rc4(this.sessionKey);
  }

  changeKey(): void {
    const len = this.sessionKey.length;
    const interim = this.interim;
    this.hash.digestInto(this.sessionKey, interim);
    this.rc4.reset(interim);
    this.rc4.processRange(interim, 0, len, this.sessionKey, 0);
    reduceInPlace(this.sessionKey, this.bits);
    this.rc4.reset(this.sessionKey);
    this.changes++;
  }

  /** Puts back an earlier session key (RC4 is re-keyed with it; the stream position is lost). */
  restore(key: Uint8Array): void {
    this.sessionKey.set(key);
    this.rc4.reset(this.sessionKey);
  }
}

/** RFC 3079 2.1/3.1 and 2.2/3.2 reductions, in place. */
function reduceInPlace(key: Uint8Array, bits: MppeKeyBits): void {
  if (bits === 40) {
    key[0] = 0xd1;
    key[1] = 0x26;
    key[2] = 0x9e;
  } else if (bits === 56) {
    key[0] = 0xd1;
  }
}

/** The sending half: coherency count, key changes, flushed bit. */
export class MppeSender {
  private readonly key: KeyState;
  /** Last coherency count sent; starts at 4095 so that the first packet carries 0. */
  private ccount = CCOUNT_MASK;
  private flushPending = false;

  constructor(
    startKey: Uint8Array,
    bits: MppeKeyBits,
    readonly stateless: boolean,
  ) {
    this.key = new KeyState(startKey, bits);
  }

  /** The coherency count of the last packet sent. */
  get coherencyCount(): number {
    return this.ccount;
  }

  /** The current session key (a view; for tests and diagnostics). */
  get sessionKey(): Uint8Array {
    return this.key.sessionKey;
  }

  /**
   * CCP Reset-Request received: the next packet changes key and carries the flushed bit, so the
   * peer's receiver can resynchronize (RFC 3078 section 8.2). Stateless mode flushes every packet.
   */
  flush(): void {
    this.flushPending = true;
  }

  /**
   * Encrypts one datagram given as its PPP Protocol field value and data: writes the MPPE header
   * and the ciphertext of (2-octet protocol, data) into `out` at `outOffset`; returns the octets
   * written (2 + 2 + data.length). Throws RangeError when `out` is too small (a caller bug).
   */
  encryptDatagram(protocol: number, data: Uint8Array, out: Uint8Array, outOffset = 0): number {
    const total = MPPE_HEADER_LENGTH + 2 + data.length;
    if (outOffset < 0 || outOffset + total > out.length) throw new RangeError('MPPE output buffer too small');
    this.begin(out, outOffset);
    // The protocol octets go through the same keystream as the data, right before it.
    out[outOffset + 2] = (protocol >>> 8) & 0xff;
    out[outOffset + 3] = protocol & 0xff;
    const rc4 = this.key.rc4;
    rc4.processRange(out, outOffset + 2, 2, out, outOffset + 2);
    rc4.processRange(data, 0, data.length, out, outOffset + 4);
    return total;
  }

  /** Encrypts `payload` (PPP Protocol field + data) into `out`; returns the octets written. */
  encrypt(payload: Uint8Array, out: Uint8Array, outOffset = 0): number {
    const total = MPPE_HEADER_LENGTH + payload.length;
    if (outOffset < 0 || outOffset + total > out.length) throw new RangeError('MPPE output buffer too small');
    this.begin(out, outOffset);
    this.key.rc4.processRange(payload, 0, payload.length, out, outOffset + MPPE_HEADER_LENGTH);
    return total;
  }

  /** Advances the coherency count, changes key when due, writes the header. */
  private begin(out: Uint8Array, off: number): void {
    const cc = (this.ccount + 1) & CCOUNT_MASK;
    this.ccount = cc;
    let flags = MPPE_ENCRYPTED;
    // RFC 3078 8.1: stateless changes key every packet; 7.1/8.2: stateful at flag packets and
    // on a Reset-Request. Each change restarts RC4 and is signalled with the flushed bit.
    if (this.stateless || (cc & 0xff) === FLAG_LOW_OCTET || this.flushPending) {
      this.flushPending = false;
      this.key.changeKey();
      flags |= MPPE_FLUSHED;
    }
    out[off] = flags | (cc >>> 8);
    out[off + 1] = cc & 0xff;
  }
}

/** The receiving half: coherency tracking, catch-up key changes, discard state. */
export class MppeReceiver {
  private readonly key: KeyState;
  /** Coherency count of the last packet accepted; 4095 so that 0 is the first expected. */
  private ccount = CCOUNT_MASK;
  private discarding = false;
  private wantReset = false;
  /** State before the last accepted packet, for markLost(). */
  private readonly keyBefore: Uint8Array;
  private changesBefore = 0;
  private ccountBefore = CCOUNT_MASK;
  /** Counters for diagnostics. */
  readonly stats = { received: 0, discarded: 0, resyncs: 0, extraKeyChanges: 0 };
  /** Stateless: consecutive packets that looked late (more than half the count space ahead). */
  private lateRun = 0;
  /** Stateless: consecutive accepted packets the caller then found unusable (markLost). */
  private lostRun = 0;
  /** The last decrypt was accepted and not (yet) marked lost. */
  private lastAccepted = false;
  /** The last accepted packet was taken as far ahead after a run of late ones. */
  private jumpedAhead = false;
  /** Stateful: the packet being decrypted ends a discard state (flushed after a gap). */
  private resyncing = false;
  private readonly probe = new Uint8Array(MPPE_PROBE_LENGTH);

  constructor(
    startKey: Uint8Array,
    bits: MppeKeyBits,
    readonly stateless: boolean,
    private readonly plaintextCheck?: MppePlaintextCheck,
  ) {
    this.key = new KeyState(startKey, bits);
    this.keyBefore = this.key.sessionKey.slice();
  }

  get sessionKey(): Uint8Array {
    return this.key.sessionKey;
  }

  /** Stateful: true while waiting for a flushed packet after a gap. */
  get resynchronizing(): boolean {
    return this.discarding;
  }

  /**
   * The caller found the plaintext of the packet `decrypt` just accepted unusable (not a
   * plausible datagram): MPPE has no integrity check, so either the packet was corrupted or forged
   * or our key/stream position is wrong. Call it right after that `decrypt`: it rolls back the key
   * changes and coherency count the packet caused; in stateful mode it also enters the discard
   * state and asks for a Reset-Request (the RC4 stream position is gone either way).
   */
  markLost(): void {
    // Undo what the bad packet did to the key chain: a forged or corrupted packet with the A bit
    // (or a far-ahead count, stateless) would otherwise leave our keys ahead of the sender's for
    // good, since each later flush advances both sides by one.
    if (this.key.changes !== this.changesBefore) this.key.restore(this.keyBefore);
    this.ccount = this.ccountBefore;
    this.stats.received--;
    this.stats.discarded++;
    this.lastAccepted = false;
    this.lostRun++;
    // A jump ahead that decrypted to garbage: the next far-ahead packet may jump again at once.
    if (this.jumpedAhead) this.lateRun = LATE_RUN_AS_AHEAD;
    if (this.stateless) return;
    this.discarding = true;
    this.wantReset = true;
  }

  /** True right after the decrypt call that detected a gap: send one CCP Reset-Request. */
  get resetRequest(): boolean {
    return this.wantReset;
  }

  /**
   * Decrypts the Information field of a 0x00FD frame (`data`, header included) into `out` at
   * `outOffset` and returns the plaintext length (PPP Protocol field + datagram), or a negative
   * `MppeDecryptError`. `out` may be `data` itself with `outOffset` <= the data's own offset
   * (decryption in place over the header). Never throws on wire bytes.
   */
  decrypt(data: Uint8Array, out: Uint8Array, outOffset = 0): number {
    this.wantReset = false;
    if (this.lastAccepted) this.lostRun = 0;
    this.lastAccepted = false;
    const n = data.length - MPPE_HEADER_LENGTH;
    if (n < 1) return this.discard(MppeDecryptError.TooShort);
    if (outOffset < 0 || outOffset + n > out.length) return this.discard(MppeDecryptError.OutputTooSmall);
    const b0 = data[0]!;
    if ((b0 & MPPE_ENCRYPTED) === 0) return this.discard(MppeDecryptError.NotEncrypted);
    if ((b0 & MPPE_COMPRESSED) !== 0) return this.discard(MppeDecryptError.Compressed);
    const cc = ((b0 & 0x0f) << 8) | data[1]!;
    const flushed = (b0 & MPPE_FLUSHED) !== 0;
    this.saveCheckpoint();
    this.resyncing = false;
    const wasDiscarding = this.discarding;
    const r = this.stateless ? this.syncStateless(cc, flushed) : this.syncStateful(cc, flushed);
    if (r !== 0) return this.discard(r);
    if (this.resyncing && this.plaintextCheck && !this.findKey(data, n, this.plaintextCheck)) {
      if (this.key.changes !== this.changesBefore) this.key.restore(this.keyBefore);
      this.ccount = this.ccountBefore;
      this.discarding = true;
      // A new loss asks for a reset at once; while already discarding, the caller's repeat
      // interval paces Reset-Requests (a stream of forged flushed packets gets no echo each).
      this.wantReset = !wasDiscarding;
      return this.discard(MppeDecryptError.NoKey);
    }
    this.key.rc4.processRange(data, MPPE_HEADER_LENGTH, n, out, outOffset);
    this.stats.received++;
    this.lastAccepted = true;
    return n;
  }

  /**
   * Stateful resynchronization: from the key the coherency count implies, tries up to
   * RESYNC_EXTRA_CHANGES further key changes until the first plaintext octets pass the check;
   * leaves RC4 at the start of the stream of the key found. False when none does.
   */
  private findKey(data: Uint8Array, n: number, check: MppePlaintextCheck): boolean {
    const len = Math.min(n, MPPE_PROBE_LENGTH);
    const prefix = len === MPPE_PROBE_LENGTH ? this.probe : this.probe.subarray(0, len);
    for (let extra = 0; extra <= RESYNC_EXTRA_CHANGES; extra++) {
      if (extra > 0) this.key.changeKey();
      this.key.rc4.processRange(data, MPPE_HEADER_LENGTH, len, prefix, 0);
      this.key.rc4.reset(this.key.sessionKey);
      if (check(prefix, n)) {
        this.stats.extraKeyChanges += extra;
        return true;
      }
    }
    return false;
  }

  private saveCheckpoint(): void {
    this.keyBefore.set(this.key.sessionKey);
    this.changesBefore = this.key.changes;
    this.ccountBefore = this.ccount;
  }

  private discard(code: MppeDecryptError): MppeDecryptError {
    this.stats.discarded++;
    return code;
  }

  /**
   * RFC 3078 section 8.1: one key change per coherency count step since the last packet.
   *
   * The count is 12 bits, so a receiver only knows a gap modulo 4096, and a heavy loss burst
   * (a flood overrunning the receive queue) can leave it behind by more than that can express.
   * Two recoveries, both safe because the caller checks each plaintext and `markLost` rolls back
   * the key changes of a packet that did not decrypt to a plausible datagram (so replayed or
   * forged packets cannot push the key chain off):
   * - A packet more than half the space ahead is read as late; but after LATE_RUN_AS_AHEAD such
   *   packets in a row we are the late one, and step forward (up to 4095 key changes).
   * - After LOST_RUN_FULL_CYCLE accepted-but-unusable packets in a row, the next packet is tried
   *   one full cycle (4096 key changes) further: the sender wrapped the count while we lost.
   */
  private syncStateless(cc: number, flushed: boolean): MppeDecryptError | 0 {
    if (!flushed) return MppeDecryptError.NotFlushed;
    let steps = (cc - this.ccount) & CCOUNT_MASK;
    if (steps === 0) return MppeDecryptError.Late; // a repeat
    this.jumpedAhead = false;
    if (steps > MPPE_CCOUNT_SPACE / 2) {
      if (++this.lateRun < LATE_RUN_AS_AHEAD) return MppeDecryptError.Late;
      this.jumpedAhead = true;
      this.stats.resyncs++;
    }
    this.lateRun = 0;
    if (this.lostRun >= LOST_RUN_FULL_CYCLE) {
      this.lostRun = 0;
      steps += MPPE_CCOUNT_SPACE;
      this.stats.resyncs++;
    }
    for (let k = 0; k < steps; k++) this.key.changeKey();
    this.ccount = cc;
    return 0;
  }

  /** RFC 3078 section 8.2. */
  private syncStateful(cc: number, flushedBit: boolean): MppeDecryptError | 0 {
    // Flag packets always carry a key change, whether or not the sender set A.
    const flushed = flushedBit || (cc & 0xff) === FLAG_LOW_OCTET;
    const expected = (this.ccount + 1) & CCOUNT_MASK;
    if (!this.discarding && cc === expected) {
      if (flushed) this.key.changeKey();
      this.ccount = cc;
      return 0;
    }
    if (!flushed) {
      if (this.discarding) return MppeDecryptError.Resynchronizing;
      // A gap: the RC4 stream position is lost. Discard until the peer flushes.
      this.discarding = true;
      this.wantReset = true;
      return MppeDecryptError.LostSync;
    }
    // A flushed packet after a gap (the answer to our Reset-Request, or a flag packet): the sender
    // changed key once at every flag packet we missed and once more for this packet.
    const steps = (cc - this.ccount) & CCOUNT_MASK;
    if (steps === 0) return MppeDecryptError.Late;
    for (let k = 1; k < steps; k++) {
      if ((((this.ccount + k) & CCOUNT_MASK) & 0xff) === FLAG_LOW_OCTET) this.key.changeKey();
    }
    this.key.changeKey();
    this.ccount = cc;
    this.discarding = false;
    this.resyncing = true;
    this.stats.resyncs++;
    return 0;
  }
}

/** Both directions of one MPPE link. */
export class MppeChannel {
  readonly sender: MppeSender;
  readonly receiver: MppeReceiver;
  readonly bits: MppeKeyBits;
  readonly stateless: boolean;

  constructor(params: MppeChannelParams) {
    this.bits = params.bits;
    this.stateless = params.stateless;
    this.sender = new MppeSender(params.sendStartKey, params.bits, params.stateless);
    this.receiver = new MppeReceiver(params.receiveStartKey, params.bits, params.stateless, params.plaintextCheck);
  }

  get encoding(): string {
    return mppeEncodingName(this.bits, this.stateless);
  }

  /** See MppeSender.encrypt: `payload` is the PPP Protocol field + data. */
  encrypt(payload: Uint8Array, out: Uint8Array, outOffset = 0): number {
    return this.sender.encrypt(payload, out, outOffset);
  }

  /** See MppeSender.encryptDatagram. */
  encryptDatagram(protocol: number, data: Uint8Array, out: Uint8Array, outOffset = 0): number {
    return this.sender.encryptDatagram(protocol, data, out, outOffset);
  }

  /** See MppeReceiver.decrypt: a plaintext length, or a negative MppeDecryptError. */
  decrypt(data: Uint8Array, out: Uint8Array, outOffset = 0): number {
    return this.receiver.decrypt(data, out, outOffset);
  }

  /** After a failed decrypt: whether to send a CCP Reset-Request now. */
  get resetRequest(): boolean {
    return this.receiver.resetRequest;
  }

  /** CCP Reset-Request received from the peer (answer it with Reset-Ack). */
  peerResetRequested(): void {
    this.sender.flush();
  }
}

/** The key material an authentication verdict may carry. */
export type MppeKeyMaterial = NonNullable<Extract<AuthVerdict, { ok: true }>['mppe']>;

/**
 * Start keys for one side from the authentication verdict (RFC 3079):
 * - `{sendKey, recvKey}` (RADIUS MS-MPPE-Send-Key / MS-MPPE-Recv-Key, RFC 2548 2.4.2/2.4.3) are
 *   already start keys, seen from this side: on the NAS (server) MS-MPPE-Send-Key is the key for
 *   what the server sends. 40/56-bit use their first 8 octets.
 * - `masterKeyInputs` with a `challenge`: MS-CHAPv1 (RFC 3079 section 2), one key both ways.
 * - `masterKeyInputs` without: MS-CHAPv2 (RFC 3079 section 3), asymmetric by role.
 * Returns undefined when the material has wrong lengths (never throws).
 */
export function mppeStartKeys(material: MppeKeyMaterial, bits: MppeKeyBits, role: 'server' | 'client'): MppeStartKeys | undefined {
  const len = mppeKeyLength(bits);
  try {
    if ('sendKey' in material) {
      if (material.sendKey.length < len || material.recvKey.length < len) return undefined;
      return { sendStartKey: material.sendKey.slice(0, len), receiveStartKey: material.recvKey.slice(0, len) };
    }
    const m = material.masterKeyInputs;
    if (m.challenge !== undefined) {
      const start = mppeStartKeyV1(bits, { passwordHashHash: m.passwordHashHash, challenge: m.challenge });
      return { sendStartKey: start, receiveStartKey: start.slice() };
    }
    return mppeStartKeysV2(m.passwordHashHash, m.ntResponse, bits, role === 'server');
  } catch {
    // The crypto functions throw RangeError on wrong lengths; report "no keys" instead.
    return undefined;
  }
}
