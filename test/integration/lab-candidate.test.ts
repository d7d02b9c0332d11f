/**
 * The kube-scheduler / kube-controller-manager stand-ins as processes (dist/lab/candidate/main.js):
 * first against the in-memory fake Lease server (flags, signals, exit codes), then against their
 * own etcd + lab apiserver on 127.0.10.211, checked with the real kubectl.
 * Needs `npm run build` (dist/lab/candidate and dist/lab/apiserver) and the Debian etcd binary.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { FakeLeaseServer } from '../../src/lab/candidate/testing/fake-lease-server.js';
import type { TruthEntry } from '../../src/lab/candidate/truth-log.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CANDIDATE = path.join(ROOT, 'dist/lab/candidate/main.js');
const APISERVER = path.join(ROOT, 'dist/lab/apiserver/main.js');
const IP = process.env.KHA_TEST_CANDIDATE_IP ?? '127.0.10.211';
const DIR = '/tmp/kha-dev-candidate';
const SERVER = `http://${IP}:6443`;
const IDENTITY = /^master-[1-3]_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MICRO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

interface Proc {
  name: string;
  child: ChildProcess;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: () => string;
}

const started: Proc[] = [];

function launch(name: string, argv: string[], logFile?: string): Proc {
  const child = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const sink = logFile ? fs.createWriteStream(logFile, { flags: 'a' }) : undefined;
  const keep = (b: Buffer) => {
    out = (out + b.toString('utf8')).slice(-20_000);
    sink?.write(b);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      sink?.end();
      resolve({ code, signal });
    }),
  );
  const p = { name, child, exit, output: () => out };
  started.push(p);
  return p;
}

/** Stops what this file started, by its own handles (never by name). */
async function stopAll(): Promise<void> {
  const left = started.splice(0).reverse();
  for (const p of left) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await Promise.all(left.map((p) => p.exit));
}

function candidate(
  nodeName: string,
  server: string,
  truthDir: string,
  opts: { component?: string; extra?: string[]; timings?: string[] } = {},
): Proc {
  const component = opts.component ?? 'kube-scheduler';
  const argv = [
    process.execPath,
    CANDIDATE,
    '--component',
    component,
    '--node-name',
    nodeName,
    '--server',
    server,
    ...(opts.timings ?? ['--lease-duration', '4s', '--renew-deadline', '3s', '--retry-period', '1s']),
    '--truth-log',
    path.join(truthDir, `${nodeName}.${component}.truth.jsonl`),
    ...(opts.extra ?? []),
  ];
  return launch(`${nodeName}/${component}`, argv, path.join(truthDir, `${nodeName}.${component}.log`));
}

function truth(truthDir: string, nodeName: string, component = 'kube-scheduler'): TruthEntry[] {
  const file = path.join(truthDir, `${nodeName}.${component}.truth.jsonl`);
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as TruthEntry);
}

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  ms: number,
): Promise<T> {
  const t0 = performance.now();
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (performance.now() - t0 > ms) throw new Error(`timed out after ${ms}ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const micros = (ts: string): number => Date.parse(ts) + Number(ts.slice(23, 26)) / 1000;

// ---------------------------------------------------------------------------------------------
describe('candidate process against the fake Lease server', () => {
  let fake: FakeLeaseServer;
  const dir = path.join(DIR, 'fake');

  beforeAll(async () => {
    expect(fs.existsSync(CANDIDATE), `${CANDIDATE} missing: run npm run build`).toBe(true);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    fake = await FakeLeaseServer.start('127.0.0.1');
  });
  afterEach(stopAll);
  afterAll(async () => {
    await stopAll();
    await fake?.close();
  });

  it('rejects timings that client-go rejects, exit 1', () => {
    let status = 0;
    let stderr = '';
    try {
      execFileSync(
        process.execPath,
        [
          CANDIDATE,
          '--component',
          'kube-scheduler',
          '--node-name',
          'm',
          '--server',
          fake.url,
          '--lease-duration',
          '3s',
          '--renew-deadline',
          '3s',
        ],
        { stdio: 'pipe' },
      );
    } catch (e) {
      const err = e as { status: number; stderr: Buffer };
      status = err.status;
      stderr = err.stderr.toString();
    }
    expect(status).toBe(1);
    expect(stderr).toMatch(/leaseDuration must be greater than renewDeadline/);
  });

  it('SIGTERM: the scheduler releases and exits 0; the controller-manager just exits 0', async () => {
    const s = candidate('master-1', fake.url, dir);
    await waitFor(
      'scheduler to lead',
      () => (truth(dir, 'master-1').some((l) => l.event === 'acquired') ? true : undefined),
      5_000,
    );
    s.child.kill('SIGTERM');
    expect(await s.exit).toEqual({ code: 0, signal: null });
    expect(
      truth(dir, 'master-1')
        .map((l) => l.event)
        .slice(-2),
    ).toEqual(['released', 'stopped']);
    expect(fake.lease('kube-system', 'kube-scheduler')?.spec).toMatchObject({
      holderIdentity: '',
      leaseDurationSeconds: 1,
    });

    const k = candidate('master-1', fake.url, dir, { component: 'kube-controller-manager' });
    await waitFor(
      'kcm to lead',
      () =>
        truth(dir, 'master-1', 'kube-controller-manager').some((l) => l.event === 'acquired')
          ? true
          : undefined,
      5_000,
    );
    k.child.kill('SIGTERM');
    expect(await k.exit).toEqual({ code: 0, signal: null });
    expect(fake.lease('kube-system', 'kube-controller-manager')?.spec.holderIdentity).toMatch(/^master-1_/);
  });

  it('exits 1 when no renew succeeds within renewDeadline', async () => {
    const s = candidate('master-2', fake.url, dir, { component: 'kube-controller-manager' });
    await waitFor(
      'kcm to lead',
      () =>
        truth(dir, 'master-2', 'kube-controller-manager').some((l) => l.event === 'acquired')
          ? true
          : undefined,
      8_000,
    );
    fake.mode = 'hang';
    const t0 = performance.now();
    expect(await s.exit).toEqual({ code: 1, signal: null });
    expect(performance.now() - t0).toBeLessThan(3_000 + 1_000 + 2_000);
    fake.mode = 'serve';
    expect(
      truth(dir, 'master-2', 'kube-controller-manager')
        .map((l) => l.event)
        .slice(-2),
    ).toEqual(['lost', 'stopped']);
  });
});

// ---------------------------------------------------------------------------------------------
describe('three candidates on etcd + the lab apiserver, read with kubectl', () => {
  const dir = path.join(DIR, 'lab');
  let etcd: Proc;
  let apiserver: Proc;

  async function leaseSpec(name = 'kube-scheduler'): Promise<Record<string, unknown> | undefined> {
    const res = await fetch(
      `${SERVER}/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/${name}`,
    ).catch(() => undefined);
    if (!res || res.status !== 200) return undefined;
    return ((await res.json()) as { spec: Record<string, unknown> }).spec;
  }

  function kubectlLease(name = 'kube-scheduler'): {
    spec: Record<string, unknown>;
    metadata: Record<string, unknown>;
  } {
    const text = execFileSync(
      'kubectl',
      ['--server', SERVER, 'get', 'lease', name, '-n', 'kube-system', '-o', 'yaml'],
      {
        encoding: 'utf8',
        env: { ...process.env, KUBECONFIG: '/dev/null' },
      },
    );
    return parseYaml(text) as { spec: Record<string, unknown>; metadata: Record<string, unknown> };
  }

  beforeAll(async () => {
    expect(fs.existsSync(CANDIDATE), `${CANDIDATE} missing: run npm run build`).toBe(true);
    expect(fs.existsSync(APISERVER), `${APISERVER} missing: the lab apiserver is not built`).toBe(true);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const client = `http://${IP}:2379`;
    const peer = `http://${IP}:2380`;
    etcd = launch(
      'etcd',
      [
        'etcd',
        '--name',
        'dev',
        '--data-dir',
        path.join(dir, 'etcd'),
        '--listen-client-urls',
        client,
        '--advertise-client-urls',
        client,
        '--listen-peer-urls',
        peer,
        '--initial-advertise-peer-urls',
        peer,
        '--initial-cluster',
        `dev=${peer}`,
        '--logger=zap',
        '--log-outputs=stderr',
      ],
      path.join(dir, 'etcd.log'),
    );
    await waitFor(
      'etcd health',
      async () => {
        if (etcd.child.exitCode !== null) throw new Error(`etcd exited: ${etcd.output()}`);
        const r = await fetch(`${client}/health`).catch(() => undefined);
        return r?.status === 200 ? true : undefined;
      },
      20_000,
    );
    apiserver = launch(
      'apiserver',
      [process.execPath, APISERVER, '--name', 'dev', '--listen', `${IP}:6443`, '--etcd', client],
      path.join(dir, 'apiserver.log'),
    );
    await waitFor(
      'apiserver readyz',
      async () => {
        if (apiserver.child.exitCode !== null) throw new Error(`apiserver exited: ${apiserver.output()}`);
        const r = await fetch(`${SERVER}/readyz`).catch(() => undefined);
        return r?.status === 200 ? true : undefined;
      },
      20_000,
    );
  });

  afterAll(stopAll);

  it('one holder <nodeName>_<uuid>; release fails over in about a retry period, a crash in about leaseDuration', async () => {
    const procs = new Map<string, Proc>();
    for (const m of ['master-1', 'master-2', 'master-3']) procs.set(m, candidate(m, SERVER, dir));
    const identities = async () => {
      const out = new Map<string, string>();
      for (const m of procs.keys()) {
        const first = truth(dir, m)[0];
        if (first) out.set(first.identity, m);
      }
      return out;
    };

    const firstHolder = await waitFor(
      'a holder',
      async () => ((await leaseSpec())?.holderIdentity as string) || undefined,
      10_000,
    );
    expect(firstHolder).toMatch(IDENTITY);
    const lease = kubectlLease();
    expect(lease.spec.holderIdentity).toBe(firstHolder);
    expect(lease.spec.leaseDurationSeconds).toBe(4);
    expect(String(lease.spec.renewTime)).toMatch(MICRO);
    expect(String(lease.spec.acquireTime)).toMatch(MICRO);

    // Exactly one leads for a while.
    for (let i = 0; i < 5; i++) {
      await sleep(500);
      expect((await leaseSpec())?.holderIdentity).toBe(firstHolder);
    }
    const byIdentity = await identities();
    const leader1 = byIdentity.get(firstHolder) as string;
    const acquiredBy = [...procs.keys()].filter((m) => truth(dir, m).some((l) => l.event === 'acquired'));
    expect(acquiredBy).toEqual([leader1]);

    // Graceful stop of the scheduler: release, standby takes it at its next try.
    const t0 = performance.now();
    procs.get(leader1)?.child.kill('SIGTERM');
    const secondHolder = await waitFor(
      'takeover after release',
      async () => {
        const h = (await leaseSpec())?.holderIdentity as string | undefined;
        return h && h !== firstHolder ? h : undefined;
      },
      8_000,
    );
    const releaseTakeover = performance.now() - t0;
    expect(await procs.get(leader1)?.exit).toEqual({ code: 0, signal: null });
    const released = truth(dir, leader1).find((l) => l.event === 'released');
    const leader2 = (await identities()).get(secondHolder) as string;
    // the candidate logs `acquired` only after its PUT returned: the API may show it first
    const acquired2 = await waitFor(
      'acquired in the truth log',
      () => truth(dir, leader2).find((l) => l.event === 'acquired'),
      3_000,
    );
    expect(released && acquired2).toBeTruthy();
    const releaseGapMs = micros(acquired2?.ts ?? '') - micros(released?.ts ?? '');
    expect(releaseGapMs).toBeGreaterThanOrEqual(0);
    expect(releaseGapMs).toBeLessThan(2.2 * 1_000 + 800);
    expect(kubectlLease().spec).toMatchObject({ holderIdentity: secondHolder, leaseTransitions: 1 });

    // Crash (SIGKILL): nobody releases; the last standby waits for its own observation to expire.
    await sleep(1_500);
    const t1 = performance.now();
    procs.get(leader2)?.child.kill('SIGKILL');
    await procs.get(leader2)?.exit;
    const thirdHolder = await waitFor(
      'takeover after SIGKILL',
      async () => {
        const h = (await leaseSpec())?.holderIdentity as string | undefined;
        return h && h !== secondHolder ? h : undefined;
      },
      15_000,
    );
    const killTakeover = performance.now() - t1;
    const leader3 = (await identities()).get(thirdHolder) as string;
    expect(leader3).not.toBe(leader1);
    expect(leader3).not.toBe(leader2);
    const lastRenew = truth(dir, leader2)
      .filter((l) => l.event === 'renewed' || l.event === 'acquired')
      .at(-1);
    const acquired3 = await waitFor(
      'acquired in the truth log',
      () => truth(dir, leader3).find((l) => l.event === 'acquired'),
      3_000,
    );
    const killGapMs = micros(acquired3?.ts ?? '') - micros(lastRenew?.ts ?? '');
    // leaseDuration 4 s from the standby's sight of the last renewal, then up to a jittered retry
    expect(killGapMs).toBeGreaterThan(4_000 - 1_000);
    expect(killGapMs).toBeLessThan(4_000 + 2 * 2.2 * 1_000 + 1_000);
    expect(kubectlLease().spec).toMatchObject({ holderIdentity: thirdHolder, leaseTransitions: 2 });

    console.log(
      `[lab-candidate] takeover after release: ${releaseTakeover.toFixed(0)} ms (truth log released→acquired ${releaseGapMs.toFixed(0)} ms); ` +
        `after SIGKILL: ${killTakeover.toFixed(0)} ms (truth log last renew→acquired ${killGapMs.toFixed(0)} ms)`,
    );
  });

  it('kube-controller-manager keeps the lease on SIGTERM: the standby waits for expiry', async () => {
    const a = candidate('master-1', SERVER, dir, { component: 'kube-controller-manager' });
    const aId = await waitFor(
      'kcm master-1 to lead',
      () => truth(dir, 'master-1', 'kube-controller-manager').find((l) => l.event === 'acquired')?.identity,
      10_000,
    );
    const b = candidate('master-2', SERVER, dir, { component: 'kube-controller-manager' });
    await sleep(1_500);
    const t0 = performance.now();
    a.child.kill('SIGTERM');
    expect(await a.exit).toEqual({ code: 0, signal: null });
    expect(kubectlLease('kube-controller-manager').spec.holderIdentity).toBe(aId);
    const bId = await waitFor(
      'kcm master-2 to take over',
      async () => {
        const h = (await leaseSpec('kube-controller-manager'))?.holderIdentity as string | undefined;
        return h && h !== aId ? h : undefined;
      },
      15_000,
    );
    expect(bId).toMatch(/^master-2_/);
    expect(performance.now() - t0).toBeGreaterThan(4_000 - 1_000 - 300);
    b.child.kill('SIGTERM');
    expect(await b.exit).toEqual({ code: 0, signal: null });
  });
});
