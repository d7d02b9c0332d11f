/**
 * Issue 14's end-to-end accuracy on the real lab, one lab for the file (the lab's hosts share the
 * machine's clock, so the true offset of every master is known: 0 against the wall clock):
 * - the master's clock read over one open SSH channel: the estimate lies within its ± of the truth,
 *   and the ± is a few ms where one exec per reading gave tens;
 * - a graceful stop (scheduler-failover): systemd's ActiveExitTimestamp in the report is the
 *   journal's own "Stopping …" line, and a Lease released during the stop counts from it;
 * - a partition (etcd-leader-partition): t_fault is the master's clock right after the rules.
 * Needs root and the built CLI (`npm run build`).
 */
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { journalCommand, parseJournal, unitLines } from '../../lab/src/truth.js';
import { loadInventoryFile } from '../../src/config/load.js';
import { offsetOf } from '../../src/engine/fault/clock-offset.js';
import { SshRemote } from '../../src/engine/live.js';
import { kha, labSshAsync, startLab, stopLab, waitHealthy, type Lab } from './lab.js';

interface Fault {
  master: string;
  source: string;
  tFault: number;
  lo: number;
  hi: number;
  bracket?: { start: number; end: number };
  stopStart?: number;
}
interface Report {
  restore: { ok: boolean };
  faults?: Fault[];
  metrics: { name: string; value: number | null; errorS: number; note?: string }[];
}
interface TimelineLine {
  kind: string;
  t?: number;
  master?: string;
  offsetS?: number;
  wallTime?: string;
  masterBracket?: { start: number; end?: number };
}

const work = mkdtempSync(path.join(tmpdir(), 'kha-accuracy-it-'));
const env = { KHA_STATE_DIR: path.join(work, 'state'), NO_COLOR: '1' };
let lab: Lab;
let runs = 0;

async function runDrill(drill: string, attempt = 1): Promise<{ report: Report; timeline: TimelineLine[] }> {
  expect((await waitHealthy(lab, env, 90_000)).code).toBe(0);
  const out = path.join(work, `reports-${++runs}`);
  const r = await kha(['run', drill, '-i', lab.inventory, '--out', out, '--quiet'], env, 240_000);
  // right after a restore an API server may answer 500 for a moment: refused at steady state
  // (exit 3, nothing injected), try once more as the bench does
  if (r.code === 3 && attempt === 1) return runDrill(drill, 2);
  expect([0, 1], `${r.stdout}${r.stderr}`).toContain(r.code);
  const [dir] = readdirSync(out);
  if (!dir) throw new Error(`no report (exit ${r.code}): ${r.stderr}${r.stdout}`);
  const full = path.join(out, dir);
  return {
    report: JSON.parse(readFileSync(path.join(full, 'report.json'), 'utf8')) as Report,
    timeline: readFileSync(path.join(full, 'timeline.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as TimelineLine),
  };
}

beforeAll(async () => {
  lab = await startLab({ leaseDuration: '4s', renewDeadline: '3s', retryPeriod: '1s' });
  expect((await waitHealthy(lab, env)).code).toBe(0);
}, 180_000);

afterAll(async () => {
  await stopLab();
});

describe("a master's clock over one open channel", () => {
  it('the offset estimate holds the truth (one shared clock: 0) within its ±, a few ms wide', async () => {
    const inv = loadInventoryFile(lab.inventory);
    const remote = new SshRemote(inv, { env: process.env, cwd: lab.dir });
    // the wall clock at sub-ms resolution: the masters' clock is the same one
    const now = () => (performance.timeOrigin + performance.now()) / 1000;
    try {
      for (const m of inv.masters) {
        await remote.connect(m);
        const pinged = offsetOf(await remote.readClock(m, 5, now));
        const execs = [];
        for (let i = 0; i < 5; i++) {
          const sent = now();
          const r = await remote.exec(m, 'date +%s.%N');
          execs.push({ sent, received: now(), master: Number(r.stdout.trim()) });
        }
        const execd = offsetOf(execs);
        console.info(
          `${m.name}: one channel ${(pinged!.offsetS * 1000).toFixed(2)} ± ${(pinged!.errS * 1000).toFixed(2)} ms; one exec per reading ${(execd!.offsetS * 1000).toFixed(2)} ± ${(execd!.errS * 1000).toFixed(2)} ms (truth 0)`,
        );
        expect(pinged!.samples).toBeGreaterThanOrEqual(4);
        // timeOrigin and the wall clock may disagree by a fraction of a ms
        expect(Math.abs(pinged!.offsetS)).toBeLessThanOrEqual(pinged!.errS + 0.001);
        expect(pinged!.errS).toBeLessThan(0.02);
      }
    } finally {
      await remote.close();
    }
  }, 60_000);
});

describe('the moments on the real lab', () => {
  it("scheduler-failover: the stop's start is systemd's ActiveExitTimestamp, as the journal's “Stopping” line", async () => {
    const { report, timeline } = await runDrill('scheduler-failover');
    expect(report.restore.ok).toBe(true);
    const f = report.faults?.[0];
    expect(f?.source).toBe('unit-exit');
    expect(f?.stopStart, JSON.stringify(f)).toBeDefined();
    expect(f!.stopStart!).toBeLessThanOrEqual(f!.tFault);
    expect(f!.stopStart!).toBeGreaterThanOrEqual(f!.bracket!.start - 0.005);
    const offset = timeline.find((e) => e.kind === 'fault' && e.master === f!.master)!.offsetS!;
    const stopOnMaster = f!.stopStart! + offset;
    const j = await labSshAsync(lab, f!.master, journalCommand('kube-scheduler', (stopOnMaster - 30) * 1000));
    const stopping = unitLines(parseJournal(j.stdout))
      .filter((l) => l.event === 'stopping')
      .map((l) => l.realtimeUs / 1e6)
      .filter((t) => Math.abs(t - stopOnMaster) < 1);
    expect(stopping, j.stdout.slice(-2000)).toHaveLength(1);
    const diffMs = (stopping[0]! - stopOnMaster) * 1000;
    console.info(`scheduler-failover: journal "Stopping" − ActiveExitTimestamp = ${diffMs.toFixed(3)} ms`);
    // journald receives systemd's line just after systemd stamped the state change
    expect(diffMs).toBeGreaterThanOrEqual(-0.5);
    expect(diffMs).toBeLessThan(50);
    const takeover = report.metrics.find((m) => m.name === 'lease.takeover_s');
    expect(takeover?.value).toBeGreaterThan(0);
    if (takeover?.note?.includes("stop's start"))
      expect(takeover.note).toMatch(/systemd's ActiveExitTimestamp/);
    expect((await waitHealthy(lab, env)).code).toBe(0);
  }, 300_000);

  it('etcd-leader-partition: t_fault is the master’s clock read right after the last rule went in', async () => {
    const { report, timeline } = await runDrill('etcd-leader-partition');
    expect(report.restore.ok).toBe(true);
    const f = report.faults?.[0];
    expect(f?.source).toBe('bracket');
    expect(f!.tFault).toBeCloseTo(f!.bracket!.end, 6);
    expect(f!.lo).toBeLessThanOrEqual(f!.bracket!.start);
    const e = timeline.find((x) => x.kind === 'fault' && x.master === f!.master)!;
    // the master's reading, mapped by its offset, is t_fault
    expect(e.masterBracket!.end! - e.offsetS!).toBeCloseTo(f!.tFault, 6);
    const reelection = report.metrics.find((m) => m.name === 'raft.reelection_s');
    expect(reelection?.value).toBeGreaterThan(0);
    expect((await waitHealthy(lab, env, 90_000)).code).toBe(0);
  }, 300_000);
});
