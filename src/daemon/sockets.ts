/**
 * The UDP sockets of an L2TP engine, by `SocketKey`: the server's listening socket, one per
 * client, one per server tunnel answering from an ephemeral port. A socket is usable at once:
 * datagrams sent while it is still binding are queued (bounded) and go out once it is bound, so
 * the I/O-free engine can treat opening as synchronous. A datagram for an unknown key opens an
 * ephemeral socket for it (the engine's `socket-open` may be drained after the transmit).
 */
import type { Address, SocketKey, Transmit } from '../l2tp/types.js';
import { UdpPort } from '../platform/udp.js';

const MAX_PENDING_PER_SOCKET = 256;
const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

interface Slot {
  port: UdpPort | undefined;
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
    const ready = UdpPort.open({ address, port, reuseAddr, recvBufferSize: SOCKET_BUFFER_BYTES, sendBufferSize: SOCKET_BUFFER_BYTES }).then(
      (p) => {
        if (slot.closed) {
          void p.close();
          return undefined;
        }
        slot.port = p;
        p.onDatagram((from, bytes) => this.onDatagram(key, from, bytes));
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
