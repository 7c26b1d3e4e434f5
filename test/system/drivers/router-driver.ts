/**
 * A minimal router process for system tests of the data plane: a configuration store, the
 * network driver (UDP, TUN, routes) and a console session, inside the namespace it runs in.
 * argv[2] is a RouterOS script run at start. Each stdin line is a console command; the reply is
 * one JSON line `{ev: 'reply', lines, error?}`. Logs are JSON lines `{ev: 'log', ...}`.
 * SIGTERM or a `/quit` line shuts down cleanly (StopCCN, interfaces removed).
 */
import { createInterface } from 'node:readline';
import type { Logger } from '../../../src/core/log.js';
import { ConfigStore } from '../../../src/config/store.js';
import { ConsoleSession } from '../../../src/frontends/console/session.js';
import { NetworkDriver } from '../../../src/daemon/network.js';

function out(obj: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

const logger: Logger = {
  log(topics, message) {
    if (topics.includes('debug') && process.env['DRIVER_DEBUG'] !== '1') return;
    out({ ev: 'log', topics, message });
  },
};

const store = new ConfigStore();
const net = new NetworkDriver(store, { logger });
const session = new ConsoleSession(store, net.router);
net.start();

function run(text: string): void {
  const r = session.runScript(text);
  if (r.changes.length > 0) net.applyChanges(r.changes);
  out({ ev: 'reply', lines: r.lines, ...(r.error ? { error: r.error.message } : {}) });
}

const discovered = await net.discoverInterfaces();
void discovered;
run(process.argv[2] ?? '');
out({ ev: 'ready' });

let closing = false;
async function shutdown(): Promise<void> {
  if (closing) return;
  closing = true;
  await net.shutdown();
  out({ ev: 'exit' });
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown());
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === '/quit') void shutdown();
  else run(line);
});
