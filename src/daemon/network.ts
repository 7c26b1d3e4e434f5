/**
 * The network side of the daemon: runs the I/O-free `L2tpRouter` on real UDP sockets, TUN
 * interfaces and kernel routes, with the real clock.
 *
 * - Sockets: the server's UDP 1701 (`listen`/`unlisten`), one per l2tp-client (`open-socket`),
 *   and one per server tunnel when the engine answers from an ephemeral port (opened on its first
 *   datagram). Datagrams for a socket still binding are queued.
 * - Interfaces: `interface-up` opens a TUN named after the kernel name, sets the point-to-point
 *   address, MTU and routes; `interface-down` removes routes and closes the TUN. TUN devices are
 *   opened non-persistent, so a crashed daemon leaves no interface and no route behind (the
 *   kernel removes both with the last file descriptor); nothing to clean at the next start.
 * - Packets: a TUN read goes into the session (`router.sendIp`), a packet out of a session is
 *   written to its TUN (`router.ipSink`).
 * - Address lists: `address-lists` commands become nftables sets (src/platform/nft.ts), on the
 *   same chain; `config-changed` (a script or a timeout changed the configuration) goes to
 *   `onConfigChanged` so it is saved like a console change.
 *
 * Kernel work (ip commands, TUN open) is asynchronous; commands are carried out in order on one
 * promise chain so an interface is never torn down before it finished coming up.
 */
import { writeFile } from 'node:fs/promises';
import type { Logger } from '../core/log.js';
import type { ChangeRecord, ConfigStore } from '../config/store.js';
import { MAIN_SOCKET } from '../l2tp/types.js';
import { EngineDriver } from '../platform/driver.js';
import { IpRoute2, type IpArgs } from '../platform/netlink-or-ip.js';
import { AddressListSync } from '../platform/nft.js';
import { cryptoRandom } from '../platform/random.js';
import type { HostResolver } from '../platform/resolver.js';
import { openTun, whenTunsClosed, type TunDevice } from '../platform/tun.js';
import { TcpCoalescer } from '../wire/tcp-coalesce.js';
import { COA_SOCKET, RADIUS_SOCKET } from '../services/aaa.js';
import { isControlPlane } from '../wire/l2tp/header.js';
import { L2tpRouter, type RouteSpec, type RouterCommand } from '../services/router.js';
import type { SessionKey } from '../services/ppp-over-l2tp.js';
import { SocketPool } from './sockets.js';

interface InterfaceSlot {
  tun: TunDevice | undefined;
  readonly kernelName: string;
  closed: boolean;
  /** Writes a coalesced frame to this slot's TUN (one closure per slot, for the coalescer). */
  readonly writeFrame: (frame: Uint8Array) => void;
}

const SHUTDOWN_WAIT_MS = 3000;

export interface NetworkOptions {
  readonly logger: Logger;
  /** `ip` runner; tests may point it at a namespace. */
  readonly ip?: IpRoute2;
  /** Opens a TUN; injectable for tests. */
  readonly openTun?: typeof openTun;
  /** Local address for the server socket (default 0.0.0.0). */
  readonly listenAddress?: string;
  /** The host resolver (`/ip dns`, use-peer-dns); without it DNS servers are only shown. */
  readonly resolver?: HostResolver;
  /** Writes `/ip firewall address-list` to the kernel; injectable for tests. */
  readonly addressLists?: { apply(sets: Readonly<Record<string, readonly string[]>>): Promise<void> };
  /** The router changed the configuration itself (on-up/on-down script, timeout): save it. */
  readonly onConfigChanged?: (changes: readonly ChangeRecord[]) => void;
}

export class NetworkDriver {
  readonly router: L2tpRouter;
  readonly driver: EngineDriver;
  private readonly sockets: SocketPool;
  private listenAddress = '0.0.0.0';
  private readonly interfaces = new Map<SessionKey, InterfaceSlot>();
  private readonly ip: IpRoute2;
  /** The interface-up group still taking members (see execute). */
  private upGroup: InterfaceUp[] | undefined;
  private readonly openTunFn: typeof openTun;
  private readonly addressLists: NonNullable<NetworkOptions['addressLists']>;
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;
  /** The clock of the received batch being delivered, if any. */
  private batchNow: number | undefined;
  /** TCP receive offload for TUN writes, shared by every interface (src/wire/tcp-coalesce.ts). */
  private readonly coalescer = new TcpCoalescer();
  private coalescing = false;

  constructor(
    private readonly store: ConfigStore,
    private readonly opts: NetworkOptions,
  ) {
    this.ip = opts.ip ?? new IpRoute2();
    this.openTunFn = opts.openTun ?? openTun;
    this.addressLists = opts.addressLists ?? new AddressListSync({ warn: (m) => opts.logger.log(['system', 'warning'], m) });
    this.router = new L2tpRouter(store, { random: cryptoRandom, logger: opts.logger });
    this.sockets = new SocketPool(
      (key, from, bytes) => {
        const now = this.batchNow;
        if (now === undefined) {
          this.driver.input((n) => this.router.handleDatagram(n, from, bytes, key));
          return;
        }
        // Inside a received batch (one driver input): one bad datagram must not lose the rest.
        try {
          this.router.handleDatagram(now, from, bytes, key);
        } catch (err) {
          this.internalError(err);
        }
      },
      (message) => opts.logger.log(['l2tp', 'error'], message),
      () => this.listenAddress,
      {
        // L2TP data messages (T bit clear) are used only during the call (the PPP control frames
        // among them are copied by the service); control messages and RADIUS are kept, so copied.
        mayBorrow: (key, bytes) => key !== RADIUS_SOCKET && key !== COA_SOCKET && bytes.length > 0 && (bytes[0]! & 0x80) === 0,
        // Under overload a socket keeps only these: L2TP control, P-bit and PPP control frames,
        // RADIUS; data packets are shed first (see NativeUdpPort).
        isPriority: (key, bytes) => key === RADIUS_SOCKET || key === COA_SOCKET || isControlPlane(bytes),
        wrapBatch: (run) =>
          this.driver.input((now) => {
            this.batchNow = now;
            try {
              run();
            } finally {
              // The batch's packets live in the socket's receive buffer: write them out now.
              if (this.coalescing) {
                this.coalescing = false;
                this.coalescer.finish();
              }
              this.batchNow = undefined;
            }
          }),
      },
    );
    this.router.wallClockOffsetMs = Date.now() - performance.now();
    this.router.service.dataOut = (t) => this.sockets.send(t);
    this.router.ipSink = (key, _protocol, packet) => {
      const slot = this.interfaces.get(key);
      const tun = slot?.tun;
      if (!tun) return;
      // Inside a received batch, consecutive TCP segments of a flow go to the kernel as one GSO
      // train (one write, one pass through its TCP receive path); elsewhere one write each.
      if (this.batchNow !== undefined && tun.vnetHdr) {
        this.coalescer.push(packet, slot.writeFrame);
        this.coalescing = true;
      } else {
        tun.write(packet);
      }
    };
    this.driver = new EngineDriver(this.router, {
      pump: () => this.pump(),
      onError: (err) => this.internalError(err),
    });
  }

  private internalError(err: unknown): void {
    this.opts.logger.log(['l2tp', 'error'], `internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  }

  start(): void {
    const resolver = this.opts.resolver;
    if (resolver) this.enqueue(() => resolver.recoverLeftover());
    this.driver.input((now) => this.router.start(now));
    this.enqueue(() => this.applyHostSettings());
  }

  applyChanges(changes: readonly ChangeRecord[]): void {
    this.driver.input((now) => this.router.applyChanges(now, changes));
    if (changes.some((c) => c.menu === 'ip settings' || c.menu === 'interface ethernet')) this.enqueue(() => this.applyHostSettings());
  }

  /**
   * Adds the kernel's Ethernet-like links (physical, veth, bridge...) that `/interface ethernet`
   * does not list yet, as RouterOS lists its ports. Returns the changes for the caller to persist.
   */
  async discoverInterfaces(): Promise<ChangeRecord[]> {
    const changes: ChangeRecord[] = [];
    let links: Awaited<ReturnType<IpRoute2['listLinks']>>;
    try {
      links = await this.ip.listLinks();
    } catch {
      return changes;
    }
    const ours = new Set(this.store.items('interface l2tp-client').map((i) => i.values['name']));
    for (const l of links) {
      if (l.linkType !== 'ether' || ours.has(l.name) || this.store.findByName('interface ethernet', l.name)) continue;
      const r = this.store.add('interface ethernet', { name: l.name });
      if (!('code' in r)) changes.push(...r.changes);
    }
    return changes;
  }

  /** `/ip settings ip-forward` and `/interface ethernet arp=` into the kernel. */
  private async applyHostSettings(): Promise<void> {
    const forward = this.store.settings('ip settings')['ip-forward'] !== 'no';
    await writeFile('/proc/sys/net/ipv4/ip_forward', forward ? '1\n' : '0\n').catch((err: unknown) =>
      this.opts.logger.log(['system', 'warning'], `cannot set ip-forward: ${err instanceof Error ? err.message : String(err)}`),
    );
    for (const item of this.store.items('interface ethernet')) {
      const name = item.values['name'];
      if (!name) continue;
      const proxy = item.values['arp'] === 'proxy-arp';
      await this.ip.setProxyArp(name, proxy).catch(() => undefined);
    }
  }

  /** StopCCN to every peer, wait (bounded) for the acks, remove interfaces and routes, close sockets. */
  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.driver.input((now) => this.router.shutdown(now));
    const deadline = Date.now() + SHUTDOWN_WAIT_MS;
    while (!this.router.idle && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    // Give the last acks a moment on the wire.
    await new Promise((r) => setTimeout(r, 100));
    this.stopped = true;
    this.driver.stop();
    for (const key of [...this.interfaces.keys()]) this.enqueue(() => this.interfaceDown(key, []));
    const resolver = this.opts.resolver;
    if (resolver) this.enqueue(() => resolver.restore());
    await this.chain;
    await this.sockets.closeAll();
    // The interfaces vanish as their fds close (off the main thread): wait for the last.
    await whenTunsClosed();
  }

  private pump(): void {
    for (let t = this.router.pollTransmit(); t; t = this.router.pollTransmit()) this.sockets.send(t);
    for (let c = this.router.pollCommand(); c; c = this.router.pollCommand()) this.execute(c);
  }

  private execute(c: RouterCommand): void {
    switch (c.type) {
      case 'listen': {
        this.listenAddress = this.opts.listenAddress ?? c.address;
        const address = this.listenAddress;
        void this.sockets.open(MAIN_SOCKET, address, c.port, true).then((local) => {
          if (local) this.opts.logger.log(['l2tp', 'info'], `listening on ${address}:${c.port}`);
        });
        return;
      }
      case 'unlisten':
        this.sockets.close(MAIN_SOCKET);
        return;
      case 'open-socket':
        void this.sockets.open(c.socket, c.address, c.port ?? 0);
        return;
      case 'close-socket':
        this.sockets.close(c.socket);
        return;
      case 'interface-up': {
        // Consecutive interface-ups share one job and one `ip` process (a reconnect storm brings
        // hundreds at once); any other job closes the group, so the order of jobs is kept.
        let group = this.upGroup;
        if (group === undefined || group.length >= MAX_UP_GROUP) {
          const g: InterfaceUp[] = [];
          group = g;
          this.enqueue(() => this.interfacesUp(g), true);
          this.upGroup = g;
        }
        group.push(c);
        return;
      }
      case 'interface-down':
        this.enqueue(() => this.interfaceDown(c.key, c.routes));
        return;
      case 'interface-readdress':
        this.enqueue(() => this.interfaceReaddress(c));
        return;
      case 'dns': {
        const resolver = this.opts.resolver;
        if (resolver) this.enqueue(() => resolver.apply(c.servers, c.exclusive));
        return;
      }
      case 'interface-routes':
        this.enqueue(async () => {
          if (!this.interfaces.get(c.key)?.tun) return;
          const batch = this.ip.batch();
          for (const r of c.remove) batch.add(routeArgs('del', r, c.kernelName));
          for (const r of c.add) batch.add(routeArgs('replace', r, c.kernelName));
          await batch.run();
        });
        return;
      case 'address-lists':
        this.enqueue(() => this.addressLists.apply(c.sets));
        return;
      case 'config-changed':
        this.opts.onConfigChanged?.(c.changes);
        return;
    }
  }

  private enqueue(job: () => Promise<void>, keepUpGroup = false): void {
    if (!keepUpGroup) this.upGroup = undefined;
    this.chain = this.chain.then(job).catch((err: unknown) => {
      this.opts.logger.log(['l2tp', 'error'], `network: ${err instanceof Error ? err.message : String(err)}`);
    });
  }

  /** A group of interface-ups: each TUN opened in turn, then one `ip -force -batch` for all. */
  private async interfacesUp(group: InterfaceUp[]): Promise<void> {
    if (this.upGroup === group) this.upGroup = undefined;
    const commands: IpArgs[] = [];
    const owners: InterfaceUp[] = [];
    for (const c of group) {
      let mine: IpArgs[] | undefined;
      try {
        mine = await this.openInterface(c);
      } catch (err) {
        this.opts.logger.log(['l2tp', 'error'], `${c.name}: cannot create interface ${c.kernelName}: ${err instanceof Error ? err.message : String(err)}`);
        continue;
      }
      if (mine === undefined) continue;
      for (const a of mine) {
        commands.push(a);
        owners.push(c);
      }
    }
    const failures = await this.ip.runBatchForce(commands);
    const failed = new Set<InterfaceUp>();
    for (const [line, message] of failures) {
      const c = owners[line];
      if (c !== undefined) failed.add(c);
      this.opts.logger.log(['l2tp', 'error'], `${c?.name ?? 'interfaces'}: ip ${(commands[line] ?? []).join(' ')}: ${message}`);
    }
    for (const c of new Set(owners)) {
      if (!failed.has(c)) this.opts.logger.log(['l2tp', 'debug'], `${c.name}: interface ${c.kernelName} up, ${c.local} -> ${c.remote}, mtu ${c.mtu}`);
    }
  }

  /** Opens one session's TUN and wires it; returns the `ip` commands that finish it (none if it went away meanwhile). */
  private async openInterface(c: InterfaceUp): Promise<IpArgs[] | undefined> {
    const slot: InterfaceSlot = {
      tun: undefined,
      kernelName: c.kernelName,
      closed: false,
      writeFrame: (frame) => {
        if (slot.tun && !slot.closed) slot.tun.writeFrame(frame);
      },
    };
    this.interfaces.set(c.key, slot);
    // Opened down: IPv6 is switched off first (IPv6CP is not negotiated, and the kernel's router
    // solicitations would otherwise be the "first packet" of a dial-on-demand link).
    const tun = await this.openTunFn({ name: c.kernelName, mtu: c.mtu, up: false, vnetHdr: process.env['L2TP_TUN_OFFLOAD'] !== '0' });
    await writeFile(`/proc/sys/net/ipv6/conf/${c.kernelName}/disable_ipv6`, '1').catch(() => undefined);
    if (slot.closed || this.interfaces.get(c.key) !== slot) {
      tun.close();
      return undefined;
    }
    slot.tun = tun;
    tun.onError((err) => this.opts.logger.log(['l2tp', 'error'], `${c.name}: ${err.message}`));
    tun.onPackets((slab, offsets, lengths, count) => {
      this.driver.input((now) => {
        for (let i = 0; i < count; i++) {
          const off = offsets[i]!;
          const packet = slab.subarray(off, off + lengths[i]!);
          // The view is only valid during this callback: the PPP path copies it into its frame.
          this.router.sendIp(now, c.key, packet, (packet[0]! >> 4) === 6 ? 'ipv6' : 'ipv4');
        }
      });
    });
    return [
      ['link', 'set', 'dev', c.kernelName, 'up'],
      ['addr', 'add', c.local, 'peer', `${c.remote}/32`, 'dev', c.kernelName],
      ...c.routes.map((r) => routeArgs('replace', r, c.kernelName)),
    ];
  }

  private async interfaceReaddress(c: Extract<RouterCommand, { type: 'interface-readdress' }>): Promise<void> {
    const slot = this.interfaces.get(c.key);
    if (!slot?.tun) return;
    const batch = this.ip.batch();
    batch.add(['addr', 'flush', 'dev', c.kernelName]);
    batch.add(['link', 'set', 'dev', c.kernelName, 'mtu', String(c.mtu)]);
    batch.add(['addr', 'add', c.local, 'peer', `${c.remote}/32`, 'dev', c.kernelName]);
    for (const r of c.routes) batch.add(routeArgs('replace', r, c.kernelName));
    await batch.run();
  }

  private async interfaceDown(key: SessionKey, routes: readonly RouteSpec[]): Promise<void> {
    const slot = this.interfaces.get(key);
    if (!slot) return;
    this.interfaces.delete(key);
    slot.closed = true;
    if (routes.length > 0 && slot.tun) {
      const batch = this.ip.batch();
      for (const r of routes) batch.add(routeArgs('del', r, slot.kernelName));
      // Routes through the device also vanish with it; deleting first keeps the order clean.
      await batch.run().catch(() => undefined);
    }
    slot.tun?.close();
  }
}

type InterfaceUp = Extract<RouterCommand, { type: 'interface-up' }>;

/** Most interfaces one `ip` batch brings up, so the first of a storm do not wait for the last. */
const MAX_UP_GROUP = 256;

function routeArgs(op: 'replace' | 'del', r: RouteSpec, dev: string): string[] {
  const args = ['route', op, r.dst];
  if (r.gateway) args.push('via', r.gateway);
  args.push('dev', dev);
  if (r.metric !== undefined) args.push('metric', String(r.metric));
  return args;
}


