import { describe, expect, it } from 'vitest';
import { parseGoDuration } from './duration.js';
import { parseCandidateArgs } from './options.js';

const base = [
  '--component',
  'kube-scheduler',
  '--node-name',
  'master-1',
  '--server',
  'http://127.0.10.100:6443',
];

function options(...extra: string[]) {
  const parsed = parseCandidateArgs([...base, ...extra]);
  if (parsed.help) throw new Error('unexpected help');
  return parsed.options;
}

describe('parseGoDuration', () => {
  it.each([
    ['15s', 15_000],
    ['1.5s', 1_500],
    ['500ms', 500],
    ['1m30s', 90_000],
    ['0', 0],
    ['2', undefined],
    ['s', undefined],
    ['10x', undefined],
    ['', undefined],
  ])('%s → %s', (text, ms) => expect(parseGoDuration(text)).toBe(ms));
});

describe('parseCandidateArgs', () => {
  it('defaults: lease kube-system/<component>, Kubernetes timings, scheduler releases', () => {
    expect(options()).toMatchObject({
      component: 'kube-scheduler',
      nodeName: 'master-1',
      namespace: 'kube-system',
      name: 'kube-scheduler',
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      releaseOnCancel: true,
    });
  });

  it('kube-controller-manager does not release by default; flags override either way', () => {
    const kcm = ['--component', 'kube-controller-manager'];
    expect(options(...kcm).releaseOnCancel).toBe(false);
    expect(options(...kcm).name).toBe('kube-controller-manager');
    expect(options(...kcm, '--release-on-cancel').releaseOnCancel).toBe(true);
    expect(options('--no-release-on-cancel').releaseOnCancel).toBe(false);
  });

  it('takes --lease ns/name and short timings', () => {
    expect(
      options('--lease', 'lab/x', '--lease-duration', '4s', '--renew-deadline', '3s', '--retry-period', '1s'),
    ).toMatchObject({
      namespace: 'lab',
      name: 'x',
      leaseDurationMs: 4_000,
      renewDeadlineMs: 3_000,
      retryPeriodMs: 1_000,
    });
  });

  it.each([
    [['--lease-duration', '10s'], /leaseDuration must be greater than renewDeadline/],
    [['--renew-deadline', '2s'], /renewDeadline must be greater than retryPeriod\*JitterFactor/],
    [['--retry-period', 'soon'], /--retry-period: invalid duration/],
    [['--client-cert', 'c.pem'], /--client-cert and --client-key go together/],
    [['--release-on-cancel', '--no-release-on-cancel'], /mutually exclusive/],
  ])('rejects %j', (extra, message) => {
    expect(() => parseCandidateArgs([...base, ...extra])).toThrow(message);
  });

  it('lists every missing required flag', () => {
    expect(() => parseCandidateArgs([])).toThrow(
      /--component is required\n--node-name is required\n--server is required/,
    );
  });

  it('rejects unknown flags', () => {
    expect(() => parseCandidateArgs([...base, '--bogus'])).toThrow(/bogus/);
  });
});
