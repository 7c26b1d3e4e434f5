/**
 * The UDP sockets of an L2TP engine, by `SocketKey`: the server's listening socket, one per
 * client, one per server tunnel answering from an ephemeral port. A socket is usable at once:
 * datagrams sent while it is still binding are queued (bounded) and go out once it is bound, so
 * the I/O-free engine can treat opening as synchronous. A datagram for an unknown key opens an
 * ephemeral socket for it (the engine's `socket-open` may be drained after the transmit).
 *
 * Sockets are the addon's batched `NativeUdpPort` (recvmmsg/sendmmsg) when the addon is built,
 * else node:dgram's `UdpPort` (L2TP_NATIVE_UDP=0 forces the latter). A native port lends its
 * receive slab: each datagram is copied before it reaches `onDatagram` unless the owner's
 * `mayBorrow(key, bytes)` says the receiver uses the bytes only during the call (the data path);
 * then `onDatagram` gets the view itself. `wrapBatch` wraps each received batch (the owner takes
 * the clock and re-arms its timer once per batch).
 */
import type { Address, SocketKey, Transmit } from '../l2tp/types.js';
import { nativeAvailable } from '../platform/native.js';
import { UdpPort, type DatagramPort } from '../platform/udp.js';
import { NativeUdpPort } from '../platform/udp-native.js';

export interface SocketPoolOptions {
  /** True when `onDatagram` for this socket only reads `bytes` during the call. Default: never. */
  readonly mayBorrow?: (key: SocketKey, bytes: Uint8Array) => boolean;
  /** Datagrams kept when a socket sheds load (the control plane); default: none. */
  readonly isPriority?: (key: SocketKey, bytes: Uint8Array) => boolean;
  /** Wraps the delivery of one received batch; must call `run()` once, synchronously. */
  readonly wrapBatch?: (run: () => void) => void;
  /** Use node:dgram even when the addon is available. */
  readonly forceDgram?: boolean;
}

type Port = DatagramPort;

function useNative(forceDgram: boolean | undefined): boolean {
  return !forceDgram && process.env['L2TP_NATIVE_UDP'] !== '0' && nativeAvailable();
}

const MAX_PENDING_PER_SOCKET = 256;
const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

interface Slot {
  port: Port | undefined;
  readonly pending: Transmit[];
  closed: boolean;
  readonly address: string;
  readonly ready: Promise<Address | undefined>;
}

export class SocketPool {
  private readonly slots = new Map<SocketKey, Slot>();

  constructor(
    private readonly onDatagram: (key: SocketKey, from: Address, bytes: Uint8Array) => void,
    private readonly onError: (message: string) => void,
    /** Local address for sockets opened implicitly (ephemeral tunnel sockets). */
    private readonly defaultAddress: () => string = () => '0.0.0.0',
    private readonly options: SocketPoolOptions = {},
  ) {}

  has(key: SocketKey): boolean {
    return this.slots.has(key);
  }

  /** Opens a socket; resolves with its local address once bound (undefined if it failed). */
  open(key: SocketKey, address: string, port: number, reuseAddr = false): Promise<Address | undefined> {
    const existing = this.slots.get(key);
    if (existing) return existing.ready;
    const pending: Transmit[] = [];
    let slot: Slot;
    // Large socket buffers: the data path sends and receives in bursts (a TUN batch, a busy
    // event-loop turn); the kernel default (~200 KiB) drops under load.
    const portOptions = { address, port, reuseAddr, recvBufferSize: SOCKET_BUFFER_BYTES, sendBufferSize: SOCKET_BUFFER_BYTES };
    const opening: Promise<Port> = useNative(this.options.forceDgram) ? NativeUdpPort.open(portOptions) : UdpPort.open(portOptions);
    const ready = opening.then(
      (p) => {
        if (slot.closed) {
          void p.close();
          return undefined;
        }
        slot.port = p;
        if (p instanceof NativeUdpPort) {
          const mayBorrow = this.options.mayBorrow;
          p.onDatagram((from, bytes) => this.onDatagram(key, from, mayBorrow?.(key, bytes) === true ? bytes : bytes.slice()));
          if (this.options.wrapBatch) p.onBatch(this.options.wrapBatch);
          const isPriority = this.options.isPriority;
          if (isPriority) p.onPriority((bytes) => isPriority(key, bytes));
        } else {
          p.onDatagram((from, bytes) => this.onDatagram(key, from, bytes));
        }
        for (const t of pending.splice(0)) p.send(t.to, t.bytes);
        return p.local;
      },
      (err: unknown) => {
        this.slots.delete(key);
        this.onError(`cannot open UDP ${address}:${port}: ${err instanceof Error ? err.message : String(err)}`);
        return undefined;
      },
    );
    slot = { port: undefined, pending, closed: false, address, ready };
    this.slots.set(key, slot);
    return ready;
  }

  close(key: SocketKey): void {
    const slot = this.slots.get(key);
    if (!slot) return;
    slot.closed = true;
    this.slots.delete(key);
    if (slot.port) void slot.port.close();
  }

  send(t: Transmit): void {
    if (!this.slots.has(t.via)) void this.open(t.via, this.defaultAddress(), 0);
    const slot = this.slots.get(t.via);
    if (!slot) return;
    if (slot.port) slot.port.send(t.to, t.bytes);
    else if (slot.pending.length < MAX_PENDING_PER_SOCKET) slot.pending.push(t);
  }

  async closeAll(): Promise<void> {
    const all = [...this.slots.values()];
    this.slots.clear();
    for (const s of all) s.closed = true;
    await Promise.all(all.map((s) => (s.port ? s.port.close() : Promise.resolve())));
  }
}
