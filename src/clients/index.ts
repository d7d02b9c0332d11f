/** Clients kha-drill uses to look at a control plane: etcd members, Leases, health endpoints. */
export {
  compareU64,
  EtcdCluster,
  EtcdError,
  EtcdMemberClient,
  memberIdHex,
  memberStatus,
  prefixRangeEnd,
  type EtcdCallOptions,
  type EtcdConnect,
  type EtcdMember,
  type MemberStatus,
} from './etcd.js';
export { EtcdGrpcMemberClient } from './etcd-grpc.js';
export { etcdConnect, type EtcdTransport } from './etcd-transport.js';
export { checkEtcdWriteAccess, etcdUserOf, PROBE_PREFIX } from './etcd-access.js';
export { etcdClusterFor, etcdTlsFor, kubeClientFor, kubeConnectionFor } from './inventory.js';
export { HttpError, httpRequest, type HttpRequest, type HttpResponse } from './http.js';
export {
  kubeAccessError,
  KubeApiError,
  KubeClient,
  type Lease,
  type LeaseList,
  type WatchEnd,
  type WatchEvent,
  type WatchOptions,
} from './kube.js';
export type { LeaseSpec } from '../kube/lease.js';
export {
  defaultKubeconfigPath,
  kubeconfigFiles,
  KubeconfigError,
  loadKubeconfig,
  SERVICEACCOUNT_DIR,
  type KubeConnection,
} from './kubeconfig.js';
export { staticAuth, type KubeAuthenticator, type KubeAuthState } from './kube-auth.js';
export { probeHttp, probeKube, type ProbeResult } from './probe.js';
export { expandHome, loadTlsFiles, type TlsFilePaths, type TlsMaterial } from './tls.js';
