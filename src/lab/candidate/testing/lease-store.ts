import { randomUUID } from 'node:crypto';
import type { Lease } from '../../../kube/lease.js';
import { LeaseApiError, type LeaseApi, type RequestOptions } from '../lease.js';

/**
 * In-memory Leases with the API server's concurrency rules: resourceVersion from one global
 * counter, stale resourceVersion → 409 Conflict, PUT without one → 422, missing → 404.
 */
export class LeaseStore {
  private readonly leases = new Map<string, Lease>();
  private revision = 0;

  get(namespace: string, name: string): Lease {
    const lease = this.leases.get(`${namespace}/${name}`);
    if (!lease) throw notFound(name);
    return structuredClone(lease);
  }

  create(namespace: string, lease: Lease): Lease {
    const name = lease.metadata.name;
    if (this.leases.has(`${namespace}/${name}`)) {
      throw new LeaseApiError(409, 'AlreadyExists', `leases.coordination.k8s.io "${name}" already exists`);
    }
    return this.store(namespace, name, lease, randomUUID(), new Date());
  }

  update(namespace: string, name: string, lease: Lease): Lease {
    const current = this.leases.get(`${namespace}/${name}`);
    if (!current) return this.create(namespace, { ...lease, metadata: { ...lease.metadata, name } });
    const rv = lease.metadata.resourceVersion;
    if (!rv) {
      throw new LeaseApiError(
        422,
        'Invalid',
        `Lease.coordination.k8s.io "${name}" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update`,
      );
    }
    if (rv !== current.metadata.resourceVersion) {
      throw new LeaseApiError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on leases.coordination.k8s.io "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      );
    }
    return this.store(
      namespace,
      name,
      lease,
      current.metadata.uid ?? randomUUID(),
      new Date(current.metadata.creationTimestamp ?? Date.now()),
    );
  }

  /** Test helper: overwrite a Lease's spec as some other writer would. */
  put(namespace: string, name: string, spec: Lease['spec']): Lease {
    const current = this.leases.get(`${namespace}/${name}`);
    const base: Lease = current ?? {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name, namespace },
      spec: {},
    };
    return this.store(namespace, name, { ...base, spec }, base.metadata.uid ?? randomUUID(), new Date());
  }

  private store(namespace: string, name: string, lease: Lease, uid: string, created: Date): Lease {
    this.revision += 1;
    const stored: Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name,
        namespace,
        uid,
        resourceVersion: String(this.revision),
        creationTimestamp: `${created.toISOString().slice(0, 19)}Z`,
      },
      spec: structuredClone(lease.spec ?? {}),
    };
    this.leases.set(`${namespace}/${name}`, stored);
    return structuredClone(stored);
  }
}

function notFound(name: string): LeaseApiError {
  return new LeaseApiError(404, 'NotFound', `leases.coordination.k8s.io "${name}" not found`);
}

/** A LeaseApi straight on a store, for pure-logic tests; `fail` makes every call throw. */
export class MemoryLeaseApi implements LeaseApi {
  fail: LeaseApiError | undefined;
  calls: string[] = [];
  /** Runs before an update reaches the store (to let another writer race in). */
  beforeUpdate: (() => void) | undefined;
  /** The next update reaches the store, then its caller gets this error (an answer lost on the way). */
  loseNextUpdateResponse: Error | undefined;

  constructor(readonly store: LeaseStore) {}

  async get(namespace: string, name: string, _opts: RequestOptions): Promise<Lease> {
    this.calls.push('GET');
    this.check();
    return this.store.get(namespace, name);
  }

  async create(namespace: string, lease: Lease, _opts: RequestOptions): Promise<Lease> {
    this.calls.push('POST');
    this.check();
    return this.store.create(namespace, lease);
  }

  async update(namespace: string, name: string, lease: Lease, _opts: RequestOptions): Promise<Lease> {
    this.calls.push('PUT');
    this.check();
    const hook = this.beforeUpdate;
    this.beforeUpdate = undefined;
    hook?.();
    const stored = this.store.update(namespace, name, lease);
    const lost = this.loseNextUpdateResponse;
    this.loseNextUpdateResponse = undefined;
    if (lost) throw lost;
    return stored;
  }

  private check(): void {
    if (this.fail) throw this.fail;
  }
}
