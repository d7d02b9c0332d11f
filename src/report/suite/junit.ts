/**
 * suite junit.xml: a <testsuite> per drill with a <testcase> per SLO per iteration (`#2
 * lease.takeover_s < 3.2`) and per aggregate (`p(95)(lease.takeover_s) < 18 over 5`), an error
 * case for an iteration that did not get to its SLOs, and a `baseline` testsuite when compared.
 * Unknown verdicts are errors (as in the single-run junit.xml): not verified is not green.
 */
import { escapeXml } from '../escape.js';
import { sloCase, type JunitCase } from '../junit.js';
import { formatDelta, formatValue, STATUS_LABEL } from './baseline-format.js';
import type { IterationRecord, SuiteResult } from './result.js';
import { suiteHeadline } from './headline.js';

type Case = JunitCase;

const attrs = (o: Record<string, string | number>): string =>
  Object.entries(o)
    .map(([k, v]) => ` ${k}="${escapeXml(String(v))}"`)
    .join('');

function iterationCases(it: IterationRecord, classname: string): Case[] {
  const cases = it.verdicts.map((v) => sloCase(v, classname, `#${it.index} ${v.slo}`));
  if (it.outcome === 'restore-failed') {
    cases.push({
      name: `#${it.index} restore`,
      classname,
      time: 0,
      failure: {
        message: `restore failed: the cluster may be degraded (${it.summary})`,
        type: 'RestoreFailed',
        body: `see ${it.dir}/report.json; run \`kha-drill recover\``,
      },
    });
  } else if (it.outcome !== 'pass' && it.outcome !== 'fail') {
    cases.unshift({
      name: `#${it.index} run`,
      classname,
      time: it.durationS,
      error: {
        message: `${it.outcome}: ${it.summary}`,
        type: `Outcome.${it.outcome}`,
        body: `see ${it.dir}`,
      },
    });
  }
  return cases;
}

function suiteBlock(
  name: string,
  cases: Case[],
  extra: Record<string, string | number>,
  props: [string, string][],
): string[] {
  const failures = cases.filter((c) => c.failure).length;
  const errors = cases.filter((c) => c.error).length;
  const time = cases.reduce((s, c) => s + c.time, 0);
  const lines = [
    `  <testsuite${attrs({ name, tests: cases.length, failures, errors, skipped: 0, time: time.toFixed(3), ...extra })}>`,
  ];
  if (props.length) {
    lines.push('    <properties>');
    for (const [n, value] of props) lines.push(`      <property${attrs({ name: n, value })}/>`);
    lines.push('    </properties>');
  }
  for (const c of cases) {
    const open = `    <testcase${attrs({ name: c.name, classname: c.classname, time: c.time.toFixed(3) })}`;
    const problem = c.failure
      ? (['failure', c.failure] as const)
      : c.error
        ? (['error', c.error] as const)
        : null;
    if (!problem && !c.out) {
      lines.push(`${open}/>`);
      continue;
    }
    lines.push(`${open}>`);
    if (problem) {
      const [tag, p] = problem;
      lines.push(`      <${tag}${attrs({ message: p.message, type: p.type })}>${escapeXml(p.body)}</${tag}>`);
    }
    if (c.out) lines.push(`      <system-out>${escapeXml(c.out)}</system-out>`);
    lines.push('    </testcase>');
  }
  lines.push('  </testsuite>');
  return lines;
}

export function renderSuiteJunit(r: SuiteResult): string {
  const blocks: { name: string; cases: Case[]; props: [string, string][] }[] = [];
  for (const d of r.drills) {
    const classname = `kha-drill.${r.suite.name}.${d.name}`;
    const cases: Case[] = d.iterations.flatMap((it) => iterationCases(it, classname));
    for (const v of d.aggregateVerdicts)
      cases.push(sloCase(v, classname, `${v.slo} over ${d.iterations.length} iterations`));
    blocks.push({
      name: d.name,
      cases,
      props: [
        ['drillFile', d.file],
        ['drillDigest', d.digest],
        ['iterations', `${d.iterations.length}/${d.plannedIterations}`],
        ['exitCode', String(d.exitCode)],
      ],
    });
  }
  if (r.baseline) {
    const classname = `kha-drill.${r.suite.name}.baseline`;
    const cases = r.baseline.rows
      .filter((row) => row.status === 'ok' || row.status === 'regression' || row.status === 'improved')
      .map((row): Case => {
        const text = `${row.stat}: ${formatValue(row.baseline, row.unit)} → ${formatValue(row.current, row.unit)} (${formatDelta(row)}): ${STATUS_LABEL[row.status]}`;
        const c: Case = { name: `${row.drill} ${row.metric} ${row.stat}`, classname, time: 0 };
        if (row.status === 'regression' && r.options.failOnRegression)
          c.failure = { message: `regression: ${text}`, type: 'Regression', body: text };
        else
          c.out =
            row.status === 'regression' ? `${text} (reported only: --fail-on-regression not given)` : text;
        return c;
      });
    blocks.push({ name: 'baseline', cases, props: [['baseline', r.baseline.baseline.dir]] });
  }
  const all = blocks.flatMap((b) => b.cases);
  const totals = {
    tests: all.length,
    failures: all.filter((c) => c.failure).length,
    errors: all.filter((c) => c.error).length,
    skipped: 0,
    time: r.durationS.toFixed(3),
  };
  const h = suiteHeadline(r);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attrs({ name: `kha-drill ${r.suite.name}`, ...totals })}>`,
  ];
  for (const b of blocks)
    lines.push(
      ...suiteBlock(
        b.name,
        b.cases,
        { timestamp: r.startedAt.slice(0, 19), hostname: r.inventory.cluster },
        b.props,
      ),
    );
  lines.push(`  <!-- ${escapeXml(`${h.label}: ${h.meaning}; exit ${r.exitCode}`).replace(/--/g, '- -')} -->`);
  lines.push('</testsuites>');
  return `${lines.join('\n')}\n`;
}
