/**
 * Interface addresses, routes and link state for the daemon's PPP interfaces, through iproute2's
 * `ip` command (and `/proc/sys` for proxy-ARP).
 *
 * Why `ip` and not rtnetlink from the addon: this is the control plane. It runs a handful of
 * operations per PPP session (IPCP up: one point-to-point address, maybe a route or two; down:
 * the interface simply vanishes with its TUN fd), so the rate is a few per second even with many
 * sessions starting at once. Measured on the target machine (src/platform/netlink-or-ip.test.ts
 * prints it): 100 point-to-point address adds + 100 route adds in ONE `ip -batch -` take 8-15 ms;
 * the same as 200 separate `ip` processes take 0.7-1.6 s (~5 ms per process). Batch is therefore fast enough for
 * bursts, and `ip` gives us exact, well-known semantics, readable error messages and no netlink
 * message encoding to maintain in C. The addon keeps only what Node truly cannot do (ioctl).
 *
 * Addresses follow RFC 1332 / IPCP's point-to-point model: `local` peer `peer` with /32 on each
 * side (`ip addr add L peer P dev D`), which installs the host route to the peer.
 * Proxy-ARP (RouterOS `arp=proxy-arp` on the server side) is the per-interface sysctl
 * net.ipv4.conf.<dev>.proxy_arp.
 *
 * Invariants:
 * - Every argument is validated before it reaches `ip` (names, addresses, prefixes): a value can
 *   never become an extra option or a second batch line. Failures are `IpError` with a stable code.
 * - No shell: `ip` is spawned directly, each call bounded by a timeout.
 * - Commands are built by pure functions (`ipCommands.*`), so they are unit-tested without root.
 *
 * Call order: construct `IpRoute2` (optionally for a named netns), then any calls; `batch()`
 * collects commands and `run()`s them in one process, stopping at the first failure.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';

export type IpErrorCode = 'IP_ERR_ARG' | 'IP_ERR_SPAWN' | 'IP_ERR_EXIT' | 'IP_ERR_TIMEOUT' | 'IP_ERR_OUTPUT';

export class IpError extends Error {
  readonly code: IpErrorCode;
  readonly args: readonly string[];
  readonly stderr: string;
  override readonly cause: unknown;
  constructor(code: IpErrorCode, message: string, args: readonly string[] = [], stderr = '', cause?: unknown) {
    super(message);
    this.name = 'IpError';
    this.code = code;
    this.args = args;
    this.stderr = stderr;
    this.cause = cause;
  }
}

/** An `ip` command line without the leading `ip` (e.g. ['addr', 'add', ...]). */
export type IpArgs = readonly string[];

export interface LinkInfo {
  name: string;
  index: number;
  up: boolean;
  mtu: number;
  /** `none` for TUN, `ether` for TAP/veth. */
  linkType: string;
}

export interface RouteOptions {
  /** Next hop; omitted for a device route (the usual case on a point-to-point link). */
  via?: string;
  metric?: number;
  table?: number;
  /** Preferred source address for locally originated packets. */
  src?: string;
}

// Linux: IFNAMSIZ 16 incl. NUL; '/' , ':' and whitespace are not allowed in names (dev_valid_name).
// We also refuse a leading '-': `ip` would read such a name as an option.
const IFNAME_RE = /^[A-Za-z0-9_.@+][A-Za-z0-9_.@+-]{0,14}$/;

// A netns name is a file name under /run/netns: no '/', no leading '-' (it would read as an option).
const NETNS_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

function ifname(v: string): string {
  if (!IFNAME_RE.test(v) || v === '.' || v === '..') throw new IpError('IP_ERR_ARG', `invalid interface name ${JSON.stringify(v)}`);
  return v;
}

function addr(v: string): string {
  if (isIP(v) === 0) throw new IpError('IP_ERR_ARG', `invalid IP address ${JSON.stringify(v)}`);
  return v;
}

/** `a.b.c.d/len`, `x::/len`, a bare address (host route) or `default`. */
function prefix(v: string): string {
  if (v === 'default') return v;
  const slash = v.indexOf('/');
  if (slash < 0) return addr(v);
  const a = v.slice(0, slash);
  const len = v.slice(slash + 1);
  const family = isIP(a);
  const max = family === 4 ? 32 : family === 6 ? 128 : -1;
  if (max < 0 || !/^\d{1,3}$/.test(len) || Number(len) > max) throw new IpError('IP_ERR_ARG', `invalid prefix ${JSON.stringify(v)}`);
  return v;
}

function uint(v: number, max: number, what: string): string {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new IpError('IP_ERR_ARG', `${what} must be an integer in 0..${max}`);
  return String(v);
}

function routeTail(dev: string | undefined, o: RouteOptions): string[] {
  const out: string[] = [];
  if (o.via !== undefined) out.push('via', addr(o.via));
  if (dev !== undefined) out.push('dev', ifname(dev));
  if (o.src !== undefined) out.push('src', addr(o.src));
  if (o.metric !== undefined) out.push('metric', uint(o.metric, 0xffffffff, 'metric'));
  if (o.table !== undefined) out.push('table', uint(o.table, 0xffffffff, 'table'));
  return out;
}

/** Pure builders of validated `ip` argument lists. */
export const ipCommands = {
  /** IPCP result: our address, the peer's address (RFC 1332 section 3.3), host route included. */
  addPointToPoint(dev: string, local: string, peer: string): IpArgs {
    const fam = isIP(addr(local));
    if (isIP(addr(peer)) !== fam) throw new IpError('IP_ERR_ARG', `local ${local} and peer ${peer} differ in family`);
    return ['addr', 'add', local, 'peer', peer, 'dev', ifname(dev)];
  },
  delPointToPoint(dev: string, local: string, peer: string): IpArgs {
    return ['addr', 'del', addr(local), 'peer', addr(peer), 'dev', ifname(dev)];
  },
  addAddress(dev: string, cidr: string): IpArgs {
    return ['addr', 'add', prefix(cidr), 'dev', ifname(dev)];
  },
  flushAddresses(dev: string): IpArgs {
    return ['addr', 'flush', 'dev', ifname(dev)];
  },
  addRoute(dst: string, dev: string | undefined, o: RouteOptions = {}): IpArgs {
    return ['route', 'add', prefix(dst), ...routeTail(dev, o)];
  },
  replaceRoute(dst: string, dev: string | undefined, o: RouteOptions = {}): IpArgs {
    return ['route', 'replace', prefix(dst), ...routeTail(dev, o)];
  },
  delRoute(dst: string, dev: string | undefined, o: RouteOptions = {}): IpArgs {
    return ['route', 'del', prefix(dst), ...routeTail(dev, o)];
  },
  setLink(dev: string, o: { up?: boolean; mtu?: number }): IpArgs {
    const out = ['link', 'set', 'dev', ifname(dev)];
    if (o.up !== undefined) out.push(o.up ? 'up' : 'down');
    if (o.mtu !== undefined) out.push('mtu', uint(o.mtu, 65535, 'mtu'));
    return out;
  },
  deleteLink(dev: string): IpArgs {
    return ['link', 'del', 'dev', ifname(dev)];
  },
  setLinkGroup(dev: string, group: number): IpArgs {
    return ['link', 'set', 'dev', ifname(dev), 'group', linkGroup(group)];
  },
  deleteLinkGroup(group: number): IpArgs {
    return ['link', 'del', 'group', linkGroup(group)];
  },
};

/** A link group number for our own use: never 0, the group every interface starts in. */
function linkGroup(g: number): string {
  if (!Number.isInteger(g) || g < 1 || g > 0xffffffff) throw new IpError('IP_ERR_ARG', `invalid link group ${String(g)}`);
  return String(g);
}

export interface IpRoute2Options {
  /** Run every command inside this named network namespace (`ip -n`). */
  netns?: string;
  /** Path of the `ip` binary; default `ip` from PATH. */
  ipPath?: string;
  /** Per-process timeout; default 10 s. */
  timeoutMs?: number;
}

interface RunResult {
  stdout: string;
  stderr: string;
}

export class IpRoute2 {
  private readonly ip: string;
  private readonly netnsArgs: readonly string[];
  private readonly timeoutMs: number;
  readonly netns: string | undefined;

  constructor(opts: IpRoute2Options = {}) {
    this.ip = opts.ipPath ?? 'ip';
    this.netns = opts.netns;
    if (opts.netns !== undefined && !NETNS_RE.test(opts.netns)) throw new IpError('IP_ERR_ARG', `invalid netns name ${JSON.stringify(opts.netns)}`);
    this.netnsArgs = opts.netns === undefined ? [] : ['-n', opts.netns];
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  private spawnIp(args: readonly string[], stdin?: string, inNetns = true): Promise<RunResult> {
    const full = inNetns ? [...this.netnsArgs, ...args] : [...args];
    return new Promise((resolve, reject) => {
      let child;
      try {
        child = spawn(this.ip, full, {
          stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        });
      } catch (e) {
        reject(new IpError('IP_ERR_SPAWN', `cannot run ${this.ip}: ${String(e)}`, full, '', e));
        return;
      }
      // Our own timer, not spawn's `timeout` option: Node 20 leaves that timer armed when the
      // spawn itself fails (ENOENT), holding the process open for the whole timeout.
      const proc = child;
      const timer = setTimeout(() => proc.kill('SIGKILL'), this.timeoutMs);
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout?.on('data', (b: Buffer) => out.push(b));
      child.stderr?.on('data', (b: Buffer) => err.push(b));
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(new IpError('IP_ERR_SPAWN', `cannot run ${this.ip}: ${e.message}`, full, '', e));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        const stdout = Buffer.concat(out).toString('utf8');
        const stderr = Buffer.concat(err).toString('utf8').trim();
        if (signal !== null) reject(new IpError('IP_ERR_TIMEOUT', `ip ${full.join(' ')}: killed by ${signal}`, full, stderr));
        else if (code !== 0) reject(new IpError('IP_ERR_EXIT', `ip ${full.join(' ')}: exit ${String(code)}: ${stderr}`, full, stderr));
        else resolve({ stdout, stderr });
      });
      if (stdin !== undefined && child.stdin !== null) {
        // The child may exit before reading everything (a failed batch line): EPIPE is then
        // expected, and the exit status reports the real failure.
        child.stdin.on('error', () => {});
        child.stdin.end(stdin);
      }
    });
  }

  /** Runs one `ip` command; resolves with its stdout. */
  async run(args: IpArgs): Promise<string> {
    return (await this.spawnIp(args)).stdout;
  }

  /**
   * Runs many commands in one `ip -batch -` process. iproute2 stops at the first failing line
   * and exits non-zero; the error's stderr names the line (`Command failed -:N`).
   */
  async runBatch(commands: readonly IpArgs[]): Promise<void> {
    if (commands.length === 0) return;
    await this.spawnIp(['-batch', '-'], batchScript(commands));
  }

  /**
   * Runs many commands in one `ip -force -batch -` process, which goes on past failing lines.
   * Resolves with the failures by line index (0-based, into `commands`) and iproute2's message;
   * an empty map when every line worked. Rejects only when `ip` could not run or timed out.
   */
  async runBatchForce(commands: readonly IpArgs[]): Promise<Map<number, string>> {
    const failures = new Map<number, string>();
    if (commands.length === 0) return failures;
    const script = batchScript(commands);
    let stderr: string;
    try {
      stderr = (await this.spawnIp(['-force', '-batch', '-'], script)).stderr;
    } catch (e) {
      if (!(e instanceof IpError) || e.code !== 'IP_ERR_EXIT') throw e;
      stderr = e.stderr;
    }
    // iproute2 prints the error, then "Command failed -:N" (N counted from 1).
    let pending: string[] = [];
    for (const line of stderr.split('\n')) {
      const m = /^Command failed -:(\d+)/.exec(line);
      if (m) {
        failures.set(Number(m[1]) - 1, pending.join('; ') || 'failed');
        pending = [];
      } else if (line.trim() !== '') pending.push(line.trim());
    }
    if (failures.size === 0 && pending.length > 0) failures.set(-1, pending.join('; '));
    return failures;
  }

  /** Collects commands for one `runBatch`. */
  batch(): IpBatch {
    return new IpBatch(this);
  }

  addPointToPoint(dev: string, local: string, peer: string): Promise<string> {
    return this.run(ipCommands.addPointToPoint(dev, local, peer));
  }
  addRoute(dst: string, dev: string | undefined, o?: RouteOptions): Promise<string> {
    return this.run(ipCommands.addRoute(dst, dev, o));
  }
  delRoute(dst: string, dev: string | undefined, o?: RouteOptions): Promise<string> {
    return this.run(ipCommands.delRoute(dst, dev, o));
  }
  setLink(dev: string, o: { up?: boolean; mtu?: number }): Promise<string> {
    return this.run(ipCommands.setLink(dev, o));
  }
  deleteLink(dev: string): Promise<string> {
    return this.run(ipCommands.deleteLink(dev));
  }

  /**
   * Deletes the named links in one go: each is moved into link group `group` (which must be
   * ours alone) and the group is deleted with one request, which the kernel unregisters as one
   * batch (~0.1 s for 500 TUNs here, against ~20 ms per device for one-by-one deletes or
   * closes). `ip -force` goes on past a name that is already gone; rejects if any line failed.
   */
  async deleteLinksAsGroup(devs: readonly string[], group: number): Promise<void> {
    if (devs.length === 0) return;
    const commands = devs.map((d) => ipCommands.setLinkGroup(d, group));
    commands.push(ipCommands.deleteLinkGroup(group));
    const failures = await this.runBatchForce(commands);
    if (failures.size > 0) throw new IpError('IP_ERR_EXIT', `ip link del group ${group}: ${[...failures.values()].join('; ')}`);
  }

  /** Lists links, optionally only those whose name starts with `namePrefix` (crash left-overs). */
  async listLinks(namePrefix = ''): Promise<LinkInfo[]> {
    const text = await this.run(['-json', 'link', 'show']);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new IpError('IP_ERR_OUTPUT', 'ip -json link show: output is not JSON', [], '', e);
    }
    if (!Array.isArray(parsed)) throw new IpError('IP_ERR_OUTPUT', 'ip -json link show: output is not a list');
    const links: LinkInfo[] = [];
    for (const item of parsed as unknown[]) {
      if (typeof item !== 'object' || item === null) continue;
      const o = item as Record<string, unknown>;
      const name = o['ifname'];
      if (typeof name !== 'string' || !name.startsWith(namePrefix)) continue;
      const flags = Array.isArray(o['flags']) ? (o['flags'] as unknown[]) : [];
      links.push({
        name,
        index: typeof o['ifindex'] === 'number' ? o['ifindex'] : 0,
        up: flags.includes('UP'),
        mtu: typeof o['mtu'] === 'number' ? o['mtu'] : 0,
        linkType: typeof o['link_type'] === 'string' ? o['link_type'] : '',
      });
    }
    return links;
  }

  /**
   * Deletes every link whose name starts with `namePrefix` (left-overs of a crashed run);
   * returns the names that were there and are now gone.
   */
  async deleteLinksWithPrefix(namePrefix: string): Promise<string[]> {
    // An empty prefix would delete lo and every real interface.
    if (namePrefix.length < 2) throw new IpError('IP_ERR_ARG', 'refusing a prefix shorter than 2 characters');
    const before = (await this.listLinks(namePrefix)).map((l) => l.name);
    // One by one, not one batch: deleting one end of a veth pair removes the other, and a batch
    // would stop at the now-missing name. Errors are judged by the final listing instead.
    for (const n of before) await this.deleteLink(n).catch(() => undefined);
    const left = new Set((await this.listLinks(namePrefix)).map((l) => l.name));
    if (left.size > 0) throw new IpError('IP_ERR_EXIT', `could not delete ${[...left].join(', ')}`);
    return before;
  }

  /** Sets net.ipv4.conf.<dev>.proxy_arp (RouterOS arp=proxy-arp). */
  async setProxyArp(dev: string, on: boolean): Promise<void> {
    const path = `/proc/sys/net/ipv4/conf/${ifname(dev)}/proxy_arp`;
    const value = on ? '1\n' : '0\n';
    if (this.netns === undefined) {
      try {
        await writeFile(path, value);
      } catch (e) {
        throw new IpError('IP_ERR_EXIT', `cannot write ${path}: ${String(e)}`, [], '', e);
      }
      return;
    }
    // /proc/sys/net shows the namespace of the process that opened it: write from inside the
    // netns (`ip netns exec` also remounts /sys for it). tee, not a shell: no quoting involved.
    await this.spawnIp(['netns', 'exec', this.netns, 'tee', path], value, false);
  }
}

/** The `ip -batch` input for `commands`, one per line. */
function batchScript(commands: readonly IpArgs[]): string {
  // Arguments were validated by ipCommands (no whitespace/newline), so a plain join is exact.
  for (const c of commands) for (const a of c) if (/[\s"'\\#]/.test(a) || a === '') throw new IpError('IP_ERR_ARG', `batch argument ${JSON.stringify(a)} is not plain`);
  return commands.map((c) => c.join(' ')).join('\n') + '\n';
}

export class IpBatch {
  private readonly commands: IpArgs[] = [];
  constructor(private readonly ip: IpRoute2) {}
  add(args: IpArgs): this {
    this.commands.push(args);
    return this;
  }
  get size(): number {
    return this.commands.length;
  }
  run(): Promise<void> {
    return this.ip.runBatch(this.commands);
  }
}
