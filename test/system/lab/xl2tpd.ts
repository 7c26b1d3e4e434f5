/**
 * xl2tpd 1.3.18 as a real L2TP peer (LNS or LAC) inside a test's namespace, with a generated
 * configuration in a temp dir. See /work/shared/LAB.md for what it does on this machine.
 *
 * Facts this module relies on:
 * - `xl2tpd -D -c conf -p pidfile -C controlfile -s secrets` stays in the foreground and logs to
 *   stderr; it is ready when it prints `Listening on IP address <ip>, port <port>`.
 * - There is no /dev/ppp here: after ICCN, pppd exits at once and xl2tpd then sends a CDN
 *   (result 1) while keeping the tunnel. That is expected; `pppoptfile` points at a harmless
 *   options file so pppd never reads the host's /etc/ppp/options.
 * - Tunnel authentication (RFC 2661 section 5.1.1) uses the secrets file line `* * <secret>`.
 * - As LAC, `autodial = yes` dials at start; otherwise write `c <lacname>` to the control FIFO.
 *   On SIGTERM it sends no StopCCN (the peer's tunnel goes stale; fine for xl2tpd, not for
 *   SoftEther, see softether.ts).
 *
 * Call order: `startXl2tpd(lab, ns, opts)` (returns once listening), `dial()` for a LAC,
 * `waitForLog()` for assertions, `stop()` (also done by the lab's cleanup).
 */
import { writeFile, open } from 'node:fs/promises';
import { constants } from 'node:fs';
import { join } from 'node:path';
import type { Lab } from './lab.js';
import type { Netns } from './netns.js';
import type { ExitStatus, ProcessHandle } from './proc.js';

export interface Xl2tpdOptions {
  role: 'lns' | 'lac';
  /** Address xl2tpd binds (inside the namespace). */
  listenAddr: string;
  /** UDP port; default 1701 (RFC 2661 section 8.1). */
  port?: number;
  /** Tunnel secret (secrets file `* * <secret>`); enables tunnel authentication. */
  secret?: string;
  /** `challenge = yes`: require tunnel authentication. Default: yes when a secret is given. */
  challenge?: boolean;
  /** `hidden bit = yes`: hide AVPs (RFC 2661 section 4.3). Default no. */
  hiddenBit?: boolean;
  /** For a LAC: the LNS address to dial. */
  lnsAddr?: string;
  /** For a LAC: the section name (`[lac <name>]`); default `lab`. */
  lacName?: string;
  /** For a LAC: dial at start. Default false (call `dial()`). */
  autodial?: boolean;
  /** LNS `ip range`, e.g. `10.200.50.10-10.200.50.20`. */
  ipRange?: string;
  /** LNS `local ip`. */
  localIp?: string;
  /** Host Name AVP it sends; default `xl2tpd-lab`. */
  hostname?: string;
  /** Extra lines appended to the `[lns default]` / `[lac name]` section. */
  extra?: readonly string[];
}

export interface Xl2tpd {
  readonly process: ProcessHandle;
  readonly dir: string;
  readonly configFile: string;
  readonly controlFile: string;
  readonly options: Xl2tpdOptions;
  /** Log lines so far (stdout and stderr). */
  logLines(): string[];
  /** Resolves with the first log line matching `re` (past or future). */
  waitForLog(re: RegExp, timeoutMs?: number): Promise<string>;
  /** LAC: asks xl2tpd to dial (`c <lacname>` on the control FIFO). */
  dial(): Promise<void>;
  /** LAC: hangs up (`d <lacname>`). */
  hangup(): Promise<void>;
  /** Writes one raw control command to the FIFO. */
  control(command: string): Promise<void>;
  stop(timeoutMs?: number): Promise<ExitStatus>;
}

/** Renders xl2tpd.conf for the options (exported for tests of the harness). */
export function xl2tpdConfig(opts: Xl2tpdOptions, files: { secrets: string; pppOptions: string }): string {
  const yn = (b: boolean): string => (b ? 'yes' : 'no');
  const challenge = opts.challenge ?? opts.secret !== undefined;
  const lines = ['[global]', `listen-addr = ${opts.listenAddr}`, `port = ${opts.port ?? 1701}`, `auth file = ${files.secrets}`, 'access control = no', ''];
  const common = [
    `hostname = ${opts.hostname ?? 'xl2tpd-lab'}`,
    `challenge = ${yn(challenge)}`,
    `hidden bit = ${yn(opts.hiddenBit ?? false)}`,
    'length bit = yes',
    `pppoptfile = ${files.pppOptions}`,
  ];
  if (opts.role === 'lns') {
    lines.push('[lns default]');
    lines.push(`ip range = ${opts.ipRange ?? '10.200.250.10-10.200.250.20'}`);
    lines.push(`local ip = ${opts.localIp ?? '10.200.250.1'}`);
    lines.push(...common);
  } else {
    if (opts.lnsAddr === undefined) throw new Error('xl2tpd: a LAC needs lnsAddr');
    lines.push(`[lac ${opts.lacName ?? 'lab'}]`);
    lines.push(`lns = ${opts.lnsAddr}`);
    lines.push(`autodial = ${yn(opts.autodial ?? false)}`);
    lines.push('redial = no');
    lines.push(...common);
  }
  lines.push(...(opts.extra ?? []), '');
  return lines.join('\n');
}

export async function startXl2tpd(lab: Lab, ns: Netns, opts: Xl2tpdOptions): Promise<Xl2tpd> {
  const dir = await lab.tempDir('xl2tpd');
  const configFile = join(dir, 'xl2tpd.conf');
  const secrets = join(dir, 'l2tp-secrets');
  const pppOptions = join(dir, 'ppp-options');
  const pidFile = join(dir, 'xl2tpd.pid');
  const controlFile = join(dir, 'l2tp-control');
  await writeFile(secrets, opts.secret !== undefined ? `* * ${opts.secret}\n` : '', { mode: 0o600 });
  // pppd cannot run here (no /dev/ppp); keep it from reading the host's option files anyway.
  await writeFile(pppOptions, 'noauth\nnodefaultroute\nnodetach\n');
  await writeFile(configFile, xl2tpdConfig(opts, { secrets, pppOptions }));
  const proc = ns.spawn(['xl2tpd', '-D', '-c', configFile, '-p', pidFile, '-C', controlFile, '-s', secrets], { name: `xl2tpd-${opts.role}@${ns.name}` });
  lab.defer(`xl2tpd pid ${proc.pid}`, async () => {
    await proc.stop('SIGTERM', 3_000);
  });
  await proc.waitForLine(/Listening on IP address/, 10_000);
  const lacName = opts.lacName ?? 'lab';

  const control = async (command: string): Promise<void> => {
    // O_NONBLOCK: fail fast (ENXIO) instead of hanging if xl2tpd is not reading its FIFO.
    const fh = await open(controlFile, constants.O_WRONLY | constants.O_NONBLOCK);
    try {
      await fh.write(command + '\n');
    } finally {
      await fh.close();
    }
  };

  return {
    process: proc,
    dir,
    configFile,
    controlFile,
    options: opts,
    logLines: () => proc.lines.map((l) => l.line),
    waitForLog: (re, timeoutMs = 10_000) => proc.waitForLine(re, timeoutMs),
    dial: () => control(`c ${lacName}`),
    hangup: () => control(`d ${lacName}`),
    control,
    stop: (timeoutMs = 3_000) => proc.stop('SIGTERM', timeoutMs),
  };
}
