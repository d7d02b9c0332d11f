/**
 * The same per-member etcd client as `etcd.ts`, over gRPC (the `etcd3` package on
 * `@grpc/grpc-js`), for clusters with etcd auth: etcd takes the user from the client
 * certificate's CN on gRPC, while its JSON gateway refuses such requests ("CommonName of client
 * sending a request against gateway will be ignored"). One channel per member, the `etcd3` pool's
 * retries and circuit breakers off (each call reaches exactly this member once), and a deadline on
 * every call: a frozen member answers "deadline exceeded" instead of hanging (NOTES.md).
 */
import type { Etcd3, IOptions } from 'etcd3';
import { errorMessage } from './http.js';
import {
  EtcdError,
  memberInfoOf,
  memberStatusOf,
  prefixRangeEnd,
  type EtcdCallOptions,
  type EtcdConnect,
  type EtcdMember,
  type MemberInfo,
  type MemberStatus,
  type WireStatus,
} from './etcd.js';
import type { TlsMaterial } from './tls.js';

/**
 * grpc-js names the TLS server after the target, an IP address for most etcd endpoints; Node then
 * warns once (DEP0123) that it ignores an IP as SNI. Verification of the certificate's IP SAN is
 * unaffected, so that one warning is dropped instead of reaching the user's terminal.
 */
let sniWarningMuted = false;
function muteIpSniWarning(): void {
  if (sniWarningMuted) return;
  sniWarningMuted = true;
  const emit = process.emitWarning.bind(process);
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const code =
      typeof rest[0] === 'object' && rest[0] !== null ? (rest[0] as { code?: string }).code : rest[1];
    if (code === 'DEP0123') return;
    (emit as (w: string | Error, ...r: unknown[]) => void)(warning, ...rest);
  }) as typeof process.emitWarning;
}

/**
 * `etcd3` loads grpc and etcd's protos when imported (about 0.4 s of CPU here): only runs that
 * ask for gRPC pay it.
 */
let loaded: Promise<(options: IOptions) => Etcd3> | undefined;
function etcd3Client(): Promise<(options: IOptions) => Etcd3> {
  return (loaded ??= Promise.all([import('etcd3'), import('cockatiel')]).then(
    ([{ Etcd3 }, { noop }]) =>
      (options: IOptions) =>
        // each call reaches this member once: no pool retries, no circuit breaker
        new Etcd3({ ...options, faultHandling: { host: () => noop, global: noop } }),
  ));
}

/** The `etcd3` options for one member: its TLS and quick reconnects. */
export function grpcOptions(endpoint: string, tls: TlsMaterial = {}): IOptions {
  const url = new URL(endpoint);
  if (tls.insecure) throw new EtcdError('etcd over gRPC cannot skip TLS verification', endpoint, 0);
  const options: IOptions = {
    hosts: url.host,
    grpcOptions: {
      // a restarted member is seen again within a poll or two, not after grpc's 1 s…120 s backoff
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1000,
      ...(tls.serverName ? { 'grpc.ssl_target_name_override': tls.serverName } : {}),
    },
  };
  if (url.protocol === 'https:') {
    options.hosts = `https://${url.host}`;
    options.credentials = {
      // grpc-js takes null for "the system's roots" where no CA is given
      rootCertificate: tls.ca ?? (null as unknown as Buffer),
      ...(tls.key ? { privateKey: tls.key } : {}),
      ...(tls.cert ? { certChain: tls.cert } : {}),
    };
  }
  return options;
}

/** Talks to one etcd member only, over gRPC. */
export class EtcdGrpcMemberClient implements EtcdMember {
  readonly endpoint: string;
  private client: Promise<Etcd3> | undefined;

  constructor(
    endpoint: string,
    private readonly tls: TlsMaterial = {},
  ) {
    this.endpoint = endpoint.replace(/\/+$/, '');
    grpcOptions(this.endpoint, tls); // bad settings fail here, not at the first call
  }

  async status(options: EtcdCallOptions = {}): Promise<MemberStatus> {
    try {
      const { body, latencyMs } = await this.call<WireStatus>(options, (c, o) => c.maintenance.status(o));
      return memberStatusOf(this.endpoint, body, latencyMs);
    } catch (err) {
      const latencyMs = err instanceof EtcdError ? err.latencyMs : 0;
      return { ok: false, endpoint: this.endpoint, errors: [errorMessage(err)], latencyMs };
    }
  }

  async memberList(options: EtcdCallOptions = {}): Promise<MemberInfo[]> {
    const { body } = await this.call(options, (c, o) => c.cluster.memberList({}, o));
    return (body.members ?? []).map(memberInfoOf);
  }

  async put(
    key: string,
    value: string,
    options: EtcdCallOptions & { lease?: string } = {},
  ): Promise<{ revision: string; latencyMs: number }> {
    const req = {
      key: Buffer.from(key),
      value: Buffer.from(value),
      ...(options.lease ? { lease: options.lease } : {}),
    };
    const { body, latencyMs } = await this.call(options, (c, o) => c.kv.put(req, o));
    return { revision: body.header?.revision ?? '0', latencyMs };
  }

  async leaseGrant(ttlS: number, options: EtcdCallOptions = {}): Promise<string> {
    const { body } = await this.call(options, (c, o) => c.leaseClient.leaseGrant({ TTL: ttlS }, o));
    if (!body.ID || body.ID === '0')
      throw new EtcdError(body.error || 'lease grant returned no id', this.endpoint, 0);
    return body.ID;
  }

  /** One keep-alive on a stream of its own: one request, its answer, then the stream ends. */
  async leaseKeepAlive(id: string, options: EtcdCallOptions = {}): Promise<number> {
    const { body } = await this.call(options, async (c, o) => {
      const stream = await c.leaseClient.leaseKeepAlive(o);
      try {
        const answer = new Promise<{ TTL?: string }>((resolve, reject) => {
          // stays listening: an error after the answer must not go unhandled
          stream.on('data', resolve);
          stream.on('error', reject);
          stream.on('end', () => reject(new Error(`keepalive of lease ${id}: stream ended`)));
        });
        stream.write({ ID: id });
        return await answer;
      } finally {
        stream.end();
      }
    });
    return Number(body.TTL ?? 0);
  }

  async leaseRevoke(id: string, options: EtcdCallOptions = {}): Promise<void> {
    await this.call(options, (c, o) => c.leaseClient.leaseRevoke({ ID: id }, o));
  }

  async deletePrefix(prefix: string, options: EtcdCallOptions = {}): Promise<number> {
    const req = { key: Buffer.from(prefix), range_end: prefixRangeEnd(prefix) };
    const { body } = await this.call(options, (c, o) => c.kv.deleteRange(req, o));
    return Number(body.deleted ?? 0);
  }

  async countPrefix(prefix: string, options: EtcdCallOptions = {}): Promise<number> {
    const req = { key: Buffer.from(prefix), range_end: prefixRangeEnd(prefix), count_only: true };
    const { body } = await this.call(options, (c, o) => c.kv.range(req, o));
    return Number(body.count ?? 0);
  }

  close(): void {
    void this.client?.then((c) => c.close()).catch(() => undefined);
    this.client = undefined;
  }

  private async call<T>(
    options: EtcdCallOptions,
    op: (client: Etcd3, callOptions: { deadline: number }) => Promise<T>,
  ): Promise<{ body: T; latencyMs: number }> {
    if (options.signal?.aborted) throw new EtcdError('aborted', this.endpoint, 0);
    if (!this.client) {
      muteIpSniWarning();
      const options = grpcOptions(this.endpoint, this.tls);
      this.client = etcd3Client().then((make) => make(options));
    }
    const client = await this.client;
    const timeoutMs = options.timeoutMs ?? 1000;
    const t0 = performance.now();
    try {
      const body = await op(client, { deadline: Date.now() + timeoutMs });
      return { body, latencyMs: performance.now() - t0 };
    } catch (err) {
      throw new EtcdError(grpcErrorMessage(err, timeoutMs), this.endpoint, performance.now() - t0);
    }
  }
}

/**
 * grpc's "4 DEADLINE_EXCEEDED: Deadline exceeded after 1.001s,…" as the gateway client says it;
 * etcd's own errors ("7 PERMISSION_DENIED: etcdserver: permission denied") without the code.
 */
export function grpcErrorMessage(err: unknown, timeoutMs: number): string {
  const message = errorMessage(err);
  if (/DEADLINE_EXCEEDED/.test(message)) return `no answer within ${timeoutMs} ms`;
  const etcd = /^\d+ [A-Z_]+: (etcdserver: .*)$/s.exec(message);
  return (etcd?.[1] ?? message).split('\n')[0]!;
}

export const grpcConnect: EtcdConnect = (endpoint, tls) => new EtcdGrpcMemberClient(endpoint, tls);
