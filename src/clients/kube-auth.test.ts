import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isStatic, KubeAuth, type KubeAuthSource } from './kube-auth.js';
import { KubeconfigError, loadKubeconfig } from './kubeconfig.js';

const dir = mkdtempSync(join(tmpdir(), 'kha-kube-auth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, 'sub'));
writeFileSync(join(dir, 'ca.pem'), 'CA FILE');
writeFileSync(join(dir, 'sub', 'cert.pem'), 'CERT FILE');
writeFileSync(join(dir, 'sub', 'key.pem'), 'KEY FILE');
const b64 = (s: string) => Buffer.from(s).toString('base64');

let n = 0;
/** One kubeconfig; `where` puts it in a sub-folder, so relative paths resolve against it. */
function config(cluster: string, user: string, where = dir): string {
  const file = join(where, `config-${++n}`);
  writeFileSync(
    file,
    `apiVersion: v1
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
  context: {cluster: c, user: u}
`,
  );
  return file;
}

const sourceOf = (file: string): KubeAuthSource =>
  (loadKubeconfig({ file }).auth as unknown as { source: KubeAuthSource }).source;

const shown = async (auth: KubeAuth) => {
  const s = await auth.current();
  return {
    headers: s.headers,
    tls: Object.fromEntries(
      Object.entries(s.tls).map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString() : v]),
    ),
    key: s.key,
  };
};

// Each static credential, read without the library, must give exactly what the library gives.
const cases = [
  {
    name: 'client certificate and key data, CA data (kubeadm admin.conf)',
    cluster: `    server: https://10.0.0.1:6443\n    certificate-authority-data: ${b64('CA')}`,
    user: `    client-certificate-data: ${b64('CERT')}\n    client-key-data: ${b64('KEY')}`,
  },
  {
    name: 'certificate files relative to the kubeconfig, CA file, tls-server-name',
    cluster: `    server: https://lb:6443\n    certificate-authority: ../ca.pem\n    tls-server-name: kubernetes`,
    user: `    client-certificate: cert.pem\n    client-key: ${join(dir, 'sub', 'key.pem')}`,
    where: join(dir, 'sub'),
  },
  {
    name: 'a file beats the data beside it',
    cluster: `    server: https://x\n    certificate-authority: ca.pem\n    certificate-authority-data: ${b64('IGNORED')}`,
    user: `    client-certificate: sub/cert.pem\n    client-certificate-data: ${b64('IGNORED')}\n    client-key: sub/key.pem`,
  },
  {
    name: 'token, impersonation, insecure http server',
    cluster: `    server: http://127.0.10.100:6443\n    insecure-skip-tls-verify: true`,
    user: `    token: abc.def\n    as: jane`,
  },
  { name: 'a numeric token', cluster: `    server: https://x`, user: `    token: 12345` },
  { name: 'basic auth', cluster: `    server: https://x`, user: `    username: a\n    password: b` },
  {
    name: 'basic auth beside a token (the library sends Basic)',
    cluster: `    server: https://x`,
    user: `    token: t\n    username: a\n    password: b`,
  },
];

describe('a static credential without @kubernetes/client-node', () => {
  it.each(cases)(
    '$name: the same headers and TLS material as the library',
    async ({ cluster, user, where }) => {
      const source = sourceOf(config(cluster, user, where));
      expect(isStatic(source)).toBe(true);
      const ours = await shown(new KubeAuth(source));
      const library = await shown(new KubeAuth(source, undefined, undefined, 'always'));
      expect(ours).toEqual(library);
      expect(Object.keys(ours.headers).length + Object.keys(ours.tls).length).toBeGreaterThan(0);
    },
  );

  it.each([
    {
      what: 'an exec plugin',
      user: `    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: /bin/true`,
    },
    { what: 'a tokenFile (re-read)', user: `    tokenFile: ${join(dir, 'ca.pem')}` },
    {
      what: 'an oidc auth-provider',
      user: `    auth-provider:\n      name: oidc\n      config: {id-token: x}`,
    },
  ])('$what still goes through the library', ({ user }) => {
    expect(isStatic(sourceOf(config('    server: https://x', user)))).toBe(false);
  });

  it('a proxy-url still goes through the library (its proxy agent)', () => {
    const file = config('    server: https://x\n    proxy-url: http://127.0.0.1:3128', '    token: t');
    expect(isStatic(sourceOf(file))).toBe(false);
  });

  it('re-reads certificate files at each refresh, as the library does (rotation)', async () => {
    const certFile = join(dir, 'rotating.pem');
    writeFileSync(certFile, 'OLD');
    const file = config(
      '    server: https://x',
      `    client-certificate: ${certFile}\n    client-key: sub/key.pem`,
    );
    let now = 0;
    const auth = new KubeAuth(sourceOf(file), () => now);
    expect((await auth.current()).tls.cert?.toString()).toBe('OLD');
    writeFileSync(certFile, 'NEW');
    auth.invalidate();
    const state = await auth.current();
    expect(state.tls.cert?.toString()).toBe('NEW');
    now += 1;
    expect(await auth.current()).toBe(state);
  });

  it('a certificate file gone after loading is the one-line KubeconfigError naming the user', async () => {
    const certFile = join(dir, 'gone.pem');
    writeFileSync(certFile, 'C');
    const file = config(
      '    server: https://x',
      `    client-certificate: ${certFile}\n    client-key: sub/key.pem`,
    );
    const conn = loadKubeconfig({ file });
    rmSync(certFile);
    const err = await conn.auth.current().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(KubeconfigError);
    expect((err as Error).message).toMatch(/kubeconfig user 'u' .*a file it names cannot be read: ENOENT/);
    expect((err as Error).message).not.toContain('\n');
  });
});
