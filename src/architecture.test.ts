/**
 * Keeps the layering of ARCHITECTURE.md from rotting: dependencies point one way
 * (wire, crypto <- engines <- services <- daemon; only daemon and cli import platform), and the
 * engine folders do no I/O (no Node I/O modules, timers, clocks or Math.random).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
// Runs from src/ (tsx) or dist/src/ (compiled): read the TypeScript sources either way.
const srcDir = here.includes(`${join('dist', 'src')}`) ? resolve(here, '..', '..', 'src') : here;

const ENGINES = ['wire', 'crypto', 'l2tp', 'ppp', 'auth', 'aaa'];
/** Which top-level folders each folder may import from. */
const ALLOWED: Record<string, string[]> = {
  core: ['core'],
  wire: ['core', 'wire', 'crypto'],
  crypto: ['core', 'crypto'],
  l2tp: ['core', 'wire', 'crypto', 'l2tp'],
  ppp: ['core', 'wire', 'crypto', 'auth', 'ppp'],
  auth: ['core', 'wire', 'crypto', 'auth'],
  aaa: ['core', 'wire', 'crypto', 'auth', 'config', 'aaa'],
  config: ['core', 'config'],
  frontends: ['core', 'config', 'frontends'],
  services: ['core', 'wire', 'crypto', 'l2tp', 'ppp', 'auth', 'aaa', 'config', 'frontends', 'services'],
  platform: ['core', 'platform'],
  daemon: ['core', 'wire', 'crypto', 'l2tp', 'ppp', 'auth', 'aaa', 'config', 'frontends', 'services', 'platform', 'daemon'],
  cli: ['core', 'config', 'frontends', 'platform', 'daemon', 'cli'],
  // test support sits above what it exercises, below daemon/platform
  testing: ['core', 'wire', 'crypto', 'testing', 'auth', 'l2tp', 'ppp', 'aaa', 'config', 'frontends', 'services'],
};
const FORBIDDEN_IN_ENGINES = [
  /from ['"]node:(dgram|fs|fs\/promises|net|child_process|http|https|os|readline)['"]/,
  /\bsetTimeout\(|\bsetInterval\(|\bDate\.now\(|\bnew Date\(|\bperformance\.now\(|\bMath\.random\(/,
];

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

test('imports follow the layering of ARCHITECTURE.md', () => {
  const violations: string[] = [];
  for (const file of sources(srcDir)) {
    const rel = relative(srcDir, file);
    const top = rel.split('/')[0]!;
    if (!rel.includes('/')) continue;
    const allowed = ALLOWED[top];
    assert.ok(allowed, `folder src/${top} has no layering rule: add it to ALLOWED`);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/from ['"](\.[^'"]+)['"]/g)) {
      const target = relative(srcDir, resolve(dirname(file), m[1]!));
      const targetTop = target.split('/')[0]!;
      if (!allowed.includes(targetTop)) violations.push(`${rel} imports ${target}`);
    }
  }
  assert.deepEqual(violations, []);
});

test('engine folders do no I/O, read no clock and draw no Math.random', () => {
  const violations: string[] = [];
  for (const top of ENGINES) {
    let files: string[];
    try {
      files = sources(join(srcDir, top));
    } catch {
      continue;
    }
    for (const file of files) {
      const lines = readFileSync(file, 'utf8').split('\n');
      lines.forEach((line, i) => {
        const code = line.replace(/\/\/.*$/, '');
        if (/^\s*\*/.test(line)) return; // doc comments may mention these words
        for (const re of FORBIDDEN_IN_ENGINES) if (re.test(code)) violations.push(`${relative(srcDir, file)}:${i + 1}: ${line.trim()}`);
      });
    }
  }
  assert.deepEqual(violations, []);
});
