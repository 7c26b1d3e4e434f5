/**
 * The control socket: how `l2tp exec` and `l2tp console` talk to the running daemon.
 *
 * Transport: a unix stream socket `<data-dir>/control.sock`, never TCP. It is created under a
 * umask of 0177 and then chmod 0600, so from the first instant only the daemon's user can
 * connect (the same rule as RouterOS's local console: whoever can reach it is admin).
 *
 * Protocol: JSON lines, one request per line, one reply per request, in order.
 *   request  {"id": 1, "op": "run" | "complete" | "help" | "prompt" | "repeat", "text"?: "...", "cursor"?: 12}
 *   reply    {"id": 1, "lines": ["..."], "error"?: {"code": "...", "message": "..."}, "prompt": "...",
 *             "completions"?: ["..."], "repeatMs"?: 1000}
 * - `run` executes `text` (several commands separated by `;` or newlines) in this connection's
 *   ConsoleSession, which keeps the current menu and print numbering between requests.
 * - `complete` answers `completions` for `text` up to `cursor`; `help` answers `?` help lines.
 * - `prompt` answers only the prompt.
 * - `repeat` re-runs the last `run` whose reply carried `repeatMs` (monitor without `once`,
 *   `print interval=`), from the menu it started in. A run only offers `repeatMs` when it changed
 *   no configuration, so repeating can never add an item twice. The client decides when to stop
 *   (Ctrl-C); the daemon keeps no timer per connection.
 * - Bad JSON, a request that is not an object, an unknown op, wrong field types, or a line over
 *   1 MiB get an error reply (`id` null when it could not be read) and the connection stays
 *   usable: nothing a client sends can crash the daemon.
 *
 * Persistence: a `run` that changed configuration calls `hooks.commit(changes)` BEFORE its reply
 * is written; commit saves durably (src/platform/config-file.ts) and then applies the change to
 * the services. Commands before a failing one in the same text stay applied (RouterOS
 * semantics, and each command is all-or-nothing in the store), so they are committed too.
 * Requests are handled synchronously, one at a time over all connections (Node's single
 * thread), so no two commands interleave and a reply always follows its own durable save.
 *
 * Call order: `ControlServer.listen(path, deps)`, then `close()` at shutdown (stops accepting,
 * ends connections, removes the socket file). `ControlConnection` is the per-connection
 * protocol state, usable without a socket (tests).
 */
import { chmodSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../core/log.js';
import type { ChangeRecord, ConfigStore } from '../config/store.js';
import type { RuntimeProvider } from '../config/runtime.js';
import { ConsoleSession, type SessionOptions } from '../frontends/console/session.js';

export const MAX_LINE_BYTES = 1 << 20;
export const MAX_CONNECTIONS = 256;

export type ControlOp = 'run' | 'complete' | 'help' | 'prompt' | 'repeat';
const OPS: readonly ControlOp[] = ['run', 'complete', 'help', 'prompt', 'repeat'];

export interface ControlRequest {
  readonly id: number | string | null;
  readonly op: ControlOp;
  readonly text?: string;
  readonly cursor?: number;
}

export interface ControlErrorInfo {
  readonly code: string;
  readonly message: string;
}

export interface ControlReply {
  readonly id: number | string | null;
  readonly lines: string[];
  readonly error?: ControlErrorInfo;
  readonly prompt: string;
  readonly completions?: string[];
  readonly repeatMs?: number;
}

export interface ControlHooks {
  /**
   * Saves the configuration durably and applies `changes` to the running services. Returns an
   * error to report when saving failed (the change stays in memory and is retried by the next save).
   */
  commit(changes: readonly ChangeRecord[]): ControlErrorInfo | undefined;
  /** Options for each connection's ConsoleSession (user, export header, files). */
  sessionOptions(): SessionOptions;
  readonly logger?: Logger;
}

/** Parses one request line; never throws. */
export function parseRequest(line: string): ControlRequest | { readonly id: number | string | null; readonly error: ControlErrorInfo } {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (err) {
    return { id: null, error: { code: 'CTL_BAD_JSON', message: `bad request: ${err instanceof Error ? err.message : 'invalid JSON'}` } };
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    return { id: null, error: { code: 'CTL_BAD_REQUEST', message: 'bad request: not an object' } };
  }
  const o = v as Record<string, unknown>;
  const rawId = o['id'];
  const id = typeof rawId === 'number' || typeof rawId === 'string' ? rawId : null;
  const op = o['op'];
  if (typeof op !== 'string' || !(OPS as readonly string[]).includes(op)) {
    return { id, error: { code: 'CTL_BAD_OP', message: `bad request: unknown op ${JSON.stringify(op) ?? 'undefined'}` } };
  }
  const text = o['text'];
  if (text !== undefined && typeof text !== 'string') return { id, error: { code: 'CTL_BAD_REQUEST', message: 'bad request: text must be a string' } };
  const cursor = o['cursor'];
  if (cursor !== undefined && (typeof cursor !== 'number' || !Number.isInteger(cursor) || cursor < 0)) {
    return { id, error: { code: 'CTL_BAD_REQUEST', message: 'bad request: cursor must be a non-negative integer' } };
  }
  return { id, op: op as ControlOp, ...(text !== undefined ? { text } : {}), ...(cursor !== undefined ? { cursor } : {}) };
}

/** One connection's console: a ConsoleSession plus the repeatable command. */
export class ControlConnection {
  readonly session: ConsoleSession;
  private repeatable: { readonly text: string; readonly cwd: readonly string[] } | undefined;

  constructor(
    store: ConfigStore,
    runtime: RuntimeProvider,
    private readonly hooks: ControlHooks,
  ) {
    this.session = new ConsoleSession(store, runtime, hooks.sessionOptions());
  }

  /** Handles one request line; never throws. */
  handleLine(line: string): ControlReply {
    const req = parseRequest(line);
    if ('error' in req) return this.reply(req.id, [], req.error);
    try {
      return this.handle(req);
    } catch (err) {
      // ConsoleSession is written never to throw; if it does anyway, the daemon lives on and the
      // configuration file is brought in line with memory (the store is all-or-nothing per op).
      this.hooks.logger?.log(['system', 'error'], `control: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      const saved = this.hooks.commit([]);
      return this.reply(req.id, ['failure: internal error'], saved ?? { code: 'CTL_INTERNAL', message: 'failure: internal error' });
    }
  }

  handle(req: ControlRequest): ControlReply {
    const text = req.text ?? '';
    switch (req.op) {
      case 'prompt':
        return this.reply(req.id, []);
      case 'complete':
        return { ...this.reply(req.id, []), completions: this.session.complete(text, req.cursor ?? text.length) };
      case 'help':
        return this.reply(req.id, this.session.help(text.slice(0, req.cursor ?? text.length)));
      case 'run':
        return this.run(req.id, text, false);
      case 'repeat': {
        const r = this.repeatable;
        if (!r) return this.reply(req.id, ['failure: nothing to repeat'], { code: 'CTL_NO_REPEAT', message: 'failure: nothing to repeat' });
        const after = this.session.cwd;
        this.session.cwd = [...r.cwd];
        const reply = this.run(req.id, r.text, true);
        // Repeating must not move the user: the menu is where the first run left it.
        this.session.cwd = after;
        return reply;
      }
    }
  }

  private run(id: number | string | null, text: string, repeating: boolean): ControlReply {
    const cwdBefore = [...this.session.cwd];
    const r = this.session.run(text);
    let saveError: ControlErrorInfo | undefined;
    if (r.changes.length > 0) saveError = this.hooks.commit(r.changes);
    const lines = [...r.lines];
    if (saveError) lines.push(saveError.message);
    const error = r.error ? { code: r.error.code, message: r.error.message } : saveError;
    const canRepeat = r.repeatMs !== undefined && r.changes.length === 0 && !r.error;
    if (!repeating) this.repeatable = canRepeat ? { text, cwd: cwdBefore } : undefined;
    return { ...this.reply(id, lines, error), ...(canRepeat && r.repeatMs !== undefined ? { repeatMs: r.repeatMs } : {}) };
  }

  private reply(id: number | string | null, lines: string[], error?: ControlErrorInfo): ControlReply {
    return { id, lines, ...(error ? { error } : {}), prompt: this.session.prompt() };
  }
}

/**
 * Splits a byte stream into lines, capping each at `max` bytes: an over-long line is reported
 * once (`tooLong`) and its bytes are dropped up to the next newline, so memory stays bounded.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private discarding = false;

  constructor(private readonly max: number = MAX_LINE_BYTES) {}

  push(chunk: Buffer): Array<{ readonly line: string } | { readonly tooLong: true }> {
    const out: Array<{ readonly line: string } | { readonly tooLong: true }> = [];
    let start = 0;
    // Bounded by the chunk's length: each pass consumes at least one byte or ends.
    while (start < chunk.length) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl < 0 ? chunk.length : nl;
      const piece = chunk.subarray(start, end);
      if (!this.discarding) {
        if (this.size + piece.length > this.max) {
          this.discarding = true;
          this.parts = [];
          this.size = 0;
          out.push({ tooLong: true });
        } else if (piece.length > 0) {
          this.parts.push(piece);
          this.size += piece.length;
        }
      }
      if (nl < 0) break;
      if (!this.discarding) out.push({ line: Buffer.concat(this.parts).toString('utf8').replace(/\r$/, '') });
      this.parts = [];
      this.size = 0;
      this.discarding = false;
      start = nl + 1;
    }
    return out;
  }
}

export interface ControlServerDeps extends ControlHooks {
  readonly store: ConfigStore;
  readonly runtime: RuntimeProvider;
}

export class ControlServer {
  private readonly sockets = new Set<Socket>();

  private constructor(
    readonly path: string,
    private readonly server: Server,
  ) {}

  /**
   * Listens on `path` (an existing file there is removed first: the caller holds the data
   * directory's lock, so it is a leftover of a crashed daemon), mode 0600.
   */
  static async listen(path: string, deps: ControlServerDeps): Promise<ControlServer> {
    try {
      unlinkSync(path);
    } catch {
      // not there
    }
    const server = createServer({ allowHalfOpen: false });
    server.maxConnections = MAX_CONNECTIONS;
    const control = new ControlServer(path, server);
    server.on('connection', (socket) => control.accept(socket, deps));
    // Refused connections over maxConnections just close; errors on the listening socket
    // after start-up (none are expected for a unix socket) are logged, never thrown.
    server.on('error', (err) => deps.logger?.log(['system', 'error'], `control socket: ${err.message}`));
    const oldMask = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        const onError = (err: Error): void => reject(err);
        server.once('error', onError);
        server.listen(path, () => {
          server.off('error', onError);
          resolve();
        });
      });
    } finally {
      process.umask(oldMask);
    }
    // Belt and braces: the umask already gave 0600; chmod makes it independent of the platform.
    chmodSync(path, 0o600);
    return control;
  }

  private accept(socket: Socket, deps: ControlServerDeps): void {
    this.sockets.add(socket);
    const conn = new ControlConnection(deps.store, deps.runtime, deps);
    const splitter = new LineSplitter();
    socket.on('error', () => {
      // A client that vanished mid-reply: nothing to do, 'close' follows.
    });
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('data', (chunk: Buffer) => {
      for (const item of splitter.push(chunk)) {
        const reply =
          'tooLong' in item
            ? { id: null, lines: [], error: { code: 'CTL_TOO_LONG', message: `bad request: line longer than ${MAX_LINE_BYTES} bytes` }, prompt: conn.session.prompt() }
            : item.line.trim() === ''
              ? undefined
              : conn.handleLine(item.line);
        if (reply && !socket.destroyed) socket.write(`${JSON.stringify(reply)}\n`);
      }
    });
  }

  /** Stops accepting, ends every connection, removes the socket file. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
    try {
      unlinkSync(this.path);
    } catch {
      // already gone (net.Server removes it on close on most platforms)
    }
  }
}
