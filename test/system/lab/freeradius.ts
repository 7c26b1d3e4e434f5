/**
 * FreeRADIUS 3.2 for system tests (LAB.md): a private copy of /etc/freeradius/3.0 in a temp
 * dir, one virtual server of our own listening on 127.0.0.1 (auth at `port`, accounting at
 * `port + 1`), proxying off, reject_delay 0, EAP removed (the Debian package ships no
 * certificates until first use), users prepended to mods-config/files/authorize. Runs in the
 * test's own namespace, or inside a namespace the test made (`ns`).
 */
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Lab } from './lab.js';
import type { Netns } from './netns.js';
import { run, spawnProcess, type ProcessHandle } from './proc.js';

export const RADIUS_SECRET = 'testing123';
const LOOPBACK = '127.0.0.1';
/** Two consecutive free UDP ports on 127.0.0.1 (FreeRADIUS takes port and port+1). */
export async function freePortPair(): Promise<number> {
  for (let attempt = 0; attempt < 30; attempt++) {
    const base = 20000 + 2 * (nodeRandomBytes(2).readUInt16BE(0) % 10000);
    const socks: Socket[] = [];
    try {
      for (const p of [base, base + 1]) {
        const s = createSocket('udp4');
        socks.push(s);
        await new Promise<void>((resolve, reject) => {
          s.once('error', reject);
          s.bind(p, LOOPBACK, () => resolve());
        });
      }
      return base;
    } catch {
      // taken: try another pair
    } finally {
      for (const s of socks) s.close();
    }
  }
  throw new Error('no free UDP port pair on 127.0.0.1');
}


/** A minimal virtual server: PAP, CHAP, MS-CHAP from the users file; accounting to detail. */
export function siteConfig(port: number): string {
  return `server l2tp_test {
  listen {
    type = auth
    ipaddr = ${LOOPBACK}
    port = ${port}
  }
  listen {
    type = acct
    ipaddr = ${LOOPBACK}
    port = ${port + 1}
  }
  authorize {
    preprocess
    chap
    mschap
    files
    pap
  }
  authenticate {
    Auth-Type PAP {
      pap
    }
    Auth-Type CHAP {
      chap
    }
    Auth-Type MS-CHAP {
      mschap
    }
  }
  preacct {
    preprocess
    acct_unique
  }
  accounting {
    detail
  }
  post-auth {
  }
}
`;
}

export interface FreeRadius {
  readonly dir: string;
  readonly port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
  detail(): Promise<string>;
}

export async function setupFreeRadius(lab: Lab, opts: { users: string; ns?: Netns; port?: number }): Promise<FreeRadius> {
  const dir = await lab.tempDir('freeradius');
  await run(['cp', '-a', '/etc/freeradius/3.0/.', dir]);
  const conf = join(dir, 'radiusd.conf');
  let text = await readFile(conf, 'utf8');
  text = text
    .replace(/^raddbdir = .*$/m, `raddbdir = ${dir}`)
    .replace(/^logdir = .*$/m, `logdir = ${dir}/log`)
    .replace(/^run_dir = .*$/m, `run_dir = ${dir}/run`)
    .replace(/^proxy_requests\s*=.*$/m, 'proxy_requests = no')
    // An Access-Reject is normally delayed 1 s; our test timeouts are shorter.
    .replace(/^(\s*)reject_delay = .*$/m, '$1reject_delay = 0')
    .replace(/^(\s*)(user|group) = freerad$/gm, '$1#$2 = freerad');
  await writeFile(conf, text);
  await mkdir(join(dir, 'log', 'radacct'), { recursive: true });
  await mkdir(join(dir, 'run'), { recursive: true });
  // No EAP (its module needs certificates the package has not generated) and only our own
  // virtual server, listening on 127.0.0.1 at free ports.
  await rm(join(dir, 'mods-enabled', 'eap'), { force: true });
  for (const f of await readdir(join(dir, 'sites-enabled'))) await rm(join(dir, 'sites-enabled', f), { force: true });
  const authorize = join(dir, 'mods-config', 'files', 'authorize');
  await writeFile(authorize, opts.users + (await readFile(authorize, 'utf8')));
  const port = opts.port ?? (await freePortPair());
  await writeFile(join(dir, 'sites-enabled', 'l2tp-test'), siteConfig(port));
  let proc: ProcessHandle | undefined;
  const fr: FreeRadius = {
    dir,
    port,
    async start() {
      const cmd = ['freeradius', '-X', '-d', dir];
      const echo = process.env['RADIUS_ECHO'] === '1';
      const p = opts.ns ? opts.ns.spawn(cmd, { name: 'freeradius', echo }) : spawnProcess(cmd, { name: 'freeradius', echo });
      proc = p;
      await p.waitForLine(/Ready to process requests/, 15_000);
    },
    async stop() {
      if (proc?.isRunning()) await proc.stop('SIGTERM', 5_000);
      proc = undefined;
    },
    async detail() {
      const base = join(dir, 'log', 'radacct', LOOPBACK);
      let out = '';
      for (const f of await readdir(base).catch(() => [] as string[])) out += await readFile(join(base, f), 'utf8');
      return out;
    },
  };
  lab.defer('freeradius', () => fr.stop());
  return fr;
}

