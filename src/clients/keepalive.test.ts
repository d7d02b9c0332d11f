import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpError } from './http.js';
import { KeepAliveHttp, parseChunked, parseHead } from './keepalive.js';

describe('parseHead', () => {
  const head = (s: string, method = 'GET') => parseHead(Buffer.from(s, 'latin1'), method);

  it.each([
    ['HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok', 200, { kind: 'length', length: 2 }, true],
    ['HTTP/1.1 500 x\r\nTransfer-Encoding: chunked\r\n\r\n', 500, { kind: 'chunked' }, true],
    [
      'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
      200,
      { kind: 'length', length: 0 },
      false,
    ],
    ['HTTP/1.1 200 OK\r\n\r\nuntil the end', 200, { kind: 'close' }, false],
    ['HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx', 200, { kind: 'length', length: 1 }, false],
    ['HTTP/1.1 204 No Content\r\n\r\n', 204, { kind: 'length', length: 0 }, true],
  ])('%j', (text, status, framing, keepAlive) => {
    expect(head(text)).toMatchObject({ status, framing, keepAlive });
  });

  it('waits for the whole head', () => expect(head('HTTP/1.1 200 OK\r\nContent-Le')).toBeNull());

  it('joins repeated headers and lower-cases names', () =>
    expect(head('HTTP/1.1 200 OK\r\nX-A: 1\r\nx-a: 2\r\nContent-Length: 0\r\n\r\n')?.headers).toEqual({
      'x-a': '1, 2',
      'content-length': '0',
    }));

  it.each([
    ['SSH-2.0-OpenSSH_9.2\r\n\r\n', /not an HTTP/],
    ['HTTP/1.1 200 OK\r\nno colon\r\n\r\n', /malformed response header/],
    ['HTTP/1.1 200 OK\r\nContent-Length: -3\r\n\r\n', /bad content-length/],
  ])('refuses %j', (text, error) => expect(() => head(text)).toThrow(error));
});

describe('parseChunked', () => {
  it('decodes chunks with extensions and trailers', () => {
    const b = Buffer.from('xx4;ext=1\r\nWiki\r\n5\r\npedia\r\n0\r\nTrailer: t\r\n\r\nNEXT');
    const r = parseChunked(b, 2);
    expect(r?.body.toString()).toBe('Wikipedia');
    expect(b.subarray(r!.end).toString()).toBe('NEXT');
  });

  it('waits for the last chunk', () => {
    expect(parseChunked(Buffer.from('4\r\nWiki\r\n'), 0)).toBeNull();
    expect(parseChunked(Buffer.from('4\r\nWi'), 0)).toBeNull();
    expect(parseChunked(Buffer.from('0\r\n'), 0)).toBeNull();
  });
});

describe('KeepAliveHttp against a real HTTP server', () => {
  let http: HttpServer | null = null;
  let raw: Server | null = null;
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    http?.closeAllConnections();
    await Promise.all(
      [http, raw].map((s) => new Promise((r) => (s ? s.close(() => r(undefined)) : r(undefined)))),
    );
    http = raw = null;
  });

  const portOf = (s: Server | HttpServer) => {
    const a = s.address();
    return typeof a === 'object' && a ? a.port : 0;
  };

  /** Node's own server: Content-Length answers, chunked answers (res.write without a length), POST echo. */
  async function server(): Promise<{ url: string; connections: () => number }> {
    let connections = 0;
    http = createHttpServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (req.url === '/chunked') {
          res.write('{"a":');
          setTimeout(() => res.end('1}'), 5);
        } else if (req.url === '/close') {
          res.setHeader('connection', 'close');
          res.end('bye');
        } else if (req.url === '/echo') {
          res.setHeader('content-type', 'application/json');
          res.end(
            JSON.stringify({
              method: req.method,
              body,
              auth: req.headers.authorization ?? null,
              host: req.headers.host,
            }),
          );
        } else {
          res.statusCode = req.url === '/missing' ? 404 : 200;
          res.end(req.url === '/missing' ? 'not found' : 'ok');
        }
      });
    });
    http.on('connection', () => connections++);
    await new Promise<void>((r) => http!.listen(0, '127.0.0.1', r));
    return { url: `http://127.0.0.1:${portOf(http)}`, connections: () => connections };
  }

  it('sends every request of a poll loop over one connection, and reads both framings', async () => {
    const s = await server();
    const c = new KeepAliveHttp(s.url);
    for (let i = 0; i < 20; i++) {
      const r = await c.request({ path: '/readyz', timeoutMs: 2000 });
      expect(r).toMatchObject({ status: 200, body: 'ok' });
      expect(r.latencyMs).toBeGreaterThan(0);
    }
    expect((await c.request({ path: '/chunked', timeoutMs: 2000 })).body).toBe('{"a":1}');
    expect(await c.request({ path: '/missing', timeoutMs: 2000 })).toMatchObject({
      status: 404,
      body: 'not found',
    });
    expect(s.connections()).toBe(1);
    c.close();
  });

  it('posts a body with its length and headers, and the Host the server expects', async () => {
    const s = await server();
    const c = new KeepAliveHttp(s.url);
    const r = await c.request({
      path: '/echo',
      method: 'POST',
      body: '{"k":"é"}',
      headers: { authorization: 'Bearer t' },
      timeoutMs: 2000,
    });
    expect(JSON.parse(r.body)).toEqual({
      method: 'POST',
      body: '{"k":"é"}',
      auth: 'Bearer t',
      host: new URL(s.url).host,
    });
    c.close();
  });

  it('opens a new connection after the server closed one', async () => {
    const s = await server();
    const c = new KeepAliveHttp(s.url);
    expect((await c.request({ path: '/close', timeoutMs: 2000 })).body).toBe('bye');
    expect(c.sockets).toBe(0);
    expect((await c.request({ path: '/readyz', timeoutMs: 2000 })).body).toBe('ok');
    expect(s.connections()).toBe(2);
    c.close();
  });

  it('concurrent requests use separate connections', async () => {
    const s = await server();
    const c = new KeepAliveHttp(s.url);
    const rs = await Promise.all([1, 2, 3].map(() => c.request({ path: '/chunked', timeoutMs: 2000 })));
    expect(rs.map((r) => r.body)).toEqual(['{"a":1}', '{"a":1}', '{"a":1}']);
    expect(s.connections()).toBe(3);
    c.close();
  });

  it('a frozen peer costs exactly the deadline, then the socket is gone', async () => {
    raw = createServer((sock) => sockets.push(sock));
    await new Promise<void>((r) => raw!.listen(0, '127.0.0.1', r));
    const c = new KeepAliveHttp(`http://127.0.0.1:${portOf(raw)}`);
    const started = performance.now();
    const err = await c.request({ path: '/', timeoutMs: 150 }).catch((e: unknown) => e);
    const took = performance.now() - started;
    expect(err).toBeInstanceOf(HttpError);
    expect(err).toMatchObject({ code: 'ETIMEDOUT', message: 'no answer within 150 ms' });
    expect(took).toBeGreaterThanOrEqual(140);
    expect(took).toBeLessThan(1000);
    expect(c.sockets).toBe(0);
  });

  it('a peer that hangs up mid-answer is an error, not a short body', async () => {
    raw = createServer((sock) => {
      sockets.push(sock);
      sock.once('data', () => sock.end('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'));
    });
    await new Promise<void>((r) => raw!.listen(0, '127.0.0.1', r));
    const c = new KeepAliveHttp(`http://127.0.0.1:${portOf(raw)}`);
    await expect(c.request({ path: '/', timeoutMs: 2000 })).rejects.toMatchObject({ code: 'ECONNRESET' });
  });

  it('refused, aborted and a header with a line break', async () => {
    await expect(
      new KeepAliveHttp('http://127.0.0.1:1').request({ path: '/', timeoutMs: 1000 }),
    ).rejects.toThrow(/ECONNREFUSED/);
    const s = await server();
    const c = new KeepAliveHttp(s.url);
    const ac = new AbortController();
    ac.abort();
    await expect(c.request({ path: '/', timeoutMs: 1000, signal: ac.signal })).rejects.toMatchObject({
      code: 'ABORTED',
    });
    await expect(
      c.request({ path: '/', timeoutMs: 1000, headers: { authorization: 'x\r\nX-Evil: 1' } }),
    ).rejects.toThrow(/line break/);
    c.close();
  });
});
