/**
 * Issue 15, least privilege, on a lab with etcd auth on (`lab up --etcd-auth`): kha-drill runs as
 * the etcd user kha-drill (readwrite on /kha-drill/probe/ only, by its client certificate, over
 * gRPC) and the Kubernetes user kha-drill (get/list/watch Leases in kube-system only). `status`
 * and four built-in drills pass with exactly those rights; an etcd user without the role, or the
 * JSON gateway, stops at preflight (exit 3, one line, nothing injected); after kill -9 of the
 * harness the probe's keys vanish by their lease. Needs root and the built CLI (`npm run build`).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdctl, kha, killWhileProbing, kubectl, startLab, stopLab, waitHealthy, type Lab } from './lab.js';

const work = mkdtempSync(path.join(tmpdir(), 'kha-etcdauth-it-'));
const env = { KHA_STATE_DIR: path.join(work, 'state'), NO_COLOR: '1' };
let lab: Lab;

beforeAll(async () => {
  lab = await startLab({ etcdAuth: true });
}, 300_000);
afterAll(async () => {
  await stopLab();
}, 120_000);

/** A client certificate with this CN from the lab CA (the etcd CA too). */
function clientCert(cn: string): { cert: string; key: string } {
  const pki = path.join(lab.dir, 'pki');
  const key = path.join(work, `${cn}.key`);
  const csr = path.join(work, `${cn}.csr`);
  const cert = path.join(work, `${cn}.crt`);
  const ext = path.join(work, 'client.ext');
  writeFileSync(ext, 'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  execFileSync('openssl', ['req', '-new', ...ec, '-keyout', key, '-out', csr, '-subj', `/CN=${cn}`], {
    stdio: 'ignore',
  });
  execFileSync(
    'openssl',
    [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      path.join(pki, 'ca.crt'),
      '-CAkey',
      path.join(pki, 'ca.key'),
      '-set_serial',
      String(Date.now()),
      '-days',
      '1',
      '-extfile',
      ext,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}

/** The lab's inventory with other etcd settings. */
function inventoryWith(name: string, edit: (text: string) => string): string {
  const file = path.join(work, `${name}.yaml`);
  writeFileSync(file, edit(readFileSync(lab.inventory, 'utf8')));
  return file;
}

const khaCert = () => path.join(lab.dir, 'pki', 'kha-drill.crt');

describe('least-privilege etcd user and Lease-only RBAC (lab, etcd auth on)', () => {
  it('the lab enables etcd auth, the API servers keep working, and the inventory is kha-drill', () => {
    const auth = etcdctl(lab, ['auth', 'status']);
    expect(auth.stdout, auth.stderr).toMatch(/Authentication Status: true/);
    const role = etcdctl(lab, ['role', 'get', 'kha-drill']);
    const range = String.raw`\[/kha-drill/probe/, /kha-drill/probe0\) \(prefix /kha-drill/probe/\)`;
    expect(role.stdout).toMatch(new RegExp(String.raw`KV Read:\s*${range}\s*KV Write:\s*${range}\s*$`));
    // kube-apiserver against the auth-enabled etcd: reads and writes through it
    expect(kubectl(lab, ['get', '--raw', '/readyz']).stdout).toBe('ok');
    const cm = kubectl(lab, ['-n', 'default', 'create', 'configmap', `etcd-auth-${Date.now()}`]);
    expect(cm.status, cm.stderr).toBe(0);
    const inv = readFileSync(lab.inventory, 'utf8');
    expect(inv).toContain('transport: grpc');
    expect(inv).toContain(khaCert());
    expect(inv).toContain(path.join(lab.dir, 'kubeconfig-kha-drill'));
    // and those rights are really that small, on both sides
    const outside = spawnSync(lab.etcdctl, ['put', '/registry/x', 'y'], {
      encoding: 'utf8',
      env: {
        ...process.env,
        ...lab.env,
        ETCDCTL_CERT: khaCert(),
        ETCDCTL_KEY: khaCert().replace(/\.crt$/, '.key'),
      },
    });
    expect(outside.stderr).toMatch(/permission denied/);
    const pods = kubectl(lab, [
      '--kubeconfig',
      path.join(lab.dir, 'kubeconfig-kha-drill'),
      'get',
      'pods',
      '-A',
    ]);
    expect(pods.stderr).toMatch(/forbidden: User "kha-drill"/);
  });

  it('status passes with exactly those rights', async () => {
    const r = await kha(['status', '-i', lab.inventory], env, 60_000);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/^healthy$/m);
    expect(r.stderr).not.toMatch(/DEP0123|Warning/);
  });

  // every built-in drill (the drills folder), so that a new one is held to the same rights
  const BUILT_IN = readdirSync(path.join(import.meta.dirname, '../../drills'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.replace(/\.yaml$/, ''))
    .sort();
  it('every built-in drill is run below', () => expect(BUILT_IN.length).toBeGreaterThanOrEqual(8));

  it.each(BUILT_IN)(
    '%s passes with exactly those rights',
    async (drill) => {
      const r = await kha(
        ['run', drill, '-i', lab.inventory, '--out', path.join(work, 'reports')],
        env,
        240_000,
      );
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      const runDir = /report: (\S+)/.exec(r.stdout)?.[1] as string;
      const timeline = readFileSync(path.join(runDir, 'timeline.ndjson'), 'utf8');
      expect(timeline).not.toMatch(/permission denied|forbidden/i);
      expect((await waitHealthy(lab, env, 90_000)).code).toBe(0);
    },
    300_000,
  );

  it('an etcd user without the role, or no etcd user at all: exit 3 at preflight, one line, nothing injected', async () => {
    expect(etcdctl(lab, ['user', 'add', 'kha-norole', '--no-password']).status).toBe(0);
    for (const cn of ['kha-norole', 'kha-nobody']) {
      const c = clientCert(cn);
      const inv = inventoryWith(cn, (t) =>
        t.replace(khaCert(), c.cert).replace(khaCert().replace(/\.crt$/, '.key'), c.key),
      );
      const r = await kha(
        ['run', 'etcd-leader-kill', '-i', inv, '--out', path.join(work, 'reports')],
        env,
        120_000,
      );
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(3);
      const lines = r.stderr.split('\n').filter((l) => l.startsWith('kha-drill: '));
      expect(lines).toEqual([
        `kha-drill: etcd user ${cn} may not write /kha-drill/probe/ (etcdserver: permission denied): it needs a role with readwrite on that prefix; nothing was injected`,
      ]);
      expect(r.stderr).toMatch(new RegExp(`hint: .*etcdctl user grant-role ${cn} kha-drill`));
      expect(`${r.stdout}\n${r.stderr}`).not.toMatch(/▶ inject/);
    }
    // and the JSON gateway with the right user: it refuses certificate users under etcd auth
    const gw = inventoryWith('gateway', (t) => t.replace('transport: grpc', 'transport: gateway'));
    const r = await kha(
      ['run', 'etcd-leader-kill', '-i', gw, '--out', path.join(work, 'reports')],
      env,
      120_000,
    );
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(3);
    expect(r.stderr).toMatch(
      /^kha-drill: etcd has auth enabled and its JSON gateway ignores client certificates, so etcd user kha-drill cannot be used through it$/m,
    );
    expect(r.stderr).toMatch(/hint: set etcd\.transport: grpc/);
    expect(`${r.stdout}\n${r.stderr}`).not.toMatch(/▶ inject/);
  }, 300_000);

  it('after kill -9 of the harness the probe keys of the kha-drill user vanish by their lease', async () => {
    const { keysBefore, killed, vanishedAfterMs } = await killWhileProbing(
      lab,
      env,
      path.join(work, 'reports'),
      40_000,
    );
    expect(keysBefore.length, `${killed.stdout}\n${killed.stderr}`).toBeGreaterThan(0);
    expect(keysBefore.every((kv) => kv.lease && kv.lease !== '0')).toBe(true);
    expect(killed.signal).toBe('SIGKILL');
    expect(vanishedAfterMs).toBeGreaterThanOrEqual(0);
    const rec = await kha(['recover', '-i', lab.inventory, '--force'], env, 120_000);
    expect(rec.code, `${rec.stdout}\n${rec.stderr}`).toBe(0);
    expect((await waitHealthy(lab, env, 90_000)).code).toBe(0);
  }, 300_000);
});
