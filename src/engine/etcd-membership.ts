/**
 * Which etcd members count for quorum: etcd's own member list, matched to the inventory's
 * masters by member id (from each master's status) or by client URL. A voting member that the
 * inventory does not list still counts, and is probed at its own client URL: one that does not
 * answer from here counts as down (the guardrail errs on the side of refusing).
 */
import type { MemberInfo } from '../clients/etcd.js';
import type { EtcdMembership } from './types.js';

export interface InventoryMemberStatus {
  master: string;
  endpoint: string;
  ok: boolean;
  /** hex member id, when it answered */
  id?: string;
}

const normalUrl = (u: string) => u.replace(/\/+$/, '').toLowerCase();

export async function membershipOf(
  inventoryStatus: InventoryMemberStatus[],
  list: MemberInfo[],
  answers: (member: MemberInfo) => Promise<boolean>,
): Promise<EtcdMembership> {
  const voters = list.filter((m) => !m.isLearner);
  const down: string[] = [];
  for (const member of voters) {
    const urls = new Set(member.clientURLs.map(normalUrl));
    const known =
      inventoryStatus.find((s) => s.id !== undefined && s.id === member.id) ??
      inventoryStatus.find((s) => urls.has(normalUrl(s.endpoint)));
    if (known) {
      if (!known.ok) down.push(known.master);
    } else if (!(await answers(member))) {
      down.push(`etcd member ${member.name || '(unstarted)'} (${member.id})`);
    }
  }
  return { voters: voters.length, down };
}
