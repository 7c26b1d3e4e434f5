/**
 * The daemon's data directory on disk: the configuration file (`config.json`), written by atomic
 * replace, and the pid-file lock that keeps a second daemon off the same directory.
 *
 * Why an atomic replace and not an embedded database: the configuration is small (kilobytes;
 * a RouterOS box with hundreds of secrets is still well under a megabyte), it is written only
 * when an administrator changes something, and it is always written whole (`ConfigStore.serialize`).
 * POSIX `rename(2)` replaces the target atomically, so a reader (or the next start after a crash)
 * sees either the old file or the new one, never a mixture; `fsync` of the file before the rename
 * and of the directory after it makes the new name durable across a power cut. That gives the
 * guarantee an embedded database would give (each change durable and all-or-nothing), with no
 * dependency, no native module, no journal files to recover, and a file an administrator can
 * read, back up and diff. A write-ahead log would only pay off for large, frequently changing
 * state, which this is not.
 *
 * Write sequence (`writeConfigFile`):
 *   1. write the whole text to `config.json.tmp` (created 0600, truncated),
 *   2. `fsync` it: the data is on disk before the name points at it,
 *   3. `rename` it over `config.json`: the atomic step,
 *   4. `fsync` the directory: the rename itself is durable.
 * A crash before 3 leaves the old `config.json` intact and a stray `config.json.tmp`, which is
 * never read: `readConfigFile` deletes it. A crash after 3 leaves the new file.
 *
 * Reading (`readConfigFile`): a missing file is a fresh start; a file that exists but cannot be
 * read is an error naming the file and the reason, and this module never replaces it (the
 * caller refuses to start; the administrator decides). Parsing is the caller's job (the config
 * layer's `ConfigStore.deserialize`), which reports corruption the same way.
 *
 * Lock (`acquireDataDirLock`): `l2tp.pid`, created with O_EXCL, holding the daemon's pid. A pid
 * file left by a daemon that died (SIGKILL, power cut) names a process that no longer exists (or
 * is ourselves, after a container restart reuses pids): it is stale and taken over. Two daemons
 * starting at the very same instant on a stale file could both take it over; the window is a
 * few microseconds and needs a crashed daemon plus two simultaneous starts, which we accept.
 *
 * Everything here is synchronous on purpose: the daemon serialises console commands, and a
 * command's reply must not be sent before its change is on disk; a synchronous write of a few
 * kilobytes plus two fsyncs keeps that ordering trivially correct.
 */
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  constants as fsConstants,
} from 'node:fs';
import { join } from 'node:path';

export const CONFIG_FILE = 'config.json';
export const CONFIG_TMP_FILE = 'config.json.tmp';
export const PID_FILE = 'l2tp.pid';
export const CONTROL_SOCKET = 'control.sock';

export type DataDirErrorCode =
  | 'DATADIR_CREATE'
  | 'CONFIG_UNREADABLE'
  | 'CONFIG_WRITE'
  | 'DATADIR_LOCKED'
  | 'DATADIR_LOCK';

/** A data-directory problem with a stable code; `message` names the file and the reason. */
export class DataDirError extends Error {
  constructor(
    readonly code: DataDirErrorCode,
    readonly path: string,
    message: string,
  ) {
    super(message);
    this.name = 'DataDirError';
  }
}

function reason(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code !== undefined ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

function errnoOf(err: unknown): string | undefined {
  return err instanceof Error ? (err as NodeJS.ErrnoException).code : undefined;
}

/** Creates the data directory (and parents) if needed; new directories are private (0700). */
export function ensureDataDir(dir: string): DataDirError | undefined {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return undefined;
  } catch (err) {
    return new DataDirError('DATADIR_CREATE', dir, `cannot create data directory ${dir}: ${reason(err)}`);
  }
}

export type ConfigFileContent = { readonly kind: 'missing' } | { readonly kind: 'text'; readonly text: string; readonly path: string };

/**
 * Reads `<dir>/config.json`. Removes a `config.json.tmp` left by a crash first (it is either
 * incomplete or identical to a rename that did not happen; the real file is authoritative).
 */
export function readConfigFile(dir: string): ConfigFileContent | DataDirError {
  const path = join(dir, CONFIG_FILE);
  try {
    unlinkSync(join(dir, CONFIG_TMP_FILE));
  } catch {
    // usually absent; if it cannot be removed the next write truncates it anyway
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return { kind: 'missing' };
    return new DataDirError('CONFIG_UNREADABLE', path, `cannot read configuration file ${path}: ${reason(err)}`);
  }
  return { kind: 'text', text, path };
}

/** Atomically and durably replaces `<dir>/config.json` with `text` (sequence in the header). */
export function writeConfigFile(dir: string, text: string): DataDirError | undefined {
  const tmp = join(dir, CONFIG_TMP_FILE);
  const path = join(dir, CONFIG_FILE);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_TRUNC, 0o600);
    const bytes = Buffer.from(text, 'utf8');
    let off = 0;
    // writeSync may write less than asked (signals, full pipes); loop until done, bounded by size.
    while (off < bytes.length) {
      const n = writeSync(fd, bytes, off, bytes.length - off);
      if (n <= 0) throw new Error('short write');
      off += n;
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // already failing; the original error is what matters
      }
    }
    try {
      unlinkSync(tmp);
    } catch {
      // nothing to clean
    }
    return new DataDirError('CONFIG_WRITE', path, `cannot write configuration file ${path}: ${reason(err)}`);
  }
  return fsyncDirectory(dir, path);
}

function fsyncDirectory(dir: string, path: string): DataDirError | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(dir, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY);
    fsyncSync(fd);
    return undefined;
  } catch (err) {
    // Some file systems refuse fsync on a directory (EINVAL); the rename is still atomic there.
    if (errnoOf(err) === 'EINVAL') return undefined;
    return new DataDirError('CONFIG_WRITE', path, `cannot sync directory of ${path}: ${reason(err)}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

// ---------------------------------------------------------------------------------------------
// Lock

export interface DataDirLock {
  readonly path: string;
  /** Removes the pid file if it is still ours. Idempotent. */
  release(): void;
}

/** True when `pid` is a live process (not a zombie) other than this one. */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    if (errnoOf(err) !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    // No /proc (not Linux) or a race with its exit: trust the signal probe.
    return true;
  }
}

const LOCK_ATTEMPTS = 3;

/** Takes `<dir>/l2tp.pid` for this process, or says which daemon holds it. */
export function acquireDataDirLock(dir: string): DataDirLock | DataDirError {
  const path = join(dir, PID_FILE);
  for (let attempt = 0; attempt < LOCK_ATTEMPTS; attempt++) {
    try {
      const fd = openSync(path, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o644);
      try {
        writeSync(fd, `${process.pid}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      const pid = process.pid;
      let released = false;
      return {
        path,
        release: () => {
          if (released) return;
          released = true;
          try {
            if (readFileSync(path, 'utf8').trim() === String(pid)) unlinkSync(path);
          } catch {
            // already gone
          }
        },
      };
    } catch (err) {
      if (errnoOf(err) !== 'EEXIST') {
        return new DataDirError('DATADIR_LOCK', path, `cannot create pid file ${path}: ${reason(err)}`);
      }
    }
    let holder: number | undefined;
    try {
      const n = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
      holder = Number.isInteger(n) && n > 0 ? n : undefined;
    } catch {
      holder = undefined;
    }
    if (holder !== undefined && processAlive(holder)) {
      return new DataDirError('DATADIR_LOCKED', path, `another l2tp daemon (pid ${holder}) is running on ${dir} (pid file ${path})`);
    }
    if (holder === undefined && recentlyModified(path)) {
      // Another daemon is between its O_EXCL create and its write of the pid.
      return new DataDirError('DATADIR_LOCKED', path, `another l2tp daemon is starting on ${dir} (pid file ${path})`);
    }
    // Stale (dead pid) or empty for a while (a crash between create and write): take it over.
    try {
      unlinkSync(path);
    } catch {
      // someone else removed it first; try again
    }
  }
  return new DataDirError('DATADIR_LOCK', path, `cannot take pid file ${path}: it keeps reappearing`);
}

const FRESH_LOCK_MS = 5_000;

function recentlyModified(path: string): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs < FRESH_LOCK_MS;
  } catch {
    return false;
  }
}

/** Path helpers, so callers never spell file names themselves. */
export function configPath(dir: string): string {
  return join(dir, CONFIG_FILE);
}
export function controlSocketPath(dir: string): string {
  return join(dir, CONTROL_SOCKET);
}

// ---------------------------------------------------------------------------------------------
// User files (`export file=`, `import`)

export const FILES_DIR = 'files';

/**
 * `<dir>/files/<name>`: console files live in their own folder so `export file=config.json`
 * can never overwrite the configuration or the lock. Names are plain file names (no `/`, not
 * starting with `.`); `export file=x` writes `x.rsc` as RouterOS does.
 */
function userFilePath(dir: string, name: string): string | undefined {
  if (name === '' || name.includes('/') || name.includes('\0') || name.startsWith('.') || name.length > 255) return undefined;
  return join(dir, FILES_DIR, name);
}

/** Contents of a console file (tries `name`, then `name.rsc`), or undefined. */
export function readUserFile(dir: string, name: string): string | undefined {
  for (const candidate of [name, `${name}.rsc`]) {
    const path = userFilePath(dir, candidate);
    if (path === undefined) return undefined;
    try {
      return readFileSync(path, 'utf8');
    } catch {
      // try the next spelling
    }
  }
  return undefined;
}

/** Writes a console file durably (same atomic sequence as the configuration); returns an error text. */
export function writeUserFile(dir: string, name: string, text: string): string | undefined {
  const fileName = /\.[A-Za-z0-9]+$/.test(name) ? name : `${name}.rsc`;
  const path = userFilePath(dir, fileName);
  if (path === undefined) return 'invalid file name';
  const folder = join(dir, FILES_DIR);
  try {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    const tmp = `${path}.tmp`;
    const fd = openSync(tmp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_TRUNC, 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    return undefined;
  } catch (err) {
    return `cannot write ${fileName}: ${reason(err)}`;
  }
}
