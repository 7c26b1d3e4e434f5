/**
 * `export`: the configuration as a RouterOS script that re-imports into an empty store and
 * reproduces the same configuration (ids aside). Pure: the caller passes the date and version.
 *
 * Format (RouterOS v7):
 *   # <date> by l2tp <version>
 *   /ip pool
 *   add name=vpn-pool ranges=192.168.99.2-192.168.99.100
 *   /ppp profile
 *   set [ find name=default ] local-address=192.168.99.1 remote-address=vpn-pool
 *
 * - menus in EXPORT_ORDER (dependencies first), restricted to the scope path;
 * - `add` for items, `set` for singletons; properties sorted alphabetically;
 * - compact (default): only values that differ from the default (for built-ins: from the
 *   built-in's initial values); `verbose`: every value; menus with nothing to say are omitted;
 * - built-ins are addressed as `set [ find name=<name> ]`. RouterOS itself writes `set *0` /
 *   `set [ find default=yes ]`; with two built-in profiles `default=yes` matches both, so we use
 *   the name, which is stable because built-ins cannot be renamed (store invariant);
 * - sensitive values (passwords, secrets) are left out unless `showSensitive`: such an export
 *   re-imports with those values at their defaults, exactly as RouterOS behaves;
 * - lines longer than 80 columns wrap with ` \` and a 4-space indent; `terse` writes one line
 *   per command with the full path in front and never wraps.
 */
import { EXPORT_ORDER, getMenu, menuKey, type MenuDef } from '../../config/schema.js';
import { type ConfigStore, type Values } from '../../config/store.js';
import { quoteIfNeeded } from './format.js';

export interface ExportOptions {
  /** Only menus under this path (default: everything). */
  readonly scope?: readonly string[];
  readonly verbose?: boolean;
  readonly terse?: boolean;
  readonly showSensitive?: boolean;
  /** Header line data; omitted when undefined. */
  readonly header?: { readonly date: string; readonly version: string };
}

export const EXPORT_WIDTH = 80;

function tokensFor(def: MenuDef, values: Values, base: Values | undefined, opts: ExportOptions): string[] {
  const names = Object.keys(values).sort();
  const out: string[] = [];
  for (const name of names) {
    const p = def.properties.find((q) => q.name === name);
    if (!p || p.readOnly === true) continue;
    if (p.sensitive === true && opts.showSensitive !== true) continue;
    const v = values[name] ?? '';
    if (opts.verbose !== true && base !== undefined && base[name] === v) continue;
    out.push(`${name}=${quoteIfNeeded(v)}`);
  }
  return out;
}

function wrap(tokens: readonly string[]): string[] {
  const lines: string[] = [];
  let line = tokens[0] ?? '';
  for (const t of tokens.slice(1)) {
    if (line.length + 1 + t.length + 2 > EXPORT_WIDTH) {
      lines.push(`${line} \\`);
      line = `    ${t}`;
    } else {
      line += ` ${t}`;
    }
  }
  lines.push(line);
  return lines;
}

function defaultsOf(def: MenuDef): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of def.properties) if (p.default !== undefined && p.readOnly !== true) out[p.name] = p.default;
  return out;
}

/** Export lines (no trailing newline). */
export function exportConfig(store: ConfigStore, opts: ExportOptions = {}): string[] {
  const scope = opts.scope ?? [];
  const out: string[] = [];
  if (opts.header) out.push(`# ${opts.header.date} by l2tp ${opts.header.version}`);
  for (const key of EXPORT_ORDER) {
    const def = getMenu(key);
    if (!def || !scope.every((w, i) => def.path[i] === w)) continue;
    const pathLine = `/${menuKey(def.path)}`;
    const commands: string[][] = [];
    const defaults = defaultsOf(def);
    if (def.kind === 'singleton') {
      const t = tokensFor(def, store.settings(key), defaults, opts);
      if (t.length > 0) commands.push(['set', ...t]);
    } else if (def.kind === 'list') {
      for (const item of store.items(key)) {
        if (item.builtin) {
          const b = (def.builtins ?? []).find((x) => x.id === item.id);
          const base = { ...defaults, ...(b?.values ?? {}) };
          const nameProp = def.nameProperty ?? 'name';
          const t = tokensFor(def, item.values, base, opts).filter((x) => !x.startsWith(`${nameProp}=`));
          if (t.length > 0 || opts.verbose === true) {
            commands.push(['set', '[', 'find', `${nameProp}=${quoteIfNeeded(item.values[nameProp] ?? '')}`, ']', ...t]);
          }
        } else {
          commands.push(['add', ...tokensFor(def, item.values, defaults, opts)]);
        }
      }
    }
    if (commands.length === 0) continue;
    if (opts.terse === true) {
      for (const c of commands) out.push(`${pathLine} ${c.join(' ')}`);
    } else {
      out.push(pathLine);
      for (const c of commands) out.push(...wrap(joinBrackets(c)));
    }
  }
  return out;
}

/** Keeps `[ find name=x ]` together as one token so wrapping never splits it. */
function joinBrackets(tokens: readonly string[]): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < tokens.length) {
    if (tokens[i] === '[') {
      const end = tokens.indexOf(']', i);
      out.push(tokens.slice(i, end + 1).join(' '));
      i = end + 1;
    } else {
      out.push(tokens[i] ?? '');
      i++;
    }
  }
  return out;
}
