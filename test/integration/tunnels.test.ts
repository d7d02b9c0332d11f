/**
 * Issue 15, tunnels: with the laptop side allowed nothing but port 22 to the lab's masters and
 * nothing at all to its load balancer (iptables in the kha-laptop namespace's OUTPUT chain, for
 * this lab's subnet only), `status`, `scheduler-failover` and `etcd-leader-partition` work through
 * SSH tunnels to each master itself (the load balancer through master-1); the partitioned master
 * stays visible through its own tunnel. Without the setting, the same restriction stops the run at
 * preflight with exit 3 and nothing injected; a tunnel that cannot open is one line naming the
 * master and port. One lab. Needs root and the built CLI (`npm run build`).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { allActive, kha, startLab, stopLab, unitStates, type Lab } from './lab.js';

const work = mkdtempSync(path.join(tmpdir(), 'kha-tunnels-it-'));
const env = { KHA_STATE_DIR: path.join(work, 'state'), NO_COLOR: '1' };
let lab: Lab;
let chain = '';
let subnet = '';
let tunnelInventory = '';

const iptables = (args: string[]) => execFileSync('iptables', ['-w', ...args], { encoding: 'utf8' });

/** The lab's inventory with `edit` applied, written beside the others. */
function inventoryWith(file: string, edit: (doc: ReturnType<typeof parseDocument>) => void): string {
  const doc = parseDocument(readFileSync(lab.inventory, 'utf8'));
  edit(doc);
  const out = path.join(work, file);
  writeFileSync(out, doc.toString());
  return out;
}

/** Waits until `status` through the tunnels calls the lab healthy (a drill's restore settles). */
async function healthyThroughTunnels(timeoutMs = 90_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  // each check's deadline generous: the shared machine's load, not the tunnels, is under test here
  const status = () => kha(['status', '--timeout', '6s', '-i', tunnelInventory], env, 60_000);
  let r = await status();
  while (r.code !== 0 && Date.now() < until) {
    await new Promise((res) => setTimeout(res, 500));
    r = await status();
  }
  expect(r.code, r.stdout).toBe(0);
}

beforeAll(async () => {
  lab = await startLab();
  subnet = `198.18.${lab.state.options.net}.0/24`;
  chain = `KHA-ONLY22-${lab.name}`.slice(0, 28);
  iptables(['-N', chain]);
  iptables(['-A', chain, '-p', 'tcp', '--dport', '22', '-j', 'ACCEPT']);
  iptables(['-A', chain, '-p', 'tcp', '-j', 'REJECT', '--reject-with', 'tcp-reset']);
  iptables(['-A', chain, '-j', 'REJECT']);
  iptables(['-I', 'OUTPUT', '-d', subnet, '-j', chain]);
  tunnelInventory = inventoryWith('tunnel.yaml', (doc) => {
    doc.setIn(['ssh', 'reach'], 'ssh-tunnel');
    doc.setIn(['kubernetes', 'loadBalancerVia'], 'master-1');
  });
}, 240_000);

afterAll(async () => {
  try {
    if (chain) {
      try {
        iptables(['-D', 'OUTPUT', '-d', subnet, '-j', chain]);
      } finally {
        iptables(['-F', chain]);
        iptables(['-X', chain]);
      }
    }
  } finally {
    await stopLab();
  }
}, 120_000);

describe('SSH tunnels with only port 22 open (lab)', () => {
  it('the restriction holds: the laptop side reaches sshd but neither etcd nor the load balancer', () => {
    const m1 = lab.masters[0]!.address;
    const reach = (host: string, port: number) => {
      try {
        execFileSync('bash', ['-c', `exec 3<>/dev/tcp/${host}/${port}`], { timeout: 5000, stdio: 'ignore' });
        return true;
      } catch {
        return false;
      }
    };
    expect(reach(m1, 22)).toBe(true);
    expect(reach(m1, 2379)).toBe(false);
    expect(reach(m1, 6443)).toBe(false);
    expect(reach(lab.lbIp, 6443)).toBe(false);
  });

  it('status is healthy through the tunnels, the original URLs shown', async () => {
    const r = await kha(['status', '--json', '--timeout', '5s', '-i', tunnelInventory], env, 90_000);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const report = JSON.parse(r.stdout) as { healthy: boolean; etcd: { endpoint: string }[] };
    expect(report.healthy).toBe(true);
    expect(report.etcd.map((e) => e.endpoint).sort()).toEqual(lab.masters.map((m) => m.etcd).sort());
  }, 120_000);

  it('scheduler-failover passes through the tunnels', async () => {
    await healthyThroughTunnels();
    const r = await kha(
      ['run', 'scheduler-failover', '-i', tunnelInventory, '--out', path.join(work, 'reports')],
      env,
      170_000,
    );
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
  }, 240_000);

  it('etcd-leader-partition passes; the partitioned master is polled through its own tunnel all along', async () => {
    await healthyThroughTunnels();
    const r = await kha(
      ['run', 'etcd-leader-partition', '-i', tunnelInventory, '--out', path.join(work, 'reports')],
      env,
      170_000,
    );
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const runDir = /report: (\S+)/.exec(r.stdout)?.[1] as string;
    const events = readFileSync(path.join(runDir, 'timeline.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const fault = events.find((e) => e.kind === 'fault') as { master: string; t: number };
    const restore = events.find(
      (e) => e.kind === 'phase' && e.phase === 'restore' && e.state === 'start',
    ) as {
      t: number;
    };
    expect(fault.master).toBeTruthy();
    const during = (e: Record<string, unknown>) => (e.t as number) >= fault.t && (e.t as number) < restore.t;
    const polls = events.filter((e) => e.kind === 'raft' && e.master === fault.master && during(e));
    // cut from its peers, it still answers kha-drill (without a leader): the tunnel is to itself
    expect(polls.length).toBeGreaterThan(3);
    expect(polls.filter((e) => e.ok === true).length).toBe(polls.length);
    expect(polls.some((e) => e.error === 'etcdserver: no leader')).toBe(true);
    expect(
      events.filter(
        (e) => e.kind === 'blind' && e.subject === fault.master && e.state === 'start' && during(e),
      ),
    ).toEqual([]);
  }, 240_000);

  it('without the tunnel setting the same restriction stops at preflight: exit 3, a hint, nothing injected', async () => {
    await healthyThroughTunnels();
    const r = await kha(
      ['run', 'scheduler-failover', '-i', lab.inventory, '--out', path.join(work, 'reports')],
      env,
      120_000,
    );
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(3);
    expect(r.stderr).toContain('preflight: etcd members not answering');
    expect(r.stderr).toContain('set ssh.reach: ssh-tunnel');
    const runDir = /report: (\S+)/.exec(r.stdout)?.[1] as string;
    const timeline = readFileSync(path.join(runDir, 'timeline.ndjson'), 'utf8');
    expect(timeline).not.toContain('"kind":"fault"');
    expect(unitStates(lab)).toEqual(allActive(lab));
  }, 180_000);

  it('a tunnel that cannot open is one line naming the master and port: exit 3, nothing injected', async () => {
    const bad = inventoryWith('bad-port.yaml', (doc) => {
      doc.setIn(['ssh', 'reach'], 'ssh-tunnel');
      doc.setIn(['masters', 1, 'etcd'], `https://${lab.masters[1]!.address}:2399`);
    });
    const r = await kha(
      ['run', 'scheduler-failover', '-i', bad, '--out', path.join(work, 'reports')],
      env,
      120_000,
    );
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(3);
    const line = r.stderr.split('\n').find((l) => l.startsWith('kha-drill: ')) ?? '';
    expect(line).toMatch(
      /SSH tunnel cannot open: etcd https:\/\/\S+:2399: port 2399 over the SSH connection to master-2: .*Connection refused/,
    );
    const runDir = /report: (\S+)/.exec(r.stdout)?.[1] as string;
    expect(readFileSync(path.join(runDir, 'timeline.ndjson'), 'utf8')).not.toContain('"kind":"fault"');
  }, 180_000);
});
