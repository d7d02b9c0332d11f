import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultKubeconfigPath, KubeconfigError, loadKubeconfig, parseKubeconfig } from './kubeconfig.js';

const dir = mkdtempSync(join(tmpdir(), 'kha-kubeconfig-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'ca.pem'), 'CA FILE');
writeFileSync(join(dir, 'token'), 'file-token\n');

const doc = (cluster: string, user: string, extra = '') => `
apiVersion: v1
kind: Config
current-context: main
clusters:
- name: c
  cluster:
${cluster}
users:
- name: u
  user:
${user}
contexts:
- name: main
  context: {cluster: c, user: u, namespace: kube-system}
- name: other
  context: {cluster: c, user: u}
${extra}`;

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('parseKubeconfig', () => {
  const file = join(dir, 'config');
  it.each([
    {
      name: 'inline CA, client cert and key',
      cluster: `    server: https://10.0.0.1:6443/\n    certificate-authority-data: ${b64('CA')}`,
      user: `    client-certificate-data: ${b64('CERT')}\n    client-key-data: ${b64('KEY')}`,
      want: { server: 'https://10.0.0.1:6443', tls: { ca: 'CA', cert: 'CERT', key: 'KEY' }, headers: {} },
    },
    {
      name: 'CA file relative to the kubeconfig, token',
      cluster: `    server: https://lb:6443\n    certificate-authority: ca.pem\n    tls-server-name: kubernetes`,
      user: `    token: abc`,
      want: {
        server: 'https://lb:6443',
        tls: { ca: 'CA FILE', serverName: 'kubernetes' },
        headers: { authorization: 'Bearer abc' },
      },
    },
    {
      name: 'http server, insecure, token file',
      cluster: `    server: http://127.0.10.100:6443\n    insecure-skip-tls-verify: true`,
      user: `    tokenFile: ${join(dir, 'token')}`,
      want: {
        server: 'http://127.0.10.100:6443',
        tls: { insecure: true },
        headers: { authorization: 'Bearer file-token' },
      },
    },
    {
      name: 'basic auth',
      cluster: `    server: https://x`,
      user: `    username: a\n    password: b`,
      want: { server: 'https://x', tls: {}, headers: { authorization: `Basic ${b64('a:b')}` } },
    },
  ])('$name', ({ cluster, user, want }) => {
    const conn = parseKubeconfig(doc(cluster, user), { file });
    const tls = Object.fromEntries(
      Object.entries(conn.tls).map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString() : v]),
    );
    expect({ server: conn.server, tls, headers: conn.headers }).toEqual(want);
    expect(conn.context).toBe('main');
    expect(conn.namespace).toBe('kube-system');
  });

  it('uses the context it is given', () => {
    expect(parseKubeconfig(doc('    server: https://x', '    {}'), { file, context: 'other' }).context).toBe(
      'other',
    );
  });

  it.each([
    {
      name: 'unknown context',
      text: doc('    server: https://x', '    {}'),
      context: 'nope',
      error: /context 'nope' not found/,
    },
    { name: 'no server', text: doc('    {}', '    {}'), context: undefined, error: /no http\(s\) server/ },
    { name: 'no context at all', text: 'apiVersion: v1\n', context: undefined, error: /no context given/ },
  ])('refuses $name', ({ text, context, error }) => {
    expect(() => parseKubeconfig(text, { file, context })).toThrow(KubeconfigError);
    expect(() => parseKubeconfig(text, { file, context })).toThrow(error);
  });

  it('reads the file KUBECONFIG names first', () => {
    expect(defaultKubeconfigPath({ KUBECONFIG: `:${file}:/other`, HOME: '/h' })).toBe(file);
    expect(defaultKubeconfigPath({ HOME: '/h' })).toBe('/h/.kube/config');
    writeFileSync(file, doc('    server: https://x', '    {}'));
    expect(loadKubeconfig({ env: { KUBECONFIG: file } }).server).toBe('https://x');
    expect(() => loadKubeconfig({ file: join(dir, 'missing') })).toThrow(/cannot read kubeconfig/);
  });
});
