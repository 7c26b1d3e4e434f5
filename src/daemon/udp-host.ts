/**
 * Runs an I/O-free L2TP engine (or the PPP-over-L2TP service) on real UDP sockets and the real
 * clock, for tools and tests that need the protocol stack without the router around it: a main
 * socket (UDP 1701 for a server, an ephemeral port for a client) plus the per-tunnel sockets the
 * engine asks for (see `SocketPool`).
 */
import type { Instant } from '../core/time.js';
import type { Address, SocketKey, Transmit } from '../l2tp/types.js';
import { MAIN_SOCKET } from '../l2tp/types.js';
import { EngineDriver } from '../platform/driver.js';
import { SocketPool } from './sockets.js';

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

export class UdpHost {
  readonly driver: EngineDriver;
  private readonly sockets: SocketPool;

  private constructor(
    private readonly engine: UdpEngine,
    private readonly opts: UdpHostOptions,
    readonly local: Address,
    sockets: SocketPool,
  ) {
    this.sockets = sockets;
    this.driver = new EngineDriver(engine, {
      pump: (now) => this.pump(now),
      ...(opts.onError ? { onError: opts.onError } : {}),
    });
  }

  static async start(engine: UdpEngine, opts: UdpHostOptions): Promise<UdpHost> {
    let host: UdpHost | undefined;
    const sockets = new SocketPool(
      (key, from, bytes) => host?.driver.input((now) => engine.handleDatagram(now, from, bytes, key)),
      (message) => opts.onError?.(new Error(message)),
      () => opts.address,
    );
    const local = await sockets.open(MAIN_SOCKET, opts.address, opts.port, true);
    if (!local) throw new Error(`cannot open UDP ${opts.address}:${opts.port}`);
    host = new UdpHost(engine, opts, local, sockets);
    return host;
  }

  /** Runs a command against the engine (e.g. `engine.connect(now, ...)`), then pumps. */
  input(fn: (now: Instant) => void): void {
    this.driver.input(fn);
  }

  closeSocket(key: SocketKey): void {
    if (key !== MAIN_SOCKET) this.sockets.close(key);
  }

  async close(): Promise<void> {
    this.driver.stop();
    await this.sockets.closeAll();
  }

  private pump(now: Instant): void {
    for (let t = this.engine.pollTransmit(); t; t = this.engine.pollTransmit()) this.sockets.send(t);
    this.opts.onPump(now);
    // Events handled by the owner may have queued more (e.g. a reply to an auth check).
    for (let t = this.engine.pollTransmit(); t; t = this.engine.pollTransmit()) this.sockets.send(t);
  }
}
