import { describe, expect, it } from 'vitest';
import {
  argsFromCmdline,
  argsFromExecStart,
  argsFromManifest,
  parseGoDuration,
  parseLeaderElectionArgs,
} from './leader-election-flags.js';

describe('parseGoDuration', () => {
  it.each([
    ['15s', 15],
    ['4s', 4],
    ['1m30s', 90],
    ['500ms', 0.5],
    ['2.5s', 2.5],
    ['1h', 3600],
    ['0', 0],
    ['1.5m', 90],
    ['', null],
    ['15', null],
    ['s', null],
    ['15s junk', null],
    ['-1s', null],
  ])('%j → %j', (text, seconds) => expect(parseGoDuration(text)).toBe(seconds));
});

// recorded on the lab (v1.37.2): `systemctl show -p ExecStart --value kube-scheduler` on master-1
const SHOW =
  '{ path=/opt/kubernetes/bin/kube-scheduler ; argv[]=/opt/kubernetes/bin/kube-scheduler --authentication-kubeconfig=/etc/kubernetes/scheduler.conf --authorization-kubeconfig=/etc/kubernetes/scheduler.conf --bind-address=127.0.0.1 --kubeconfig=/etc/kubernetes/scheduler.conf --leader-elect=true --leader-elect-lease-duration=4s --leader-elect-renew-deadline=3s --leader-elect-retry-period=1s ; ignore_errors=no ; start_time=[Sun 2026-12-06 01:09:32 UTC] ; stop_time=[n/a] ; pid=60 ; code=(null) ; status=0/0 }';

// the lab's unit file (systemctl cat), with line continuations
const UNIT = `# /etc/systemd/system/kube-scheduler.service
[Unit]
Description=Kubernetes Scheduler (kha-drill lab)

[Service]
Type=simple
ExecStart=/opt/kubernetes/bin/kube-scheduler \\
  --kubeconfig=/etc/kubernetes/scheduler.conf \\
  --leader-elect=true \\
  --leader-elect-lease-duration=4s \\
  --leader-elect-renew-deadline=3s \\
  --leader-elect-retry-period=1s
Restart=on-failure
`;

// kubeadm's static pod, with the space-separated form and a different Lease
const MANIFEST = `apiVersion: v1
kind: Pod
metadata:
  name: kube-controller-manager
  namespace: kube-system
spec:
  containers:
  - command:
    - kube-controller-manager
    - --kubeconfig=/etc/kubernetes/controller-manager.conf
    - --leader-elect=true
    args:
    - --leader-elect-lease-duration
    - 1m
    - --leader-elect-resource-name=kcm
    image: registry.k8s.io/kube-controller-manager:v1.37.2
    name: kube-controller-manager
`;

describe('leader-election flags from what a master shows', () => {
  it('systemctl show ExecStart', () => {
    expect(parseLeaderElectionArgs(argsFromExecStart(SHOW), 'kube-scheduler')).toEqual({
      leaderElect: true,
      leaseDuration: 4,
      renewDeadline: 3,
      retryPeriod: 1,
      lease: 'kube-system/kube-scheduler',
      given: ['leaseDuration', 'renewDeadline', 'retryPeriod'],
    });
  });

  it('a unit file with continuations; the last non-empty ExecStart wins', () => {
    expect(parseLeaderElectionArgs(argsFromExecStart(UNIT), 'kube-scheduler')).toMatchObject({
      leaseDuration: 4,
      renewDeadline: 3,
      retryPeriod: 1,
    });
    const dropIn = `${UNIT}\n[Service]\nExecStart=\nExecStart=-/usr/bin/kube-scheduler "--leader-elect-retry-period=3s"\n`;
    expect(parseLeaderElectionArgs(argsFromExecStart(dropIn), 'kube-scheduler')).toMatchObject({
      leaseDuration: 15,
      retryPeriod: 3,
      given: ['retryPeriod'],
    });
  });

  it('/proc/<pid>/cmdline, NUL-separated or with NULs turned into newlines', () => {
    const raw = [
      '/opt/kubernetes/bin/kube-controller-manager',
      '--leader-elect-renew-deadline',
      '8s',
      '--leader-elect=false',
      '',
    ].join('\x00');
    const flags = parseLeaderElectionArgs(argsFromCmdline(raw), 'kube-controller-manager');
    expect(flags).toMatchObject({ leaderElect: false, leaseDuration: 15, renewDeadline: 8, retryPeriod: 2 });
    expect(argsFromCmdline(raw.replaceAll('\x00', '\n'))).toEqual(argsFromCmdline(raw));
  });

  it('a static-pod manifest: command then args, --flag value, another Lease name', () => {
    expect(parseLeaderElectionArgs(argsFromManifest(MANIFEST), 'kube-controller-manager')).toMatchObject({
      leaseDuration: 60,
      renewDeadline: 10,
      lease: 'kube-system/kcm',
    });
    expect(argsFromManifest('kind: Pod\n')).toEqual([]);
  });

  it('no flags: the components’ defaults', () => {
    expect(parseLeaderElectionArgs(['/usr/bin/kube-scheduler'], 'kube-scheduler')).toEqual({
      leaderElect: true,
      leaseDuration: 15,
      renewDeadline: 10,
      retryPeriod: 2,
      lease: 'kube-system/kube-scheduler',
      given: [],
    });
  });

  it.each([
    [['--leader-elect-lease-duration=soon'], /--leader-elect-lease-duration=soon is not a duration/],
    [['--leader-elect-retry-period'], /--leader-elect-retry-period has no value/],
    [['--leader-elect=maybe'], /not a boolean/],
  ])('%j is refused', (args, message) => {
    expect(() => parseLeaderElectionArgs(args, 'kube-scheduler')).toThrow(message);
  });
});
