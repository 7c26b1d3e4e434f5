/**
 * Traffic through a tunnel for system tests: a TCP transfer from one namespace to a listener in
 * another, checksummed on both ends (small Node programs run inside the namespaces).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Netns } from './netns.js';

const ev = (name: string) => (m: Record<string, unknown>) => m['ev'] === name;

/** Sends `payload` over TCP from `from` to `ip:port` (a listener started in `to`); checks length and SHA-256. */
export async function tcpTransfer(from: Netns, to: Netns, ip: string, port: number, payload: Uint8Array, timeoutMs = 60_000): Promise<void> {
  const want = createHash('sha256').update(payload).digest('hex');
  const sink = to.spawn([process.execPath, '-e', `
    const net = require('node:net'); const crypto = require('node:crypto');
    const h = crypto.createHash('sha256'); let n = 0;
    const srv = net.createServer((s) => { s.on('data', (d) => { h.update(d); n += d.length; }); s.on('end', () => { console.log(JSON.stringify({ ev: 'done', n, sha: h.digest('hex') })); srv.close(); }); });
    srv.listen(${port}, '${ip}', () => console.log(JSON.stringify({ ev: 'listening' })));
  `]);
  await sink.waitForMessage(ev('listening'), 'tcp sink listening', 5_000);
  const source = from.spawn([process.execPath, '-e', `
    const net = require('node:net'); const chunks = [];
    process.stdin.on('data', (d) => chunks.push(d)).on('end', () => { const s = net.connect(${port}, '${ip}', () => s.end(Buffer.concat(chunks))); });
  `]);
  source.writeRaw(payload);
  source.endInput();
  const done = await sink.waitForMessage(ev('done'), 'tcp transfer', timeoutMs);
  assert.equal(done['n'], payload.length, 'all bytes arrived');
  assert.equal(done['sha'], want, 'checksum matches');
}
