import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { loadNative, nativeAvailable } from './native.js';
import { encodePeer, NativeUdpPort } from './udp-native.js';
import type { Address } from './udp.js';

const skip = nativeAvailable() ? false : 'native addon not built';

function collect(port: NativeUdpPort, want: number, timeoutMs = 3000): Promise<{ from: Address; bytes: Uint8Array }[]> {
  const got: { from: Address; bytes: Uint8Array }[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timeout: ${got.length}/${want} datagrams`)), timeoutMs);
    port.onDatagram((from, bytes) => {
      // Borrowed view: copy to keep it.
      got.push({ from, bytes: bytes.slice() });
      if (got.length === want) {
        clearTimeout(timer);
        resolve(got);
      }
    });
  });
}

test('encodePeer: IPv4, IPv6, mapped and unparsable addresses', () => {
  assert.deepEqual([...encodePeer({ ip: '10.1.2.3', port: 1701 })], [4, 0, 6, 0xa5, 10, 1, 2, 3, ...new Array(12).fill(0)]);
  const v6 = encodePeer({ ip: '2001:db8::1', port: 1 });
  assert.equal(v6[0], 6);
  assert.deepEqual([...v6.subarray(4)], [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  const mapped = encodePeer({ ip: '::ffff:127.0.0.1', port: 2 });
  assert.equal(mapped[0], 4);
  assert.deepEqual([...mapped.subarray(4, 8)], [127, 0, 0, 1]);
  assert.equal(encodePeer({ ip: 'not-an-ip', port: 3 })[0], 0);
  assert.equal(encodePeer({ ip: '1.2.3.256', port: 3 })[0], 0);
  assert.equal(encodePeer({ ip: '1::2::3', port: 3 })[0], 0);
});

test('NativeUdpPort: a burst of sends leaves as one batch and arrives in order, with the sender address', { skip }, async () => {
  const a = await NativeUdpPort.open({ address: '127.0.0.1', port: 0 });
  const b = await NativeUdpPort.open({ address: '127.0.0.1', port: 0, recvBufferSize: 1 << 20 });
  try {
    const n = 200;
    const done = collect(b, n);
    for (let i = 0; i < n; i++) {
      const d = new Uint8Array(100 + i);
      d[0] = i;
      d[d.length - 1] = 0xee;
      a.send(b.local, d);
    }
    // Nothing is sent before the turn ends (the queue flushes in a microtask).
    assert.equal(a.stats.txDatagrams, 0);
    const got = await done;
    assert.equal(a.stats.txDatagrams, n);
    assert.equal(a.stats.txBatches, 1);
    for (let i = 0; i < n; i++) {
      assert.equal(got[i]!.bytes.length, 100 + i);
      assert.equal(got[i]!.bytes[0], i);
      assert.equal(got[i]!.bytes[99 + i], 0xee);
      assert.deepEqual(got[i]!.from, a.local);
    }
    // One Address object per sender, reused.
    assert.equal(got[0]!.from, got[n - 1]!.from);
    assert.ok(b.stats.rxBatches < n, `batched receive: ${b.stats.rxBatches} batches`);
  } finally {
    await a.close();
    await b.close();
  }
});

test('NativeUdpPort interoperates with node:dgram both ways, and onBatch wraps each delivery', { skip }, async () => {
  const port = await NativeUdpPort.open({ address: '127.0.0.1', port: 0 });
  const sock = createSocket('udp4');
  sock.bind(0, '127.0.0.1');
  await once(sock, 'listening');
  const sockAddr = sock.address();
  let batches = 0;
  port.onBatch((run) => {
    batches++;
    run();
  });
  try {
    const done = collect(port, 3);
    for (const t of ['one', 'two', 'three']) sock.send(t, port.local.port, '127.0.0.1');
    const got = await done;
    assert.deepEqual(
      got.map((g) => Buffer.from(g.bytes).toString()),
      ['one', 'two', 'three'],
    );
    assert.deepEqual(got[0]!.from, { ip: '127.0.0.1', port: sockAddr.port });
    assert.ok(batches >= 1 && batches <= 3);
    const reply = once(sock, 'message');
    port.send({ ip: '127.0.0.1', port: sockAddr.port }, new TextEncoder().encode('back'));
    const [msg] = (await reply) as [Buffer];
    assert.equal(msg.toString(), 'back');
  } finally {
    sock.close();
    await port.close();
  }
});

test('NativeUdpPort on ::1 reports IPv6 senders', { skip }, async () => {
  let a: NativeUdpPort;
  try {
    a = await NativeUdpPort.open({ address: '::1', port: 0 });
  } catch (e) {
    // No IPv6 loopback in this environment.
    assert.match(String(e), /EADDRNOTAVAIL|EAFNOSUPPORT/);
    return;
  }
  const b = await NativeUdpPort.open({ address: '::1', port: 0 });
  try {
    const done = collect(b, 1);
    a.send(b.local, new Uint8Array([1, 2, 3]));
    const [g] = await done;
    assert.deepEqual(g!.from, { ip: '::1', port: a.local.port });
    assert.deepEqual([...g!.bytes], [1, 2, 3]);
  } finally {
    await a.close();
    await b.close();
  }
});

test('NativeUdpPort drops and counts datagrams larger than its slots, keeps the others', { skip }, async () => {
  const a = await NativeUdpPort.open({ address: '127.0.0.1', port: 0 });
  const b = await NativeUdpPort.open({ address: '127.0.0.1', port: 0, slotSize: 512 });
  try {
    const done = collect(b, 2);
    a.send(b.local, new Uint8Array(100).fill(1));
    a.send(b.local, new Uint8Array(600).fill(2));
    a.send(b.local, new Uint8Array(512).fill(3));
    const got = await done;
    assert.deepEqual(
      got.map((g) => [g.bytes.length, g.bytes[0]]),
      [
        [100, 1],
        [512, 3],
      ],
    );
    assert.equal(b.stats.truncated, 1);
  } finally {
    await a.close();
    await b.close();
  }
});

test('NativeUdpPort: unroutable and unparsable destinations are counted, never thrown; bind errors reject', { skip }, async () => {
  const a = await NativeUdpPort.open({ address: '127.0.0.1', port: 0 });
  const errors: string[] = [];
  a.onError((e) => errors.push(e.message));
  try {
    a.send({ ip: 'nonsense', port: 1 }, new Uint8Array(10));
    a.send({ ip: '::1', port: 1 }, new Uint8Array(10)); // IPv6 peer on an IPv4 socket
    a.flush();
    assert.equal(a.stats.txErrors, 2);
    assert.equal(errors.length, 1);
    await assert.rejects(NativeUdpPort.open({ address: '127.0.0.1', port: a.local.port }), (e: unknown) => (e as { code?: string }).code === 'EADDRINUSE');
    await assert.rejects(NativeUdpPort.open({ address: 'bogus', port: 0 }), /IPv4 or IPv6 literal/);
  } finally {
    await a.close();
    await a.close(); // idempotent
  }
  a.send({ ip: '127.0.0.1', port: 9 }, new Uint8Array(1)); // after close: ignored
});

test('NativeUdpPort sheds data but keeps priority datagrams once the kernel drops (SO_RXQ_OVFL)', { skip }, async () => {
  const a = await NativeUdpPort.open({ address: '127.0.0.1', port: 0 });
  // A small receive queue that a burst overflows at once.
  const b = await NativeUdpPort.open({ address: '127.0.0.1', port: 0, recvBufferSize: 64 * 1024, batchSize: 16, shedKeepEvery: 8 });
  let priority = 0;
  let data = 0;
  b.onPriority((bytes) => bytes[0] === 0x80);
  b.onDatagram((_from, bytes) => {
    if (bytes[0] === 0x80) priority++;
    else data++;
  });
  try {
    // Priority first (they are queued before the queue fills), then far more data than fits.
    for (let i = 0; i < 10; i++) a.send(b.local, new Uint8Array(200).fill(0x80));
    for (let i = 0; i < 2000; i++) a.send(b.local, new Uint8Array(1000));
    a.flush();
    const deadline = Date.now() + 3000;
    while (priority + data + b.stats.shed < 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(priority, 10, 'every priority datagram delivered');
    assert.ok(b.stats.kernelDrops > 0, 'the kernel dropped some');
    assert.equal(b.stats.shedEpisodes, 1);
    assert.ok(b.stats.shed > 0, 'data shed');
    // One in eight of the data read while shedding still goes through (MPPE coherency).
    const read = data + b.stats.shed;
    assert.ok(data >= Math.floor(read / 8) - 1 && data <= Math.ceil(read / 8) + 1, `kept ${data} of ${read}`);
  } finally {
    await a.close();
    await b.close();
  }
});

test('udpOpen reports the socket family; udpSendBatch takes it instead of asking the socket, and refuses a bad one', { skip }, async () => {
  const native = loadNative();
  const v4 = native.udpOpen('127.0.0.1', 0, {});
  const v6 = native.udpOpen('::1', 0, {});
  const rx = createSocket('udp4');
  try {
    assert.equal(v4.family, 4);
    assert.equal(v6.family, 6);
    rx.bind(0, '127.0.0.1');
    await once(rx, 'listening');
    const got = once(rx, 'message');
    const slab = new Uint8Array([1, 2, 3]);
    const peers = encodePeer({ ip: '127.0.0.1', port: rx.address().port });
    const errors = new Uint32Array(2);
    assert.equal(native.udpSendBatch(v4.fd, slab, new Uint32Array([0]), new Uint32Array([3]), peers, 1, errors, 4), 1);
    assert.deepEqual([...((await got)[0] as Buffer)], [1, 2, 3]);
    assert.equal(errors[0], 0);
    assert.throws(() => native.udpSendBatch(v4.fd, slab, new Uint32Array([0]), new Uint32Array([3]), peers, 1, errors, 5 as 4), /family must be 4 or 6/);
  } finally {
    rx.close();
    native.close(v4.fd);
    native.close(v6.fd);
  }
});
