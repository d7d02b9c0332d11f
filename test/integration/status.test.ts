/**
 * `kha-drill status` on the lab, checked against tools nobody here wrote: etcdctl (endpoint
 * status -w json and -w table), kubectl (get lease -o yaml), and the masters' systemctl over
 * real SSH. Needs `npm run build` and the lab's Debian packages (see lab-up.test.ts).
 */
import { spawn, spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { StatusReport } from '../../src/status/report.js';
import { CLI, kha, labSsh, ROOT, startLab, stopLab, type Lab } from './lab.js';

function run(cmd: string, args: string[], env: Record<string, string> = {}) {
  return spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 20_000 });
}

/** etcdctl with the lab's TLS variables but our own --endpoints (ETCDCTL_ENDPOINTS would clash). */
function etcdctl(lab: Lab, args: string[]) {
  const { ETCDCTL_ENDPOINTS: _omit, ...env } = lab.env;
  const clean = { ...process.env, ...env } as Record<string, string>;
  delete clean.ETCDCTL_ENDPOINTS;
  return spawnSync(
    lab.etcdctl,
    [`--endpoints=${lab.masters.map((m) => m.etcd).join(',')}`, '--command-timeout=2s', ...args],
    {
      encoding: 'utf8',
      env: clean,
      timeout: 20_000,
    },
  );
}

interface EtcdctlStatus {
  endpoint: string;
  /** hex, from the exact decimal text */
  id: string;
  leader: string;
  raftTerm: string;
}

/**
 * `etcdctl endpoint status -w json`: ids are JSON numbers above 2^53, which JSON.parse would
 * round, so every long integer is quoted before parsing and converted with BigInt.
 */
function etcdctlJson(lab: Lab): EtcdctlStatus[] {
  const r = etcdctl(lab, ['endpoint', 'status', '-w', 'json']);
  expect(r.status, r.stderr).toBe(0);
  const quoted = r.stdout.replace(/([:[,]\s*)(\d{16,})(?=\s*[,}\]])/g, '$1"$2"');
  const doc = JSON.parse(quoted) as {
    Endpoint: string;
    Status: { header: { member_id: string | number }; leader: string | number; raftTerm: string | number };
  }[];
  return doc.map((e) => ({
    endpoint: e.Endpoint,
    id: BigInt(e.Status.header.member_id).toString(16),
    leader: BigInt(e.Status.leader).toString(16),
    raftTerm: String(e.Status.raftTerm),
  }));
}

/** The ID column of rows whose IS LEADER is true, from `-w table` (columns found by header: 3.6 added some). */
function etcdctlTableLeader(lab: Lab): string[] {
  const r = etcdctl(lab, ['endpoint', 'status', '-w', 'table']);
  const cells = (l: string) => l.split('|').map((s) => s.trim());
  const lines = r.stdout.split('\n');
  const header = cells(lines.find((l) => /\|\s*ENDPOINT\s*\|/.test(l)) ?? '');
  const id = header.indexOf('ID');
  const leader = header.indexOf('IS LEADER');
  expect(id, r.stdout).toBeGreaterThan(0);
  expect(leader, r.stdout).toBeGreaterThan(0);
  return lines
    .filter((l) => /^\| https?:/.test(l))
    .map(cells)
    .filter((c) => c[leader] === 'true')
    .map((c) => c[id] as string);
}

async function statusJson(
  lab: Lab,
  extra: string[] = [],
): Promise<{ code: number; report: StatusReport; ms: number }> {
  const started = performance.now();
  const r = await kha(['status', '-i', lab.inventory, '--json', ...extra]);
  const ms = performance.now() - started;
  expect(r.stderr).toBe('');
  return { code: r.code, report: JSON.parse(r.stdout) as StatusReport, ms };
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(300);
  }
}

/** Waits until status says healthy (the lab after start, or after a fault was undone). */
function waitHealthy(lab: Lab): Promise<StatusReport> {
  return waitFor('status healthy', 30_000, async () => {
    const { code, report } = await statusJson(lab);
    return code === 0 && report.healthy ? report : undefined;
  });
}

function systemctl(lab: Lab, master: string, args: string): void {
  const r = labSsh(lab, master, `systemctl ${args}`);
  expect(r.status, `${master}: systemctl ${args}: ${r.stderr}`).toBe(0);
}

describe('kha-drill status on the lab', () => {
  let lab: Lab;

  beforeAll(async () => {
    lab = await startLab();
    await waitHealthy(lab);
  });
  afterAll(async () => {
    await stopLab();
  });

  it('prints the three tables and `healthy`, exit 0', async () => {
    const r = await kha(['status', '-i', lab.inventory]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^etcd members\n\+-/);
    expect(r.stdout).toContain('| MASTER   | ENDPOINT');
    expect(r.stdout).toContain('Leases (read via load-balancer)');
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('healthy');
  });

  it('agrees with etcdctl endpoint status: same ids, same leader, same term', async () => {
    const { report } = await statusJson(lab);
    const truth = etcdctlJson(lab);
    expect(report.etcd.map((e) => e.endpoint)).toEqual(truth.map((t) => t.endpoint));
    expect(report.etcd.map((e) => e.id)).toEqual(truth.map((t) => t.id));
    const leaders = report.etcd.filter((e) => e.isLeader).map((e) => e.id);
    expect(leaders).toHaveLength(1);
    expect(new Set(truth.map((t) => t.leader))).toEqual(new Set(leaders));
    expect(etcdctlTableLeader(lab)).toEqual(leaders);
    expect(report.etcd.map((e) => e.raftTerm)).toEqual(truth.map((t) => t.raftTerm));
    // 64-bit values are strings in the JSON document
    expect(typeof report.etcd[0]?.raftIndex).toBe('string');
  });

  it('agrees with kubectl get lease -o yaml on holders and transitions', async () => {
    const { report } = await statusJson(lab, ['--lease', 'kube-system/kube-scheduler']);
    expect(report.leases.map((l) => l.lease)).toEqual([
      'kube-system/kube-scheduler',
      'kube-system/kube-controller-manager',
    ]);
    for (const row of report.leases) {
      const [ns, name] = row.lease.split('/') as [string, string];
      const r = run(lab.kubectl, [
        '--kubeconfig',
        lab.kubeconfig,
        'get',
        'lease',
        name,
        '-n',
        ns,
        '-o',
        'yaml',
      ]);
      expect(r.status, r.stderr).toBe(0);
      const lease = parseYaml(r.stdout) as { spec: { holderIdentity: string; leaseTransitions?: number } };
      expect(row.holder).toBe(lease.spec.holderIdentity);
      expect(row.transitions).toBe(lease.spec.leaseTransitions ?? 0);
      expect(row.master).toBe(lease.spec.holderIdentity.split('_')[0]);
      expect(row.source).toBe('load-balancer');
      expect(row.stale).toBe(false);
    }
  });

  it('one API server stopped: its row unhealthy, the load balancer row healthy', async () => {
    const victim = 'master-3';
    // a graceful stop waits up to --request-timeout (60 s) for open watches: begin it, then end
    // the process, so the unit is stopped at once and systemd does not start it again
    systemctl(lab, victim, 'stop --no-block kube-apiserver && systemctl kill -s KILL kube-apiserver');
    try {
      const seen = await waitFor('master-3 down behind a healthy load balancer', 15_000, async () => {
        const { code, report } = await statusJson(lab);
        const row = report.api.find((a) => a.target === victim);
        const lb = report.api.find((a) => a.target === 'load-balancer');
        return row && !row.readyz.ok && lb?.healthz.ok && lb.readyz.ok ? { code, report } : undefined;
      });
      expect(seen.code).toBe(3);
      expect(seen.report.healthy).toBe(false);
      expect(seen.report.problems).toContain(`kube-apiserver ${victim} unreachable`);
      expect(seen.report.problems.some((p) => p.startsWith('load balancer'))).toBe(false);
      for (const other of ['master-1', 'master-2'])
        expect(seen.report.api.find((a) => a.target === other)?.readyz.ok).toBe(true);
      const text = await kha(['status', '-i', lab.inventory]);
      expect(text.code).toBe(3);
      expect(text.stdout.trimEnd().split('\n').at(-1)).toMatch(
        /^not healthy: .*kube-apiserver master-3 unreachable/,
      );
    } finally {
      systemctl(lab, victim, 'start kube-apiserver');
    }
    await waitHealthy(lab);
  });

  it('one etcd member SIGKILLed: status answers within the deadline and names it', async () => {
    const victim = 'master-2';
    // systemd restarts it 5 s later (Restart=on-failure, RestartSec=5): status answers before that
    systemctl(lab, victim, 'kill -s KILL etcd');
    try {
      // --no-switches: what is timed is the etcd and API checks' deadline, not the SSH listing
      // of the dead-man's switches (bounded on its own by max(--timeout, 5 s), safety3.test.ts)
      const { code, report, ms } = await statusJson(lab, ['--no-switches']);
      expect(ms).toBeLessThan(5_000);
      expect(code).toBe(3);
      const row = report.etcd.find((e) => e.master === victim);
      expect(row?.ok).toBe(false);
      expect(row?.errors.length).toBeGreaterThan(0);
      expect(report.problems).toContain(`etcd ${victim} unreachable`);
      // the others still answer, with one leader
      expect(report.etcd.filter((e) => e.ok)).toHaveLength(2);
    } finally {
      systemctl(lab, victim, 'start etcd');
    }
    await waitHealthy(lab);
  });

  it('one etcd member frozen (SIGSTOP): its row times out, the command still answers in time', async () => {
    const victim = 'master-1';
    systemctl(lab, victim, 'kill -s STOP etcd');
    try {
      const { code, report, ms } = await statusJson(lab, ['--timeout', '1s', '--no-switches']);
      expect(ms).toBeLessThan(5_000);
      expect(code).toBe(3);
      expect(report.etcd.find((e) => e.master === victim)?.errors).toEqual(['no answer within 1000 ms']);
      expect(report.problems).toContain(`etcd ${victim} unreachable`);
    } finally {
      systemctl(lab, victim, 'kill -s CONT etcd');
    }
    await waitHealthy(lab);
  });

  it('--watch prints plain repeated blocks when not a TTY and stops on Ctrl-C (SIGINT)', async () => {
    const child = spawn(process.execPath, [CLI, 'status', '-i', lab.inventory, '--watch', '500ms'], {
      cwd: ROOT,
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    await waitFor('two refreshes', 15_000, async () =>
      (out.match(/^--- /gm) ?? []).length >= 2 ? true : undefined,
    );
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(0);
    expect(out).not.toContain('\x1b[2J');
    expect(out.match(/^healthy$/gm)?.length).toBeGreaterThanOrEqual(2);
  });

  // last in this lab: nothing restarts HAProxy (lab down copes with it gone)
  it('load balancer down: Leases read from a master API server, and it says so', async () => {
    // the lab's own HAProxy, started by this file's lab up (its pid is in lab.json)
    process.kill(lab.state.pids.haproxy as number, 'SIGKILL');
    const { code, report } = await waitFor('the load balancer gone', 10_000, async () => {
      const r = await statusJson(lab);
      return r.report.api.find((a) => a.target === 'load-balancer')?.healthz.ok ? undefined : r;
    });
    expect(code).toBe(3);
    expect(report.problems).toEqual(['load balancer unreachable']);
    expect(report.leases.every((l) => l.source === 'master-1' && l.holder)).toBe(true);
    expect(report.notes[0]).toMatch(/^Leases read from master-1's API server: the load balancer failed/);
    const text = await kha(['status', '-i', lab.inventory]);
    expect(text.stdout).toContain('Leases (read via master-1)');
    expect(text.stdout).toMatch(/^note: Leases read from master-1's API server/m);
  });
});

describe('kha-drill status on a second lab', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab();
  });
  afterAll(async () => {
    await stopLab();
  });

  it('is healthy over HTTPS with client certificates and agrees with etcdctl on the leader', async () => {
    const report = await waitHealthy(lab);
    expect(report.etcd.every((e) => e.endpoint.startsWith('https://'))).toBe(true);
    expect(report.api.every((a) => a.url.startsWith('https://'))).toBe(true);
    const truth = etcdctlJson(lab);
    expect(report.etcd.filter((e) => e.isLeader).map((e) => e.id)).toEqual([truth[0]?.leader]);
    expect(report.leases.every((l) => l.holder && l.master)).toBe(true);
  });
});
