/**
 * Parser of the RouterOS console language into the shared `Command` model.
 *
 * One command is: [path] [verb [arguments...]].
 * - Path: absolute (`/ppp secret`, `/ppp/secret`, `/`) or relative to the session's current
 *   path; `..` goes up. A path without a verb is a "change directory" command.
 * - Menu names, verbs, argument names and flags may be abbreviated to any unambiguous prefix
 *   (`/int l2tp-s ser pr`; `range=` -> `ranges`); an exact match always wins.
 * - Arguments: `name=value`; bare words are verb flags (`detail`, `once`) or item references
 *   (`0`, `0,1`, `*1A`, `l2tp-out1`, `[ find <expr> ]`), `numbers=` likewise; `get` takes the
 *   property after the item; `where <expr>` ends the command.
 * - Expressions: `=`, `!=`, `~`, `<`, `>`, `<=`, `>=`, `and`, `or`, `not`/`!`, parentheses,
 *   bare boolean names; adjacent terms are joined by `and`.
 *
 * Errors are RouterOS-worded with 1-based positions: `bad command name X (line L column C)`,
 * `expected end of command (line L column C)`, `syntax error (line L column C)`,
 * `expected command name (line L column C)`. Never throws.
 */
import { childrenOf, getMenu, getProperty, menuKey, pathExists, verbsOf, type MenuDef } from '../../config/schema.js';
import { CommandError, VERB_SPECS, type Command, type ItemRef } from '../command.js';
import { expressionNames, type CompareOp, type Expr } from '../rows.js';
import { splitWord, type Token } from './tokenizer.js';

export type Parsed =
  | { readonly kind: 'empty' }
  | { readonly kind: 'cd'; readonly path: readonly string[] }
  | { readonly kind: 'command'; readonly command: Command }
  | { readonly kind: 'import'; readonly file: string };

function at(t: Token | undefined): string {
  return t === undefined ? '' : ` (line ${t.line} column ${t.column})`;
}

function err(code: CommandError['code'], text: string, t: Token | undefined): CommandError {
  return new CommandError(code, `${text}${at(t)}`);
}

/** Exact match, else the unique prefix match, else 'none' / 'ambiguous'. */
export function resolveName(input: string, candidates: readonly string[]): string | 'none' | 'ambiguous' {
  if (candidates.includes(input)) return input;
  if (input === '') return 'none';
  const hits = [...new Set(candidates.filter((c) => c.startsWith(input)))];
  if (hits.length === 1 && hits[0] !== undefined) return hits[0];
  return hits.length === 0 ? 'none' : 'ambiguous';
}

/** Verbs available at a path (menus' verbs, `export` on every directory, `import` at root). */
export function verbsAt(path: readonly string[]): string[] {
  const def = getMenu(menuKey(path));
  const verbs = new Set<string>(def ? verbsOf(def) : []);
  if (pathExists(path)) verbs.add('export');
  if (path.length === 0) verbs.add('import');
  return [...verbs].sort();
}

/** Splits a token list into commands at `;` and line ends outside brackets and `{ }` blocks. */
export function splitCommands(tokens: readonly Token[]): Token[][] {
  const out: Token[][] = [];
  let cur: Token[] = [];
  let depth = 0;
  for (const t of tokens) {
    if (t.kind === 'eof') break;
    if (t.kind === '[' || t.kind === '{') depth++;
    if (t.kind === ']' || t.kind === '}') depth = Math.max(0, depth - 1);
    if (depth === 0 && (t.kind === ';' || t.kind === 'newline')) {
      if (cur.length > 0) out.push(cur);
      cur = [];
      continue;
    }
    cur.push(t);
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

function isPlainWord(t: Token | undefined): boolean {
  return t !== undefined && t.kind === 'word' && t.segments.every((s) => !s.quoted);
}

/** Item references from `0,1`, `*1`, `name`. */
function parseItemList(text: string, quoted: boolean): ItemRef[] {
  if (quoted) return [{ kind: 'name', name: text }];
  return text
    .split(',')
    .filter((p) => p !== '')
    .map((p): ItemRef => {
      if (/^\*[0-9A-Fa-f]{1,8}$/.test(p)) return { kind: 'id', id: p.toUpperCase() };
      if (/^[0-9]{1,9}$/.test(p)) return { kind: 'number', n: Number(p) };
      return { kind: 'name', name: p };
    });
}

const EXPR_OPS = ['!=', '<=', '>=', '=', '~', '<', '>'];

/** Parses a `where`/`find` expression from `tokens` (the whole slice must be consumed). */
export function parseExpression(def: MenuDef, tokens: readonly Token[]): Expr | CommandError {
  let pos = 0;
  const names = expressionNames(def);
  const peek = (): Token | undefined => tokens[pos];
  const isKeyword = (t: Token | undefined, k: string): boolean => isPlainWord(t) && t?.text === k;

  const resolveProp = (name: string, t: Token): string | CommandError => {
    const r = resolveName(name, names);
    if (r === 'none') return err('CON_EXPECTED_END', 'expected end of command', t);
    if (r === 'ambiguous') return err('CON_AMBIGUOUS', `ambiguous value of ${name}, more than one possible value matches input`, t);
    return r;
  };

  const cmp = (prop: string, op: string, value: string, t: Token): Expr | CommandError => {
    if (op === '~') {
      try {
        new RegExp(value);
      } catch {
        return err('CON_SYNTAX', 'syntax error', t);
      }
    }
    return { kind: 'cmp', prop, op: op as CompareOp, value };
  };

  function primary(): Expr | CommandError {
    const t = peek();
    if (t === undefined) return err('CON_SYNTAX', 'syntax error', tokens[tokens.length - 1]);
    if (t.kind === '(') {
      pos++;
      const e = orExpr();
      if (e instanceof CommandError) return e;
      if (peek()?.kind !== ')') return err('CON_SYNTAX', 'syntax error', peek() ?? t);
      pos++;
      return e;
    }
    if (t.kind !== 'word') return err('CON_SYNTAX', 'syntax error', t);
    pos++;
    if (isPlainWord(t) && (t.text === 'not' || t.text === '!')) {
      const inner = primary();
      return inner instanceof CommandError ? inner : { kind: 'not', expr: inner };
    }
    const split = splitWord(t, EXPR_OPS);
    if (split && split.left.startsWith('!') && split.op !== '!=') {
      // `!name=x` negates the comparison.
      const prop = resolveProp(split.left.slice(1), t);
      if (prop instanceof CommandError) return prop;
      const c = cmp(prop, split.op, split.right, t);
      return c instanceof CommandError ? c : { kind: 'not', expr: c };
    }
    if (split && split.left !== '') {
      const prop = resolveProp(split.left, t);
      if (prop instanceof CommandError) return prop;
      let value = split.right;
      if (value === '' && !split.rightQuoted && peek()?.kind === 'word') {
        value = peek()?.text ?? '';
        pos++;
      }
      return cmp(prop, split.op, value, t);
    }
    if (split) return err('CON_SYNTAX', 'syntax error', t);
    let name = t.text;
    let negate = false;
    if (name.startsWith('!') && isPlainWord(t)) {
      negate = true;
      name = name.slice(1);
    }
    const prop = resolveProp(name, t);
    if (prop instanceof CommandError) return prop;
    let e: Expr = { kind: 'bool', prop };
    const next = peek();
    if (isPlainWord(next) && next !== undefined && EXPR_OPS.includes(next.text)) {
      pos++;
      const v = peek();
      if (v === undefined || v.kind !== 'word') return err('CON_SYNTAX', 'syntax error', v ?? next);
      pos++;
      const c = cmp(prop, next.text, v.text, next);
      if (c instanceof CommandError) return c;
      e = c;
    }
    return negate ? { kind: 'not', expr: e } : e;
  }

  function andExpr(): Expr | CommandError {
    let left = primary();
    if (left instanceof CommandError) return left;
    for (let guard = 0; guard < 10_000; guard++) {
      const t = peek();
      if (t === undefined || t.kind === ')' || isKeyword(t, 'or')) break;
      if (isKeyword(t, 'and')) pos++;
      const right = primary();
      if (right instanceof CommandError) return right;
      left = { kind: 'and', left, right };
    }
    return left;
  }

  function orExpr(): Expr | CommandError {
    let left = andExpr();
    if (left instanceof CommandError) return left;
    while (isKeyword(peek(), 'or')) {
      pos++;
      const right = andExpr();
      if (right instanceof CommandError) return right;
      left = { kind: 'or', left, right };
    }
    return left;
  }

  if (tokens.length === 0) return { kind: 'true' };
  const e = orExpr();
  if (e instanceof CommandError) return e;
  if (pos < tokens.length) return err('CON_EXPECTED_END', 'expected end of command', tokens[pos]);
  return e;
}

/** Finds the `]` (or `}`, `)`) matching the `[` (`{`, `(`) at `open`, or -1. */
export function matchingBracket(tokens: readonly Token[], open: number): number {
  const o = tokens[open]?.kind;
  const c = o === '{' ? '}' : o === '(' ? ')' : ']';
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    const k = tokens[i]?.kind;
    if (k === o) depth++;
    if (k === c) {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** Resolves the path part of a command; returns the path and the index of the first non-path token. */
export function parsePath(
  tokens: readonly Token[],
  cwd: readonly string[],
): { path: string[]; pos: number; explicit: boolean; verb?: string; verbToken?: Token } | CommandError {
  let path = [...cwd];
  let pos = 0;
  let explicit = false;
  const first = tokens[0];
  if (first && isPlainWord(first) && first.text.startsWith('/')) {
    path = [];
    explicit = true;
    for (const part of first.text.split('/').filter((p) => p !== '')) {
      if (part === '..') {
        path.pop();
        continue;
      }
      const r = resolveName(part, childrenOf(path));
      if (r === 'none' || r === 'ambiguous') {
        // `/ppp/secret/print` style: the last part may be a verb.
        const v = resolveName(part, verbsAt(path));
        if (v !== 'none' && v !== 'ambiguous' && first.text.endsWith(part)) return { path, pos: 1, explicit, verb: v, verbToken: first };
        return err('CON_BAD_COMMAND', `bad command name ${part}`, first);
      }
      path.push(r);
    }
    pos = 1;
  }
  for (; pos < tokens.length; pos++) {
    const t = tokens[pos];
    if (!t || t.kind !== 'word') break;
    if (!isPlainWord(t)) return err('CON_BAD_COMMAND', `bad command name ${t.text}`, t);
    if (t.text === '..') {
      path.pop();
      explicit = true;
      continue;
    }
    if (splitWord(t, ['=']) !== undefined) return err('CON_EXPECTED_COMMAND', 'expected command name', t);
    const children = childrenOf(path);
    const verbs = verbsAt(path);
    const r = resolveName(t.text, [...children, ...verbs]);
    if (r === 'none') return err('CON_BAD_COMMAND', `bad command name ${t.text}`, t);
    if (r === 'ambiguous') return err('CON_AMBIGUOUS', `ambiguous command name ${t.text}`, t);
    if (children.includes(r)) {
      path.push(r);
      explicit = true;
      continue;
    }
    return { path, pos: pos + 1, explicit, verb: r, verbToken: t };
  }
  return { path, pos, explicit };
}

/** Parses one command (tokens without separators). */
export function parseCommand(tokens: readonly Token[], cwd: readonly string[]): Parsed | CommandError {
  if (tokens.length === 0) return { kind: 'empty' };
  const head = parsePath(tokens, cwd);
  if (head instanceof CommandError) return head;
  const { path, verb } = head;
  let pos = head.pos;
  if (verb === undefined) {
    if (pos < tokens.length) return err('CON_EXPECTED_COMMAND', 'expected command name', tokens[pos]);
    return { kind: 'cd', path };
  }
  if (verb === 'import') {
    const t = tokens[pos];
    if (!t || t.kind !== 'word') return err('CON_SYNTAX', 'syntax error', t ?? head.verbToken);
    const split = splitWord(t, ['=']);
    if (split && resolveName(split.left, ['file-name']) !== 'file-name') return err('CON_EXPECTED_END', 'expected end of command', t);
    if (pos + 1 < tokens.length) return err('CON_EXPECTED_END', 'expected end of command', tokens[pos + 1]);
    return { kind: 'import', file: split ? split.right : t.text };
  }
  const def = getMenu(menuKey(path));
  const spec = VERB_SPECS[verb];
  if (verb === 'export' || !def || !spec) {
    // export: only flags and file=.
    const flags = new Set<string>();
    const args = new Map<string, string>();
    const exportSpec = VERB_SPECS['export'];
    for (; pos < tokens.length; pos++) {
      const t = tokens[pos];
      if (!t || t.kind !== 'word') return err('CON_EXPECTED_END', 'expected end of command', t);
      const split = splitWord(t, ['=']);
      if (split) {
        const n = resolveName(split.left, exportSpec?.named ?? []);
        if (n === 'none' || n === 'ambiguous') return err('CON_EXPECTED_END', 'expected end of command', t);
        args.set(n, split.right);
      } else {
        const f = resolveName(t.text, exportSpec?.flags ?? []);
        if (f === 'none' || f === 'ambiguous') return err('CON_EXPECTED_END', 'expected end of command', t);
        flags.add(f);
      }
    }
    return { kind: 'command', command: { path, verb, args, flags } };
  }
  const args = new Map<string, string>();
  const flags = new Set<string>();
  const items: ItemRef[] = [];
  let where: Expr | undefined;
  let property: string | undefined;
  const takesItems = spec.items !== 'none' && def.kind !== 'singleton';
  const propNames =
    spec.props === 'writable'
      ? def.properties.filter((p) => p.readOnly !== true).map((p) => p.name)
      : spec.props === 'all'
        ? expressionNames(def)
        : [];
  const argNames = [...propNames, ...spec.named];
  for (; pos < tokens.length; pos++) {
    const t = tokens[pos];
    if (!t) break;
    if (t.kind === '[') {
      const close = matchingBracket(tokens, pos);
      if (close < 0) return err('CON_SYNTAX', 'syntax error', t);
      if (!takesItems) return err('CON_EXPECTED_END', 'expected end of command', t);
      const inner = parseCommand(tokens.slice(pos + 1, close), path);
      if (inner instanceof CommandError) return inner;
      if (inner.kind !== 'command' || inner.command.verb !== 'find' || menuKey(inner.command.path) !== menuKey(path)) {
        return err('CON_SYNTAX', 'syntax error', t);
      }
      let expr: Expr = inner.command.where ?? { kind: 'true' };
      for (const [k, v] of inner.command.args) expr = { kind: 'and', left: expr, right: { kind: 'cmp', prop: k, op: '=', value: v } };
      items.push({ kind: 'expr', expr });
      pos = close;
      continue;
    }
    if (t.kind !== 'word') return err('CON_SYNTAX', 'syntax error', t);
    if (spec.where && isPlainWord(t) && t.text === 'where') {
      const e = parseExpression(def, tokens.slice(pos + 1));
      if (e instanceof CommandError) return e;
      where = e;
      pos = tokens.length;
      break;
    }
    const split = splitWord(t, ['=']);
    if (split && split.left !== '') {
      const name = resolveName(split.left, argNames);
      if (name === 'none') return err('CON_EXPECTED_END', 'expected end of command', t);
      if (name === 'ambiguous') return err('CON_AMBIGUOUS', `ambiguous argument name ${split.left}`, t);
      if (name === 'numbers') {
        if (!takesItems) return err('CON_EXPECTED_END', 'expected end of command', t);
        items.push(...parseItemList(split.right, split.rightQuoted));
      } else if (spec.props === 'all' && getProperty(def, name) === undefined && !spec.named.includes(name)) {
        // find default=yes / running=yes: flag-like names become expression terms.
        const term: Expr = { kind: 'cmp', prop: name, op: '=', value: split.right };
        where = where ? { kind: 'and', left: where, right: term } : term;
      } else {
        args.set(name, split.right);
      }
      continue;
    }
    if (split) return err('CON_SYNTAX', 'syntax error', t);
    const quoted = !isPlainWord(t);
    if (takesItems && items.length === 0) {
      items.push(...parseItemList(t.text, quoted));
      continue;
    }
    if (verb === 'get' && property === undefined && !quoted) {
      const p = resolveName(t.text, def.properties.map((q) => q.name));
      if (p === 'none' || p === 'ambiguous') return err('CON_EXPECTED_END', 'expected end of command', t);
      property = p;
      continue;
    }
    const f = quoted ? 'none' : resolveName(t.text, spec.flags);
    if (f === 'none' || f === 'ambiguous') return err('CON_EXPECTED_END', 'expected end of command', t);
    flags.add(f);
  }
  if (spec.items === 'required' && takesItems && items.length === 0) {
    return new CommandError('CMD_MISSING_ITEM', 'no such item');
  }
  const command: Command = {
    path,
    verb,
    args,
    flags,
    ...(items.length > 0 ? { items } : {}),
    ...(where ? { where } : {}),
    ...(property !== undefined ? { property } : {}),
  };
  return { kind: 'command', command };
}
