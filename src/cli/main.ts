#!/usr/bin/env node
/**
 * `l2tp`: the command-line entry point (package.json bin). Dispatches to the daemon
 * (`start`), the one-shot console (`exec`) and the interactive console (`console`); usage and
 * exit statuses in args.ts (`USAGE`) and docs/console.md.
 *
 * `exec` prints exactly the lines the console would print (errors included, on stdout like the
 * console) and exits 0, or 1 when the text ended in an error (`failure: ...`, syntax errors),
 * or 2 when the daemon is not running. Usage errors exit 64 (EX_USAGE).
 *
 * The App the daemon runs is chosen by `appFactoryFor` below (src/daemon/app.ts describes the
 * contract).
 */
import { readFileSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createConfigOnlyApp, type AppFactory } from '../daemon/app.js';
import { createNetworkApp } from '../daemon/network-app.js';
import { runDaemon } from '../daemon/daemon.js';
import { controlSocketPath } from '../platform/config-file.js';
import { ArgError, USAGE, parseArgs, resolveDataDir } from './args.js';
import { ControlClient } from './client.js';
import { runConsole } from './console.js';
import { packageVersion } from './version.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_NOT_RUNNING = 2;
export const EXIT_USAGE = 64;

/**
 * What `l2tp start` runs: the network App (UDP, TUN, routes), or with `--no-network` the
 * configuration only (nothing opened, no kernel state touched: for preparing configurations and
 * for tests outside network namespaces).
 */
export function appFactoryFor(network: boolean): AppFactory {
  return network ? createNetworkApp : createConfigOnlyApp;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** Writes and waits until the text is handed to the OS (before process.exit). */
function out(stream: NodeJS.WriteStream, text: string): Promise<void> {
  return new Promise((resolve) => {
    if (text === '') resolve();
    else stream.write(text, () => resolve());
  });
}

async function connect(dataDir: string): Promise<ControlClient | number> {
  try {
    return await ControlClient.connect(controlSocketPath(dataDir));
  } catch (err) {
    await out(process.stderr, `l2tp: ${err instanceof Error ? err.message : String(err)}\n`);
    // Not running (no socket, nobody listening) and not reachable (permissions) both mean the
    // command could not be delivered: exit 2, distinct from a command that failed (1).
    return EXIT_NOT_RUNNING;
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  const cmd = parseArgs(argv);
  if (cmd instanceof ArgError) {
    await out(process.stderr, `l2tp: ${cmd.message}\n${USAGE}\n`);
    return EXIT_USAGE;
  }
  const dirOf = (option: string | undefined): string =>
    resolveDataDir(option, { env: process.env, uid: process.getuid?.() ?? -1, home: homedir() });
  switch (cmd.kind) {
    case 'help':
      await out(process.stdout, `${USAGE}\n`);
      return EXIT_OK;
    case 'version':
      await out(process.stdout, `l2tp ${packageVersion()}\n`);
      return EXIT_OK;
    case 'start': {
      let importText: { name: string; text: string } | undefined;
      if (cmd.importFile !== undefined) {
        try {
          importText = { name: basename(cmd.importFile), text: readFileSync(cmd.importFile, 'utf8') };
        } catch (err) {
          await out(process.stderr, `l2tp: cannot read ${cmd.importFile}: ${err instanceof Error ? err.message : String(err)}\n`);
          return EXIT_FAILURE;
        }
      }
      return runDaemon({
        dataDir: dirOf(cmd.dataDir),
        version: packageVersion(),
        appFactory: appFactoryFor(cmd.network),
        ...(importText ? { importText } : {}),
      });
    }
    case 'exec': {
      let text = cmd.text;
      if (text === undefined) {
        if (process.stdin.isTTY) {
          await out(process.stderr, `l2tp: exec needs a command (or a script on standard input)\n${USAGE}\n`);
          return EXIT_USAGE;
        }
        text = await readStdin();
      }
      const client = await connect(dirOf(cmd.dataDir));
      if (typeof client === 'number') return client;
      try {
        const reply = await client.request('run', text);
        await out(process.stdout, reply.lines.map((l) => `${l}\n`).join(''));
        return reply.error ? EXIT_FAILURE : EXIT_OK;
      } catch (err) {
        await out(process.stderr, `l2tp: ${err instanceof Error ? err.message : String(err)}\n`);
        return EXIT_NOT_RUNNING;
      } finally {
        client.close();
      }
    }
    case 'console': {
      const client = await connect(dirOf(cmd.dataDir));
      if (typeof client === 'number') return client;
      return runConsole(client);
    }
  }
}

/** True when this module is the program (run directly or through the npm bin symlink), not imported. */
function isEntryPoint(): boolean {
  const invoked = process.argv[1];
  if (invoked === undefined) return false;
  try {
    return realpathSync(invoked) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`l2tp: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(EXIT_FAILURE);
    },
  );
}
