/**
 * etcd v3 clients through etcd's JSON gRPC gateway (`POST /v3/...` on the client port, etcd
 * 3.4+), one client per member (`etcd-grpc.ts` is the same interface over gRPC, which etcd's
 * auth needs for client-certificate users): every call goes to exactly that member and carries a hard
 * deadline, so a frozen member answers "timeout" instead of hanging (NOTES.md). 64-bit values
 * stay decimal strings and are compared as BigInt; member ids are shown in hex as etcdctl does.
 */
import { errorMessage } from './http.js';
import { KeepAliveHttp } from './keepalive.js';
import type { TlsMaterial } from './tls.js';

export interface MemberStatus {
  /** the member answered (it may still report errors, e.g. "etcdserver: no leader") */
  ok: boolean;
  endpoint: string;
  /** hex member id of this member (etcdctl's ID column) */
  id?: string;
  /** hex member id of the leader it knows, absent without one */
  leader?: string;
  /** decimal strings (64-bit) */
  term?: string;
  raftIndex?: string;
  raftAppliedIndex?: string;
  version?: string;
  dbSize?: number;
  isLearner?: boolean;
  /** errors the member reported (e.g. "etcdserver: no leader") or the transport error */
  errors: string[];
  latencyMs: number;
}

export interface EtcdCallOptions {
  /** per-call deadline in ms (default 1000) */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** etcd's StatusResponse as both transports decode it (64-bit numbers as strings). */
export interface WireStatus {
  header?: { member_id?: string };
  version?: string;
  dbSize?: string;
  leader?: string;
  raftIndex?: string;
  raftTerm?: string;
  raftAppliedIndex?: string;
  errors?: string[];
  isLearner?: boolean;
}

/** One member of etcd's MemberListResponse as both transports decode it. */
export interface WireMember {
  ID?: string;
  name?: string;
  peerURLs?: string[];
  clientURLs?: string[];
  isLearner?: boolean;
}

/** A member's answer to maintenance/status, the same whichever transport carried it. */
export function memberStatusOf(endpoint: string, s: WireStatus, latencyMs: number): MemberStatus {
  const out: MemberStatus = { ok: true, endpoint, errors: s.errors ?? [], latencyMs };
  if (s.header?.member_id) out.id = memberIdHex(s.header.member_id);
  if (s.leader && s.leader !== '0') out.leader = memberIdHex(s.leader);
  if (s.raftTerm && s.raftTerm !== '0') out.term = s.raftTerm;
  out.raftIndex = s.raftIndex ?? '0';
  out.raftAppliedIndex = s.raftAppliedIndex ?? '0';
  if (s.version) out.version = s.version;
  out.dbSize = Number(s.dbSize ?? 0);
  out.isLearner = s.isLearner === true;
  return out;
}

export function memberInfoOf(m: WireMember): MemberInfo {
  return {
    id: memberIdHex(m.ID || '0'),
    name: m.name ?? '',
    peerURLs: m.peerURLs ?? [],
    clientURLs: m.clientURLs ?? [],
    isLearner: m.isLearner === true,
  };
}

/** One entry of etcd's own member list (`etcdctl member list`). */
export interface MemberInfo {
  /** hex member id, as etcdctl prints it and as status reports it */
  id: string;
  /** empty for a member added but not started yet */
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
}

/** Decimal 64-bit id (as the gateway sends it) → hex as etcdctl prints it. */
export function memberIdHex(decimal: string): string {
  return BigInt(decimal).toString(16);
}

/** Compares two decimal 64-bit strings: negative, zero or positive. */
export function compareU64(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** The key just after every key with this prefix (etcdctl's --prefix range_end). */
export function prefixRangeEnd(prefix: string): Buffer {
  const bytes = Buffer.from(prefix, 'utf8');
  for (let i = bytes.length - 1; i >= 0; i--) {
    if (bytes[i]! < 0xff) {
      const end = Buffer.from(bytes.subarray(0, i + 1));
      end[i] = end[i]! + 1;
      return end;
    }
  }
  return Buffer.from([0]);
}

export class EtcdError extends Error {
  constructor(
    message: string,
    readonly endpoint: string,
    readonly latencyMs: number,
  ) {
    super(message);
    this.name = 'EtcdError';
  }
}

/**
 * What kha-drill asks of one etcd member, whatever the transport (`etcd.transport`). Calls throw
 * EtcdError, except status(), which reports failures in its `errors`.
 */
export interface EtcdMember {
  readonly endpoint: string;
  status(options?: EtcdCallOptions): Promise<MemberStatus>;
  memberList(options?: EtcdCallOptions): Promise<MemberInfo[]>;
  put(
    key: string,
    value: string,
    options?: EtcdCallOptions & { lease?: string },
  ): Promise<{ revision: string; latencyMs: number }>;
  leaseGrant(ttlS: number, options?: EtcdCallOptions): Promise<string>;
  leaseKeepAlive(id: string, options?: EtcdCallOptions): Promise<number>;
  leaseRevoke(id: string, options?: EtcdCallOptions): Promise<void>;
  deletePrefix(prefix: string, options?: EtcdCallOptions): Promise<number>;
  countPrefix(prefix: string, options?: EtcdCallOptions): Promise<number>;
  /** frees the connections; the client stays usable (it connects again) */
  close(): void;
}

/** Makes the client of one member (the transport's constructor). */
export type EtcdConnect = (endpoint: string, tls?: TlsMaterial) => EtcdMember;

/** The JSON gateway client: the default transport. */
export const gatewayConnect: EtcdConnect = (endpoint, tls) => new EtcdMemberClient(endpoint, tls);

/** Talks to one etcd member only, through its JSON gateway. */
export class EtcdMemberClient implements EtcdMember {
  readonly endpoint: string;
  private readonly http: KeepAliveHttp;

  constructor(endpoint: string, tls?: TlsMaterial) {
    this.endpoint = endpoint.replace(/\/+$/, '');
    this.http = new KeepAliveHttp(this.endpoint, tls);
  }

  /** `etcdctl endpoint status` for this member. Never throws: failures are in `errors`. */
  async status(options: EtcdCallOptions = {}): Promise<MemberStatus> {
    try {
      const { body, latencyMs } = await this.call('/v3/maintenance/status', {}, options);
      return memberStatusOf(this.endpoint, body as WireStatus, latencyMs);
    } catch (err) {
      const latencyMs = err instanceof EtcdError ? err.latencyMs : 0;
      return { ok: false, endpoint: this.endpoint, errors: [errorMessage(err)], latencyMs };
    }
  }

  /** etcd's own member list as this member knows it; throws EtcdError. */
  async memberList(options: EtcdCallOptions = {}): Promise<MemberInfo[]> {
    const { body } = await this.call('/v3/cluster/member/list', {}, options);
    return ((body as { members?: WireMember[] }).members ?? []).map(memberInfoOf);
  }

  /** Puts one key; resolves with the revision, throws EtcdError. */
  async put(
    key: string,
    value: string,
    options: EtcdCallOptions & { lease?: string } = {},
  ): Promise<{ revision: string; latencyMs: number }> {
    const payload = { key: b64(key), value: b64(value), ...(options.lease ? { lease: options.lease } : {}) };
    const { body, latencyMs } = await this.call('/v3/kv/put', payload, options);
    const header = (body as { header?: { revision?: string } }).header;
    return { revision: header?.revision ?? '0', latencyMs };
  }

  /** Grants a lease of `ttlS` seconds; resolves with its id (decimal, as the gateway sends it). */
  async leaseGrant(ttlS: number, options: EtcdCallOptions = {}): Promise<string> {
    const { body } = await this.call('/v3/lease/grant', { TTL: String(ttlS) }, options);
    const b = body as { ID?: string; error?: string };
    if (!b.ID || b.ID === '0') throw new EtcdError(b.error || 'lease grant returned no id', this.endpoint, 0);
    return b.ID;
  }

  /**
   * One keep-alive of a lease (the gateway turns the stream into one request and one answer);
   * resolves with the TTL left, which is 0 once the lease has expired.
   */
  async leaseKeepAlive(id: string, options: EtcdCallOptions = {}): Promise<number> {
    const { body } = await this.call('/v3/lease/keepalive', { ID: id }, options);
    const r = (body as { result?: { TTL?: string }; error?: { message?: string } }).result;
    if (!r)
      throw new EtcdError(
        `keepalive of lease ${id}: ${JSON.stringify(body).slice(0, 200)}`,
        this.endpoint,
        0,
      );
    return Number(r.TTL ?? 0);
  }

  /** Revokes a lease: etcd deletes every key attached to it. */
  async leaseRevoke(id: string, options: EtcdCallOptions = {}): Promise<void> {
    await this.call('/v3/lease/revoke', { ID: id }, options);
  }

  /** Deletes every key under `prefix`; resolves with how many were deleted. */
  async deletePrefix(prefix: string, options: EtcdCallOptions = {}): Promise<number> {
    const { body } = await this.call(
      '/v3/kv/deleterange',
      { key: b64(prefix), range_end: prefixRangeEnd(prefix).toString('base64') },
      options,
    );
    return Number((body as { deleted?: string }).deleted ?? 0);
  }

  /** Counts the keys under `prefix` (a serializable read of this member). */
  async countPrefix(prefix: string, options: EtcdCallOptions = {}): Promise<number> {
    const { body } = await this.call(
      '/v3/kv/range',
      { key: b64(prefix), range_end: prefixRangeEnd(prefix).toString('base64'), count_only: true },
      options,
    );
    return Number((body as { count?: string }).count ?? 0);
  }

  /** Frees the keep-alive connections. */
  close(): void {
    this.http.close();
  }

  private async call(
    path: string,
    payload: object,
    options: EtcdCallOptions,
  ): Promise<{ body: unknown; latencyMs: number }> {
    let res;
    try {
      res = await this.http.request({
        path,
        method: 'POST',
        body: JSON.stringify(payload),
        timeoutMs: options.timeoutMs ?? 1000,
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (err) {
      throw new EtcdError(errorMessage(err), this.endpoint, (err as { latencyMs?: number }).latencyMs ?? 0);
    }
    let body: unknown;
    try {
      body = JSON.parse(res.body);
    } catch {
      // one line: the gateway's plain-text refusal of certificate users under etcd auth ends in "\n"
      throw new EtcdError(
        `HTTP ${res.status}: ${res.body.slice(0, 200).trim()}`,
        this.endpoint,
        res.latencyMs,
      );
    }
    if (res.status !== 200) {
      const b = body as { error?: string; message?: string };
      throw new EtcdError(b.message ?? b.error ?? `HTTP ${res.status}`, this.endpoint, res.latencyMs);
    }
    return { body, latencyMs: res.latencyMs };
  }
}

/** The members of one cluster, each with its own client, plus failover for writes. */
export class EtcdCluster {
  readonly members: { name: string; client: EtcdMember }[];
  private preferred = 0;

  constructor(
    members: { name: string; endpoint: string }[],
    tls?: TlsMaterial,
    connect: EtcdConnect = gatewayConnect,
  ) {
    this.members = members.map((m) => ({ name: m.name, client: connect(m.endpoint, tls) }));
  }

  /** Status of every member in parallel; a member that fails is a row with its error. */
  statusAll(options: EtcdCallOptions = {}): Promise<(MemberStatus & { name: string })[]> {
    return Promise.all(
      this.members.map(async (m) => ({ name: m.name, ...(await m.client.status(options)) })),
    );
  }

  /**
   * Runs `op` against members in order, starting from the last one that worked (or the one after
   * the last that failed), until one succeeds or the overall deadline passes. Throws the last error.
   */
  async withAnyMember<T>(
    op: (client: EtcdMember, name: string) => Promise<T>,
    deadlineMs: number,
  ): Promise<T> {
    const until = performance.now() + deadlineMs;
    let lastError: unknown = new Error('no etcd members');
    const first = this.preferred;
    for (let i = 0; i < this.members.length; i++) {
      const index = (first + i) % this.members.length;
      const m = this.members[index]!;
      try {
        const result = await op(m.client, m.name);
        this.preferred = index;
        return result;
      } catch (err) {
        lastError = err;
        // a member that swallows requests (partitioned, frozen) can use up the whole deadline:
        // the next call starts from the next member instead of waiting on it again
        if (this.preferred === index) this.preferred = (index + 1) % this.members.length;
      }
      if (performance.now() >= until) break;
    }
    throw lastError;
  }

  close(): void {
    for (const m of this.members) m.client.close();
  }
}

/** One status call to one member endpoint. */
export async function memberStatus(
  endpoint: string,
  options: EtcdCallOptions & { tls?: TlsMaterial; connect?: EtcdConnect } = {},
): Promise<MemberStatus> {
  const client = (options.connect ?? gatewayConnect)(endpoint, options.tls);
  try {
    return await client.status(options);
  } finally {
    client.close();
  }
}
