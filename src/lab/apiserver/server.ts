/** The HTTP(S) front: routing, request logging, bodies, content negotiation and graceful close. */
import http from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { LEASE_API_VERSION, type Lease } from '../../kube/lease.js';
import { Compactor } from './compactor.js';
import {
  NAMESPACES,
  apiGroup,
  apiGroupList,
  apiVersions,
  coordinationResources,
  coreResources,
  namespaceObject,
  versionInfo,
} from './discovery.js';
import type { EtcdClient } from './etcd.js';
import { EtcdReadiness, renderHealth } from './health.js';
import { openApiV3CoordinationV1, openApiV3Root } from './openapi.js';
import { patchTypeOf } from './patch.js';
import { SelectorError, parseFieldSelector, parseLabelSelector } from './selectors.js';
import {
  type Status,
  StatusError,
  badRequest,
  deleted,
  failure,
  methodNotAllowed,
  pathNotFound,
  unauthorized,
  unsupportedMediaType,
} from './status.js';
import { LeaseStore } from './store.js';
import {
  LEASE_COLUMNS,
  NAMESPACE_COLUMNS,
  type TableRequest,
  leaseRow,
  namespaceRow,
  negotiateTable,
  parseIncludeObject,
  table,
} from './table.js';
import { type ActiveWatch, defaultWatchTimeoutMs, serveWatch } from './watch.js';

export interface ApiServerOptions {
  name: string;
  host: string;
  port: number;
  etcd: EtcdClient;
  tls?: { cert: Buffer; key: Buffer; clientCa?: Buffer };
  compactIntervalMs: number;
  bookmarkIntervalMs: number;
  /** Default watch timeout when the client sends no timeoutSeconds; undefined = upstream's 30–60 min. */
  watchTimeoutMs?: number;
  log: (line: string) => void;
}

const MAX_BODY = 3 * 1024 * 1024;
/** Reachable without a client certificate, as system:public-info-viewer allows upstream. */
const PUBLIC_PATHS = /^\/(healthz|livez|readyz|version)(\/.*)?$/;
const LEASES = '/apis/coordination.k8s.io/v1';

class Reply {
  constructor(
    readonly code: number,
    readonly body: unknown,
    readonly contentType = 'application/json',
  ) {}
}

function statusReply(s: Status): Reply {
  return new Reply(s.code, s);
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(
          new StatusError(
            failure(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728'),
          ),
        );
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function readJson(req: http.IncomingMessage, what = 'Lease'): Promise<unknown> {
  const text = await readBody(req);
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new StatusError(
      badRequest(`${what} in version "v1" cannot be handled as a ${what}: ${(e as Error).message}`),
    );
  }
}

function withoutKind(lease: Lease): Omit<Lease, 'kind' | 'apiVersion'> {
  // Items of a typed list carry no kind/apiVersion, as kube-apiserver's JSON shows.
  const { kind: _k, apiVersion: _a, ...rest } = lease;
  return rest;
}

export class LabApiServer {
  readonly server: http.Server;
  private readonly store: LeaseStore;
  private readonly readiness: EtcdReadiness;
  private readonly compactor: Compactor;
  private readonly watches = new Set<ActiveWatch>();
  private readonly started = Date.now();
  private shuttingDown = false;

  constructor(private readonly o: ApiServerOptions) {
    this.store = new LeaseStore(o.etcd);
    this.readiness = new EtcdReadiness(o.etcd);
    this.compactor = new Compactor(o.etcd, o.compactIntervalMs, (l) => this.lifecycle(l));
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => void this.handle(req, res);
    this.server = o.tls
      ? https.createServer(
          {
            cert: o.tls.cert,
            key: o.tls.key,
            ca: o.tls.clientCa,
            // Like kube-apiserver: ask for a client certificate, refuse unauthenticated API calls per request.
            requestCert: o.tls.clientCa !== undefined,
            rejectUnauthorized: false,
          },
          handler,
        )
      : http.createServer(handler);
    this.server.keepAliveTimeout = 65_000;
  }

  lifecycle(message: string): void {
    this.o.log(`${new Date().toISOString()} ${this.o.name} ${message}`);
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.o.port, this.o.host, () => {
        this.server.off('error', reject);
        this.compactor.start();
        this.lifecycle(`listening on ${this.o.tls ? 'https' : 'http'}://${this.o.host}:${this.o.port}`);
        resolve();
      });
    });
  }

  /** Stop accepting, end every watch, drop idle connections; resolves when the listener is closed. */
  close(): Promise<void> {
    this.shuttingDown = true;
    this.compactor.stop();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      for (const w of [...this.watches]) w.stop();
      this.server.closeIdleConnections();
      setTimeout(() => this.server.closeAllConnections(), 300).unref();
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const t0 = performance.now();
    const url = new URL(req.url ?? '/', 'http://lab');
    const method = req.method ?? 'GET';
    let logged = false;
    const log = (code: number, note = ''): void => {
      if (logged) return;
      logged = true;
      const ms = (performance.now() - t0).toFixed(1);
      this.lifecycle(`${method} ${url.pathname}${url.search} ${code} ${ms}ms${note}`);
    };
    try {
      if (this.o.tls?.clientCa && !PUBLIC_PATHS.test(url.pathname)) {
        const sock = req.socket as TLSSocket;
        if (!sock.authorized) {
          this.send(res, statusReply(unauthorized()));
          log(401);
          return;
        }
      }
      const reply = await this.route(req, res, url, method, () =>
        this.lifecycle(`${method} ${url.pathname}${url.search} 200 watch started`),
      );
      if (reply) this.send(res, reply);
      log(reply ? reply.code : 200, reply ? '' : ' watch ended');
    } catch (e) {
      const reply =
        e instanceof StatusError
          ? statusReply(e.status)
          : e instanceof SelectorError
            ? statusReply(badRequest(e.message))
            : statusReply(failure(500, 'InternalError', `Internal error occurred: ${(e as Error).message}`));
      if (!res.headersSent) this.send(res, reply);
      else res.end();
      log(reply.code);
    }
  }

  private send(res: http.ServerResponse, r: Reply): void {
    const body = typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
    res.writeHead(r.code, {
      'Content-Type': r.contentType,
      'Cache-Control': 'no-cache, private',
      'Content-Length': Buffer.byteLength(body),
      ...(r.contentType.startsWith('text/plain') ? { 'X-Content-Type-Options': 'nosniff' } : {}),
    });
    res.end(body);
  }

  /** Returns the reply, or undefined when the handler streamed its own response (watch). */
  private async route(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
    method: string,
    onWatchStart: () => void,
  ): Promise<Reply | undefined> {
    let path = url.pathname.replace(/\/+$/, '') || '/';
    const q = url.searchParams;
    const get = method === 'GET' || method === 'HEAD';

    const health = /^\/(healthz|livez|readyz)$/.exec(path);
    if (health) return this.health(health[1]!, q);
    if (path === '/version') return get ? new Reply(200, versionInfo()) : statusReply(methodNotAllowed());
    if (path === '/openapi/v3') return new Reply(200, openApiV3Root());
    if (path === '/openapi/v3/apis/coordination.k8s.io/v1') return new Reply(200, openApiV3CoordinationV1());
    if (path === '/api') return new Reply(200, apiVersions(`${this.o.host}:${this.o.port}`));
    if (path === '/api/v1') return new Reply(200, coreResources());
    if (path === '/apis') return new Reply(200, apiGroupList());
    if (path === '/apis/coordination.k8s.io') return new Reply(200, apiGroup());
    if (path === LEASES) return new Reply(200, coordinationResources());
    if (path === '/api/v1/namespaces' || path.startsWith('/api/v1/namespaces/')) {
      return this.namespaces(path, method, req);
    }

    // Legacy watch paths: /apis/coordination.k8s.io/v1/watch/namespaces/{ns}/leases[/{name}].
    let forceWatch = false;
    if (path.startsWith(`${LEASES}/watch/`)) {
      path = LEASES + path.slice(`${LEASES}/watch`.length);
      forceWatch = true;
    }
    const m = /^\/apis\/coordination\.k8s\.io\/v1(?:\/namespaces\/([^/]+))?\/leases(?:\/([^/]+))?$/.exec(
      path,
    );
    if (!m) return statusReply(pathNotFound());
    const ns = m[1] ? decodeURIComponent(m[1]) : undefined;
    const name = m[2] ? decodeURIComponent(m[2]) : undefined;
    if (name && !ns) return statusReply(pathNotFound());
    const tableReq = negotiateTable(req.headers.accept);
    const watch = forceWatch || q.get('watch') === '1' || q.get('watch') === 'true';

    if (get && (watch || !name)) {
      const fields = parseFieldSelector(q.get('fieldSelector'));
      if (name) fields.push({ field: 'metadata.name', op: '=', value: name });
      const labels = parseLabelSelector(q.get('labelSelector'));
      if (watch) {
        const rv = q.get('resourceVersion') ?? '';
        if (rv !== '' && !/^\d+$/.test(rv)) {
          return statusReply(
            badRequest(
              `invalid resource version: strconv.ParseUint: parsing ${JSON.stringify(rv)}: invalid syntax`,
            ),
          );
        }
        const timeoutSeconds = Number(q.get('timeoutSeconds') ?? '');
        onWatchStart();
        await serveWatch(
          this.o.etcd,
          res,
          {
            namespace: ns,
            fields,
            labels,
            resourceVersion: rv,
            allowBookmarks: q.get('allowWatchBookmarks') === 'true' || q.get('allowWatchBookmarks') === '1',
            timeoutMs:
              Number.isFinite(timeoutSeconds) && timeoutSeconds > 0
                ? timeoutSeconds * 1000
                : (this.o.watchTimeoutMs ?? defaultWatchTimeoutMs()),
            bookmarkIntervalMs: this.o.bookmarkIntervalMs,
            table: tableReq,
            includeObject: parseIncludeObject(q.get('includeObject')),
          },
          this.watches,
        );
        return undefined;
      }
      const list = await this.store.list(ns, fields, labels);
      if (tableReq) return this.leaseTable(tableReq, list.items, list.resourceVersion, q);
      return new Reply(200, {
        kind: 'LeaseList',
        apiVersion: LEASE_API_VERSION,
        metadata: { resourceVersion: list.resourceVersion },
        items: list.items.map(withoutKind),
      });
    }
    if (!ns) return statusReply(methodNotAllowed());

    if (!name) {
      if (method !== 'POST') return statusReply(methodNotAllowed());
      const lease = await this.store.create(ns, await readJson(req));
      return new Reply(201, lease);
    }
    switch (method) {
      case 'GET':
      case 'HEAD': {
        const lease = await this.store.get(ns, name);
        return tableReq
          ? this.leaseTable(tableReq, [lease], lease.metadata.resourceVersion, q)
          : new Reply(200, lease);
      }
      case 'PUT': {
        const r = await this.store.update(ns, name, await readJson(req));
        return new Reply(r.created ? 201 : 200, r.lease);
      }
      case 'PATCH': {
        const type = patchTypeOf(req.headers['content-type']);
        if (!type) return statusReply(unsupportedMediaType(req.headers['content-type'] ?? ''));
        const body = await readJson(req);
        return new Reply(200, await this.store.patch(ns, name, type, body ?? {}));
      }
      case 'DELETE': {
        const body = (await readJson(req, 'DeleteOptions')) as
          { preconditions?: { resourceVersion?: string; uid?: string } } | undefined;
        const old = await this.store.delete(ns, name, body?.preconditions ?? {});
        return new Reply(200, deleted(name, old.metadata.uid));
      }
      default:
        return statusReply(methodNotAllowed());
    }
  }

  private leaseTable(t: TableRequest, items: Lease[], rv: string | undefined, q: URLSearchParams): Reply {
    const now = Date.now();
    const include = parseIncludeObject(q.get('includeObject'));
    const rows = items.map((l) => leaseRow(l, now, include, t.apiVersion));
    return new Reply(200, table(t.apiVersion, LEASE_COLUMNS, rows, rv), t.contentType);
  }

  private namespaces(path: string, method: string, req: http.IncomingMessage): Reply {
    if (method !== 'GET' && method !== 'HEAD') return statusReply(methodNotAllowed());
    const t = negotiateTable(req.headers.accept);
    const now = Date.now();
    const include = parseIncludeObject(
      new URL(req.url ?? '/', 'http://lab').searchParams.get('includeObject'),
    );
    if (path === '/api/v1/namespaces') {
      if (t) {
        const rows = NAMESPACES.map((n) =>
          namespaceRow(namespaceObject(n, this.started), now, include, t.apiVersion),
        );
        return new Reply(200, table(t.apiVersion, NAMESPACE_COLUMNS, rows, '1'), t.contentType);
      }
      return new Reply(200, {
        kind: 'NamespaceList',
        apiVersion: 'v1',
        metadata: { resourceVersion: '1' },
        items: NAMESPACES.map((n) => namespaceObject(n, this.started, false)),
      });
    }
    const m = /^\/api\/v1\/namespaces\/([^/]+)$/.exec(path);
    if (!m) return statusReply(pathNotFound());
    const name = decodeURIComponent(m[1]!);
    if (!NAMESPACES.includes(name)) {
      return statusReply(
        failure(404, 'NotFound', `namespaces "${name}" not found`, { name, kind: 'namespaces' }),
      );
    }
    const ns = namespaceObject(name, this.started);
    if (t) {
      return new Reply(
        200,
        table(t.apiVersion, NAMESPACE_COLUMNS, [namespaceRow(ns, now, include, t.apiVersion)], '1'),
        t.contentType,
      );
    }
    return new Reply(200, ns);
  }

  private async health(endpoint: string, q: URLSearchParams): Promise<Reply> {
    const verbose = q.has('verbose');
    const exclude = q.getAll('exclude');
    const checks = [
      { name: 'ping', ok: true },
      { name: 'log', ok: true },
    ];
    if (endpoint === 'readyz') {
      const etcd = exclude.includes('etcd') ? { ok: true } : await this.readiness.check();
      checks.push({ name: 'etcd', ok: etcd.ok }, { name: 'shutdown', ok: !this.shuttingDown });
    }
    const r = renderHealth(endpoint, checks, verbose, exclude);
    return new Reply(r.code, r.body, 'text/plain; charset=utf-8');
  }
}
