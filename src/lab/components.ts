/**
 * What each lab component runs: the four units per master and HAProxy in front (pure: argv and
 * config text from the options).
 */
import path from 'node:path';
import {
  APISERVER_PORT,
  ETCD_PEER_PORT,
  etcdUrl,
  labPaths,
  loadBalancerUrl,
  PACKAGE_ROOT,
  pkiPaths,
  type LabMaster,
  type LabOptions,
  type UnitName,
} from './layout.js';
import type { UnitSpec } from './units.js';

export const APISERVER_MAIN = path.join(PACKAGE_ROOT, 'dist', 'lab', 'apiserver', 'main.js');
export const CANDIDATE_MAIN = path.join(PACKAGE_ROOT, 'dist', 'lab', 'candidate', 'main.js');

const peerUrl = (m: LabMaster): string => `http://${m.address}:${ETCD_PEER_PORT}`;

function etcdArgv(opts: LabOptions, masters: LabMaster[], m: LabMaster): string[] {
  const p = labPaths(opts.dir);
  const client = etcdUrl(m, opts.tls);
  const argv = [
    'etcd',
    `--name=${m.name}`,
    `--data-dir=${p.etcdData(m.name)}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peerUrl(m)}`,
    `--initial-advertise-peer-urls=${peerUrl(m)}`,
    `--initial-cluster=${masters.map((o) => `${o.name}=${peerUrl(o)}`).join(',')}`,
    // ignored once the data dir exists: a restart rejoins with its own data
    '--initial-cluster-state=new',
    '--initial-cluster-token=kha-lab',
    '--logger=zap',
    '--log-outputs=stderr',
    // etcd ≥ 3.5's default (3.4 defaults to false): an isolated member does not keep raising its
    // term, so healing a partition does not force a second election
    '--pre-vote=true',
  ];
  if (opts.tls) {
    const k = pkiPaths(opts.dir);
    argv.push(
      `--cert-file=${k.masterCert(m.name)}`,
      `--key-file=${k.masterKey(m.name)}`,
      '--client-cert-auth',
      `--trusted-ca-file=${k.ca}`,
    );
  }
  return argv;
}

function apiserverArgv(opts: LabOptions, m: LabMaster): string[] {
  const argv = [process.execPath, APISERVER_MAIN, '--name', m.name];
  argv.push('--listen', `${m.address}:${APISERVER_PORT}`, '--etcd', etcdUrl(m, opts.tls));
  if (opts.tls) {
    const k = pkiPaths(opts.dir);
    const [cert, key] = [k.masterCert(m.name), k.masterKey(m.name)];
    argv.push('--etcd-ca', k.ca, '--etcd-cert', cert, '--etcd-key', key);
    argv.push('--tls-cert', cert, '--tls-key', key, '--client-ca', k.ca);
  }
  return argv;
}

function candidateArgv(opts: LabOptions, m: LabMaster, component: UnitName): string[] {
  const argv = [process.execPath, CANDIDATE_MAIN, '--component', component, '--node-name', m.name];
  argv.push('--server', loadBalancerUrl(opts));
  if (opts.tls) {
    const k = pkiPaths(opts.dir);
    argv.push('--ca', k.ca, '--client-cert', k.masterCert(m.name), '--client-key', k.masterKey(m.name));
  }
  argv.push('--lease-duration', opts.leaseDuration, '--renew-deadline', opts.renewDeadline);
  argv.push(
    '--retry-period',
    opts.retryPeriod,
    '--truth-log',
    labPaths(opts.dir).truthLog(m.name, component),
  );
  return argv;
}

export function unitSpecs(opts: LabOptions, masters: LabMaster[], m: LabMaster): UnitSpec[] {
  const p = labPaths(opts.dir);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: p.dir,
    LANG: 'C.UTF-8',
  };
  const spec = (unit: UnitName, description: string, argv: string[], ownDirs: string[]): UnitSpec => ({
    unit,
    master: m.name,
    description: `${description} (kha-drill lab, ${m.name})`,
    argv,
    env,
    cwd: p.dir,
    uid: m.uid,
    ownDirs,
    logFile: p.logFile(m.name, unit),
    pidFile: p.pidFile(m.name, unit),
  });
  const logs = p.masterLogs(m.name);
  return [
    spec('etcd', 'etcd key-value store', etcdArgv(opts, masters, m), [p.etcdData(m.name), logs]),
    spec('kube-apiserver', 'lab API server', apiserverArgv(opts, m), [logs]),
    spec('kube-scheduler', 'lab kube-scheduler', candidateArgv(opts, m, 'kube-scheduler'), [logs]),
    spec(
      'kube-controller-manager',
      'lab kube-controller-manager',
      candidateArgv(opts, m, 'kube-controller-manager'),
      [logs],
    ),
  ];
}

/**
 * HAProxy in front of the API servers, health-checking /readyz every 500 ms; a backend marked down
 * loses its sessions.
 */
export function haproxyConfig(opts: LabOptions, masters: LabMaster[]): string {
  const check = opts.tls ? ` check-ssl verify none crt ${pkiPaths(opts.dir).haproxyPem}` : '';
  return [
    '# kha-drill lab load balancer',
    'global',
    '    log stderr format raw local0 info',
    '    maxconn 1024',
    '',
    'defaults',
    '    mode tcp',
    '    log global',
    '    option dontlognull',
    '    option log-health-checks',
    '    option redispatch',
    '    retries 3',
    '    timeout connect 2s',
    // watches are long-lived streams
    '    timeout client 1h',
    '    timeout server 1h',
    '',
    'frontend kube-apiserver',
    `    bind ${opts.lbIp}:${APISERVER_PORT}`,
    '    default_backend kube-apiservers',
    '',
    'backend kube-apiservers',
    '    balance roundrobin',
    '    option httpchk GET /readyz',
    '    http-check expect status 200',
    // Cut the sessions of a backend marked down: in tcp mode a keep-alive client (the candidates,
    // the watchers' LB probe) would otherwise stay on an API server that lost its etcd.
    `    default-server inter 500ms fall 2 rise 2 on-marked-down shutdown-sessions${check}`,
    ...masters.map((m) => `    server ${m.name} ${m.address}:${APISERVER_PORT} check`),
    '',
  ].join('\n');
}

export function haproxyArgv(opts: LabOptions): string[] {
  return ['haproxy', '-db', '-f', labPaths(opts.dir).haproxyConfig];
}
