/**
 * What a front end sees of a menu: rows with id, values and flag letters, merged from the
 * ConfigStore (configured items, built-ins) and the RuntimeProvider (runtime menus, dynamic rows,
 * running state). Plus the `where`/`find` expression language evaluated over such rows.
 *
 * Expression semantics (RouterOS console):
 * - `prop=value`, `prop!=value`, `prop~regex`, `prop<value`, `prop>value` (`<`, `>` compare
 *   numerically when both sides are numbers or durations, else as text);
 * - a bare name is a boolean test: a yes/no property (`disabled`) or a flag by its description
 *   (`dynamic`, `running`, `default`); `default=yes` selects built-in items;
 * - `and`, `or`, `not` / `!`, parentheses; adjacent terms are joined by `and`.
 * Evaluation never throws (an invalid regex is rejected by the parser; here it matches nothing).
 */
import { type ConfigStore } from '../config/store.js';
import { type RuntimeProvider } from '../config/runtime.js';
import { getMenu, type MenuDef } from '../config/schema.js';
import { parseDuration } from '../config/values.js';

export interface RowView {
  readonly id: string;
  readonly values: Readonly<Record<string, string>>;
  /** Flag letters that are set, in the menu's flag order. */
  readonly flags: string;
  readonly dynamic: boolean;
  readonly builtin: boolean;
}

export type CompareOp = '=' | '!=' | '~' | '<' | '>' | '<=' | '>=';

export type Expr =
  | { readonly kind: 'cmp'; readonly prop: string; readonly op: CompareOp; readonly value: string }
  | { readonly kind: 'bool'; readonly prop: string }
  | { readonly kind: 'and' | 'or'; readonly left: Expr; readonly right: Expr }
  | { readonly kind: 'not'; readonly expr: Expr }
  | { readonly kind: 'true' };

function flagLetters(def: MenuDef, values: Readonly<Record<string, string>>, dynamic: boolean, builtin: boolean, runtimeFlags: string): string {
  let out = '';
  for (const f of def.flags) {
    let on = false;
    // A runtime menu (e.g. /interface) says itself which of its rows are dynamic.
    if (f.source === 'dynamic') on = dynamic || runtimeFlags.includes(f.letter);
    else if (f.source === 'builtin') on = builtin;
    else if (f.source === 'runtime') on = runtimeFlags.includes(f.letter);
    else on = values[f.source.property] === 'yes';
    if (on) out += f.letter;
  }
  return out;
}

/** All rows of a menu as print shows them: configured items first, then dynamic/runtime rows. */
export function collectRows(store: ConfigStore, runtime: RuntimeProvider, menu: string): RowView[] {
  const def = getMenu(menu);
  if (!def) return [];
  const out: RowView[] = [];
  if (def.kind === 'list') {
    for (const item of store.items(menu)) {
      const status = runtime.status(menu, item.id);
      const values = { ...item.values, ...(status?.values ?? {}) };
      out.push({
        id: item.id,
        values,
        flags: flagLetters(def, values, false, item.builtin, status?.flags ?? ''),
        dynamic: false,
        builtin: item.builtin,
      });
    }
  }
  if (def.kind === 'list' || def.kind === 'runtime') {
    for (const row of runtime.rows(menu)) {
      const dynamic = def.kind === 'list';
      out.push({
        id: row.id,
        values: row.values,
        flags: flagLetters(def, row.values, dynamic, false, row.flags ?? ''),
        dynamic,
        builtin: false,
      });
    }
  }
  return out;
}

/** The flag a bare name refers to (`running` -> R). */
function flagByName(def: MenuDef, name: string): string | undefined {
  return def.flags.find((f) => f.description === name)?.letter;
}

function truthOf(def: MenuDef, row: RowView, prop: string): boolean | undefined {
  const v = row.values[prop];
  if (v !== undefined && (v === 'yes' || v === 'no' || v === 'true' || v === 'false')) return v === 'yes' || v === 'true';
  const letter = flagByName(def, prop);
  if (letter !== undefined) return row.flags.includes(letter);
  if (prop === 'default') return row.builtin;
  if (prop === 'dynamic') return row.dynamic;
  return undefined;
}

function valueOf(def: MenuDef, row: RowView, prop: string): string {
  if (prop === '.id') return row.id;
  const v = row.values[prop];
  if (v !== undefined) return v;
  const t = truthOf(def, row, prop);
  if (t !== undefined) return t ? 'yes' : 'no';
  return '';
}

function asNumber(s: string): number | undefined {
  if (/^-?[0-9]+$/.test(s)) return Number(s);
  return parseDuration(s);
}

export function evaluate(def: MenuDef, row: RowView, e: Expr): boolean {
  switch (e.kind) {
    case 'true':
      return true;
    case 'and':
      return evaluate(def, row, e.left) && evaluate(def, row, e.right);
    case 'or':
      return evaluate(def, row, e.left) || evaluate(def, row, e.right);
    case 'not':
      return !evaluate(def, row, e.expr);
    case 'bool':
      return truthOf(def, row, e.prop) ?? (row.values[e.prop] ?? '') !== '';
    case 'cmp': {
      const have = valueOf(def, row, e.prop);
      switch (e.op) {
        case '=':
          return have === e.value;
        case '!=':
          return have !== e.value;
        case '~':
          try {
            return new RegExp(e.value).test(have);
          } catch {
            return false;
          }
        default: {
          const a = asNumber(have);
          const b = asNumber(e.value);
          const c = a !== undefined && b !== undefined ? a - b : have.localeCompare(e.value);
          if (e.op === '<') return c < 0;
          if (e.op === '>') return c > 0;
          if (e.op === '<=') return c <= 0;
          return c >= 0;
        }
      }
    }
  }
}

/** Names usable in expressions besides properties (for completion and prefix matching). */
export function expressionNames(def: MenuDef): string[] {
  const names = new Set<string>(def.properties.map((p) => p.name));
  for (const f of def.flags) names.add(f.description);
  if ((def.builtins ?? []).length > 0) names.add('default');
  names.add('.id');
  return [...names];
}
