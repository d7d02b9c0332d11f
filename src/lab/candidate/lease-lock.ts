import type { Lease } from '../../kube/lease.js';
import { formatWholeSeconds, microTimeToEpochMs } from '../../kube/microtime.js';
import {
  leaseSpecToRecord,
  recordToLeaseSpec,
  type LeaderElectionRecord,
  type LeaseApi,
  type RequestOptions,
} from './lease.js';

/**
 * client-go's resourcelock.LeaseLock: remembers the last Lease object the server returned and
 * updates that object (its resourceVersion makes a racing writer get 409 Conflict).
 */
export class LeaseLock {
  private lease: Lease | undefined;

  constructor(
    private readonly api: LeaseApi,
    readonly namespace: string,
    readonly name: string,
    readonly identity: string,
  ) {}

  describe(): string {
    return `${this.namespace}/${this.name}`;
  }

  /** resourceVersion of the last object seen (GET, create or update response). */
  resourceVersion(): string | null {
    return this.lease?.metadata.resourceVersion ?? null;
  }

  async get(opts: RequestOptions): Promise<{ record: LeaderElectionRecord; raw: string }> {
    const lease = await this.api.get(this.namespace, this.name, opts);
    this.lease = lease;
    const record = leaseSpecToRecord(lease.spec ?? {});
    return { record, raw: rawRecord(record) };
  }

  async create(record: LeaderElectionRecord, opts: RequestOptions): Promise<void> {
    this.lease = await this.api.create(
      this.namespace,
      {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: this.name, namespace: this.namespace },
        spec: recordToLeaseSpec(record),
      },
      opts,
    );
  }

  async update(record: LeaderElectionRecord, opts: RequestOptions): Promise<void> {
    if (!this.lease) throw new Error('lease not initialized, call get or create first');
    const body: Lease = {
      ...this.lease,
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      spec: recordToLeaseSpec(record),
    };
    this.lease = await this.api.update(this.namespace, this.name, body, opts);
  }
}

/**
 * The bytes client-go compares to decide whether the record changed: its JSON form, where
 * metav1.Time marshals to whole seconds (sub-second renewTime differences do not count).
 */
export function rawRecord(r: LeaderElectionRecord): string {
  return JSON.stringify([
    r.holderIdentity,
    r.leaseDurationSeconds,
    asTime(r.acquireTime),
    asTime(r.renewTime),
    r.leaderTransitions,
  ]);
}

/** A time as metav1.Time marshals it: to the whole second (text that is no time stays as it is). */
function asTime(time: string): string {
  const ms = microTimeToEpochMs(time);
  return Number.isNaN(ms) ? time : formatWholeSeconds(ms);
}
