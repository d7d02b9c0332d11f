/** The slice of coordination.k8s.io/v1 Lease the candidates read and write. */

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
  preferredHolder?: string;
  strategy?: string;
}

export interface LeaseMetadata {
  name: string;
  namespace: string;
  resourceVersion?: string;
  uid?: string;
  creationTimestamp?: string;
  // Other server-set fields are carried back unchanged on update.
  [field: string]: unknown;
}

export interface Lease {
  apiVersion: string;
  kind: string;
  metadata: LeaseMetadata;
  spec: LeaseSpec;
}

/** client-go's LeaderElectionRecord, times as MicroTime strings. */
export interface LeaderElectionRecord {
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTime: string;
  renewTime: string;
  leaderTransitions: number;
}

export function leaseSpecToRecord(spec: LeaseSpec): LeaderElectionRecord {
  return {
    holderIdentity: spec.holderIdentity ?? '',
    leaseDurationSeconds: spec.leaseDurationSeconds ?? 0,
    acquireTime: spec.acquireTime ?? '',
    renewTime: spec.renewTime ?? '',
    leaderTransitions: spec.leaseTransitions ?? 0,
  };
}

/** client-go writes every field, the holder even when empty (a released lease has `holderIdentity: ""`). */
export function recordToLeaseSpec(record: LeaderElectionRecord): LeaseSpec {
  return {
    holderIdentity: record.holderIdentity,
    leaseDurationSeconds: record.leaseDurationSeconds,
    acquireTime: record.acquireTime,
    renewTime: record.renewTime,
    leaseTransitions: record.leaderTransitions,
  };
}

export function leasePath(namespace: string, name?: string): string {
  const base = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;
  return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
}

/** A failed API call: `status` is the HTTP code, 0 when no response arrived (refused, reset, timeout). */
export class LeaseApiError extends Error {
  readonly status: number;
  readonly reason: string;
  constructor(status: number, reason: string, message: string) {
    super(message);
    this.name = 'LeaseApiError';
    this.status = status;
    this.reason = reason;
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof LeaseApiError && err.status === 404;
}

export interface RequestOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Transport to the Lease REST API (HTTP in production, in-memory in pure tests). */
export interface LeaseApi {
  get(namespace: string, name: string, opts: RequestOptions): Promise<Lease>;
  create(namespace: string, lease: Lease, opts: RequestOptions): Promise<Lease>;
  update(namespace: string, name: string, lease: Lease, opts: RequestOptions): Promise<Lease>;
}
