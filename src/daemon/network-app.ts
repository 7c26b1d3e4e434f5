/**
 * The App the daemon runs by default: the configuration drives the L2TP/PPP router on real UDP
 * sockets, TUN interfaces and kernel routes (`NetworkDriver`). See app.ts for the contract.
 */
import { join } from 'node:path';
import { HostResolver } from '../platform/resolver.js';
import { composeRuntime, type App, type AppContext } from './app.js';
import { NetworkDriver } from './network.js';

export function createNetworkApp(ctx: AppContext): App {
  // The host resolver for /ip dns and use-peer-dns; L2TP_RESOLV_CONF points it elsewhere.
  const resolver = new HostResolver({
    path: process.env['L2TP_RESOLV_CONF'] || '/etc/resolv.conf',
    backupPath: join(ctx.dataDir, 'resolv.conf.orig'),
    logger: ctx.logger,
  });
  const net = new NetworkDriver(ctx.store, {
    logger: ctx.logger,
    resolver,
    // Scripts and timeouts change the configuration from inside the router: save it.
    ...(ctx.persist ? { onConfigChanged: ctx.persist } : {}),
  });
  // MPPE mode (not a RouterOS setting): stateless by default like RouterOS; L2TP_MPPE_MODE=stateful
  // or any for peers and benchmarks that want it (docs/mppe.md).
  const mppeMode = process.env['L2TP_MPPE_MODE'];
  if (mppeMode === 'stateless' || mppeMode === 'stateful' || mppeMode === 'any') net.router.service.mppeMode = mppeMode;
  else if (mppeMode !== undefined && mppeMode !== '') ctx.logger.log(['system', 'warning'], `L2TP_MPPE_MODE=${mppeMode} ignored (stateless, stateful or any)`);
  // The router answers /ppp active, /interface..., monitor; the log buffer answers /log.
  const runtime = composeRuntime(ctx.logRuntime, net.router);
  // on-up/on-down scripts see the same runtime views as the console (/log, /ppp active...).
  net.router.scriptRuntime = runtime;
  return {
    store: ctx.store,
    runtime,
    logger: ctx.logger,
    start: async () => {
      const changes = await net.discoverInterfaces();
      net.start();
      return changes;
    },
    applyChanges: (changes) => net.applyChanges(changes),
    shutdown: () => net.shutdown(),
  };
}
