/**
 * Runs an I/O-free L2TP engine (or the PPP-over-L2TP service) on real UDP sockets and the real
 * clock: the main socket (UDP 1701 for a server, an ephemeral port for a client), plus one socket
 * per tunnel when the server answers from ephemeral ports (`socket-open` / `socket-close`).
 *
 * Datagrams to a socket that is still binding are queued and sent once it is bound, so the
 * engine can treat `socket-open` as synchronous.
 */
import type { Instant } from '../core/time.js';
import type { Address, SocketKey, Transmit } from '../l2tp/types.js';
import { MAIN_SOCKET } from '../l2tp/types.js';
import { EngineDriver } from '../platform/driver.js';
import { UdpPort } from '../platform/udp.js';

export interface UdpEngine {
  handleDatagram(now: Instant, from: Address, bytes: Uint8Array, via?: SocketKey): void;
  handleTimeout(now: Instant): void;
  nextTimeout(): Instant | undefined;
  pollTransmit(): Transmit | undefined;
}

export interface UdpHostOptions {
  /** The main socket's local address and port (0 = ephemeral). */
  readonly address: string;
  readonly port: number;
  /** Called after every input and timeout, once transmits are sent: drain the engine's events. */
  readonly onPump: (now: Instant) => void;
  readonly onError?: (err: unknown) => void;
}

interface SocketSlot {
  port: UdpPort | undefined;
  readonly pending: Transmit[];
  closed: boolean;
}

const MAX_PENDING_PER_SOCKET = 256;

export class UdpHost {
  readonly driver: EngineDriver;
  private readonly sockets = new Map<SocketKey, SocketSlot>();

  private constructor(
    private readonly engine: UdpEngine,
    main: UdpPort,
    private readonly opts: UdpHostOptions,
  ) {
    this.sockets.set(MAIN_SOCKET, { port: main, pending: [], closed: false });
    this.driver = new EngineDriver(engine, {
      pump: (now) => this.pump(now),
      ...(opts.onError ? { onError: opts.onError } : {}),
    });
    main.onDatagram((from, bytes) => this.driver.input((now) => engine.handleDatagram(now, from, bytes, MAIN_SOCKET)));
  }

  static async start(engine: UdpEngine, opts: UdpHostOptions): Promise<UdpHost> {
    const main = await UdpPort.open({ address: opts.address, port: opts.port, reuseAddr: true });
    return new UdpHost(engine, main, opts);
  }

  get local(): Address {
    const s = this.sockets.get(MAIN_SOCKET);
    return s!.port!.local;
  }

  /** Runs a command against the engine (e.g. `engine.connect(now, ...)`), then pumps. */
  input(fn: (now: Instant) => void): void {
    this.driver.input(fn);
  }

  /** A socket for one tunnel on an ephemeral port (server answering from a new port). */
  openSocket(key: SocketKey): void {
    if (this.sockets.has(key)) return;
    const slot: SocketSlot = { port: undefined, pending: [], closed: false };
    this.sockets.set(key, slot);
    const address = this.opts.address;
    UdpPort.open({ address, port: 0 }).then(
      (port) => {
        if (slot.closed) {
          void port.close();
          return;
        }
        slot.port = port;
        port.onDatagram((from, bytes) => this.driver.input((now) => this.engine.handleDatagram(now, from, bytes, key)));
        for (const t of slot.pending.splice(0)) port.send(t.to, t.bytes);
      },
      (err: unknown) => this.opts.onError?.(err),
    );
  }

  closeSocket(key: SocketKey): void {
    const slot = this.sockets.get(key);
    if (!slot || key === MAIN_SOCKET) return;
    slot.closed = true;
    this.sockets.delete(key);
    if (slot.port) void slot.port.close();
  }

  async close(): Promise<void> {
    this.driver.stop();
    const all = [...this.sockets.values()];
    this.sockets.clear();
    await Promise.all(all.map((s) => (s.port ? s.port.close() : Promise.resolve())));
  }

  private pump(now: Instant): void {
    for (let t = this.engine.pollTransmit(); t; t = this.engine.pollTransmit()) this.send(t);
    this.opts.onPump(now);
    // Events handled by the owner may have queued more (e.g. a reply to an auth check).
    for (let t = this.engine.pollTransmit(); t; t = this.engine.pollTransmit()) this.send(t);
  }

  private send(t: Transmit): void {
    // A tunnel socket is opened on its first datagram (the `socket-open` event may be drained
    // after the transmits that need it).
    if (!this.sockets.has(t.via)) this.openSocket(t.via);
    const slot = this.sockets.get(t.via);
    if (!slot) return;
    if (slot.port) slot.port.send(t.to, t.bytes);
    else if (slot.pending.length < MAX_PENDING_PER_SOCKET) slot.pending.push(t);
  }
}
