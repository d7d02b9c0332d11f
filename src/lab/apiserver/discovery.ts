/** Static discovery documents: just enough of /api and /apis for kubectl and client libraries. */
import { createHash } from 'node:crypto';
import { formatWholeSeconds } from '../../kube/microtime.js';

export const GIT_VERSION = 'v1.30.0-kha-lab';

export function versionInfo(): Record<string, string> {
  return {
    major: '1',
    minor: '30',
    gitVersion: GIT_VERSION,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2024-04-17T00:00:00Z',
    goVersion: `node${process.versions.node}`,
    compiler: 'gc',
    platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
  };
}

export function apiVersions(serverAddress: string): Record<string, unknown> {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

const GROUP_VERSION = { groupVersion: 'coordination.k8s.io/v1', version: 'v1' };
const COORDINATION_GROUP = {
  name: 'coordination.k8s.io',
  versions: [GROUP_VERSION],
  preferredVersion: GROUP_VERSION,
};

export function apiGroupList(): Record<string, unknown> {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: [COORDINATION_GROUP] };
}

export function apiGroup(): Record<string, unknown> {
  return { kind: 'APIGroup', apiVersion: 'v1', ...COORDINATION_GROUP };
}

export function coreResources(): Record<string, unknown> {
  return {
    kind: 'APIResourceList',
    groupVersion: 'v1',
    resources: [
      {
        name: 'namespaces',
        singularName: 'namespace',
        namespaced: false,
        kind: 'Namespace',
        verbs: ['get', 'list'],
        shortNames: ['ns'],
      },
    ],
  };
}

export const LEASE_VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];

export function coordinationResources(): Record<string, unknown> {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: 'coordination.k8s.io/v1',
    resources: [
      {
        name: 'leases',
        singularName: 'lease',
        namespaced: true,
        kind: 'Lease',
        verbs: LEASE_VERBS,
        storageVersionHash: 'gqkMMb/YqFM=',
      },
    ],
  };
}

/** The namespaces every kubeadm cluster has; they cannot be created or deleted here. */
export const NAMESPACES = ['default', 'kube-node-lease', 'kube-public', 'kube-system'];

function stableUid(name: string): string {
  const h = createHash('sha1').update(`kha-lab-namespace/${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export interface NamespaceObject {
  kind?: string;
  apiVersion?: string;
  metadata: {
    name: string;
    uid: string;
    resourceVersion: string;
    creationTimestamp: string;
    labels: Record<string, string>;
  };
  spec: { finalizers: string[] };
  status: { phase: string };
}

export function namespaceObject(name: string, createdMs: number, withKind = true): NamespaceObject {
  const o: NamespaceObject = {
    metadata: {
      name,
      uid: stableUid(name),
      resourceVersion: '1',
      creationTimestamp: formatWholeSeconds(createdMs),
      labels: { 'kubernetes.io/metadata.name': name },
    },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
  return withKind ? { kind: 'Namespace', apiVersion: 'v1', ...o } : o;
}
