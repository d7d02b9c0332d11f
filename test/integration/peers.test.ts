/**
 * Issue 15, peers part: partition rules from etcd's member list (printed in the plan, noted on
 * the run's timeline), the write probe's keys on a lease that is gone after the run, and
 * `recover --discard` for an undo that can never succeed. One lab.
 * Needs root and the built CLI (`npm run build`).
 */
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdctl, kha, killWhileProbing, labSsh, startLab, stopLab, waitHealthy, type Lab } from './lab.js';

const work = mkdtempSync(path.join(tmpdir(), 'kha-peers-it-'));
const env = { KHA_STATE_DIR: path.join(work, 'state'), NO_COLOR: '1' };
let lab: Lab;

beforeAll(async () => {
  lab = await startLab();
}, 240_000);
afterAll(async () => {
  await stopLab();
}, 120_000);

/** master name → the peer URL host etcd's member list gives for it (read with etcdctl). */
function memberListHosts(): Record<string, string> {
  const r = etcdctl(lab, ['member', 'list', '-w', 'json']);
  const body = JSON.parse(r.stdout) as { members: { name: string; peerURLs: string[] }[] };
  return Object.fromEntries(body.members.map((m) => [m.name, new URL(m.peerURLs[0] as string).hostname]));
}

describe('partition peers, probe lease, recover --discard (lab)', () => {
  it('plans and runs etcd-leader-partition against the member list addresses; no probe key is left after', async () => {
    const hosts = memberListHosts();
    const plan = await kha(['plan', 'etcd-leader-partition', '-i', lab.inventory], env, 60_000);
    expect(plan.code, plan.stderr).toBe(0);
    const line = /peer addresses \(etcd member list, resolved once\): (.*)/.exec(plan.stdout)?.[1];
    expect(line, plan.stdout).toBe(
      Object.entries(hosts)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([m, h]) => `${m} ${h}`)
        .join(', '),
    );
    const r = await kha(
      ['run', 'etcd-leader-partition', '-i', lab.inventory, '--out', path.join(work, 'reports')],
      env,
      170_000,
    );
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const runDir = /report: (\S+)/.exec(r.stdout)?.[1] as string;
    const timeline = readFileSync(path.join(runDir, 'timeline.ndjson'), 'utf8');
    expect(timeline).toContain('peer addresses (etcd member list): ');
    // the write probe cleaned up after itself
    const keys = etcdctl(lab, ['get', '--prefix', '/kha-drill/probe/', '--keys-only']);
    expect(keys.status, keys.stderr).toBe(0);
    expect(keys.stdout.trim()).toBe('');
  }, 240_000);

  it('the write probe’s keys hang on a lease: after kill -9 of the harness they vanish by themselves', async () => {
    const { keysBefore, killed, vanishedAfterMs } = await killWhileProbing(
      lab,
      env,
      path.join(work, 'reports'),
      30_000,
    );
    expect(keysBefore.length, `${killed.stdout}\n${killed.stderr}`).toBeGreaterThan(0);
    expect(keysBefore.every((kv) => kv.lease && kv.lease !== '0')).toBe(true);
    expect(killed.signal).toBe('SIGKILL');
    // the 15 s TTL, give or take a keep-alive and etcd's lease checkpointing
    expect(vanishedAfterMs).toBeGreaterThanOrEqual(0);
    expect(vanishedAfterMs).toBeLessThan(25_000);
    // what the killed run injected is put back by recover
    const rec = await kha(['recover', '-i', lab.inventory, '--force'], env, 120_000);
    expect(rec.code, `${rec.stdout}\n${rec.stderr}`).toBe(0);
    expect((await waitHealthy(lab, env, 90_000)).code).toBe(0);
  }, 240_000);

  it('recover --discard: refuses without a terminal, discards with --yes, nothing is run', async () => {
    const state = env.KHA_STATE_DIR;
    const journalDir = path.join(state, 'journal');
    mkdirSync(journalDir, { recursive: true });
    const cluster = /name: (\S+)/.exec(readFileSync(lab.inventory, 'utf8'))?.[1] as string;
    const marker = `/tmp/kha-discard-${Date.now()}`;
    const entry = {
      id: 'inject-0.0',
      master: lab.masters[0]?.name,
      description: 'an undo that can never succeed',
      commands: [`touch ${marker}; false`],
      status: 'failed',
      at: new Date().toISOString(),
      error: 'exit 1',
    };
    writeFileSync(
      path.join(journalDir, `${cluster}.json`),
      JSON.stringify({
        version: 1,
        cluster,
        runId: 'r-discard',
        drill: 'd',
        runDir: path.join(work, 'gone'),
        journalFile: path.join(work, 'gone', 'journal.ndjson'),
        pid: 1 << 22,
        host: 'elsewhere',
        startedAt: new Date().toISOString(),
        entries: [entry],
      }),
    );
    const no = await kha(['recover', '-i', lab.inventory, '--discard', 'inject-0.0'], env, 60_000);
    expect(no.code, no.stderr).toBe(2);
    expect(no.stderr).toMatch(/--discard inject-0\.0: no terminal to ask on/);
    const yes = await kha(['recover', '-i', lab.inventory, '--discard', 'inject-0.0', '--yes'], env, 60_000);
    expect(yes.code, yes.stderr).toBe(0);
    expect(yes.stdout).toMatch(/undo: touch .*; false/);
    expect(yes.stdout).toMatch(/1 discarded; nothing is pending/);
    const again = await kha(['recover', '-i', lab.inventory], env, 60_000);
    expect(again.stdout).toMatch(/nothing to recover/);
    // the discarded undo never ran on the master
    expect(labSsh(lab, lab.masters[0]?.name as string, `test -e ${marker}`).status).toBe(1);
  }, 120_000);
});
