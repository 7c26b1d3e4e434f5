/**
 * Packet captures for system tests: tshark capturing inside a namespace to a pcap file, and two
 * readers: `checkNoMalformed` (frames Wireshark's dissectors flag as malformed or with an
 * expert-info error) and `decodeL2tp` (the L2TP header and key AVPs of each frame, RFC 2661
 * sections 3.1 and 4.4, as Wireshark decodes them: an independent second opinion on our codec).
 *
 * Facts (tshark 4.0.17 here): it prints `Capturing on '<if>'` to stderr once capturing; SIGINT
 * stops it and flushes the file; `-F pcap` writes classic pcap. Expert severity values are
 * numbers (PI_ERROR = 0x00800000); `_ws.expert.severity >= 8388608` selects errors, as does
 * `>= "Error"` on this version, but the number does not depend on value-string spelling.
 * Known real-peer quirk: SoftEther's PAP Authenticate-Ack has no Msg-Length octet (RFC 1334
 * section 2.2.2) and Wireshark flags it malformed (captures/softether-ppp-pap.pcap frame 27).
 *
 * `startCapture` returns only once a canary (an ARP request of our own, to an unused address of
 * the interface's subnet) has been captured: tshark's "Capturing on" line comes about 100 ms
 * before capture is really live. `stop()` sends one more canary and waits for it, so nothing
 * captured is lost in tshark's pipeline. The capture therefore also holds a few ARP requests.
 *
 * Call order: `startCapture()` (returns once capturing), run the exchange, `capture.stop()`,
 * then read the file.
 */
import { join } from 'node:path';
import type { Lab } from './lab.js';
import type { Netns } from './netns.js';
import { run, sleep } from './proc.js';

/** Wireshark's PI_ERROR severity (epan/proto.h). */
export const EXPERT_SEVERITY_ERROR = 0x00800000;
export const MALFORMED_FILTER = `_ws.malformed || _ws.expert.severity >= ${EXPERT_SEVERITY_ERROR}`;

export interface Capture {
  readonly file: string;
  /** Stops tshark (SIGINT, bounded) so the file is complete. */
  stop(): Promise<void>;
}

export interface CaptureOptions {
  /** Capture filter (BPF); default `udp port 1701`. */
  filter?: string;
  /** Output file; default `<temp dir>/capture.pcap`. */
  file?: string;
}

export async function startCapture(lab: Lab, ns: Netns, iface: string, opts: CaptureOptions = {}): Promise<Capture> {
  const file = opts.file ?? join(await lab.tempDir('pcap'), 'capture.pcap');
  const own = await interfaceAddress(ns, iface);
  const filter = opts.filter ?? 'udp port 1701';
  // Our own ARP requests are also captured: they are the canary that proves capture is live.
  const fullFilter = own === undefined ? filter : `(${filter}) or (arp and arp[14:4] = 0x${ipv4ToHex(own.ip)})`;
  // -P -l: also print each packet's summary line to stdout as it is written (canary detection).
  const proc = ns.spawn(['tshark', '-n', '-l', '-P', '-i', iface, '-F', 'pcap', '-w', file, '-f', fullFilter], { name: `tshark@${ns.name}` });
  lab.defer(`tshark pid ${proc.pid}`, async () => {
    await proc.stop('SIGINT', 3_000);
  });
  await proc.waitForLine(/Capturing on/, 15_000);
  let attempt = 0;
  // Sends canaries until tshark reports one: everything captured before it has been processed.
  const sync = async (timeoutMs: number): Promise<boolean> => {
    if (own === undefined) return false;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const canary = canaryAddress(own, attempt++);
      await ns.exec(['bash', '-c', `echo > /dev/udp/${canary}/9`], { check: false, timeoutMs: 5_000 });
      const seen = await proc.waitForLine(new RegExp(`Who has ${canary.replace(/\./g, '\\.')}\\?`), 500).then(
        () => true,
        () => false,
      );
      if (seen) return true;
    }
    return false;
  };
  // "Capturing on" comes some 100 ms before packets are really captured (measured here: packets
  // sent right after it were missing from the file). So provoke an ARP request for an unused
  // address in the interface's subnet, a fresh one each time (a FAILED neighbour entry is not
  // re-resolved at once), until tshark reports it.
  if (own === undefined) await sleep(1_000);
  else if (!(await sync(10_000))) throw new Error(`tshark on ${iface}: capture not live after 10 s\n${proc.output()}`);
  return {
    file,
    stop: async () => {
      if (!proc.isRunning()) return;
      // With -P, tshark (not dumpcap) writes the file and lags behind the wire; packets still in
      // flight when SIGINT arrives were lost in tests. A last canary flushes the pipeline.
      if (own === undefined) await sleep(1_000);
      else await sync(5_000);
      await proc.stop('SIGINT', 5_000);
    },
  };
}

interface IfAddr {
  ip: string;
  prefix: number;
}

async function interfaceAddress(ns: Netns, iface: string): Promise<IfAddr | undefined> {
  const r = await ns.exec(['ip', '-o', '-4', 'addr', 'show', 'dev', iface], { check: false });
  const m = /inet (\d+\.\d+\.\d+\.\d+)\/(\d+)/.exec(r.stdout);
  if (m === null) return undefined;
  const prefix = Number(m[2]);
  if (prefix > 30) return undefined;
  return { ip: m[1] ?? '', prefix };
}

function ipv4ToNumber(ip: string): number {
  return ip.split('.').reduce((n, o) => ((n << 8) | Number(o)) >>> 0, 0);
}

function ipv4ToHex(ip: string): string {
  return ipv4ToNumber(ip).toString(16).padStart(8, '0');
}

/** A host address in the subnet, counting down from the top, skipping our own address. */
function canaryAddress(own: IfAddr, attempt: number): string {
  const size = 2 ** (32 - own.prefix);
  const base = (ipv4ToNumber(own.ip) & ~(size - 1)) >>> 0;
  const ownHost = ipv4ToNumber(own.ip) - base;
  let host = size - 2 - (attempt % (size - 2));
  if (host === ownHost) host = host > 1 ? host - 1 : host + 1;
  const n = (base + host) >>> 0;
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.');
}

export interface Offence {
  frame: number;
  protocols: string;
  messages: string[];
}

export interface ReadOptions {
  /** Extra `-d` decode-as rules, e.g. `udp.port==1702,l2tp` for a non-standard port. */
  decodeAs?: readonly string[];
}

function decodeArgs(opts: ReadOptions): string[] {
  return (opts.decodeAs ?? []).flatMap((d) => ['-d', d]);
}

/** Frames flagged malformed or carrying an expert-info error; empty when the capture is clean. */
export async function checkNoMalformed(pcap: string, opts: ReadOptions = {}): Promise<Offence[]> {
  const r = await run(['tshark', '-n', '-r', pcap, ...decodeArgs(opts), '-Y', MALFORMED_FILTER, '-T', 'fields', '-E', 'separator=/t', '-E', 'aggregator=|', '-e', 'frame.number', '-e', 'frame.protocols', '-e', '_ws.expert.message']);
  return r.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [frame = '0', protocols = '', messages = ''] = l.split('\t');
      return { frame: Number(frame), protocols, messages: messages === '' ? [] : messages.split('|') };
    });
}

/** One L2TP frame as Wireshark decodes it. Absent fields are undefined. */
export interface L2tpFrame {
  frame: number;
  time: number;
  src: string;
  srcPort: number;
  dst: string;
  dstPort: number;
  /** T bit: true for control messages. */
  control: boolean;
  tunnelId: number;
  sessionId: number;
  ns: number | undefined;
  nr: number | undefined;
  /** Message Type AVP value (RFC 2661 section 4.4.1); undefined for ZLB and data messages. */
  msgType: number | undefined;
  /** RFC name of msgType: SCCRQ, SCCRP, ..., or `ZLB` for a control message with no AVPs. */
  msgName: string | undefined;
  avpTypes: number[];
  assignedTunnelId: number | undefined;
  assignedSessionId: number | undefined;
  hostName: string | undefined;
  vendorName: string | undefined;
  resultCode: number | undefined;
  errorCode: number | undefined;
  hidden: boolean;
}

/** Control message types, RFC 2661 section 3.2. */
export const L2TP_MESSAGE_NAMES: Readonly<Record<number, string>> = {
  1: 'SCCRQ',
  2: 'SCCRP',
  3: 'SCCCN',
  4: 'StopCCN',
  6: 'HELLO',
  7: 'OCRQ',
  8: 'OCRP',
  9: 'OCCN',
  10: 'ICRQ',
  11: 'ICRP',
  12: 'ICCN',
  14: 'CDN',
  15: 'WEN',
  16: 'SLI',
};

const FIELDS = [
  'frame.number',
  'frame.time_relative',
  'ip.src',
  'udp.srcport',
  'ip.dst',
  'udp.dstport',
  'l2tp.flags',
  'l2tp.tunnel',
  'l2tp.session',
  'l2tp.Ns',
  'l2tp.Nr',
  'l2tp.avp.message_type',
  'l2tp.avp.type',
  'l2tp.avp.assigned_tunnel_id',
  'l2tp.avp.assigned_session_id',
  'l2tp.avp.host_name',
  'l2tp.avp.vendor_name',
  'l2tp.result_code',
  'l2tp.avp.error_code',
  'l2tp.avp.hidden',
] as const;

/** Decodes every L2TP frame of a capture (outer frames only; L2TP in L2TP is not expected). */
export async function decodeL2tp(pcap: string, opts: ReadOptions = {}): Promise<L2tpFrame[]> {
  const r = await run(['tshark', '-n', '-r', pcap, ...decodeArgs(opts), '-Y', 'l2tp', '-T', 'fields', '-E', 'separator=/t', '-E', 'aggregator=,', '-E', 'occurrence=a', ...FIELDS.flatMap((f) => ['-e', f])]);
  const frames: L2tpFrame[] = [];
  for (const line of r.stdout.split('\n')) {
    if (line.trim() === '') continue;
    const cols = line.split('\t');
    const col = (i: number): string => cols[i] ?? '';
    const first = (i: number): string => col(i).split(',')[0] ?? '';
    const num = (i: number): number | undefined => (first(i) === '' ? undefined : Number(first(i)));
    const str = (i: number): string | undefined => (col(i) === '' ? undefined : col(i));
    // l2tp.flags is the whole first 16-bit word (printed as hex); T is its top bit (RFC 2661
    // section 3.1). (l2tp.type is the masked T bit alone.)
    const flags = num(6) ?? 0;
    const control = (flags & 0x8000) !== 0;
    const msgType = num(11);
    const avpTypes = col(12) === '' ? [] : col(12).split(',').map(Number);
    frames.push({
      frame: num(0) ?? 0,
      time: num(1) ?? 0,
      src: first(2),
      srcPort: num(3) ?? 0,
      dst: first(4),
      dstPort: num(5) ?? 0,
      control,
      tunnelId: num(7) ?? 0,
      sessionId: num(8) ?? 0,
      ns: num(9),
      nr: num(10),
      msgType,
      msgName: msgType !== undefined ? (L2TP_MESSAGE_NAMES[msgType] ?? `type${msgType}`) : control && avpTypes.length === 0 ? 'ZLB' : undefined,
      avpTypes,
      assignedTunnelId: num(13),
      assignedSessionId: num(14),
      hostName: str(15),
      vendorName: str(16),
      resultCode: num(17),
      errorCode: num(18),
      hidden: col(19).split(',').some((v) => v === '1' || v === 'True'),
    });
  }
  return frames;
}
