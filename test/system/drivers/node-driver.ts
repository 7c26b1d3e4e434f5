/**
 * A small program that system tests run inside a network namespace: our L2TP stack (LAC or LNS,
 * with or without PPP) on real UDP sockets, printing one JSON object per line for every event so
 * the test can follow it. Configuration is one JSON argument (see `DriverConfig`).
 *
 * Control on stdin: a line `close` closes every tunnel with StopCCN and exits once the peers
 * acknowledged (or after 3 s); SIGTERM does the same. The process also exits after `exitAfterMs`.
 */
import { createInterface } from 'node:readline';
import { utf8 } from '../../../src/core/bytes.js';
import { prefixLogger, type Logger } from '../../../src/core/log.js';
import type { AuthMethod } from '../../../src/auth/types.js';
import { verifyWithPassword } from '../../../src/auth/index.js';
import { L2tpEngine } from '../../../src/l2tp/engine.js';
import type { L2tpConfig, L2tpEvent } from '../../../src/l2tp/types.js';
import { cryptoRandom } from '../../../src/platform/random.js';
import { UdpHost } from '../../../src/daemon/udp-host.js';
import { PppOverL2tp, type ServiceEvent } from '../../../src/services/ppp-over-l2tp.js';

export interface DriverConfig {
  mode: 'lac' | 'lns';
  listen: { address: string; port: number };
  connect?: { ip: string; port: number };
  secret?: string;
  hide?: boolean;
  ephemeralPort?: boolean;
  hostName?: string;
  helloMs?: number;
  /** LAC: sessions to open in the tunnel (L2TP-only mode). */
  sessions?: number;
  /** LAC with PPP: log in with these credentials. */
  ppp?: { user: string; password: string; allow: AuthMethod[] };
  /** LNS with PPP: accept these users and hand out addresses. */
  server?: { users: Record<string, string>; authentication: AuthMethod[]; local: string; remotePrefix: string };
  exitAfterMs?: number;
  debug?: boolean;
}

const cfg = JSON.parse(process.argv[2] ?? '{}') as DriverConfig;

function out(obj: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(obj, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v)) + '\n');
}

const logger: Logger = {
  log(topics, message) {
    if (!cfg.debug && topics.includes('debug')) return;
    out({ ev: 'log', topics, message });
  },
};

const l2tpConfig: Partial<L2tpConfig> = {
  hostName: cfg.hostName ?? 'l2tp-test',
  ...(cfg.secret !== undefined ? { secretFor: () => utf8(cfg.secret!) } : {}),
  hideAvps: cfg.hide === true,
  ephemeralPort: cfg.ephemeralPort === true,
  acceptTunnels: cfg.mode === 'lns',
  ...(cfg.helloMs !== undefined ? { helloIntervalMs: cfg.helloMs } : {}),
};

async function main(): Promise<void> {
  let closing = false;
  let host: UdpHost;
  let tunnelsUp = 0;
  if (cfg.ppp || cfg.server) {
    const svc = new PppOverL2tp(
      l2tpConfig,
      cfg.server
        ? { authentication: cfg.server.authentication, mru: 1450, mtu: 1450, keepaliveTimeoutS: 30, ipv6: false, hostName: 'l2tp-test' }
        : undefined,
      { random: cryptoRandom, logger },
    );
    let nextHost = 100;
    host = await UdpHost.start(svc, {
      address: cfg.listen.address,
      port: cfg.listen.port,
      onError: (err) => out({ ev: 'error', message: String(err) }),
      onPump: (now) => {
        for (let ev: ServiceEvent | undefined = svc.pollEvent(); ev; ev = svc.pollEvent()) {
          out({ ev: ev.type, ...ev });
          if (ev.type === 'socket-close') host.closeSocket(ev.socket);
          if (ev.type === 'tunnel-up') tunnelsUp++;
          if (ev.type === 'tunnel-down') tunnelsUp--;
          if (ev.type === 'auth-check' && cfg.server) {
            const pw = cfg.server.users[ev.check.user];
            svc.completeAuth(now, ev.key, pw === undefined ? { ok: false, message: 'no such user' } : verifyWithPassword(ev.check, pw));
          }
          if (ev.type === 'need-addresses' && cfg.server) {
            svc.authorize(now, ev.key, { localAddress: cfg.server.local, remoteAddress: `${cfg.server.remotePrefix}${nextHost++}`, dns: [cfg.server.local], wins: [] });
          }
          if (closing && tunnelsUp <= 0) finish();
        }
      },
    });
    out({ ev: 'listening', local: host.local });
    if (cfg.mode === 'lac' && cfg.connect && cfg.ppp) {
      const ppp = cfg.ppp;
      host.input((now) =>
        svc.dial(now, {
          peer: cfg.connect!,
          user: ppp.user,
          password: ppp.password,
          allow: ppp.allow,
          mru: 1450,
          mtu: 1450,
          keepaliveTimeoutS: 60,
          usePeerDns: true,
          name: 'l2tp-out1',
        }),
      );
    }
    const shutdown = (): void => {
      if (closing) return;
      closing = true;
      if (tunnelsUp <= 0) return finish();
      host.input((now) => svc.shutdown(now));
    };
    installControl(shutdown);
  } else {
    const engine = new L2tpEngine(l2tpConfig, { random: cryptoRandom, logger, traceMessages: true });
    host = await UdpHost.start(engine, {
      address: cfg.listen.address,
      port: cfg.listen.port,
      onError: (err) => out({ ev: 'error', message: String(err) }),
      onPump: () => {
        for (let ev: L2tpEvent | undefined = engine.pollEvent(); ev; ev = engine.pollEvent()) {
          if (ev.type === 'message') {
            out({ ev: 'message', direction: ev.direction, type: ev.message.type, tunnelId: ev.tunnelId, sessionId: ev.message.sessionId, avps: ev.message.avps });
            continue;
          }
          out({ ev: ev.type, ...ev });
          if (ev.type === 'socket-close') host.closeSocket(ev.socket);
          if (ev.type === 'tunnel-up') {
            tunnelsUp++;
            if (cfg.mode === 'lac') {
              for (let i = 0; i < (cfg.sessions ?? 1); i++) host.input((now) => engine.openSession(now, ev.tunnelId));
            }
          }
          if (ev.type === 'tunnel-down') tunnelsUp--;
          if (closing && engine.tunnelCount === 0) finish();
        }
      },
    });
    out({ ev: 'listening', local: host.local });
    if (cfg.mode === 'lac' && cfg.connect) host.input((now) => engine.connect(now, cfg.connect!));
    const shutdown = (): void => {
      if (closing) return;
      closing = true;
      if (engine.tunnelCount === 0) return finish();
      host.input((now) => engine.closeAll(now, 'test driver closing'));
      // Wait for the StopCCN acks: poll the channel state.
      const check = setInterval(() => {
        const pending = engine.tunnelIds().some((id) => engine.tunnelInfo(id)?.state !== 'closing');
        if (!pending) {
          clearInterval(check);
          setTimeout(finish, 300);
        }
      }, 50);
    };
    installControl(shutdown);
  }

  let finished = false;
  function finish(): void {
    if (finished) return;
    finished = true;
    out({ ev: 'exit' });
    void host.close().then(() => process.exit(0));
  }
  if (cfg.exitAfterMs) setTimeout(() => process.emit('SIGTERM'), cfg.exitAfterMs).unref();
  function installControl(shutdown: () => void): void {
    process.on('SIGTERM', () => {
      shutdown();
      setTimeout(finish, 3000).unref();
    });
    const rl = createInterface({ input: process.stdin });
    rl.on('line', (line) => {
      if (line.trim() === 'close') {
        shutdown();
        setTimeout(finish, 3000).unref();
      }
    });
  }
}

main().catch((err: unknown) => {
  out({ ev: 'fatal', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exit(1);
});
void prefixLogger;
