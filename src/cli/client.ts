/**
 * The client side of the control socket (protocol in src/daemon/control.ts): connects to
 * `<data-dir>/control.sock`, sends JSON-line requests and matches replies by order (the daemon
 * answers one connection's requests in order; ids are checked as well).
 *
 * Errors carry stable codes: `CLI_NOT_RUNNING` when there is no socket or nobody listens on it
 * (`l2tp exec` then exits 2), `CLI_DISCONNECTED` when the daemon went away mid-conversation,
 * `CLI_BAD_REPLY` for a reply that is not the protocol's.
 */
import { createConnection, type Socket } from 'node:net';
import type { ControlOp, ControlReply } from '../daemon/control.js';

export class ClientError extends Error {
  constructor(
    readonly code: 'CLI_NOT_RUNNING' | 'CLI_DISCONNECTED' | 'CLI_BAD_REPLY' | 'CLI_CONNECT',
    message: string,
  ) {
    super(message);
    this.name = 'ClientError';
  }
}

interface Pending {
  readonly id: number;
  resolve(r: ControlReply): void;
  reject(e: Error): void;
}

function isReply(v: unknown): v is ControlReply {
  if (v === null || typeof v !== 'object') return false;
  const o = v as Record<string, unknown>;
  return Array.isArray(o['lines']) && (o['lines'] as unknown[]).every((l) => typeof l === 'string') && typeof o['prompt'] === 'string';
}

export class ControlClient {
  private readonly pending: Pending[] = [];
  private buffer = '';
  private nextId = 1;
  private closedError: Error | undefined;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => this.take(d));
    socket.on('error', (err) => this.fail(new ClientError('CLI_DISCONNECTED', `connection to the daemon lost: ${err.message}`)));
    socket.on('close', () => this.fail(new ClientError('CLI_DISCONNECTED', 'the daemon closed the connection')));
  }

  static connect(path: string): Promise<ControlClient> {
    return new Promise((resolve, reject) => {
      const socket = createConnection({ path });
      const onError = (err: NodeJS.ErrnoException): void => {
        socket.destroy();
        if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') {
          reject(new ClientError('CLI_NOT_RUNNING', `the l2tp daemon is not running (no one listens on ${path}); start it with: l2tp start`));
        } else {
          reject(new ClientError('CLI_CONNECT', `cannot connect to ${path}: ${err.code ?? ''} ${err.message}`.trim()));
        }
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        socket.off('error', onError);
        resolve(new ControlClient(socket));
      });
    });
  }

  request(op: ControlOp, text?: string, cursor?: number): Promise<ControlReply> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.push({ id, resolve, reject });
      this.socket.write(`${JSON.stringify({ id, op, ...(text !== undefined ? { text } : {}), ...(cursor !== undefined ? { cursor } : {}) })}\n`);
    });
  }

  close(): void {
    this.closedError ??= new ClientError('CLI_DISCONNECTED', 'closed');
    this.socket.end();
    this.socket.destroy();
  }

  private take(data: string): void {
    this.buffer += data;
    let nl = this.buffer.indexOf('\n');
    while (nl >= 0) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      nl = this.buffer.indexOf('\n');
      const waiter = this.pending.shift();
      if (!waiter) continue;
      let v: unknown;
      try {
        v = JSON.parse(line);
      } catch {
        waiter.reject(new ClientError('CLI_BAD_REPLY', 'the daemon sent a reply that is not JSON'));
        continue;
      }
      if (!isReply(v)) waiter.reject(new ClientError('CLI_BAD_REPLY', 'the daemon sent a malformed reply'));
      else if (v.id !== waiter.id && v.id !== null) waiter.reject(new ClientError('CLI_BAD_REPLY', `reply ${String(v.id)} to request ${waiter.id}`));
      else waiter.resolve(v);
    }
  }

  private fail(err: Error): void {
    this.closedError ??= err;
    for (const p of this.pending.splice(0)) p.reject(err);
  }
}
