/**
 * The seam between the configuration front ends and the running daemon. Menus of kind `runtime`
 * (`/ppp active`, `/interface`, `/ip pool used`, `/log`) have no stored items: their rows come
 * from a RuntimeProvider, so they print through the same formatter as configured menus. List
 * menus may also get dynamic rows (a connected user's `<l2tp-user1>` under
 * `/interface l2tp-server`) and per-item status (flag R, mtu, uptime) from it.
 *
 * Pure interface plus an in-memory twin (`MemoryRuntime`) for tests; the daemon implements it
 * over its services. Call order: any, synchronous; the provider must not mutate configuration.
 */

/** One row of a runtime menu, or a dynamic row of a list menu. */
export interface RuntimeRow {
  /** RouterOS-style id, e.g. `*80000001`; stable while the row exists. */
  readonly id: string;
  readonly values: Readonly<Record<string, string>>;
  /** Flag letters reported by the runtime (e.g. `R`). `D` is implied for dynamic list rows. */
  readonly flags?: string;
}

/** Read-only state of a configured item (e.g. an l2tp-client that is connected). */
export interface RuntimeStatus {
  readonly values?: Readonly<Record<string, string>>;
  readonly flags?: string;
}

export interface RuntimeCommandOutcome {
  readonly lines?: readonly string[];
  readonly error?: { readonly code: string; readonly message: string };
}

export interface RuntimeProvider {
  /** All rows of a runtime menu; for list menus, only the dynamic rows. */
  rows(menu: string): readonly RuntimeRow[];
  /** Runtime values/flags merged into a configured item when printing. */
  status(menu: string, id: string): RuntimeStatus | undefined;
  /** Fields of `monitor <id>` in display order, or undefined if the item has none. */
  monitor(menu: string, id: string): Readonly<Record<string, string>> | undefined;
  /** Runtime verbs such as `/ppp active remove` (disconnect). */
  command(
    menu: string,
    verb: string,
    ids: readonly string[],
    args: ReadonlyMap<string, string>,
  ): RuntimeCommandOutcome;
}

/** A runtime with nothing running. */
export const emptyRuntime: RuntimeProvider = {
  rows: () => [],
  status: () => undefined,
  monitor: () => undefined,
  command: (_menu, verb) => ({
    error: { code: 'RUNTIME_UNSUPPORTED', message: `failure: ${verb} not supported` },
  }),
};

/** In-memory twin: tests fill the tables directly. */
export class MemoryRuntime implements RuntimeProvider {
  readonly tables = new Map<string, RuntimeRow[]>();
  readonly statuses = new Map<string, RuntimeStatus>();
  readonly monitors = new Map<string, Record<string, string>>();
  /** Commands received, for assertions. */
  readonly commands: { menu: string; verb: string; ids: readonly string[] }[] = [];

  rows(menu: string): readonly RuntimeRow[] {
    return this.tables.get(menu) ?? [];
  }
  status(menu: string, id: string): RuntimeStatus | undefined {
    return this.statuses.get(`${menu}#${id}`);
  }
  monitor(menu: string, id: string): Readonly<Record<string, string>> | undefined {
    return this.monitors.get(`${menu}#${id}`);
  }
  command(menu: string, verb: string, ids: readonly string[]): RuntimeCommandOutcome {
    this.commands.push({ menu, verb, ids });
    if (verb === 'remove') {
      const rows = this.tables.get(menu) ?? [];
      this.tables.set(
        menu,
        rows.filter((r) => !ids.includes(r.id)),
      );
      return {};
    }
    return { error: { code: 'RUNTIME_UNSUPPORTED', message: `failure: ${verb} not supported` } };
  }
}
