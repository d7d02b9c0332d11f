/**
 * A small Kubernetes client for Leases: get, list and watch, aimed at one server URL (a
 * master's API server or the load balancer) with the kubeconfig's credentials. Every call has a
 * deadline; a watch reports when it is open, each event, and how it ended.
 */
import http from 'node:http';
import https from 'node:https';
import { leasePath, type LeaseMetadata, type LeaseSpec } from '../kube/lease.js';
import { KhaError } from '../errors.js';
import { errorMessage, httpRequest, tlsRequestOptions } from './http.js';
import { KeepAliveHttp } from './keepalive.js';
import type { KubeAuthState } from './kube-auth.js';
import { tunnelAgentFor, tunnelRouteFor } from './tunnel-routes.js';
import type { KubeConnection } from './kubeconfig.js';
import { setSafeTimeout } from '../time/timer.js';

/**
 * A Lease as read back: list items carry no kind/apiVersion, a stored object always has a
 * resourceVersion, and nothing here counts on a spec.
 */
export interface Lease {
  metadata: Pick<LeaseMetadata, 'name' | 'uid'> & { namespace?: string; resourceVersion: string };
  spec?: LeaseSpec;
}

export interface LeaseList {
  metadata: { resourceVersion: string };
  items: Lease[];
}

export type WatchEvent =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: Lease }
  | { type: 'BOOKMARK'; object: { metadata: { resourceVersion: string } } }
  | { type: 'ERROR'; object: { code?: number; reason?: string; message?: string } };

export interface WatchOptions {
  resourceVersion?: string;
  fieldSelector?: string;
  allowWatchBookmarks?: boolean;
  /** asks the server to end the watch after this long */
  timeoutSeconds?: number;
  /** deadline for the response headers, ms */
  connectTimeoutMs?: number;
  signal?: AbortSignal;
}

export interface WatchEnd {
  /** closed: the server ended the stream; aborted: our signal; error: the connection broke */
  reason: 'closed' | 'aborted' | 'error';
  error?: string;
}

export class KubeApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly reason?: string,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

function query(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

function apiError(status: number, body: string): KubeApiError {
  try {
    const s = JSON.parse(body) as { message?: string; reason?: string };
    return new KubeApiError(s.message ?? `HTTP ${status}`, status, s.reason);
  } catch {
    return new KubeApiError(`HTTP ${status}: ${body.slice(0, 200)}`, status);
  }
}

/**
 * A 401 or 403 as the one-line bad-input error that names the kubeconfig user and what to check;
 * any other error as it is.
 */
export function kubeAccessError(err: unknown, conn: KubeConnection, server: string, what: string): unknown {
  if (!(err instanceof KubeApiError) || (err.status !== 401 && err.status !== 403)) return err;
  if (err.status === 401)
    return new KhaError(
      'E_KUBE_AUTH',
      `the API server ${server} refused the credential of ${conn.auth.describe} (401 Unauthorized) reading ${what}`,
      {
        hint: 'check that the token, token file, exec plugin output or client certificate is valid for this cluster and not expired',
      },
    );
  return new KhaError(
    'E_KUBE_AUTH',
    `the API server ${server} forbids ${conn.auth.describe} to read ${what} (403: ${err.message})`,
    { hint: 'grant get, list and watch on Leases in kube-system (examples/rbac-lease-reader.yaml)' },
  );
}

export class KubeClient {
  readonly conn: KubeConnection;
  private http: KeepAliveHttp | undefined;
  private httpKey = '';

  constructor(conn: KubeConnection) {
    this.conn = conn;
  }

  /**
   * The kept-alive connection for the credential's TLS material (opened again when it changes);
   * none with a proxy-url credential, whose requests go through the library's proxy agent.
   */
  private httpFor(auth: KubeAuthState): KeepAliveHttp | null {
    // a tunnelled server is reached over SSH, not through the kubeconfig's proxy-url
    if (auth.agent && !tunnelRouteFor(this.conn.server)) return null;
    if (!this.http || this.httpKey !== auth.key) {
      this.http?.close();
      this.http = new KeepAliveHttp(this.conn.server, auth.tls);
      this.httpKey = auth.key;
    }
    return this.http;
  }

  get server(): string {
    return this.conn.server;
  }

  /** The same credentials aimed at another server (a master's API server, the load balancer). */
  forServer(url: string): KubeClient {
    return new KubeClient({ ...this.conn, server: url.replace(/\/+$/, '') });
  }

  async getJson(path: string, timeoutMs = 5000): Promise<unknown> {
    const auth = await this.conn.auth.current();
    const headers = { accept: 'application/json', ...auth.headers };
    const http = this.httpFor(auth);
    const res = http
      ? await http.request({ path, headers, timeoutMs })
      : await httpRequest({
          url: this.conn.server + path,
          headers,
          timeoutMs,
          tls: auth.tls,
          ...(auth.agent ? { agent: auth.agent } : {}),
        });
    if (res.status === 401) this.conn.auth.invalidate();
    if (res.status !== 200) throw apiError(res.status, res.body);
    return JSON.parse(res.body);
  }

  /** The Lease, or null when it does not exist. */
  async getLease(namespace: string, name: string, timeoutMs = 5000): Promise<Lease | null> {
    try {
      return (await this.getJson(leasePath(namespace, name), timeoutMs)) as Lease;
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return null;
      throw err;
    }
  }

  /** Leases of a namespace (all namespaces when omitted). */
  async listLeases(
    namespace?: string,
    options: { fieldSelector?: string; timeoutMs?: number } = {},
  ): Promise<LeaseList> {
    const path = leasePath(namespace) + query({ fieldSelector: options.fieldSelector });
    const list = (await this.getJson(path, options.timeoutMs)) as LeaseList;
    return { metadata: { resourceVersion: list.metadata?.resourceVersion ?? '' }, items: list.items ?? [] };
  }

  /**
   * Watches Leases. Resolves when the stream ends (never rejects after it opened); rejects
   * with KubeApiError on a non-200 answer (410 Gone included) and with Error on no answer.
   * `onOpen` runs when the server accepted the watch.
   */
  async watchLeases(
    namespace: string,
    options: WatchOptions,
    onEvent: (event: WatchEvent) => void,
    onOpen?: () => void,
  ): Promise<WatchEnd> {
    const auth = await this.conn.auth.current();
    const path =
      leasePath(namespace) +
      query({
        watch: 1,
        resourceVersion: options.resourceVersion,
        fieldSelector: options.fieldSelector,
        allowWatchBookmarks: options.allowWatchBookmarks,
        timeoutSeconds: options.timeoutSeconds,
      });
    const url = new URL(this.conn.server + path);
    const mod = url.protocol === 'https:' ? https : http;
    const agent = tunnelAgentFor(url, auth.tls) ?? auth.agent;
    return new Promise<WatchEnd>((resolve, reject) => {
      let opened = false;
      let settled = false;
      const finish = (end: WatchEnd | Error) => {
        if (settled) return;
        settled = true;
        connectTimer.clear();
        options.signal?.removeEventListener('abort', onAbort);
        req.destroy();
        if (end instanceof Error) reject(end);
        else resolve(end);
      };
      const onAbort = () => finish(opened ? { reason: 'aborted' } : new Error('aborted'));
      const req = mod.request(
        url,
        {
          headers: { accept: 'application/json', ...auth.headers },
          ...(url.protocol === 'https:' ? tlsRequestOptions(auth.tls) : {}),
          ...(agent ? { agent } : {}),
        },
        (res) => {
          if (res.statusCode === 401) this.conn.auth.invalidate();
          if (res.statusCode !== 200) {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () =>
              finish(apiError(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'))),
            );
            res.on('error', (err) => finish(err));
            return;
          }
          opened = true;
          connectTimer.clear();
          onOpen?.();
          let buffer = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            buffer += chunk;
            let nl: number;
            while ((nl = buffer.indexOf('\n')) >= 0) {
              const line = buffer.slice(0, nl).trim();
              buffer = buffer.slice(nl + 1);
              if (!line) continue;
              try {
                onEvent(JSON.parse(line) as WatchEvent);
              } catch (err) {
                finish({ reason: 'error', error: `bad watch line: ${errorMessage(err)}` });
                return;
              }
            }
          });
          res.on('end', () => finish({ reason: 'closed' }));
          res.on('error', (err) => finish({ reason: 'error', error: err.message }));
          res.on('close', () => finish({ reason: 'error', error: 'connection closed' }));
        },
      );
      const connectTimer = setSafeTimeout(
        () => finish(new Error(`no answer within ${options.connectTimeoutMs ?? 5000} ms`)),
        options.connectTimeoutMs ?? 5000,
      );
      req.on('error', (err) => finish(opened ? { reason: 'error', error: err.message } : err));
      if (options.signal) {
        if (options.signal.aborted) return onAbort();
        options.signal.addEventListener('abort', onAbort, { once: true });
      }
      req.end();
    });
  }

  close(): void {
    this.http?.close();
  }
}

/**
 * Gets, lists and watches each Lease once through `server` (the watch is closed as soon as the
 * server accepts it), so that a refused credential (401) or a missing right (403) stops a command
 * at once with one line (E_KUBE_AUTH), and a credential that cannot be had at all with the
 * KubeconfigError; other failures are left to the caller's checks.
 */
export async function checkLeaseAccess(
  conn: KubeConnection,
  server: string,
  refs: readonly string[],
  timeoutMs = 5000,
): Promise<void> {
  const client = new KubeClient({ ...conn, server: server.replace(/\/+$/, '') });
  try {
    for (const ref of refs) {
      const [ns = '', name = ''] = ref.split('/');
      try {
        const fieldSelector = `metadata.name=${name}`;
        await client.getLease(ns, name, timeoutMs);
        const list = await client.listLeases(ns, { fieldSelector, timeoutMs });
        const opened = new AbortController();
        await client.watchLeases(
          ns,
          {
            fieldSelector,
            resourceVersion: list.metadata.resourceVersion,
            timeoutSeconds: 5,
            connectTimeoutMs: timeoutMs,
            signal: opened.signal,
          },
          () => undefined,
          () => opened.abort(),
        );
      } catch (err) {
        const mapped = kubeAccessError(err, conn, client.server, `Lease ${ref}`);
        if (mapped instanceof KhaError) throw mapped;
      }
    }
  } finally {
    client.close();
  }
}
