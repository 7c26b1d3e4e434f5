/**
 * iperf3 and ping measurements between the benchmark namespaces.
 *
 * - TCP goodput: `iperf3 -c <ip> -t <s> -J`, the receiver's bits/s (end.sum_received).
 * - UDP: `iperf3 -c <ip> -u -l 1400 -b <rate> -t <s> -J` (`-b 0` = flood). Received packets/s =
 *   (packets - lost_packets) / seconds, received Mbit/s from end.sum_received, loss from iperf3.
 *   iperf3's stderr (a spurious "UDP block size exceeds TCP MSS" warning) is kept out of the JSON.
 * - Latency: `ping -c <n> -i 0.01`, the median of the per-packet RTTs (not the average: a few
 *   scheduling hiccups on a 2-core machine would dominate it).
 *
 * Each command has a hard time limit (test length + 20 s).
 */
import type { Netns } from './netns.js';

export interface TcpResult {
  mbps: number;
}

export interface UdpResult {
  /** Received goodput, Mbit/s (UDP payload). */
  mbps: number;
  /** Datagrams received per second. */
  pps: number;
  /** Datagrams sent per second (offered load). */
  sentPps: number;
  lossPercent: number;
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : Number.NaN;
}

function obj(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
}

function parseJson(r: { stdout: string; stderr: string; code: number | null }, what: string): Record<string, unknown> {
  const text = r.stdout;
  try {
    const v: unknown = JSON.parse(text);
    const o = obj(v);
    if (typeof o['error'] === 'string') throw new Error(`${what}: iperf3 error: ${o['error']}`);
    return o;
  } catch (err) {
    if (err instanceof SyntaxError) {
      const how = r.code === null ? 'was killed at its time limit' : `exited ${r.code}`;
      throw new Error(`${what}: iperf3 ${how} without JSON (the tunnel may have gone down): ${(text + r.stderr).slice(0, 300)}`);
    }
    throw err;
  }
}

export async function iperfTcp(client: Netns, serverIp: string, seconds: number): Promise<TcpResult> {
  const r = await client.exec(['iperf3', '-c', serverIp, '-t', String(seconds), '-J'], { timeoutMs: (seconds + 20) * 1000, check: false });
  const j = parseJson(r, `TCP to ${serverIp}`);
  const recv = obj(obj(j['end'])['sum_received']);
  return { mbps: num(recv['bits_per_second']) / 1e6 };
}

export async function iperfUdp(client: Netns, serverIp: string, seconds: number, rate: string, length = 1400, window?: string): Promise<UdpResult> {
  const w = window === undefined ? [] : ['-w', window];
  const r = await client.exec(['iperf3', '-c', serverIp, '-u', '-l', String(length), '-b', rate, '-t', String(seconds), ...w, '-J'], {
    timeoutMs: (seconds + 20) * 1000,
    check: false,
  });
  const j = parseJson(r, `UDP ${rate} to ${serverIp}`);
  const end = obj(j['end']);
  const sum = obj(end['sum']);
  const recv = obj(end['sum_received']);
  const packets = num(sum['packets']);
  const lost = num(sum['lost_packets']);
  const secs = num(sum['seconds']) || seconds;
  return {
    mbps: num(recv['bits_per_second']) / 1e6,
    pps: (packets - Math.max(0, lost)) / secs,
    sentPps: packets / secs,
    lossPercent: num(sum['lost_percent']),
  };
}

/** Median RTT in ms of `count` pings at 10 ms intervals; NaN if none answered. */
export async function pingMedian(client: Netns, ip: string, count: number, interval = '0.01'): Promise<number> {
  const r = await client.exec(['ping', '-n', '-c', String(count), '-i', interval, '-W', '1', ip], {
    timeoutMs: Math.ceil(count * (Number(interval) * 1000 + 40)) + 10_000,
    check: false,
  });
  const rtts = [...r.stdout.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]));
  return median(rtts);
}

export function median(xs: readonly number[]): number {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}
