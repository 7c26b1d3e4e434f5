#!/usr/bin/env node
// Builds native/build/Release/l2tp_native.node with node-gyp (`npm run build:native`, and from
// `prepare` so `npm ci` builds it). Plain C against node_api.h: no npm dependency.
//
// - node-gyp: the copy npm itself bundles (npm exports its path as npm_config_node_gyp to
//   scripts; outside npm, the npm installed beside this Node), else `node-gyp` from PATH.
// - Headers: when no nodedir is configured and the running Node has its headers installed next
//   to it (<prefix>/include/node/node_api.h, as Debian's nodejs and the official tarballs do),
//   point node-gyp there, so no header download (and no network) is needed.
// - Not Linux, or L2TP_SKIP_NATIVE=1: skip with a note (the TUN data plane is Linux-only; the
//   rest of the project still builds and tests).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
if (process.platform !== 'linux' || process.env.L2TP_SKIP_NATIVE === '1') {
  console.warn(`build:native: skipped (${process.platform !== 'linux' ? 'not Linux' : 'L2TP_SKIP_NATIVE=1'}); TUN support unavailable`);
  process.exit(0);
}

const args = ['rebuild', '-C', here];
const prefix = resolve(dirname(process.execPath), '..');
if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node_api.h'))) {
  args.push(`--nodedir=${prefix}`);
}

let cmd = 'node-gyp';
let cmdArgs = args;
// Outside npm: the node-gyp bundled with the npm installed beside this Node.
const besideNode = join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
const bundled = process.env.npm_config_node_gyp || (existsSync(besideNode) ? besideNode : undefined);
if (bundled && existsSync(bundled)) {
  cmd = process.execPath;
  cmdArgs = [bundled, ...args];
}
const r = spawnSync(cmd, cmdArgs, { stdio: 'inherit' });
if (r.error) {
  console.error(`build:native: cannot run node-gyp (${r.error.message}); install it or run via npm`);
  process.exit(1);
}
process.exit(r.status ?? 1);
