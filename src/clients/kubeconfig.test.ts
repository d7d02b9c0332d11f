import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KubeAuth, REFRESH_MS } from './kube-auth.js';
import { defaultKubeconfigPath, KubeconfigError, loadKubeconfig } from './kubeconfig.js';

const dir = mkdtempSync(join(tmpdir(), 'kha-kubeconfig-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'ca.pem'), 'CA FILE');
writeFileSync(join(dir, 'token'), 'file-token\n');

const doc = (cluster: string, user: string, extra = '') => `apiVersion: v1
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

let n = 0;
const write = (text: string) => {
  const file = join(dir, `config-${++n}`);
  writeFileSync(file, text);
  return file;
};
const plugin = (body: string) => {
  const file = join(dir, `plugin-${++n}.sh`);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
};
const b64 = (s: string) => Buffer.from(s).toString('base64');
const execUser = (command: string) =>
  `    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: ${command}\n      interactiveMode: Never`;

describe('loadKubeconfig: authentication by @kubernetes/client-node', () => {
  it.each([
    {
      name: 'inline CA, client cert and key',
      cluster: `    server: https://10.0.0.1:6443/\n    certificate-authority-data: ${b64('CA')}`,
      user: `    client-certificate-data: ${b64('CERT')}\n    client-key-data: ${b64('KEY')}`,
      want: { tls: { ca: 'CA', cert: 'CERT', key: 'KEY' }, headers: {} },
    },
    {
      name: 'CA file relative to the kubeconfig, token, tls-server-name, impersonation',
      cluster: `    server: https://lb:6443\n    certificate-authority: ca.pem\n    tls-server-name: kubernetes`,
      user: `    token: abc\n    as: jane`,
      want: {
        tls: { ca: 'CA FILE', serverName: 'kubernetes' },
        headers: { authorization: 'Bearer abc', 'impersonate-user': 'jane' },
      },
    },
    {
      name: 'insecure http server, kubectl tokenFile (trailing newline dropped)',
      cluster: `    server: http://127.0.10.100:6443\n    insecure-skip-tls-verify: true`,
      user: `    tokenFile: token`,
      want: { tls: { insecure: true }, headers: { authorization: 'Bearer file-token' } },
    },
    {
      name: 'basic auth',
      cluster: `    server: https://x`,
      user: `    username: a\n    password: b`,
      want: { tls: {}, headers: { authorization: `Basic ${b64('a:b')}` } },
    },
    {
      name: 'exec plugin',
      cluster: `    server: https://x`,
      user: execUser(
        plugin(
          `echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"from-exec"}}'`,
        ),
      ),
      want: { tls: {}, headers: { authorization: 'Bearer from-exec' } },
    },
  ])('$name', async ({ cluster, user, want }) => {
    const conn = loadKubeconfig({ file: write(doc(cluster, user)) });
    const state = await conn.auth.current();
    const tls = Object.fromEntries(
      Object.entries(state.tls).map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString() : v]),
    );
    expect({ tls, headers: state.headers }).toEqual(want);
    expect(conn.context).toBe('main');
    expect(conn.namespace).toBe('kube-system');
  });

  it('re-applies the credential every REFRESH_MS and after a 401: an exec plugin without expiry runs again', async () => {
    const count = join(dir, 'count');
    writeFileSync(count, '');
    const cmd = plugin(
      `echo x >> ${count}; n=$(wc -l < ${count}); echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"t'$n'"}}'`,
    );
    const conn = loadKubeconfig({ file: write(doc('    server: https://x', execUser(cmd))) });
    let now = 0;
    const source = (conn.auth as unknown as { source: ConstructorParameters<typeof KubeAuth>[0] }).source;
    const auth = new KubeAuth(source, () => now);
    expect((await auth.current()).headers.authorization).toBe('Bearer t1');
    now += REFRESH_MS - 1;
    expect((await auth.current()).headers.authorization).toBe('Bearer t1');
    now += 2;
    expect((await auth.current()).headers.authorization).toBe('Bearer t2');
    auth.invalidate();
    expect((await auth.current()).headers.authorization).toBe('Bearer t3');
  });

  it.each([
    {
      name: 'exits non-zero',
      body: 'echo "token expired, run login" >&2; exit 1',
      error: /exec plugin '.*' .*failed: token expired, run login/,
    },
    { name: 'prints garbage', body: 'echo hello', error: /not an ExecCredential \(not JSON\)/ },
    { name: 'prints JSON without status', body: `echo '{}'`, error: /not an ExecCredential \(no status\)/ },
    { name: 'prints no token', body: `echo '{"status":{}}'`, error: /without status.token/ },
  ])(
    'an exec plugin that $name is one KubeconfigError naming the user and plugin',
    async ({ body, error }) => {
      const file = write(doc('    server: https://x', execUser(plugin(body))));
      const conn = loadKubeconfig({ file });
      const err = await conn.auth.current().then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(KubeconfigError);
      expect((err as Error).message).toMatch(error);
      expect((err as Error).message).toContain(`kubeconfig user 'u' (context 'main', ${file}:`);
      expect((err as Error).message).not.toContain('\n');
    },
  );

  it('an exec plugin that hangs is a KubeconfigError after the timeout, not a hang', async () => {
    const conn = loadKubeconfig({
      file: write(doc('    server: https://x', execUser(plugin('exec sleep 3')))),
    });
    const source = (conn.auth as unknown as { source: ConstructorParameters<typeof KubeAuth>[0] }).source;
    const auth = new KubeAuth(source, () => performance.now(), 300);
    const started = performance.now();
    await expect(auth.current()).rejects.toThrow(
      /exec plugin '.*' .*did not finish: no credential within 0.3 s/,
    );
    expect(performance.now() - started).toBeLessThan(2500);
  });

  it('a missing exec command is named', async () => {
    const conn = loadKubeconfig({ file: write(doc('    server: https://x', execUser(join(dir, 'nope')))) });
    await expect(conn.auth.current()).rejects.toThrow(/cannot be run \(ENOENT\)/);
  });
});

describe('loadKubeconfig: selection and refusals', () => {
  it.each([
    {
      name: 'an unknown context',
      text: doc('    server: https://x', '    token: t'),
      context: 'nope',
      error: /context 'nope' not found in .* \(contexts: main, other\)/,
    },
    {
      name: 'no server',
      text: doc('    certificate-authority: ca.pem', '    token: t'),
      error: /:7:5: cluster 'c' has no http\(s\) server/,
    },
    {
      name: 'impersonation of groups',
      text: doc('    server: https://x', '    token: t\n    as-groups: [admins]'),
      error: /:12:5: users\[name=u\]\.user\.as-groups: impersonation beyond `as` is not supported/,
    },
    {
      name: 'an unknown auth-provider',
      text: doc('    server: https://x', '    auth-provider: {name: keystone}'),
      error: /users\[name=u\]\.user\.auth-provider: auth-provider 'keystone' is not supported/,
    },
    {
      name: 'exec provideClusterInfo',
      text: doc('    server: https://x', `${execUser('/bin/true')}\n      provideClusterInfo: true`),
      error: /provideClusterInfo is not supported/,
    },
    {
      name: 'a user without credential (would be anonymous)',
      text: doc('    server: https://x', '    {}'),
      error: /user 'u' has no credential .* requests would be anonymous/,
    },
    {
      name: 'http without insecure-skip-tls-verify',
      text: doc('    server: http://x', '    token: t'),
      error: /an http:\/\/ server needs insecure-skip-tls-verify/,
    },
    { name: 'no context at all', text: 'apiVersion: v1\n', error: /no context given and no current-context/ },
    { name: 'not YAML', text: 'a: [\n', error: /:2:1: not YAML/ },
  ])('refuses $name', ({ text, context, error }) => {
    const file = write(text);
    const load = () => loadKubeconfig({ file, ...(context ? { context } : {}) });
    expect(load).toThrow(KubeconfigError);
    expect(load).toThrow(error);
  });

  it('a missing file is named', () => {
    expect(() => loadKubeconfig({ file: join(dir, 'missing') })).toThrow(/cannot read kubeconfig .*missing/);
    expect(() => loadKubeconfig({ env: { KUBECONFIG: join(dir, 'a-missing') } })).toThrow(
      /KUBECONFIG names no existing file/,
    );
  });

  it('merges every KUBECONFIG file as kubectl does: the first to name an entry wins, missing files skipped', async () => {
    const clusterUser = write(`apiVersion: v1
clusters:
- name: c
  cluster: {server: 'https://first:6443'}
users:
- name: u
  user: {token: first-token}
`);
    const contextAndShadows = write(`apiVersion: v1
current-context: merged
contexts:
- name: merged
  context: {cluster: c, user: u, namespace: ns}
clusters:
- name: c
  cluster: {server: 'https://second:6443'}
users:
- name: u
  user: {token: second-token}
`);
    const env = { KUBECONFIG: [join(dir, 'absent'), clusterUser, contextAndShadows].join(':') };
    const conn = loadKubeconfig({ env });
    expect(conn.context).toBe('merged');
    expect(conn.server).toBe('https://first:6443');
    expect(conn.namespace).toBe('ns');
    expect((await conn.auth.current()).headers.authorization).toBe('Bearer first-token');
    expect(defaultKubeconfigPath(env)).toBe(join(dir, 'absent'));
  });

  it('uses the in-cluster service account when no kubeconfig exists and KUBERNETES_SERVICE_HOST is set', async () => {
    const sa = join(dir, 'sa');
    rmSync(sa, { recursive: true, force: true });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(sa);
    writeFileSync(join(sa, 'token'), 'sa-token');
    writeFileSync(join(sa, 'ca.crt'), 'SA CA');
    const env = {
      HOME: join(dir, 'no-home'),
      KUBERNETES_SERVICE_HOST: '10.96.0.1',
      KUBERNETES_SERVICE_PORT: '443',
      KHA_SERVICEACCOUNT_DIR: sa,
    };
    const conn = loadKubeconfig({ env });
    expect(conn.server).toBe('https://10.96.0.1:443');
    expect(conn.source).toBe(`in-cluster (${sa})`);
    const state = await conn.auth.current();
    expect(state.headers.authorization).toBe('Bearer sa-token');
    expect(state.tls.ca?.toString()).toBe('SA CA');
    expect(() => loadKubeconfig({ env: { ...env, KHA_SERVICEACCOUNT_DIR: join(dir, 'none') } })).toThrow(
      /KUBERNETES_SERVICE_HOST is set but .*none\/token does not exist/,
    );
    expect(() => loadKubeconfig({ env: { HOME: join(dir, 'no-home') } })).toThrow(/no kubeconfig/);
  });
});
