/** Lease storage in etcd with kube-apiserver's registry semantics (create, update, patch, delete, list). */
import { EtcdError, type EtcdClient, type KeyValue } from './etcd.js';
import type { Lease } from '../../kube/lease.js';
import {
  decodeFromStorage,
  decodeLease,
  encodeForStorage,
  prepareForCreate,
  prepareForUpdate,
  storageKey,
  storagePrefix,
  throwIfInvalid,
  withResourceVersion,
} from './lease.js';
import { PatchError, type PatchType, applyPatch } from './patch.js';
import { type FieldRequirement, type LabelRequirement, matchesFields, matchesLabels } from './selectors.js';
import {
  StatusError,
  alreadyExists,
  badRequest,
  conflict,
  failure,
  invalid,
  namespaceNotFound,
  notFound,
  storageError,
} from './status.js';
import { NAMESPACES } from './discovery.js';

/** Runs an etcd call, turning transport failures into the Status kube-apiserver would answer. */
async function storage<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof StatusError) throw e;
    const timeout = e instanceof EtcdError && e.timeout;
    throw new StatusError(storageError((e as Error).message, timeout));
  }
}

function fromKv(kv: KeyValue): Lease {
  return decodeFromStorage(kv.value, kv.modRevision);
}

export interface ListResult {
  items: Lease[];
  resourceVersion: string;
}

export class LeaseStore {
  constructor(
    private readonly etcd: EtcdClient,
    private readonly clock: () => number = () => Date.now(),
  ) {}

  async get(namespace: string, name: string): Promise<Lease> {
    const r = await storage(() => this.etcd.get(storageKey(namespace, name)));
    if (!r.kv) throw new StatusError(notFound(name));
    return fromKv(r.kv);
  }

  async list(
    namespace: string | undefined,
    fields: FieldRequirement[],
    labels: LabelRequirement[],
  ): Promise<ListResult> {
    const r = await storage(() => this.etcd.range(storagePrefix(namespace), { prefix: true }));
    const items = r.kvs
      .map(fromKv)
      .filter(
        (l) =>
          matchesFields(fields, l.metadata.name, l.metadata.namespace) &&
          matchesLabels(labels, l.metadata.labels),
      );
    return { items, resourceVersion: r.revision };
  }

  async create(namespace: string, body: unknown): Promise<Lease> {
    if (!NAMESPACES.includes(namespace)) throw new StatusError(namespaceNotFound(namespace));
    const decoded = decodeLease(body, namespace);
    if (decoded.metadata.resourceVersion) {
      throw new StatusError(badRequest('resourceVersion should not be set on objects to be created'));
    }
    const lease = prepareForCreate(decoded, this.clock());
    throwIfInvalid(lease);
    return this.insert(lease);
  }

  private async insert(lease: Lease): Promise<Lease> {
    const key = storageKey(lease.metadata.namespace, lease.metadata.name);
    const r = await storage(() => this.etcd.create(key, encodeForStorage(lease)));
    if (!r.succeeded) throw new StatusError(alreadyExists(lease.metadata.name));
    return withResourceVersion(lease, r.revision);
  }

  /** PUT: optimistic update; a missing object is created (Lease allows create-on-update). */
  async update(namespace: string, name: string, body: unknown): Promise<{ lease: Lease; created: boolean }> {
    const next = decodeLease(body, namespace);
    if (next.metadata.name !== name) {
      throw new StatusError(
        badRequest(
          `the name of the object (${next.metadata.name}) does not match the name on the URL (${name})`,
        ),
      );
    }
    const key = storageKey(namespace, name);
    const current = await storage(() => this.etcd.get(key));
    if (!current.kv) {
      if (!NAMESPACES.includes(namespace)) throw new StatusError(namespaceNotFound(namespace));
      const lease = prepareForCreate(next, this.clock());
      throwIfInvalid(lease);
      try {
        return { lease: await this.insert(lease), created: true };
      } catch (e) {
        // Someone created it between our read and our write: the update lost a race.
        if (e instanceof StatusError && e.status.reason === 'AlreadyExists')
          throw new StatusError(conflict(name));
        throw e;
      }
    }
    const rv = next.metadata.resourceVersion;
    if (!rv || rv === '0') {
      throw new StatusError(
        invalid(name, [
          { field: 'metadata.resourceVersion', value: '0x0', detail: 'must be specified for an update' },
        ]),
      );
    }
    if (!/^\d+$/.test(rv))
      throw new StatusError(badRequest(`invalid resource version: ${JSON.stringify(rv)}`));
    const old = fromKv(current.kv);
    if (rv !== current.kv.modRevision) throw new StatusError(conflict(name));
    const lease = prepareForUpdate(next, old);
    throwIfInvalid(lease);
    return { lease: await this.write(key, lease, old, rv), created: false };
  }

  /** Writes `lease` if the key is still at `modRevision`; an identical object is not written (no new revision). */
  private async write(key: string, lease: Lease, old: Lease, modRevision: string): Promise<Lease> {
    const value = encodeForStorage(lease);
    if (value === encodeForStorage(old)) return old;
    const r = await storage(() => this.etcd.update(key, value, modRevision));
    if (!r.succeeded) throw new StatusError(conflict(lease.metadata.name));
    return withResourceVersion(lease, r.revision);
  }

  /** PATCH: applied to the current object; retried on a lost race unless the patch pins a resourceVersion. */
  async patch(namespace: string, name: string, type: PatchType, patchBody: unknown): Promise<Lease> {
    const key = storageKey(namespace, name);
    for (let attempt = 0; ; attempt++) {
      const current = await storage(() => this.etcd.get(key));
      if (!current.kv) throw new StatusError(notFound(name));
      const old = fromKv(current.kv);
      let patched: unknown;
      try {
        patched = applyPatch(type, old, patchBody);
      } catch (e) {
        if (e instanceof PatchError) throw new StatusError(failure(422, 'Invalid', e.message));
        throw e;
      }
      const next = decodeLease(patched, namespace);
      if (next.metadata.name !== name) {
        throw new StatusError(
          invalid(name, [
            {
              field: 'metadata.name',
              value: JSON.stringify(next.metadata.name),
              detail: 'field is immutable',
            },
          ]),
        );
      }
      const pinned = next.metadata.resourceVersion;
      if (pinned && pinned !== current.kv.modRevision) throw new StatusError(conflict(name));
      const lease = prepareForUpdate(
        { ...next, metadata: { ...next.metadata, resourceVersion: current.kv.modRevision } },
        old,
      );
      throwIfInvalid(lease);
      try {
        return await this.write(key, lease, old, current.kv.modRevision);
      } catch (e) {
        const retry = e instanceof StatusError && e.status.reason === 'Conflict' && !pinned && attempt < 5;
        if (!retry) throw e;
      }
    }
  }

  async delete(
    namespace: string,
    name: string,
    preconditions: { resourceVersion?: string; uid?: string },
  ): Promise<Lease> {
    const key = storageKey(namespace, name);
    const current = await storage(() => this.etcd.get(key));
    if (!current.kv) throw new StatusError(notFound(name));
    const old = fromKv(current.kv);
    if (preconditions.uid && preconditions.uid !== old.metadata.uid) {
      throw new StatusError(
        conflict(
          name,
          `Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${old.metadata.uid ?? ''}`,
        ),
      );
    }
    if (preconditions.resourceVersion && preconditions.resourceVersion !== current.kv.modRevision) {
      throw new StatusError(
        conflict(
          name,
          `the ResourceVersion in the precondition (${preconditions.resourceVersion}) does not match the ResourceVersion in record (${current.kv.modRevision}). The object might have been modified`,
        ),
      );
    }
    const r = await storage(() => this.etcd.delete(key, current.kv!.modRevision));
    if (!r.succeeded) {
      if (!r.current) throw new StatusError(notFound(name));
      throw new StatusError(conflict(name));
    }
    return old;
  }
}
