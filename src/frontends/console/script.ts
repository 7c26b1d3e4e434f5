/**
 * The scripting part of the RouterOS console language: variables and the `:` commands that a
 * profile's on-up/on-down script (or a console line) needs. Pure: output goes to the caller's
 * lines, `:log` to an injected Logger.
 *
 * - Scopes: every `run` and every `{ ... }` block opens a local scope; lookups walk outwards,
 *   then the session's globals. Variables given by the caller (on-up's `user`,
 *   `remote-address`...) form the outermost local scope. An unknown variable is empty text,
 *   as in RouterOS.
 * - `$name` / `$"name"` segments (see tokenizer.ts) are replaced by their value as literal
 *   (quoted) text, so a value with `=` or spaces stays one argument.
 * - Commands: `:put`, `:local`, `:global`, `:set`, `:log <info|warning|error|debug> <text>`,
 *   `:if (<a> = <b>) do={...} else={...}` (`=`, `!=`, `<`, `>`, `<=`, `>=`; numbers compare as
 *   numbers; a lone value is true unless empty, `false`, `no` or `0`). Nothing loops; blocks
 *   nest at most MAX_BLOCK_DEPTH deep and a run executes at most MAX_COMMANDS commands (an
 *   operator's session may allow more, SessionOptions.maxCommands).
 * - `[command]` substitution (session.ts, expandBrackets): in script commands, `:if` conditions
 *   and property values, replaced by the command's value; `$[command]` inside double quotes.
 */
import type { Token, Segment } from './tokenizer.js';
import { splitWord } from './tokenizer.js';

export const SCRIPT_COMMANDS = ['global', 'if', 'local', 'log', 'put', 'set'] as const;
export const LOG_LEVELS = ['info', 'warning', 'error', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Bounds that keep any script finite. */
export const MAX_BLOCK_DEPTH = 16;
export const MAX_COMMANDS = 1000;

export class Scope {
  readonly vars = new Map<string, string>();
  constructor(readonly parent: Scope | undefined) {}

  /** The scope that holds `name`, searching outwards. */
  find(name: string): Scope | undefined {
    for (let s: Scope | undefined = this; s !== undefined; s = s.parent) if (s.vars.has(name)) return s;
    return undefined;
  }
}

/** Replaces the variable segments of word tokens by their values (other tokens unchanged). */
export function substitute(tokens: readonly Token[], lookup: (name: string) => string): Token[] {
  return tokens.map((t) => {
    if (t.kind !== 'word' || !t.segments.some((s) => s.variable !== undefined)) return t;
    const segments: Segment[] = t.segments.map((s) => (s.variable !== undefined ? { text: lookup(s.variable), quoted: true } : s));
    return { ...t, segments, text: segments.map((s) => s.text).join('') };
  });
}

const COMPARE_OPS = ['!=', '<=', '>=', '=', '<', '>'];

function truthy(v: string): boolean {
  return !(v === '' || v === 'false' || v === 'no' || v === '0');
}

function compare(a: string, op: string, b: string): boolean {
  const numeric = /^-?[0-9]+$/.test(a) && /^-?[0-9]+$/.test(b);
  const x: number | string = numeric ? Number(a) : a;
  const y: number | string = numeric ? Number(b) : b;
  switch (op) {
    case '=':
      return x === y;
    case '!=':
      return x !== y;
    case '<':
      return x < y;
    case '>':
      return x > y;
    case '<=':
      return x <= y;
    default:
      return x >= y;
  }
}

/**
 * Evaluates the (already substituted) tokens between `(` and `)`: one value, `a op b` as three
 * words, or one word `a=b`. Returns undefined for anything else (a syntax error).
 */
export function evaluateCondition(tokens: readonly Token[]): boolean | undefined {
  if (tokens.some((t) => t.kind !== 'word')) return undefined;
  const isOp = (t: Token | undefined): boolean => t !== undefined && t.segments.every((s) => !s.quoted) && COMPARE_OPS.includes(t.text);
  const [a, b, c] = tokens;
  if (tokens.length === 3 && a && c && isOp(b)) return compare(a.text, b?.text ?? '=', c.text);
  if (tokens.length === 1 && a) {
    const split = splitWord(a, COMPARE_OPS);
    if (split) return compare(split.left, split.op, split.right);
    return truthy(a.text);
  }
  return undefined;
}
