/**
 * A small etcd v3 client over etcd's JSON gRPC gateway (`POST /v3/kv/range`, `/v3/kv/txn`, `/v3/watch`, …).
 *
 * Why the gateway rather than the `etcd3` package: every call here is one plain HTTP request to the one
 * member we were given, with a hard per-call deadline (the socket is destroyed), no pool, no retries on
 * other hosts and no circuit breaker to configure away (NOTES.md "etcd 3.4 and the etcd3 client").
 * Watch is a chunked response of newline-separated JSON messages, and compaction shows up as a
 * `compact_revision` on a cancelled watch, which is exactly what the 410 path needs. The gateway buffers
 * streaming *requests*, so progress requests are not available; see watch.ts for how bookmarks cope.
 */
import http from 'node:http';
import https from 'node:https';

export interface EtcdClientOptions {
  endpoints: string[];
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** Per-call deadline. */
  timeoutMs: number;
}

export class EtcdError extends Error {
  constructor(
    message: string,
    readonly grpcCode: number | undefined = undefined,
    readonly timeout = false,
  ) {
    super(message);
  }
}

/** gRPC OutOfRange: "mvcc: required revision has been compacted". */
export const GRPC_OUT_OF_RANGE = 11;

export interface KeyValue {
  key: string;
  value: string;
  createRevision: string;
  modRevision: string;
  version: string;
}

interface RawKv {
  key?: string;
  value?: string;
  create_revision?: string;
  mod_revision?: string;
  version?: string;
}

interface RawHeader {
  revision?: string;
  member_id?: string;
  raft_term?: string;
}

export interface WatchEvent {
  type: 'PUT' | 'DELETE';
  kv: KeyValue;
  prevKv?: KeyValue;
}

export interface WatchHandlers {
  onCreated(revision: string): void;
  onEvents(events: WatchEvent[], revision: string): void;
  onCompacted(compactRevision: string): void;
  onEnd(error?: Error): void;
}

export interface EtcdStatus {
  memberId: string;
  leader?: string;
  raftTerm?: string;
  errors?: string[];
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string | undefined): string => (s ? Buffer.from(s, 'base64').toString('utf8') : '');

function decodeKv(raw: RawKv): KeyValue {
  return {
    key: unb64(raw.key),
    value: unb64(raw.value),
    createRevision: raw.create_revision ?? '0',
    modRevision: raw.mod_revision ?? '0',
    version: raw.version ?? '0',
  };
}

/** The end of the range covering every key starting with prefix (prefix with its last byte + 1). */
export function prefixRangeEnd(prefix: string): string {
  const bytes = Buffer.from(prefix, 'utf8');
  bytes[bytes.length - 1] = bytes[bytes.length - 1]! + 1;
  return bytes.toString('base64');
}

export interface RangeOptions {
  prefix?: boolean;
  revision?: string;
  countOnly?: boolean;
  minModRevision?: string;
  limit?: number;
}

export interface RangeResult {
  revision: string;
  kvs: KeyValue[];
  count: number;
}

export interface TxnResult {
  succeeded: boolean;
  revision: string;
  /** On failure: the key as it is now (absent when it does not exist). */
  current?: KeyValue;
  /** On a successful delete: the deleted key's last value. */
  prevKv?: KeyValue;
}

export class EtcdClient {
  private readonly agent: http.Agent;
  private preferred = 0;

  constructor(private readonly opts: EtcdClientOptions) {
    if (opts.endpoints.length === 0) throw new Error('no etcd endpoint');
    this.agent = this.isTls()
      ? new https.Agent({ keepAlive: true, maxSockets: 64, ca: opts.ca, cert: opts.cert, key: opts.key })
      : new http.Agent({ keepAlive: true, maxSockets: 64 });
  }

  private isTls(): boolean {
    return this.opts.endpoints.some((e) => e.startsWith('https:'));
  }

  private request(endpoint: string, path: string, agent: http.Agent | false): http.ClientRequest {
    const url = new URL(path, endpoint);
    const base: https.RequestOptions = {
      method: 'POST',
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      headers: { 'content-type': 'application/json' },
      agent,
    };
    if (url.protocol === 'https:') {
      return https.request({ ...base, ca: this.opts.ca, cert: this.opts.cert, key: this.opts.key });
    }
    return http.request(base);
  }

  /** One POST with a hard deadline; connection errors fail over to the next endpoint, timeouts do not. */
  async call<T>(path: string, body: unknown, timeoutMs = this.opts.timeoutMs): Promise<T> {
    const n = this.opts.endpoints.length;
    let lastError: Error | undefined;
    for (let i = 0; i < n; i++) {
      const idx = (this.preferred + i) % n;
      try {
        const result = await this.callOne<T>(this.opts.endpoints[idx]!, path, body, timeoutMs);
        this.preferred = idx;
        return result;
      } catch (e) {
        lastError = e as Error;
        if (e instanceof EtcdError) throw e;
      }
    }
    throw new EtcdError(lastError?.message ?? 'etcd unreachable');
  }

  private callOne<T>(endpoint: string, path: string, body: unknown, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const req = this.request(endpoint, path, this.agent);
      const timer = setTimeout(() => {
        req.destroy(new EtcdError('context deadline exceeded', 4, true));
      }, timeoutMs);
      req.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => {
          clearTimeout(timer);
          reject(e);
        });
        res.on('end', () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            reject(new EtcdError(`etcd answered ${res.statusCode}: ${text.slice(0, 200)}`));
            return;
          }
          const err = parsed as { error?: string; message?: string; code?: number };
          if ((res.statusCode ?? 500) >= 400 || err.error) {
            reject(new EtcdError(err.message ?? err.error ?? `etcd answered ${res.statusCode}`, err.code));
            return;
          }
          resolve(parsed as T);
        });
      });
      req.end(JSON.stringify(body));
    });
  }

  async range(key: string, o: RangeOptions = {}): Promise<RangeResult> {
    const body: Record<string, unknown> = { key: b64(key) };
    if (o.prefix) body.range_end = prefixRangeEnd(key);
    if (o.revision) body.revision = o.revision;
    if (o.countOnly) body.count_only = true;
    if (o.minModRevision) body.min_mod_revision = o.minModRevision;
    if (o.limit) body.limit = String(o.limit);
    const r = await this.call<{ header?: RawHeader; kvs?: RawKv[]; count?: string }>('/v3/kv/range', body);
    return {
      revision: r.header?.revision ?? '0',
      kvs: (r.kvs ?? []).map(decodeKv),
      count: Number(r.count ?? 0),
    };
  }

  async get(key: string): Promise<{ revision: string; kv?: KeyValue }> {
    const r = await this.range(key);
    return { revision: r.revision, kv: r.kvs[0] };
  }

  private async txn(
    key: string,
    compare: Record<string, unknown>,
    success: Record<string, unknown>,
  ): Promise<TxnResult> {
    const r = await this.call<{
      header?: RawHeader;
      succeeded?: boolean;
      responses?: {
        response_range?: { kvs?: RawKv[] };
        response_delete_range?: { prev_kvs?: RawKv[] };
      }[];
    }>('/v3/kv/txn', {
      compare: [{ key: b64(key), result: 'EQUAL', ...compare }],
      success: [success],
      failure: [{ request_range: { key: b64(key) } }],
    });
    const revision = r.header?.revision ?? '0';
    if (!r.succeeded) {
      const kv = r.responses?.[0]?.response_range?.kvs?.[0];
      return { succeeded: false, revision, current: kv ? decodeKv(kv) : undefined };
    }
    const prev = r.responses?.[0]?.response_delete_range?.prev_kvs?.[0];
    return { succeeded: true, revision, prevKv: prev ? decodeKv(prev) : undefined };
  }

  /** Put only if the key does not exist. */
  create(key: string, value: string): Promise<TxnResult> {
    return this.txn(
      key,
      { target: 'CREATE', create_revision: '0' },
      { request_put: { key: b64(key), value: b64(value) } },
    );
  }

  /** Put only if the key's mod_revision is still `modRevision`. */
  update(key: string, value: string, modRevision: string): Promise<TxnResult> {
    return this.txn(
      key,
      { target: 'MOD', mod_revision: modRevision },
      { request_put: { key: b64(key), value: b64(value) } },
    );
  }

  /** Delete only if the key's mod_revision is still `modRevision`. */
  delete(key: string, modRevision: string): Promise<TxnResult> {
    return this.txn(
      key,
      { target: 'MOD', mod_revision: modRevision },
      { request_delete_range: { key: b64(key), prev_kv: true } },
    );
  }

  async status(timeoutMs?: number): Promise<EtcdStatus> {
    const r = await this.call<{ header?: RawHeader; leader?: string; raftTerm?: string; errors?: string[] }>(
      '/v3/maintenance/status',
      {},
      timeoutMs,
    );
    return { memberId: r.header?.member_id ?? '', leader: r.leader, raftTerm: r.raftTerm, errors: r.errors };
  }

  async compact(revision: string): Promise<void> {
    await this.call('/v3/kv/compaction', { revision });
  }

  /** Watches every key under `prefix` from `startRevision`, with previous values (for DELETED objects). */
  watch(prefix: string, startRevision: string, h: WatchHandlers): { cancel(): void } {
    const endpoint = this.opts.endpoints[this.preferred]!;
    const req = this.request(endpoint, '/v3/watch', false);
    let ended = false;
    const end = (e?: Error): void => {
      if (ended) return;
      ended = true;
      h.onEnd(e);
    };
    req.on('error', (e) => end(e));
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        end(new EtcdError(`etcd watch answered ${res.statusCode}`));
        return;
      }
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (line && !ended) this.dispatch(line, h, end);
        }
      });
      res.on('end', () => end());
      res.on('error', (e) => end(e));
    });
    req.end(
      JSON.stringify({
        create_request: {
          key: b64(prefix),
          range_end: prefixRangeEnd(prefix),
          start_revision: startRevision,
          prev_kv: true,
        },
      }),
    );
    return {
      cancel: () => {
        ended = true;
        req.destroy();
      },
    };
  }

  private dispatch(line: string, h: WatchHandlers, end: (e?: Error) => void): void {
    let msg: {
      result?: {
        header?: RawHeader;
        created?: boolean;
        canceled?: boolean;
        compact_revision?: string;
        cancel_reason?: string;
        events?: { type?: string; kv?: RawKv; prev_kv?: RawKv }[];
      };
      error?: { message?: string };
    };
    try {
      msg = JSON.parse(line) as typeof msg;
    } catch {
      end(new EtcdError(`bad watch message: ${line.slice(0, 200)}`));
      return;
    }
    const r = msg.result;
    if (!r) {
      end(new EtcdError(msg.error?.message ?? 'watch failed'));
      return;
    }
    if (r.compact_revision && r.compact_revision !== '0') {
      h.onCompacted(r.compact_revision);
      end();
      return;
    }
    if (r.canceled) {
      end(new EtcdError(r.cancel_reason ?? 'watch cancelled'));
      return;
    }
    if (r.created) h.onCreated(r.header?.revision ?? '0');
    if (r.events && r.events.length > 0) {
      h.onEvents(
        r.events.map((e) => ({
          type: e.type === 'DELETE' ? 'DELETE' : 'PUT',
          kv: decodeKv(e.kv ?? {}),
          prevKv: e.prev_kv ? decodeKv(e.prev_kv) : undefined,
        })),
        r.header?.revision ?? '0',
      );
    }
  }

  close(): void {
    this.agent.destroy();
  }
}
