/**
 * `l2tp console`: the interactive RouterOS-style console over the control socket, with
 * node:readline (no dependency).
 *
 * - The prompt (`[admin@MikroTik] /ppp secret> `) and the current menu live daemon-side, one
 *   ConsoleSession per connection; every reply carries the prompt to show next.
 * - Tab completes through the daemon (`complete`); `?` prints help for the line typed so far
 *   (`help`) without submitting it, and the line stays as typed. A `?` inside double quotes or
 *   after a backslash is an ordinary character.
 * - A line ending in `\` continues on the next line (sent as one text, as RouterOS does).
 * - History: in memory, and in `~/.l2tp_history` (or `$L2TP_HISTORY_FILE`; set it to empty to
 *   keep none), last 500 lines.
 * - Commands that ask to be repeated (monitor without `once`, `print interval=`) are repeated
 *   client-side: the console sends `repeat` every `repeatMs` and redraws the block until Ctrl-C.
 *   When stdin is not a terminal there is no Ctrl-C to stop it, so they run once.
 * - Ctrl-C clears the line being typed; Ctrl-D on an empty line, `/quit` or `quit` exits.
 * Lines are handled strictly in order, also when a whole script is pasted or piped in.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface, emitKeypressEvents, type Interface } from 'node:readline';
import type { ControlReply } from '../daemon/control.js';
import type { ControlClient } from './client.js';

const HISTORY_SIZE = 500;

export interface ConsoleIo {
  readonly input: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly output: NodeJS.WritableStream & { isTTY?: boolean };
  readonly historyFile?: string | undefined;
}

function defaultHistoryFile(): string | undefined {
  const env = process.env['L2TP_HISTORY_FILE'];
  if (env !== undefined) return env === '' ? undefined : env;
  return join(homedir(), '.l2tp_history');
}

function loadHistory(file: string | undefined): string[] {
  if (file === undefined) return [];
  try {
    // readline wants the newest entry first.
    return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').slice(-HISTORY_SIZE).reverse();
  } catch {
    return [];
  }
}

function saveHistory(file: string | undefined, history: readonly string[]): void {
  if (file === undefined) return;
  try {
    writeFileSync(file, `${[...history].reverse().join('\n')}\n`, { mode: 0o600 });
  } catch {
    // history is a convenience
  }
}

/** True when a `?` typed at the end of `line` is a literal character (quoted or escaped). */
export function questionMarkIsLiteral(line: string): boolean {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '\\') {
      if (i === line.length - 1) return true;
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
  }
  return quoted;
}

/** The part of `line` that readline replaces with a completion: the last word. */
export function completionWord(line: string): string {
  const m = /[^\s[\]]*$/.exec(line);
  return m ? m[0] : '';
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Runs the console until the user quits or the daemon goes away; resolves with the exit code. */
export async function runConsole(client: ControlClient, io: ConsoleIo = { input: process.stdin, output: process.stdout }): Promise<number> {
  const terminal = io.input.isTTY === true && io.output.isTTY === true;
  const historyFile = terminal ? (io.historyFile ?? defaultHistoryFile()) : undefined;
  const write = (lines: readonly string[]): void => {
    for (const l of lines) io.output.write(`${l}\n`);
  };

  let first: ControlReply;
  try {
    first = await client.request('prompt');
  } catch (err) {
    io.output.write(`${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }

  const rl: Interface = createInterface({
    input: io.input,
    output: io.output,
    terminal,
    historySize: HISTORY_SIZE,
    history: loadHistory(historyFile),
    removeHistoryDuplicates: true,
    completer: (line: string, callback: (err: Error | null, result: [string[], string]) => void) => {
      client.request('complete', line, line.length).then(
        (r) => {
          const list = r.completions ?? [];
          // A single finished word (a menu, a verb, a value) gets its separating space, as on
          // RouterOS; `name=` waits for its value.
          const only = list.length === 1 ? list[0] : undefined;
          callback(null, [only !== undefined && !only.endsWith('=') ? [`${only} `] : list, completionWord(line)]);
        },
        () => callback(null, [[], completionWord(line)]),
      );
    },
  });
  let history: string[] = loadHistory(historyFile);
  rl.on('history', (h: string[]) => (history = h));
  rl.setPrompt(first.prompt);

  let repeating = false;
  let exitCode = 0;
  let continued = '';
  let quit = false;

  rl.on('SIGINT', () => {
    if (repeating) {
      repeating = false;
      return;
    }
    // Like a shell: abandon the line being typed.
    continued = '';
    io.output.write('^C\n');
    // Ctrl-U clears the typed text and redraws the prompt on the fresh line.
    rl.write(null, { ctrl: true, name: 'u' });
  });

  if (terminal) {
    // readline inserts the `?` first (its listener was attached first); we take it out again
    // and show help for the line as it was, then redraw the prompt with the line intact.
    emitKeypressEvents(io.input, rl);
    io.input.on('keypress', (s: string | undefined) => {
      if (s !== '?' || repeating) return;
      const before = rl.line.slice(0, rl.cursor);
      const typed = before.slice(0, -1);
      if (!before.endsWith('?') || questionMarkIsLiteral(typed)) return;
      rl.write(null, { name: 'backspace' });
      client.request('help', continued + typed).then(
        (r) => {
          io.output.write('\n');
          write(r.lines);
          rl.prompt(true);
        },
        () => undefined,
      );
    });
  }

  const runRepeat = async (reply: ControlReply): Promise<void> => {
    const period = reply.repeatMs ?? 1000;
    let shown = reply.lines.length;
    repeating = true;
    // Ends on Ctrl-C, an error, or the daemon going away.
    while (repeating) {
      await sleep(period);
      if (!repeating) break;
      let r: ControlReply;
      try {
        r = await client.request('repeat');
      } catch {
        break;
      }
      // Redraw in place: up `shown` lines, clear to the end of the screen.
      if (shown > 0) io.output.write(`\x1b[${shown}F\x1b[J`);
      write(r.lines);
      shown = r.lines.length;
      if (r.error || r.repeatMs === undefined) break;
    }
    repeating = false;
  };

  const handle = async (line: string): Promise<void> => {
    if (line.endsWith('\\') && !line.endsWith('\\\\')) {
      continued += `${line}\n`;
      return;
    }
    const text = continued + line;
    continued = '';
    const word = text.trim();
    if (word === '/quit' || word === 'quit' || word === '/exit') {
      quit = true;
      rl.close();
      return;
    }
    let reply: ControlReply;
    try {
      reply = await client.request('run', text);
    } catch (err) {
      io.output.write(`${err instanceof Error ? err.message : String(err)}\n`);
      exitCode = 2;
      quit = true;
      rl.close();
      return;
    }
    write(reply.lines);
    // Piped scripts: the exit status says whether any command failed.
    if (reply.error) exitCode = 1;
    rl.setPrompt(reply.prompt);
    if (reply.repeatMs !== undefined && terminal) await runRepeat(reply);
  };

  return new Promise<number>((resolve) => {
    let chain: Promise<void> = Promise.resolve();
    rl.on('line', (line: string) => {
      chain = chain.then(async () => {
        if (quit) return;
        await handle(line);
        if (!quit) rl.prompt();
      });
    });
    rl.on('close', () => {
      void chain.then(() => {
        saveHistory(historyFile, history);
        if (terminal && !quit) io.output.write('\n');
        client.close();
        resolve(terminal ? 0 : exitCode);
      });
    });
    rl.prompt();
  });
}
