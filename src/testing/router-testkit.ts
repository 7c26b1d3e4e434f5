/**
 * Test support for the router tests (router*.test.ts): an `L2tpRouter` with its own RouterOS
 * configuration as a node of the in-memory network, and the usual office-server / home-client
 * pair. Not a test file itself; nothing in the daemon imports it.
 */
import assert from 'node:assert/strict';
import { MemoryLogger } from '../core/log.js';
import { SeededRandom } from '../core/random.js';
import type { Instant } from '../core/time.js';
import { ConfigStore } from '../config/store.js';
import { isConfigError } from '../config/values.js';
import { MemoryNetwork, type Endpoint, type SimNode, type SimTransmit } from './memory-network.js';
import { L2tpRouter, type RouterCommand } from '../services/router.js';

export const OFFICE: Endpoint = { ip: '192.168.80.1', port: 1701 };
export const HOME: Endpoint = { ip: '192.168.80.50', port: 40000 };

export class RouterNode implements SimNode {
  readonly store = new ConfigStore();
  readonly log = new MemoryLogger();
  readonly router: L2tpRouter;
  /** Every command the router gave its platform (interfaces, sockets, address lists...). */
  readonly commands: RouterCommand[] = [];
  constructor(
    readonly address: Endpoint,
    seed: number,
  ) {
    this.router = new L2tpRouter(this.store, { random: new SeededRandom(seed), logger: this.log });
  }
  nextTimeout(): Instant | undefined {
    return this.router.nextTimeout();
  }
  handleTimeout(now: Instant): void {
    this.router.handleTimeout(now);
    this.drainCommands();
  }
  pollTransmit(): SimTransmit | undefined {
    const t = this.router.pollTransmit();
    return t ? { to: t.to, bytes: t.bytes } : undefined;
  }
  handleDatagram(now: Instant, from: Endpoint, bytes: Uint8Array): void {
    this.router.handleDatagram(now, from, bytes);
    this.drainCommands();
  }
  drainCommands(): void {
    for (let c = this.router.pollCommand(); c; c = this.router.pollCommand()) this.commands.push(c);
  }
  /** Runs one configuration change like a console command would. */
  change(now: Instant, fn: (s: ConfigStore) => unknown): void {
    const r = fn(this.store);
    assert.ok(!isConfigError(r), JSON.stringify(r));
    const changes = Array.isArray(r) ? r : (r as { changes: [] }).changes;
    this.router.applyChanges(now, changes);
    this.drainCommands();
  }
  /** Adds an l2tp-client (enabled) and returns its id. */
  addClient(now: Instant, values: Record<string, string>): string {
    let id = '';
    this.change(now, (s) => {
      const r = s.add('interface l2tp-client', { 'connect-to': OFFICE.ip, disabled: 'no', ...values });
      if (!isConfigError(r)) id = r.id;
      return r;
    });
    return id;
  }
}

/** A lossless 2 ms network with an office router and a home router, both started at 0. */
export function routerPair<N extends RouterNode>(make: (address: Endpoint, seed: number) => N): { net: MemoryNetwork; office: N; home: N } {
  const net = new MemoryNetwork({ seed: 1, delayMs: 2, lossProbability: 0, duplicateProbability: 0, reorderProbability: 0, reorderMaxExtraMs: 0 });
  const office = make(OFFICE, 1);
  const home = make(HOME, 2);
  office.router.start(0);
  home.router.start(0);
  return { net, office, home };
}
