/**
 * The daemon process (`l2tp start`): data directory, lock, configuration load and save, the
 * optional `--import` script, the App (services), the control socket, and signals.
 *
 * Start-up, in order (any failure before step 6 exits non-zero and leaves the disk as it was):
 *   1. create the data directory (0700) if missing;
 *   2. take the pid-file lock: a second daemon on the same directory refuses to start;
 *   3. read `config.json`: missing -> the default configuration; unreadable or corrupt -> an
 *      error naming the file and the problem, exit 1, the file is never replaced;
 *   4. `--import FILE.rsc`: run the script as RouterOS `import` does, from `/`. Decision: a
 *      failing import is FATAL and nothing is saved (exit 1, config.json untouched). RouterOS
 *      keeps the commands before the error; for a provisioning script given on the command line
 *      a half-applied configuration that then starts serving is worse than a loud refusal, and
 *      the administrator re-runs it after fixing the line the error names;
 *   5. save (so an import is durable before anything runs), build the App, `app.start()`, save
 *      again if it changed anything;
 *   6. listen on `control.sock` (0600) and log `started`.
 * Running: each console command that changes configuration is saved durably, then applied to
 * the App, then answered (control.ts). A save failure is reported to the command's client and
 * logged; the next successful save brings the file up to date.
 * SIGTERM / SIGINT: stop accepting console connections, `app.shutdown()` (bounded in time),
 * save, remove the socket and the pid file, exit 0. A second signal during shutdown exits 1
 * at once (an impatient administrator; the configuration was already saved at every change).
 */
import { once } from 'node:events';
import type { Logger } from '../core/log.js';
import { ConfigStore, type ChangeRecord } from '../config/store.js';
import { ConsoleSession, type SessionOptions } from '../frontends/console/session.js';
import {
  acquireDataDirLock,
  controlSocketPath,
  ensureDataDir,
  readConfigFile,
  readUserFile,
  writeConfigFile,
  writeUserFile,
  type DataDirLock,
} from '../platform/config-file.js';
import { createConfigOnlyApp, type App, type AppFactory } from './app.js';
import { ControlServer, type ControlErrorInfo } from './control.js';
import { LogBuffer, logRuntime, streamSink } from './log-buffer.js';

export interface DaemonOptions {
  readonly dataDir: string;
  /** A RouterOS script run once at start-up (fatal on error; see the header). */
  readonly importText?: { readonly name: string; readonly text: string };
  readonly version: string;
  /** Builds the App from the loaded configuration (default: configuration only). */
  readonly appFactory?: AppFactory;
  /** Log lines (default: process.stdout). */
  readonly stdout?: NodeJS.WritableStream;
  /** Start-up errors (default: process.stderr). */
  readonly stderr?: NodeJS.WritableStream;
  /** Bound on `app.shutdown()` in ms (default 10 s). */
  readonly shutdownTimeoutMs?: number;
}

/** A daemon that started; `stopped` resolves with the exit code once it has shut down. */
export interface RunningDaemon {
  readonly app: App;
  readonly logger: Logger;
  readonly socketPath: string;
  /** Clean shutdown as on SIGTERM; resolves with the exit code. */
  stop(): Promise<number>;
  readonly stopped: Promise<number>;
}

const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

function two(n: number): string {
  return String(n).padStart(2, '0');
}

/** RouterOS v7 export header date: `2026-01-31 12:00:00`, local time. */
export function exportDate(at: Date): string {
  return `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())} ${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}`;
}

/** Commands an operator's script may run (event scripts keep the console's MAX_COMMANDS). */
const OPERATOR_MAX_COMMANDS = 200_000;

function sessionOptions(dataDir: string, version: string, logger?: Logger): SessionOptions {
  return {
    user: 'admin',
    // An operator's own script (exec, --import, /import) may be a whole configuration.
    maxCommands: OPERATOR_MAX_COMMANDS,
    // `:log info "..."` typed at the console lands in the daemon's log (and `/log print`).
    ...(logger ? { logger } : {}),
    // A getter: each export gets the time it was made, not the time the session opened.
    exportHeader: {
      get date() {
        return exportDate(new Date());
      },
      version,
    },
    readFile: (name) => readUserFile(dataDir, name),
    writeFile: (name, text) => writeUserFile(dataDir, name, text),
  };
}

/**
 * Starts the daemon. Returns a RunningDaemon, or an exit code (with the reason already printed
 * on stderr) when it could not start.
 */
export async function startDaemon(opts: DaemonOptions): Promise<RunningDaemon | number> {
  const stderr = opts.stderr ?? process.stderr;
  const fail = (message: string): number => {
    stderr.write(`l2tp: ${message}\n`);
    return 1;
  };
  const dir = opts.dataDir;
  const mk = ensureDataDir(dir);
  if (mk) return fail(mk.message);
  const lock = acquireDataDirLock(dir);
  if ('code' in lock) return fail(lock.message);
  let started = false;
  try {
    const result = await startLocked(opts, lock, fail);
    started = typeof result !== 'number';
    return result;
  } finally {
    if (!started) lock.release();
  }
}

async function startLocked(opts: DaemonOptions, lock: DataDirLock, fail: (m: string) => number): Promise<RunningDaemon | number> {
  const dir = opts.dataDir;
  const content = readConfigFile(dir);
  if ('code' in content) return fail(`${content.message}; not starting (the file is left as it is)`);
  let store: ConfigStore;
  if (content.kind === 'missing') {
    store = new ConfigStore();
  } else {
    const parsed = ConfigStore.deserialize(content.text);
    if (!(parsed instanceof ConfigStore)) {
      return fail(`cannot load configuration file ${content.path}: ${parsed.message}; not starting (the file is left as it is)`);
    }
    store = parsed;
  }

  // Like RouterOS's default logging rules: no debug topics unless asked (L2TP_DEBUG=1).
  const logs = new LogBuffer({ sink: streamSink(opts.stdout ?? process.stdout), debug: process.env['L2TP_DEBUG'] === '1' });
  const logger: Logger = logs;

  if (opts.importText) {
    const session = new ConsoleSession(store, logRuntime(logs), sessionOptions(dir, opts.version, logger));
    const r = session.runScript(opts.importText.text);
    for (const line of r.lines) logger.log(['system', 'info'], `import ${opts.importText.name}: ${line}`);
    if (r.error) {
      return fail(`import ${opts.importText.name} failed: ${r.error.message}; nothing was saved, not starting`);
    }
  }
  const firstSave = writeConfigFile(dir, store.serialize());
  if (firstSave) return fail(firstSave.message);

  const save = (): ControlErrorInfo | undefined => {
    const err = writeConfigFile(dir, store.serialize());
    if (!err) return undefined;
    logger.log(['system', 'error'], err.message);
    return { code: err.code, message: `failure: configuration not saved: ${err.message}` };
  };

  const factory = opts.appFactory ?? createConfigOnlyApp;
  // `persist`: the App changed the configuration itself (an on-up script, an address-list
  // timeout); it is saved at once, like a console change (a failure is logged by save()).
  const app = factory({ store, logger, logRuntime: logRuntime(logs), dataDir: dir, persist: () => void save() });
  const commit = (changes: readonly ChangeRecord[]): ControlErrorInfo | undefined => {
    const err = save();
    if (changes.length > 0) {
      try {
        app.applyChanges(changes);
      } catch (e) {
        logger.log(['system', 'error'], `applying changes: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      }
    }
    return err;
  };

  try {
    const own = await app.start();
    if (own.length > 0) {
      const err = save();
      if (err) logger.log(['system', 'error'], err.message);
    }
  } catch (e) {
    await app.shutdown().catch(() => undefined);
    return fail(`start-up failed: ${e instanceof Error ? e.message : String(e)}`);
  }

  const socketPath = controlSocketPath(dir);
  let control: ControlServer;
  try {
    control = await ControlServer.listen(socketPath, {
      store,
      runtime: app.runtime,
      logger,
      commit,
      sessionOptions: () => sessionOptions(dir, opts.version, logger),
    });
  } catch (e) {
    await app.shutdown().catch(() => undefined);
    return fail(`cannot listen on ${socketPath}: ${e instanceof Error ? e.message : String(e)}`);
  }
  logger.log(['system', 'info'], `l2tp ${opts.version} started, data directory ${dir}`);

  let stopping: Promise<number> | undefined;
  let resolveStopped: (code: number) => void = () => {};
  const stopped = new Promise<number>((r) => (resolveStopped = r));
  const stop = (): Promise<number> => {
    stopping ??= (async () => {
      logger.log(['system', 'info'], 'shutting down');
      await control.close().catch(() => undefined);
      const timeoutMs = opts.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
      const outcome = await Promise.race([
        app.shutdown().then(
          () => 'done' as const,
          (e: unknown) => {
            logger.log(['system', 'error'], `shutdown: ${e instanceof Error ? e.message : String(e)}`);
            return 'done' as const;
          },
        ),
        timeout,
      ]);
      clearTimeout(timer);
      if (outcome === 'timeout') logger.log(['system', 'warning'], `services did not stop within ${timeoutMs} ms`);
      const err = save();
      lock.release();
      const code = err ? 1 : 0;
      logger.log(['system', 'info'], err ? 'stopped; configuration NOT saved' : 'stopped, configuration saved');
      resolveStopped(code);
      return code;
    })();
    return stopping;
  };
  return { app, logger, socketPath, stop, stopped };
}

/**
 * `l2tp start`: starts the daemon in the foreground and runs it until SIGTERM/SIGINT. Resolves
 * with the process exit code.
 */
export async function runDaemon(opts: DaemonOptions): Promise<number> {
  const d = await startDaemon(opts);
  if (typeof d === 'number') return d;
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      d.logger.log(['system', 'warning'], `${sig} again: exiting now`);
      process.exit(1);
    }
    d.logger.log(['system', 'info'], `${sig} received`);
    void d.stop();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // SIGHUP (terminal closed) must not kill a daemon started from a shell that went away.
  process.on('SIGHUP', () => d.logger.log(['system', 'info'], 'SIGHUP ignored'));
  const code = await d.stopped;
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  // Let the last log lines reach stdout before the caller exits.
  const out = opts.stdout ?? process.stdout;
  if ('writableLength' in out && typeof out.writableLength === 'number' && out.writableLength > 0) {
    await Promise.race([once(out, 'drain'), new Promise((r) => setTimeout(r, 1000))]);
  }
  return code;
}
