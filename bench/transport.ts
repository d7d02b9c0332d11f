/**
 * The etcd poll transport, compared on the bench's own lab: N sequential `maintenance/status`
 * calls to one member through kha-drill's JSON-gateway client (keep-alive HTTPS/1.1) and through
 * the `etcd3` gRPC client (one client pinned to that member, fault policies off, per-call
 * deadline), in alternating rounds. Per call: the client process's CPU (user + system) and the
 * wall time. The raft watcher polls each member with the transport kha-drill ships; this says
 * whether the other one would spend less of the CPU budget or answer faster.
 */
import { noop } from 'cockatiel';
import { Etcd3 } from 'etcd3';
import { EtcdMemberClient } from '../src/clients/etcd.js';
import type { TlsMaterial } from '../src/clients/tls.js';

export type Transport = 'gateway' | 'grpc';

export interface TransportRound {
  transport: Transport;
  calls: number;
  failures: number;
  cpuMsPerCall: number;
  wallMsPerCall: number;
}

export interface TransportComparison {
  endpoint: string;
  calls: number;
  rounds: TransportRound[];
  /** median over rounds, per transport */
  summary: Record<Transport, { cpuMsPerCall: number; wallMsPerCall: number; failures: number }>;
}

type StatusCall = () => Promise<boolean>;

function gatewayCaller(endpoint: string, tls: TlsMaterial): { call: StatusCall; close: () => void } {
  const client = new EtcdMemberClient(endpoint, tls);
  return {
    call: async () => (await client.status({ timeoutMs: 2_000 })).ok,
    close: () => client.close(),
  };
}

function grpcCaller(endpoint: string, tls: TlsMaterial): { call: StatusCall; close: () => void } {
  if (!tls.ca) throw new Error('the gRPC client needs the etcd CA');
  const client = new Etcd3({
    hosts: endpoint,
    credentials: {
      rootCertificate: tls.ca,
      ...(tls.key ? { privateKey: tls.key } : {}),
      ...(tls.cert ? { certChain: tls.cert } : {}),
    },
    faultHandling: { host: () => noop, global: noop },
  });
  return {
    call: async () => {
      try {
        await client.maintenance.status({ deadline: Date.now() + 2_000 });
        return true;
      } catch {
        return false;
      }
    },
    close: () => client.close(),
  };
}

async function round(transport: Transport, call: StatusCall, calls: number): Promise<TransportRound> {
  let failures = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) if (!(await call())) failures++;
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return {
    transport,
    calls,
    failures,
    cpuMsPerCall: (cpu.user + cpu.system) / 1000 / calls,
    wallMsPerCall: wallMs / calls,
  };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export async function compareTransports(
  endpoint: string,
  tls: TlsMaterial,
  options: { calls: number; rounds: number },
): Promise<TransportComparison> {
  const clients = { gateway: gatewayCaller(endpoint, tls), grpc: grpcCaller(endpoint, tls) };
  try {
    // warm both: TLS handshakes, the gRPC channel, JIT
    for (const c of Object.values(clients)) for (let i = 0; i < 50; i++) await c.call();
    const rounds: TransportRound[] = [];
    for (let r = 0; r < options.rounds; r++)
      for (const t of (r % 2 ? ['grpc', 'gateway'] : ['gateway', 'grpc']) as Transport[])
        rounds.push(await round(t, clients[t].call, options.calls));
    const of = (t: Transport) => {
      const mine = rounds.filter((r) => r.transport === t);
      return {
        cpuMsPerCall: median(mine.map((r) => r.cpuMsPerCall)),
        wallMsPerCall: median(mine.map((r) => r.wallMsPerCall)),
        failures: mine.reduce((n, r) => n + r.failures, 0),
      };
    };
    return { endpoint, calls: options.calls, rounds, summary: { gateway: of('gateway'), grpc: of('grpc') } };
  } finally {
    for (const c of Object.values(clients)) c.close();
  }
}

export function transportTable(c: TransportComparison): string {
  const row = (t: Transport, label: string) =>
    `| ${label.padEnd(38)} | ${c.summary[t].cpuMsPerCall.toFixed(3).padStart(11)} | ${c.summary[
      t
    ].wallMsPerCall
      .toFixed(3)
      .padStart(12)} | ${String(c.summary[t].failures).padStart(8)} |`;
  return [
    `etcd poll transport: ${c.calls} sequential maintenance/status calls × ${c.rounds.length / 2} rounds to ${c.endpoint} (median of rounds)`,
    `| ${'transport'.padEnd(38)} | CPU ms/call | wall ms/call | failures |`,
    `| ${'-'.repeat(38)} | ${'-'.repeat(11)} | ${'-'.repeat(12)} | ${'-'.repeat(8)} |`,
    row('gateway', 'JSON gateway, keep-alive HTTPS (ships)'),
    row('grpc', 'etcd3 gRPC client'),
  ].join('\n');
}
