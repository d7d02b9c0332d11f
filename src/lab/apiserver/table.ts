/** Server-side printing (meta.k8s.io Table), which kubectl asks for by default in `kubectl get`. */
import type { Lease } from '../../kube/lease.js';
import { microTimeToEpochMs } from '../../kube/microtime.js';

/** k8s.io/apimachinery/pkg/util/duration.HumanDuration, as kubectl's AGE column shows it. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.trunc(hours / 24) % 365;
    const y = Math.trunc(hours / 24 / 365);
    return dy === 0 ? `${y}y` : `${y}y${dy}d`;
  }
  return `${Math.trunc(hours / 24 / 365)}y`;
}

export function age(creationTimestamp: string | undefined, now: number): string {
  if (!creationTimestamp) return '<unknown>';
  const t = microTimeToEpochMs(creationTimestamp);
  return Number.isNaN(t) ? '<unknown>' : humanDuration(now - t);
}

export interface TableRequest {
  /** meta.k8s.io/v1 or meta.k8s.io/v1beta1 */
  apiVersion: string;
  /** The media type to answer with. */
  contentType: string;
}

/**
 * Picks a Table rendering when the Accept header asks for one (`application/json;as=Table;v=v1;g=meta.k8s.io`),
 * in the client's order of preference; undefined means plain JSON.
 */
export function negotiateTable(accept: string | undefined): TableRequest | undefined {
  if (!accept) return undefined;
  for (const clause of accept.split(',')) {
    const [type, ...params] = clause.split(';').map((p) => p.trim());
    if (type !== 'application/json' && type !== '*/*') continue;
    const p = Object.fromEntries(
      params.map((kv) => {
        const [k, v = ''] = kv.split('=');
        return [k!.trim(), v.trim()];
      }),
    );
    if (p.as === undefined) return undefined; // plain JSON preferred before any Table
    if (p.as === 'Table' && p.g === 'meta.k8s.io' && (p.v === 'v1' || p.v === 'v1beta1')) {
      return {
        apiVersion: `meta.k8s.io/${p.v}`,
        contentType: `application/json;as=Table;v=${p.v};g=meta.k8s.io`,
      };
    }
  }
  return undefined;
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface ColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

const NAME_COLUMN: ColumnDefinition = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description:
    'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names',
  priority: 0,
};
const AGE_COLUMN: ColumnDefinition = {
  name: 'Age',
  type: 'string',
  format: '',
  description:
    'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata',
  priority: 0,
};

export const LEASE_COLUMNS: ColumnDefinition[] = [
  NAME_COLUMN,
  { name: 'Holder', type: 'string', format: '', description: 'The holder of the lease.', priority: 0 },
  AGE_COLUMN,
];

export const NAMESPACE_COLUMNS: ColumnDefinition[] = [
  NAME_COLUMN,
  { name: 'Status', type: 'string', format: '', description: 'The status of the namespace', priority: 0 },
  AGE_COLUMN,
];

export interface Row {
  cells: (string | number)[];
  object?: unknown;
}

interface ObjectWithMeta {
  kind?: string;
  apiVersion?: string;
  metadata: { name: string; creationTimestamp?: string };
}

function rowObject(obj: ObjectWithMeta, include: IncludeObject, tableApiVersion: string): unknown {
  if (include === 'None') return undefined;
  if (include === 'Object') return obj;
  return { kind: 'PartialObjectMetadata', apiVersion: tableApiVersion, metadata: obj.metadata };
}

export function leaseRow(lease: Lease, now: number, include: IncludeObject, tableApiVersion: string): Row {
  const row: Row = {
    cells: [lease.metadata.name, lease.spec.holderIdentity ?? '', age(lease.metadata.creationTimestamp, now)],
  };
  const o = rowObject(lease, include, tableApiVersion);
  if (o !== undefined) row.object = o;
  return row;
}

export function namespaceRow(
  ns: ObjectWithMeta & { status?: { phase?: string } },
  now: number,
  include: IncludeObject,
  tableApiVersion: string,
): Row {
  const row: Row = {
    cells: [ns.metadata.name, ns.status?.phase ?? '', age(ns.metadata.creationTimestamp, now)],
  };
  const o = rowObject(ns, include, tableApiVersion);
  if (o !== undefined) row.object = o;
  return row;
}

export function table(
  apiVersion: string,
  columns: ColumnDefinition[] | undefined,
  rows: Row[],
  resourceVersion: string | undefined,
): Record<string, unknown> {
  const t: Record<string, unknown> = {
    kind: 'Table',
    apiVersion,
    metadata: resourceVersion ? { resourceVersion } : {},
  };
  t.columnDefinitions = columns ?? null;
  t.rows = rows;
  return t;
}

export function parseIncludeObject(v: string | null): IncludeObject {
  return v === 'None' || v === 'Object' ? v : 'Metadata';
}
