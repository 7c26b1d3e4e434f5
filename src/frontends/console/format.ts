/**
 * RouterOS v7 console output formats, driven by the schema (no per-menu formatting code):
 *
 * - flags line `Flags: X - disabled; R - running` (detail: every flag of the menu; table: only
 *   the flags some shown row carries, as in the v7 examples);
 * - table (plain print of most menus): `Columns: NAME, USER, ...`, a header with `#`, one row per
 *   item with its print number and set flag letters; columns empty in every row are dropped;
 * - detail (`print detail`, and plain print of `/interface l2tp-client`): ` 0  R name="x" ...`,
 *   one fixed slot per flag, string values quoted, wrapped with a continuation indent as wide
 *   as the number+flags prefix; a comment prints first as `;;; text`;
 * - terse: the same prefix, every property on one line, quoting only where needed;
 * - settings (singleton print, monitor): keys right-aligned, list values one per line;
 * - as-value: `.id=*1;name=x;...` per row; log: `time topics message`.
 *
 * Wrapping width: RouterOS v7 breaks a detail line before a property that would take it past
 * 88 columns; that reproduces the l2tp-client example of ROUTEROS.md exactly (lines of 87, 87,
 * 68 and 75 columns), so DETAIL_WIDTH is measured, not guessed.
 *
 * Pure functions: rows in, lines out.
 */
import { type MenuDef, type PropertyDef } from '../../config/schema.js';
import { type RowView } from '../rows.js';

export const DETAIL_WIDTH = 88;

/** `Flags: X - disabled; R - running`, or undefined for menus without flags. */
export function formatFlagsLine(def: MenuDef): string | undefined {
  if (def.flags.length === 0) return undefined;
  return `Flags: ${def.flags.map((f) => `${f.letter} - ${f.description}`).join('; ')}`;
}

const PLAIN = /^[A-Za-z0-9._\-/:,*@+<>!%]+$/;

/** Quotes a value for console input/export when it needs it, escaping `"`, `\`, `$`, `?`. */
export function quoteIfNeeded(v: string): string {
  return PLAIN.test(v) ? v : quote(v);
}

export function quote(v: string): string {
  let out = '"';
  for (const ch of v) {
    if (ch === '"' || ch === '\\' || ch === '$' || ch === '?') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else {
      const code = ch.codePointAt(0) ?? 0;
      out += code < 0x20 || code === 0x7f ? `\\${code.toString(16).toUpperCase().padStart(2, '0')}` : ch;
    }
  }
  return `${out}"`;
}

/** Properties shown as `name=value` in detail/terse print, in schema order. */
function detailProps(def: MenuDef): PropertyDef[] {
  return def.properties.filter((p) => p.hiddenInDetail !== true && p.stats !== true);
}

function detailToken(p: PropertyDef, v: string, terse: boolean): string {
  if (terse) return `${p.name}=${v === '' ? '""' : quoteIfNeeded(v)}`;
  return `${p.name}=${p.type.kind === 'string' ? quote(v) : v}`;
}

function flagSlots(def: MenuDef, row: RowView): string {
  return def.flags.map((f) => (row.flags.includes(f.letter) ? f.letter : ' ')).join('');
}

/** `print detail` (or `terse` when `terse`). */
export function formatDetail(def: MenuDef, rows: readonly RowView[], opts: { terse?: boolean } = {}): string[] {
  const out: string[] = [];
  const flags = formatFlagsLine(def);
  if (flags !== undefined && opts.terse !== true) out.push(flags);
  const numWidth = Math.max(2, String(Math.max(0, rows.length - 1)).length);
  rows.forEach((row, index) => {
    const prefix = `${String(index).padStart(numWidth)} ${flagSlots(def, row)} `;
    const indent = ' '.repeat(prefix.length);
    const tokens: string[] = [];
    for (const p of detailProps(def)) {
      const v = row.values[p.name];
      if (v !== undefined) tokens.push(detailToken(p, v, opts.terse === true));
    }
    const comment = row.values['comment'];
    if (opts.terse === true) {
      const c = comment !== undefined && comment !== '' ? [`comment=${quoteIfNeeded(comment)}`] : [];
      out.push(`${prefix}${[...c, ...tokens].join(' ')}`.trimEnd());
      return;
    }
    let line = prefix;
    let fresh = true;
    if (comment !== undefined && comment !== '') {
      out.push(`${prefix};;; ${comment}`);
      line = indent;
    }
    for (const t of tokens) {
      if (!fresh && line.length + 1 + t.length > DETAIL_WIDTH) {
        out.push(line);
        line = indent + t;
      } else {
        line += fresh ? t : ` ${t}`;
      }
      fresh = false;
    }
    if (!fresh || line.trim() !== '') out.push(line.trimEnd());
  });
  return out;
}

/** Table print. `stats` shows the name column plus the stats columns. */
export function formatTable(def: MenuDef, rows: readonly RowView[], opts: { stats?: boolean } = {}): string[] {
  const out: string[] = [];
  // v7 tables list only the flags that some shown row carries (ROUTEROS.md's l2tp-server table
  // shows `D - dynamic; R - running` although the menu also has X); detail lists all of them.
  const present = def.flags.filter((f) => rows.some((r) => r.flags.includes(f.letter)));
  if (present.length > 0) out.push(`Flags: ${present.map((f) => `${f.letter} - ${f.description}`).join('; ')}`);
  let cols = def.properties.filter((p) => p.column !== undefined && (opts.stats === true ? true : p.stats !== true));
  if (opts.stats === true) cols = cols.filter((p, i) => i === 0 || p.stats === true);
  cols = cols.filter((p) => rows.some((r) => (r.values[p.name] ?? '') !== ''));
  if (cols.length === 0) cols = def.properties.filter((p) => p.column !== undefined).slice(0, 1);
  out.push(`Columns: ${cols.map((c) => c.column ?? c.name.toUpperCase()).join(', ')}`);
  const numWidth = String(Math.max(0, rows.length - 1)).length;
  const firstCells = rows.map((r, i) => `${String(i).padStart(numWidth)} ${r.flags}`.trimEnd());
  const firstWidth = Math.max(1, ...firstCells.map((c) => c.length));
  const widths = cols.map((c) =>
    Math.max((c.column ?? c.name).length, ...rows.map((r) => (r.values[c.name] ?? '').length)),
  );
  const render = (first: string, cells: readonly string[]): string =>
    `${first.padEnd(firstWidth)} ${cells.map((c, i) => c.padEnd((widths[i] ?? 0) + 2)).join('')}`.trimEnd();
  out.push(render('#', cols.map((c) => c.column ?? c.name.toUpperCase())));
  rows.forEach((r, i) => {
    const comment = r.values['comment'];
    if (comment !== undefined && comment !== '') {
      out.push(`${String(i).padStart(numWidth).padEnd(firstWidth)} ;;; ${comment}`);
    }
    out.push(render(firstCells[i] ?? '', cols.map((c) => r.values[c.name] ?? '')));
  });
  return out;
}

const LIST_KINDS = new Set(['enum-set', 'ip-list', 'ranges']);

/**
 * Settings object: keys right-aligned to the longest key, values of list types one per line
 * under each other. `order` gives the keys (default: all keys of `values`).
 */
export function formatSettings(
  values: Readonly<Record<string, string>>,
  order: readonly string[] = Object.keys(values),
  listKeys: ReadonlySet<string> = new Set(),
): string[] {
  const keys = order.filter((k) => values[k] !== undefined);
  const width = Math.max(0, ...keys.map((k) => k.length));
  const out: string[] = [];
  for (const k of keys) {
    const v = values[k] ?? '';
    const parts = listKeys.has(k) && v !== '' ? v.split(',') : [v];
    parts.forEach((part, i) => {
      const head = i === 0 ? `${k.padStart(width)}:` : ' '.repeat(width + 1);
      out.push(`${head} ${part}`.trimEnd());
    });
  }
  return out;
}

/** A singleton menu's print. */
export function formatSingleton(def: MenuDef, values: Readonly<Record<string, string>>): string[] {
  const listKeys = new Set(def.properties.filter((p) => LIST_KINDS.has(p.type.kind)).map((p) => p.name));
  return formatSettings(
    values,
    def.properties.map((p) => p.name),
    listKeys,
  );
}

/** `monitor` output: the runtime's fields, right-aligned like settings. */
export function formatMonitor(values: Readonly<Record<string, string>>): string[] {
  return formatSettings(values);
}

/** `print as-value`: `.id=*1;name=x;...` per row. */
export function formatAsValue(def: MenuDef, rows: readonly RowView[]): string[] {
  return rows.map((r) => {
    const parts = [`.id=${r.id}`];
    for (const p of def.properties) {
      const v = r.values[p.name];
      if (v !== undefined) parts.push(`${p.name}=${v}`);
    }
    return parts.join(';');
  });
}

/** `/log print`: `time topics message`. */
export function formatLog(rows: readonly RowView[]): string[] {
  return rows.map((r) => [r.values['time'] ?? '', r.values['topics'] ?? '', r.values['message'] ?? ''].join(' ').trim());
}
