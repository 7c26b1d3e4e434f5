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
 * - Scripting (script.ts): `{ }` blocks, `:local`/`:global`/`:set`, `$var` substitution,
 *   `:put`, `:log`, `:if`; the same in console lines, imports and on-up/on-down scripts.
 * - `import` runs a script from the caller's `readFile` in a nested context starting at `/`,
 *   then restores the current path; nesting depth is bounded.
 * - The manual's flattened line `/ppp secret add name=user1 password=123 add name=user2
 *   password=234` is two commands on one line without a separator; like RouterOS we reject it
 *   (`expected end of command`): each `add` needs its own line or a `;`.
 */
import { type ChangeRecord, type ConfigStore } from '../../config/store.js';
import { type RuntimeProvider } from '../../config/runtime.js';
import type { Logger } from '../../core/log.js';
import { childrenOf, getMenu, getProperty, menuKey, verbsOf, type MenuDef } from '../../config/schema.js';
import { describeType, keywordsOf } from '../../config/values.js';
import { CommandError, VERB_SPECS, executeCommand, type CommandContext } from '../command.js';
import { expressionNames } from '../rows.js';
import { matchingBracket, parseCommand, parsePath, resolveName, splitCommands, verbsAt } from './parser.js';
import { LOG_LEVELS, MAX_BLOCK_DEPTH, MAX_COMMANDS, SCRIPT_COMMANDS, Scope, evaluateCondition, substitute, type LogLevel } from './script.js';
import { splitWord, tokenize, type Segment, type Token } from './tokenizer.js';

export interface SessionOptions {
  readonly user?: string;
  readonly exportHeader?: { readonly date: string; readonly version: string };
  /** Where `:log` writes (topic `script`); without one, `:log` is silent. */
  readonly logger?: Logger;
  readFile?(name: string): string | undefined;
  writeFile?(name: string, text: string): string | undefined;
  /**
   * Most commands one run may execute (default MAX_COMMANDS, for event scripts such as on-up).
   * Scripts cannot loop, so a run is bounded by its text anyway; an operator's `exec` or
   * `--import` of a large configuration (thousands of secrets) takes a higher one.
   */
  readonly maxCommands?: number;
}

export interface RunResult {
  readonly lines: string[];
  readonly error?: CommandError;
  readonly changes: ChangeRecord[];
  /** The last command asks to be repeated (monitor, print interval=). */
  readonly repeatMs?: number;
}

const MAX_IMPORT_DEPTH = 8;

interface RunState {
  readonly lines: string[];
  readonly changes: ChangeRecord[];
  /** Commands executed so far in this run (bounded by maxCommands). */
  commands: number;
  repeatMs: number | undefined;
}

function where(t: Token | undefined): string {
  return t === undefined ? '' : ` (line ${t.line} column ${t.column})`;
}

function tooDeep(at: Token): CommandError {
  return new CommandError('CON_SCRIPT_LIMIT', `failure: blocks nested more than ${MAX_BLOCK_DEPTH} deep${where(at)}`);
}

function syntaxError(t: Token | undefined): CommandError {
  return new CommandError('CON_SYNTAX', `syntax error${where(t)}`);
}

function expectedEnd(t: Token | undefined): CommandError {
  return new CommandError('CON_EXPECTED_END', `expected end of command${where(t)}`);
}

function lookupIn(scope: Scope, globals: ReadonlyMap<string, string>): (name: string) => string {
  return (name) => scope.find(name)?.vars.get(name) ?? globals.get(name) ?? '';
}

export class ConsoleSession {
  /** Current menu path. */
  cwd: string[] = [];
  private readonly numbering = new Map<string, readonly string[]>();
  private readonly globals = new Map<string, string>();
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

  /**
   * Executes a line or a script. Never throws. `variables` are the outermost local variables
   * (on-up's `user`, `remote-address`...).
   */
  run(text: string, variables?: Readonly<Record<string, string>>): RunResult {
    const tokens = tokenize(text);
    const state: RunState = { lines: [], changes: [], commands: 0, repeatMs: undefined };
    if (!Array.isArray(tokens)) {
      const error = new CommandError('CON_SYNTAX', `syntax error (line ${tokens.line} column ${tokens.column})`);
      return { lines: [error.message], error, changes: state.changes };
    }
    const outer = new Scope(undefined);
    for (const [k, v] of Object.entries(variables ?? {})) outer.vars.set(k, v);
    const error = this.execBlock(tokens, new Scope(outer), state, 0);
    if (error) return { lines: state.lines, error, changes: state.changes };
    return { lines: state.lines, changes: state.changes, ...(state.repeatMs !== undefined ? { repeatMs: state.repeatMs } : {}) };
  }

  /** Global variables (`:global`) of this session. */
  global(name: string): string | undefined {
    return this.globals.get(name);
  }

  /** Runs the commands of `tokens`; on error, its message is already in `state.lines`. */
  private execBlock(tokens: readonly Token[], scope: Scope, state: RunState, depth: number): CommandError | undefined {
    for (const cmdTokens of splitCommands(tokens)) {
      const error = this.execOne(cmdTokens, scope, state, depth);
      if (error) return error;
    }
    return undefined;
  }

  private execOne(cmdTokens: readonly Token[], scope: Scope, state: RunState, depth: number): CommandError | undefined {
    const fail = (error: CommandError): CommandError => {
      state.lines.push(error.message);
      return error;
    };
    const over = this.countCommand(state);
    if (over) return fail(over);
    const first = cmdTokens[0];
    if (first?.kind === '{') {
      const close = matchingBracket(cmdTokens, 0);
      if (close < 0) return fail(syntaxError(first));
      if (close !== cmdTokens.length - 1) return fail(expectedEnd(cmdTokens[close + 1]));
      return this.execNested(cmdTokens.slice(1, close), scope, state, depth, first);
    }
    if (first?.kind === 'word' && first.segments.length > 0 && first.segments.every((x) => !x.quoted && x.variable === undefined) && first.text.startsWith(':')) {
      const r = this.scriptCommand(cmdTokens, scope, state, depth);
      return r ? fail(r) : undefined;
    }
    // `name=[command]`: the command's value becomes the property value.
    const expanded = this.expandBrackets(cmdTokens, scope, state, depth, false);
    if (expanded instanceof CommandError) return fail(expanded);
    const parsed = parseCommand(substitute(expanded, lookupIn(scope, this.globals)), this.cwd);
    if (parsed instanceof CommandError) return fail(parsed);
    if (parsed.kind === 'empty') return undefined;
    if (parsed.kind === 'cd') {
      this.cwd = [...parsed.path];
      return undefined;
    }
    if (parsed.kind === 'import') {
      const r = this.importFile(parsed.file);
      state.lines.push(...r.lines);
      state.changes.push(...r.changes);
      return r.error;
    }
    const r = executeCommand(this.store, this.runtime, parsed.command, this.commandContext());
    state.lines.push(...r.lines);
    state.changes.push(...r.changes);
    if (r.numbering) this.numbering.set(r.numbering.menu, r.numbering.ids);
    if (r.error) return fail(r.error);
    state.repeatMs = r.repeatMs;
    return undefined;
  }

  private execNested(tokens: readonly Token[], scope: Scope, state: RunState, depth: number, at: Token): CommandError | undefined {
    if (depth + 1 > MAX_BLOCK_DEPTH) {
      const error = tooDeep(at);
      state.lines.push(error.message);
      return error;
    }
    return this.execBlock(tokens, new Scope(scope), state, depth + 1);
  }

  /** Counts one command of the run; the error once the run's bound is passed. */
  private countCommand(state: RunState): CommandError | undefined {
    const limit = this.options.maxCommands ?? MAX_COMMANDS;
    return ++state.commands > limit ? new CommandError('CON_SCRIPT_LIMIT', `failure: script runs more than ${limit} commands`) : undefined;
  }

  private commandContext(): CommandContext {
    return {
      numbering: (menu) => this.numbering.get(menu),
      ...(this.options.exportHeader ? { exportHeader: this.options.exportHeader } : {}),
      ...(this.options.writeFile ? { writeFile: this.options.writeFile } : {}),
    };
  }

  /**
   * Command substitution: replaces `[command]` groups by the command's value (`evalBracket`).
   * `all` (script commands and `:if` conditions): every top-level group; otherwise (ordinary
   * commands) only a group with an absolute command right after a word ending in `=`
   * (`gateway=[/interface get ...]`), since `[find ...]` selects items and is the parser's. A group adjacent to the word
   * before it is joined to that word. `$[command]` inside double quotes is replaced everywhere.
   * Returns an error not yet reported.
   */
  private expandBrackets(tokens: readonly Token[], scope: Scope, state: RunState, depth: number, all: boolean): Token[] | CommandError {
    if (!tokens.some((t) => t.kind === '[' || (t.kind === 'word' && t.segments.some((g) => g.command !== undefined)))) return [...tokens];
    const out: Token[] = [];
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (t.kind === 'word' && t.segments.some((g) => g.command !== undefined)) {
        // "... $[command] ...": the value in place of the segment, as literal text.
        const segments: Segment[] = [];
        for (const g of t.segments) {
          if (g.command === undefined) {
            segments.push(g);
            continue;
          }
          const inner = tokenize(g.command);
          if (!Array.isArray(inner)) return syntaxError(t);
          const commands = splitCommands(inner);
          if (commands.length > 1) return syntaxError(t);
          const value = this.evalBracket(commands[0] ?? [], scope, state, depth, t);
          if (value instanceof CommandError) return value;
          segments.push({ text: value, quoted: true });
        }
        out.push({ ...t, segments, text: segments.map((g) => g.text).join('') });
        continue;
      }
      if (t.kind !== '[') {
        out.push(t);
        continue;
      }
      const close = matchingBracket(tokens, i);
      if (close < 0) return syntaxError(t);
      const prev = out[out.length - 1];
      const joined = prev?.kind === 'word' && prev.end === t.start;
      const isValue = joined && prev.segments.at(-1)?.quoted === false && prev.text.endsWith('=');
      // In an ordinary command a relative inner command (`numbers=[find ...]`) belongs to that
      // command's menu: the parser resolves it there, so it is left alone here.
      const inner = tokens[i + 1];
      const absolute = inner?.kind === 'word' && inner.text.startsWith('/');
      if (!all && (!isValue || !absolute)) {
        for (let k = i; k <= close; k++) out.push(tokens[k]!);
        i = close;
        continue;
      }
      const value = this.evalBracket(tokens.slice(i + 1, close), scope, state, depth, t);
      if (value instanceof CommandError) return value;
      const segment: Segment = { text: value, quoted: true };
      const end = tokens[close]!.end;
      if (joined) out[out.length - 1] = { ...prev, segments: [...prev.segments, segment], text: prev.text + value, end };
      else out.push({ kind: 'word', segments: [segment], text: value, line: t.line, column: t.column, start: t.start, end });
      i = close;
    }
    return out;
  }

  /**
   * The value of a bracketed command, as RouterOS scripts use it: what it prints (`get` a
   * property, `print count-only`, `find`'s ids joined by `;`), or the ids an `add` made. Counts
   * as a command of the run; its changes are the run's.
   */
  private evalBracket(inner: readonly Token[], scope: Scope, state: RunState, depth: number, at: Token): string | CommandError {
    const over = this.countCommand(state);
    if (over) return over;
    if (depth + 1 > MAX_BLOCK_DEPTH) return tooDeep(at);
    const first = inner[0];
    if (first === undefined || first.kind === 'eof') return '';
    if (first.kind === 'word' && first.text.startsWith(':')) return new CommandError('CON_BAD_COMMAND', `bad command name ${first.text.slice(1)}${where(first)}`);
    const expanded = this.expandBrackets(inner, scope, state, depth + 1, false);
    if (expanded instanceof CommandError) return expanded;
    const parsed = parseCommand(substitute(expanded, lookupIn(scope, this.globals)), this.cwd);
    if (parsed instanceof CommandError) return parsed;
    if (parsed.kind !== 'command') return syntaxError(at);
    const r = executeCommand(this.store, this.runtime, parsed.command, this.commandContext());
    state.changes.push(...r.changes);
    if (r.error) return r.error;
    return r.lines.length > 0 ? r.lines.join('\n') : (r.ids ?? []).join(';');
  }

  /** `:put`, `:local`, `:global`, `:set`, `:log`, `:if`. Returns an error not yet reported. */
  private scriptCommand(cmd: readonly Token[], scope: Scope, state: RunState, depth: number): CommandError | undefined {
    const head = cmd[0];
    if (!head) return undefined;
    const word = head.text.slice(1);
    const name = resolveName(word, SCRIPT_COMMANDS);
    if (name === 'none' || name === 'ambiguous') return new CommandError('CON_BAD_COMMAND', `bad command name ${word}${where(head)}`);
    const lookup = lookupIn(scope, this.globals);
    if (name === 'if') return this.scriptIf(cmd, scope, state, depth);
    const expanded = this.expandBrackets(cmd.slice(1), scope, state, depth, true);
    if (expanded instanceof CommandError) return expanded;
    const args = substitute(expanded, lookup);
    const nonWord = args.find((t) => t.kind !== 'word');
    if (nonWord) return new CommandError('CON_SYNTAX', `syntax error${where(nonWord)}`);
    switch (name) {
      case 'put':
        state.lines.push(args.map((t) => t.text).join(' '));
        return undefined;
      case 'log': {
        const levelTok = args[0];
        const level = levelTok ? resolveName(levelTok.text, LOG_LEVELS) : 'none';
        if (level === 'none' || level === 'ambiguous') return new CommandError('CON_SYNTAX', `syntax error${where(levelTok ?? head)}`);
        this.options.logger?.log(['script', level as LogLevel], args.slice(1).map((t) => t.text).join(' '));
        return undefined;
      }
      default: {
        // local, global, set: <name> [<value>]
        const [nameTok, valueTok, extra] = args;
        if (!nameTok || nameTok.text === '') return new CommandError('CON_SYNTAX', `syntax error${where(head)}`);
        if (extra) return expectedEnd(extra);
        const v = valueTok?.text;
        if (name === 'local') scope.vars.set(nameTok.text, v ?? '');
        else if (name === 'global') this.globals.set(nameTok.text, v ?? this.globals.get(nameTok.text) ?? '');
        else {
          const target = scope.find(nameTok.text);
          if (target) target.vars.set(nameTok.text, v ?? '');
          else if (this.globals.has(nameTok.text)) this.globals.set(nameTok.text, v ?? '');
          else return new CommandError('CMD_RUNTIME', `failure: no such variable ${nameTok.text}`);
        }
        return undefined;
      }
    }
  }

  /** `:if (<condition>) do={...} [else={...}]` */
  private scriptIf(cmd: readonly Token[], scope: Scope, state: RunState, depth: number): CommandError | undefined {
    const head = cmd[0];
    const open = cmd[1];
    if (!head || open?.kind !== '(') return new CommandError('CON_SYNTAX', `syntax error${where(open ?? head)}`);
    const close = matchingBracket(cmd, 1);
    if (close < 0) return new CommandError('CON_SYNTAX', `syntax error${where(open)}`);
    const inside = this.expandBrackets(cmd.slice(2, close), scope, state, depth, true);
    if (inside instanceof CommandError) return inside;
    const cond = evaluateCondition(substitute(inside, lookupIn(scope, this.globals)));
    if (cond === undefined) return new CommandError('CON_SYNTAX', `syntax error${where(open)}`);
    const blocks = new Map<string, { tokens: Token[]; at: Token }>();
    let pos = close + 1;
    for (let guard = 0; guard < 2 && pos < cmd.length; guard++) {
      const t = cmd[pos];
      const split = t?.kind === 'word' ? splitWord(t, ['=']) : undefined;
      const key = split ? resolveName(split.left, ['do', 'else']) : 'none';
      const brace = cmd[pos + 1];
      if (!t || !split || split.right !== '' || (key !== 'do' && key !== 'else') || blocks.has(key) || brace?.kind !== '{') return expectedEnd(t);
      const end = matchingBracket(cmd, pos + 1);
      if (end < 0) return new CommandError('CON_SYNTAX', `syntax error${where(brace)}`);
      blocks.set(key, { tokens: cmd.slice(pos + 2, end), at: brace });
      pos = end + 1;
    }
    if (pos < cmd.length) return expectedEnd(cmd[pos]);
    const chosen = blocks.get(cond ? 'do' : 'else');
    if (!chosen) return undefined;
    const error = this.execNested(chosen.tokens, scope, state, depth, chosen.at);
    if (error) {
      // Already reported by the nested run: do not print it twice.
      state.lines.pop();
      return error;
    }
    return undefined;
  }

  /** Runs a script as `import` does: from `/`, restoring the current path afterwards. */
  runScript(text: string, variables?: Readonly<Record<string, string>>): RunResult {
    const saved = this.cwd;
    this.cwd = [];
    try {
      return this.run(text, variables);
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
