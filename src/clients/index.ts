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
  type MemberStatus,
} from './etcd.js';
export { etcdClusterFor, etcdTlsFor, kubeClientFor, kubeConnectionFor } from './inventory.js';
export { HttpError, httpRequest, type HttpRequest, type HttpResponse } from './http.js';
export {
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
  KubeconfigError,
  loadKubeconfig,
  parseKubeconfig,
  type KubeConnection,
} from './kubeconfig.js';
export { probeHttp, type ProbeResult } from './probe.js';
export { expandHome, loadTlsFiles, type TlsFilePaths, type TlsMaterial } from './tls.js';
