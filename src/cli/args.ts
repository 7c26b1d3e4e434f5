/**
 * Command-line parsing for `l2tp` (pure: argv and environment in, a command or an error out).
 *
 *   l2tp start   [--data-dir DIR] [--import FILE.rsc]
 *   l2tp exec    [--data-dir DIR] [--] '<console command>' ...   (no text: the script is read from stdin)
 *   l2tp console [--data-dir DIR]
 *   l2tp --help | -h | help        l2tp --version | -V | version
 *
 * Options may come before or after the command word, as `--opt VALUE` or `--opt=VALUE`. For
 * `exec`, the words after the options are joined with spaces, so both
 * `l2tp exec '/ppp secret print'` and `l2tp exec /ppp secret print` work; `--` ends the options
 * (a command text starting with `-`).
 *
 * Data directory (`resolveDataDir`): `--data-dir`, else `$L2TP_DATA_DIR`, else `/var/lib/l2tp`
 * for root, else `$XDG_STATE_HOME/l2tp`, else `~/.local/state/l2tp` (XDG base directory spec:
 * state that should persist between restarts but is not user documents).
 */
import { join } from 'node:path';

export type CliCommand =
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'start'; readonly dataDir?: string; readonly importFile?: string; readonly network: boolean }
  | { readonly kind: 'exec'; readonly dataDir?: string; readonly text?: string }
  | { readonly kind: 'console'; readonly dataDir?: string };

export class ArgError {
  readonly code = 'CLI_USAGE';
  constructor(readonly message: string) {}
}

const COMMANDS = ['start', 'exec', 'console', 'help', 'version'] as const;
type CommandWord = (typeof COMMANDS)[number];

/** Options each command accepts (all take a value). */
const OPTIONS: Readonly<Record<CommandWord, readonly string[]>> = {
  start: ['data-dir', 'import'],
  exec: ['data-dir'],
  console: ['data-dir'],
  help: [],
  version: [],
};

export function parseArgs(argv: readonly string[]): CliCommand | ArgError {
  let command: CommandWord | undefined;
  const options = new Map<string, string>();
  const words: string[] = [];
  let flagHelp = false;
  let flagVersion = false;
  let noNetwork = false;
  let i = 0;
  let endOfOptions = false;
  // Bounded by argv's length: every pass consumes one or two elements.
  while (i < argv.length) {
    const a = argv[i] ?? '';
    i++;
    if (!endOfOptions && a === '--') {
      endOfOptions = true;
      continue;
    }
    if (!endOfOptions && (a === '--help' || a === '-h')) {
      flagHelp = true;
      continue;
    }
    if (!endOfOptions && (a === '--version' || a === '-V')) {
      flagVersion = true;
      continue;
    }
    if (!endOfOptions && a === '--no-network') {
      noNetwork = true;
      continue;
    }
    if (!endOfOptions && a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      if (name !== 'data-dir' && name !== 'import') return new ArgError(`unknown option --${name}`);
      let value: string | undefined;
      if (eq >= 0) value = a.slice(eq + 1);
      else {
        value = argv[i];
        i++;
      }
      if (value === undefined || value === '') return new ArgError(`option --${name} needs a value`);
      if (options.has(name)) return new ArgError(`option --${name} given twice`);
      options.set(name, value);
      continue;
    }
    if (!endOfOptions && a.startsWith('-') && a.length > 1 && command !== 'exec') return new ArgError(`unknown option ${a}`);
    if (command === undefined) {
      if (!(COMMANDS as readonly string[]).includes(a)) return new ArgError(`unknown command ${JSON.stringify(a)} (try l2tp --help)`);
      command = a as CommandWord;
      continue;
    }
    words.push(a);
  }
  if (flagHelp || command === 'help') return { kind: 'help' };
  if (flagVersion || command === 'version') return { kind: 'version' };
  if (command === undefined) return new ArgError('missing command (try l2tp --help)');
  for (const name of options.keys()) {
    if (!OPTIONS[command].includes(name)) return new ArgError(`option --${name} does not apply to ${command}`);
  }
  if (noNetwork && command !== 'start') return new ArgError(`option --no-network does not apply to ${command}`);
  const dataDir = options.get('data-dir');
  const dd = dataDir !== undefined ? { dataDir } : {};
  switch (command) {
    case 'start': {
      if (words.length > 0) return new ArgError(`unexpected argument ${JSON.stringify(words[0])}`);
      const importFile = options.get('import');
      return { kind: 'start', ...dd, ...(importFile !== undefined ? { importFile } : {}), network: !noNetwork };
    }
    case 'exec':
      return { kind: 'exec', ...dd, ...(words.length > 0 ? { text: words.join(' ') } : {}) };
    case 'console':
      if (words.length > 0) return new ArgError(`unexpected argument ${JSON.stringify(words[0])}`);
      return { kind: 'console', ...dd };
  }
}

export interface DataDirEnv {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Effective uid (0 = root). */
  readonly uid: number;
  readonly home: string;
}

/** The data directory: the option, else the environment, else the default for this user. */
export function resolveDataDir(option: string | undefined, e: DataDirEnv): string {
  if (option !== undefined) return option;
  const fromEnv = e.env['L2TP_DATA_DIR'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (e.uid === 0) return '/var/lib/l2tp';
  const xdg = e.env['XDG_STATE_HOME'];
  // The XDG spec: a relative path in an XDG variable is invalid and must be ignored.
  if (xdg !== undefined && xdg.startsWith('/')) return join(xdg, 'l2tp');
  return join(e.home, '.local', 'state', 'l2tp');
}

export const USAGE = `Usage:
  l2tp start   [--data-dir DIR] [--import FILE.rsc] [--no-network]
               run the daemon in the foreground (--no-network: configuration only, no
               sockets, interfaces or kernel settings)
  l2tp exec    [--data-dir DIR] '<console command>'   run console commands in the daemon
  l2tp console [--data-dir DIR]                       interactive RouterOS-style console
  l2tp --help | --version

exec runs several commands separated by ';' or newlines, in order; with no command text it
reads the script from standard input. Exit status: 0 ok, 1 the command failed (failure:,
syntax error), 2 the daemon is not running or cannot be reached, 64 usage error.

Data directory (config.json, control.sock, l2tp.pid): --data-dir, else $L2TP_DATA_DIR, else
/var/lib/l2tp for root, else $XDG_STATE_HOME/l2tp or ~/.local/state/l2tp.
See docs/console.md.`;
