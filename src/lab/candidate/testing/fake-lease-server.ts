import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Lease } from '../../../kube/lease.js';
import { LeaseApiError } from '../lease.js';
import { LeaseStore } from './lease-store.js';

/** How the fake answers: normally, never (requests hang), or with 503 to everything. */
export type FakeServerMode = 'serve' | 'hang' | 'unavailable';

const LEASE_PATH = /^\/apis\/coordination\.k8s\.io\/v1\/namespaces\/([^/]+)\/leases(?:\/([^/]+))?$/;

/**
 * A tiny Lease API over HTTP on loopback (GET/POST/PUT with resourceVersion conflicts and Status
 * bodies), for developing and testing the candidates without etcd or the lab apiserver.
 */
export class FakeLeaseServer {
  readonly store = new LeaseStore();
  mode: FakeServerMode = 'serve';
  /** `METHOD path status` per answered request */
  readonly log: string[] = [];
  private readonly server: http.Server;
  private readonly hanging = new Set<http.ServerResponse>();

  private constructor() {
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 60_000;
  }

  static async start(host = '127.0.0.1', port = 0): Promise<FakeLeaseServer> {
    const fake = new FakeLeaseServer();
    await new Promise<void>((resolve, reject) => {
      fake.server.once('error', reject);
      fake.server.listen(port, host, () => resolve());
    });
    return fake;
  }

  get url(): string {
    const addr = this.server.address() as AddressInfo;
    return `http://${addr.address}:${addr.port}`;
  }

  lease(namespace: string, name: string): Lease | undefined {
    try {
      return this.store.get(namespace, name);
    } catch {
      return undefined;
    }
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (this.mode === 'hang') {
        this.hanging.add(res);
        res.on('close', () => this.hanging.delete(res));
        return;
      }
      if (this.mode === 'unavailable') {
        this.reply(
          req,
          res,
          503,
          status(new LeaseApiError(503, 'ServiceUnavailable', 'the server is unavailable')),
        );
        return;
      }
      const url = new URL(req.url ?? '/', 'http://fake');
      const m = LEASE_PATH.exec(url.pathname);
      try {
        if (!m) throw new LeaseApiError(404, 'NotFound', 'the server could not find the requested resource');
        const namespace = decodeURIComponent(m[1] ?? '');
        const name = m[2] === undefined ? undefined : decodeURIComponent(m[2]);
        const body =
          chunks.length > 0 ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Lease) : undefined;
        if (req.method === 'GET' && name !== undefined) {
          this.reply(req, res, 200, this.store.get(namespace, name));
        } else if (req.method === 'POST' && name === undefined && body) {
          this.reply(req, res, 201, this.store.create(namespace, body));
        } else if (req.method === 'PUT' && name !== undefined && body) {
          this.reply(req, res, 200, this.store.update(namespace, name, body));
        } else {
          throw new LeaseApiError(405, 'MethodNotAllowed', `${req.method ?? ''} is not supported here`);
        }
      } catch (err) {
        const e =
          err instanceof LeaseApiError ? err : new LeaseApiError(400, 'BadRequest', (err as Error).message);
        this.reply(req, res, e.status, status(e));
      }
    });
  }

  private reply(req: http.IncomingMessage, res: http.ServerResponse, code: number, body: unknown): void {
    this.log.push(`${req.method ?? ''} ${req.url ?? ''} ${code}`);
    res.writeHead(code, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  }
}

function status(e: LeaseApiError): unknown {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: e.message,
    reason: e.reason,
    details: { group: 'coordination.k8s.io', kind: 'leases' },
    code: e.status,
  };
}
