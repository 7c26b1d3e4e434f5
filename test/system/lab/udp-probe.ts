/**
 * A tiny UDP endpoint that runs inside a network namespace (via `Netns.spawnNode`), for tests
 * that must send or receive from a namespace's address: binds, then obeys JSON commands on stdin
 * and reports JSON lines on stdout.
 *
 * Usage: `udp-probe <bind-ip> <bind-port> [--echo]`
 *   out: {"event":"ready","local":{"ip","port"}}            once bound
 *   out: {"event":"datagram","from":{"ip","port"},"hex":"..."} per datagram received
 *   out: {"event":"error","code","message"}                 send/socket errors
 *   in:  {"send":"<hex>","to":{"ip","port"}}                  send one datagram
 *   in:  {"quit":true}                                       close and exit 0
 * `--echo` sends every datagram back to its sender (a reachability responder).
 * Exits by itself after 5 minutes, so a lost harness never leaves it running.
 */
import { createInterface } from 'node:readline';
import { UdpPort } from '../../../src/platform/udp.js';
import { hex, fromHex } from '../../../src/core/bytes.js';

const [ip = '0.0.0.0', portText = '0', ...flags] = process.argv.slice(2);
const echo = flags.includes('--echo');
const out = (m: Record<string, unknown>): void => {
  process.stdout.write(JSON.stringify(m) + '\n');
};

const port = await UdpPort.open({ address: ip, port: Number(portText) });
port.onDatagram((from, bytes) => {
  out({ event: 'datagram', from, hex: hex(bytes) });
  if (echo) port.send(from, bytes);
});
port.onError((e) => out({ event: 'error', code: e.code, message: e.message }));
out({ event: 'ready', local: port.local });

const lifetime = setTimeout(() => void port.close().then(() => process.exit(3)), 300_000);
lifetime.unref();

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  let cmd: unknown;
  try {
    cmd = JSON.parse(line);
  } catch {
    out({ event: 'error', code: 'PROBE_ERR_JSON', message: `not JSON: ${line}` });
    return;
  }
  if (cmd === null || typeof cmd !== 'object') return;
  const c = cmd as { send?: unknown; to?: { ip?: unknown; port?: unknown }; quit?: unknown };
  if (c.quit === true) {
    void port.close().then(() => process.exit(0));
    return;
  }
  if (typeof c.send === 'string' && typeof c.to?.ip === 'string' && typeof c.to.port === 'number') {
    try {
      port.send({ ip: c.to.ip, port: c.to.port }, fromHex(c.send));
    } catch (err) {
      out({ event: 'error', code: 'PROBE_ERR_HEX', message: String(err) });
    }
  }
});
rl.on('close', () => void port.close().then(() => process.exit(0)));
