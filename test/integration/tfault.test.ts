/**
 * The fault's real moment (issue 14) on the real lab, one lab for the whole file:
 * - t_fault of a killed and of a stopped kube-scheduler against the journal's own record of the
 *   unit's process leaving (systemd's lines, parsed by lab/src/truth.ts), on the master's clock;
 * - the held-out case: a copy of every built-in drill with a bound no real failover can meet
 *   fails with exit 1.
 * Needs root and the built CLI (`npm run build`).
 */
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { journalCommand, parseJournal, unitLines } from '../../lab/src/truth.js';
import { ROOT, kha, labSshAsync, startLab, stopLab, waitHealthy, type Lab } from './lab.js';

interface Fault {
  index: number;
  master: string;
  source: string;
  tFault: number;
  lo: number;
  hi: number;
  bracket?: { start: number; end: number };
  commandStart: number;
  commandEnd: number;
}
interface Report {
  exitCode: number;
  outcome: string;
  tInject: number | null;
  restore: { ok: boolean };
  faults?: Fault[];
  metrics: { name: string; value: number | null; errorS: number; note?: string }[];
  verdicts: { slo: string; status: string; message: string }[];
}
interface OffsetEvent {
  kind: string;
  master?: string;
  offsetS?: number;
  index?: number;
}

const work = mkdtempSync(path.join(tmpdir(), 'kha-tfault-it-'));
const env = { KHA_STATE_DIR: path.join(work, 'state'), NO_COLOR: '1' };
let lab: Lab;
let runs = 0;

async function runDrill(drill: string): Promise<{ code: number; report: Report; dir: string; out: string }> {
  const out = path.join(work, `reports-${++runs}`);
  const r = await kha(['run', drill, '-i', lab.inventory, '--out', out, '--quiet'], env, 240_000);
  const [dir] = readdirSync(out);
  if (!dir) throw new Error(`no report (exit ${r.code}): ${r.stderr}${r.stdout}`);
  const full = path.join(out, dir);
  const report = JSON.parse(readFileSync(path.join(full, 'report.json'), 'utf8')) as Report;
  return { code: r.code, report, dir: full, out: `${r.stdout}${r.stderr}` };
}

/** The fault event's offset (master time − run time) for one master, from the saved timeline. */
function faultOffset(dir: string, master: string): number {
  const events = readFileSync(path.join(dir, 'timeline.ndjson'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as OffsetEvent);
  const f = events.find((e) => e.kind === 'fault' && e.master === master);
  if (f?.offsetS === undefined) throw new Error(`no fault event for ${master}`);
  return f.offsetS;
}

beforeAll(async () => {
  lab = await startLab();
  expect((await waitHealthy(lab, env)).code).toBe(0);
}, 180_000);

afterAll(async () => {
  await stopLab();
});

describe('t_fault against the journal of the victim master', () => {
  // systemd logs the main process leaving ("Main process exited" for a kill; "Deactivated
  // successfully" / "Stopped" for a stop) as it handles it: journald's receipt time follows the
  // exit within milliseconds, so the two agree closely and the journal is never earlier.
  for (const [drill, events] of [
    ['scheduler-crash', ['killed']],
    ['scheduler-failover', ['exited', 'stopped']],
  ] as const) {
    it(`${drill}: t_fault is systemd's record of the process leaving, inside the command's bracket`, async () => {
      const { code, report, dir } = await runDrill(drill);
      // the drill's own SLOs are not this test's subject (a killed scheduler restarted by systemd
      // may win its Lease back on the same master: issue 14's other half); restore must be done
      expect([0, 1], JSON.stringify(report.verdicts)).toContain(code);
      expect(report.restore.ok).toBe(true);
      const f = report.faults?.[0];
      expect(f, 'a t_fault in report.json').toBeDefined();
      expect(f!.source).toBe('unit-exit');
      // the process left after the command started and before it returned (stop waits; a
      // kill's signal is sent inside the command, and SIGKILL is delivered at once)
      expect(f!.tFault).toBeGreaterThanOrEqual(f!.commandStart);
      expect(f!.lo).toBeLessThanOrEqual(f!.tFault);
      expect(f!.hi).toBeGreaterThanOrEqual(f!.tFault);
      expect(f!.bracket!.start).toBeLessThanOrEqual(f!.tFault + (f!.tFault - f!.lo));
      // the journal of that master, on the master's clock
      const offset = faultOffset(dir, f!.master);
      const masterT = f!.tFault + offset;
      const j = await labSshAsync(lab, f!.master, journalCommand('kube-scheduler', (masterT - 30) * 1000));
      const lines = unitLines(parseJournal(j.stdout)).filter((l) =>
        (events as readonly string[]).includes(l.event),
      );
      const truth = lines.map((l) => l.realtimeUs / 1e6).find((t) => t >= masterT - 0.5);
      expect(truth, `journal lines: ${JSON.stringify(lines)}`).toBeDefined();
      const diff = truth! - masterT;
      // the figure for the report: how far systemd's record and the journal's line lie apart
      console.info(
        `${drill}: t_fault ${f!.source} ±${((f!.hi - f!.lo) / 2).toFixed(4)} s; journal − t_fault = ${(diff * 1000).toFixed(2)} ms; command ${((f!.commandEnd - f!.commandStart) * 1000).toFixed(0)} ms (t_inject − t_fault = ${((f!.commandEnd - f!.tFault) * 1000).toFixed(1)} ms)`,
      );
      // journald receives systemd's line after the exit it reports: a few ms, generous on 2 cores
      expect(diff).toBeGreaterThanOrEqual(-0.001);
      expect(diff).toBeLessThan(0.25);
      // the takeover is counted from t_fault, never negative
      const takeover = report.metrics.find((m) => m.name === 'lease.takeover_s');
      expect(takeover?.value).toBeGreaterThan(0);
      expect(takeover?.note).toMatch(/t_fault|stop's start/);
      expect((await waitHealthy(lab, env)).code).toBe(0);
    }, 240_000);
  }
});

/** Per built-in drill: an SLO no real failover can meet (apiserver-down times no failover). */
const IMPOSSIBLE: Record<string, string> = {
  'apiserver-down': 'apiserver.availability > 1',
  'controller-manager-failover': 'lease.takeover_s < 0.001',
  'etcd-leader-kill': 'raft.reelection_s < 0.001',
  'etcd-leader-partition': 'raft.reelection_s < 0.001',
  'etcd-leader-stop': 'raft.reelection_s < 0.001',
  'master-down': 'lease.takeover_s{lease=kube-system/kube-scheduler} < 0.001',
  'scheduler-crash': 'lease.takeover_s < 0.001',
  'scheduler-failover': 'lease.takeover_s < 0.001',
};

describe('held out: a bound no real failover can meet fails with exit 1, on every built-in drill', () => {
  const drills = readdirSync(path.join(ROOT, 'drills'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.replace(/\.yaml$/, ''));

  it('covers every built-in drill', () => {
    expect(drills.sort()).toEqual(Object.keys(IMPOSSIBLE).sort());
  });

  for (const name of Object.keys(IMPOSSIBLE)) {
    it(`${name} with \`${IMPOSSIBLE[name]}\`: FAIL, exit 1`, async () => {
      expect((await waitHealthy(lab, env, 90_000)).code).toBe(0);
      const drill = parse(readFileSync(path.join(ROOT, 'drills', `${name}.yaml`), 'utf8')) as {
        slo: string[];
      };
      drill.slo = [IMPOSSIBLE[name]!];
      const file = path.join(work, `${name}-held-out.yaml`);
      writeFileSync(file, stringify(drill));
      const { code, report, out } = await runDrill(file);
      expect(code, out).toBe(1);
      expect(report.outcome).toBe('fail');
      expect(report.verdicts).toHaveLength(1);
      expect(report.verdicts[0]!.status, report.verdicts[0]!.message).toBe('fail');
    }, 300_000);
  }
});
