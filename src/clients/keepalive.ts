/**
 * Keep-alive HTTP/1.1 to one origin over plain TCP or TLS sockets held here, for the pollers'
 * small requests (etcd status, `/readyz`, Lease reads several times a second). Node's `http`
 * module costs 0.6–1 ms of CPU per request here (request objects, header validation, the
 * agent's pool keyed by stringified TLS material); a request written as one buffer and a
 * response parsed from the socket's bytes about 0.12 ms (measured on the lab, README Benchmark).
 * Same contract as
 * `httpRequest`: a whole-request deadline that destroys the socket (a frozen peer costs exactly
 * the deadline), the same `HttpError` codes, one request per socket at a time.
 */
import net from 'node:net';
import tls from 'node:tls';
import { HttpError, type HttpResponse } from './http.js';
import type { TlsMaterial } from './tls.js';
import { setSafeTimeout } from '../time/timer.js';
import { asSocket, tunnelRouteFor } from './tunnel-routes.js';

export interface KeepAliveRequest {
  /** path and query, e.g. `/readyz` */
  path: string;
  method?: string;
  /** header names as given; `host` and `content-length` are set here */
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** A parsed response head and where its body ends. */
export interface ResponseHead {
  status: number;
  headers: Record<string, string>;
  /** bytes of the head, CRLFCRLF included */
  headLength: number;
  /** `length`: content-length bytes; `chunked`; `close`: until the peer closes */
  framing: { kind: 'length'; length: number } | { kind: 'chunked' } | { kind: 'close' };
  keepAlive: boolean;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');

/** The response head at the start of `buf`, or null while it is incomplete; throws when malformed. */
export function parseHead(buf: Buffer, method: string): ResponseHead | null {
  const end = buf.indexOf(CRLFCRLF);
  if (end < 0) {
    if (buf.length > 64 * 1024) throw new Error('response head larger than 64 KiB');
    return null;
  }
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0] ?? '');
  if (!m) throw new Error(`not an HTTP/1.x response: ${JSON.stringify((lines[0] ?? '').slice(0, 60))}`);
  const status = Number(m[2]);
  const headers: Record<string, string> = {};
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`malformed response header: ${JSON.stringify(line.slice(0, 60))}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  const connection = (headers.connection ?? '').toLowerCase();
  let keepAlive = m[1] === '1' ? !connection.includes('close') : connection.includes('keep-alive');
  let framing: ResponseHead['framing'];
  if (method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200))
    framing = { kind: 'length', length: 0 };
  else if (/\bchunked\b/i.test(headers['transfer-encoding'] ?? '')) framing = { kind: 'chunked' };
  else if (headers['content-length'] !== undefined) {
    const length = Number(headers['content-length']);
    if (!Number.isSafeInteger(length) || length < 0)
      throw new Error(`bad content-length: ${headers['content-length']}`);
    framing = { kind: 'length', length };
  } else {
    framing = { kind: 'close' };
    keepAlive = false;
  }
  return { status, headers, headLength: end + 4, framing, keepAlive };
}

/**
 * The body of a chunked message starting at `from`: the decoded bytes and where the message
 * ends, or null while incomplete (trailers are skipped).
 */
export function parseChunked(buf: Buffer, from: number): { body: Buffer; end: number } | null {
  const parts: Buffer[] = [];
  let at = from;
  for (;;) {
    const lineEnd = buf.indexOf('\r\n', at, 'latin1');
    if (lineEnd < 0) return null;
    const size = parseInt(buf.subarray(at, lineEnd).toString('latin1').split(';')[0]!.trim(), 16);
    if (Number.isNaN(size) || size < 0) throw new Error('malformed chunk size');
    at = lineEnd + 2;
    if (size === 0) {
      // trailers (usually none), then an empty line
      for (;;) {
        const e = buf.indexOf('\r\n', at, 'latin1');
        if (e < 0) return null;
        if (e === at) return { body: Buffer.concat(parts), end: e + 2 };
        at = e + 2;
      }
    }
    if (buf.length < at + size + 2) return null;
    parts.push(buf.subarray(at, at + size));
    at += size + 2;
  }
}

interface Pending {
  method: string;
  resolve: (r: { status: number; headers: Record<string, string>; body: Buffer; keepAlive: boolean }) => void;
  reject: (err: Error & { code?: string }) => void;
}

/** One socket, one request at a time. */
class Connection {
  private buf: Buffer = Buffer.alloc(0);
  private pending: Pending | null = null;
  private head: ResponseHead | null = null;
  closed = false;

  constructor(
    readonly socket: net.Socket,
    private readonly onGone: (c: Connection) => void,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', (err: NodeJS.ErrnoException) => this.gone(err.message, err.code ?? 'EREQUEST'));
    socket.on('end', () => this.onEnd());
    socket.on('close', () => this.gone('socket hang up', 'ECONNRESET'));
  }

  send(bytes: Buffer, p: Pending): void {
    this.pending = p;
    this.buf = Buffer.alloc(0);
    this.head = null;
    this.socket.write(bytes);
  }

  destroy(): void {
    this.closed = true;
    this.pending = null;
    this.socket.destroy();
    this.onGone(this);
  }

  private onEnd(): void {
    // a body framed by the connection's end is complete now
    if (this.pending && this.head?.framing.kind === 'close') {
      this.finish(this.buf.subarray(this.head.headLength), false);
    }
    this.gone('socket hang up', 'ECONNRESET');
  }

  private gone(message: string, code: string): void {
    const p = this.pending;
    this.pending = null;
    if (!this.closed) {
      this.closed = true;
      this.socket.destroy();
      this.onGone(this);
    }
    if (p) p.reject(Object.assign(new Error(message), { code }));
  }

  private onData(d: Buffer): void {
    if (!this.pending) {
      // bytes nobody asked for: the stream is out of step, never reuse it
      this.gone('unexpected data from the server', 'EPROTO');
      return;
    }
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    try {
      for (;;) {
        this.head ??= parseHead(this.buf, this.pending.method);
        if (!this.head) return;
        // an interim 1xx answer: the real one follows
        if (this.head.status >= 100 && this.head.status < 200) {
          this.buf = this.buf.subarray(this.head.headLength);
          this.head = null;
          continue;
        }
        break;
      }
      const h = this.head;
      if (h.framing.kind === 'length') {
        const end = h.headLength + h.framing.length;
        if (this.buf.length >= end) this.finish(this.buf.subarray(h.headLength, end), h.keepAlive);
      } else if (h.framing.kind === 'chunked') {
        const c = parseChunked(this.buf, h.headLength);
        if (c) this.finish(c.body, h.keepAlive);
      }
    } catch (err) {
      this.gone((err as Error).message, 'EPROTO');
    }
  }

  private finish(body: Buffer, keepAlive: boolean): void {
    const p = this.pending!;
    const h = this.head!;
    this.pending = null;
    this.head = null;
    this.buf = Buffer.alloc(0);
    if (!keepAlive) {
      this.closed = true;
      this.socket.destroy();
      this.onGone(this);
    }
    p.resolve({ status: h.status, headers: h.headers, body, keepAlive });
  }
}

export class KeepAliveHttp {
  readonly origin: string;
  private readonly host: string;
  private readonly port: number;
  private readonly secure: boolean;
  private readonly hostHeader: string;
  /** the URL's path, put before every request's (usually empty) */
  private readonly base: string;
  /** a URL that cannot be used: every request fails with it (as http.request would) */
  private readonly invalid: string | null = null;
  private readonly idle: Connection[] = [];
  private readonly all = new Set<Connection>();
  private context: tls.SecureContext | undefined;

  constructor(
    url: string,
    private readonly tlsMaterial?: TlsMaterial,
  ) {
    let u: URL | null = null;
    try {
      u = new URL(url);
    } catch {
      this.invalid = `Invalid URL: ${url}`;
    }
    if (u && u.protocol !== 'https:' && u.protocol !== 'http:') this.invalid = `not an http(s) URL: ${url}`;
    this.secure = u?.protocol === 'https:';
    this.host = (u?.hostname ?? '').replace(/^\[(.*)\]$/, '$1');
    this.port = u?.port ? Number(u.port) : this.secure ? 443 : 80;
    this.hostHeader = u?.host ?? '';
    this.base = (u?.pathname ?? '').replace(/\/+$/, '');
    this.origin = u ? `${u.protocol}//${u.host}` : url;
  }

  /** Sockets open now (idle or busy), for tests and the bench. */
  get sockets(): number {
    return this.all.size;
  }

  request(req: KeepAliveRequest): Promise<HttpResponse> {
    const started = performance.now();
    const elapsed = () => Math.round((performance.now() - started) * 1000) / 1000;
    const method = req.method ?? 'GET';
    return new Promise((resolve, reject) => {
      let settled = false;
      let conn: Connection | null = null;
      const fail = (message: string, code: string) => {
        if (settled) return;
        settled = true;
        timer.clear();
        req.signal?.removeEventListener('abort', onAbort);
        conn?.destroy();
        reject(new HttpError(message, code, elapsed()));
      };
      const onAbort = () => fail('aborted', 'ABORTED');
      const timer = setSafeTimeout(
        () => fail(`no answer within ${req.timeoutMs} ms`, 'ETIMEDOUT'),
        req.timeoutMs,
      );
      if (req.signal) {
        if (req.signal.aborted) return onAbort();
        req.signal.addEventListener('abort', onAbort, { once: true });
      }
      let bytes: Buffer;
      try {
        if (this.invalid) throw Object.assign(new Error(this.invalid), { code: 'ERR_INVALID_URL' });
        bytes = this.encode(method, req);
      } catch (err) {
        return fail((err as Error).message, (err as NodeJS.ErrnoException).code ?? 'EREQUEST');
      }
      const send = (c: Connection) => {
        conn = c;
        // the deadline or an abort came while a tunnel's channel was opening
        if (settled) return c.destroy();
        this.sendOn(c, bytes, method, {
          resolve: (r) => {
            if (settled) return;
            settled = true;
            timer.clear();
            req.signal?.removeEventListener('abort', onAbort);
            resolve({ ...r, latencyMs: elapsed() });
          },
          reject: (err) => fail(err.message, err.code ?? 'EREQUEST'),
        });
      };
      const taken = this.take();
      if (taken instanceof Connection) send(taken);
      else taken.then(send, (err: NodeJS.ErrnoException) => fail(err.message, err.code ?? 'ETUNNEL'));
    });
  }

  /** Sends one request on `c`; the connection goes back to the idle list once answered. */
  private sendOn(
    c: Connection,
    bytes: Buffer,
    method: string,
    done: {
      resolve: (r: { status: number; headers: Record<string, string>; body: string }) => void;
      reject: (err: Error & { code?: string }) => void;
    },
  ): void {
    c.send(bytes, {
      method,
      resolve: (r) => {
        // a connection whose request already failed (deadline, abort) was destroyed then
        if (!c.closed) this.release(c);
        done.resolve({ status: r.status, headers: r.headers, body: r.body.toString('utf8') });
      },
      reject: done.reject,
    });
  }

  /** Closes every socket; later requests open new ones. */
  close(): void {
    for (const c of [...this.all]) c.destroy();
    this.idle.length = 0;
  }

  private encode(method: string, req: KeepAliveRequest): Buffer {
    let head = `${method} ${this.base}${req.path} HTTP/1.1\r\nhost: ${this.hostHeader}\r\n`;
    for (const [k, v] of Object.entries(req.headers ?? {})) {
      // a header value can never end the head early or add a line
      if (/[\r\n]/.test(k) || /[\r\n]/.test(v)) throw new Error(`header ${k} holds a line break`);
      const lower = k.toLowerCase();
      if (lower !== 'host' && lower !== 'content-length') head += `${k}: ${v}\r\n`;
    }
    const body = req.body !== undefined ? Buffer.from(req.body, 'utf8') : null;
    if (body) {
      if (!Object.keys(req.headers ?? {}).some((k) => k.toLowerCase() === 'content-type'))
        head += 'content-type: application/json\r\n';
      head += `content-length: ${body.length}\r\n`;
    } else if (method !== 'GET' && method !== 'HEAD') head += 'content-length: 0\r\n';
    head += '\r\n';
    return body ? Buffer.concat([Buffer.from(head, 'latin1'), body]) : Buffer.from(head, 'latin1');
  }

  /**
   * An idle connection, or a new one: dialled directly, or, when an SSH tunnel is installed for
   * this origin (tunnel-routes.ts), over a channel of that tunnel with TLS started on it (the
   * server name and the certificate check still those of the URL's host).
   */
  private take(): Connection | Promise<Connection> {
    for (let c = this.idle.pop(); c; c = this.idle.pop()) {
      if (!c.closed && !c.socket.destroyed) {
        c.socket.ref();
        return c;
      }
    }
    const route = tunnelRouteFor(this.origin);
    if (route)
      return route.dial(this.host, this.port).then((stream) => {
        const socket = this.secure
          ? tls.connect({ ...this.tlsOptions(), socket: stream })
          : (asSocket(stream) as net.Socket);
        return this.adopt(socket);
      });
    return this.adopt(
      this.secure ? tls.connect(this.tlsOptions()) : net.connect({ host: this.host, port: this.port }),
    );
  }

  private adopt(socket: net.Socket): Connection {
    const c = new Connection(socket, (gone) => {
      this.all.delete(gone);
      const i = this.idle.indexOf(gone);
      if (i >= 0) this.idle.splice(i, 1);
    });
    this.all.add(c);
    return c;
  }

  private release(c: Connection): void {
    // an idle socket does not keep the process alive, as with Node's keep-alive agent
    c.socket.unref();
    this.idle.push(c);
  }

  private tlsOptions(): tls.ConnectionOptions {
    const t = this.tlsMaterial ?? {};
    // the CA, certificate and key parsed once: a member that is down is dialled every poll, and
    // a fresh context per dial cost more CPU than every other request of etcd-leader-kill
    if (!this.context) {
      const material: tls.SecureContextOptions = {};
      if (t.ca) material.ca = t.ca;
      if (t.cert) material.cert = t.cert;
      if (t.key) material.key = t.key;
      this.context = tls.createSecureContext(material);
    }
    const o: tls.ConnectionOptions = { host: this.host, port: this.port, secureContext: this.context };
    if (t.insecure) o.rejectUnauthorized = false;
    // SNI (and the name checked) as https sends it: the given server name, else the host unless an IP
    const servername = t.serverName ?? (net.isIP(this.host) ? undefined : this.host);
    if (servername) o.servername = servername;
    return o;
  }
}
