/**
 * Routed requests on loopback: the URL names 127.0.0.2 (or localhost) on a port nothing listens
 * on, the server listens on 127.0.0.1 only, and the route dials it with a plain stream (as an SSH
 * channel is). What is checked: the request arrives, with the original Host and SNI, and the
 * certificate is judged against the original address, not the one dialled.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { httpRequest, keepAliveAgent } from './http.js';
import { KeepAliveHttp } from './keepalive.js';
import { installTunnelRoutes, tunnelRouteFor, type TunnelRoute } from './tunnel-routes.js';

const dir = mkdtempSync(join(tmpdir(), 'kha-tunnel-routes-'));
function cert(name: string, san: string): { cert: Buffer; key: Buffer } {
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.crt`),
    '-subj', `/CN=${name}`, '-days', '1', '-addext', `subjectAltName=${san}`,
  ], { stdio: 'ignore' }); // prettier-ignore
  return { cert: readFileSync(join(dir, `${name}.crt`)), key: readFileSync(join(dir, `${name}.key`)) };
}

interface Seen {
  host?: string;
  servername?: string | false | null;
}
const servers: (http.Server | https.Server)[] = [];
async function listen(server: http.Server | https.Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}
function handler(seen: Seen) {
  return (req: http.IncomingMessage, res: http.ServerResponse) => {
    seen.host = req.headers.host;
    seen.servername = (req.socket as TLSSocket).servername;
    res.end('ok');
  };
}

/** A route to 127.0.0.1:port whose streams are not net.Sockets (like ssh2's channels). */
function loopbackRoute(port: number, dialled: string[]): TunnelRoute {
  return {
    via: 'test route',
    dial: (host, p) => {
      dialled.push(`${host}:${p}`);
      return new Promise((resolve, reject) => {
        const s = connect(port, '127.0.0.1');
        s.once('connect', () => resolve(Duplex.from({ readable: s, writable: s })));
        s.once('error', reject);
      });
    },
  };
}

let ip: { cert: Buffer; key: Buffer };
let name: { cert: Buffer; key: Buffer };
let wrong: { cert: Buffer; key: Buffer };
let uninstall: (() => void) | undefined;
beforeAll(() => {
  ip = cert('ip', 'IP:127.0.0.2');
  name = cert('name', 'DNS:localhost');
  wrong = cert('wrong', 'IP:127.0.0.1');
});
afterEach(() => {
  uninstall?.();
  uninstall = undefined;
});
afterAll(() => {
  for (const s of servers) s.close();
});

describe('tunnel routes', () => {
  it('a request without an agent goes through the route; Host and the certificate check use the URL’s address', async () => {
    const seen: Seen = {};
    const port = await listen(https.createServer(ip, handler(seen)));
    const dialled: string[] = [];
    uninstall = installTunnelRoutes(new Map([['127.0.0.2:1', loopbackRoute(port, dialled)]]));
    const res = await httpRequest({
      url: 'https://127.0.0.2:1/health',
      timeoutMs: 5000,
      tls: { ca: ip.cert },
    });
    expect([res.status, res.body]).toEqual([200, 'ok']);
    expect(dialled).toEqual(['127.0.0.2:1']);
    expect(seen.host).toBe('127.0.0.2:1');
    // no SNI for an address (RFC 6066)
    expect(seen.servername).toBe(false);
  });

  it('a keep-alive agent made before the routes were installed uses them, and reuses its channel', async () => {
    const seen: Seen = {};
    const port = await listen(https.createServer(ip, handler(seen)));
    const agent = keepAliveAgent('https://127.0.0.2:2', { ca: ip.cert });
    const dialled: string[] = [];
    uninstall = installTunnelRoutes(new Map([['127.0.0.2:2', loopbackRoute(port, dialled)]]));
    for (let i = 0; i < 3; i++) {
      const res = await httpRequest({ url: 'https://127.0.0.2:2/x', timeoutMs: 5000, agent });
      expect(res.status).toBe(200);
    }
    expect(dialled).toEqual(['127.0.0.2:2']);
    agent.destroy();
  });

  it('sends the host name as SNI and checks the certificate against it', async () => {
    const seen: Seen = {};
    const port = await listen(https.createServer(name, handler(seen)));
    uninstall = installTunnelRoutes(new Map([['localhost:3', loopbackRoute(port, [])]]));
    const res = await httpRequest({ url: 'https://localhost:3/', timeoutMs: 5000, tls: { ca: name.cert } });
    expect(res.status).toBe(200);
    expect(seen.servername).toBe('localhost');
  });

  it('refuses a certificate valid only for the address dialled (127.0.0.1), not the URL’s', async () => {
    const port = await listen(https.createServer(wrong, handler({})));
    uninstall = installTunnelRoutes(new Map([['127.0.0.2:4', loopbackRoute(port, [])]]));
    await expect(
      httpRequest({ url: 'https://127.0.0.2:4/', timeoutMs: 5000, tls: { ca: wrong.cert } }),
    ).rejects.toThrow(/127\.0\.0\.2 is not in the cert's list/);
  });

  it('a route that cannot dial fails the request with its own error', async () => {
    const route: TunnelRoute = {
      via: 'test route',
      dial: () => Promise.reject(new Error('tunnel over SSH to m1 could not open 127.0.0.2:5: refused')),
    };
    uninstall = installTunnelRoutes(new Map([['127.0.0.2:5', route]]));
    await expect(httpRequest({ url: 'https://127.0.0.2:5/', timeoutMs: 5000 })).rejects.toThrow(
      'tunnel over SSH to m1 could not open 127.0.0.2:5: refused',
    );
  });

  it('plain http through a route, with a keep-alive agent', async () => {
    const seen: Seen = {};
    const port = await listen(http.createServer(handler(seen)));
    const agent = keepAliveAgent('http://127.0.0.2:6');
    const dialled: string[] = [];
    uninstall = installTunnelRoutes(new Map([['127.0.0.2:6', loopbackRoute(port, dialled)]]));
    for (let i = 0; i < 2; i++) {
      const res = await httpRequest({ url: 'http://127.0.0.2:6/', timeoutMs: 5000, agent });
      expect(res.body).toBe('ok');
    }
    expect(seen.host).toBe('127.0.0.2:6');
    expect(dialled.length).toBe(1);
    agent.destroy();
  });

  it('routes last only until uninstalled; the newest set wins', () => {
    const a: TunnelRoute = { via: 'a', dial: () => Promise.reject(new Error('a')) };
    const b: TunnelRoute = { via: 'b', dial: () => Promise.reject(new Error('b')) };
    const offA = installTunnelRoutes(new Map([['10.0.0.1:2379', a]]));
    const offB = installTunnelRoutes(new Map([['10.0.0.1:2379', b]]));
    expect(tunnelRouteFor('https://10.0.0.1:2379/v3/kv/put')?.via).toBe('b');
    offB();
    expect(tunnelRouteFor('https://10.0.0.1:2379')?.via).toBe('a');
    offA();
    expect(tunnelRouteFor('https://10.0.0.1:2379')).toBeUndefined();
  });
});

describe('tunnel routes for the pollers’ kept-alive client (KeepAliveHttp)', () => {
  it('opens one channel through the route and keeps it; Host is the URL’s and the certificate is judged against its address', async () => {
    const seen: Seen = {};
    const port = await listen(https.createServer(ip, handler(seen)));
    const client = new KeepAliveHttp('https://127.0.0.2:7', { ca: ip.cert });
    const dialled: string[] = [];
    uninstall = installTunnelRoutes(new Map([['127.0.0.2:7', loopbackRoute(port, dialled)]]));
    for (let i = 0; i < 3; i++) {
      const res = await client.request({ path: '/readyz', timeoutMs: 5000 });
      expect([res.status, res.body]).toEqual([200, 'ok']);
    }
    expect(dialled).toEqual(['127.0.0.2:7']);
    expect(client.sockets).toBe(1);
    expect(seen.host).toBe('127.0.0.2:7');
    client.close();
  });

  it('refuses a certificate valid only for the address dialled', async () => {
    const port = await listen(https.createServer(wrong, handler({})));
    uninstall = installTunnelRoutes(new Map([['127.0.0.2:8', loopbackRoute(port, [])]]));
    const client = new KeepAliveHttp('https://127.0.0.2:8', { ca: wrong.cert });
    await expect(client.request({ path: '/', timeoutMs: 5000 })).rejects.toThrow(
      /127\.0\.0\.2 is not in the cert's list/,
    );
    client.close();
  });

  it('a route that cannot dial fails the request with the route’s error, and a later request dials again', async () => {
    let tries = 0;
    const route: TunnelRoute = {
      via: 'test route',
      dial: () => {
        tries++;
        return Promise.reject(new Error('channel to 127.0.0.2:9 over the SSH connection to m1: refused'));
      },
    };
    uninstall = installTunnelRoutes(new Map([['127.0.0.2:9', route]]));
    const client = new KeepAliveHttp('https://127.0.0.2:9');
    for (let i = 0; i < 2; i++)
      await expect(client.request({ path: '/', timeoutMs: 5000 })).rejects.toThrow(
        'channel to 127.0.0.2:9 over the SSH connection to m1: refused',
      );
    expect(tries).toBe(2);
  });

  it('the deadline holds while the channel is opening', async () => {
    const route: TunnelRoute = { via: 'test route', dial: () => new Promise(() => undefined) };
    uninstall = installTunnelRoutes(new Map([['127.0.0.2:10', route]]));
    const client = new KeepAliveHttp('https://127.0.0.2:10');
    await expect(client.request({ path: '/', timeoutMs: 200 })).rejects.toThrow('no answer within 200 ms');
  });

  it('plain http over a route', async () => {
    const seen: Seen = {};
    const port = await listen(http.createServer(handler(seen)));
    const dialled: string[] = [];
    uninstall = installTunnelRoutes(new Map([['127.0.0.2:11', loopbackRoute(port, dialled)]]));
    const client = new KeepAliveHttp('http://127.0.0.2:11');
    for (let i = 0; i < 2; i++)
      expect((await client.request({ path: '/', timeoutMs: 5000 })).body).toBe('ok');
    expect(dialled.length).toBe(1);
    client.close();
  });
});
