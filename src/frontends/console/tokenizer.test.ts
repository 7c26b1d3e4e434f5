import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { splitWord, tokenize, type Token } from './tokenizer.js';

function words(src: string): string[] {
  const t = tokenize(src);
  assert.ok(Array.isArray(t));
  return t.filter((x) => x.kind !== 'eof').map((x) => (x.kind === 'word' ? x.text : x.kind));
}

test('quotes, escapes, separators, brackets', () => {
  assert.deepEqual(words('add name="a b" comment="q\\"x\\\\y\\nz"; print'), ['add', 'name=a b', 'comment=q"x\\y\nz', ';', 'print']);
  assert.deepEqual(words('set [ find name=x ] a=1'), ['set', '[', 'find', 'name=x', ']', 'a=1']);
  assert.deepEqual(words('print where (a or !b)'), ['print', 'where', '(', 'a', 'or', '!b', ')']);
  assert.deepEqual(words('x="\\41\\_"'), ['x=A ']);
});

test('line continuation and comments', () => {
  assert.deepEqual(words('add a=1 \\\n    b=2\nprint'), ['add', 'a=1', 'b=2', 'newline', 'print']);
  assert.deepEqual(words('# a comment\n/ppp secret # not a comment here'), ['newline', '/ppp', 'secret', '#', 'not', 'a', 'comment', 'here']);
  assert.deepEqual(words('  # indented comment\nprint'), ['newline', 'print']);
});

test('positions are 1-based line/column', () => {
  const t = tokenize('print\n  add x=1');
  assert.ok(Array.isArray(t));
  const add = t.find((x) => x.text === 'add');
  assert.equal(add?.line, 2);
  assert.equal(add?.column, 3);
});

test('unterminated quote is a syntax error value', () => {
  assert.deepEqual(tokenize('add name="abc'), { kind: 'syntax', line: 1, column: 10 });
  assert.ok(Array.isArray(tokenize('add name="abc', true)));
});

test('splitWord only splits outside quotes', () => {
  const t = tokenize('routes="a=b c" "x=y"');
  assert.ok(Array.isArray(t));
  const [a, b] = t as Token[];
  assert.deepEqual(a && splitWord(a, ['=']), { left: 'routes', op: '=', right: 'a=b c', rightQuoted: true });
  assert.equal(b && splitWord(b, ['=']), undefined);
  const c = tokenize('mtu!=1400');
  assert.ok(Array.isArray(c) && c[0]);
  assert.equal(splitWord(c[0], ['!=', '=', '<'])?.op, '!=');
});

test('tokenize never throws', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), fc.boolean(), (s, partial) => {
      tokenize(s, partial);
    }),
    { numRuns: 2000 },
  );
});

test('variables: $name and $"name" outside quotes, $name inside, \\$ literal, blocks', () => {
  const t = tokenize('add comment=$user address=$"remote-address" x="hi $user!" y="\\$user" z="^a$"');
  assert.ok(Array.isArray(t));
  const vars = t.flatMap((w) => w.segments.filter((s) => s.variable !== undefined).map((s) => `${s.variable}:${s.quoted}`));
  assert.deepEqual(vars, ['user:false', 'remote-address:false', 'user:true']);
  assert.deepEqual(words('y="\\$user" z="^a$" w=a$'), ['y=$user', 'z=^a$', 'w=a$']);
  assert.deepEqual(words(':if ($a = 1) do={ :put x }'), [':if', '(', '$a', '=', '1', ')', 'do=', '{', ':put', 'x', '}']);
});
