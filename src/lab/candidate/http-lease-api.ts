import http from 'node:http';
import https from 'node:https';
import { leasePath, type Lease } from '../../kube/lease.js';
import { LeaseApiError, type LeaseApi, type RequestOptions } from './lease.js';

export interface HttpLeaseApiOptions {
  /** `http://host:port` or `https://host:port` */
  server: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  userAgent?: string;
}

interface StatusBody {
  kind?: unknown;
  reason?: unknown;
  message?: unknown;
}

/** The Lease API over node http/https, one timeout per request, no client library. */
export class HttpLeaseApi implements LeaseApi {
  private readonly base: URL;
  private readonly agent: http.Agent;
  private readonly userAgent: string;

  constructor(private readonly options: HttpLeaseApiOptions) {
    this.base = new URL(options.server);
    if (this.base.protocol !== 'http:' && this.base.protocol !== 'https:') {
      throw new Error(`--server must be an http:// or https:// URL, got ${options.server}`);
    }
    const agentOptions = { keepAlive: true, maxSockets: 4 };
    this.agent =
      this.base.protocol === 'https:'
        ? new https.Agent({ ...agentOptions, ca: options.ca, cert: options.cert, key: options.key })
        : new http.Agent(agentOptions);
    this.userAgent = options.userAgent ?? 'kha-lab-candidate/leader-election';
  }

  get(namespace: string, name: string, opts: RequestOptions): Promise<Lease> {
    return this.request('GET', leasePath(namespace, name), undefined, opts);
  }

  create(namespace: string, lease: Lease, opts: RequestOptions): Promise<Lease> {
    return this.request('POST', leasePath(namespace), lease, opts);
  }

  update(namespace: string, name: string, lease: Lease, opts: RequestOptions): Promise<Lease> {
    return this.request('PUT', leasePath(namespace, name), lease, opts);
  }

  close(): void {
    this.agent.destroy();
  }

  private request(
    method: string,
    path: string,
    body: Lease | undefined,
    opts: RequestOptions,
  ): Promise<Lease> {
    const url = new URL(path, this.base);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const requester = url.protocol === 'https:' ? https.request : http.request;
    return new Promise<Lease>((resolve, reject) => {
      let settled = false;
      const finish = (err: LeaseApiError | undefined, lease?: Lease): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(lease as Lease);
      };
      const req = requester(url, {
        method,
        agent: this.agent,
        headers: {
          Accept: 'application/json',
          'User-Agent': this.userAgent,
          ...(payload === undefined
            ? {}
            : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) }),
        },
      });
      const timer = setTimeout(() => {
        finish(
          new LeaseApiError(0, 'Timeout', `${method} ${url.pathname}: no answer within ${opts.timeoutMs}ms`),
        );
        req.destroy();
      }, opts.timeoutMs);
      const onAbort = (): void => {
        finish(new LeaseApiError(0, 'Canceled', `${method} ${url.pathname}: canceled`));
        req.destroy();
      };
      if (opts.signal?.aborted) {
        onAbort();
        return;
      }
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', (e: Error) =>
        finish(new LeaseApiError(0, 'Transport', `${method} ${url.pathname}: ${e.message}`)),
      );
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e: Error) =>
          finish(new LeaseApiError(0, 'Transport', `${method} ${url.pathname}: ${e.message}`)),
        );
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          let json: unknown;
          try {
            json = text.length > 0 ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          if (status >= 200 && status < 300 && isLease(json)) {
            finish(undefined, json);
            return;
          }
          const st = (typeof json === 'object' && json !== null ? json : {}) as StatusBody;
          const reason = typeof st.reason === 'string' ? st.reason : `HTTP${status}`;
          const message =
            typeof st.message === 'string' ? st.message : text.slice(0, 200) || `HTTP ${status} without body`;
          finish(
            new LeaseApiError(status, reason, `${method} ${url.pathname}: ${status} ${reason}: ${message}`),
          );
        });
      });
      req.end(payload);
    });
  }
}

function isLease(v: unknown): v is Lease {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as { metadata?: unknown; spec?: unknown };
  return (
    typeof o.metadata === 'object' &&
    o.metadata !== null &&
    (o.spec === undefined || typeof o.spec === 'object')
  );
}
