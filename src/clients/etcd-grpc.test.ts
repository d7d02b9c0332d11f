import { createRequire } from 'node:module';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { afterEach, describe, expect, it } from 'vitest';
import { EtcdCluster } from './etcd.js';
import { EtcdGrpcMemberClient, grpcConnect, grpcErrorMessage, grpcOptions } from './etcd-grpc.js';

/** etcd's own service definitions, as the etcd3 package ships them (rpc.proto). */
const PROTO = path.join(path.dirname(createRequire(import.meta.url).resolve('etcd3')), '../proto/rpc.proto');

type Handler = (call: { request: Record<string, unknown> }, cb: grpc.sendUnaryData<unknown>) => void;

interface FakeEtcd {
  endpoint: string;
  /** requests seen, by method */
  seen: Record<string, Record<string, unknown>[]>;
}

let server: grpc.Server | null = null;
let frozenServer: NetServer | null = null;
const sockets: Socket[] = [];

afterEach(async () => {
  server?.forceShutdown();
  server = null;
  for (const s of sockets.splice(0)) s.destroy();
  await new Promise((r) => (frozenServer ? frozenServer.close(r) : r(undefined)));
  frozenServer = null;
});

/** A plaintext gRPC server speaking etcd's protocol with canned answers (a real wire format). */
async function fakeEtcd(overrides: Record<string, Handler> = {}): Promise<FakeEtcd> {
  const pkg = grpc.loadPackageDefinition(
    loadSync(PROTO, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true }),
  ) as unknown as { etcdserverpb: Record<string, { service: grpc.ServiceDefinition }> };
  const seen: FakeEtcd['seen'] = {};
  const note = (method: string, request: Record<string, unknown>) => (seen[method] ??= []).push(request);
  const unary =
    (method: string, answer: (req: Record<string, unknown>) => unknown): Handler =>
    (call, cb) => {
      note(method, call.request);
      if (overrides[method]) return overrides[method](call, cb);
      cb(null, answer(call.request));
    };
  const header = { member_id: '16154476887637098329', revision: '42', raft_term: '7' };
  server = new grpc.Server();
  server.addService(pkg.etcdserverpb.Maintenance!.service, {
    status: unary('status', () => ({
      header,
      version: '3.6.16',
      dbSize: '1048576',
      leader: '1138377751135557090',
      raftIndex: '120',
      raftTerm: '7',
      raftAppliedIndex: '119',
      errors: [],
      isLearner: false,
    })),
  });
  server.addService(pkg.etcdserverpb.Cluster!.service, {
    memberList: unary('memberList', () => ({
      header,
      members: [
        {
          ID: '16154476887637098329',
          name: 'm1',
          peerURLs: ['https://10.0.0.1:2380'],
          clientURLs: ['https://10.0.0.1:2379'],
        },
        {
          ID: '1138377751135557090',
          name: '',
          peerURLs: ['https://10.0.0.2:2380'],
          clientURLs: [],
          isLearner: true,
        },
      ],
    })),
  });
  server.addService(pkg.etcdserverpb.KV!.service, {
    put: unary('put', () => ({ header })),
    deleteRange: unary('deleteRange', () => ({ header, deleted: '3' })),
    range: unary('range', () => ({ header, count: '5' })),
  });
  server.addService(pkg.etcdserverpb.Lease!.service, {
    leaseGrant: unary('leaseGrant', (req) => ({ header, ID: '7587862101962423300', TTL: req.TTL })),
    leaseRevoke: unary('leaseRevoke', () => ({ header })),
    leaseKeepAlive: (stream: grpc.ServerDuplexStream<{ ID: string }, unknown>) => {
      stream.on('data', (req: { ID: string }) => {
        note('leaseKeepAlive', req);
        stream.write({ header, ID: req.ID, TTL: req.ID === '1' ? '0' : '15' });
      });
      stream.on('end', () => stream.end());
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server!.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return { endpoint: `http://127.0.0.1:${port}`, seen };
}

describe('EtcdGrpcMemberClient against an etcd-speaking gRPC server', () => {
  it('reads status as the gateway client does (hex ids, decimal strings)', async () => {
    const etcd = await fakeEtcd();
    const client = new EtcdGrpcMemberClient(etcd.endpoint);
    const s = await client.status({ timeoutMs: 2000 });
    client.close();
    expect(s).toMatchObject({
      ok: true,
      endpoint: etcd.endpoint,
      id: 'e0303b23a3ddff59',
      leader: 'fcc548884a495e2',
      term: '7',
      raftIndex: '120',
      raftAppliedIndex: '119',
      version: '3.6.16',
      dbSize: 1048576,
      isLearner: false,
      errors: [],
    });
  });

  it('lists members with peer URLs and learners', async () => {
    const client = new EtcdGrpcMemberClient((await fakeEtcd()).endpoint);
    const list = await client.memberList({ timeoutMs: 2000 });
    client.close();
    expect(list).toEqual([
      {
        id: 'e0303b23a3ddff59',
        name: 'm1',
        peerURLs: ['https://10.0.0.1:2380'],
        clientURLs: ['https://10.0.0.1:2379'],
        isLearner: false,
      },
      {
        id: 'fcc548884a495e2',
        name: '',
        peerURLs: ['https://10.0.0.2:2380'],
        clientURLs: [],
        isLearner: true,
      },
    ]);
  });

  it('grants a lease, puts on it, keeps it alive, counts, deletes by prefix and revokes', async () => {
    const etcd = await fakeEtcd();
    const client = new EtcdGrpcMemberClient(etcd.endpoint);
    const lease = await client.leaseGrant(15, { timeoutMs: 2000 });
    expect(lease).toBe('7587862101962423300');
    const put = await client.put('/kha-drill/probe/r1/0', 'v', { lease, timeoutMs: 2000 });
    expect(put.revision).toBe('42');
    expect(await client.leaseKeepAlive(lease, { timeoutMs: 2000 })).toBe(15);
    expect(await client.leaseKeepAlive('1', { timeoutMs: 2000 })).toBe(0); // expired: TTL 0
    expect(await client.countPrefix('/kha-drill/probe/', { timeoutMs: 2000 })).toBe(5);
    expect(await client.deletePrefix('/kha-drill/probe/r1/', { timeoutMs: 2000 })).toBe(3);
    await client.leaseRevoke(lease, { timeoutMs: 2000 });
    client.close();
    expect(etcd.seen.leaseGrant?.[0]?.TTL).toBe('15');
    const p = etcd.seen.put![0]!;
    expect([String(p.key), String(p.value), p.lease]).toEqual(['/kha-drill/probe/r1/0', 'v', lease]);
    const d = etcd.seen.deleteRange![0]!;
    expect([String(d.key), String(d.range_end)]).toEqual(['/kha-drill/probe/r1/', '/kha-drill/probe/r10']);
    expect(etcd.seen.range![0]!.count_only).toBe(true);
    expect(etcd.seen.leaseRevoke![0]!.ID).toBe(lease);
  });

  it("names etcd's refusal in one line, without grpc's status code", async () => {
    const etcd = await fakeEtcd({
      put: (_call, cb) =>
        cb({ code: grpc.status.PERMISSION_DENIED, details: 'etcdserver: permission denied' }, null),
    });
    const client = new EtcdGrpcMemberClient(etcd.endpoint);
    await expect(client.put('/x', 'v', { timeoutMs: 2000 })).rejects.toMatchObject({
      message: 'etcdserver: permission denied',
      endpoint: etcd.endpoint,
    });
    client.close();
  });

  it('each call reaches this member exactly once (no pool retries): a cluster fails over itself', async () => {
    let refused = 0;
    const etcd = await fakeEtcd({
      put: (_call, cb) => {
        refused++;
        cb({ code: grpc.status.UNAVAILABLE, details: 'etcdserver: leader changed' }, null);
      },
    });
    const ok = await fakeEtcd();
    const cluster = new EtcdCluster(
      [
        { name: 'a', endpoint: etcd.endpoint },
        { name: 'b', endpoint: ok.endpoint },
      ],
      undefined,
      grpcConnect,
    );
    const name = await cluster.withAnyMember(
      async (c, n) => (await c.put('/k', 'v', { timeoutMs: 2000 }), n),
      5000,
    );
    cluster.close();
    expect(name).toBe('b');
    expect(refused).toBe(1);
  });
});

describe('EtcdGrpcMemberClient against a frozen member', () => {
  /** Accepts connections and never answers, like a SIGSTOPped etcd. */
  async function frozen(): Promise<string> {
    frozenServer = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => frozenServer!.listen(0, '127.0.0.1', r));
    const addr = frozenServer.address();
    return `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  }

  it('answers within its deadline with the error, never hangs', async () => {
    const client = new EtcdGrpcMemberClient(await frozen());
    const started = performance.now();
    const s = await client.status({ timeoutMs: 300 });
    const took = performance.now() - started;
    client.close();
    expect(s.ok).toBe(false);
    expect(s.errors[0]).toBe('no answer within 300 ms');
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(2000);
  });

  it('a refused member is an error row', async () => {
    const s = await new EtcdGrpcMemberClient('http://127.0.0.1:1').status({ timeoutMs: 1000 });
    expect(s.ok).toBe(false);
    expect(s.errors[0]).toMatch(/ECONNREFUSED|UNAVAILABLE|no answer/);
  });
});

describe('grpcOptions', () => {
  const ca = Buffer.from('ca');
  const cert = Buffer.from('cert');
  const key = Buffer.from('key');

  it('https: TLS with the CA, client certificate and key; quick reconnects', () => {
    const o = grpcOptions('https://10.0.0.1:2379', { ca, cert, key });
    expect(o.hosts).toBe('https://10.0.0.1:2379');
    expect(o.credentials).toEqual({ rootCertificate: ca, certChain: cert, privateKey: key });
    expect(o.grpcOptions?.['grpc.max_reconnect_backoff_ms']).toBe(1000);
    expect(o.grpcOptions?.['grpc.ssl_target_name_override']).toBeUndefined();
  });

  it('http: plaintext, whatever TLS files are set', () => {
    const o = grpcOptions('http://127.0.0.1:2379', { ca, cert, key });
    expect(o.hosts).toBe('127.0.0.1:2379');
    expect(o.credentials).toBeUndefined();
  });

  it('a TLS server name (a tunnel to 127.0.0.1) is the name verified', () => {
    const o = grpcOptions('https://127.0.0.1:40000', { ca, serverName: 'master-1' });
    expect(o.grpcOptions?.['grpc.ssl_target_name_override']).toBe('master-1');
  });

  it('refuses to skip verification', () => {
    expect(() => grpcOptions('https://10.0.0.1:2379', { insecure: true })).toThrow(/cannot skip TLS/);
  });
});

describe('grpcErrorMessage', () => {
  it.each([
    ['4 DEADLINE_EXCEEDED: Deadline exceeded after 1.001s,LB pick: 0.001s', 1000, 'no answer within 1000 ms'],
    ['7 PERMISSION_DENIED: etcdserver: permission denied', 1000, 'etcdserver: permission denied'],
    [
      '14 UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED',
      1000,
      '14 UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED',
    ],
  ])('%s', (message, timeoutMs, expected) => {
    expect(grpcErrorMessage(new Error(message), timeoutMs)).toBe(expected);
  });
});
