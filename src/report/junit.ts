/**
 * junit.xml: one <testsuite> per drill run, one <testcase> per SLO, plus a `restore` testcase
 * (a failed restore is the loudest failure there is) and, when the run did not reach the SLO
 * evaluation, a `run` testcase carrying why.
 *
 * Unknown verdicts are <error>s, not <skipped>: the SLO could not be checked, which CI parsers
 * show red, matching exit code 1 (see slo/evaluate.ts sloExitCode). <skipped> would turn an
 * unverified SLO green in most CI systems.
 */
import { escapeXml } from './escape.js';
import { headline, verdictCounts } from './headline.js';
import type { RunResult, Verdict } from './result.js';
import type { TimelineEvent } from '../timeline/events.js';

/** One <testcase>; shared with the game-day's suite junit.xml. */
export interface JunitCase {
  name: string;
  classname: string;
  time: number;
  failure?: { message: string; type: string; body: string };
  error?: { message: string; type: string; body: string };
  out?: string;
}
type Case = JunitCase;

export function renderJunit(result: RunResult, _events: readonly TimelineEvent[] = []): string {
  const h = headline(result);
  const classname = `kha-drill.${result.drill.name}`;
  const cases: Case[] = result.verdicts.map((v) => sloCase(v, classname));
  cases.push(restoreCase(result, classname));
  if (result.outcome !== 'pass' && result.outcome !== 'fail' && result.outcome !== 'restore-failed') {
    const why = [h.meaning, ...result.errors].join('\n');
    cases.unshift({
      name: 'run',
      classname,
      time: result.durationS,
      error: { message: `${h.label}: ${h.meaning}`, type: `Outcome.${result.outcome}`, body: why },
    });
  }
  const failures = cases.filter((c) => c.failure).length;
  const errors = cases.filter((c) => c.error).length;
  const attrs = (o: Record<string, string | number>): string =>
    Object.entries(o)
      .map(([k, v]) => ` ${k}="${escapeXml(String(v))}"`)
      .join('');

  const props: [string, string][] = [
    ['runId', result.runId],
    ['outcome', result.outcome],
    ['exitCode', String(result.exitCode)],
    ['cluster', result.inventory.cluster],
    ['drillFile', result.drill.file],
    ['drillDigest', result.drill.digest],
    ['inventoryDigest', result.inventory.digest],
    ['harnessVersion', result.harnessVersion],
    ...Object.entries(result.targets).map(([spec, masters]): [string, string] => [
      `target:${spec}`,
      masters.join(','),
    ]),
  ];
  const lines: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const totals = { tests: cases.length, failures, errors, skipped: 0, time: result.durationS.toFixed(3) };
  lines.push(`<testsuites${attrs({ name: 'kha-drill', ...totals })}>`);
  lines.push(
    `  <testsuite${attrs({ name: result.drill.name, ...totals, timestamp: result.startedAt.slice(0, 19), hostname: result.inventory.cluster })}>`,
  );
  lines.push('    <properties>');
  for (const [name, value] of props) lines.push(`      <property${attrs({ name, value })}/>`);
  lines.push('    </properties>');
  for (const c of cases) {
    const open = `    <testcase${attrs({ name: c.name, classname: c.classname, time: c.time.toFixed(3) })}`;
    const problem = c.failure ? ['failure', c.failure] : c.error ? ['error', c.error] : null;
    if (!problem) {
      lines.push(`${open}/>`);
      continue;
    }
    const [tag, p] = problem as ['failure' | 'error', { message: string; type: string; body: string }];
    lines.push(`${open}>`);
    lines.push(`      <${tag}${attrs({ message: p.message, type: p.type })}>${escapeXml(p.body)}</${tag}>`);
    lines.push('    </testcase>');
  }
  const out = [`${h.label}: ${h.meaning} (${verdictCounts(h)})`, result.summary].filter(Boolean).join('\n');
  lines.push(`    <system-out>${escapeXml(out)}</system-out>`);
  lines.push('  </testsuite>');
  lines.push('</testsuites>');
  return `${lines.join('\n')}\n`;
}

/** A testcase for one SLO verdict: a failure when it failed, an error when it is unknown. */
export function sloCase(v: Verdict, classname: string, name: string = v.slo, time = 0): JunitCase {
  const c: Case = { name, classname, time };
  const body = [`SLO: ${v.slo}`, `metric: ${v.metric}`, `bound: ${v.bound}`, `result: ${v.message}`].join(
    '\n',
  );
  if (v.status === 'fail') c.failure = { message: `${v.metric}: ${v.message}`, type: 'SloViolated', body };
  if (v.status === 'unknown')
    c.error = { message: `${v.metric}: not verified: ${v.message}`, type: 'SloUnknown', body };
  return c;
}

function restoreCase(result: RunResult, classname: string): Case {
  const steps = result.steps.filter((s) => s.phase === 'restore');
  const time = steps.reduce((sum, s) => sum + Math.max(0, s.endT - s.startT), 0);
  const c: Case = { name: 'restore', classname, time };
  if (!result.restore.ok) {
    const failed = steps
      .filter((s) => !s.ok)
      .map((s) => `${s.action} on ${s.targets.join(',') || '-'}: ${s.error ?? `exit ${s.exitCode ?? '?'}`}`);
    c.failure = {
      message: `restore failed: the cluster may be degraded; pending: ${result.restore.pending.join('; ') || 'none recorded'}`,
      type: 'RestoreFailed',
      body: [
        ...failed,
        ...result.restore.pending.map((p) => `pending: ${p}`),
        'run `kha-drill recover` to replay the pending restore steps',
      ].join('\n'),
    };
  }
  return c;
}
