/**
 * Tokenizer of the RouterOS console/script language.
 *
 * - Words are runs of characters up to whitespace or one of `[ ] ( ) ;`. A word is made of
 *   segments, plain or double-quoted, so `routes="10.1.202.0/24 172.16.1.2 1"` is one word whose
 *   `=` (unquoted) separates name and value while the quoted part may hold anything.
 * - Inside quotes: `\"`, `\\`, `\n`, `\r`, `\t`, `\$`, `\?`, `\_` (space), `\XX` (hex byte).
 * - Outside quotes: a backslash before a line end continues the line (RouterOS `\`); before
 *   any other character it escapes it.
 * - `#` starting a word at the beginning of a command begins a comment up to the line end.
 * - `;` and line ends separate commands; `[ ]` nest commands; `( )` group expressions;
 *   `{ }` delimit script blocks (`{ :local a 1; :put $a }`, `:if (...) do={ ... }`).
 * - `$[command]` inside quotes is a segment with `command` set (the session runs it and puts its
 *   value there); brackets nest, and quoted strings inside it are skipped whole.
 * - Variables: `$name` (letters, digits, `_`) and `$"any-name"` (inside quotes: `$"a-b.c"`,
 *   a name without spaces or quotes) become segments with `variable` set; the session substitutes them (the
 *   value is then literal text, never split at `=`). `\$` is a plain dollar sign, and so is a
 *   `$` followed by anything else (`"^[ab]$"` stays a regular expression).
 * Positions are 1-based line/column of the token's first character (RouterOS error format).
 *
 * Never throws: an unterminated quote is returned as a syntax error value.
 */
export interface Segment {
  /** The text; for a variable reference its source spelling (`$user`). */
  readonly text: string;
  readonly quoted: boolean;
  /** Set when this segment is a reference to the variable of that name. */
  readonly variable?: string;
  /** Set for `$[command]` inside quotes: the command's source text, run by the session. */
  readonly command?: string;
}

export type TokenKind = 'word' | '[' | ']' | '(' | ')' | '{' | '}' | ';' | 'newline' | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** Word segments (empty for punctuation). */
  readonly segments: readonly Segment[];
  /** Unescaped text of all segments. */
  readonly text: string;
  readonly line: number;
  readonly column: number;
  /** Offsets in the source, [start, end). */
  readonly start: number;
  readonly end: number;
}

export interface TokenizeError {
  readonly kind: 'syntax';
  readonly line: number;
  readonly column: number;
}

const PUNCT = new Set(['[', ']', '(', ')', '{', '}', ';']);
const VAR_CHAR = /[A-Za-z0-9_]/;

/** The name of `$name` starting at `at` (the `$`), or undefined. */
function plainVariableAt(src: string, at: number): string | undefined {
  let j = at + 1;
  while (j < src.length && VAR_CHAR.test(src[j] ?? '')) j++;
  return j > at + 1 ? src.slice(at + 1, j) : undefined;
}

function isSpace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\r';
}

const ESCAPES: Readonly<Record<string, string>> = {
  n: '\n',
  r: '\r',
  t: '\t',
  _: ' ',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
};

/**
 * The `]` that closes the `[` at `open` (nesting counted, double-quoted strings with their
 * escapes skipped), or -1 when there is none.
 */
function closingBracketAt(src: string, open: number): number {
  let depth = 0;
  for (let k = open; k < src.length; k++) {
    const c = src[k];
    if (c === '\\') {
      k++;
    } else if (c === '"') {
      for (k++; k < src.length && src[k] !== '"'; k++) if (src[k] === '\\') k++;
    } else if (c === '[') {
      depth++;
    } else if (c === ']') {
      depth--;
      if (depth === 0) return k;
    }
  }
  return -1;
}

/** Tokenizes a whole script. `partial` tolerates an unterminated quote (for completion). */
export function tokenize(src: string, partial = false): Token[] | TokenizeError {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  let atCommandStart = true;
  const col = (at: number): number => at - lineStart + 1;
  const push = (kind: TokenKind, start: number, end: number, startLine: number, startCol: number, segments: Segment[] = []): void => {
    tokens.push({ kind, segments, text: segments.map((s) => s.text).join(''), line: startLine, column: startCol, start, end });
  };
  while (i < src.length) {
    const ch = src[i] ?? '';
    if (isSpace(ch)) {
      i++;
      continue;
    }
    if (ch === '\\' && (src[i + 1] === '\n' || (src[i + 1] === '\r' && src[i + 2] === '\n'))) {
      i += src[i + 1] === '\n' ? 2 : 3;
      line++;
      lineStart = i;
      continue;
    }
    if (ch === '\n') {
      push('newline', i, i + 1, line, col(i));
      i++;
      line++;
      lineStart = i;
      atCommandStart = true;
      continue;
    }
    if (ch === '#' && atCommandStart) {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    if (PUNCT.has(ch)) {
      push(ch as TokenKind, i, i + 1, line, col(i));
      i++;
      atCommandStart = ch === ';' || ch === '[' || ch === '{' || ch === '}';
      continue;
    }
    // A word.
    const start = i;
    const startLine = line;
    const startCol = col(i);
    const segments: Segment[] = [];
    let plain = '';
    while (i < src.length) {
      const c = src[i] ?? '';
      if (isSpace(c) || c === '\n' || PUNCT.has(c)) break;
      if (c === '\\') {
        const next = src[i + 1];
        if (next === '\n' || (next === '\r' && src[i + 2] === '\n')) break; // continuation ends the word
        if (next === undefined) {
          i++;
          break;
        }
        plain += next;
        i += 2;
        continue;
      }
      if (c === '"') {
        if (plain !== '') segments.push({ text: plain, quoted: false });
        plain = '';
        const qLine = line;
        const qCol = col(i);
        i++;
        let q = '';
        let closed = false;
        while (i < src.length) {
          const d = src[i] ?? '';
          if (d === '"') {
            closed = true;
            i++;
            break;
          }
          if (d === '\\') {
            const e = src[i + 1];
            if (e === undefined) {
              i++;
              break;
            }
            if (e === '\n') {
              // An escaped line end inside quotes continues the string.
              i += 2;
              line++;
              lineStart = i;
              continue;
            }
            const hex = src.slice(i + 1, i + 3);
            if (/^[0-9A-F]{2}$/.test(hex)) {
              q += String.fromCharCode(Number.parseInt(hex, 16));
              i += 3;
              continue;
            }
            q += ESCAPES[e] ?? e;
            i += 2;
            continue;
          }
          if (d === '$' && src[i + 1] === '[') {
            const end = closingBracketAt(src, i + 1);
            if (end > 0) {
              if (q !== '') segments.push({ text: q, quoted: true });
              q = '';
              segments.push({ text: src.slice(i, end + 1), quoted: true, command: src.slice(i + 2, end) });
              for (let k = i; k < end; k++) {
                if (src[k] === '\n') {
                  line++;
                  lineStart = k + 1;
                }
              }
              i = end + 1;
              continue;
            }
          }
          if (d === '$') {
            let name = plainVariableAt(src, i);
            let length = name === undefined ? 0 : 1 + name.length;
            if (name === undefined && src[i + 1] === '"') {
              // `"up from $"remote-address""`: only a dash-word name counts, so a string that
              // merely ends in `$` (`"^a$"`) keeps its meaning.
              const close = src.indexOf('"', i + 2);
              const candidate = close < 0 ? '' : src.slice(i + 2, close);
              if (/^[A-Za-z0-9_.-]+$/.test(candidate)) {
                name = candidate;
                length = candidate.length + 3;
              }
            }
            if (name !== undefined) {
              if (q !== '') segments.push({ text: q, quoted: true });
              q = '';
              segments.push({ text: src.slice(i, i + length), quoted: true, variable: name });
              i += length;
              continue;
            }
          }
          if (d === '\n') {
            line++;
            lineStart = i + 1;
          }
          q += d;
          i++;
        }
        if (!closed && !partial) return { kind: 'syntax', line: qLine, column: qCol };
        if (q !== '' || segments.length === 0 || segments[segments.length - 1]?.variable === undefined) segments.push({ text: q, quoted: true });
        continue;
      }
      if (c === '$') {
        let name = plainVariableAt(src, i);
        let length = name === undefined ? 0 : 1 + name.length;
        if (name === undefined && src[i + 1] === '"') {
          const close = src.indexOf('"', i + 2);
          const nl = src.indexOf('\n', i + 2);
          if (close > i + 2 && (nl < 0 || close < nl)) {
            name = src.slice(i + 2, close);
            length = close + 1 - i;
          }
        }
        if (name !== undefined) {
          if (plain !== '') segments.push({ text: plain, quoted: false });
          plain = '';
          segments.push({ text: src.slice(i, i + length), quoted: false, variable: name });
          i += length;
          continue;
        }
      }
      plain += c;
      i++;
    }
    if (plain !== '') segments.push({ text: plain, quoted: false });
    push('word', start, i, startLine, startCol, segments);
    atCommandStart = false;
  }
  push('eof', src.length, src.length, line, col(src.length));
  return tokens;
}

/**
 * Splits a word at the first unquoted occurrence of one of `ops` (longest first).
 * Returns undefined when no operator occurs outside quotes. The left side is plain text.
 */
export function splitWord(
  word: Token,
  ops: readonly string[],
): { left: string; op: string; right: string; rightQuoted: boolean } | undefined {
  let leftText = '';
  for (let s = 0; s < word.segments.length; s++) {
    const seg = word.segments[s];
    if (!seg) break;
    if (seg.quoted) {
      leftText += seg.text;
      continue;
    }
    let best: { at: number; op: string } | undefined;
    for (const op of ops) {
      const at = seg.text.indexOf(op);
      if (at >= 0 && (best === undefined || at < best.at || (at === best.at && op.length > best.op.length))) best = { at, op };
    }
    if (best) {
      const rest = seg.text.slice(best.at + best.op.length);
      const tail = word.segments.slice(s + 1);
      return {
        left: leftText + seg.text.slice(0, best.at),
        op: best.op,
        right: rest + tail.map((t) => t.text).join(''),
        rightQuoted: tail.some((t) => t.quoted),
      };
    }
    leftText += seg.text;
  }
  return undefined;
}
