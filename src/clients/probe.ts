/** One health probe (`/readyz`, `/healthz`) of an API server or load balancer. */
import { errorMessage, HttpError, httpRequest } from './http.js';
import type { TlsMaterial } from './tls.js';

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
): Promise<ProbeResult> {
  try {
    const res = await httpRequest({ url: url.replace(/\/+$/, '') + path, timeoutMs, tls, headers });
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
