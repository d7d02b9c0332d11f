/** One HTTP(S) request with a deadline and optional client certificates (lab probes only). */
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import net from 'node:net';

export interface ClientTls {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

export function loadClientTls(files: { ca: string; cert: string; key: string }): ClientTls {
  return { ca: readFileSync(files.ca), cert: readFileSync(files.cert), key: readFileSync(files.key) };
}

export interface HttpResult {
  status: number;
  body: string;
}

export function request(
  url: string,
  opts: { method?: string; body?: string; tls?: ClientTls | undefined; timeoutMs?: number } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const mod = u.protocol === 'https:' ? https : http;
    const req = mod.request(
      u,
      {
        method: opts.method ?? 'GET',
        headers: opts.body !== undefined ? { 'content-type': 'application/json' } : {},
        agent: false,
        ...(u.protocol === 'https:' && opts.tls
          ? { ca: opts.tls.ca, cert: opts.tls.cert, key: opts.tls.key }
          : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(opts.timeoutMs ?? 2_000, () =>
      req.destroy(new Error(`timeout after ${opts.timeoutMs ?? 2000} ms`)),
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Resolves true when something accepts TCP connections at host:port. */
export function tcpOpen(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}
