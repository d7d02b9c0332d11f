import { describe, expect, it } from 'vitest';
import { originOf, reachOf, tunnelClashes, tunnelEndpoints } from './reach.js';

const master = (n: number, extra: { reach?: 'direct' | 'ssh-tunnel' } = {}) => ({
  name: `m${n}`,
  host: `10.0.0.${n}`,
  nodeName: `m${n}`,
  etcd: `https://10.0.0.${n}:2379`,
  apiserver: `https://10.0.0.${n}:6443`,
  ...extra,
});
type Inv = Parameters<typeof tunnelEndpoints>[0];
const inv = (reach: 'direct' | 'ssh-tunnel', masters: Inv['masters'], via?: string): Inv =>
  ({
    ssh: { reach },
    masters,
    kubernetes: { loadBalancer: 'https://10.0.0.100:6443', ...(via ? { loadBalancerVia: via } : {}) },
  }) as Inv;

describe('originOf', () => {
  it.each([
    ['https://10.0.0.1:2379', '10.0.0.1:2379'],
    ['https://Etcd.Example:2379/', 'etcd.example:2379'],
    ['https://lb.example', 'lb.example:443'],
    ['http://lb.example', 'lb.example:80'],
    ['https://[fd00::1]:2379', 'fd00::1:2379'],
  ])('%s → %s', (url, origin) => expect(originOf(url)).toBe(origin));
});

describe('tunnelEndpoints', () => {
  it('nothing when every master is direct and the load balancer has no via', () => {
    expect(tunnelEndpoints(inv('direct', [master(1), master(2)]))).toEqual([]);
  });

  it('each tunnelled master carries its own etcd and API server, never a peer’s', () => {
    const eps = tunnelEndpoints(inv('ssh-tunnel', [master(1), master(2)]));
    expect(eps.map((e) => [e.via, e.what, e.host, e.port])).toEqual([
      ['m1', 'etcd', '10.0.0.1', 2379],
      ['m1', 'API server', '10.0.0.1', 6443],
      ['m2', 'etcd', '10.0.0.2', 2379],
      ['m2', 'API server', '10.0.0.2', 6443],
    ]);
  });

  it('a master’s own reach wins over ssh.reach, both ways', () => {
    const a = tunnelEndpoints(inv('direct', [master(1), master(2, { reach: 'ssh-tunnel' })]));
    expect(a.map((e) => e.via)).toEqual(['m2', 'm2']);
    const b = tunnelEndpoints(inv('ssh-tunnel', [master(1, { reach: 'direct' }), master(2)]));
    expect(b.map((e) => e.via)).toEqual(['m2', 'm2']);
    expect(reachOf({ ssh: { reach: 'direct' } } as Inv, { reach: 'ssh-tunnel' })).toBe('ssh-tunnel');
  });

  it('the load balancer goes through the master loadBalancerVia names, the URL kept for TLS', () => {
    const eps = tunnelEndpoints(inv('direct', [master(1), master(2)], 'm2'));
    expect(eps).toEqual([
      {
        via: 'm2',
        what: 'load balancer',
        url: 'https://10.0.0.100:6443',
        host: '10.0.0.100',
        port: 6443,
        origin: '10.0.0.100:6443',
      },
    ]);
  });
});

describe('tunnelClashes', () => {
  it('none for distinct addresses', () => {
    expect(tunnelClashes(inv('ssh-tunnel', [master(1), master(2)], 'm1'))).toEqual([]);
  });

  it('every master’s etcd at 127.0.0.1:2379 cannot be routed by address', () => {
    const local = (n: number) => ({ ...master(n), etcd: 'https://127.0.0.1:2379' });
    expect(tunnelClashes(inv('ssh-tunnel', [local(1), local(2)]))).toEqual([
      'masters[m2].etcd and masters[m1].etcd are both 127.0.0.1:2379: with ssh-tunnel each endpoint needs its own host:port (use the address each master has on its network)',
    ]);
    // the same layout reached directly is not this check's business
    expect(tunnelClashes(inv('direct', [local(1), local(2)]))).toEqual([]);
  });
});
