/**
 * Child processes for the benchmark: run a command to completion with a time limit, start a
 * long-running one and stop it by its own PID, and read a process's CPU time from /proc.
 *
 * Invariants:
 * - Only processes started here are ever signalled, always by their PID (SIGTERM, then SIGKILL
 *   after a bounded wait). `stopAll()` is the safety net for a crash or Ctrl-C.
 * - Every wait is bounded in time.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  timeoutMs?: number;
  /** Reject when the exit code is not 0 (default true). */
  check?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Text written to the command's standard input (else stdin is /dev/null). */
  input?: string;
}

export function run(cmd: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const [file, ...args] = cmd;
  if (file === undefined) return Promise.reject(new Error('run: empty command'));
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], env: opts.env ?? process.env });
    if (opts.input !== undefined && child.stdin !== null) {
      child.stdin.on('error', () => undefined);
      child.stdin.end(opts.input);
    }
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const r = { code, stdout, stderr };
      if ((opts.check ?? true) && code !== 0) reject(new Error(`${cmd.join(' ')} exited ${String(code)}: ${stderr.trim() || stdout.trim()}`.slice(0, 2000)));
      else resolve(r);
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

const live = new Set<Proc>();

/** A long-running child, its output kept (bounded) for readiness checks and error reports. */
export class Proc {
  readonly child: ChildProcess;
  readonly pid: number;
  private output = '';
  private exited: Promise<void>;
  exitCode: number | null | undefined;

  constructor(
    readonly name: string,
    cmd: readonly string[],
    env?: NodeJS.ProcessEnv,
  ) {
    const [file, ...args] = cmd;
    if (file === undefined) throw new Error('Proc: empty command');
    this.child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: env ?? process.env });
    if (this.child.pid === undefined) throw new Error(`could not start ${name}`);
    this.pid = this.child.pid;
    const keep = (d: string): void => {
      this.output += d;
      // Keep the last 64 KiB: enough for readiness lines and error reports.
      if (this.output.length > 65536) this.output = this.output.slice(-32768);
    };
    this.child.stdout?.setEncoding('utf8').on('data', keep);
    this.child.stderr?.setEncoding('utf8').on('data', keep);
    this.child.on('error', () => undefined);
    this.exited = new Promise((r) =>
      this.child.on('exit', (code) => {
        this.exitCode = code;
        live.delete(this);
        r();
      }),
    );
    live.add(this);
  }

  get text(): string {
    return this.output;
  }

  get alive(): boolean {
    return this.exitCode === undefined;
  }

  /** Waits until the output matches `re`; rejects on exit or after `timeoutMs`. */
  async waitFor(re: RegExp, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (re.test(this.output)) return;
      if (!this.alive) throw new Error(`${this.name} exited (${String(this.exitCode)}) before ${re}: ${this.output.slice(-1500)}`);
      await sleep(50);
    }
    throw new Error(`${this.name}: timed out after ${timeoutMs} ms waiting for ${re}: ${this.output.slice(-1500)}`);
  }

  /** SIGTERM, then SIGKILL after `graceMs`; by PID only. */
  async stop(graceMs = 3000): Promise<void> {
    if (!this.alive) return;
    signal(this.pid, 'SIGTERM');
    const t = setTimeout(() => signal(this.pid, 'SIGKILL'), graceMs);
    await Promise.race([this.exited, sleep(graceMs + 2000)]);
    clearTimeout(t);
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** SIGKILLs every process still running that this module started (exit safety net). */
export function killAllSync(): void {
  for (const p of live) signal(p.pid, 'SIGKILL');
}

/** Stops every live process politely, in parallel. */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((p) => p.stop(2000)));
}

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    const n = Number.parseInt(r.stdout ?? '', 10);
    clockTicks = Number.isInteger(n) && n > 0 ? n : 100;
  }
  return clockTicks;
}

/**
 * CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat fields 14 and 15
 * (proc(5)); undefined when the process is gone. The command name (field 2) may hold spaces, so
 * fields are counted after its closing parenthesis.
 */
export function cpuSeconds(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state), so field 14 (utime) is rest[11] and field 15 (stime) rest[12].
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return (utime + stime) / ticksPerSecond();
}

/** Whether an executable is on PATH (or an absolute path that exists). */
export function haveBinary(name: string): boolean {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() !== '';
}

function cpuTotals(): { busy: number; total: number } {
  let line = '';
  try {
    line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  } catch {
    return { busy: 0, total: 0 };
  }
  // cpu user nice system idle iowait irq softirq steal ... (proc(5)); idle + iowait = not busy.
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  return { busy: total - idle, total };
}

/** Share of all CPUs busy (0..100) over the next `ms` milliseconds, from /proc/stat. */
export async function machineBusyPercent(ms = 1000): Promise<number> {
  const a = cpuTotals();
  await sleep(ms);
  const b = cpuTotals();
  const dt = b.total - a.total;
  return dt > 0 ? ((b.busy - a.busy) / dt) * 100 : 0;
}
