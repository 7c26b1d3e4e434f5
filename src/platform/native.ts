/**
 * Loader and typed surface of the project's N-API addon `l2tp_native` (sources in native/).
 *
 * Node cannot issue ioctl(2), so TUNSETIFF, SIOCSIFMTU and SIOCSIFFLAGS live in a small plain-C
 * addon, together with batched non-blocking read()/write() (one system call per packet, no
 * allocation per packet) and a libuv `uv_poll_t` readiness watcher. Only src/platform uses it;
 * src/platform/tun.ts is the friendly wrapper.
 *
 * Invariants:
 * - Loaded lazily, once, with `createRequire` (ESM cannot `import` a .node file). Works from both
 *   src/platform (tsx) and dist/src/platform (compiled): the addon path is found by walking up to
 *   the directory that holds native/binding.gyp. `L2TP_NATIVE_ADDON` overrides the path.
 * - A missing or stale build fails with `NativeAddonError` code `NATIVE_ERR_NOT_BUILT` /
 *   `NATIVE_ERR_ABI`, telling the operator to run `npm run build:native`.
 * - Errors thrown by the addon's system calls look like Node's ErrnoException: `code` is the errno
 *   name (`EPERM`, `EBUSY`, ...), `errno` is negative, `syscall` names the call.
 *
 * Call order: `loadNative()` (cheap after the first call), then the functions below; see
 * native/tun.c and native/fdpoll.c for each function's exact contract.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The ABI version this TypeScript expects; native/addon.c exports the one it was built with. */
export const NATIVE_ABI_VERSION = 2;

/** Opaque handle returned by `poll`. */
export type PollHandle = { readonly __brand: 'l2tp.PollHandle' };

export interface NativeAddon {
  readonly abiVersion: number;
  /** Opens /dev/net/tun and attaches it to interface `name` ("" or "name%d" lets the kernel pick). */
  /** vnetHdr: IFF_VNET_HDR, a 10-octet virtio_net_hdr before every packet read and written. */
  tunOpen(name: string, flags: { tap?: boolean; multiQueue?: boolean; vnetHdr?: boolean }): { fd: number; name: string };
  setMtu(ifname: string, mtu: number): void;
  setUp(ifname: string, up: boolean): void;
  /** Reads up to maxPackets packets into slots of slotSize bytes; returns how many were read. */
  readBatch(fd: number, slab: Uint8Array, slotSize: number, maxPackets: number, lengths: Uint32Array): number;
  /**
   * Writes packets slab[offsets[i], +lengths[i]) one write() each; returns how many were consumed.
   * `errors` (length >= 2): [0] += packets the kernel refused, [1] = last errno.
   */
  writeBatch(
    fd: number,
    slab: Uint8Array,
    offsets: Uint32Array,
    lengths: Uint32Array,
    count: number,
    errors?: Uint32Array,
    family?: 4 | 6,
  ): number;
  close(fd: number): void;
  /**
   * Opens a non-blocking UDP socket bound to `address`:`port` (native/udp.c). Buffers use
   * SO_*BUFFORCE when permitted, else the sysctl-capped SO_*BUF.
   */
  udpOpen(address: string, port: number, opts: { reuseAddr?: boolean; recvBuffer?: number; sendBuffer?: number }): { fd: number; address: string; port: number; family: 4 | 6 };
  /** recvmmsg: datagram i at slab[i * slotSize], lengths[i], sender as a 20-byte record in peers. */
  /** drops[0]: the socket's kernel receive-drop counter (SO_RXQ_OVFL), once it is non-zero. */
  udpRecvBatch(fd: number, slab: Uint8Array, slotSize: number, maxPackets: number, lengths: Uint32Array, peers: Uint8Array, drops?: Uint32Array): number;
  /**
   * sendmmsg: datagram i = slab[offsets[i], +lengths[i]) to the 20-byte record peers[i * 20].
   * Returns how many were consumed; `errors`: [0] += refused datagrams, [1] = last errno.
   * `family`: the socket's (udpOpen's), which spares a getsockname per call.
   */
  udpSendBatch(
    fd: number,
    slab: Uint8Array,
    offsets: Uint32Array,
    lengths: Uint32Array,
    peers: Uint8Array,
    count: number,
    errors?: Uint32Array,
    family?: 4 | 6,
  ): number;
  /** Calls `callback(status)` on the main loop whenever `fd` is readable (level-triggered). */
  poll(fd: number, callback: (status: number) => void): PollHandle;
  stopPoll(handle: PollHandle): void;
  pollRef(handle: PollHandle, ref: boolean): void;
}

export type NativeAddonErrorCode = 'NATIVE_ERR_NOT_BUILT' | 'NATIVE_ERR_ABI';

export class NativeAddonError extends Error {
  readonly code: NativeAddonErrorCode;
  override readonly cause: unknown;
  constructor(code: NativeAddonErrorCode, message: string, cause?: unknown) {
    super(message);
    this.name = 'NativeAddonError';
    this.code = code;
    this.cause = cause;
  }
}

/** Shape of errors thrown by the addon's system calls. */
export interface NativeSysError extends Error {
  code: string;
  errno?: number;
  syscall?: string;
}

export function isNativeSysError(e: unknown): e is NativeSysError {
  return e instanceof Error && typeof (e as { code?: unknown }).code === 'string';
}

const ADDON_RELATIVE = join('native', 'build', 'Release', 'l2tp_native.node');

/** Finds the repository root (the directory holding native/binding.gyp) above this module. */
function findAddonPath(): string | undefined {
  const override = process.env['L2TP_NATIVE_ADDON'];
  if (override !== undefined && override !== '') return resolve(override);
  let dir = dirname(fileURLToPath(import.meta.url));
  // src/platform -> repo is 2 levels up; dist/src/platform -> 3. Bounded walk either way.
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'native', 'binding.gyp'))) return join(dir, ADDON_RELATIVE);
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return undefined;
}

let cached: NativeAddon | undefined;

/** Loads the addon once; throws NativeAddonError with a fix-it message if it is not built. */
export function loadNative(): NativeAddon {
  if (cached !== undefined) return cached;
  const path = findAddonPath();
  const hint = 'native addon not built: run npm run build:native';
  if (path === undefined || !existsSync(path)) {
    throw new NativeAddonError('NATIVE_ERR_NOT_BUILT', `${hint} (looked for ${path ?? ADDON_RELATIVE})`);
  }
  let mod: NativeAddon;
  try {
    mod = createRequire(import.meta.url)(path) as NativeAddon;
  } catch (e) {
    throw new NativeAddonError('NATIVE_ERR_NOT_BUILT', `${hint} (loading ${path} failed: ${String(e)})`, e);
  }
  if (mod.abiVersion !== NATIVE_ABI_VERSION) {
    throw new NativeAddonError(
      'NATIVE_ERR_ABI',
      `native addon at ${path} has ABI ${String(mod.abiVersion)}, expected ${NATIVE_ABI_VERSION}: run npm run build:native`,
    );
  }
  cached = mod;
  return mod;
}

/** True when the addon can be loaded (for tests that skip without it). */
export function nativeAvailable(): boolean {
  try {
    loadNative();
    return true;
  } catch {
    return false;
  }
}
