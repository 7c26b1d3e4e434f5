/**
 * TUN/TAP device adapter: the `TunDevice` seam, its Linux implementation over the l2tp_native
 * addon (`openTun`), and an in-memory twin (`MemoryTun`) for tests of the layers above.
 *
 * A TUN device carries bare IP packets (IPv4 or IPv6, told apart by the version nibble); a TAP
 * device carries Ethernet frames (for BCP, RFC 3518). The daemon puts each PPP session's IPCP
 * result on one TUN: packets the kernel routes to the peer are read here, wrapped in PPP and L2TP
 * (RFC 2661 section 5), and packets from the tunnel are written here.
 *
 * Data path design (measured on the target machine, see native/README.md):
 * - Node's fs.read on the thread pool tops out near 50k packets/s, so reads are done by the addon
 *   in batches: non-blocking read() until EAGAIN, straight into fixed slots of one reused slab.
 * - One packet, one write(): any writev-style coalescing makes the TUN driver take only the first
 *   packet of the batch. `writeBatch` issues one write() per packet inside one native call.
 * - Readiness comes from a libuv uv_poll_t on the fd (main loop, level-triggered, no busy loop).
 *
 * Invariants:
 * - Zero copy on receive: `onPackets` hands out the slab and per-packet offsets/lengths. The slab
 *   and the arrays are reused for the next batch: views over them are ONLY VALID DURING THE
 *   CALLBACK. Copy (`slice`) anything kept longer.
 * - Bounded work per event-loop turn: at most `maxBatchesPerTurn * batchSize` packets are read per
 *   readable event; the poll is level-triggered, so the rest is read on the next turn after
 *   timers and other I/O had their chance.
 * - Writes never queue: IP is unreliable, so a full kernel queue (EAGAIN/ENOBUFS) or a packet the
 *   kernel refuses (EINVAL, EIO while down) is counted in `stats` and dropped.
 * - No throw from the read path into the loop: read errors go to `onError` (or are dropped).
 *
 * Call order: `await openTun(...)`, then `onPackets(cb)` (starts reading), any number of
 * `write`/`writeBatch`, `close()` once (idempotent). The device is not persistent: it disappears
 * when closed or when the process dies.
 */
import { loadNative, type NativeAddon, type PollHandle } from './native.js';

/** Receives one batch: packet i is `slab.subarray(offsets[i], offsets[i] + lengths[i])`. */
export type PacketBatchHandler = (slab: Uint8Array, offsets: Uint32Array, lengths: Uint32Array, count: number) => void;

export interface TunStats {
  rxPackets: number;
  rxBytes: number;
  txPackets: number;
  txBytes: number;
  /** Packets not written because the kernel queue was full (EAGAIN/ENOBUFS). */
  txDropped: number;
  /** Packets the kernel refused (EINVAL, EIO, ...). */
  txErrors: number;
  /** Last errno of a refused packet, 0 if none. */
  lastTxErrno: number;
}

export interface TunDevice {
  readonly name: string;
  readonly mtu: number;
  readonly tap: boolean;
  readonly stats: Readonly<TunStats>;
  /** Sets the receive handler and starts reading; replaces any previous handler. */
  onPackets(cb: PacketBatchHandler): void;
  /** Read-side errors (the read loop stops only when the fd itself is bad). */
  onError(cb: (err: Error) => void): void;
  /** Writes one packet; false if it was dropped. */
  write(packet: Uint8Array): boolean;
  /**
   * True when the device was opened with IFF_VNET_HDR (`vnetHdr`): reads still hand out bare
   * packets, `write` adds the 10-octet header itself, and `writeFrame` takes frames that already
   * start with one (e.g. a coalesced TCP train from src/wire/tcp-coalesce.ts).
   */
  readonly vnetHdr: boolean;
  /** Writes one frame that starts with a virtio_net_hdr (vnetHdr devices only); false if dropped. */
  writeFrame(frame: Uint8Array): boolean;
  /** Writes `count` packets from `slab` (one write() each); returns how many were written or refused. */
  writeBatch(slab: Uint8Array, offsets: Uint32Array, lengths: Uint32Array, count: number): number;
  /** Whether a started reader keeps the Node process alive (default true). */
  ref(keepAlive: boolean): void;
  close(): void;
}

export interface OpenTunOptions {
  /** Interface name, at most 15 bytes; "prefix%d" lets the kernel pick a free number. */
  name: string;
  mtu: number;
  tap?: boolean;
  /** IFF_MULTI_QUEUE, so several fds (queues) can attach to one device. */
  multiQueue?: boolean;
  /** Bring the link up (IFF_UP) after opening; default true. */
  up?: boolean;
  /** Packets per native read call; default 64. */
  batchSize?: number;
  /** Native read calls per readable event before yielding to the loop; default 8. */
  maxBatchesPerTurn?: number;
  /** Bytes per receive slot; default derived from mtu (plus the Ethernet header for TAP). */
  slotSize?: number;
  /** IFF_VNET_HDR: a virtio_net_hdr before each packet, so writes may carry GSO trains. */
  vnetHdr?: boolean;
}

/** Octets of the virtio_net_hdr an IFF_VNET_HDR device puts before each packet. */
export const TUN_VNET_HDR_LENGTH = 10;

export type TunErrorCode = 'TUN_ERR_CLOSED' | 'TUN_ERR_ARG';

export class TunError extends Error {
  readonly code: TunErrorCode;
  constructor(code: TunErrorCode, message: string) {
    super(message);
    this.name = 'TunError';
    this.code = code;
  }
}

const DEFAULT_BATCH = 64;
const DEFAULT_BATCHES_PER_TURN = 8;
/** Ethernet header + one 802.1Q tag: a TAP frame is this much longer than the IP MTU. */
const TAP_OVERHEAD = 18;
const IFNAMSIZ = 16;

export function emptyTunStats(): TunStats {
  return { rxPackets: 0, rxBytes: 0, txPackets: 0, txBytes: 0, txDropped: 0, txErrors: 0, lastTxErrno: 0 };
}

function checkInt(v: number, lo: number, hi: number, what: string): void {
  if (!Number.isInteger(v) || v < lo || v > hi) throw new TunError('TUN_ERR_ARG', `${what} must be an integer in ${lo}..${hi}`);
}

/** Receive slot size for an MTU: room for one full packet, rounded up to a cache line. */
export function slotSizeFor(mtu: number, tap: boolean): number {
  const need = mtu + (tap ? TAP_OVERHEAD : 0);
  return Math.ceil(need / 64) * 64;
}

class NativeTun implements TunDevice {
  readonly stats: TunStats = emptyTunStats();
  private handler: PacketBatchHandler | undefined;
  private errorHandler: ((err: Error) => void) | undefined;
  private pollHandle: PollHandle | undefined;
  private keepAlive = true;
  private closed = false;
  private readonly slab: Uint8Array;
  private readonly offsets: Uint32Array;
  private readonly lengths: Uint32Array;
  // One-packet write arrays and the error out-array, reused so `write` allocates nothing.
  private readonly oneOffset = new Uint32Array(1);
  private readonly oneLength = new Uint32Array(1);
  private readonly txErrors = new Uint32Array(2);
  /** vnetHdr: a frame buffer for `write` (header + packet). */
  private readonly frame: Uint8Array;
  private readonly hdr: number;

  constructor(
    private readonly native: NativeAddon,
    private readonly fd: number,
    readonly name: string,
    readonly mtu: number,
    readonly tap: boolean,
    private readonly slotSize: number,
    private readonly batchSize: number,
    private readonly maxBatchesPerTurn: number,
    readonly vnetHdr: boolean,
  ) {
    this.hdr = vnetHdr ? TUN_VNET_HDR_LENGTH : 0;
    this.slab = new Uint8Array(slotSize * batchSize);
    this.offsets = new Uint32Array(batchSize);
    // With a vnet header, each slot's packet starts after it.
    for (let i = 0; i < batchSize; i++) this.offsets[i] = i * slotSize + this.hdr;
    this.lengths = new Uint32Array(batchSize);
    this.frame = new Uint8Array(vnetHdr ? TUN_VNET_HDR_LENGTH + 65535 : 0);
  }

  onPackets(cb: PacketBatchHandler): void {
    if (this.closed) throw new TunError('TUN_ERR_CLOSED', `tun ${this.name} is closed`);
    this.handler = cb;
    if (this.pollHandle === undefined) {
      this.pollHandle = this.native.poll(this.fd, (status) => this.onReadable(status));
      if (!this.keepAlive) this.native.pollRef(this.pollHandle, false);
    }
  }

  onError(cb: (err: Error) => void): void {
    this.errorHandler = cb;
  }

  ref(keepAlive: boolean): void {
    this.keepAlive = keepAlive;
    if (this.pollHandle !== undefined) this.native.pollRef(this.pollHandle, keepAlive);
  }

  private onReadable(status: number): void {
    if (this.closed) return;
    if (status < 0) {
      this.errorHandler?.(new Error(`poll on tun ${this.name} failed with libuv status ${status}`));
      return;
    }
    for (let round = 0; round < this.maxBatchesPerTurn; round++) {
      let n: number;
      try {
        n = this.native.readBatch(this.fd, this.slab, this.slotSize, this.batchSize, this.lengths);
      } catch (e) {
        this.reportReadError(e);
        return;
      }
      if (n === 0) return;
      if (this.hdr > 0) for (let i = 0; i < n; i++) this.lengths[i] = Math.max(0, this.lengths[i]! - this.hdr);
      this.stats.rxPackets += n;
      for (let i = 0; i < n; i++) this.stats.rxBytes += this.lengths[i] ?? 0;
      this.handler?.(this.slab, this.offsets, this.lengths, n);
      // The handler may have closed the device.
      if (this.closed || n < this.batchSize) return;
    }
  }

  private reportReadError(e: unknown): void {
    const err = e instanceof Error ? e : new Error(String(e));
    // A bad fd will never recover: stop watching it rather than spin on level-triggered readiness.
    if ((err as { code?: unknown }).code === 'EBADF') this.stopReading();
    this.errorHandler?.(err);
  }

  private stopReading(): void {
    if (this.pollHandle !== undefined) {
      this.native.stopPoll(this.pollHandle);
      this.pollHandle = undefined;
    }
  }

  write(packet: Uint8Array): boolean {
    if (this.hdr === 0) return this.writeFrame(packet);
    if (packet.byteLength + this.hdr > this.frame.length) {
      this.stats.txErrors++;
      return false;
    }
    // A zero header: no GSO, checksums already complete.
    this.frame.fill(0, 0, this.hdr);
    this.frame.set(packet, this.hdr);
    return this.writeFrame(this.frame.subarray(0, this.hdr + packet.byteLength));
  }

  writeFrame(frame: Uint8Array): boolean {
    this.oneLength[0] = frame.byteLength;
    return this.writeBatch(frame, this.oneOffset, this.oneLength, 1) === 1 && this.txErrors[0] === 0;
  }

  writeBatch(slab: Uint8Array, offsets: Uint32Array, lengths: Uint32Array, count: number): number {
    if (this.closed) throw new TunError('TUN_ERR_CLOSED', `tun ${this.name} is closed`);
    this.txErrors[0] = 0;
    const consumed = this.native.writeBatch(this.fd, slab, offsets, lengths, count, this.txErrors);
    const refused = this.txErrors[0] ?? 0;
    const written = consumed - refused;
    this.stats.txPackets += written;
    if (refused > 0) {
      this.stats.txErrors += refused;
      this.stats.lastTxErrno = this.txErrors[1] ?? 0;
    }
    // Count bytes only when everything went (the common case); otherwise we cannot tell which.
    if (refused === 0) for (let i = 0; i < consumed; i++) this.stats.txBytes += lengths[i] ?? 0;
    // Not queued for later: the rest of the batch is dropped (see module header).
    this.stats.txDropped += count - consumed;
    return consumed;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.handler = undefined;
    // Stop the poll before closing: epoll must not keep watching a number the kernel may reuse.
    this.stopReading();
    this.native.close(this.fd);
  }
}

/**
 * Opens (creates) a TUN or TAP interface, sets its MTU and brings it up.
 * Needs CAP_NET_ADMIN; errors carry the errno name in `code` (EPERM, EBUSY, ...).
 */
export async function openTun(opts: OpenTunOptions): Promise<TunDevice> {
  const native = loadNative();
  const tap = opts.tap ?? false;
  if (Buffer.byteLength(opts.name) >= IFNAMSIZ) throw new TunError('TUN_ERR_ARG', `interface name ${opts.name} is longer than 15 bytes`);
  checkInt(opts.mtu, 68, 65535, 'mtu');
  const batchSize = opts.batchSize ?? DEFAULT_BATCH;
  checkInt(batchSize, 1, 4096, 'batchSize');
  const perTurn = opts.maxBatchesPerTurn ?? DEFAULT_BATCHES_PER_TURN;
  checkInt(perTurn, 1, 1024, 'maxBatchesPerTurn');
  const slotSize = opts.slotSize ?? slotSizeFor(opts.mtu, tap);
  checkInt(slotSize, 68, 65536, 'slotSize');

  const vnetHdr = opts.vnetHdr === true;
  const flags: { tap?: boolean; multiQueue?: boolean; vnetHdr?: boolean } = { tap };
  if (opts.multiQueue === true) flags.multiQueue = true;
  if (vnetHdr) flags.vnetHdr = true;
  const { fd, name } = native.tunOpen(opts.name, flags);
  try {
    native.setMtu(name, opts.mtu);
    if (opts.up ?? true) native.setUp(name, true);
  } catch (e) {
    native.close(fd);
    throw e;
  }
  return new NativeTun(native, fd, name, opts.mtu, tap, slotSize + (vnetHdr ? TUN_VNET_HDR_LENGTH : 0), batchSize, perTurn, vnetHdr);
}

/**
 * In-memory twin of a TUN device for tests of the layers above (no root, no kernel).
 * `inject` plays the kernel sending packets to us; `written` records what we wrote. Packets are
 * delivered through the same slab/offsets/lengths shape, with the same "valid only during the
 * callback" rule (the slab is overwritten on the next `inject`).
 */
export class MemoryTun implements TunDevice {
  readonly stats: TunStats = emptyTunStats();
  readonly written: Uint8Array[] = [];
  readonly vnetHdr = false;
  private handler: PacketBatchHandler | undefined;
  private closed = false;
  private slab = new Uint8Array(0);

  constructor(
    readonly name = 'memtun0',
    readonly mtu = 1500,
    readonly tap = false,
  ) {}

  onPackets(cb: PacketBatchHandler): void {
    this.handler = cb;
  }

  onError(_cb: (err: Error) => void): void {}

  ref(_keepAlive: boolean): void {}

  /** Delivers packets as one batch, as if the kernel had routed them to this device. */
  inject(packets: readonly Uint8Array[]): void {
    if (this.closed || this.handler === undefined) return;
    const total = packets.reduce((s, p) => s + p.byteLength, 0);
    if (this.slab.byteLength < total) this.slab = new Uint8Array(total);
    const offsets = new Uint32Array(packets.length);
    const lengths = new Uint32Array(packets.length);
    let at = 0;
    packets.forEach((p, i) => {
      this.slab.set(p, at);
      offsets[i] = at;
      lengths[i] = p.byteLength;
      at += p.byteLength;
      this.stats.rxPackets++;
      this.stats.rxBytes += p.byteLength;
    });
    this.handler(this.slab, offsets, lengths, packets.length);
    // Poison the slab so a test that keeps a view past the callback sees garbage, as with the real one.
    this.slab.fill(0xee);
  }

  write(packet: Uint8Array): boolean {
    const one = new Uint32Array([0]);
    const len = new Uint32Array([packet.byteLength]);
    return this.writeBatch(packet, one, len, 1) === 1;
  }

  writeFrame(frame: Uint8Array): boolean {
    return this.write(frame);
  }

  writeBatch(slab: Uint8Array, offsets: Uint32Array, lengths: Uint32Array, count: number): number {
    if (this.closed) throw new TunError('TUN_ERR_CLOSED', `tun ${this.name} is closed`);
    for (let i = 0; i < count; i++) {
      const off = offsets[i] ?? 0;
      const len = lengths[i] ?? 0;
      this.written.push(slab.slice(off, off + len));
      this.stats.txPackets++;
      this.stats.txBytes += len;
    }
    return count;
  }

  close(): void {
    this.closed = true;
    this.handler = undefined;
  }
}
