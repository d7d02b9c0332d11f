/**
 * The lab apiserver against a real etcd, checked with plain HTTP and with the machine's kubectl.
 * Starts its own single-member etcd and one apiserver on KHA_TEST_APISERVER_IP (default 127.0.10.201,
 * the apiserver developer's address), ports from KHA_TEST_APISERVER_PORT_BASE (default 22379: etcd
 * client, +1 peer, +4064 = 26443 apiserver). Everything started here is stopped in afterAll, by PID.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const IP = process.env.KHA_TEST_APISERVER_IP ?? '127.0.10.201';
const BASE = Number(process.env.KHA_TEST_APISERVER_PORT_BASE ?? '22379');
const ETCD = `http://${IP}:${BASE}`;
const API = `http://${IP}:${BASE + 4064}`;
const MAIN = resolve('dist/lab/apiserver/main.js');
const LEASES = `${API}/apis/coordination.k8s.io/v1/namespaces/kube-system/leases`;
const KUBECTLS = [
  '/usr/lib/google-cloud-sdk/bin/kubectl.1.33',
  '/usr/lib/google-cloud-sdk/bin/kubectl.1.27',
  '/usr/bin/kubectl',
].filter((k) => existsSync(k));

let dir = '';
let etcd: ChildProcess | undefined;
let apiserver: ChildProcess | undefined;
let apiserverExit: Promise<number | null> | undefined;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await probe().catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

interface Json {
  [k: string]: unknown;
}

async function call(
  method: string,
  url: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<{ code: number; body: Json }> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': contentType },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { code: res.status, body: text ? (JSON.parse(text) as Json) : {} };
}

const meta = (o: Json): Json => o.metadata as Json;
const spec = (o: Json): Json => o.spec as Json;

/** Reads a watch until `stop` says enough (or timeoutMs), returning the events seen. */
async function watchEvents(
  url: string,
  stop: (events: Json[]) => boolean,
  timeoutMs = 8000,
): Promise<{ events: Json[]; ended: boolean; headers: Headers }> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  const events: Json[] = [];
  let ended = false;
  const res = await fetch(url, { signal: ac.signal });
  try {
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        ended = true;
        break;
      }
      buf += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        events.push(JSON.parse(buf.slice(0, nl)) as Json);
        buf = buf.slice(nl + 1);
      }
      if (stop(events)) break;
    }
  } catch (e) {
    if (!ac.signal.aborted) throw e;
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
  return { events, ended, headers: res.headers };
}

function kill(p: ChildProcess | undefined, signal: NodeJS.Signals): void {
  if (p?.pid !== undefined && p.exitCode === null && p.signalCode === null) {
    try {
      process.kill(p.pid, signal);
    } catch {
      // already gone
    }
  }
}

const output: string[] = [];

function startApiServer(): ChildProcess {
  const p = spawn(
    process.execPath,
    [
      MAIN,
      '--name',
      'it-master',
      '--listen',
      `${IP}:${BASE + 4064}`,
      '--etcd',
      ETCD,
      '--compact-interval',
      '1s',
      '--bookmark-interval',
      '1s',
      '--etcd-timeout',
      '1s',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  p.stdout!.on('data', (d: Buffer) => output.push(d.toString()));
  p.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
  apiserverExit = new Promise((r) => p.once('exit', (code) => r(code)));
  return p;
}

beforeAll(async () => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build first`);
  dir = await mkdtemp(join(tmpdir(), 'kha-apiserver-it-'));
  etcd = spawn(
    'etcd',
    [
      '--name',
      'it',
      '--data-dir',
      join(dir, 'etcd'),
      '--listen-client-urls',
      ETCD,
      '--advertise-client-urls',
      ETCD,
      '--listen-peer-urls',
      `http://${IP}:${BASE + 1}`,
      '--initial-advertise-peer-urls',
      `http://${IP}:${BASE + 1}`,
      '--initial-cluster',
      `it=http://${IP}:${BASE + 1}`,
      '--logger',
      'zap',
    ],
    { stdio: 'ignore' },
  );
  await waitFor('etcd', async () => (await fetch(`${ETCD}/health`)).ok);
  apiserver = startApiServer();
  await waitFor('apiserver', async () => (await fetch(`${API}/readyz`)).ok).catch((e: Error) => {
    throw new Error(`${e.message}\n${output.join('')}`);
  });
});

afterAll(async () => {
  kill(apiserver, 'SIGKILL');
  kill(etcd, 'SIGCONT');
  kill(etcd, 'SIGKILL');
  await sleep(200);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('lab apiserver', () => {
  let rv = '';

  it('serves health, version and discovery', async () => {
    expect(await (await fetch(`${API}/healthz`)).text()).toBe('ok');
    expect(await (await fetch(`${API}/livez`)).text()).toBe('ok');
    expect(await (await fetch(`${API}/readyz?verbose`)).text()).toContain('[+]etcd ok\n');
    expect((await call('GET', `${API}/version`)).body.gitVersion).toBe('v1.30.0-kha-lab');
    expect((await call('GET', `${API}/apis`)).body).toMatchObject({
      kind: 'APIGroupList',
      groups: [{ name: 'coordination.k8s.io' }],
    });
    expect((await call('GET', `${API}/apis/coordination.k8s.io/v1`)).body).toMatchObject({
      resources: [{ name: 'leases', namespaced: true, kind: 'Lease' }],
    });
  });

  it('creates, reads, refuses duplicates and keeps six fractional digits', async () => {
    const created = await call('POST', LEASES, {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'kube-scheduler' },
      spec: {
        holderIdentity: 'master-1_a',
        leaseDurationSeconds: 15,
        acquireTime: '2024-05-01T10:00:00.5Z',
        renewTime: '2024-05-01T10:00:00.123456Z',
        leaseTransitions: 0,
      },
    });
    expect(created.code).toBe(201);
    expect(meta(created.body).uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(meta(created.body).creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    rv = meta(created.body).resourceVersion as string;
    const etcdKv = (
      await call('POST', `${ETCD}/v3/kv/range`, {
        key: Buffer.from('/registry/leases/kube-system/kube-scheduler').toString('base64'),
      })
    ).body;
    expect((etcdKv.kvs as Json[])[0]!.mod_revision).toBe(rv);

    const got = await call('GET', `${LEASES}/kube-scheduler`);
    expect(spec(got.body)).toMatchObject({
      acquireTime: '2024-05-01T10:00:00.500000Z',
      renewTime: '2024-05-01T10:00:00.123456Z',
    });

    const dup = await call('POST', LEASES, { metadata: { name: 'kube-scheduler' } });
    expect(dup.code).toBe(409);
    expect(dup.body).toMatchObject({
      kind: 'Status',
      reason: 'AlreadyExists',
      message: 'leases.coordination.k8s.io "kube-scheduler" already exists',
    });

    const missing = await call('GET', `${LEASES}/nope`);
    expect(missing.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'leases.coordination.k8s.io "nope" not found',
      reason: 'NotFound',
      details: { name: 'nope', group: 'coordination.k8s.io', kind: 'leases' },
      code: 404,
    });
  });

  it('updates with optimistic concurrency', async () => {
    const noRv = await call('PUT', `${LEASES}/kube-scheduler`, {
      metadata: { name: 'kube-scheduler' },
      spec: {},
    });
    expect(noRv.code).toBe(422);
    expect(noRv.body.reason).toBe('Invalid');

    const body = (resourceVersion: string, holder: string): Json => ({
      metadata: { name: 'kube-scheduler', resourceVersion },
      spec: {
        holderIdentity: holder,
        leaseDurationSeconds: 15,
        renewTime: '2024-05-01T10:00:01.000001Z',
        leaseTransitions: 1,
      },
    });
    const ok = await call('PUT', `${LEASES}/kube-scheduler`, body(rv, 'master-2_b'));
    expect(ok.code).toBe(200);
    expect(BigInt(meta(ok.body).resourceVersion as string)).toBeGreaterThan(BigInt(rv));
    const stale = await call('PUT', `${LEASES}/kube-scheduler`, body(rv, 'master-3_c'));
    expect(stale.code).toBe(409);
    expect(stale.body.message).toBe(
      'Operation cannot be fulfilled on leases.coordination.k8s.io "kube-scheduler": the object has been modified; please apply your changes to the latest version and try again',
    );
    expect(spec((await call('GET', `${LEASES}/kube-scheduler`)).body).holderIdentity).toBe('master-2_b');

    const putCreate = await call('PUT', `${LEASES}/kube-controller-manager`, {
      metadata: { name: 'kube-controller-manager' },
      spec: { holderIdentity: 'x' },
    });
    expect(putCreate.code).toBe(201);
    const patched = await call(
      'PATCH',
      `${LEASES}/kube-controller-manager`,
      { spec: { leaseTransitions: 4 } },
      'application/merge-patch+json',
    );
    expect(spec(patched.body)).toEqual({ holderIdentity: 'x', leaseTransitions: 4 });
    const list = await call(
      'GET',
      `${API}/apis/coordination.k8s.io/v1/leases?fieldSelector=metadata.name%3Dkube-controller-manager`,
    );
    expect((list.body.items as Json[]).map((i) => meta(i).name)).toEqual(['kube-controller-manager']);
    expect(meta(list.body).resourceVersion).toBe(meta(patched.body).resourceVersion);
  });

  it('watches from a resourceVersion with bookmarks, and from 0 with the current state first', async () => {
    const start = meta((await call('GET', LEASES)).body).resourceVersion as string;
    const watching = watchEvents(
      `${LEASES}?watch=1&resourceVersion=${start}&allowWatchBookmarks=true&timeoutSeconds=20`,
      (evs) => evs.some((e) => e.type === 'DELETED') && evs.some((e) => e.type === 'BOOKMARK'),
    );
    await sleep(300);
    await call('POST', LEASES, { metadata: { name: 'w' } });
    await call(
      'PATCH',
      `${LEASES}/w`,
      { spec: { holderIdentity: 'h' } },
      'application/strategic-merge-patch+json',
    );
    const del = await call('DELETE', `${LEASES}/w`);
    expect(del.body).toMatchObject({ kind: 'Status', status: 'Success', details: { name: 'w' } });
    const { events, headers } = await watching;
    expect(headers.get('content-type')).toBe('application/json');
    const changes = events.filter((e) => e.type !== 'BOOKMARK');
    expect(changes.map((e) => [e.type, meta(e.object as Json).name])).toEqual([
      ['ADDED', 'w'],
      ['MODIFIED', 'w'],
      ['DELETED', 'w'],
    ]);
    const bookmark = events.find((e) => e.type === 'BOOKMARK')!.object as Json;
    expect(bookmark.kind).toBe('Lease');
    expect(BigInt(meta(bookmark).resourceVersion as string)).toBeGreaterThanOrEqual(BigInt(start));

    const fromZero = await watchEvents(
      `${LEASES}?watch=true&resourceVersion=0&fieldSelector=metadata.name%3Dkube-scheduler`,
      (evs) => evs.length >= 1,
    );
    expect(fromZero.events[0]).toMatchObject({
      type: 'ADDED',
      object: { metadata: { name: 'kube-scheduler' } },
    });

    const short = await watchEvents(`${LEASES}?watch=1&timeoutSeconds=1`, () => false, 5000);
    expect(short.ended).toBe(true);
  });

  it('answers 410 Expired once etcd has compacted the requested revision', async () => {
    const old = meta((await call('GET', LEASES)).body).resourceVersion as string;
    for (let i = 0; i < 3; i++)
      await call(
        'PATCH',
        `${LEASES}/kube-controller-manager`,
        { spec: { leaseTransitions: 10 + i } },
        'application/merge-patch+json',
      );
    let last: Json[] = [];
    await waitFor(
      '410 after compaction',
      async () => {
        const r = await watchEvents(
          `${LEASES}?watch=1&resourceVersion=${old}`,
          (evs) => evs.length > 0,
          1500,
        );
        last = r.events;
        return r.events[0]?.type === 'ERROR';
      },
      10_000,
    );
    expect(last[0]!.object).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'Expired',
      code: 410,
    });
    expect((last[0]!.object as Json).message).toMatch(
      new RegExp(`^too old resource version: ${old} \\(\\d+\\)$`),
    );
  });

  it.each(KUBECTLS)('works with %s', async (kubectl) => {
    const server = ['--server', API];
    const yaml = await run(kubectl, [
      ...server,
      'get',
      'lease',
      'kube-scheduler',
      '-n',
      'kube-system',
      '-o',
      'yaml',
    ]);
    expect(yaml.stdout).toContain('holderIdentity: master-2_b');
    expect(yaml.stdout).toContain('renewTime: "2024-05-01T10:00:01.000001Z"');
    const table = await run(kubectl, [...server, 'get', 'lease', '-n', 'kube-system']);
    expect(table.stdout).toMatch(
      /^NAME\s+HOLDER\s+AGE\nkube-controller-manager\s+x\s+\d+s\nkube-scheduler\s+master-2_b\s+\d+s\n$/,
    );
    const missing = await run(kubectl, [...server, 'get', 'lease', 'x', '-n', 'kube-system']).catch(
      (e: { stderr: string }) => e,
    );
    expect(missing.stderr.trim()).toBe(
      'Error from server (NotFound): leases.coordination.k8s.io "x" not found',
    );
    expect((await run(kubectl, [...server, 'get', '--raw', '/healthz'])).stdout).toBe('ok');
  });

  it('is not ready while its etcd is frozen, and stops cleanly on SIGTERM', async () => {
    kill(etcd, 'SIGSTOP');
    try {
      await waitFor('readyz 500', async () => (await fetch(`${API}/readyz`)).status === 500, 5000);
      const r = await fetch(`${API}/readyz`);
      expect(await r.text()).toContain('[-]etcd failed: reason withheld\n');
      expect((await fetch(`${API}/healthz`)).status).toBe(200);
    } finally {
      kill(etcd, 'SIGCONT');
    }
    await waitFor('readyz 200 again', async () => (await fetch(`${API}/readyz`)).ok, 5000);

    const open = watchEvents(`${LEASES}?watch=1`, () => false, 5000);
    await sleep(300);
    const t0 = Date.now();
    kill(apiserver, 'SIGTERM');
    expect(await apiserverExit).toBe(0);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect((await open).ended).toBe(true);
  });

  it('is not ready when its etcd is dead, yet healthy', async () => {
    kill(etcd, 'SIGKILL');
    apiserver = startApiServer();
    await waitFor('apiserver restarted', async () => (await fetch(`${API}/healthz`)).ok);
    const r = await fetch(`${API}/readyz`);
    expect(r.status).toBe(500);
    expect(await r.text()).toBe(
      '[+]ping ok\n[+]log ok\n[-]etcd failed: reason withheld\n[+]shutdown ok\nreadyz check failed\n',
    );
    expect((await call('GET', `${LEASES}/kube-scheduler`)).code).toBe(500);
  });
});
