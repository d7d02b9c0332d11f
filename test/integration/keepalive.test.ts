/**
 * The pollers' kept-alive connections (src/clients/keepalive.ts) and the static kubeconfig
 * credential (read without @kubernetes/client-node) against the lab's real etcd, kube-apiserver
 * and HAProxy over TLS: answers, one socket per poll loop, certificate checks that refuse, and a
 * member stopped and started again under a kept connection (issue 14).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdMemberClient } from '../../src/clients/etcd.js';
import { isStatic, type KubeAuthSource } from '../../src/clients/kube-auth.js';
import { KeepAliveHttp } from '../../src/clients/keepalive.js';
import { loadKubeconfig } from '../../src/clients/kubeconfig.js';
import { KubeProbe } from '../../src/clients/probe.js';
import { labSsh, startLab, stopLab, waitHealthy, type Lab } from './lab.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('kept-alive connections on the lab', () => {
  let lab: Lab;
  let tls: { ca: Buffer; cert: Buffer; key: Buffer };

  beforeAll(async () => {
    lab = await startLab();
    tls = {
      ca: readFileSync(lab.etcdTls.ca),
      cert: readFileSync(lab.etcdTls.cert),
      key: readFileSync(lab.etcdTls.key),
    };
  });

  afterAll(async () => {
    await stopLab();
  });

  it('etcd status over one socket per member, as etcd answers it', async () => {
    for (const m of lab.masters) {
      const http = new KeepAliveHttp(m.etcd, tls);
      for (let i = 0; i < 30; i++) {
        const r = await http.request({
          path: '/v3/maintenance/status',
          method: 'POST',
          body: '{}',
          timeoutMs: 2000,
        });
        expect(r.status).toBe(200);
        const body = JSON.parse(r.body) as {
          header?: { member_id?: string };
          leader?: string;
          raftTerm?: string;
        };
        expect(body.header?.member_id).toMatch(/^\d+$/);
        expect(body.leader).toMatch(/^\d+$/);
      }
      expect(http.sockets).toBe(1);
      http.close();
    }
  });

  it('/readyz of every API server and the load balancer with the kubeconfig read without the library', async () => {
    const conn = loadKubeconfig({ file: lab.kubeconfig, env: {} });
    expect(isStatic((conn.auth as unknown as { source: KubeAuthSource }).source)).toBe(true);
    for (const url of [...lab.masters.map((m) => m.apiserver), lab.loadBalancer]) {
      const probe = new KubeProbe(url, conn.auth);
      for (let i = 0; i < 10; i++) {
        expect(await probe.probe('/readyz', 2000)).toMatchObject({ ok: true, status: 200, body: 'ok' });
      }
      // the credential reached the server: a path that needs it answers 200, not 401/403
      const leases = await probe.probe('/apis/coordination.k8s.io/v1/namespaces/kube-system/leases', 2000);
      expect(leases).toMatchObject({ ok: true, status: 200 });
      probe.close();
    }
  });

  it('refuses a server its CA did not sign and a name the certificate does not hold', async () => {
    const m = lab.masters[0]!;
    // the client certificate is no CA: nothing the server shows chains to it
    const wrongCa = new KeepAliveHttp(m.etcd, { ...tls, ca: tls.cert });
    const e1 = await wrongCa.request({ path: '/health', timeoutMs: 2000 }).catch((e: unknown) => e);
    expect(e1).toMatchObject({ code: expect.stringMatching(/VERIFY|SELF_SIGNED|ISSUER/) });
    const wrongName = new KeepAliveHttp(m.etcd, { ...tls, serverName: 'not-this-master.example' });
    const e2 = await wrongName.request({ path: '/health', timeoutMs: 2000 }).catch((e: unknown) => e);
    expect(e2).toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    expect(wrongCa.sockets + wrongName.sockets).toBe(0);
  });

  it('a member stopped under a kept connection fails at once, and is read again once it is back', async () => {
    const m = lab.masters[2]!;
    const client = new EtcdMemberClient(m.etcd, tls);
    expect((await client.status({ timeoutMs: 2000 })).ok).toBe(true);
    try {
      expect(labSsh(lab, m.name, 'systemctl stop etcd').status).toBe(0);
      const down = await client.status({ timeoutMs: 2000 });
      expect(down.ok).toBe(false);
      expect(down.latencyMs).toBeLessThan(1500);
    } finally {
      expect(labSsh(lab, m.name, 'systemctl start etcd').status).toBe(0);
    }
    let up = await client.status({ timeoutMs: 2000 });
    for (let i = 0; i < 40 && !(up.ok && up.leader); i++) {
      await sleep(250);
      up = await client.status({ timeoutMs: 2000 });
    }
    expect(up).toMatchObject({ ok: true, leader: expect.stringMatching(/^[0-9a-f]+$/) });
    client.close();
    expect((await waitHealthy(lab)).code).toBe(0);
  });
});
