#!/usr/bin/env node
// Runs the compiled node:test files. `unit` = src/**/*.test.js, `system` = test/system/**/*.test.js,
// no argument = both. Node 20's --test does not expand globs, so files are listed here.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function walk(dir, out) {
  let names;
  try { names = readdirSync(dir); } catch { return out; }
  for (const n of names) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (n.endsWith('.test.js')) out.push(p);
  }
  return out;
}
const which = process.argv[2];
const files = [];
if (!which || which === 'unit') walk('dist/src', files);
if (!which || which === 'system') walk('dist/test/system', files);
files.sort();
if (files.length === 0) { console.error('run-tests: no test files found (did the build run?)'); process.exit(1); }
// System tests share network namespaces and fixed third-party daemons: run files one at a time.
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--enable-source-maps', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
