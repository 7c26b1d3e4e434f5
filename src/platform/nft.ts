/**
 * `/ip firewall address-list` in the kernel: one nftables set per list in table `inet l2tp`,
 * written through the `nft` command (`nft -f -`, one transaction per update).
 *
 * Why `nft` and not netlink from the addon: same reasoning as netlink-or-ip.ts. Lists change a
 * few times per session (up, down, a script, a console command); one `nft -f -` process per
 * change is cheap, and nft's own transaction makes each update atomic (a set is flushed and
 * refilled in the same commit, so rules matching it never see it half-empty).
 *
 * Sets are `type ipv4_addr; flags interval; auto-merge;`: addresses, prefixes and `a-b` ranges
 * (what RouterOS accepts) all fit, and overlapping entries (a static /16 and a session's /32)
 * merge instead of failing the transaction. Rules that use the lists live in the same table
 * (nftables sets are per table), e.g. `nft add rule inet l2tp ... ip saddr @vpn accept`.
 *
 * Invariants:
 * - No shell; the script is built by pure functions (`addressListScript`, unit-tested) from
 *   validated names and canonical addresses only: nothing else reaches nft.
 * - A list name nft cannot take as an identifier is mapped by `nftSetName` (invalid characters
 *   become `_`, a leading non-letter gets `l_`); sets are flushed, never deleted, so rules that
 *   reference an emptied list stay valid.
 * - `nft` missing (ENOENT): one warning, then the lists stay in the model only.
 *
 * Call order: `new AddressListSync(opts)`, then `apply(sets)` with the router's wanted state,
 * serialised by the caller (the daemon's command chain). The first apply also flushes sets left
 * in the table by an earlier run that no longer exist in the configuration.
 */
import { spawn } from 'node:child_process';

export const NFT_FAMILY = 'inet';
export const NFT_TABLE = 'l2tp';

export type NftErrorCode = 'NFT_ERR_MISSING' | 'NFT_ERR_SPAWN' | 'NFT_ERR_EXIT' | 'NFT_ERR_TIMEOUT';

export class NftError extends Error {
  readonly code: NftErrorCode;
  readonly stderr: string;
  constructor(code: NftErrorCode, message: string, stderr = '') {
    super(message);
    this.name = 'NftError';
    this.code = code;
    this.stderr = stderr;
  }
}

const IDENT = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
/** What the set elements may look like: canonical ip-range values (config/values.ts). */
const ELEMENT = /^\d{1,3}(\.\d{1,3}){3}(\/\d{1,2}|-\d{1,3}(\.\d{1,3}){3})?$/;

/** The nftables set name of a RouterOS list name. */
export function nftSetName(list: string): string {
  if (IDENT.test(list)) return list;
  let name = list.replace(/[^A-Za-z0-9_.-]/g, '_');
  if (!/^[A-Za-z]/.test(name)) name = `l_${name}`;
  return name.slice(0, 64);
}

/**
 * The `nft -f` script that makes the sets hold exactly `sets` (list -> addresses), creating the
 * table and sets when missing; `alsoFlush` are further set names to empty.
 */
export function addressListScript(sets: Readonly<Record<string, readonly string[]>>, alsoFlush: readonly string[] = []): string {
  const t = `${NFT_FAMILY} ${NFT_TABLE}`;
  const lines = [`add table ${t}`];
  const names = new Set<string>();
  for (const [list, addresses] of Object.entries(sets)) {
    const name = nftSetName(list);
    names.add(name);
    lines.push(`add set ${t} ${name} { type ipv4_addr; flags interval; auto-merge; }`);
    lines.push(`flush set ${t} ${name}`);
    const elements = addresses.filter((a) => ELEMENT.test(a));
    if (elements.length > 0) lines.push(`add element ${t} ${name} { ${elements.join(', ')} }`);
  }
  for (const name of alsoFlush) if (!names.has(name) && IDENT.test(name)) lines.push(`flush set ${t} ${name}`);
  return `${lines.join('\n')}\n`;
}

/** The set names in `nft list table` output. */
export function setNamesOf(listing: string): string[] {
  return [...listing.matchAll(/^\s*set (\S+) \{/gm)].map((m) => m[1] ?? '').filter((n) => n !== '');
}

export interface NftOptions {
  /** Path of the `nft` binary; default `nft` from PATH. */
  readonly nftPath?: string;
  /** Per-process timeout; default 10 s. */
  readonly timeoutMs?: number;
  /** Where warnings go (missing binary, a failed update). */
  readonly warn: (message: string) => void;
}

/** Runs `nft` with `args`, feeding `stdin`; resolves with stdout. */
export function runNft(args: readonly string[], stdin: string | undefined, opts: { nftPath?: string; timeoutMs?: number } = {}): Promise<string> {
  const bin = opts.nftPath ?? 'nft';
  return new Promise((resolve, reject) => {
    let child;
    try {
      child = spawn(bin, [...args], { stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    } catch (e) {
      reject(new NftError('NFT_ERR_SPAWN', `cannot run ${bin}: ${String(e)}`));
      return;
    }
    const proc = child;
    // Our own timer (see netlink-or-ip.ts: spawn's `timeout` outlives a failed spawn on Node 20).
    const timer = setTimeout(() => proc.kill('SIGKILL'), opts.timeoutMs ?? 10_000);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new NftError(e.code === 'ENOENT' ? 'NFT_ERR_MISSING' : 'NFT_ERR_SPAWN', `cannot run ${bin}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString('utf8').trim();
      if (signal !== null) reject(new NftError('NFT_ERR_TIMEOUT', `nft ${args.join(' ')}: killed by ${signal}`, stderr));
      else if (code !== 0) reject(new NftError('NFT_ERR_EXIT', `nft ${args.join(' ')}: exit ${String(code)}: ${stderr}`, stderr));
      else resolve(Buffer.concat(out).toString('utf8'));
    });
    if (stdin !== undefined && child.stdin !== null) {
      child.stdin.on('error', () => {});
      child.stdin.end(stdin);
    }
  });
}

/** Keeps the kernel sets equal to the router's wanted address lists. */
export class AddressListSync {
  private unavailable = false;
  private first = true;

  constructor(private readonly opts: NftOptions) {}

  /** True once `nft` was found missing: the lists then live in the model only. */
  get disabled(): boolean {
    return this.unavailable;
  }

  /**
   * Makes the kernel sets equal to `sets`. The first call (the router sends one at start, empty
   * when no list exists) also empties the sets an earlier run left behind (a crashed daemon's
   * dynamic entries). With no lists and nothing left behind it changes nothing: no table is
   * created, and a missing `nft` is only reported once lists exist.
   */
  async apply(sets: Readonly<Record<string, readonly string[]>>): Promise<void> {
    if (this.unavailable) return;
    const none = Object.keys(sets).length === 0;
    let stale: string[] = [];
    if (this.first) {
      // Sets of an earlier run: the table may not exist yet, which is fine.
      let missing: NftError | undefined;
      stale = await runNft(['list', 'table', NFT_FAMILY, NFT_TABLE], undefined, this.opts).then(setNamesOf, (e: unknown) => {
        if (e instanceof NftError && e.code === 'NFT_ERR_MISSING') missing = e;
        return [];
      });
      if (missing) {
        if (!none) this.missing(missing);
        return;
      }
      this.first = false;
    }
    if (none && stale.length === 0) return;
    try {
      await runNft(['-f', '-'], addressListScript(sets, stale), this.opts);
    } catch (e) {
      if (e instanceof NftError && e.code === 'NFT_ERR_MISSING') return this.missing(e);
      // One transaction failed (e.g. a list named like an nft keyword): retry list by list so
      // the others still reach the kernel, and name the ones that did not.
      for (const [list, addresses] of Object.entries(sets)) {
        await runNft(['-f', '-'], addressListScript({ [list]: addresses }), this.opts).catch((err: unknown) =>
          this.opts.warn(`address-list ${list}: nft set ${nftSetName(list)} not updated: ${err instanceof NftError ? err.stderr || err.message : String(err)}`),
        );
      }
    }
  }

  private missing(e: NftError): void {
    this.unavailable = true;
    this.opts.warn(`${e.message}; /ip firewall address-list is kept in the configuration only (install nftables for kernel sets)`);
  }
}
