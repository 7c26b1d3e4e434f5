/**
 * The ONE command model shared by every front end. The console parser, the RouterOS API
 * (`/ppp/secret/print ?name=x`) and REST (`GET /rest/ppp/secret`) all build a `Command` and call
 * `executeCommand`; none of them touches the store or the engines directly.
 *
 * A Command names a menu (`path`), a verb, property arguments by their exact schema names
 * (`args`, raw user text: the store parses and validates), the items it acts on (`items`:
 * print numbers, names, ids or a `find` expression), verb flags (`detail`, `once`, ...) and a
 * `where` expression. Print numbers are session state: the context supplies the numbering of
 * the last `print` of the menu, and a print's result returns its new numbering.
 *
 * Invariants:
 * - executeCommand never throws and never changes the configuration partially: item resolution
 *   and validation complete before the store is touched (the store is itself all-or-nothing).
 * - Errors carry a stable `code` and the RouterOS message text (`no such item`,
 *   `failure: ...`, `invalid value for argument X`); callers never match on the text.
 */
import { type ChangeRecord, type ConfigStore } from '../config/store.js';
import { type RuntimeProvider } from '../config/runtime.js';
import { getMenu, menuKey, pathExists, verbsOf, type MenuDef } from '../config/schema.js';
import { ConfigError, parseDuration } from '../config/values.js';
import { collectRows, evaluate, type Expr, type RowView } from './rows.js';
import {
  formatAsValue,
  formatDetail,
  formatLog,
  formatMonitor,
  formatSingleton,
  formatTable,
} from './console/format.js';
import { exportConfig } from './console/export.js';

export type ItemRef =
  | { readonly kind: 'id'; readonly id: string }
  | { readonly kind: 'number'; readonly n: number }
  | { readonly kind: 'name'; readonly name: string }
  | { readonly kind: 'expr'; readonly expr: Expr };

export interface Command {
  /** Canonical menu path words, e.g. ['ppp', 'secret']; [] is the root. */
  readonly path: readonly string[];
  readonly verb: string;
  /** Property and named arguments by exact name -> raw value. */
  readonly args: ReadonlyMap<string, string>;
  readonly items?: readonly ItemRef[];
  /** Verb flags such as `detail`, `terse`, `count-only`, `once`, `verbose`, `show-sensitive`. */
  readonly flags?: ReadonlySet<string>;
  readonly where?: Expr;
  /** For `get`: the property asked for. */
  readonly property?: string;
}

export type CommandErrorCode =
  | ConfigError['code']
  | 'CMD_BAD_COMMAND'
  | 'CMD_MISSING_ITEM'
  | 'CMD_DYNAMIC'
  | 'CMD_UNKNOWN_PROPERTY'
  | 'CMD_NO_MONITOR'
  | 'CMD_RUNTIME'
  | 'CMD_NO_FILE'
  | 'CON_SYNTAX'
  | 'CON_EXPECTED_END'
  | 'CON_BAD_COMMAND'
  | 'CON_EXPECTED_COMMAND'
  | 'CON_AMBIGUOUS'
  | 'CON_SCRIPT_LIMIT';

export class CommandError {
  constructor(
    readonly code: CommandErrorCode,
    readonly message: string,
  ) {}
}

export interface CommandResult {
  /** Output text, one element per line. */
  readonly lines: readonly string[];
  readonly error?: CommandError;
  readonly changes: readonly ChangeRecord[];
  /** Ids a command selected or created (find, add). */
  readonly ids?: readonly string[];
  /** New print numbering for `menu` after a print. */
  readonly numbering?: { readonly menu: string; readonly ids: readonly string[] };
  /** Set when the caller should repeat the command (monitor without `once`, print interval=). */
  readonly repeatMs?: number;
}

export interface CommandContext {
  /** Ids of the last print of `menu` in this session, by print number. */
  numbering(menu: string): readonly string[] | undefined;
  /** Export header data (pure code: the caller supplies the date). */
  readonly exportHeader?: { readonly date: string; readonly version: string };
  /** `export file=x`: the caller writes the file; returns an error text or undefined. */
  writeFile?(name: string, text: string): string | undefined;
}

/** What each verb accepts: flags, named arguments, properties, items. */
export interface VerbSpec {
  readonly flags: readonly string[];
  readonly named: readonly string[];
  /** Which property names are accepted as `name=value`. */
  readonly props: 'writable' | 'all' | 'none';
  /** Whether bare words are items (list menus). */
  readonly items: 'required' | 'optional' | 'none';
  readonly where: boolean;
}

export const VERB_SPECS: Readonly<Record<string, VerbSpec>> = {
  add: { flags: [], named: [], props: 'writable', items: 'none', where: false },
  set: { flags: [], named: ['numbers'], props: 'writable', items: 'required', where: false },
  remove: { flags: [], named: ['numbers'], props: 'none', items: 'required', where: false },
  enable: { flags: [], named: ['numbers'], props: 'none', items: 'required', where: false },
  disable: { flags: [], named: ['numbers'], props: 'none', items: 'required', where: false },
  print: {
    flags: ['detail', 'terse', 'brief', 'count-only', 'stats', 'as-value', 'without-paging'],
    named: ['interval', 'proplist'],
    props: 'none',
    items: 'none',
    where: true,
  },
  get: { flags: [], named: ['numbers', 'value-name'], props: 'none', items: 'optional', where: false },
  find: { flags: [], named: [], props: 'all', items: 'none', where: true },
  export: { flags: ['verbose', 'terse', 'compact', 'show-sensitive', 'hide-sensitive'], named: ['file'], props: 'none', items: 'none', where: false },
  monitor: { flags: ['once'], named: ['numbers', 'interval'], props: 'none', items: 'required', where: false },
};

function fail(code: CommandErrorCode, message: string): CommandResult {
  return { lines: [], error: new CommandError(code, message), changes: [] };
}

function fromConfig(e: ConfigError): CommandResult {
  return fail(e.code, e.message);
}

/** Resolves item references against the rows of a menu, in reference order, without duplicates. */
export function resolveItems(
  def: MenuDef,
  rows: readonly RowView[],
  refs: readonly ItemRef[],
  numbering: readonly string[] | undefined,
): string[] | CommandError {
  const ids: string[] = [];
  const push = (id: string): void => {
    if (!ids.includes(id)) ids.push(id);
  };
  const order = numbering ?? rows.map((r) => r.id);
  for (const ref of refs) {
    switch (ref.kind) {
      case 'id': {
        const row = rows.find((r) => r.id.toUpperCase() === ref.id.toUpperCase());
        if (!row) return new CommandError('CFG_NO_SUCH_ITEM', 'no such item');
        push(row.id);
        break;
      }
      case 'number': {
        const id = order[ref.n];
        if (id === undefined || !rows.some((r) => r.id === id)) return new CommandError('CFG_NO_SUCH_ITEM', 'no such item');
        push(id);
        break;
      }
      case 'name': {
        const prop = def.nameProperty;
        const row = prop === undefined ? undefined : rows.find((r) => r.values[prop] === ref.name);
        if (!row) return new CommandError('CFG_NO_SUCH_ITEM', 'no such item');
        push(row.id);
        break;
      }
      case 'expr':
        for (const r of rows) if (evaluate(def, r, ref.expr)) push(r.id);
        break;
    }
  }
  return ids;
}

/** Executes one command. Never throws. */
export function executeCommand(
  store: ConfigStore,
  runtime: RuntimeProvider,
  cmd: Command,
  ctx: CommandContext,
): CommandResult {
  const key = menuKey(cmd.path);
  const def = getMenu(key);
  const flags = cmd.flags ?? new Set<string>();
  if (cmd.verb === 'export') {
    if (!pathExists(cmd.path)) return fail('CMD_BAD_COMMAND', 'bad command name');
    const lines = exportConfig(store, {
      scope: cmd.path,
      verbose: flags.has('verbose'),
      terse: flags.has('terse'),
      showSensitive: flags.has('show-sensitive'),
      ...(ctx.exportHeader ? { header: ctx.exportHeader } : {}),
    });
    const file = cmd.args.get('file');
    if (file !== undefined) {
      if (!ctx.writeFile) return fail('CMD_NO_FILE', 'failure: can not write files here');
      const err = ctx.writeFile(file, `${lines.join('\n')}\n`);
      return err === undefined ? { lines: [], changes: [] } : fail('CMD_NO_FILE', `failure: ${err}`);
    }
    return { lines, changes: [] };
  }
  if (!def || !verbsOf(def).includes(cmd.verb)) return fail('CMD_BAD_COMMAND', `bad command name ${cmd.verb}`);
  // Collected on first use: an `add` needs none, and a script of thousands of adds would
  // otherwise collect every row (with its runtime status) once per line.
  let collected: RowView[] | undefined;
  const rows = (): RowView[] => (collected ??= collectRows(store, runtime, key));
  const selected = (): string[] | CommandError => {
    if (cmd.items === undefined || cmd.items.length === 0) return new CommandError('CMD_MISSING_ITEM', 'no such item');
    return resolveItems(def, rows(), cmd.items, ctx.numbering(key));
  };
  let dynamicIds: Set<string> | undefined;
  const isDynamic = (id: string): boolean => (dynamicIds ??= new Set(rows().filter((r) => r.dynamic).map((r) => r.id))).has(id);

  switch (cmd.verb) {
    case 'add': {
      const r = store.add(key, cmd.args);
      if (r instanceof ConfigError) return fromConfig(r);
      return { lines: [], changes: r.changes, ids: [r.id] };
    }
    case 'set':
    case 'remove':
    case 'enable':
    case 'disable': {
      if (def.kind === 'singleton' && cmd.verb === 'set') {
        const r = store.set(key, [], cmd.args);
        return r instanceof ConfigError ? fromConfig(r) : { lines: [], changes: r };
      }
      const ids = selected();
      if (ids instanceof CommandError) return { lines: [], error: ids, changes: [] };
      if (def.kind === 'runtime') {
        const out = runtime.command(key, cmd.verb, ids, cmd.args);
        if (out.error) return fail('CMD_RUNTIME', out.error.message);
        return { lines: [...(out.lines ?? [])], changes: [] };
      }
      if (ids.some(isDynamic)) return fail('CMD_DYNAMIC', 'failure: can not change dynamic item');
      const r =
        cmd.verb === 'set'
          ? store.set(key, ids, cmd.args)
          : cmd.verb === 'remove'
            ? store.remove(key, ids)
            : cmd.verb === 'enable'
              ? store.enable(key, ids)
              : store.disable(key, ids);
      return r instanceof ConfigError ? fromConfig(r) : { lines: [], changes: r, ids };
    }
    case 'print': {
      if (def.kind === 'singleton') {
        // Read-only runtime values (e.g. /ip dns dynamic-servers) join the configured ones.
        const values = { ...store.settings(key), ...(runtime.status(key, '')?.values ?? {}) };
        const lines = flags.has('as-value')
          ? [Object.entries(values).map(([k, v]) => `${k}=${v}`).join(';')]
          : formatSingleton(def, values);
        return { lines, changes: [] };
      }
      const shown = cmd.where ? rows().filter((r) => cmd.where !== undefined && evaluate(def, r, cmd.where)) : rows();
      // proplist= (API `.proplist`): only the listed properties, in schema order.
      const proplist = cmd.args.get('proplist')?.split(',');
      const view: MenuDef = proplist === undefined ? def : { ...def, properties: def.properties.filter((p) => proplist.includes(p.name)) };
      const numbering = { menu: key, ids: shown.map((r) => r.id) };
      const interval = cmd.args.get('interval');
      const repeat = interval === undefined ? {} : { repeatMs: intervalMs(interval) };
      let lines: string[];
      if (flags.has('count-only')) lines = [String(shown.length)];
      else if (flags.has('as-value')) lines = formatAsValue(view, shown);
      else if (flags.has('terse')) lines = formatDetail(view, shown, { terse: true });
      else if (flags.has('detail')) lines = formatDetail(view, shown);
      else if (def.printStyle === 'log') lines = formatLog(shown);
      else if (flags.has('stats')) lines = formatTable(view, shown, { stats: true });
      else if (def.printStyle === 'detail' && !flags.has('brief')) lines = formatDetail(view, shown);
      else lines = formatTable(view, shown);
      return { lines, changes: [], numbering, ...repeat };
    }
    case 'find': {
      let expr = cmd.where;
      for (const [k, v] of cmd.args) {
        const term: Expr = { kind: 'cmp', prop: k, op: '=', value: v };
        expr = expr ? { kind: 'and', left: expr, right: term } : term;
      }
      const ids = rows().filter((r) => expr === undefined || evaluate(def, r, expr)).map((r) => r.id);
      return { lines: [ids.join(';')], changes: [], ids };
    }
    case 'get': {
      let values: Readonly<Record<string, string>>;
      if (def.kind === 'singleton') values = { ...store.settings(key), ...(runtime.status(key, '')?.values ?? {}) };
      else {
        const ids = selected();
        if (ids instanceof CommandError) return { lines: [], error: ids, changes: [] };
        const row = rows().find((r) => r.id === ids[0]);
        if (!row) return fail('CFG_NO_SUCH_ITEM', 'no such item');
        values = row.values;
      }
      const prop = cmd.property ?? cmd.args.get('value-name');
      if (prop === undefined) {
        return { lines: [Object.entries(values).map(([k, v]) => `${k}=${v}`).join(';')], changes: [] };
      }
      if (!def.properties.some((p) => p.name === prop)) return fail('CMD_UNKNOWN_PROPERTY', `unknown property ${prop}`);
      return { lines: [values[prop] ?? ''], changes: [] };
    }
    case 'monitor': {
      const ids = selected();
      if (ids instanceof CommandError) return { lines: [], error: ids, changes: [] };
      const lines: string[] = [];
      for (const id of ids) {
        const m = runtime.monitor(key, id);
        if (!m) return fail('CMD_NO_MONITOR', 'failure: no monitor data');
        lines.push(...formatMonitor(m));
      }
      const interval = cmd.args.get('interval');
      const repeat = flags.has('once') ? {} : { repeatMs: interval === undefined ? 1000 : intervalMs(interval) };
      return { lines, changes: [], ...repeat };
    }
    default:
      return fail('CMD_BAD_COMMAND', `bad command name ${cmd.verb}`);
  }
}

function intervalMs(text: string): number {
  const ms = parseDuration(text);
  return ms === undefined || ms <= 0 ? 1000 : ms;
}
