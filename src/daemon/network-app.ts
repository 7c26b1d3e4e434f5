/**
 * The App the daemon runs by default: the configuration drives the L2TP/PPP router on real UDP
 * sockets, TUN interfaces and kernel routes (`NetworkDriver`). See app.ts for the contract.
 */
import { composeRuntime, type App, type AppContext } from './app.js';
import { NetworkDriver } from './network.js';

export function createNetworkApp(ctx: AppContext): App {
  const net = new NetworkDriver(ctx.store, { logger: ctx.logger });
  return {
    store: ctx.store,
    // The router answers /ppp active, /interface..., monitor; the log buffer answers /log.
    runtime: composeRuntime(ctx.logRuntime, net.router),
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
