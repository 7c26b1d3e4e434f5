/**
 * The App: what the daemon process (daemon.ts) runs. The process side (data directory, lock,
 * persistence, control socket, signals) is the same for every App; what the configuration
 * *does* (UDP 1701, sessions, TUN interfaces, routes) is the App's business. This keeps the
 * process side testable without root and lets the services be wired in without touching it.
 *
 * Contract, in call order:
 *   1. the daemon loads (or creates) the ConfigStore, runs `--import`, saves, then builds the App
 *      with `AppFactory(ctx)`;
 *   2. `start()` brings the running state in line with the whole configuration; it may itself
 *      change the store (e.g. discover Ethernet interfaces) and returns those changes, which the
 *      daemon saves;
 *   3. for every console command that changed configuration, the daemon first saves the store
 *      durably, then calls `applyChanges(changes)` (synchronously, before the reply is sent);
 *   4. `runtime` answers `/ppp active`, `/interface`, `/log`, monitor... at any time;
 *   5. on SIGTERM/SIGINT, `shutdown()` (StopCCN to peers, interfaces and routes removed), after
 *      which the daemon saves once more and exits.
 *
 * `composeRuntime` merges several RuntimeProviders (the log buffer's `log` menu, the services'
 * sessions and interfaces) into one, so each part answers only the menus it knows.
 */
import type { Logger } from '../core/log.js';
import type { ChangeRecord, ConfigStore } from '../config/store.js';
import { emptyRuntime, type RuntimeCommandOutcome, type RuntimeProvider, type RuntimeRow, type RuntimeStatus } from '../config/runtime.js';

export interface App {
  readonly store: ConfigStore;
  readonly runtime: RuntimeProvider;
  readonly logger: Logger;
  /** Starts the running state from the whole configuration; returns changes it made itself. */
  start(): Promise<readonly ChangeRecord[]>;
  /** Applies what a console command changed (already saved). Must not throw. */
  applyChanges(changes: readonly ChangeRecord[]): void;
  /** Clean stop: tell peers, remove interfaces and routes, close sockets. */
  shutdown(): Promise<void>;
}

export interface AppContext {
  readonly store: ConfigStore;
  /** The daemon's logger (stdout and the `/log` buffer). */
  readonly logger: Logger;
  /** Answers the `log` menu; compose it into the App's runtime. */
  readonly logRuntime: RuntimeProvider;
  readonly dataDir: string;
  /** Saves the configuration durably now (changes the App made itself); absent in some tests. */
  readonly persist?: () => void;
}

export type AppFactory = (ctx: AppContext) => App;

const UNSUPPORTED = 'RUNTIME_UNSUPPORTED';

/**
 * One RuntimeProvider out of several: rows are concatenated in provider order; statuses are
 * merged (later providers' values win, flags are united); the first provider with monitor fields
 * answers `monitor`; a command goes to the first provider that does not answer
 * RUNTIME_UNSUPPORTED.
 */
export function composeRuntime(...providers: readonly RuntimeProvider[]): RuntimeProvider {
  if (providers.length === 0) return emptyRuntime;
  if (providers.length === 1 && providers[0] !== undefined) return providers[0];
  return {
    rows(menu: string): readonly RuntimeRow[] {
      return providers.flatMap((p) => p.rows(menu));
    },
    status(menu: string, id: string): RuntimeStatus | undefined {
      let values: Record<string, string> | undefined;
      let flags: string | undefined;
      for (const p of providers) {
        const s = p.status(menu, id);
        if (!s) continue;
        if (s.values) values = { ...(values ?? {}), ...s.values };
        if (s.flags !== undefined) flags = [...new Set([...(flags ?? ''), ...s.flags])].join('');
      }
      if (values === undefined && flags === undefined) return undefined;
      return { ...(values !== undefined ? { values } : {}), ...(flags !== undefined ? { flags } : {}) };
    },
    monitor(menu: string, id: string): Readonly<Record<string, string>> | undefined {
      for (const p of providers) {
        const m = p.monitor(menu, id);
        if (m) return m;
      }
      return undefined;
    },
    command(menu: string, verb: string, ids: readonly string[], args: ReadonlyMap<string, string>): RuntimeCommandOutcome {
      let last: RuntimeCommandOutcome | undefined;
      for (const p of providers) {
        last = p.command(menu, verb, ids, args);
        if (last.error?.code !== UNSUPPORTED) return last;
      }
      return last ?? emptyRuntime.command(menu, verb, ids, args);
    },
  };
}

/**
 * An App that only keeps configuration: nothing runs (no sockets, no sessions); `/log` works.
 * Used until the services are wired in, and by tests of the process side.
 */
export function createConfigOnlyApp(ctx: AppContext): App {
  return {
    store: ctx.store,
    runtime: composeRuntime(ctx.logRuntime),
    logger: ctx.logger,
    start: () => Promise.resolve([]),
    applyChanges: () => {},
    shutdown: () => Promise.resolve(),
  };
}
