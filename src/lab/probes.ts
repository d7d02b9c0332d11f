/** Read-only looks at the lab's components, shared by `lab up` (readiness) and `lab status`. */
import { request, type ClientTls } from './http.js';

export interface EtcdMemberStatus {
  ok: boolean;
  memberId?: string;
  leader?: string;
  isLeader: boolean;
  raftTerm?: string;
  raftIndex?: string;
  error?: string;
}

/** One member's /v3/maintenance/status through etcd's gRPC gateway (ids as decimal strings). */
export async function etcdStatus(endpoint: string, tls: ClientTls | undefined): Promise<EtcdMemberStatus> {
  try {
    const res = await request(`${endpoint}/v3/maintenance/status`, {
      method: 'POST',
      body: '{}',
      tls,
      timeoutMs: 1_500,
    });
    if (res.status !== 200)
      return { ok: false, isLeader: false, error: `HTTP ${res.status} ${res.body.trim()}` };
    const s = JSON.parse(res.body) as {
      header?: { member_id?: string };
      leader?: string;
      raftTerm?: string;
      raftIndex?: string;
      errors?: string[];
    };
    const memberId = s.header?.member_id;
    const leader = s.leader && s.leader !== '0' ? s.leader : undefined;
    const result: EtcdMemberStatus = {
      ok: leader !== undefined && !s.errors?.length,
      isLeader: leader !== undefined && leader === memberId,
    };
    if (memberId) result.memberId = memberId;
    if (leader) result.leader = leader;
    if (s.raftTerm) result.raftTerm = s.raftTerm;
    if (s.raftIndex) result.raftIndex = s.raftIndex;
    if (s.errors?.length) result.error = s.errors.join('; ');
    else if (!leader) result.error = 'no leader';
    return result;
  } catch (err) {
    return { ok: false, isLeader: false, error: (err as Error).message };
  }
}

/** GET <url>/readyz → ok or the reason it is not. */
export async function readyz(
  baseUrl: string,
  tls: ClientTls | undefined,
): Promise<{ ok: boolean; detail: string }> {
  try {
    const res = await request(`${baseUrl}/readyz`, { tls, timeoutMs: 1_500 });
    return {
      ok: res.status === 200,
      detail: res.status === 200 ? 'ok' : `HTTP ${res.status} ${res.body.trim().slice(0, 200)}`,
    };
  } catch (err) {
    return { ok: false, detail: (err as Error).message };
  }
}

export interface LeaseHolder {
  name: string;
  holder?: string;
  transitions?: number;
  renewTime?: string;
  error?: string;
}

export async function leaseHolder(
  server: string,
  name: string,
  tls: ClientTls | undefined,
): Promise<LeaseHolder> {
  try {
    const res = await request(`${server}/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/${name}`, {
      tls,
      timeoutMs: 1_500,
    });
    if (res.status !== 200) return { name, error: `HTTP ${res.status}` };
    const lease = JSON.parse(res.body) as {
      spec?: { holderIdentity?: string; leaseTransitions?: number; renewTime?: string };
    };
    const out: LeaseHolder = { name };
    if (lease.spec?.holderIdentity) out.holder = lease.spec.holderIdentity;
    if (lease.spec?.leaseTransitions !== undefined) out.transitions = lease.spec.leaseTransitions;
    if (lease.spec?.renewTime) out.renewTime = lease.spec.renewTime;
    return out;
  } catch (err) {
    return { name, error: (err as Error).message };
  }
}

export const LEASES = ['kube-scheduler', 'kube-controller-manager'] as const;
