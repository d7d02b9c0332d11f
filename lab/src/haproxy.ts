/**
 * The load balancer host: HAProxy in a namespace of its own, in front of the masters' API servers,
 * health-checking /readyz over TLS as a cloud load balancer (the runbook's NLB) does.
 */
import { APISERVER_PORT, type LabHost } from './layout.js';

export function haproxyConfig(lb: LabHost, masters: LabHost[]): string {
  return [
    '# kha-drill lab load balancer',
    'global',
    '    log stderr format raw local0 info',
    '    maxconn 4096',
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
    `    bind ${lb.address}:${APISERVER_PORT}`,
    '    default_backend kube-apiservers',
    '',
    'backend kube-apiservers',
    '    balance roundrobin',
    '    option httpchk GET /readyz',
    '    http-check expect status 200',
    // A backend marked down loses its sessions: in tcp mode a keep-alive client (the controllers,
    // a watch) would otherwise stay on an API server that lost its etcd.
    '    default-server inter 500ms fall 2 rise 2 on-marked-down shutdown-sessions check-ssl verify none',
    ...masters.map((m) => `    server ${m.name} ${m.address}:${APISERVER_PORT} check`),
    '',
  ].join('\n');
}
