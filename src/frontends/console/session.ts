/**
 * A console session: the current path, the numbering of the last `print` per menu, the prompt,
 * script execution (interactive lines and `import`), completion and `?` help. Pure: files are
 * read and written through callbacks supplied by the caller (the daemon's TTY / control socket).
 *
 * Semantics:
 * - `run(text)` executes every command of `text` in order (`;` and line ends separate them,
 *   `\` continues a line) and stops at the first error, whose RouterOS message ends the output.
 *   Commands before the error stay applied, as in RouterOS; each command is all-or-nothing.
 * - Print numbers refer to the last `print` of that menu in this session. A script that never
 *   printed (e.g. an imported export) may still use numbers: they then follow the current
 *   listing order, i.e. what a `print` would show. RouterOS requires a print first; being more
 *   lenient costs nothing and makes the manual's examples run as scripts.
 * - `import` runs a script from the caller's `readFile` in a nested context starting at `/`,
 *   then restores the current path; nesting depth is bounded.
 * - The manual's flattened line `/ppp secret add name=user1 password=123 add name=user2
 *   password=234` is two commands on one line without a separator; like RouterOS we reject it
 *   (`expected end of command`): each `add` needs its own line or a `;`.
 */
import { type ChangeRecord, type ConfigStore } from '../../config/store.js';
import { type RuntimeProvider } from '../../config/runtime.js';
import { childrenOf, getMenu, getProperty, menuKey, verbsOf, type MenuDef } from '../../config/schema.js';
import { describeType, keywordsOf } from '../../config/values.js';
import { CommandError, VERB_SPECS, executeCommand, type CommandContext } from '../command.js';
import { expressionNames } from '../rows.js';
import { parseCommand, parsePath, resolveName, splitCommands, verbsAt } from './parser.js';
import { tokenize, type Token } from './tokenizer.js';

export interface SessionOptions {
  readonly user?: string;
  readonly exportHeader?: { readonly date: string; readonly version: string };
  readFile?(name: string): string | undefined;
  writeFile?(name: string, text: string): string | undefined;
}

export interface RunResult {
  readonly lines: string[];
  readonly error?: CommandError;
  readonly changes: ChangeRecord[];
  /** The last command asks to be repeated (monitor, print interval=). */
  readonly repeatMs?: number;
}

const MAX_IMPORT_DEPTH = 8;

export class ConsoleSession {
  /** Current menu path. */
  cwd: string[] = [];
  private readonly numbering = new Map<string, readonly string[]>();
  private depth = 0;

  constructor(
    readonly store: ConfigStore,
    readonly runtime: RuntimeProvider,
    private readonly options: SessionOptions = {},
  ) {}

  /** `[admin@MikroTik] /ppp secret> ` */
  prompt(): string {
    const identity = this.store.settings('system identity')['name'] ?? 'MikroTik';
    const where = this.cwd.length === 0 ? '' : `/${this.cwd.join(' ')}`;
    return `[${this.options.user ?? 'admin'}@${identity}] ${where}> `;
  }

  /** Executes a line or a script. Never throws. */
  run(text: string): RunResult {
    const tokens = tokenize(text);
    const lines: string[] = [];
    const changes: ChangeRecord[] = [];
    if (!Array.isArray(tokens)) {
      const error = new CommandError('CON_SYNTAX', `syntax error (line ${tokens.line} column ${tokens.column})`);
      return { lines: [error.message], error, changes };
    }
    let repeatMs: number | undefined;
    for (const cmdTokens of splitCommands(tokens)) {
      const parsed = parseCommand(cmdTokens, this.cwd);
      if (parsed instanceof CommandError) return { lines: [...lines, parsed.message], error: parsed, changes };
      if (parsed.kind === 'empty') continue;
      if (parsed.kind === 'cd') {
        this.cwd = [...parsed.path];
        continue;
      }
      if (parsed.kind === 'import') {
        const r = this.importFile(parsed.file);
        lines.push(...r.lines);
        changes.push(...r.changes);
        if (r.error) return { lines, error: r.error, changes };
        continue;
      }
      const ctx: CommandContext = {
        numbering: (menu) => this.numbering.get(menu),
        ...(this.options.exportHeader ? { exportHeader: this.options.exportHeader } : {}),
        ...(this.options.writeFile ? { writeFile: this.options.writeFile } : {}),
      };
      const r = executeCommand(this.store, this.runtime, parsed.command, ctx);
      lines.push(...r.lines);
      changes.push(...r.changes);
      if (r.numbering) this.numbering.set(r.numbering.menu, r.numbering.ids);
      if (r.error) return { lines: [...lines, r.error.message], error: r.error, changes };
      repeatMs = r.repeatMs;
    }
    return { lines, changes, ...(repeatMs !== undefined ? { repeatMs } : {}) };
  }

  /** Runs a script as `import` does: from `/`, restoring the current path afterwards. */
  runScript(text: string): RunResult {
    const saved = this.cwd;
    this.cwd = [];
    try {
      return this.run(text);
    } finally {
      this.cwd = saved;
    }
  }

  private importFile(name: string): RunResult {
    const text = this.options.readFile?.(name);
    if (text === undefined) {
      const error = new CommandError('CMD_NO_FILE', 'failure: no such file');
      return { lines: [error.message], error, changes: [] };
    }
    if (this.depth >= MAX_IMPORT_DEPTH) {
      const error = new CommandError('CMD_NO_FILE', 'failure: import nested too deeply');
      return { lines: [error.message], error, changes: [] };
    }
    this.depth++;
    try {
      const r = this.runScript(text);
      if (r.error) return r;
      return { ...r, lines: [...r.lines, 'Script file loaded and executed successfully'] };
    } finally {
      this.depth--;
    }
  }

  /** Context of the command being typed at the end of `text`. */
  private context(text: string): { path: string[]; verb?: string; def?: MenuDef; prefix: string; typed: Token[] } {
    const tokens = tokenize(text, true);
    const list = Array.isArray(tokens) ? tokens.filter((t) => t.kind !== 'eof') : [];
    // Only the last command matters; a `[` opens a nested one.
    let startIdx = 0;
    list.forEach((t, i) => {
      if (t.kind === ';' || t.kind === 'newline' || t.kind === '[') startIdx = i + 1;
    });
    const cmd = list.slice(startIdx);
    const last = cmd[cmd.length - 1];
    const endsInWord = last !== undefined && last.kind === 'word' && last.end === text.length;
    const prefix = endsInWord ? (last?.text ?? '') : '';
    const typed = endsInWord ? cmd.slice(0, -1) : cmd;
    const head = parsePath(typed, this.cwd);
    if (head instanceof CommandError) return { path: [...this.cwd], prefix, typed };
    const def = getMenu(menuKey(head.path));
    return {
      path: head.path,
      ...(head.verb !== undefined ? { verb: head.verb } : {}),
      ...(def ? { def } : {}),
      prefix,
      typed,
    };
  }

  /**
   * Completion candidates for the word ending at `cursor`: menus and verbs, then argument names
   * (`name=`), flags, and values of enum-like properties (`use-ipsec=required`).
   */
  complete(line: string, cursor: number = line.length): string[] {
    const text = line.slice(0, Math.max(0, Math.min(cursor, line.length)));
    const c = this.context(text);
    const { prefix } = c;
    if (c.verb === undefined) {
      if (prefix.startsWith('/')) {
        const parts = prefix.split('/');
        const last = parts.pop() ?? '';
        const base = parts.filter((p) => p !== '');
        const head = prefix.slice(0, prefix.length - last.length);
        return childrenOf(base)
          .filter((x) => x.startsWith(last))
          .map((x) => head + x);
      }
      return [...childrenOf(c.path), ...verbsAt(c.path)].filter((x) => x.startsWith(prefix)).sort();
    }
    const def = c.def;
    const spec = VERB_SPECS[c.verb];
    if (!def || !spec) return (VERB_SPECS['export']?.flags ?? []).filter((f) => f.startsWith(prefix));
    const eq = prefix.indexOf('=');
    if (eq >= 0) {
      const name = prefix.slice(0, eq);
      const valuePrefix = prefix.slice(eq + 1);
      const props = def.properties.map((p) => p.name);
      const r = resolveName(name, props);
      const prop = r === 'none' || r === 'ambiguous' ? undefined : getProperty(def, r);
      if (!prop) return [];
      let words: string[] = [...keywordsOf(prop.type)];
      if (prop.type.kind === 'ref' || prop.type.kind === 'ip-or-pool') {
        const target = prop.type.kind === 'ref' ? prop.type.menu : 'ip pool';
        const nameProp = getMenu(target)?.nameProperty ?? 'name';
        words = [...words, ...this.store.items(target).map((i) => i.values[nameProp] ?? '')];
      }
      if (prop.type.kind === 'enum-set') {
        const parts = valuePrefix.split(',');
        const lastPart = parts.pop() ?? '';
        const head = parts.length > 0 ? `${parts.join(',')},` : '';
        return words.filter((w) => w.startsWith(lastPart) && !parts.includes(w)).map((w) => `${name}=${head}${w}`);
      }
      return words.filter((w) => w.startsWith(valuePrefix)).map((w) => `${name}=${w}`);
    }
    const props =
      spec.props === 'writable'
        ? def.properties.filter((p) => p.readOnly !== true).map((p) => p.name)
        : spec.props === 'all'
          ? expressionNames(def)
          : [];
    const candidates = [
      ...[...props, ...spec.named].map((n) => `${n}=`),
      ...spec.flags,
      ...(spec.where ? ['where'] : []),
    ];
    return [...new Set(candidates)].filter((x) => x.startsWith(prefix)).sort();
  }

  /** `?` help for the text typed so far: menus and commands, or a command's arguments. */
  help(line: string): string[] {
    const c = this.context(line);
    if (c.verb === undefined) {
      const out: string[] = [];
      const here = getMenu(menuKey(c.path));
      if (here?.help !== undefined) out.push(here.help, '');
      for (const child of childrenOf(c.path)) {
        const m = getMenu(menuKey([...c.path, child]));
        out.push(`${child.padEnd(20)} -- ${m?.help ?? 'directory'}`);
      }
      for (const v of verbsAt(c.path)) out.push(`${v.padEnd(20)} -- ${VERB_HELP[v] ?? ''}`.trimEnd());
      return out;
    }
    const def = c.def;
    const spec = VERB_SPECS[c.verb];
    const out: string[] = [`${c.verb} -- ${VERB_HELP[c.verb] ?? ''}`.trimEnd()];
    if (!def || !spec) return out;
    const eq = c.prefix.indexOf('=');
    if (eq >= 0) {
      const r = resolveName(c.prefix.slice(0, eq), def.properties.map((p) => p.name));
      const p = r === 'none' || r === 'ambiguous' ? undefined : getProperty(def, r);
      if (p) return [`${p.name} -- ${p.help ?? ''}`.trimEnd(), `  ${describeType(p.type)}${p.default !== undefined ? `; Default: ${p.default}` : ''}`];
    }
    if (spec.items !== 'none' && def.kind !== 'singleton') out.push(`${'<numbers>'.padEnd(22)} -- item numbers, names, *ids or [ find ... ]`);
    if (spec.props !== 'none') {
      for (const p of def.properties) {
        if (spec.props === 'writable' && p.readOnly === true) continue;
        out.push(`${p.name.padEnd(22)} -- ${describeType(p.type)}${p.default !== undefined ? ` (default: ${p.default === '' ? '""' : p.default})` : ''}`);
      }
    }
    for (const n of spec.named) out.push(`${n.padEnd(22)} --`);
    for (const f of spec.flags) out.push(`${f.padEnd(22)} --`);
    if (spec.where) out.push(`${'where'.padEnd(22)} -- <expression>`);
    return out;
  }

  /** Verbs of the current menu (for TTY hints). */
  verbs(): readonly string[] {
    const def = getMenu(menuKey(this.cwd));
    return def ? verbsOf(def) : verbsAt(this.cwd);
  }
}

const VERB_HELP: Readonly<Record<string, string>> = {
  add: 'Create a new item',
  set: 'Change item properties',
  remove: 'Remove item',
  enable: 'Enable items',
  disable: 'Disable items',
  print: 'Print values of item properties',
  get: 'Get value of item property',
  find: 'Find items by value',
  export: 'Print or save an export script',
  import: 'Run configuration script',
  monitor: 'Monitor status',
};
