/**
 * One HTTP(S) request with a hard deadline: the socket is destroyed when it passes, so a frozen
 * (SIGSTOPped) peer costs exactly the deadline and never a pending promise.
 */
import http from 'node:http';
import https from 'node:https';
import { tlsRequestOptions, type TlsMaterial } from './tls.js';
import { routedKeepAliveAgent, tunnelAgentFor } from './tunnel-routes.js';

export { tlsRequestOptions } from './tls.js';
import { setSafeTimeout } from '../time/timer.js';

export interface HttpRequest {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** whole-request deadline in ms (connect + headers + body) */
  timeoutMs: number;
  tls?: TlsMaterial;
  agent?: http.Agent;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  latencyMs: number;
}

export class HttpError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly latencyMs: number,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/**
 * A keep-alive agent for one endpoint, so 100 ms polls reuse their connection; it goes through
 * the endpoint's SSH tunnel when one is installed for it (tunnel-routes.ts).
 */
export function keepAliveAgent(url: string, tls?: TlsMaterial): http.Agent {
  const secure = url.startsWith('https:');
  return routedKeepAliveAgent(secure, {
    keepAlive: true,
    maxSockets: 16,
    ...(secure ? tlsRequestOptions(tls) : {}),
  });
}

export function httpRequest(req: HttpRequest): Promise<HttpResponse> {
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) * 1000) / 1000;
  return new Promise((resolve, reject) => {
    const url = new URL(req.url);
    const mod = url.protocol === 'https:' ? https : http;
    const options: https.RequestOptions = {
      method: req.method ?? 'GET',
      headers: { ...req.headers },
      ...(url.protocol === 'https:' ? tlsRequestOptions(req.tls) : {}),
    };
    const agent = req.agent ?? tunnelAgentFor(url, req.tls);
    if (agent) options.agent = agent;
    if (req.body !== undefined) {
      options.headers = { 'content-type': 'application/json', ...options.headers };
      (options.headers as Record<string, string>)['content-length'] = String(Buffer.byteLength(req.body));
    }
    let settled = false;
    const fail = (message: string, code: string) => {
      if (settled) return;
      settled = true;
      timer.clear();
      req.signal?.removeEventListener('abort', onAbort);
      r.destroy();
      reject(new HttpError(message, code, elapsed()));
    };
    const onAbort = () => fail('aborted', 'ABORTED');
    const r = mod.request(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (err) => fail(err.message, 'ERESPONSE'));
      res.on('end', () => {
        if (settled) return;
        settled = true;
        timer.clear();
        req.signal?.removeEventListener('abort', onAbort);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          latencyMs: elapsed(),
        });
      });
    });
    const timer = setSafeTimeout(
      () => fail(`no answer within ${req.timeoutMs} ms`, 'ETIMEDOUT'),
      req.timeoutMs,
    );
    r.on('error', (err: NodeJS.ErrnoException) => fail(err.message, err.code ?? 'EREQUEST'));
    if (req.signal) {
      if (req.signal.aborted) return onAbort();
      req.signal.addEventListener('abort', onAbort, { once: true });
    }
    r.end(req.body);
  });
}

export { errorMessage } from '../errors.js';
