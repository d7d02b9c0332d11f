/**
 * report.html: one self-contained page. Inline CSS and an SVG drawn at render time; no script,
 * no fonts, no images from anywhere (a CSP meta forbids every fetch but inline styles and data:
 * images), so it opens offline, from a CI artifact or an email, and prints.
 */
import type { TimelineEvent } from '../../timeline/events.js';
import { escapeXml } from '../escape.js';
import { headline, verdictCounts, wallTime, type HeadlineStatus } from '../headline.js';
import { formatMeasured } from '../../text/numbers.js';
import type { RunResult, StepRecord } from '../result.js';
import { buildLanes, type Lanes } from './lanes.js';
import { COLORS, renderTimelineSvg } from './timeline-svg.js';

export const HTML_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

const BANNER: Record<HeadlineStatus, string> = {
  pass: '#1a7f37',
  fail: '#cf222e',
  unknown: '#9a6700',
  'not-steady': '#59636e',
  error: '#82071e',
  interrupted: '#59636e',
  'restore-failed': '#82071e',
};

export function renderHtml(result: RunResult, events: readonly TimelineEvent[] = []): string {
  const h = headline(result);
  const lanes = buildLanes(events, { masters: result.inventory.masters, end: result.durationS });
  const e = escapeXml;
  const title = `${h.label}: ${result.drill.name} on ${result.inventory.cluster}`;
  const body: string[] = [];

  if (h.status === 'restore-failed') {
    body.push(
      `<div class="alarm">Restore failed: the cluster may be degraded. Pending: ${e(result.restore.pending.join('; ') || 'none recorded')}. Run <code>kha-drill recover</code>.</div>`,
    );
  }
  body.push(`<header class="banner" style="background:${BANNER[h.status]}">`);
  body.push(`<div class="verdict">${e(h.label)}</div>`);
  body.push(
    `<div class="what"><h1>${e(result.drill.name)} <span>on ${e(result.inventory.cluster)}</span></h1>`,
  );
  body.push(
    `<p>${e(h.meaning)} (${e(verdictCounts(h))}).${result.summary ? ` <strong>${e(result.summary)}</strong>` : ''}</p></div>`,
  );
  body.push('</header>');
  body.push(`<p class="desc">${e(result.drill.description)}</p>`);
  body.push(facts(result));

  body.push('<section><h2>Timeline</h2>');
  body.push(legend(lanes));
  body.push(`<div class="scroll">${renderTimelineSvg(result, events, lanes)}</div>`);
  if (!events.length) body.push('<p class="muted">No timeline events were recorded for this run.</p>');
  body.push('</section>');

  body.push(sloTable(result));
  body.push(metricsTable(result));
  body.push(stepsTable(result));
  if (result.errors.length) {
    body.push(
      `<section><h2>Errors</h2><ul>${result.errors.map((x) => `<li><pre>${e(x)}</pre></li>`).join('')}</ul></section>`,
    );
  }
  body.push(
    `<footer>kha-drill ${e(result.harnessVersion)} · report schema v${result.schemaVersion} · drill ${e(result.drill.file)} ${e(result.drill.digest)} · inventory ${e(result.inventory.file)} ${e(result.inventory.digest)}</footer>`,
  );

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${HTML_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${e(title)}</title>
<style>${CSS}</style>
</head>
<body>
${body.join('\n')}
</body>
</html>
`;
}

function facts(result: RunResult): string {
  const e = escapeXml;
  const targets = Object.entries(result.targets)
    .map(([spec, masters]) => `<code>${e(spec)}</code> → <b>${e(masters.join(', ') || '(none)')}</b>`)
    .join('<br>');
  const restoreSteps = result.steps.filter((s) => s.phase === 'restore');
  const restore = result.restore.ok
    ? `<span class="ok">done</span> (${restoreSteps.length} step${restoreSteps.length === 1 ? '' : 's'}${result.tRestore !== null ? `, at ${result.tRestore.toFixed(2)} s` : ''})`
    : `<span class="bad">FAILED</span>, pending: ${e(result.restore.pending.join('; ') || 'none recorded')}`;
  const rows: [string, string][] = [
    ['run', `<code>${e(result.runId)}</code>`],
    ['started', `${e(result.startedAt)} (t = 0), ${result.durationS.toFixed(1)} s`],
    [
      'fault at',
      result.tInject === null
        ? 'not injected'
        : result.faults?.length
          ? faultFacts(result)
          : `t = ${result.tInject.toFixed(3)} s (${e(wallTime(result, result.tInject))})`,
    ],
    ['targets', targets || '—'],
    ['restore', restore],
    ['outcome', `${e(result.outcome)}, exit code ${result.exitCode}`],
  ];
  return `<dl class="facts">${rows.map(([k, v]) => `<div><dt>${k}</dt><dd>${v}</dd></div>`).join('')}</dl>`;
}

/** t_fault per step and master, beside the command's bracket and its send and return. */
function faultFacts(result: RunResult): string {
  const e = escapeXml;
  return (result.faults ?? [])
    .map((f) => {
      const pm = Math.max(f.tFault - f.lo, f.hi - f.tFault);
      const bracket = f.bracket
        ? `, on the master's clock ${f.bracket.start.toFixed(3)}–${f.bracket.end.toFixed(3)} s`
        : '';
      return `<b>t_fault = ${f.tFault.toFixed(3)} ± ${pm.toFixed(3)} s</b> (${e(wallTime(result, f.tFault))}) on ${e(f.master)}: ${e(f.note)}<br><span class="muted">command sent ${f.commandStart.toFixed(3)} s, returned ${f.commandEnd.toFixed(3)} s (t_inject)${bracket}</span>`;
    })
    .join('<br>');
}

function legend(lanes: Lanes): string {
  const items: [string, string, string?][] = [
    [COLORS.leader, 'etcd leader'],
    [COLORS.follower, 'etcd follower'],
    [COLORS.electing, 'no leader (election)'],
    [COLORS.down, 'down / unready / failing'],
    [COLORS.ready, 'ready / write ok'],
    ...lanes.leases.map((l, i): [string, string] => [
      COLORS.leases[i % COLORS.leases.length] ?? COLORS.leases[0],
      `holds Lease ${l}`,
    ]),
    ['', 'watcher blind', 'blind'],
  ];
  const swatches = items
    .map(
      ([c, label, cls]) =>
        `<span class="key"><i class="sw${cls ? ` ${cls}` : ''}"${c ? ` style="background:${c}"` : ''}></i>${escapeXml(label)}</span>`,
    )
    .join('');
  const marks =
    (lanes.faults.length
      ? '<span class="key"><i class="mk dashed" style="border-color:#cf222e"></i>inject sent</span>' +
        '<span class="key"><i class="mk" style="background:#cf222e"></i>inject returned</span>' +
        '<span class="key"><i class="mk" style="background:#8250df"></i>t_fault (band: the command on the master’s clock)</span>'
      : '<span class="key"><i class="mk" style="background:#cf222e"></i>inject</span>') +
    '<span class="key"><i class="mk" style="background:#0969da"></i>restore</span>' +
    '<span class="key"><i class="mk dashed" style="border-color:#1a7f37"></i>observe condition met</span>' +
    `<span class="key"><i class="sw" style="background:${COLORS.sloBand};border:1px dashed ${COLORS.fail}"></i>outside the SLO bound</span>`;
  return `<div class="legend">${swatches}${marks}</div>`;
}

function sloTable(result: RunResult): string {
  const e = escapeXml;
  if (!result.verdicts.length)
    return '<section><h2>SLOs</h2><p class="muted">This drill declares no SLO bounds.</p></section>';
  const rows = result.verdicts.map((v) => {
    const measured = v.value === null ? '—' : formatMeasured(v.value, v.errorS ?? 0, v.unit ?? 's');
    return `<tr class="v-${v.status}"><td><code>${e(v.slo)}</code></td><td class="num">${e(measured)}</td><td><code>${e(v.bound || '?')}</code></td><td><span class="pill ${v.status}">${v.status}</span>${v.marginal ? ' <span class="pill marginal">within error bound</span>' : ''}</td><td>${e(v.message)}</td></tr>`;
  });
  return `<section><h2>SLOs</h2><table><thead><tr><th>SLO</th><th>measured</th><th>bound</th><th>verdict</th><th>detail</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`;
}

function metricsTable(result: RunResult): string {
  const e = escapeXml;
  const rows = result.metrics.map((m) => {
    const value =
      m.status === 'measured' && m.value !== null ? formatMeasured(m.value, m.errorS, m.unit) : 'unknown';
    return `<tr><td><code>${e(m.name)}</code></td><td class="num${m.status === 'unknown' ? ' unk' : ''}">${e(value)}</td><td>${m.at !== undefined ? `${m.at.toFixed(3)} s` : ''}</td><td>${e(m.note ?? '')}</td></tr>`;
  });
  return `<section><h2>Metrics</h2><table><thead><tr><th>metric</th><th>value</th><th>at</th><th>note</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`;
}

function stepsTable(result: RunResult): string {
  const e = escapeXml;
  const rows = result.steps.map((s: StepRecord) => {
    const res = s.ok ? '<span class="ok">ok</span>' : `<span class="bad">failed</span>`;
    const detail = [
      s.output ? `<pre>${e(s.output)}</pre>` : '',
      s.error ? `<pre class="bad">${e(s.error)}</pre>` : '',
    ].join('');
    const target = `${e(s.targets.join(', ') || '—')}${s.targetSpec ? `<br><small>${e(s.targetSpec)}</small>` : ''}`;
    return `<tr><td>${s.phase}</td><td class="num">${s.index}</td><td>${e(s.action)}${s.id ? `<br><small>${e(s.id)}</small>` : ''}</td><td>${target}</td><td>${s.command ? `<code>${e(s.command)}</code>` : ''}</td><td class="num">${s.startT.toFixed(2)}–${s.endT.toFixed(2)}</td><td>${res}${s.exitCode !== undefined && s.exitCode !== null ? ` (exit ${s.exitCode})` : ''}${s.attempts && s.attempts > 1 ? `, ${s.attempts} attempts` : ''}</td><td>${detail}</td></tr>`;
  });
  return `<section><h2>Steps</h2><table><thead><tr><th>phase</th><th>#</th><th>action</th><th>target</th><th>command</th><th>t (s)</th><th>result</th><th>output</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`;
}

const CSS = `
:root{color-scheme:light;--text:#1f2328;--muted:#59636e;--line:#d0d7de}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1440px;padding:16px 20px 40px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Liberation Sans","DejaVu Sans",sans-serif;color:var(--text);background:#fff}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono","DejaVu Sans Mono",monospace;font-size:12.5px}
pre{margin:0;white-space:pre-wrap;word-break:break-word;max-height:12em;overflow:auto}
.alarm{background:#82071e;color:#fff;font-weight:700;font-size:18px;padding:12px 16px;border-radius:6px;margin-bottom:10px}
.banner{display:flex;gap:20px;align-items:center;color:#fff;border-radius:8px;padding:14px 20px}
.banner .verdict{font-size:34px;font-weight:800;letter-spacing:.04em;white-space:nowrap}
.banner h1{margin:0;font-size:22px}.banner h1 span{font-weight:400;opacity:.9}
.banner p{margin:2px 0 0}
.desc{color:var(--muted);margin:10px 2px}
.facts{display:flex;flex-wrap:wrap;gap:6px 28px;margin:8px 2px 4px}
.facts div{display:flex;gap:8px}.facts dt{color:var(--muted)}.facts dd{margin:0}
section{margin-top:22px}
h2{font-size:17px;margin:0 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
.scroll{overflow-x:auto;border:1px solid var(--line);border-radius:6px}
svg.timeline{display:block;width:100%;height:auto;min-width:900px;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Liberation Sans","DejaVu Sans",sans-serif}
.legend{display:flex;flex-wrap:wrap;gap:4px 16px;font-size:12px;margin:0 2px 8px;color:var(--muted)}
.key{display:inline-flex;align-items:center;gap:5px}
.sw{display:inline-block;width:22px;height:11px;border-radius:2px}
.sw.blind{background:repeating-linear-gradient(45deg,#57606a 0 2px,#fff 2px 5px)}
.mk{display:inline-block;width:3px;height:14px}
.mk.dashed{width:0;border-left:3px dashed}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border-bottom:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa;font-weight:600}
td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
td.unk{color:#9a6700;font-style:italic}
.pill{display:inline-block;border-radius:10px;padding:0 8px;font-weight:700;font-size:12px;color:#fff;text-transform:uppercase}
.pill.pass{background:#1a7f37}.pill.fail{background:#cf222e}.pill.unknown{background:#9a6700}.pill.marginal{background:#fff8c5;color:#7d4e00;text-transform:none}
tr.v-fail td{background:#fff5f5}
.ok{color:#1a7f37;font-weight:600}.bad{color:#cf222e;font-weight:600}
.muted,small{color:var(--muted)}
footer{margin-top:28px;color:var(--muted);font-size:11.5px;word-break:break-all}
@media print{
  body{max-width:none;padding:0;font-size:11px}
  *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
  .scroll{overflow:visible;border:0}
  svg.timeline{min-width:0}
  section,tr{break-inside:avoid}
  pre{max-height:none}
}
`;
