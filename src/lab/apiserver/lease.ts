/** The Lease object: decoding request bodies, server-set fields, validation and the etcd encoding. */
import { randomUUID } from 'node:crypto';
import { LEASE_API_VERSION, type Lease, type LeaseMetadata, type LeaseSpec } from '../../kube/lease.js';
import { MicroTimeError, formatWholeSeconds, normalizeMicroTime } from '../../kube/microtime.js';
import { type FieldError, StatusError, badRequest, invalid } from './status.js';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function cannotHandle(why: string): StatusError {
  return new StatusError(badRequest(`Lease in version "v1" cannot be handled as a Lease: ${why}`));
}

function stringMap(v: unknown, field: string): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isRecord(v))
    throw cannotHandle(`json: cannot unmarshal into Go struct field ObjectMeta.metadata.${field}`);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'string') {
      throw cannotHandle(
        `json: cannot unmarshal ${typeof val} into Go struct field ObjectMeta.metadata.${field} of type string`,
      );
    }
    out[k] = val;
  }
  return out;
}

function optString(v: unknown, field: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') {
    throw cannotHandle(`json: cannot unmarshal ${typeof v} into Go struct field ${field} of type string`);
  }
  return v;
}

function optInt(v: unknown, field: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || Math.abs(v) > 2 ** 31) {
    throw cannotHandle(`json: cannot unmarshal ${typeof v} into Go struct field ${field} of type int32`);
  }
  return v;
}

function optMicroTime(v: unknown, field: string): string | undefined {
  const s = optString(v, field);
  if (s === undefined) return undefined;
  try {
    return normalizeMicroTime(s);
  } catch (e) {
    if (e instanceof MicroTimeError) throw cannotHandle(e.message);
    throw e;
  }
}

/**
 * Decodes a request body into a Lease, keeping only the fields Lease has (unknown fields are dropped,
 * as kube-apiserver does) and normalising MicroTime fields to six fractional digits.
 */
export function decodeLease(body: unknown, urlNamespace: string | undefined): Lease {
  if (!isRecord(body)) throw cannotHandle('the body is not a JSON object');
  if (body.kind !== undefined && body.kind !== 'Lease') {
    throw new StatusError(
      badRequest(
        `the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${LEASE_API_VERSION})`,
      ),
    );
  }
  if (body.apiVersion !== undefined && body.apiVersion !== LEASE_API_VERSION) {
    throw new StatusError(
      badRequest(
        `the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${LEASE_API_VERSION})`,
      ),
    );
  }
  const m = body.metadata === undefined || body.metadata === null ? {} : body.metadata;
  const s = body.spec === undefined || body.spec === null ? {} : body.spec;
  if (!isRecord(m))
    throw cannotHandle('json: cannot unmarshal into Go struct field Lease.metadata of type v1.ObjectMeta');
  if (!isRecord(s))
    throw cannotHandle('json: cannot unmarshal into Go struct field Lease.spec of type v1.LeaseSpec');

  const ns = optString(m.namespace, 'ObjectMeta.metadata.namespace');
  if (ns && urlNamespace && ns !== urlNamespace) {
    throw new StatusError(
      badRequest('the namespace of the provided object does not match the namespace sent on the request'),
    );
  }
  const metadata: LeaseMetadata = {
    name: optString(m.name, 'ObjectMeta.metadata.name') ?? '',
    namespace: urlNamespace ?? ns ?? '',
  };
  const generateName = optString(m.generateName, 'ObjectMeta.metadata.generateName');
  if (generateName) metadata.generateName = generateName;
  const uid = optString(m.uid, 'ObjectMeta.metadata.uid');
  if (uid) metadata.uid = uid;
  const rv = optString(m.resourceVersion, 'ObjectMeta.metadata.resourceVersion');
  if (rv) metadata.resourceVersion = rv;
  const labels = stringMap(m.labels, 'labels');
  if (labels && Object.keys(labels).length > 0) metadata.labels = labels;
  const annotations = stringMap(m.annotations, 'annotations');
  if (annotations && Object.keys(annotations).length > 0) metadata.annotations = annotations;
  if (Array.isArray(m.ownerReferences) && m.ownerReferences.length > 0)
    metadata.ownerReferences = m.ownerReferences;

  const spec: LeaseSpec = {};
  const holder = optString(s.holderIdentity, 'LeaseSpec.spec.holderIdentity');
  if (holder !== undefined) spec.holderIdentity = holder;
  const duration = optInt(s.leaseDurationSeconds, 'LeaseSpec.spec.leaseDurationSeconds');
  if (duration !== undefined) spec.leaseDurationSeconds = duration;
  const acquire = optMicroTime(s.acquireTime, 'LeaseSpec.spec.acquireTime');
  if (acquire !== undefined) spec.acquireTime = acquire;
  const renew = optMicroTime(s.renewTime, 'LeaseSpec.spec.renewTime');
  if (renew !== undefined) spec.renewTime = renew;
  const transitions = optInt(s.leaseTransitions, 'LeaseSpec.spec.leaseTransitions');
  if (transitions !== undefined) spec.leaseTransitions = transitions;
  const preferred = optString(s.preferredHolder, 'LeaseSpec.spec.preferredHolder');
  if (preferred !== undefined) spec.preferredHolder = preferred;
  const strategy = optString(s.strategy, 'LeaseSpec.spec.strategy');
  if (strategy !== undefined) spec.strategy = strategy;
  return { kind: 'Lease', apiVersion: LEASE_API_VERSION, metadata, spec };
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Lease validation (pkg/apis/coordination/validation) plus ObjectMeta name rules. */
export function validateLease(lease: Lease): FieldError[] {
  const errs: FieldError[] = [];
  const name = lease.metadata.name;
  if (!name) {
    errs.push({ field: 'metadata.name', detail: 'name or generateName is required' });
  } else if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
    errs.push({
      field: 'metadata.name',
      value: JSON.stringify(name),
      detail:
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    });
  }
  const d = lease.spec.leaseDurationSeconds;
  if (d !== undefined && d <= 0) {
    errs.push({ field: 'spec.leaseDurationSeconds', value: String(d), detail: 'must be greater than 0' });
  }
  const t = lease.spec.leaseTransitions;
  if (t !== undefined && t < 0) {
    errs.push({
      field: 'spec.leaseTransitions',
      value: String(t),
      detail: 'must be greater than or equal to 0',
    });
  }
  return errs;
}

export function throwIfInvalid(lease: Lease): void {
  const errs = validateLease(lease);
  if (errs.length > 0) throw new StatusError(invalid(lease.metadata.name, errs));
}

/** Server-set fields of a newly created object. */
export function prepareForCreate(lease: Lease, now: number, random: () => string = randomSuffix): Lease {
  const metadata: LeaseMetadata = { ...lease.metadata };
  if (!metadata.name && metadata.generateName) metadata.name = metadata.generateName + random();
  metadata.uid = randomUUID();
  metadata.creationTimestamp = formatWholeSeconds(now);
  delete metadata.resourceVersion;
  return { ...lease, metadata: orderMetadata(metadata) };
}

/** An update keeps the identity fields of the stored object (uid, creationTimestamp). */
export function prepareForUpdate(next: Lease, old: Lease): Lease {
  const metadata: LeaseMetadata = { ...next.metadata };
  metadata.uid = old.metadata.uid;
  metadata.creationTimestamp = old.metadata.creationTimestamp;
  if (old.metadata.generateName && !metadata.generateName) metadata.generateName = old.metadata.generateName;
  return { ...next, metadata: orderMetadata(metadata) };
}

const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';
function randomSuffix(): string {
  let s = '';
  for (let i = 0; i < 5; i++) s += ALPHANUMS[Math.floor(Math.random() * ALPHANUMS.length)];
  return s;
}

/** Upstream field order, so that JSON output reads like kube-apiserver's. */
function orderMetadata(m: LeaseMetadata): LeaseMetadata {
  const out: LeaseMetadata = { name: m.name, namespace: m.namespace };
  if (m.generateName) out.generateName = m.generateName;
  if (m.uid) out.uid = m.uid;
  if (m.resourceVersion) out.resourceVersion = m.resourceVersion;
  if (m.generation !== undefined) out.generation = m.generation;
  if (m.creationTimestamp) out.creationTimestamp = m.creationTimestamp;
  if (m.labels) out.labels = m.labels;
  if (m.annotations) out.annotations = m.annotations;
  if (m.ownerReferences) out.ownerReferences = m.ownerReferences;
  return out;
}

function orderSpec(s: LeaseSpec): LeaseSpec {
  const out: LeaseSpec = {};
  for (const k of [
    'holderIdentity',
    'leaseDurationSeconds',
    'acquireTime',
    'renewTime',
    'leaseTransitions',
    'strategy',
    'preferredHolder',
  ] as const) {
    if (s[k] !== undefined) (out as Record<string, unknown>)[k] = s[k];
  }
  return out;
}

/** etcd value: the object without its resourceVersion (that is the key's mod_revision). */
export function encodeForStorage(lease: Lease): string {
  const metadata = orderMetadata({ ...lease.metadata });
  delete metadata.resourceVersion;
  return JSON.stringify({
    kind: 'Lease',
    apiVersion: LEASE_API_VERSION,
    metadata,
    spec: orderSpec(lease.spec),
  });
}

export function decodeFromStorage(value: string, modRevision: string): Lease {
  const raw = JSON.parse(value) as Lease;
  const metadata = orderMetadata({ ...raw.metadata, resourceVersion: modRevision });
  return { kind: 'Lease', apiVersion: LEASE_API_VERSION, metadata, spec: orderSpec(raw.spec ?? {}) };
}

export function storageKey(namespace: string, name: string): string {
  return `/registry/leases/${namespace}/${name}`;
}

export function storagePrefix(namespace?: string): string {
  return namespace ? `/registry/leases/${namespace}/` : '/registry/leases/';
}

/** The namespace and name encoded in a storage key. */
export function parseStorageKey(key: string): { namespace: string; name: string } | undefined {
  const m = /^\/registry\/leases\/([^/]+)\/([^/]+)$/.exec(key);
  return m ? { namespace: m[1]!, name: m[2]! } : undefined;
}

export function withResourceVersion(lease: Lease, resourceVersion: string): Lease {
  return { ...lease, metadata: orderMetadata({ ...lease.metadata, resourceVersion }) };
}
