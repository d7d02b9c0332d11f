import { describe, expect, it } from 'vitest';
import { describePeers, hostOfUrl, peerHostsOf, resolvePeerHosts } from './peers.js';

const members = [
  {
    id: 'a1',
    name: 'm1',
    peerURLs: ['https://198.18.60.11:2380'],
    clientURLs: ['https://127.0.0.1:2379', 'https://198.18.55.11:2379'],
    isLearner: false,
  },
  {
    id: 'b2',
    name: 'm2',
    peerURLs: ['https://[fd00:55::12]:2380'],
    clientURLs: ['https://m2.example:2379'],
    isLearner: false,
  },
];

describe('peer addresses from the member list', () => {
  it.each([
    ['https://198.18.60.11:2380', '198.18.60.11'],
    ['https://[fd00:55::12]:2380', 'fd00:55::12'],
    ['http://etcd-1.example:2380', 'etcd-1.example'],
  ])('host of %s', (url, host) => expect(hostOfUrl(url)).toBe(host));

  it('matches masters to members by the id their status reported, leaving loopback out', () => {
    expect(
      peerHostsOf(
        [
          { master: 'master-2', id: 'b2' },
          { master: 'master-1', id: 'a1' },
        ],
        members,
      ),
    ).toEqual({ 'master-2': ['fd00:55::12', 'm2.example'], 'master-1': ['198.18.60.11', '198.18.55.11'] });
  });

  it('refuses a master whose member did not answer, naming it', () => {
    expect(() => peerHostsOf([{ master: 'master-3', error: 'timeout' }], members)).toThrow(
      /master-3's peer addresses: its etcd member did not answer \(timeout\)/,
    );
  });

  it('refuses a member id missing from the list', () => {
    expect(() => peerHostsOf([{ master: 'master-1', id: 'ff' }], members)).toThrow(
      /ff is not in the member list/,
    );
  });

  it('resolves each name once and keeps IP literals, without duplicates', async () => {
    const asked: string[] = [];
    const out = await resolvePeerHosts(
      { 'master-2': ['fd00:55::12', 'm2.example'], 'master-1': ['198.18.60.11'] },
      async (name) => {
        asked.push(name);
        return ['fd00:55::12', '198.18.55.12'];
      },
    );
    expect(asked).toEqual(['m2.example']);
    expect(out).toEqual({ 'master-2': ['fd00:55::12', '198.18.55.12'], 'master-1': ['198.18.60.11'] });
    expect(describePeers(out)).toBe('master-2 fd00:55::12 198.18.55.12, master-1 198.18.60.11');
  });

  it('a name that does not resolve is one error naming master and name', async () => {
    await expect(
      resolvePeerHosts({ 'master-1': ['nowhere.invalid'] }, () => Promise.reject(new Error('ENOTFOUND'))),
    ).rejects.toThrow("cannot resolve master-1's peer address nowhere.invalid: ENOTFOUND");
  });
});
