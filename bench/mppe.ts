/**
 * Micro-benchmark of the MPPE data path (src/ppp/mppe.ts): encrypt and decrypt of 1400-octet
 * datagrams, one sender and one receiver, stateless and stateful, 40- and 128-bit keys. Not a
 * test: run it by hand,
 *
 *   node --import tsx bench/mppe.ts
 *
 * Each row is the best of several ~200 ms rounds on one core, in packets per second and MB/s of
 * datagram payload. Stateless rows include one key change (SHA-1 + two RC4 key schedules) per
 * packet, which dominates them.
 */
import { MppeReceiver, MppeSender } from '../src/ppp/mppe.js';
import { measureRate } from './lib/rate.js';

const SIZE = 1400;

function row(name: string, pps: number): void {
  console.log(`${name.padEnd(40)} ${pps.toFixed(0).padStart(9)} pkt/s ${((pps * SIZE) / 1e6).toFixed(0).padStart(6)} MB/s`);
}

console.log(`node ${process.version}, ${SIZE}-octet datagrams`);
const start = new Uint8Array(16).map((_, i) => i * 29 + 5);
const data = new Uint8Array(SIZE).fill(0x45);
for (const bits of [128, 40] as const) {
  for (const stateless of [true, false]) {
    const mode = stateless ? 'stateless' : 'stateful';
    const s = new MppeSender(start, bits, stateless);
    const frame = new Uint8Array(SIZE + 4);
    row(`MPPE${bits} ${mode} encrypt`, measureRate(() => s.encryptDatagram(0x0021, data, frame, 0)));
    // Decrypt needs frames in order: pre-encrypt a ring of them and replay it with a fresh
    // receiver per lap (a lap is 4096 packets, the coherency count space).
    const ring: Uint8Array[] = [];
    const tx = new MppeSender(start, bits, stateless);
    for (let n = 0; n < 4096; n++) {
      const f = new Uint8Array(SIZE + 4);
      tx.encryptDatagram(0x0021, data, f, 0);
      ring.push(f);
    }
    const out = new Uint8Array(SIZE + 4);
    let rx = new MppeReceiver(start, bits, stateless);
    let k = 0;
    row(`MPPE${bits} ${mode} decrypt`, measureRate(() => {
      if (k === ring.length) {
        k = 0;
        rx = new MppeReceiver(start, bits, stateless);
      }
      if (rx.decrypt(ring[k++]!, out, 0) < 0) throw new Error('bench: decrypt failed');
    }));
  }
}
