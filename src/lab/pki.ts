/**
 * The --tls lab's certificates, made with openssl: a lab CA, one certificate per master (server
 * for its etcd and apiserver, client for its apiserver → etcd and its candidates → API; SANs
 * its address, the load balancer and localhost) and an admin client certificate (kubeconfig,
 * inventory, etcdctl, HAProxy's health checks).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pkiPaths, type LabMaster } from './layout.js';

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function issue(
  dir: string,
  name: string,
  subject: string,
  sans: string[],
  keyFile: string,
  certFile: string,
): void {
  const p = pkiPaths(dir);
  const csr = path.join(dir, 'pki', `${name}.csr`);
  const ext = path.join(dir, 'pki', `${name}.ext`);
  openssl(['req', '-new', ...EC, '-keyout', keyFile, '-out', csr, '-subj', subject]);
  writeFileSync(
    ext,
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth,clientAuth',
      ...(sans.length > 0 ? [`subjectAltName=${sans.join(',')}`] : []),
    ].join('\n') + '\n',
  );
  openssl(
    ['x509', '-req', '-in', csr, '-CA', p.ca, '-CAkey', p.caKey, '-CAcreateserial', '-days', '365'].concat([
      '-sha256',
      '-extfile',
      ext,
      '-out',
      certFile,
    ]),
  );
  rmSync(csr);
  rmSync(ext);
  chmodSync(keyFile, 0o600);
}

export function makePki(dir: string, masters: LabMaster[], lbIp: string): void {
  const p = pkiPaths(dir);
  mkdirSync(path.dirname(p.ca), { recursive: true, mode: 0o755 });
  openssl(
    [
      'req',
      '-x509',
      ...EC,
      '-keyout',
      p.caKey,
      '-out',
      p.ca,
      '-days',
      '365',
      '-subj',
      '/CN=kha-lab-ca',
    ].concat([
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]),
  );
  chmodSync(p.caKey, 0o600);
  for (const m of masters) {
    const sans = [`IP:${m.address}`, `IP:${lbIp}`, 'IP:127.0.0.1', `DNS:${m.name}`, 'DNS:localhost'];
    issue(dir, m.name, `/O=kha-lab/CN=${m.name}`, sans, p.masterKey(m.name), p.masterCert(m.name));
    // its processes run as the master's uid and must read their key
    if (m.uid !== undefined) chownSync(p.masterKey(m.name), m.uid, m.uid);
  }
  issue(dir, 'admin', '/O=system:masters/CN=kha-drill', [], p.adminKey, p.adminCert);
  writeFileSync(p.haproxyPem, readFileSync(p.adminCert, 'utf8') + readFileSync(p.adminKey, 'utf8'), {
    mode: 0o600,
  });
}
