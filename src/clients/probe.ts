/** One health probe (`/readyz`, `/healthz`) of an API server or load balancer. */
import { errorMessage, HttpError, httpRequest, type HttpResponse } from './http.js';
import type { KubeAuthenticator } from './kube-auth.js';
import { KeepAliveHttp } from './keepalive.js';
import type { TlsMaterial } from './tls.js';
import { tunnelRouteFor } from './tunnel-routes.js';

export interface ProbeResult {
  ok: boolean;
  status?: number;
  /** the body when short (e.g. "ok"), else its start */
  body?: string;
  error?: string;
  latencyMs: number;
}

export async function probeHttp(
  url: string,
  path: string,
  timeoutMs: number,
  tls?: TlsMaterial,
  headers: Record<string, string> = {},
  agent?: import('node:http').Agent,
): Promise<ProbeResult> {
  return resultOf(
    httpRequest({
      url: url.replace(/\/+$/, '') + path,
      timeoutMs,
      tls,
      headers,
      ...(agent ? { agent } : {}),
    }),
  );
}

/** A response (or its failure) as a probe's result: 200 is ok, anything else says why not. */
async function resultOf(response: Promise<HttpResponse>): Promise<ProbeResult> {
  try {
    const res = await response;
    const ok = res.status === 200;
    const out: ProbeResult = {
      ok,
      status: res.status,
      body: res.body.slice(0, 200),
      latencyMs: res.latencyMs,
    };
    if (!ok) out.error = `HTTP ${res.status}`;
    return out;
  } catch (err) {
    return { ok: false, error: errorMessage(err), latencyMs: err instanceof HttpError ? err.latencyMs : 0 };
  }
}

/**
 * A probe with the kubeconfig's credential, as the library applies it now. A credential that
 * cannot be had (a failing exec plugin) throws: it is bad input, not an API outage.
 */
export async function probeKube(
  url: string,
  path: string,
  timeoutMs: number,
  auth: KubeAuthenticator,
): Promise<ProbeResult> {
  const a = await auth.current();
  // a tunnelled server is reached over SSH, not through the kubeconfig's proxy-url
  const agent = tunnelRouteFor(url) ? undefined : a.agent;
  const r = await probeHttp(url, path, timeoutMs, a.tls, a.headers, agent);
  if (r.status === 401) auth.invalidate();
  return r;
}

/**
 * `probeKube` for a poll loop: the same probe over one kept-alive connection to `url`, opened
 * again when the credential's TLS material changes. A proxy-url credential goes through the
 * library's proxy agent as before.
 */
export class KubeProbe {
  private http: KeepAliveHttp | null = null;
  private key = '';

  constructor(
    readonly url: string,
    private readonly auth: KubeAuthenticator,
  ) {}

  async probe(path: string, timeoutMs: number): Promise<ProbeResult> {
    const a = await this.auth.current();
    if (a.agent) return probeKube(this.url, path, timeoutMs, this.auth);
    if (!this.http || this.key !== a.key) {
      this.http?.close();
      this.http = new KeepAliveHttp(this.url.replace(/\/+$/, ''), a.tls);
      this.key = a.key;
    }
    const r = await resultOf(this.http.request({ path, timeoutMs, headers: a.headers }));
    if (r.status === 401) this.auth.invalidate();
    return r;
  }

  close(): void {
    this.http?.close();
    this.http = null;
  }
}
