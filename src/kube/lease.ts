/**
 * coordination.k8s.io/v1 Lease as the wire carries it: the lab API server stores it, the lab's
 * candidates write it, kha-drill's clients read it.
 */

export const LEASE_API_VERSION = 'coordination.k8s.io/v1';

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  /** MicroTime strings, exactly as the API returned them */
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
  preferredHolder?: string;
  strategy?: string;
}

/** The slice of ObjectMeta a Lease uses. */
export interface LeaseMetadata {
  name: string;
  generateName?: string;
  namespace: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: unknown[];
}

/** A whole Lease object, as the API server returns it from a GET. */
export interface Lease {
  kind: 'Lease';
  apiVersion: typeof LEASE_API_VERSION;
  metadata: LeaseMetadata;
  spec: LeaseSpec;
}

/** The REST path of a namespace's Leases (all namespaces' without one), or of one Lease. */
export function leasePath(namespace?: string, name?: string): string {
  const ns = namespace === undefined ? '' : `/namespaces/${encodeURIComponent(namespace)}`;
  return `/apis/${LEASE_API_VERSION}${ns}/leases${name === undefined ? '' : `/${encodeURIComponent(name)}`}`;
}

/** The master whose nodeName prefixes a holder identity (client-go's `<hostname>_<uuid>`), if any. */
export function masterOfHolder(
  holder: string | null | undefined,
  masters: readonly { name: string; nodeName: string }[],
): string | null {
  if (!holder) return null;
  return masters.find((m) => holder.startsWith(`${m.nodeName}_`))?.name ?? null;
}

/**
 * The host part of a client-go holder identity `<hostname>_<uuid>` (the uuid has no `_`), or
 * null for an identity of another shape.
 */
export function holderHost(holder: string | null | undefined): string | null {
  if (!holder) return null;
  const cut = holder.lastIndexOf('_');
  return cut > 0 ? holder.slice(0, cut) : null;
}

/**
 * Whether two holder identities run on the same machine: the same master when the inventory
 * maps both (by nodeName), else the same host part. A restart gets a new uuid, not a new host.
 */
export function sameMachine(
  a: { holder: string | null; master: string | null },
  b: { holder: string | null; master: string | null },
): boolean {
  if (!a.holder || !b.holder) return false;
  if (a.holder === b.holder) return true;
  if (a.master !== null || b.master !== null) return a.master === b.master;
  const host = holderHost(a.holder);
  return host !== null && host === holderHost(b.holder);
}
