import { describe, expect, it } from 'vitest';
import { applyRules, redactDeep, redactText } from './redact.js';

const KEY_BODY =
  'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKjMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvuNMoSfm76oqFvAp8Gy0iz5sxjZmSnXyCdPEovGhLa0VzMaQ8s';

const SECRETS: [string, string, RegExp][] = [
  [
    'PEM private key',
    `key:\n-----BEGIN PRIVATE KEY-----\n${KEY_BODY}\n-----END PRIVATE KEY-----\nafter`,
    /\[REDACTED PEM PRIVATE KEY\]\nafter$/,
  ],
  [
    'PEM cut short by trimming',
    `-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ`,
    /^\[REDACTED PEM OPENSSH PRIVATE KEY\]$/,
  ],
  [
    'bearer token',
    'curl -H "Authorization: Bearer abcdefghijklmnop0123"',
    /Authorization: Bearer \[REDACTED\]"$/,
  ],
  ['bare bearer', 'using bearer abcdefghijklmnop0123 now', /bearer \[REDACTED\] now/],
  ['JWT', 'token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW0ifQ.c2lnbmF0dXJl', /^token \[REDACTED\]$/],
  [
    'bootstrap token',
    'kubeadm join --discovery-token abcdef.0123456789abcdef',
    /--discovery-token \[REDACTED\]$/,
  ],
  ['kubeconfig client-key-data', `client-key-data: ${KEY_BODY}`, /^client-key-data: \[REDACTED\]$/],
  [
    'env password',
    'ETCDCTL_PASSWORD=hunter2 etcdctl get /',
    /^ETCDCTL_PASSWORD=\[REDACTED\] etcdctl get \/$/,
  ],
  ['JSON password', '{"password": "hunter2", "user": "root"}', /"password": \[REDACTED\], "user": "root"/],
  ['flag', 'etcdctl --password hunter2 member list', /--password \[REDACTED\] member list/],
  [
    'URL credentials',
    'https://admin:s3cr3t@10.0.0.1:6443/',
    /https:\/\/admin:\[REDACTED\]@10\.0\.0\.1:6443\//,
  ],
  ['headerless base64 key material', `data ${KEY_BODY}${KEY_BODY}`, /^data \[REDACTED base64\]$/],
];

describe('redactText', () => {
  it.each(SECRETS)('%s', (_name, input, expected) => {
    expect(redactText(input)).toMatch(expected);
  });

  it.each([
    'systemctl stop kube-scheduler',
    'lease.takeover_s < 2.2 * retryPeriod + 1',
    'sha256:5b0e2d6c1f9a8e7d3c4b2a190817f6e5d4c3b2a1908f7e6d5c4b3a2918070f6e',
    'master-2_7f3c9d14-5a6b-4c2d-8e1f-0a9b8c7d6e5f',
    'identityFile: ~/.ssh/id_ed25519',
    'kube-system/kube-controller-manager held by master-1',
  ])('leaves %s alone', (text) => {
    expect(redactText(text)).toBe(text);
  });

  it('hides given literals', () => {
    expect(redactText('the passphrase is correct-horse', ['correct-horse'])).toBe(
      'the passphrase is [REDACTED]',
    );
  });

  it('walks objects without touching keys or non-strings', () => {
    const input = {
      password: 'x',
      n: 1,
      list: ['token=abc123'],
      nested: { ok: true, out: 'Bearer abcdefghijkl' },
    };
    expect(redactDeep(input)).toEqual({
      password: 'x',
      n: 1,
      list: ['token=[REDACTED]'],
      nested: { ok: true, out: 'Bearer [REDACTED]' },
    });
  });
});

describe('redactText skips only strings no rule can match', () => {
  // the timeline's own strings, and near misses of every rule
  const plain = [
    'raft',
    'master-1',
    'https://198.18.65.11:2379',
    'HTTP 503',
    'etcdserver: no leader',
    'no answer within 150 ms',
    'BEGIN PRIVATE', // no dashes
    'kube-system/kube-scheduler',
    'abcdef.0123456789abcde', // one short of a bootstrap token
    'A'.repeat(99),
  ];
  it.each([...SECRETS.map(([, input]) => input), ...plain, 'x'.repeat(100), 'Token: abc', 'u:p@h'])(
    '%j: the same as every rule applied',
    (text) => expect(redactText(text)).toBe(applyRules(text)),
  );
});
