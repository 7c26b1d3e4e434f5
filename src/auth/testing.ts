/**
 * Test helpers for src/auth (the in-memory twin of a PPP link for auth engines): a Random that
 * replays scripted bytes (to inject RFC vector challenges), a drain helper, and a pair runner
 * that shuttles packets between an authenticator and a peer on a virtual clock, answering
 * 'check' events with a caller-supplied decision. Bounded in steps; no I/O, no real time.
 */
import { SeededRandom, type Random } from '../core/random.js';
import type { Instant } from '../core/time.js';
import type { AuthCheck, AuthEngine, AuthEngineEvent, AuthVerdict } from './types.js';

/** Hands out the scripted bytes first, in order, then deterministic pseudo-random bytes. */
export class ScriptedRandom implements Random {
  private readonly queue: number[] = [];
  private readonly fallback: SeededRandom;
  constructor(script: readonly Uint8Array[] = [], seed = 7) {
    for (const part of script) this.queue.push(...part);
    this.fallback = new SeededRandom(seed);
  }
  push(bytes: Uint8Array): void {
    this.queue.push(...bytes);
  }
  fill(buf: Uint8Array): Uint8Array {
    for (let i = 0; i < buf.length; i++) {
      const next = this.queue.shift();
      buf[i] = next ?? this.fallback.fill(new Uint8Array(1))[0]!;
    }
    return buf;
  }
}

export interface Drained {
  tx: Uint8Array[];
  events: AuthEngineEvent[];
}

export function drain(engine: AuthEngine): Drained {
  const tx: Uint8Array[] = [];
  const events: AuthEngineEvent[] = [];
  for (let i = 0; i < 1000; i++) {
    const p = engine.pollTransmit();
    if (p === undefined) break;
    tx.push(p);
  }
  for (let i = 0; i < 1000; i++) {
    const e = engine.pollEvent();
    if (e === undefined) break;
    events.push(e);
  }
  return { tx, events };
}

export interface PairOptions {
  /** Decide a check (default: reject). */
  decide: (check: AuthCheck) => AuthVerdict;
  /** Return true to drop a packet in flight; `n` counts packets in that direction from 0. */
  drop?: (direction: 'toPeer' | 'toAuthenticator', n: number, packet: Uint8Array) => boolean;
  /** Give up after this much virtual time. */
  maxTimeMs?: number;
}

export interface PairResult {
  authenticatorEvents: AuthEngineEvent[];
  peerEvents: AuthEngineEvent[];
  transcript: Array<{ at: Instant; direction: 'toPeer' | 'toAuthenticator'; packet: Uint8Array; dropped: boolean }>;
  checks: AuthCheck[];
  endedAt: Instant;
}

/** Runs both engines until neither has anything to send and no timer runs (or maxTimeMs). */
export function runPair(authenticator: AuthEngine, peer: AuthEngine, opts: PairOptions): PairResult {
  let now: Instant = 0;
  const result: PairResult = { authenticatorEvents: [], peerEvents: [], transcript: [], checks: [], endedAt: 0 };
  const counts = { toPeer: 0, toAuthenticator: 0 };
  const maxTime = opts.maxTimeMs ?? 600_000;
  authenticator.start(now);
  peer.start(now);
  for (let step = 0; step < 10_000; step++) {
    let moved = false;
    const a = drain(authenticator);
    const p = drain(peer);
    for (const e of a.events) {
      result.authenticatorEvents.push(e);
      if (e.type === 'check') {
        result.checks.push(e.check);
        authenticator.completeCheck?.(now, opts.decide(e.check));
        moved = true;
      }
    }
    result.peerEvents.push(...p.events);
    for (const packet of a.tx) {
      const dropped = opts.drop?.('toPeer', counts.toPeer++, packet) ?? false;
      result.transcript.push({ at: now, direction: 'toPeer', packet, dropped });
      if (!dropped) peer.handlePacket(now, packet);
      moved = true;
    }
    for (const packet of p.tx) {
      const dropped = opts.drop?.('toAuthenticator', counts.toAuthenticator++, packet) ?? false;
      result.transcript.push({ at: now, direction: 'toAuthenticator', packet, dropped });
      if (!dropped) authenticator.handlePacket(now, packet);
      moved = true;
    }
    if (moved) continue;
    const next = [authenticator.nextTimeout(), peer.nextTimeout()].filter((t): t is number => t !== undefined);
    if (next.length === 0) break;
    now = Math.max(now, Math.min(...next));
    if (now > maxTime) break;
    authenticator.handleTimeout(now);
    peer.handleTimeout(now);
  }
  result.endedAt = now;
  return result;
}
