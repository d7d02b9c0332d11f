/**
 * The lab's certificates, made with openssl as "Kubernetes the hard way" makes them: one lab CA;
 * per master an etcd certificate (server, peer and client) and an API server certificate; one
 * client certificate each for the API server → etcd, the controller-manager, the scheduler and
 * the admin (system:masters: kubeconfig, inventory, etcdctl); the service-account key pair; and,
 * as kubeadm makes them, a front-proxy CA with the API server's aggregation client certificate.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { SERVICE_IP, type LabHost } from './layout.js';

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export interface Pki {
  dir: string;
  ca: string;
  caKey: string;
  cert: (name: string) => string;
  key: (name: string) => string;
  saKey: string;
  saPub: string;
  frontProxyCa: string;
  frontProxyCaKey: string;
}

export function pkiFiles(dir: string): Pki {
  return {
    dir,
    ca: path.join(dir, 'ca.crt'),
    caKey: path.join(dir, 'ca.key'),
    cert: (name) => path.join(dir, `${name}.crt`),
    key: (name) => path.join(dir, `${name}.key`),
    saKey: path.join(dir, 'sa.key'),
    saPub: path.join(dir, 'sa.pub'),
    frontProxyCa: path.join(dir, 'front-proxy-ca.crt'),
    frontProxyCaKey: path.join(dir, 'front-proxy-ca.key'),
  };
}

async function openssl(args: string[]): Promise<void> {
  await execa('openssl', args, { stdin: 'ignore', stdout: 'ignore' });
}

async function issue(
  p: Pki,
  name: string,
  subject: string,
  sans: string[],
  ca: { cert: string; key: string } = { cert: p.ca, key: p.caKey },
): Promise<void> {
  const csr = path.join(p.dir, `${name}.csr`);
  const ext = path.join(p.dir, `${name}.ext`);
  await openssl(['req', '-new', ...EC, '-keyout', p.key(name), '-out', csr, '-subj', subject]);
  writeFileSync(
    ext,
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth,clientAuth',
      ...(sans.length > 0 ? [`subjectAltName=${sans.join(',')}`] : []),
    ].join('\n') + '\n',
  );
  await openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    // a serial of its own: certificates are issued in parallel, so no shared serial file
    '-set_serial',
    `0x${randomBytes(8).toString('hex')}`,
    '-days',
    '365',
    '-sha256',
    '-extfile',
    ext,
    '-out',
    p.cert(name),
  ]);
  rmSync(csr);
  rmSync(ext);
}

export async function makePki(
  dir: string,
  masters: LabHost[],
  lb: LabHost,
  opts: { kubelets?: boolean; khaDrill?: boolean } = {},
): Promise<Pki> {
  const p = pkiFiles(dir);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const selfSigned = (key: string, cert: string, cn: string) =>
    openssl(['req', '-x509', ...EC, '-keyout', key, '-out', cert, '-days', '365', '-subj', `/CN=${cn}`]);
  await Promise.all([
    selfSigned(p.caKey, p.ca, 'kha-drill-lab-ca'),
    selfSigned(p.frontProxyCaKey, p.frontProxyCa, 'kha-drill-lab-front-proxy-ca'),
  ]);
  const local = ['IP:127.0.0.1', 'DNS:localhost'];
  const api = [
    `IP:${lb.address}`,
    `IP:${SERVICE_IP}`,
    'DNS:kubernetes',
    'DNS:kubernetes.default',
    'DNS:kubernetes.default.svc',
    'DNS:kubernetes.default.svc.cluster.local',
  ];
  const jobs: Array<Promise<void>> = [];
  for (const m of masters) {
    const own = [
      `IP:${m.address}`,
      ...(m.peerAddress ? [`IP:${m.peerAddress}`] : []),
      `DNS:${m.name}`,
      ...local,
    ];
    jobs.push(issue(p, `etcd-${m.name}`, `/CN=${m.name}`, own));
    jobs.push(issue(p, `apiserver-${m.name}`, '/CN=kube-apiserver', [...own, ...api]));
    // the kubeadm topology's kubelets: the Node authorizer knows a node by this name and group
    if (opts.kubelets)
      jobs.push(issue(p, `kubelet-${m.name}`, `/O=system:nodes/CN=system:node:${m.name}`, own));
  }
  jobs.push(issue(p, 'apiserver-etcd-client', '/CN=kube-apiserver-etcd-client', []));
  jobs.push(issue(p, 'admin', '/O=system:masters/CN=kubernetes-admin', []));
  // --etcd-auth: kha-drill's own client certificate; its CN is its etcd user and Kubernetes user
  if (opts.khaDrill) jobs.push(issue(p, 'kha-drill', '/CN=kha-drill', []));
  jobs.push(issue(p, 'kube-controller-manager', '/CN=system:kube-controller-manager', []));
  jobs.push(issue(p, 'kube-scheduler', '/CN=system:kube-scheduler', []));
  jobs.push(
    issue(p, 'front-proxy-client', '/CN=front-proxy-client', [], {
      cert: p.frontProxyCa,
      key: p.frontProxyCaKey,
    }),
  );
  jobs.push(
    (async () => {
      await openssl([
        'genpkey',
        '-algorithm',
        'EC',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-out',
        p.saKey,
      ]);
      await openssl(['pkey', '-in', p.saKey, '-pubout', '-out', p.saPub]);
    })(),
  );
  await Promise.all(jobs);
  return p;
}
