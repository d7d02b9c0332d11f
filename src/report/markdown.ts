/**
 * summary.md: short enough for a CI step summary (`cat summary.md >> $GITHUB_STEP_SUMMARY`):
 * the outcome line, the SLO table, targets and restore status; metrics and steps folded away.
 */
import { escapeMarkdownCell, markdownCode } from './escape.js';
import { headline, verdictCounts } from './headline.js';
import { formatMeasured } from '../text/numbers.js';
import type { RunResult, VerdictStatus } from './result.js';
import type { TimelineEvent } from '../timeline/events.js';

const ICON: Record<string, string> = {
  pass: '✅',
  fail: '❌',
  unknown: '❔',
  'not-steady': '⏸️',
  error: '💥',
  interrupted: '⏹️',
  'restore-failed': '🚨',
};

export function renderMarkdown(result: RunResult, _events: readonly TimelineEvent[] = []): string {
  const h = headline(result);
  const out: string[] = [];
  if (h.status === 'restore-failed') {
    out.push(
      `> [!CAUTION]\n> **Restore failed: the cluster may be degraded.** Run \`kha-drill recover\`.`,
      '',
    );
  }
  out.push(
    `## ${ICON[h.status]} ${h.label}: ${escapeMarkdownCell(result.drill.name)} on ${escapeMarkdownCell(result.inventory.cluster)}`,
  );
  out.push('');
  // what the drill does, e.g. that etcd-leader-stop times a leadership transfer, not an election
  if (result.drill.description) out.push(`_${escapeMarkdownCell(result.drill.description)}_`, '');
  out.push(
    `${h.meaning} (${verdictCounts(h)}).${result.summary ? ` ${escapeMarkdownCell(result.summary)}` : ''}`,
  );
  out.push('');

  if (result.verdicts.length) {
    out.push('| SLO | measured | bound | verdict |', '| --- | ---: | --- | --- |');
    for (const v of result.verdicts) {
      const measured = v.value === null ? '—' : formatMeasured(v.value, v.errorS ?? 0, v.unit ?? 's');
      const note =
        v.status === 'pass'
          ? v.marginal
            ? ' (within error bound)'
            : ''
          : `: ${escapeMarkdownCell(v.message)}`;
      out.push(
        `| ${markdownCode(v.slo)} | ${measured} | ${markdownCode(v.bound || '?')} | ${statusCell(v.status)}${note} |`,
      );
    }
    out.push('');
  }

  // the fault's real moment beside the command's send and return
  for (const f of result.faults ?? []) {
    const pm = Math.max(f.tFault - f.lo, f.hi - f.tFault);
    out.push(
      `**Fault:** t_fault ${f.tFault.toFixed(3)} ± ${pm.toFixed(3)} s on ${escapeMarkdownCell(f.master)} (${escapeMarkdownCell(f.note)}); command sent ${f.commandStart.toFixed(3)} s, returned ${f.commandEnd.toFixed(3)} s${f.bracket ? `, on the master's clock ${f.bracket.start.toFixed(3)}–${f.bracket.end.toFixed(3)} s` : ''}${f.stopStart !== undefined ? `; systemd began the stop at ${f.stopStart.toFixed(3)} s` : ''}`,
      '',
    );
  }

  const targets = Object.entries(result.targets);
  if (targets.length) {
    out.push(
      `**Targets:** ${targets.map(([spec, masters]) => `${markdownCode(spec)} → ${escapeMarkdownCell(masters.join(', ') || '(none)')}`).join('; ')}`,
    );
    out.push('');
  }
  const restoreSteps = result.steps.filter((s) => s.phase === 'restore');
  if (result.restore.ok) {
    out.push(
      `**Restore:** ✅ done (${restoreSteps.length} step${restoreSteps.length === 1 ? '' : 's'}, all succeeded)`,
    );
  } else {
    out.push(
      `**Restore:** 🚨 FAILED; pending: ${result.restore.pending.map((p) => markdownCode(p)).join(', ') || '(none recorded)'}`,
    );
  }
  out.push('');
  if (result.errors.length) {
    out.push('**Errors:**', '');
    for (const e of result.errors) out.push(`- ${escapeMarkdownCell(e)}`);
    out.push('');
  }

  out.push('<details><summary>Metrics</summary>', '');
  out.push('| metric | value | note |', '| --- | ---: | --- |');
  for (const m of result.metrics) {
    const value =
      m.status === 'measured' && m.value !== null ? formatMeasured(m.value, m.errorS, m.unit) : 'unknown';
    out.push(`| ${markdownCode(m.name)} | ${value} | ${escapeMarkdownCell(m.note ?? '')} |`);
  }
  out.push('', '</details>', '');

  out.push('<details><summary>Steps</summary>', '');
  out.push(
    '| phase | # | action | targets | command | t (s) | result |',
    '| --- | ---: | --- | --- | --- | --- | --- |',
  );
  for (const s of result.steps) {
    const res = s.ok ? 'ok' : `❌ ${escapeMarkdownCell(s.error ?? `exit ${s.exitCode ?? '?'}`)}`;
    const when = `${s.startT.toFixed(2)}–${s.endT.toFixed(2)}`;
    out.push(
      `| ${s.phase} | ${s.index} | ${escapeMarkdownCell(s.action)} | ${escapeMarkdownCell(s.targets.join(', ') || '—')} | ${s.command ? markdownCode(s.command) : '—'} | ${when} | ${res} |`,
    );
  }
  out.push('', '</details>', '');

  out.push(
    `<sub>run ${markdownCode(result.runId)} · started ${escapeMarkdownCell(result.startedAt)} · ${result.durationS.toFixed(1)} s · exit ${result.exitCode} · kha-drill ${escapeMarkdownCell(result.harnessVersion)}</sub>`,
  );
  return `${out.join('\n')}\n`;
}

function statusCell(status: VerdictStatus): string {
  return `${ICON[status]} ${status}`;
}
