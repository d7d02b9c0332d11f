/**
 * Issue 15: a lab whose masters carry etcd's peer traffic on a separate network (`lab up
 * --peer-net`). `etcd-leader-partition` must cut it (rules from etcd's member list), while rules
 * on the SSH addresses alone leave the cluster untouched; `lab down` removes the peer network.
 * Needs root and the built CLI (`npm run build`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdctl, kha, labSsh, startLab, stopLab, waitHealthy, type Lab } from './lab.js';

const work = mkdtempSync(path.join(tmpdir(), 'kha-peernet-it-'));
const env = { KHA_STATE_DIR: path.join(work, 'state'), NO_COLOR: '1' };
let lab: Lab;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  lab = await startLab({ peerNet: true });
}, 300_000);
afterAll(async () => {
  await stopLab();
}, 120_000);

interface Status {
  Endpoint: string;
  Status: { header: { member_id: string }; leader: string; raftTerm: string };
}
/** etcdctl endpoint status of the given members (or all), 64-bit ids kept as decimal strings */
function endpointStatus(
  endpoints?: string,
): { endpoint: string; id: string; leader: string; term: string }[] {
  const r = etcdctl(lab, [
    'endpoint',
    'status',
    '-w',
    'json',
    ...(endpoints ? [`--endpoints=${endpoints}`] : []),
  ]);
  expect(r.status, r.stderr).toBe(0);
  return (JSON.parse(r.stdout.replace(/":(\d+)/g, '":"$1"')) as Status[]).map((s) => ({
    endpoint: s.Endpoint,
    id: s.Status.header.member_id,
    leader: s.Status.leader,
    term: s.Status.raftTerm,
  }));
}

function ipIn(netns: string, args: string[]): string {
  const r = spawnSync('ip', ['-n', netns, ...args], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

describe('lab up --peer-net: etcd peers on a network of their own (lab)', () => {
  it('gives each master a peer address on its own subnet, no default route, and etcd peers on it', () => {
    const { peerNet, masters } = lab.state;
    expect(peerNet?.subnet).toMatch(/^198\.18\.2(4\d|5[0-5])\.\d+\/28$/);
    for (const m of masters) {
      expect(m.peerAddress).toBeDefined();
      expect(m.peerAddress).not.toBe(m.address);
      expect(ipIn(m.netns, ['-4', '-o', 'addr', 'show', 'dev', 'eth1'])).toContain(`${m.peerAddress}/28`);
      expect(ipIn(m.netns, ['route', 'show', 'default']).trim()).toBe('');
    }
    // the laptop has no leg on the peer network
    const laptop = spawnSync('ip', ['-4', '-o', 'addr', 'show'], { encoding: 'utf8' }).stdout;
    expect(laptop).not.toContain((peerNet?.subnet ?? 'x').split('/')[0]!.replace(/\.\d+$/, '.'));
    // etcd's own member list: peer URLs on the peer network, client URLs on the SSH one
    const list = etcdctl(lab, ['member', 'list', '-w', 'json']);
    const members = (
      JSON.parse(list.stdout) as { members: { name: string; peerURLs: string[]; clientURLs: string[] }[] }
    ).members;
    for (const m of masters) {
      const member = members.find((x) => x.name === m.name);
      expect(member?.peerURLs).toEqual([`https://${m.peerAddress}:2380`]);
      expect(member?.clientURLs).toEqual([`https://${m.address}:2379`]);
    }
  });

  it('rules on the SSH addresses alone do not cut the peer traffic: leader and term stay', async () => {
    const before = endpointStatus();
    const leaderId = before[0]!.leader;
    const leader = lab.state.masters.find(
      (m) => before.find((s) => s.endpoint.includes(`//${m.address}:`))?.id === leaderId,
    );
    expect(leader, JSON.stringify(before)).toBeDefined();
    const others = lab.state.masters.filter((m) => m !== leader).map((m) => m.address);
    const rules = others.flatMap((a) => [`INPUT -s ${a} -j DROP`, `OUTPUT -d ${a} -j DROP`]);
    const cut = labSsh(lab, leader!.name, rules.map((r) => `iptables -w -I ${r}`).join(' && '));
    expect(cut.status, cut.stderr).toBe(0);
    try {
      // several election timeouts (1 s each, randomised to 2 s at most)
      await sleep(6_000);
      const after = endpointStatus();
      expect(after.map((s) => [s.leader, s.term])).toEqual(before.map((s) => [s.leader, s.term]));
    } finally {
      const heal = labSsh(lab, leader!.name, rules.map((r) => `iptables -w -D ${r}`).join(' && '));
      expect(heal.status, heal.stderr).toBe(0);
    }
  }, 60_000);

  it('etcd-leader-partition cuts it: the plan names the member-list peer addresses, the others elect a new leader, restore heals', async () => {
    const ssh = lab.state.masters.map((m) => m.address);
    const peer = lab.state.masters.map((m) => m.peerAddress as string);
    const plan = await kha(['plan', 'etcd-leader-partition', '-i', lab.inventory], env, 60_000);
    expect(plan.code, plan.stderr).toBe(0);
    const line = /peer addresses \(etcd member list, resolved once\): (.*)/.exec(plan.stdout)?.[1] ?? '';
    for (const m of lab.state.masters) expect(line).toContain(`${m.name} ${m.peerAddress}`);
    // the inject cuts the other masters' peer addresses, which are not their SSH addresses
    const inject = /on master-\d \([\d.]+\): (iptables .*)/.exec(plan.stdout)?.[1] ?? '';
    const cutAddresses = [...inject.matchAll(/-[sd] ([\d.]+) /g)].map((m) => m[1]);
    expect(cutAddresses.some((a) => peer.includes(a!) && !ssh.includes(a!))).toBe(true);

    const r = await kha(
      ['run', 'etcd-leader-partition', '-i', lab.inventory, '--out', path.join(work, 'reports')],
      env,
      170_000,
    );
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const runDir = /report: (\S+)/.exec(r.stdout)?.[1] as string;
    const report = JSON.parse(readFileSync(path.join(runDir, 'report.json'), 'utf8')) as {
      faults: { master: string; tFault: number }[];
      targets: Record<string, string[]>;
    };
    const victim = report.targets['etcd-leader']?.[0] as string;
    const tFault = report.faults[0]!.tFault;
    const raft = readFileSync(path.join(runDir, 'timeline.ndjson'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map(
        (l) =>
          JSON.parse(l) as {
            kind: string;
            t: number;
            master?: string;
            memberId?: string;
            leader?: string;
            error?: string;
            ok?: boolean;
          },
      )
      .filter((e) => e.kind === 'raft' && e.ok && e.t > tFault);
    const victimId = raft.find((e) => e.master === victim)?.memberId;
    expect(victimId).toBeDefined();
    // the partitioned member lost its leader …
    expect(raft.some((e) => e.master === victim && /no leader/.test(e.error ?? ''))).toBe(true);
    // … and the others elected a new one among themselves
    expect(raft.some((e) => e.master !== victim && e.leader && e.leader !== victimId)).toBe(true);
    // the report lists the rules on the peer addresses
    const injected = readFileSync(path.join(runDir, 'report.json'), 'utf8');
    for (const a of peer.filter((_, i) => lab.state.masters[i]!.name !== victim))
      expect(injected).toContain(`-s ${a} `);
    // restore healed it: one leader, every member agreeing, no rule left on the victim
    expect((await waitHealthy(lab, env, 90_000)).code).toBe(0);
    const after = endpointStatus();
    expect(new Set(after.map((s) => s.leader)).size).toBe(1);
    const left = labSsh(lab, victim, 'iptables -w -S | grep -c kha-drill || true');
    expect(left.stdout.trim()).toBe('0');
  }, 240_000);
});

describe('lab down', () => {
  it('removes the peer network with the rest', async () => {
    const ns = lab.state.peerNet?.switchNetns as string;
    expect(existsSync(`/run/netns/${ns}`)).toBe(true);
    const down = await stopLab();
    expect(down.every((d) => d.code === 0)).toBe(true);
    expect(existsSync(`/run/netns/${ns}`)).toBe(false);
    for (const m of lab.state.masters) expect(existsSync(`/run/netns/${m.netns}`)).toBe(false);
  }, 120_000);
});
