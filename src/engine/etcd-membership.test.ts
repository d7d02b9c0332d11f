import { describe, expect, it } from 'vitest';
import type { MemberInfo } from '../clients/etcd.js';
import { membershipOf, type InventoryMemberStatus } from './etcd-membership.js';

const member = (id: string, name: string, url: string, isLearner = false): MemberInfo => ({
  id,
  name,
  peerURLs: [],
  clientURLs: [url],
  isLearner,
});
const list = [
  member('a1', 'm1', 'https://10.0.0.1:2379'),
  member('b2', 'm2', 'https://10.0.0.2:2379'),
  member('c3', 'm3', 'https://10.0.0.3:2379'),
];
const status = (master: string, ok: boolean, id?: string): InventoryMemberStatus => ({
  master,
  endpoint: `https://10.0.0.${master.slice(1)}:2379/`,
  ok,
  ...(id ? { id } : {}),
});

describe('membershipOf', () => {
  it('counts a member the inventory does not list, probing it', async () => {
    const probed: string[] = [];
    const m = await membershipOf([status('m1', true, 'a1'), status('m2', true, 'b2')], list, async (x) => {
      probed.push(x.name);
      return true;
    });
    expect(m).toEqual({ voters: 3, down: [] });
    expect(probed).toEqual(['m3']);
  });

  it('an unlisted member that does not answer counts as down, named by etcd', async () => {
    const m = await membershipOf(
      [status('m1', true, 'a1'), status('m2', true, 'b2')],
      list,
      async () => false,
    );
    expect(m).toEqual({ voters: 3, down: ['etcd member m3 (c3)'] });
  });

  it('matches a down inventory member by its client URL (it has no id then)', async () => {
    const m = await membershipOf(
      [status('m1', true, 'a1'), status('m2', false), status('m3', true, 'c3')],
      list,
      async () => {
        throw new Error('must not probe members the inventory lists');
      },
    );
    expect(m).toEqual({ voters: 3, down: ['m2'] });
  });

  it('learners do not count towards quorum', async () => {
    const withLearner = [...list, member('d4', 'm4', 'https://10.0.0.4:2379', true)];
    const m = await membershipOf(
      [status('m1', true, 'a1'), status('m2', true, 'b2'), status('m3', true, 'c3')],
      withLearner,
      async () => false,
    );
    expect(m).toEqual({ voters: 3, down: [] });
  });
});
