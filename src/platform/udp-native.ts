/**
 * `NativeUdpPort`: the data path's UDP socket, on the addon's recvmmsg/sendmmsg (native/udp.c),
 * behind the same `DatagramPort` seam as the node:dgram `UdpPort`.
 *
 * Why: node:dgram costs a system call, a Buffer, an rinfo object and an event per received
 * datagram, and a libuv send request plus a completion callback per sent one; a profile of the
 * daemon under load showed dgram's send as half of its busy time. Here:
 * - Receive: one readiness callback (fdpoll's uv_poll, level-triggered) drains up to
 *   `batchSize` datagrams per recvmmsg into one reused slab, at most `maxBatchesPerTurn` batches
 *   per event-loop turn, and hands each to the handler as a view of the slab.
 * - Send: `send()` copies the datagram into a send slab and queues it; the queue goes out with
 *   one sendmmsg when the current turn's synchronous work is done (a microtask), or at once when
 *   the slab or the batch is full. So a TUN batch of 64 packets becomes one system call.
 * - Load shedding that spares the control plane: the kernel drops datagrams at random when the
 *   socket's queue overflows, LCP echoes and L2TP control messages included, and a session under
 *   a flood then dies of "missed echo replies". Each received datagram carries the socket's drop
 *   counter (SO_RXQ_OVFL); once it moves, the port is behind, so for the rest of that readiness
 *   callback it drains the queue (up to `maxShedBatches` batches) and delivers only datagrams
 *   the owner's `isPriority` accepts, plus one in `shedKeepEvery` of the others, counting the
 *   rest in `stats.shed`. The queue is empty again, and the next callback processes everything
 *   normally. Why keep a sample: stateless MPPE (RFC 3078 8.1) changes key once per packet and a
 *   receiver can only tell a gap modulo 4096 (it reads a gap of over half of that as late
 *   packets), so thousands of consecutive losses would desynchronise an encrypted session.
 *
 * Invariants:
 * - BORROWED RECEIVE BUFFERS: the bytes given to `onDatagram` are a view of the receive slab and
 *   valid ONLY DURING THE CALLBACK; the slab is overwritten by the next batch, of this port or
 *   of any other (one receive slab per process). Owners that keep
 *   bytes (control messages, RADIUS) must copy them (`borrowsReceiveBuffers` says so).
 * - Sender addresses are cached `Address` objects (one per distinct ip:port, the cache bounded),
 *   never mutated, so engines may keep them.
 * - Datagrams larger than `slotSize` are dropped and counted (`stats.truncated`), never
 *   delivered cut short.
 * - Sending never throws: a full socket buffer drops the rest of the queue (UDP semantics; the
 *   engines' retransmissions recover control messages), counted in `stats.txDropped`; a refused
 *   datagram (EHOSTUNREACH...) is counted in `stats.txErrors` and reported to `onError`.
 * - Order is kept: datagrams leave in the order `send` was called.
 *
 * Call order: `NativeUdpPort.open(...)`, then `onDatagram` (and optionally `onBatch`) in the same
 * turn; any number of `send`/`flush`; `close()` once (further calls are harmless).
 */
import { loadNative, type NativeAddon, type PollHandle } from './native.js';
import { UdpError, type Address, type DatagramPort, type UdpPortOptions } from './udp.js';

const PEER_RECORD = 20;
const TRUNCATED = 0x80000000;
/** First size of a port's send slab; it doubles up to `sendSlabBytes` under bursts. */
const INITIAL_TX_SLAB = 16 * 1024;
const EMPTY = new Uint8Array(0);
let rxSlabShared: Uint8Array | undefined;

/**
 * The process's receive slab, at least `bytes` long: every port reads into it, since a batch is
 * delivered inside its readiness callback and no two ports read at once. A client daemon has a
 * socket per l2tp-client; 600 KB of slab each was most of its memory with thousands of them.
 */
function sharedRxSlab(bytes: number): Uint8Array {
  if (rxSlabShared === undefined || rxSlabShared.length < bytes) rxSlabShared = new Uint8Array(bytes);
  return rxSlabShared;
}

/** Distinct sender addresses remembered; beyond this the cache starts over (spoofed floods). */
const MAX_CACHED_PEERS = 4096;

export interface NativeUdpPortOptions extends UdpPortOptions {
  /** Datagrams per recvmmsg; default 64. */
  readonly batchSize?: number;
  /** recvmmsg batches per readiness callback before yielding to the event loop; default 8. */
  readonly maxBatchesPerTurn?: number;
  /** Largest datagram received in bytes; default 9216 (jumbo frames). */
  readonly slotSize?: number;
  /** Bytes of the send slab; default 256 KiB. */
  readonly sendSlabBytes?: number;
  /** Most datagrams queued before a send; default 256 (native MAX_BATCH). */
  readonly sendBatch?: number;
  /** Batches drained per callback while shedding load; default 64. */
  readonly maxShedBatches?: number;
  /** While shedding, one in this many non-priority datagrams is still delivered; default 8. */
  readonly shedKeepEvery?: number;
}

export interface NativeUdpStats {
  rxDatagrams: number;
  rxBatches: number;
  truncated: number;
  txDatagrams: number;
  txBatches: number;
  txErrors: number;
  txDropped: number;
  /** Datagrams the kernel dropped because the socket's queue was full. */
  kernelDrops: number;
  /** Datagrams read and discarded while shedding load (not `isPriority`). */
  shed: number;
  /** Callbacks that switched to shedding. */
  shedEpisodes: number;
}

export class NativeUdpPort implements DatagramPort {
  readonly local: Address;
  /** `onDatagram` bytes are a view of a reused slab: valid only during the callback. */
  readonly borrowsReceiveBuffers = true;
  readonly stats: NativeUdpStats = {
    rxDatagrams: 0,
    rxBatches: 0,
    truncated: 0,
    txDatagrams: 0,
    txBatches: 0,
    txErrors: 0,
    txDropped: 0,
    kernelDrops: 0,
    shed: 0,
    shedEpisodes: 0,
  };

  private handler: ((from: Address, bytes: Uint8Array) => void) | undefined;
  private priority: ((bytes: Uint8Array) => boolean) | undefined;
  private batchWrapper: ((run: () => void) => void) | undefined;
  private errorHandler: ((err: UdpError) => void) | undefined;
  private poll: PollHandle | undefined;
  private closed = false;

  // Receive side. The slab is the process's shared one (see sharedRxSlab), taken at each read.
  private rxSlab: Uint8Array = EMPTY;
  private readonly rxLengths: Uint32Array;
  private readonly rxPeers: Uint8Array;
  private readonly peerCache = new Map<number | string, Address>();
  private rxCount = 0;
  /** [0]: the kernel's drop counter as last reported; compared with `lastKernelDrops`. */
  private readonly rxDrops = new Uint32Array(1);
  private lastKernelDrops = 0;
  private shedding = false;
  private shedCounter = 0;
  private readonly shedKeepEvery: number;
  private readonly deliverBatch = (): void => this.deliver();

  // Send side. The slab starts small and grows to `txSlabMax` when a burst needs it.
  private txSlab: Uint8Array;
  private readonly txSlabMax: number;
  private readonly txOffsets: Uint32Array;
  private readonly txLengths: Uint32Array;
  private readonly txPeers: Uint8Array;
  private readonly txErrorsOut = new Uint32Array(2);
  private txCount = 0;
  private txUsed = 0;
  private flushScheduled = false;
  private readonly flushTask = (): void => {
    this.flushScheduled = false;
    this.flush();
  };
  /** Peer records of the addresses sent to, by Address object, then by "ip|port" text. */
  private readonly sendRecords = new WeakMap<Address, Uint8Array>();
  private readonly sendRecordsByText = new Map<string, Uint8Array>();

  private constructor(
    private readonly native: NativeAddon,
    private readonly fd: number,
    private readonly family: 4 | 6,
    local: Address,
    private readonly slotSize: number,
    private readonly batchSize: number,
    private readonly maxBatchesPerTurn: number,
    sendSlabBytes: number,
    private readonly sendBatch: number,
    private readonly maxShedBatches: number,
    shedKeepEvery: number,
  ) {
    this.local = local;
    this.shedKeepEvery = shedKeepEvery;
    this.rxLengths = new Uint32Array(batchSize);
    this.rxPeers = new Uint8Array(PEER_RECORD * batchSize);
    this.txSlabMax = sendSlabBytes;
    this.txSlab = new Uint8Array(Math.min(sendSlabBytes, INITIAL_TX_SLAB));
    this.txOffsets = new Uint32Array(sendBatch);
    this.txLengths = new Uint32Array(sendBatch);
    this.txPeers = new Uint8Array(PEER_RECORD * sendBatch);
    this.poll = native.poll(fd, (status) => this.onReadable(status));
  }

  /** Binds a socket (synchronously underneath); rejects like `UdpPort.open` when the bind fails. */
  static open(opts: NativeUdpPortOptions): Promise<NativeUdpPort> {
    try {
      return Promise.resolve(NativeUdpPort.openSync(opts));
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  static openSync(opts: NativeUdpPortOptions): NativeUdpPort {
    const native = loadNative();
    const address = opts.address ?? '0.0.0.0';
    const o = native.udpOpen(address, opts.port, {
      reuseAddr: opts.reuseAddr ?? false,
      ...(opts.recvBufferSize !== undefined ? { recvBuffer: opts.recvBufferSize } : {}),
      ...(opts.sendBufferSize !== undefined ? { sendBuffer: opts.sendBufferSize } : {}),
    });
    const sendBatch = Math.min(256, Math.max(1, opts.sendBatch ?? 256));
    return new NativeUdpPort(
      native,
      o.fd,
      o.family,
      { ip: o.address, port: o.port },
      opts.slotSize ?? 9216,
      Math.min(256, Math.max(1, opts.batchSize ?? 64)),
      Math.max(1, opts.maxBatchesPerTurn ?? 8),
      Math.max(opts.sendSlabBytes ?? 256 * 1024, 65536),
      sendBatch,
      Math.max(1, opts.maxShedBatches ?? 64),
      Math.max(1, opts.shedKeepEvery ?? 8),
    );
  }

  onDatagram(cb: (from: Address, bytes: Uint8Array) => void): void {
    this.handler = cb;
  }

  /**
   * Wraps the delivery of each received batch: `wrap(run)` must call `run()` once, synchronously
   * (an owner uses it to take the clock once and re-arm its timer once per batch, not per datagram).
   */
  onBatch(wrap: (run: () => void) => void): void {
    this.batchWrapper = wrap;
  }

  onError(cb: (err: UdpError) => void): void {
    this.errorHandler = cb;
  }

  /** Which datagrams survive load shedding (see the module header); without it, none do. */
  onPriority(isPriority: (bytes: Uint8Array) => boolean): void {
    this.priority = isPriority;
  }

  send(to: Address, bytes: Uint8Array): void {
    if (this.closed) return;
    const n = bytes.length;
    if (n > this.txSlabMax) {
      this.stats.txErrors++;
      this.errorHandler?.(new UdpError('UDP_ERR_SEND', `udp send: datagram of ${n} bytes exceeds the send slab`, undefined, to));
      return;
    }
    if (this.txUsed + n > this.txSlab.length && this.txSlab.length < this.txSlabMax) this.growTxSlab(this.txUsed + n);
    if (this.txCount === this.sendBatch || this.txUsed + n > this.txSlab.length) this.flush();
    const i = this.txCount;
    const off = this.txUsed;
    this.txSlab.set(bytes, off);
    this.txOffsets[i] = off;
    this.txLengths[i] = n;
    this.txPeers.set(this.recordOf(to), i * PEER_RECORD);
    this.txCount = i + 1;
    this.txUsed = off + n;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(this.flushTask);
    }
  }

  /** A larger send slab (doubling, at most txSlabMax) keeping what is queued. */
  private growTxSlab(need: number): void {
    let size = this.txSlab.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(Math.min(this.txSlabMax, size));
    next.set(this.txSlab.subarray(0, this.txUsed));
    this.txSlab = next;
  }

  /** Sends everything queued now (one sendmmsg per 256 datagrams). */
  flush(): void {
    const count = this.txCount;
    if (count === 0 || this.closed) return;
    this.txCount = 0;
    this.txUsed = 0;
    this.txErrorsOut[0] = 0;
    let sent: number;
    try {
      sent = this.native.udpSendBatch(this.fd, this.txSlab, this.txOffsets, this.txLengths, this.txPeers, count, this.txErrorsOut, this.family);
    } catch (e) {
      this.stats.txDropped += count;
      this.errorHandler?.(new UdpError('UDP_ERR_SOCKET', `udp send: ${e instanceof Error ? e.message : String(e)}`, e));
      return;
    }
    const refused = this.txErrorsOut[0]!;
    this.stats.txBatches++;
    this.stats.txDatagrams += sent - refused;
    if (refused > 0) {
      this.stats.txErrors += refused;
      this.errorHandler?.(new UdpError('UDP_ERR_SEND', `udp send: ${refused} datagram(s) refused (errno ${this.txErrorsOut[1]!})`, undefined));
    }
    // The socket buffer is full: the rest is dropped, as the kernel drops a full queue.
    if (sent < count) this.stats.txDropped += count - sent;
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.flush();
      this.closed = true;
      this.handler = undefined;
      if (this.poll !== undefined) {
        this.native.stopPoll(this.poll);
        this.poll = undefined;
      }
      try {
        this.native.close(this.fd);
      } catch {
        // already gone: nothing to release
      }
    }
    return Promise.resolve();
  }

  private onReadable(status: number): void {
    if (this.closed) return;
    if (status < 0) {
      this.errorHandler?.(new UdpError('UDP_ERR_SOCKET', `udp poll failed with libuv status ${status}`, undefined));
      return;
    }
    this.shedding = false;
    this.rxSlab = sharedRxSlab(this.slotSize * this.batchSize);
    let limit = this.maxBatchesPerTurn;
    for (let round = 0; round < limit; round++) {
      let n: number;
      try {
        n = this.native.udpRecvBatch(this.fd, this.rxSlab, this.slotSize, this.batchSize, this.rxLengths, this.rxPeers, this.rxDrops);
      } catch (e) {
        // ECONNREFUSED and friends (an ICMP error queued on the socket) are reported once and
        // cleared by the failed call; the next call reads datagrams again.
        this.errorHandler?.(new UdpError('UDP_ERR_SOCKET', `udp receive: ${e instanceof Error ? e.message : String(e)}`, e));
        return;
      }
      if (n === 0) return;
      this.stats.rxBatches++;
      this.rxCount = n;
      const drops = this.rxDrops[0]!;
      if (drops !== this.lastKernelDrops) {
        // The counter is the kernel's 32-bit sk_drops: the difference wraps like it.
        this.stats.kernelDrops += (drops - this.lastKernelDrops) >>> 0;
        this.lastKernelDrops = drops;
        if (!this.shedding) {
          this.shedding = true;
          this.stats.shedEpisodes++;
          limit = round + 1 + this.maxShedBatches;
        }
      }
      if (this.batchWrapper) this.batchWrapper(this.deliverBatch);
      else this.deliver();
      if (this.closed || n < this.batchSize) return;
    }
  }

  private deliver(): void {
    const n = this.rxCount;
    this.rxCount = 0;
    const slab = this.rxSlab;
    const slot = this.slotSize;
    for (let i = 0; i < n; i++) {
      const h = this.handler;
      if (h === undefined) return;
      const len = this.rxLengths[i]!;
      if ((len & TRUNCATED) !== 0) {
        this.stats.truncated++;
        continue;
      }
      const start = i * slot;
      const bytes = slab.subarray(start, start + len);
      if (this.shedding && this.priority?.(bytes) !== true && ++this.shedCounter % this.shedKeepEvery !== 0) {
        this.stats.shed++;
        continue;
      }
      this.stats.rxDatagrams++;
      h(this.peerAt(i), bytes);
    }
  }

  /** The cached Address of receive record i. */
  private peerAt(i: number): Address {
    const p = this.rxPeers;
    const r = i * PEER_RECORD;
    const port = (p[r + 2]! << 8) | p[r + 3]!;
    let key: number | string;
    if (p[r] === 4) {
      key = (p[r + 4]! * 16777216 + ((p[r + 5]! << 16) | (p[r + 6]! << 8) | p[r + 7]!)) * 65536 + port;
    } else {
      key = `${ipv6Text(p, r + 4)}|${port}`;
    }
    const cached = this.peerCache.get(key);
    if (cached !== undefined) return cached;
    if (this.peerCache.size >= MAX_CACHED_PEERS) this.peerCache.clear();
    const ip = p[r] === 4 ? `${p[r + 4]!}.${p[r + 5]!}.${p[r + 6]!}.${p[r + 7]!}` : ipv6Text(p, r + 4);
    const a: Address = Object.freeze({ ip, port });
    this.peerCache.set(key, a);
    return a;
  }

  /** The 20-byte peer record for `to` (cached per Address object and per text). */
  private recordOf(to: Address): Uint8Array {
    const byObject = this.sendRecords.get(to);
    if (byObject !== undefined) return byObject;
    const text = `${to.ip}|${to.port}`;
    let rec = this.sendRecordsByText.get(text);
    if (rec === undefined) {
      rec = encodePeer(to);
      if (this.sendRecordsByText.size >= MAX_CACHED_PEERS) this.sendRecordsByText.clear();
      this.sendRecordsByText.set(text, rec);
    }
    this.sendRecords.set(to, rec);
    return rec;
  }
}

/** Encodes an address as the addon's 20-byte peer record; family 0 (refused) if unparsable. */
export function encodePeer(to: Address): Uint8Array {
  const rec = new Uint8Array(PEER_RECORD);
  rec[2] = (to.port >>> 8) & 0xff;
  rec[3] = to.port & 0xff;
  const v4 = parseIpv4(to.ip);
  if (v4 !== undefined) {
    rec[0] = 4;
    rec.set(v4, 4);
    return rec;
  }
  const v6 = parseIpv6(to.ip);
  if (v6 !== undefined) {
    // An IPv4-mapped IPv6 address is sent as IPv4 (works on both socket families).
    const mapped = v6.slice(0, 10).every((b) => b === 0) && v6[10] === 0xff && v6[11] === 0xff;
    if (mapped) {
      rec[0] = 4;
      rec.set(v6.subarray(12), 4);
    } else {
      rec[0] = 6;
      rec.set(v6, 4);
    }
  }
  return rec;
}

function parseIpv4(s: string): Uint8Array | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const t = parts[i]!;
    if (!/^\d{1,3}$/.test(t)) return undefined;
    const v = Number(t);
    if (v > 255) return undefined;
    out[i] = v;
  }
  return out;
}

function parseIpv6(s: string): Uint8Array | undefined {
  let text = s;
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  const out = new Uint8Array(16);
  // Embedded IPv4 tail (::ffff:1.2.3.4).
  const lastColon = text.lastIndexOf(':');
  let tail: Uint8Array | undefined;
  if (text.indexOf('.', lastColon) > lastColon) {
    tail = parseIpv4(text.slice(lastColon + 1));
    if (tail === undefined) return undefined;
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] === '' ? [] : halves[0]!.split(':');
  const rest = halves.length === 2 ? (halves[1] === '' ? [] : halves[1]!.split(':')) : [];
  const groups = halves.length === 2 ? [...head, ...new Array<string>(8 - head.length - rest.length).fill('0'), ...rest] : head;
  if (groups.length !== 8) return undefined;
  for (let i = 0; i < 8; i++) {
    const g = groups[i]!;
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    const v = parseInt(g, 16);
    out[i * 2] = v >>> 8;
    out[i * 2 + 1] = v & 0xff;
  }
  if (tail !== undefined) out.set(tail, 12);
  return out;
}

/** RFC 5952 text of 16 address bytes at `p[off..]`: lowercase, longest zero run as `::`. */
function ipv6Text(p: Uint8Array, off: number): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((p[off + i * 2]! << 8) | p[off + i * 2 + 1]!);
  // IPv4-mapped, as Node prints it.
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${p[off + 12]!}.${p[off + 13]!}.${p[off + 14]!}.${p[off + 15]!}`;
  }
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((v) => v.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}
