/** One health probe (`/readyz`, `/healthz`) of an API server or load balancer. */
import { errorMessage, HttpError, httpRequest } from './http.js';
import type { KubeAuthenticator } from './kube-auth.js';
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
  try {
    const res = await httpRequest({
      url: url.replace(/\/+$/, '') + path,
      timeoutMs,
      tls,
      headers,
      ...(agent ? { agent } : {}),
    });
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
