import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UdpPort, UdpError, type Address } from './udp.js';

function nextDatagram(port: UdpPort, timeoutMs = 2000): Promise<{ from: Address; bytes: Uint8Array }> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no datagram')), timeoutMs);
    port.onDatagram((from, bytes) => {
      clearTimeout(t);
      resolve({ from, bytes });
    });
  });
}

test('two loopback ports exchange datagrams both ways', async () => {
  const a = await UdpPort.open({ address: '127.0.0.1', port: 0 });
  const b = await UdpPort.open({ address: '127.0.0.1', port: 0 });
  try {
    assert.equal(a.local.ip, '127.0.0.1');
    assert.ok(a.local.port > 0);
    const gotB = nextDatagram(b);
    a.send(b.local, new Uint8Array([0xc8, 0x02, 0x00, 0x0c]));
    const r1 = await gotB;
    assert.deepEqual(r1.from, a.local);
    assert.deepEqual([...r1.bytes], [0xc8, 0x02, 0x00, 0x0c]);
    assert.ok(!Buffer.isBuffer(r1.bytes), 'a plain Uint8Array view, not a Buffer');
    const gotA = nextDatagram(a);
    b.send(r1.from, new Uint8Array(1400).fill(7));
    const r2 = await gotA;
    assert.equal(r2.bytes.length, 1400);
    assert.equal(r2.bytes[1399], 7);
  } finally {
    await a.close();
    await b.close();
  }
});

test('a subarray is sent as exactly its bytes', async () => {
  const a = await UdpPort.open({ address: '127.0.0.1', port: 0 });
  const b = await UdpPort.open({ address: '127.0.0.1', port: 0 });
  try {
    const got = nextDatagram(b);
    const big = new Uint8Array([1, 2, 3, 4, 5, 6]);
    a.send(b.local, big.subarray(2, 4));
    assert.deepEqual([...(await got).bytes], [3, 4]);
  } finally {
    await a.close();
    await b.close();
  }
});

test('binding a port already in use rejects', async () => {
  const a = await UdpPort.open({ address: '127.0.0.1', port: 0 });
  try {
    await assert.rejects(UdpPort.open({ address: '127.0.0.1', port: a.local.port }), (e: NodeJS.ErrnoException) => e.code === 'EADDRINUSE');
  } finally {
    await a.close();
  }
});

test('IPv6 loopback works when available', async (t) => {
  let a: UdpPort;
  try {
    a = await UdpPort.open({ address: '::1', port: 0 });
  } catch {
    t.skip('no IPv6 loopback here');
    return;
  }
  const b = await UdpPort.open({ address: '::1', port: 0 });
  try {
    const got = nextDatagram(b);
    a.send(b.local, new Uint8Array([9]));
    const r = await got;
    assert.equal(r.from.ip, '::1');
  } finally {
    await a.close();
    await b.close();
  }
});

test('send errors go to onError and never throw; close is idempotent; send after close is ignored', async () => {
  const a = await UdpPort.open({ address: '127.0.0.1', port: 0 });
  const errors: UdpError[] = [];
  a.onError((e) => errors.push(e));
  // 127.0.0.1 -> 192.0.2.1 from a socket bound to loopback: the kernel refuses (EINVAL/ENETUNREACH).
  a.send({ ip: '192.0.2.1', port: 9 }, new Uint8Array([1]));
  // A datagram larger than UDP allows fails with EMSGSIZE.
  a.send({ ip: '127.0.0.1', port: 9 }, new Uint8Array(70000));
  const deadline = Date.now() + 2000;
  while (errors.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.ok(errors.length >= 1, 'at least one send error reported');
  for (const e of errors) {
    assert.ok(e instanceof UdpError);
    assert.equal(e.code, 'UDP_ERR_SEND');
  }
  await a.close();
  await a.close();
  a.send({ ip: '127.0.0.1', port: 9 }, new Uint8Array([1]));
});
