/**
 * UDP for the daemon: the `DatagramPort` seam and its node:dgram adapter `UdpPort`.
 *
 * L2TP runs over UDP port 1701 (RFC 2661 section 8.1; RFC 3193 section 4 for the port rules),
 * RADIUS over 1812/1813 (RFC 2865 section 3, RFC 2866 section 3). Engines never see a socket:
 * the owner of a port passes each received datagram to an engine's `handleDatagram(now, ...)`
 * and sends what the engine's `pollTransmit()` yields.
 *
 * Invariants:
 * - Thin on purpose: no queueing, no retries, no framing. Reliability belongs to the engines.
 * - Received bytes are handed over as a plain `Uint8Array` view of Node's buffer (no copy). The
 *   view is owned by the callee from then on; the port never reuses it.
 * - Send errors (EHOSTUNREACH, ENETUNREACH, ...) and socket errors never throw out of `send` or
 *   crash the process: UDP is unreliable anyway, the engines' timers recover. They are reported
 *   to `onError` when one is set.
 *
 * Call order: `await UdpPort.open(...)`, then (synchronously, in the same turn) `onDatagram(cb)`
 * so that no datagram is emitted before a handler exists; any number of `send`; `close()` once
 * (further calls are harmless). Datagrams that arrive while no handler is set are dropped.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';

export interface Address {
  ip: string;
  port: number;
}

/** The seam engines' owners use; UdpPort is the real one, tests may supply a memory twin. */
export interface DatagramPort {
  send(to: Address, bytes: Uint8Array): void;
  onDatagram(cb: (from: Address, bytes: Uint8Array) => void): void;
  readonly local: Address;
  close(): Promise<void>;
}

export interface UdpPortOptions {
  /** Local address to bind; default `0.0.0.0` (an IPv6 literal opens an udp6 socket). */
  address?: string;
  /** Local port; 0 asks the kernel for an ephemeral one. */
  port: number;
  /** SO_REUSEADDR, so a restarted daemon can bind while old sockets linger. */
  reuseAddr?: boolean;
  /** SO_RCVBUF / SO_SNDBUF in bytes, for the data path under load. */
  recvBufferSize?: number;
  sendBufferSize?: number;
}

/** Codes carried by errors that `UdpPort` reports; stable, match on these, never on text. */
export type UdpErrorCode = 'UDP_ERR_SEND' | 'UDP_ERR_SOCKET';

export class UdpError extends Error {
  readonly code: UdpErrorCode;
  readonly to: Address | undefined;
  override readonly cause: unknown;
  constructor(code: UdpErrorCode, message: string, cause: unknown, to?: Address) {
    super(message);
    this.name = 'UdpError';
    this.code = code;
    this.cause = cause;
    this.to = to;
  }
}

export class UdpPort implements DatagramPort {
  readonly local: Address;
  private handler: ((from: Address, bytes: Uint8Array) => void) | undefined;
  private errorHandler: ((err: UdpError) => void) | undefined;
  private closing: Promise<void> | undefined;
  private readonly onSent = (err: Error | null): void => {
    if (err) this.errorHandler?.(new UdpError('UDP_ERR_SEND', `udp send: ${err.message}`, err));
  };

  private constructor(private readonly socket: Socket) {
    const a = socket.address();
    this.local = { ip: a.address, port: a.port };
    socket.on('message', (msg, rinfo) => {
      const h = this.handler;
      if (h === undefined) return;
      h({ ip: rinfo.address, port: rinfo.port }, new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength));
    });
    socket.on('error', (err) => {
      this.errorHandler?.(new UdpError('UDP_ERR_SOCKET', `udp socket error: ${err.message}`, err));
    });
  }

  /** Binds a socket; rejects when the bind fails (EADDRINUSE, EADDRNOTAVAIL, EACCES...). */
  static async open(opts: UdpPortOptions): Promise<UdpPort> {
    const address = opts.address ?? '0.0.0.0';
    const socket = createSocket({ type: isIPv6(address) ? 'udp6' : 'udp4', reuseAddr: opts.reuseAddr ?? false });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => {
        socket.close();
        reject(err);
      };
      socket.once('error', onError);
      socket.bind({ address, port: opts.port, exclusive: true }, () => {
        socket.off('error', onError);
        resolve();
      });
    });
    if (opts.recvBufferSize !== undefined) socket.setRecvBufferSize(opts.recvBufferSize);
    if (opts.sendBufferSize !== undefined) socket.setSendBufferSize(opts.sendBufferSize);
    return new UdpPort(socket);
  }

  send(to: Address, bytes: Uint8Array): void {
    if (this.closing !== undefined) return;
    // One shared completion callback: no closure per datagram on the data path (Node reports a
    // failed send only to a callback).
    this.socket.send(bytes, to.port, to.ip, this.onSent);
  }

  /** Sets the one datagram handler (replacing any earlier one). */
  onDatagram(cb: (from: Address, bytes: Uint8Array) => void): void {
    this.handler = cb;
  }

  /** Sets the one error handler; without it errors are dropped silently. */
  onError(cb: (err: UdpError) => void): void {
    this.errorHandler = cb;
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.handler = undefined;
      this.socket.close(() => resolve());
    });
    return this.closing;
  }
}
