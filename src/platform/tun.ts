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
 * - One receive slab and one vnet write frame per process, shared by every device: reads and
 *   writes are synchronous and a batch is consumed inside its callback, so no two devices ever
 *   need them at once. A server with thousands of sessions has thousands of TUNs; per-device
 *   buffers cost ~140 KB each in resident memory (280 MB for 2,000 sessions, measured).
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
import { randomInt } from 'node:crypto';
import { close as fsClose } from 'node:fs';
import { loadNative, type NativeAddon, type PollHandle } from './native.js';
import { IpRoute2 } from './netlink-or-ip.js';

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

/** A vnet-header frame: the header and the largest IP packet. */
const VNET_FRAME_BYTES = TUN_VNET_HDR_LENGTH + 65535;
let readSlab: Uint8Array | undefined;
let vnetFrame: Uint8Array | undefined;

/** The process's receive slab, at least `bytes` long (grown, never shrunk; see the header). */
function sharedReadSlab(bytes: number): Uint8Array {
  if (readSlab === undefined || readSlab.length < bytes) readSlab = new Uint8Array(bytes);
  return readSlab;
}

function sharedVnetFrame(): Uint8Array {
  vnetFrame ??= new Uint8Array(VNET_FRAME_BYTES);
  return vnetFrame;
}

class NativeTun implements TunDevice {
  readonly stats: TunStats = emptyTunStats();
  private handler: PacketBatchHandler | undefined;
  private errorHandler: ((err: Error) => void) | undefined;
  private pollHandle: PollHandle | undefined;
  private keepAlive = true;
  private closed = false;
  private readonly offsets: Uint32Array;
  private readonly lengths: Uint32Array;
  // One-packet write arrays and the error out-array, reused so `write` allocates nothing.
  private readonly oneOffset = new Uint32Array(1);
  private readonly oneLength = new Uint32Array(1);
  private readonly txErrors = new Uint32Array(2);
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
    this.offsets = new Uint32Array(batchSize);
    // With a vnet header, each slot's packet starts after it.
    for (let i = 0; i < batchSize; i++) this.offsets[i] = i * slotSize + this.hdr;
    this.lengths = new Uint32Array(batchSize);
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
    const slab = sharedReadSlab(this.slotSize * this.batchSize);
    for (let round = 0; round < this.maxBatchesPerTurn; round++) {
      let n: number;
      try {
        n = this.native.readBatch(this.fd, slab, this.slotSize, this.batchSize, this.lengths);
      } catch (e) {
        this.reportReadError(e);
        return;
      }
      if (n === 0) return;
      if (this.hdr > 0) for (let i = 0; i < n; i++) this.lengths[i] = Math.max(0, this.lengths[i]! - this.hdr);
      this.stats.rxPackets += n;
      for (let i = 0; i < n; i++) this.stats.rxBytes += this.lengths[i] ?? 0;
      this.handler?.(slab, this.offsets, this.lengths, n);
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
    if (packet.byteLength + this.hdr > VNET_FRAME_BYTES) {
      this.stats.txErrors++;
      return false;
    }
    // A zero header: no GSO, checksums already complete.
    const frame = sharedVnetFrame();
    frame.fill(0, 0, this.hdr);
    frame.set(packet, this.hdr);
    return this.writeFrame(frame.subarray(0, this.hdr + packet.byteLength));
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
    // (uv_poll_stop takes the fd out of epoll at once, so the close may happen later.)
    this.stopReading();
    closeLater(this.fd, this.name);
  }
}

/*
 * Closing a TUN fd unregisters its interface, and the kernel waits for RCU grace periods inside
 * close(): ~20 ms per device here, measured. Done on the main thread, 2,000 sessions going down
 * at once froze the daemon (LCP echoes, HELLOs, the console) for 45 s, and a shutdown took as
 * long. So a closed device is retired in two steps, off the main thread:
 * 1. every device closed in the same event-loop turn (or while the previous step ran) is deleted
 *    with one `ip link del group` (IpRoute2.deleteLinksAsGroup: one unregister batch for all,
 *    ~0.1 s for 500 devices), in a link group drawn at random for this process;
 * 2. the fds, now detached, are closed on libuv's thread pool, a few at a time (cheap once the
 *    device is gone; if step 1 failed, e.g. no `ip`, this is what removes the devices, with the
 *    grace periods overlapping, ~3x faster than one by one).
 * `openTun` of a name whose previous device is still retiring waits for it (the kernel would
 * say EBUSY), and `whenTunsClosed()` lets shutdown finish the job before the process exits.
 */
const MAX_CLOSING = 3;
/** Our link group: 0x10000000.. 0x6fffffff, so never the default 0 nor a small hand-picked one. */
const RETIRE_GROUP = 0x10000000 + randomInt(0x60000000);
interface Retiring {
  readonly fd: number;
  readonly name: string;
  readonly done: () => void;
}
let retireQueue: Retiring[] = [];
let retiring = false;
const closeQueue: Retiring[] = [];
const closingByName = new Map<string, Promise<void>>();
let closing = 0;
let allClosed: Promise<void> = Promise.resolve();
let resolveAllClosed: (() => void) | undefined;
let ipForRetire: IpRoute2 | undefined;

function closeLater(fd: number, name: string): void {
  let done!: () => void;
  const p = new Promise<void>((resolve) => (done = resolve));
  closingByName.set(name, p);
  void p.then(() => {
    if (closingByName.get(name) === p) closingByName.delete(name);
  });
  if (resolveAllClosed === undefined) allClosed = new Promise<void>((resolve) => (resolveAllClosed = resolve));
  retireQueue.push({ fd, name, done });
  // Once per turn: everything closed in this turn goes in one batch.
  if (!retiring && retireQueue.length === 1) setImmediate(retireBatch);
}

function retireBatch(): void {
  if (retiring || retireQueue.length === 0) return;
  retiring = true;
  const batch = retireQueue;
  retireQueue = [];
  ipForRetire ??= new IpRoute2();
  ipForRetire
    .deleteLinksAsGroup(
      batch.map((r) => r.name),
      RETIRE_GROUP,
    )
    // A failure (no `ip`, a name already gone) leaves the rest to close() itself.
    .catch(() => undefined)
    .then(() => {
      retiring = false;
      closeQueue.push(...batch);
      pumpCloses();
      if (retireQueue.length > 0) retireBatch();
    });
}

function pumpCloses(): void {
  while (closing < MAX_CLOSING) {
    const job = closeQueue.shift();
    if (job === undefined) break;
    closing++;
    // Errors (EBADF: already gone) leave nothing to release.
    fsClose(job.fd, () => {
      closing--;
      job.done();
      pumpCloses();
    });
  }
  if (closing === 0 && closeQueue.length === 0 && retireQueue.length === 0 && !retiring && resolveAllClosed !== undefined) {
    const r = resolveAllClosed;
    resolveAllClosed = undefined;
    r();
  }
}

/** Resolves once every TUN fd closed so far is closed (their interfaces are gone). */
export function whenTunsClosed(): Promise<void> {
  return allClosed;
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
  // The previous device of this name may still be closing (see closeLater).
  const previous = closingByName.get(opts.name);
  if (previous !== undefined) await previous;

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
