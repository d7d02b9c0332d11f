/**
 * Issue 15: `@cert-authority` host keys. The lab's masters get OpenSSH host certificates made by
 * the real ssh-keygen (`-s ca -h -n <address>`, sshd `HostCertificate`); a known_hosts holding
 * only an `@cert-authority` line lets a drill run, while a certificate from another CA, an
 * expired one or one for another principal is refused at preflight: one line naming the master
 * and the reason, exit 3, nothing injected. OpenSSH's own ssh decides the same each time.
 * Needs root and the built CLI (`npm run build`).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allActive, kha, labSsh, settleUnits, startLab, stopLab, waitHealthy, type Lab } from './lab.js';

const work = mkdtempSync(path.join(tmpdir(), 'kha-ca-it-'));
const env = { KHA_STATE_DIR: path.join(work, 'state'), NO_COLOR: '1' };
let lab: Lab;
let inventory: string;
const knownHosts = path.join(work, 'known_hosts');
const ca = path.join(work, 'ca');
const otherCa = path.join(work, 'other-ca');
let serial = 0;

/** Signs the master's host key with `signer` and makes the master's sshd present the certificate. */
function installCertificate(master: string, signer: string, validity: string, principals: string): void {
  serial += 1;
  const pub = path.join(work, `${master}-${serial}.pub`);
  writeFileSync(pub, readFileSync(path.join(lab.dir, 'ssh', `${master}_host_ed25519_key.pub`)));
  execFileSync('ssh-keygen', [
    '-q',
    '-s',
    signer,
    '-I',
    `${master}-${serial}`,
    '-h',
    '-n',
    principals,
    '-V',
    validity,
    pub,
  ]);
  const cert = readFileSync(pub.replace(/\.pub$/, '-cert.pub')).toString('base64');
  const r = labSsh(
    lab,
    master,
    `echo ${cert} | base64 -d > /etc/ssh/ssh_host_ed25519_key-cert.pub && ` +
      'echo "HostCertificate /etc/ssh/ssh_host_ed25519_key-cert.pub" > /etc/ssh/sshd_config.d/kha-cert.conf && ' +
      'systemctl reload ssh',
  );
  expect(r.status, r.stderr).toBe(0);
}

/** What OpenSSH's ssh says with the same known_hosts: 0 when it trusts the host. */
function opensshExit(address: string): number | null {
  return spawnSync(
    'ssh',
    [
      '-i',
      lab.sshKey,
      '-o',
      `UserKnownHostsFile=${knownHosts}`,
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'BatchMode=yes',
      `root@${address}`,
      'true',
    ],
    { encoding: 'utf8', timeout: 30_000 },
  ).status;
}

beforeAll(async () => {
  lab = await startLab();
  for (const key of [ca, otherCa]) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  const subnet = lab.masters[0]!.address.replace(/\.\d+$/, '.*');
  const [type, blob] = readFileSync(`${ca}.pub`, 'utf8').split(/\s+/);
  // only the CA: no plain host key line at all
  writeFileSync(knownHosts, `@cert-authority ${subnet} ${type} ${blob}\n`);
  inventory = path.join(work, 'inventory.yaml');
  writeFileSync(
    inventory,
    readFileSync(lab.inventory, 'utf8').replace(/knownHosts: .*/, `knownHosts: ${knownHosts}`),
  );
  for (const m of lab.masters) installCertificate(m.name, ca, '-5m:+1h', m.address);
}, 300_000);
afterAll(async () => {
  await stopLab();
}, 120_000);

describe('@cert-authority host keys (lab)', () => {
  it('a known_hosts with only an @cert-authority line connects: a drill runs', async () => {
    for (const m of lab.masters) expect(opensshExit(m.address)).toBe(0);
    // a busy machine: let every API server answer before the drill's steady-state check
    expect((await waitHealthy(lab, env, 90_000)).code).toBe(0);
    const r = await kha(
      ['run', 'scheduler-failover', '-i', inventory, '--out', path.join(work, 'reports')],
      env,
      170_000,
    );
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(await settleUnits(lab)).toEqual(allActive(lab));
  }, 240_000);

  const refused: Array<[string, () => string, string, (address: string) => string, RegExp]> = [
    ['another CA', () => otherCa, '-5m:+1h', (a) => a, /signed by a CA not listed as @cert-authority/],
    ['an expired certificate', () => ca, '20200101:20200102', (a) => a, /it expired 2020-01-0\d/],
    [
      'a wrong principal',
      () => ca,
      '-5m:+1h',
      () => 'master-2.elsewhere',
      /principals \(master-2\.elsewhere\) do not name/,
    ],
  ];
  it.each(refused)(
    'refuses %s: one line, exit 3, nothing injected',
    async (_name, signer, validity, principal, reason) => {
      const m2 = lab.masters[1]!;
      installCertificate(m2.name, signer(), validity, principal(m2.address));
      try {
        // OpenSSH refuses it too
        expect(opensshExit(m2.address)).toBe(255);
        const before = labSsh(lab, lab.masters[0]!.name, 'iptables -w -S | grep -c kha-drill || true').stdout;
        const r = await kha(
          ['run', 'etcd-leader-partition', '-i', inventory, '--out', path.join(work, 'reports')],
          env,
          120_000,
        );
        expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(3);
        const line = r.stderr.split('\n').find((l) => l.includes(`${m2.name} (${m2.address}:22)`)) ?? '';
        expect(line, r.stderr).toMatch(/is not vouched for by @cert-authority \(.*known_hosts:1\): /);
        expect(line).toMatch(reason);
        expect(line).toMatch(/refusing to connect$/);
        // nothing injected: no partition rule anywhere, every unit still running, no fault recorded
        for (const m of lab.masters)
          expect(labSsh(lab, m.name, 'iptables -w -S | grep -c kha-drill || true').stdout).toBe(before);
        expect(await settleUnits(lab, 5_000)).toEqual(allActive(lab));
        const runDir = /report: (\S+)/.exec(r.stdout)?.[1];
        if (runDir) {
          const report = JSON.parse(readFileSync(path.join(runDir, 'report.json'), 'utf8')) as {
            faults: unknown[];
          };
          expect(report.faults).toEqual([]);
        }
      } finally {
        installCertificate(m2.name, ca, '-5m:+1h', m2.address);
      }
    },
    180_000,
  );
});
