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
  // MPPE key lengths (RouterOS: 128 only, but we accept 56 and 40 from legacy peers by default);
  // L2TP_MPPE_BITS=128 or e.g. 40,56 narrows what new links accept.
  const mppeBits = process.env['L2TP_MPPE_BITS'];
  if (mppeBits !== undefined && mppeBits !== '') {
    const bits = mppeBits.split(',').map((b) => b.trim());
    if (bits.every((b) => b === '40' || b === '56' || b === '128')) net.router.service.mppeKeyBits = bits.map((b) => Number(b) as 40 | 56 | 128);
    else ctx.logger.log(['system', 'warning'], `L2TP_MPPE_BITS=${mppeBits} ignored (a comma-separated list of 40, 56, 128)`);
  }
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
