/**
 * Child processes for the lab harness: run a command to completion with a time limit (`run`), or
 * start a long-running one (`spawnProcess`) and keep a handle that captures its output line by
 * line, waits for a line or a JSON message, and stops it by PID (SIGTERM, then SIGKILL after a
 * bounded wait).
 *
 * Invariants:
 * - Only processes this module started are ever signalled, always by their own PID.
 * - Every wait is bounded in time; a timeout rejects with the output seen so far, so a failing
 *   system test says what the peer printed.
 * - Every live handle is in `liveProcesses`; `killAllSync()` (used by the process-exit safety
 *   net in netns.ts) SIGKILLs whatever is left if a test crashed before its cleanup ran.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Kill (SIGKILL) and reject after this long; default 30 s. */
  timeoutMs?: number;
  /** Text written to stdin, which is then closed. */
  input?: string;
  /** Reject when the exit code is not 0; default true. */
  check?: boolean;
}

export class CommandError extends Error {
  readonly code = 'LAB_ERR_COMMAND';
  constructor(
    message: string,
    readonly result: RunResult,
  ) {
    super(message);
    this.name = 'CommandError';
  }
}

/** Runs `cmd` (argv, no shell) to completion. */
export function run(cmd: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const [file, ...args] = cmd;
  if (file === undefined) return Promise.reject(new Error('run: empty command'));
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: opts.cwd, env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result: RunResult = { code, signal, stdout, stderr };
      if (timedOut) reject(new CommandError(`${cmd.join(' ')}: killed after ${timeoutMs} ms\n${stderr}`, result));
      else if ((opts.check ?? true) && code !== 0)
        reject(new CommandError(`${cmd.join(' ')}: exit ${code ?? signal}\n${stdout}\n${stderr}`, result));
      else resolve(result);
    });
    child.stdin.on('error', () => {}); // the child may exit before reading its input
    child.stdin.end(opts.input ?? '');
  });
}

export interface SpawnOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** A short name used in error messages. */
  name?: string;
  /** Also copy output lines to this process's stderr (debugging). */
  echo?: boolean;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export const liveProcesses = new Set<ProcessHandle>();

/** A running child process; output is kept whole (`stdout`, `stderr`) and as lines. */
export class ProcessHandle {
  readonly pid: number;
  readonly name: string;
  stdout = '';
  stderr = '';
  /** stdout and stderr lines in arrival order, each tagged with its stream. */
  readonly lines: Array<{ stream: 'stdout' | 'stderr'; line: string }> = [];
  /** stdout lines that parsed as JSON objects (the lab drivers' result channel). */
  readonly messages: Array<Record<string, unknown>> = [];
  exitStatus: ExitStatus | undefined;
  readonly exited: Promise<ExitStatus>;
  private readonly waiters = new Set<() => void>();
  private readonly partial = { stdout: '', stderr: '' };

  constructor(
    private readonly child: ChildProcess,
    name: string,
    private readonly echo: boolean,
  ) {
    if (child.pid === undefined) throw new Error(`${name}: spawn failed`);
    this.pid = child.pid;
    this.name = name;
    liveProcesses.add(this);
    this.exited = new Promise((resolve) => {
      child.on('close', (code, signal) => {
        this.flushPartial();
        this.exitStatus = { code, signal };
        liveProcesses.delete(this);
        this.notify();
        resolve(this.exitStatus);
      });
    });
    child.stdout?.setEncoding('utf8').on('data', (d: string) => this.take('stdout', d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => this.take('stderr', d));
    child.stdin?.on('error', () => {});
  }

  /** Writes a line to the child's stdin (a lab driver's command channel). */
  writeLine(line: string): void {
    this.child.stdin?.write(line + '\n');
  }

  /** Writes raw bytes to the child's stdin. */
  writeRaw(data: Uint8Array): void {
    this.child.stdin?.write(data);
  }

  /** Closes the child's stdin (end of input). */
  endInput(): void {
    this.child.stdin?.end();
  }

  /** Sends one JSON command line. */
  send(message: Record<string, unknown>): void {
    this.writeLine(JSON.stringify(message));
  }

  /** Resolves with the first line (either stream, past or future) matching `re`. */
  waitForLine(re: RegExp, timeoutMs = 10_000): Promise<string> {
    return this.waitFor(() => this.lines.find((l) => re.test(l.line))?.line, `a line matching ${re}`, timeoutMs);
  }

  /** Resolves with the first JSON message (past or future) satisfying `pred`. */
  waitForMessage(pred: (m: Record<string, unknown>) => boolean, what: string, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    return this.waitFor(() => this.messages.find(pred), what, timeoutMs);
  }

  /** Output so far, for assertion messages. */
  output(): string {
    return this.lines.map((l) => `[${l.stream}] ${l.line}`).join('\n');
  }

  isRunning(): boolean {
    return this.exitStatus === undefined;
  }

  signal(sig: NodeJS.Signals): void {
    if (this.isRunning()) {
      try {
        process.kill(this.pid, sig);
      } catch {
        // already gone between the check and the kill
      }
    }
  }

  /** Sends `signal`, waits up to `timeoutMs`, then SIGKILLs; resolves once the process is gone. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 5_000): Promise<ExitStatus> {
    if (!this.isRunning()) return this.exited;
    this.signal(signal);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), timeoutMs)));
    const done = await Promise.race([this.exited, timedOut]);
    clearTimeout(timer);
    if (done !== undefined) return done;
    this.signal('SIGKILL');
    return this.exited;
  }

  private waitFor<T>(probe: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const v = probe();
        if (v !== undefined) {
          finish();
          resolve(v);
          return true;
        }
        if (this.exitStatus !== undefined) {
          finish();
          reject(new Error(`${this.name} (pid ${this.pid}) exited ${JSON.stringify(this.exitStatus)} before ${what}\n${this.output()}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`${this.name} (pid ${this.pid}): no ${what} within ${timeoutMs} ms\n${this.output()}`));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      const waiter = (): void => {
        check();
      };
      if (!check()) this.waiters.add(waiter);
    });
  }

  private take(stream: 'stdout' | 'stderr', chunk: string): void {
    this[stream] += chunk;
    const text = this.partial[stream] + chunk;
    const parts = text.split('\n');
    this.partial[stream] = parts.pop() ?? '';
    for (const line of parts) this.addLine(stream, line);
    this.notify();
  }

  private flushPartial(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.partial[stream] !== '') this.addLine(stream, this.partial[stream]);
      this.partial[stream] = '';
    }
  }

  private addLine(stream: 'stdout' | 'stderr', raw: string): void {
    const line = raw.replace(/\r$/, '');
    this.lines.push({ stream, line });
    if (this.echo) process.stderr.write(`[${this.name}] ${line}\n`);
    if (stream === 'stdout' && line.startsWith('{')) {
      try {
        const v: unknown = JSON.parse(line);
        if (v !== null && typeof v === 'object' && !Array.isArray(v)) this.messages.push(v as Record<string, unknown>);
      } catch {
        // not JSON: an ordinary output line
      }
    }
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }
}

/** Starts `cmd` (argv, no shell) with piped stdio. */
export function spawnProcess(cmd: readonly string[], opts: SpawnOptions = {}): ProcessHandle {
  const [file, ...args] = cmd;
  if (file === undefined) throw new Error('spawnProcess: empty command');
  const child = spawn(file, args, { cwd: opts.cwd, env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
  return new ProcessHandle(child, opts.name ?? file, opts.echo ?? process.env['LAB_ECHO'] === '1');
}

/** SIGKILLs every process still alive that this module started (last-resort cleanup). */
export function killAllSync(): void {
  for (const p of liveProcesses) p.signal('SIGKILL');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * True when a process with this PID exists and is not a zombie. Zombies count as dead: in a
 * container PID 1 may never reap orphans (seen here with SoftEther's watchdog), and a zombie
 * answers signal 0 forever.
 */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S ..."; comm may contain spaces or parentheses, so take the
    // state after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Runs a command synchronously; for probes and exit-time cleanup only. */
export function runSync(cmd: readonly string[], timeoutMs = 5_000): { code: number | null; stdout: string; stderr: string } {
  const [file, ...args] = cmd;
  if (file === undefined) return { code: null, stdout: '', stderr: 'empty command' };
  const r = spawnSync(file, args, { encoding: 'utf8', timeout: timeoutMs });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? (r.error?.message ?? '') };
}
