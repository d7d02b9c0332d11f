/**
 * What the candidates do with a Lease: client-go's LeaderElectionRecord and the Lease API they call.
 * Objects are sent back as the server returned them, so server-set fields survive an update.
 */
import type { Lease, LeaseSpec } from '../../kube/lease.js';

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

export function isConflict(err: unknown): boolean {
  return err instanceof LeaseApiError && err.status === 409;
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
