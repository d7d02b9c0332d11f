/**
 * `lab up --etcd-auth`: etcd's RBAC switched on as a careful operator would, and kha-drill given
 * the least it needs on both sides. etcd takes a client certificate's CN as the user (gRPC only),
 * so every certificate the lab's components and tools present is made an etcd user first:
 * `root`, the API servers' `kube-apiserver-etcd-client` and the admin `kubernetes-admin` (the
 * laptop's etcdctl) and each master's own certificate (etcdctl in a master's shell), all with the
 * `root` role; then `kha-drill` with a role that may read and write only the write probe's prefix;
 * then `auth enable`. On the Kubernetes side the user `kha-drill` (same CN, same lab CA) gets
 * only the Role of examples/rbac-lease-reader.yaml: get, list and watch Leases in kube-system.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { LabError } from './errors.js';
import { labEnv } from './files.js';
import { etcdUrl, type LabHost } from './layout.js';
import { onLaptop } from './laptop.js';
import type { Progress } from './progress.js';
import { allApiserversReady, kubectl } from './ready.js';
import type { LabState } from './state.js';

/** The etcd user, etcd role and Kubernetes user kha-drill runs as in such a lab. */
export const KHA_DRILL_USER = 'kha-drill';
/** The write probe's prefix (src/clients/etcd-access.ts PROBE_PREFIX): all the role may touch. */
export const PROBE_PREFIX = '/kha-drill/probe/';
/** The Role and RoleBinding's name, as in examples/rbac-lease-reader.yaml. */
export const LEASE_READER = 'kha-drill-lease-reader';

/** etcdctl's arguments, in order, that turn auth on with everything the lab uses kept working. */
export function etcdAuthCommands(masters: readonly Pick<LabHost, 'name'>[]): string[][] {
  const rootUsers = ['root', 'kube-apiserver-etcd-client', 'kubernetes-admin', ...masters.map((m) => m.name)];
  return [
    ...rootUsers.flatMap((u) => [
      ['user', 'add', u, '--no-password'],
      ['user', 'grant-role', u, 'root'],
    ]),
    ['role', 'add', KHA_DRILL_USER],
    ['role', 'grant-permission', KHA_DRILL_USER, 'readwrite', PROBE_PREFIX, '--prefix'],
    ['user', 'add', KHA_DRILL_USER, '--no-password'],
    ['user', 'grant-role', KHA_DRILL_USER, KHA_DRILL_USER],
    ['auth', 'enable'],
  ];
}

/** The Lease-only Role of examples/rbac-lease-reader.yaml, bound to the user kha-drill. */
export function leaseReaderRbac(): string {
  return `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: ${LEASE_READER}
  namespace: kube-system
rules:
  - apiGroups: [coordination.k8s.io]
    resources: [leases]
    verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: ${LEASE_READER}
  namespace: kube-system
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: ${LEASE_READER}
subjects:
  - kind: User
    name: ${KHA_DRILL_USER}
    apiGroup: rbac.authorization.k8s.io
`;
}

/** Runs after the lab is ready: etcd auth on, the API servers ready again, the Role applied. */
export async function enableEtcdAuth(state: LabState, progress: Progress): Promise<void> {
  const etcdctl = state.binaries ? `${state.binaries.etcd}/etcdctl` : 'etcdctl';
  const env = {
    ...process.env,
    ...labEnv(state),
    ETCDCTL_ENDPOINTS: etcdUrl(state.masters[0]!.address),
  };
  for (const args of etcdAuthCommands(state.masters)) {
    const r = await onLaptop([etcdctl, ...args], { env, timeout: 20_000 });
    if (r.exitCode !== 0)
      throw new LabError(
        `--etcd-auth: etcdctl ${args.join(' ')} failed (exit ${r.exitCode}): ${
          String(r.stderr ?? '')
            .trim()
            .split('\n')[0]
        }`,
        4,
      );
  }
  // the API servers must still reach etcd as their certificate's user: /readyz checks it
  await allApiserversReady(state, 60_000);
  const file = path.join(state.options.dir, 'rbac-kha-drill.yaml');
  writeFileSync(file, leaseReaderRbac());
  // a write through an API server into the auth-enabled etcd
  const applied = await kubectl(state, ['apply', '-f', file], 30_000);
  if (applied.exitCode !== 0)
    throw new LabError(
      `--etcd-auth: kubectl apply -f ${file} failed: ${
        String(applied.stderr ?? '')
          .trim()
          .split('\n')[0]
      }`,
      4,
    );
  progress.line(
    `etcd auth enabled: users root, kube-apiserver-etcd-client, kubernetes-admin, ${state.masters.map((m) => m.name).join(', ')} with role root; ${KHA_DRILL_USER} with readwrite on ${PROBE_PREFIX} only; Kubernetes user ${KHA_DRILL_USER} may only get/list/watch Leases in kube-system`,
  );
}
