/**
 * The in-memory RouterOS configuration: items of list menus with stable ids (`*1`, `*2`, ... in
 * hexadecimal like RouterOS; built-ins keep RouterOS's own `*0` and `*FFFFFFFE`), and the values of
 * singleton menus. Pure: no I/O; persistence is `serialize()` / `ConfigStore.deserialize()`.
 *
 * Invariants:
 * - Every operation validates completely BEFORE changing anything: an error leaves the store
 *   exactly as it was (a multi-property `set` never half-applies).
 * - Every stored value is canonical for its type (parseValue(v) === v); items hold their
 *   effective values (defaults filled in at `add`), unset properties are absent.
 * - Names are unique within a menu; name references (`profile`, pool names in
 *   `remote-address`, `next-pool`, `default-profile`) always point at existing items: `remove`
 *   refuses an item that is referenced, and renaming an item rewrites its references in the
 *   same operation (reported as extra change records).
 * - Built-ins cannot be removed or renamed (so export can address them by name).
 *
 * Every successful mutation returns change records `{menu, op, id, before, after}` so services
 * can apply a change live; the caller decides when to persist.
 */
import {
  EXPORT_ORDER,
  MENUS,
  getMenu,
  getProperty,
  menuKey,
  type MenuDef,
  type PropertyDef,
} from './schema.js';
import {
  ConfigError,
  formatIpv4,
  networkOf,
  parsePrefix,
  parseIpv4,
  parseValue,
} from './values.js';

export type Values = Readonly<Record<string, string>>;

export interface Item {
  readonly id: string;
  readonly values: Values;
  readonly builtin: boolean;
}

export type ChangeOp = 'add' | 'set' | 'remove';

export interface ChangeRecord {
  readonly menu: string;
  readonly op: ChangeOp;
  /** Item id; `''` for singleton menus. */
  readonly id: string;
  readonly before?: Values;
  readonly after?: Values;
}

/** Raw (user-typed) arguments by exact property name. */
export type RawArgs = ReadonlyMap<string, string> | Readonly<Record<string, string>>;

function entriesOf(args: RawArgs): [string, string][] {
  return args instanceof Map ? [...args.entries()] : Object.entries(args);
}

const SERIAL_FORMAT = 'l2tp-config';
const SERIAL_VERSION = 1;

function failure(code: ConfigError['code'], text: string): ConfigError {
  return new ConfigError(code, `failure: ${text}`);
}

function idNumber(id: string): number {
  return Number.parseInt(id.slice(1), 16);
}

/** References between menus: which property of which menu names items of which menu. */
interface RefEdge {
  readonly from: string;
  readonly property: string;
  readonly to: string;
  /** Pool names in ip-or-pool properties: only non-IP values are references. */
  readonly ipOrPool: boolean;
}

const REF_EDGES: readonly RefEdge[] = MENUS.flatMap((m) =>
  m.properties.flatMap((p): RefEdge[] => {
    if (p.type.kind === 'ref') return [{ from: menuKey(m.path), property: p.name, to: p.type.menu, ipOrPool: false }];
    if (p.type.kind === 'ip-or-pool') return [{ from: menuKey(m.path), property: p.name, to: 'ip pool', ipOrPool: true }];
    return [];
  }),
);

function isReference(edge: RefEdge, value: string | undefined, word: string | undefined): boolean {
  if (value === undefined || value === '' || value === word) return false;
  if (edge.ipOrPool && parseIpv4(value) !== undefined) return false;
  return true;
}

export class ConfigStore {
  private readonly lists = new Map<string, Item[]>();
  private readonly singles = new Map<string, Record<string, string>>();
  private nextId = 1;

  constructor() {
    for (const m of MENUS) {
      const key = menuKey(m.path);
      if (m.kind === 'list') {
        this.lists.set(
          key,
          (m.builtins ?? []).map((b) => ({ id: b.id, values: { ...defaultsOf(m), ...b.values }, builtin: true })),
        );
      } else if (m.kind === 'singleton') {
        this.singles.set(key, { ...defaultsOf(m) });
      }
    }
  }

  // ------------------------------------------------------------------------------- reading

  /** Items of a list menu in order (empty for unknown or non-list menus). */
  items(menu: string): readonly Item[] {
    return this.lists.get(menu) ?? [];
  }

  get(menu: string, id: string): Item | undefined {
    return this.items(menu).find((i) => i.id === id);
  }

  findByName(menu: string, name: string): Item | undefined {
    const def = getMenu(menu);
    const prop = def?.nameProperty;
    if (prop === undefined) return undefined;
    return this.items(menu).find((i) => i.values[prop] === name);
  }

  /** Values of a singleton menu (defaults included). */
  settings(menu: string): Values {
    return this.singles.get(menu) ?? {};
  }

  /** Content without ids: menus in export order, each list as values, each singleton as values. */
  dump(): Record<string, Values | Values[]> {
    const out: Record<string, Values | Values[]> = {};
    for (const key of EXPORT_ORDER) {
      const list = this.lists.get(key);
      if (list) out[key] = list.map((i) => i.values);
      const single = this.singles.get(key);
      if (single) out[key] = single;
    }
    return out;
  }

  // ------------------------------------------------------------------------------- writing

  /** Adds an item to a list menu. */
  add(menu: string, args: RawArgs): { id: string; changes: ChangeRecord[] } | ConfigError {
    const def = this.listMenu(menu);
    if (def instanceof ConfigError) return def;
    const parsed = this.parseArgs(def, args);
    if (parsed instanceof ConfigError) return parsed;
    const values: Record<string, string> = { ...defaultsOf(def) };
    for (const [k, v] of parsed) {
      if (v === undefined) delete values[k];
      else values[k] = v;
    }
    if (def.autoNamePrefix !== undefined && values['name'] === undefined) {
      values['name'] = this.autoName(menu, def.autoNamePrefix);
    }
    deriveValues(menu, values, parsed);
    for (const p of def.properties) {
      if (p.required === true && (values[p.name] === undefined || values[p.name] === '')) {
        return failure('CFG_MISSING_VALUE', `${p.name} must be set`);
      }
    }
    const problem = this.checkItem(def, menu, values, undefined);
    if (problem) return problem;
    const id = `*${(this.nextId++).toString(16).toUpperCase()}`;
    const item: Item = { id, values, builtin: false };
    this.lists.get(menu)?.push(item);
    return { id, changes: [{ menu, op: 'add', id, after: values }] };
  }

  /**
   * Sets properties on items of a list menu (`ids`) or on a singleton menu (`ids` ignored).
   * A value of `undefined` in a Map unsets a property without a default.
   */
  set(menu: string, ids: readonly string[], args: RawArgs): ChangeRecord[] | ConfigError {
    const def = getMenu(menu);
    if (!def) return new ConfigError('CFG_NO_SUCH_MENU', 'bad command name');
    const parsed = this.parseArgs(def, args);
    if (parsed instanceof ConfigError) return parsed;
    if (def.kind === 'singleton') {
      const before = this.settings(menu);
      const after: Record<string, string> = { ...before };
      for (const [k, v] of parsed) {
        if (v === undefined) delete after[k];
        else after[k] = v;
      }
      const problem = this.checkRefs(def, menu, after);
      if (problem) return problem;
      this.singles.set(menu, after);
      return [{ menu, op: 'set', id: '', before, after }];
    }
    if (def.kind !== 'list') return failure('CFG_READ_ONLY', 'this menu is read-only');
    const list = this.lists.get(menu) ?? [];
    // Phase 1: compute and validate every new item; nothing is written yet.
    const updates: { index: number; before: Item; after: Record<string, string> }[] = [];
    for (const id of ids) {
      const index = list.findIndex((i) => i.id === id);
      const before = list[index];
      if (index < 0 || before === undefined) return new ConfigError('CFG_NO_SUCH_ITEM', 'no such item');
      const after: Record<string, string> = { ...before.values };
      for (const [k, v] of parsed) {
        if (v === undefined) delete after[k];
        else after[k] = v;
      }
      deriveValues(menu, after, parsed);
      for (const p of def.properties) {
        if (p.required === true && (after[p.name] === undefined || after[p.name] === '')) {
          return failure('CFG_MISSING_VALUE', `${p.name} must be set`);
        }
      }
      const nameProp = def.nameProperty;
      if (before.builtin && nameProp !== undefined && after[nameProp] !== before.values[nameProp]) {
        return failure('CFG_BUILTIN', 'can not rename built-in item');
      }
      updates.push({ index, before, after });
    }
    const ignore = new Set(ids);
    for (const u of updates) {
      const problem = this.checkItem(def, menu, u.after, ignore);
      if (problem) return problem;
    }
    const nameProp = def.nameProperty;
    if (nameProp !== undefined) {
      const newNames = updates.map((u) => u.after[nameProp]).filter((n) => n !== undefined);
      if (new Set(newNames).size !== newNames.length) {
        return failure('CFG_DUPLICATE_NAME', 'item with such name already exists');
      }
    }
    // Phase 2: apply, then propagate renames to references.
    const changes: ChangeRecord[] = [];
    for (const u of updates) {
      const item: Item = { id: u.before.id, values: u.after, builtin: u.before.builtin };
      list[u.index] = item;
      changes.push({ menu, op: 'set', id: item.id, before: u.before.values, after: u.after });
      if (nameProp !== undefined) {
        const oldName = u.before.values[nameProp];
        const newName = u.after[nameProp];
        if (oldName !== undefined && newName !== undefined && oldName !== newName) {
          changes.push(...this.renameReferences(menu, oldName, newName));
        }
      }
    }
    return changes;
  }

  remove(menu: string, ids: readonly string[]): ChangeRecord[] | ConfigError {
    const def = this.listMenu(menu);
    if (def instanceof ConfigError) return def;
    const list = this.lists.get(menu) ?? [];
    const victims: Item[] = [];
    for (const id of ids) {
      const item = list.find((i) => i.id === id);
      if (!item) return new ConfigError('CFG_NO_SUCH_ITEM', 'no such item');
      if (item.builtin) return failure('CFG_BUILTIN', 'can not remove built-in item');
      victims.push(item);
    }
    const nameProp = def.nameProperty;
    if (nameProp !== undefined) {
      for (const v of victims) {
        const name = v.values[nameProp];
        const user = name === undefined ? undefined : this.referrer(menu, name, new Set(ids));
        if (user !== undefined) return failure('CFG_IN_USE', `${name} is in use by /${user}`);
      }
    }
    const gone = new Set(victims.map((v) => v.id));
    this.lists.set(
      menu,
      list.filter((i) => !gone.has(i.id)),
    );
    return victims.map((v) => ({ menu, op: 'remove', id: v.id, before: v.values }));
  }

  enable(menu: string, ids: readonly string[]): ChangeRecord[] | ConfigError {
    return this.setDisabled(menu, ids, 'no');
  }

  disable(menu: string, ids: readonly string[]): ChangeRecord[] | ConfigError {
    return this.setDisabled(menu, ids, 'yes');
  }

  // ------------------------------------------------------------------------------- persistence

  /** Versioned JSON of the whole configuration, including ids and the id counter. */
  serialize(): string {
    const lists: Record<string, { id: string; values: Values }[]> = {};
    for (const [k, v] of this.lists) lists[k] = v.map((i) => ({ id: i.id, values: i.values }));
    const settings: Record<string, Values> = {};
    for (const [k, v] of this.singles) settings[k] = v;
    return JSON.stringify({ format: SERIAL_FORMAT, version: SERIAL_VERSION, nextId: this.nextId, lists, settings }, null, 1);
  }

  /**
   * Rebuilds a store from `serialize()` output. Corrupt input returns a CFG_CORRUPT error that
   * says what is wrong; it is never silently replaced by defaults.
   */
  static deserialize(text: string): ConfigStore | ConfigError {
    const corrupt = (why: string): ConfigError => new ConfigError('CFG_CORRUPT', `corrupt configuration: ${why}`);
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      return corrupt('not valid JSON');
    }
    if (!isRecord(doc)) return corrupt('not an object');
    if (doc['format'] !== SERIAL_FORMAT) return corrupt(`format is not ${SERIAL_FORMAT}`);
    if (doc['version'] !== SERIAL_VERSION) return corrupt(`unsupported version ${String(doc['version'])}`);
    const nextId = doc['nextId'];
    if (typeof nextId !== 'number' || !Number.isSafeInteger(nextId) || nextId < 1) return corrupt('bad nextId');
    const lists = doc['lists'];
    const settings = doc['settings'];
    if (!isRecord(lists) || !isRecord(settings)) return corrupt('missing lists or settings');
    const store = new ConfigStore();
    store.nextId = nextId;
    for (const [key, rawItems] of Object.entries(lists)) {
      const def = getMenu(key);
      if (!def || def.kind !== 'list') return corrupt(`unknown list menu ${key}`);
      if (!Array.isArray(rawItems)) return corrupt(`${key} is not an array`);
      const items: Item[] = [];
      const seen = new Set<string>();
      for (const raw of rawItems as unknown[]) {
        if (!isRecord(raw)) return corrupt(`${key}: item is not an object`);
        const id = raw['id'];
        if (typeof id !== 'string' || !/^\*[0-9A-F]{1,8}$/.test(id) || seen.has(id)) return corrupt(`${key}: bad or duplicate id`);
        seen.add(id);
        const values = checkValues(def, raw['values']);
        if (typeof values === 'string') return corrupt(`${key} ${id}: ${values}`);
        const builtin = (def.builtins ?? []).some((b) => b.id === id);
        if (!builtin && idNumber(id) >= nextId) return corrupt(`${key} ${id}: id not below nextId`);
        items.push({ id, values, builtin });
      }
      for (const b of def.builtins ?? []) {
        if (!seen.has(b.id)) return corrupt(`${key}: built-in ${b.id} missing`);
      }
      store.lists.set(key, items);
    }
    for (const [key, raw] of Object.entries(settings)) {
      const def = getMenu(key);
      if (!def || def.kind !== 'singleton') return corrupt(`unknown settings menu ${key}`);
      const values = checkValues(def, raw);
      if (typeof values === 'string') return corrupt(`${key}: ${values}`);
      store.singles.set(key, values);
    }
    // References and names must be consistent too.
    for (const [key, items] of store.lists) {
      const def = getMenu(key);
      if (!def) continue;
      for (const item of items) {
        const others = new Set([item.id]);
        const problem = store.checkItem(def, key, item.values, others);
        if (problem) return corrupt(`${key} ${item.id}: ${problem.message}`);
      }
    }
    for (const [key, values] of store.singles) {
      const def = getMenu(key);
      const problem = def ? store.checkRefs(def, key, values) : undefined;
      if (problem) return corrupt(`${key}: ${problem.message}`);
    }
    return store;
  }

  // ------------------------------------------------------------------------------- internals

  private listMenu(menu: string): MenuDef | ConfigError {
    const def = getMenu(menu);
    if (!def) return new ConfigError('CFG_NO_SUCH_MENU', 'bad command name');
    if (def.kind !== 'list') return failure('CFG_NOT_SUPPORTED', 'not a list menu');
    return def;
  }

  /** Parses raw arguments; `undefined` in the result means "unset". */
  private parseArgs(def: MenuDef, args: RawArgs): Map<string, string | undefined> | ConfigError {
    const out = new Map<string, string | undefined>();
    for (const [name, raw] of entriesOf(args)) {
      const prop = getProperty(def, name);
      if (!prop) return new ConfigError('CFG_UNKNOWN_PROPERTY', `unknown property ${name}`);
      if (prop.readOnly === true) return new ConfigError('CFG_READ_ONLY', `failure: ${name} is read-only`);
      if (raw === '' && prop.default === undefined && prop.type.kind !== 'string') {
        out.set(name, undefined);
        continue;
      }
      const v = parseValue(name, prop.type, raw);
      if (v instanceof ConfigError) return v;
      out.set(name, v);
    }
    return out;
  }

  private setDisabled(menu: string, ids: readonly string[], v: 'yes' | 'no'): ChangeRecord[] | ConfigError {
    const def = this.listMenu(menu);
    if (def instanceof ConfigError) return def;
    if (!getProperty(def, 'disabled')) return failure('CFG_NOT_SUPPORTED', 'can not be disabled');
    return this.set(menu, ids, { disabled: v });
  }

  private autoName(menu: string, prefix: string): string {
    for (let n = 1; n < 1_000_000; n++) {
      if (!this.findByName(menu, `${prefix}${n}`)) return `${prefix}${n}`;
    }
    return `${prefix}${this.nextId}`;
  }

  /** Name uniqueness (ignoring items in `self`) and reference existence. */
  private checkItem(
    def: MenuDef,
    menu: string,
    values: Values,
    self: ReadonlySet<string> | undefined,
  ): ConfigError | undefined {
    const nameProp = def.nameProperty;
    if (nameProp !== undefined) {
      const name = values[nameProp];
      if (name === undefined || name === '') return failure('CFG_MISSING_VALUE', `${nameProp} must be set`);
      if (this.items(menu).some((i) => i.values[nameProp] === name && !(self?.has(i.id) ?? false))) {
        return failure('CFG_DUPLICATE_NAME', 'item with such name already exists');
      }
    }
    return this.checkRefs(def, menu, values);
  }

  private checkRefs(def: MenuDef, menu: string, values: Values): ConfigError | undefined {
    for (const edge of REF_EDGES) {
      if (edge.from !== menu) continue;
      const prop = getProperty(def, edge.property);
      const word = prop?.type.kind === 'ref' ? prop.type.word : undefined;
      const value = values[edge.property];
      if (!isReference(edge, value, word) || value === undefined) continue;
      // A pool may name itself as next-pool? RouterOS forbids loops; we only require existence.
      if (!this.findByName(edge.to, value)) {
        return new ConfigError('CFG_NO_MATCH', `input does not match any value of ${edge.property}`);
      }
    }
    return undefined;
  }

  /** The menu of the first item referring to `name` in `menu`, ignoring items being removed. */
  private referrer(menu: string, name: string, removing: ReadonlySet<string>): string | undefined {
    for (const edge of REF_EDGES) {
      if (edge.to !== menu) continue;
      const from = getMenu(edge.from);
      if (from?.kind === 'singleton') {
        if (this.settings(edge.from)[edge.property] === name) return edge.from;
        continue;
      }
      for (const item of this.items(edge.from)) {
        if (edge.from === menu && removing.has(item.id)) continue;
        if (item.values[edge.property] === name) return edge.from;
      }
    }
    return undefined;
  }

  private renameReferences(menu: string, oldName: string, newName: string): ChangeRecord[] {
    const changes: ChangeRecord[] = [];
    for (const edge of REF_EDGES) {
      if (edge.to !== menu) continue;
      const from = getMenu(edge.from);
      if (from?.kind === 'singleton') {
        const before = this.settings(edge.from);
        if (before[edge.property] === oldName) {
          const after = { ...before, [edge.property]: newName };
          this.singles.set(edge.from, after);
          changes.push({ menu: edge.from, op: 'set', id: '', before, after });
        }
        continue;
      }
      const list = this.lists.get(edge.from) ?? [];
      list.forEach((item, i) => {
        if (item.values[edge.property] !== oldName) return;
        const after = { ...item.values, [edge.property]: newName };
        list[i] = { ...item, values: after };
        changes.push({ menu: edge.from, op: 'set', id: item.id, before: item.values, after });
      });
    }
    return changes;
  }
}

function defaultsOf(def: MenuDef): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of def.properties) if (p.default !== undefined && p.readOnly !== true) out[p.name] = p.default;
  return out;
}

/** Computed values: `/ip address` network follows the address unless given explicitly. */
function deriveValues(menu: string, values: Record<string, string>, given: ReadonlyMap<string, string | undefined>): void {
  if (menu === 'ip address' && given.has('address') && !given.has('network')) {
    const p = parsePrefix(values['address'] ?? '');
    if (p) values['network'] = formatIpv4(networkOf(p.addr, p.len));
  }
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Checks a stored values object: known, writable properties with canonical values. */
function checkValues(def: MenuDef, raw: unknown): Record<string, string> | string {
  if (!isRecord(raw)) return 'values is not an object';
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    const prop: PropertyDef | undefined = getProperty(def, k);
    if (!prop || prop.readOnly === true) return `unknown property ${k}`;
    if (typeof v !== 'string') return `${k} is not a string`;
    const canonical = parseValue(k, prop.type, v);
    if (canonical instanceof ConfigError || canonical !== v) return `bad value for ${k}`;
    out[k] = v;
  }
  return out;
}
