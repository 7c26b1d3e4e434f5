import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { nullLogger } from '../core/log.js';
import { createAuthenticator, createPeer, verifyWithPassword } from './index.js';
import { ScriptedRandom } from './testing.js';
import type { AuthEngine, AuthMethod, AuthVerdict } from './types.js';

const methods: AuthMethod[] = ['pap', 'chap', 'mschap1', 'mschap2'];

/** Mostly well-framed packets (code 1..4, right Length) so they reach deeper than the header check. */
const packetArb = fc.oneof(
  fc.uint8Array({ maxLength: 80 }),
  fc
    .tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 70 }))
    .map(([code, id, data]) => Uint8Array.of(code, id, 0, data.length + 4, ...data)),
  fc
    .tuple(fc.integer({ min: 0, max: 4 }), fc.constantFrom(8, 16, 49, 0, 255), fc.uint8Array({ maxLength: 60 }), fc.string())
    .map(([code, size, value, text]) => {
      const t = new TextEncoder().encode(text);
      const data = Uint8Array.of(size, ...value, ...t);
      return Uint8Array.of(code, 0, (data.length + 4) >> 8, (data.length + 4) & 0xff, ...data);
    }),
  fc
    .tuple(fc.constantFrom(3, 4), fc.constantFrom('E=691 R=1 C=', 'S=', 'E=691 R=1 C=0011223344556677', 'E=x R=1 C=00112233445566778899AABBCCDDEEFF V=3'), fc.string())
    .map(([code, head, tail]) => {
      const t = new TextEncoder().encode(head + tail);
      return Uint8Array.of(code, 0, (t.length + 4) >> 8, (t.length + 4) & 0xff, ...t);
    }),
);

const verdictArb: fc.Arbitrary<AuthVerdict> = fc.oneof(
  fc.record({ ok: fc.constant(true as const), user: fc.string(), message: fc.string() }),
  fc.record({ ok: fc.constant(true as const), user: fc.string(), authenticatorResponse: fc.string() }),
  fc.record({ ok: fc.constant(false as const), message: fc.string(), retry: fc.boolean() }),
);

type Step = { kind: 'packet'; packet: Uint8Array; useId: boolean } | { kind: 'timeout' } | { kind: 'verdict'; verdict: AuthVerdict };
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('packet' as const), packet: packetArb, useId: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('timeout' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('verdict' as const), verdict: verdictArb }) },
);

function exercise(engine: AuthEngine, steps: Step[]): void {
  let now = 0;
  let terminal = 0;
  let lastSentId: number | undefined;
  engine.start(now);
  for (const s of steps) {
    now += 10;
    if (s.kind === 'packet') {
      const pk = s.packet.slice();
      // Half the time reuse the Identifier we last sent, to get past Identifier matching.
      if (s.useId && lastSentId !== undefined && pk.length > 1) pk[1] = lastSentId;
      engine.handlePacket(now, pk);
    } else if (s.kind === 'timeout') {
      now = engine.nextTimeout() ?? now;
      engine.handleTimeout(now);
    } else {
      engine.completeCheck?.(now, s.verdict);
    }
    for (let i = 0; i < 100; i++) {
      const t = engine.pollTransmit();
      if (t === undefined) break;
      assert.ok(t.length >= 4);
      assert.equal((t[2]! << 8) | t[3]!, t.length);
      lastSentId = t[1];
    }
    for (let i = 0; i < 100; i++) {
      const e = engine.pollEvent();
      if (e === undefined) break;
      if (e.type !== 'check') terminal++;
      if (e.type === 'check') engine.completeCheck?.(now, verifyWithPassword(e.check, 'pw'));
    }
  }
  assert.ok(terminal <= 1, 'at most one success/failure event');
}

for (const method of methods) {
  test(`${method}: engines never throw on garbage, and report at most one outcome`, () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 40 }), fc.integer(), (steps, seed) => {
        exercise(createAuthenticator(method, { random: new ScriptedRandom([], seed), logger: nullLogger, name: 'n', mschapRetries: 2 }), steps);
        exercise(createPeer(method, { user: 'u', password: 'pw' }, { random: new ScriptedRandom([], seed), logger: nullLogger }), steps);
      }),
      { numRuns: 400 },
    );
  });
}
