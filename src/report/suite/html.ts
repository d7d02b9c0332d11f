/**
 * suite report.html: one self-contained page (inline CSS and SVG, no scripts, no external
 * requests). Per drill: each metric's distribution over the iterations as a strip plot with
 * its min–max whisker, the p50–p95 box and the SLO bound, the aggregate SLOs, the iterations
 * (linking to their own reports), and the baseline comparison.
 */
import { escapeXml as esc } from '../escape.js';
import { formatMeasured, formatNumber } from '../../text/numbers.js';
import type { Verdict } from '../result.js';
import { displayRows, formatDelta, formatTolerance, formatValue, STATUS_LABEL } from './baseline-format.js';
import type { ComparisonRow, DrillSummary, MetricStats, SuiteResult } from './result.js';
import { displayedStats, formatDuration, iterationLine, regressionLine, suiteHeadline } from './headline.js';

const W = 360;
const H = 34;
const PAD = 8;

/** `p(95)(lease.takeover_s)` → `lease.takeover_s`. */
function plainSubject(metric: string): string {
  const m = /^(?:p\([\d.]+\)|max|min|avg)\((.*)\)$/.exec(metric);
  return m ? m[1]! : metric;
}

/** Numeric SLO bounds that apply to a metric (from per-iteration and aggregate verdicts). */
function boundsFor(metric: string, verdicts: readonly Verdict[]): { value: number; label: string }[] {
  const out: { value: number; label: string }[] = [];
  for (const v of verdicts) {
    if (plainSubject(v.metric) !== metric) continue;
    const m = /^(<=?|>=?|==|!=)\s*(-?[\d.]+(?:e[+-]?\d+)?)$/.exec(v.bound);
    if (!m) continue;
    const value = Number(m[2]);
    if (Number.isFinite(value) && !out.some((b) => b.value === value)) out.push({ value, label: v.slo });
  }
  return out;
}

export function stripPlot(
  s: MetricStats,
  bounds: { value: number; label: string }[],
  baseline?: ComparisonRow[],
): string {
  const measured = s.values.filter((v): v is number => v !== null);
  const refs = [
    ...measured,
    ...bounds.map((b) => b.value),
    ...(baseline ?? []).flatMap((r) => (r.baseline === null ? [] : [r.baseline])),
  ];
  if (measured.length === 0)
    return `<svg class="plot" width="${W}" height="${H}" role="img" aria-label="not measured"><text x="${PAD}" y="${H / 2 + 4}" class="muted">not measured (${s.unknown} unknown)</text></svg>`;
  let lo = Math.min(0, ...refs);
  let hi = Math.max(...refs);
  if (s.unit === 'ratio') {
    lo = Math.min(lo, 0);
    hi = Math.max(hi, 1);
  }
  if (hi === lo) hi = lo + 1;
  hi += (hi - lo) * 0.05;
  const x = (v: number) => PAD + ((v - lo) / (hi - lo)) * (W - 2 * PAD);
  const mid = H / 2 - 3;
  const parts: string[] = [];
  parts.push(`<line x1="${PAD}" y1="${H - 6}" x2="${W - PAD}" y2="${H - 6}" class="axis"/>`);
  parts.push(`<text x="${PAD}" y="${H - 0.5}" class="tick">${esc(formatNumber(lo))}</text>`);
  parts.push(
    `<text x="${W - PAD}" y="${H - 0.5}" class="tick" text-anchor="end">${esc(formatNumber(Number(hi.toPrecision(3))))}</text>`,
  );
  if (s.min !== null && s.max !== null)
    parts.push(
      `<line x1="${x(s.min).toFixed(1)}" y1="${mid}" x2="${x(s.max).toFixed(1)}" y2="${mid}" class="whisker"><title>min ${esc(formatValue(s.min, s.unit))} – max ${esc(formatValue(s.max, s.unit))}</title></line>`,
    );
  if (s.p50 !== null && s.p95 !== null) {
    const x0 = x(s.p50);
    const w = Math.max(1.5, x(s.p95) - x0);
    parts.push(
      `<rect x="${x0.toFixed(1)}" y="${mid - 6}" width="${w.toFixed(1)}" height="12" class="box"><title>p50 ${esc(formatValue(s.p50, s.unit))} – p95 ${esc(formatValue(s.p95, s.unit))}</title></rect>`,
    );
    parts.push(
      `<line x1="${x0.toFixed(1)}" y1="${mid - 7}" x2="${x0.toFixed(1)}" y2="${mid + 7}" class="median"/>`,
    );
  }
  for (const b of baseline ?? []) {
    if (b.baseline === null) continue;
    const bx = x(b.baseline).toFixed(1);
    parts.push(
      `<path d="M${bx} ${mid - 11} l-3.5 -5 h7 z" class="base ${b.status === 'regression' ? 'regressed' : ''}"><title>baseline ${esc(b.stat)} ${esc(formatValue(b.baseline, b.unit))} (${esc(STATUS_LABEL[b.status])})</title></path>`,
    );
  }
  s.values.forEach((v, i) => {
    if (v === null) return;
    const jitter = ((i * 7) % 5) - 2;
    parts.push(
      `<circle cx="${x(v).toFixed(1)}" cy="${(mid + jitter * 1.5).toFixed(1)}" r="3" class="dot"><title>iteration ${i + 1}: ${esc(formatMeasured(v, 0, s.unit))}</title></circle>`,
    );
  });
  for (const b of bounds) {
    const bx = x(b.value).toFixed(1);
    parts.push(
      `<line x1="${bx}" y1="2" x2="${bx}" y2="${H - 6}" class="bound"><title>${esc(b.label)}</title></line>`,
    );
  }
  const label = `${s.metric}: ${measured.length} values from ${formatValue(s.min, s.unit)} to ${formatValue(s.max, s.unit)}`;
  return `<svg class="plot" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(label)}">${parts.join('')}</svg>`;
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1b1f24;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
.verdict{display:inline-block;padding:2px 10px;border-radius:4px;font-weight:700;color:#fff}
.pass{background:#1a7f37}.fail,.restore-failed{background:#cf222e}.error,.interrupted{background:#9a6700}
table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #d0d7de;padding:3px 8px;text-align:left;vertical-align:middle}
th{background:#f6f8fa}td.n{text-align:right;font-variant-numeric:tabular-nums}code{font:12px ui-monospace,monospace}
.muted{fill:#6e7781;color:#6e7781;font-size:11px}.tick{fill:#6e7781;font-size:9px}
.axis{stroke:#d0d7de}.whisker{stroke:#57606a;stroke-width:1.5}.box{fill:#54aeff;fill-opacity:.35;stroke:#0969da}
.median{stroke:#0969da;stroke-width:2.5}.dot{fill:#0550ae;fill-opacity:.75}.bound{stroke:#cf222e;stroke-width:1.5;stroke-dasharray:4 2}
.base{fill:#8c959f}.base.regressed{fill:#cf222e}.s-pass{color:#1a7f37}.s-fail,.s-regression{color:#cf222e;font-weight:600}.s-unknown{color:#9a6700}
.caution{border-left:4px solid #cf222e;background:#ffebe9;padding:8px 12px}
`;

function verdictRows(vs: readonly Verdict[]): string {
  return vs
    .map(
      (v) =>
        `<tr><td><code>${esc(v.slo)}</code></td><td class="n">${v.value === null ? '—' : esc(formatMeasured(v.value, v.errorS ?? 0, v.unit ?? 's'))}</td><td class="s-${v.status}">${esc(v.status)}</td><td>${esc(v.message)}</td></tr>`,
    )
    .join('');
}

function drillSection(d: DrillSummary, r: SuiteResult): string {
  const allVerdicts = [...d.iterations.flatMap((i) => i.verdicts), ...d.aggregateVerdicts];
  const baseRows = (metric: string) =>
    r.baseline?.rows.filter((row) => row.drill === d.name && row.metric === metric) ?? [];
  const shown = displayedStats(d.stats);
  const stats = shown
    .map(
      (s) =>
        `<tr><td><code>${esc(s.metric)}</code></td><td class="n">${s.count}</td><td class="n">${s.unknown}</td><td class="n">${esc(formatValue(s.min, s.unit))}</td><td class="n">${esc(formatValue(s.p50, s.unit))}</td><td class="n">${esc(formatValue(s.p95, s.unit))}</td><td class="n">${esc(formatValue(s.max, s.unit))}</td><td>${stripPlot(s, boundsFor(s.metric, allVerdicts), baseRows(s.metric))}</td></tr>`,
    )
    .join('\n');
  const iterations = d.iterations
    .map(
      (it) =>
        `<tr><td class="n">${it.index}</td><td class="s-${it.outcome === 'pass' ? 'pass' : 'fail'}">${esc(it.outcome)} (exit ${it.exitCode})</td><td>${esc(it.summary)}</td><td><a href="${esc(encodeURI(it.dir))}/report.html">${esc(it.dir)}</a></td></tr>`,
    )
    .join('\n');
  return `<section><h2>${esc(d.name)}: ${esc(iterationLine(d))}</h2>
<p class="muted">${esc(d.description)} · <code>${esc(d.file)}</code></p>
<table><thead><tr><th>metric</th><th>n</th><th>unknown</th><th>min</th><th>p50</th><th>p95</th><th>max</th><th>distribution over iterations (dots; whisker min–max; box p50–p95; red dashes: SLO bound; ▼ baseline)</th></tr></thead><tbody>
${stats}
</tbody></table>
${d.aggregateVerdicts.length ? `<table><thead><tr><th>aggregate SLO</th><th>value</th><th>verdict</th><th>detail</th></tr></thead><tbody>${verdictRows(d.aggregateVerdicts)}</tbody></table>` : ''}
<table><thead><tr><th>#</th><th>outcome</th><th>summary</th><th>report</th></tr></thead><tbody>
${iterations}
</tbody></table></section>`;
}

function baselineSection(r: SuiteResult): string {
  const b = r.baseline;
  if (!b) return '';
  const shown = displayRows(b);
  const rows = shown.rows
    .map(
      (row) =>
        `<tr><td>${esc(row.drill)}</td><td><code>${esc(row.metric)}</code></td><td>${row.stat}</td><td class="n">${esc(formatValue(row.baseline, row.unit))}</td><td class="n">${esc(formatValue(row.current, row.unit))}</td><td class="n">${esc(formatDelta(row))}</td><td class="s-${row.status}">${esc(STATUS_LABEL[row.status])}</td></tr>`,
    )
    .join('\n');
  return `<section><h2>Baseline</h2><p>${esc(regressionLine(r) ?? '')}. Baseline: ${esc(b.baseline.kind)} ${esc(b.baseline.name)} of ${esc(b.baseline.startedAt)}; tolerance ${esc(formatTolerance(b.tolerance))} (seconds: worse by more than both; ratios: lower by more than the percentage; counts: any increase).</p>
<table><thead><tr><th>drill</th><th>metric</th><th>stat</th><th>baseline</th><th>now</th><th>change</th><th>verdict</th></tr></thead><tbody>
${rows}
</tbody></table>${shown.notes.length ? `<ul>${shown.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : ''}</section>`;
}

export function renderSuiteHtml(r: SuiteResult): string {
  const h = suiteHeadline(r);
  const its = r.drills.reduce((n, d) => n + d.iterations.length, 0);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(`${h.label}: game-day ${r.suite.name} on ${r.inventory.cluster}`)}</title>
<style>${CSS}</style></head><body>
${r.outcome === 'restore-failed' ? '<p class="caution"><strong>Restore failed: the cluster may be degraded.</strong> Run <code>kha-drill recover</code>.</p>' : ''}
<h1><span class="verdict ${r.outcome}">${esc(h.label)}</span> game-day ${esc(r.suite.name)} on ${esc(r.inventory.cluster)}</h1>
<p>${esc(h.meaning)}. ${its} iterations of ${r.drills.length} drills, ${esc(r.startedAt)} – ${esc(r.endedAt)} (${esc(formatDuration(r.durationS))}), exit ${r.exitCode}. ${esc(r.summary)}</p>
${r.stopped ? `<p><strong>Stopped early:</strong> ${esc(r.stopped)}</p>` : ''}
${r.baseline ? `<p><strong>Baseline:</strong> ${esc(regressionLine(r) ?? '')}</p>` : ''}
${r.drills.map((d) => drillSection(d, r)).join('\n')}
${baselineSection(r)}
${r.errors.length ? `<h2>Errors</h2><ul>${r.errors.map((e) => `<li>${esc(e)}</li>`).join('')}</ul>` : ''}
<p class="muted">kha-drill ${esc(r.harnessVersion)} · ${esc(r.runId)} · suite.json has every number shown here</p>
</body></html>
`;
}
