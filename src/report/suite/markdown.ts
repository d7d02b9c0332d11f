/**
 * suite summary.md: fits a CI step summary. The verdict line, then per drill the statistics of
 * each metric over the iterations, the aggregate SLOs and one line per iteration; then the
 * baseline comparison when there is one.
 */
import { escapeMarkdownCell as cell, markdownCode as code } from '../escape.js';
import { formatMeasured } from '../../text/numbers.js';
import { displayRows, formatDelta, formatTolerance, formatValue, STATUS_LABEL } from './baseline-format.js';
import type { SuiteResult } from './result.js';
import { displayedStats, formatDuration, iterationLine, regressionLine, suiteHeadline } from './headline.js';

const ICON = { pass: '✅', fail: '❌', unknown: '❔' } as const;
const OUTCOME_ICON: Record<string, string> = {
  pass: '✅',
  fail: '❌',
  'not-steady': '⏸️',
  error: '💥',
  interrupted: '⏹️',
  'restore-failed': '🚨',
};

export function renderSuiteMarkdown(r: SuiteResult): string {
  const h = suiteHeadline(r);
  const out: string[] = [];
  if (r.outcome === 'restore-failed')
    out.push('> [!CAUTION]\n> **Restore failed: the cluster may be degraded.** Run `kha-drill recover`.', '');
  out.push(
    `## ${OUTCOME_ICON[r.outcome] ?? ''} ${h.label}: game-day ${cell(r.suite.name)} on ${cell(r.inventory.cluster)}`,
    '',
  );
  const its = r.drills.reduce((n, d) => n + d.iterations.length, 0);
  out.push(
    `${h.meaning}. ${its} iteration${its === 1 ? '' : 's'} of ${r.drills.length} drill${r.drills.length === 1 ? '' : 's'} in ${formatDuration(r.durationS)}, exit ${r.exitCode}. ${cell(r.summary)}`,
    '',
  );
  if (r.stopped) out.push(`**Stopped early:** ${cell(r.stopped)}`, '');
  const reg = regressionLine(r);
  if (reg) out.push(`**Baseline:** ${cell(reg)}`, '');

  for (const d of r.drills) {
    out.push(`### ${cell(d.name)}: ${iterationLine(d)}`, '');
    const shown = displayedStats(d.stats);
    if (shown.length) {
      out.push(
        '| metric | n | unknown | min | p50 | p95 | max |',
        '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
      );
      for (const s of shown)
        out.push(
          `| ${code(s.metric)} | ${s.count} | ${s.unknown} | ${formatValue(s.min, s.unit)} | ${formatValue(s.p50, s.unit)} | ${formatValue(s.p95, s.unit)} | ${formatValue(s.max, s.unit)} |`,
        );
      out.push('');
    }
    if (d.aggregateVerdicts.length) {
      out.push('| aggregate SLO | value | verdict |', '| --- | ---: | --- |');
      for (const v of d.aggregateVerdicts)
        out.push(
          `| ${code(v.slo)} | ${v.value === null ? '—' : formatMeasured(v.value, v.errorS ?? 0, v.unit ?? 's')} | ${ICON[v.status]} ${v.status}${v.status === 'pass' ? '' : `: ${cell(v.message)}`} |`,
        );
      out.push('');
    }
    out.push('| # | outcome | SLOs | summary | report |', '| ---: | --- | --- | --- | --- |');
    for (const it of d.iterations) {
      const slos = it.verdicts.map((v) => `${ICON[v.status]}`).join('') || '—';
      out.push(
        `| ${it.index} | ${OUTCOME_ICON[it.outcome] ?? ''} ${it.outcome} (exit ${it.exitCode}) | ${slos} | ${cell(it.summary)} | ${code(it.dir)} |`,
      );
    }
    out.push('');
  }

  if (r.baseline) {
    const b = r.baseline;
    out.push(`### Baseline: ${cell(b.baseline.dir)}`, '');
    out.push(
      `Compared with ${b.baseline.kind} ${cell(b.baseline.name)} of ${cell(b.baseline.startedAt)}; tolerance ${formatTolerance(b.tolerance)} (seconds: worse by more than both; ratios: lower by more than the percentage; counts: any increase).`,
      '',
    );
    const { rows, notes } = displayRows(b);
    out.push(
      '| drill | metric | stat | baseline | now | change | verdict |',
      '| --- | --- | --- | ---: | ---: | ---: | --- |',
    );
    for (const row of rows)
      out.push(
        `| ${cell(row.drill)} | ${code(row.metric)} | ${row.stat} | ${formatValue(row.baseline, row.unit)} | ${formatValue(row.current, row.unit)} | ${formatDelta(row)} | ${row.status === 'regression' ? '**REGRESSION**' : STATUS_LABEL[row.status]} |`,
      );
    out.push('', ...notes.map((n) => `- ${cell(n)}`), ...(notes.length ? [''] : []));
  }
  if (r.errors.length) out.push('**Errors:**', '', ...r.errors.map((e) => `- ${cell(e)}`), '');
  return `${out.join('\n')}\n`;
}
