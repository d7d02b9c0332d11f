/**
 * The timeline drawn as one inline SVG at render time (no script): a lane group per master
 * (etcd role, each Lease it holds, API readiness), the load balancer and etcd write probe,
 * blind windows hatched, inject/restore/observe markers, and the measured intervals with their
 * ± bounds against the SLO bound.
 */
import type { MetricResult } from '../../metrics/types.js';
import { splitMetricName } from '../../slo/evaluate.js';
import type { TimelineEvent } from '../../timeline/events.js';
import { escapeXml } from '../escape.js';
import { formatMeasured, formatNumber } from '../../text/numbers.js';
import type { RunResult, Verdict } from '../result.js';
import { longestFailure, type Lanes, type MarkerKind, type Readiness, type Segment } from './lanes.js';

/** Colours of the drawing; the screenshot test looks for these. */
export const COLORS = {
  leader: '#8250df',
  follower: '#d8cdf5',
  electing: '#fb8f44',
  down: '#cf222e',
  ready: '#2da44e',
  unready: '#cf222e',
  writeOk: '#2da44e',
  writeFailed: '#cf222e',
  leases: ['#0969da', '#bf8700', '#1b7c83', '#953800', '#57606a'],
  blind: '#57606a',
  pass: '#1a7f37',
  fail: '#cf222e',
  unknown: '#9a6700',
  noSlo: '#57606a',
  sloBand: '#ffebe9',
  grid: '#d0d7de',
  text: '#1f2328',
  muted: '#59636e',
  groupBand: '#f6f8fa',
} as const;

const MARKER_COLOR: Record<MarkerKind, string> = {
  inject: '#cf222e',
  restore: '#0969da',
  'until-met': '#1a7f37',
  abort: '#bc4c00',
  timeout: '#59636e',
  interrupted: '#59636e',
};

const W = 1360;
const LABEL_W = 210;
const RIGHT = 90;
const PLOT_W = W - LABEL_W - RIGHT;
const ROW = 20;
const BAR = 14;
const FONT = 11;
const MEASURE_ROW = 34;
/** rough width of one character of the 11 px sans-serif, for fitting labels */
const CHAR_W = 6.3;

interface Measurement {
  metric: MetricResult;
  verdict?: Verdict;
  /** where the measured interval starts on the run clock */
  start: number | null;
  title: string;
}

export function renderTimelineSvg(result: RunResult, events: readonly TimelineEvent[], lanes: Lanes): string {
  const span = Math.max(lanes.end - lanes.start, 1e-3);
  const x = (t: number): number =>
    LABEL_W + ((Math.min(Math.max(t, lanes.start), lanes.end) - lanes.start) / span) * PLOT_W;
  const parts: string[] = [];
  let y = 0;

  // Marker labels, stacked in levels so that neighbours do not overlap.
  const levels: number[] = [];
  const markerLabels = lanes.markers.map((m) => {
    const text = truncate(m.label, 48);
    const x0 = x(m.t) + 3;
    const w = text.length * CHAR_W + 6;
    let level = levels.findIndex((right) => right < x0);
    if (level < 0) level = levels.length;
    levels[level] = x0 + w;
    return { m, text, level };
  });
  const labelArea = Math.max(1, levels.length) * 14 + 4;
  y += labelArea;
  const markersTop = y;

  // Phases strip.
  parts.push(rowLabel('phase', y + 12, true));
  for (const p of lanes.phases) {
    const x0 = x(p.from);
    const w = Math.max(1, x(p.to) - x0);
    parts.push(
      rect(x0, y + 2, w, 14, '#eaeef2', `${p.state} ${p.from.toFixed(2)}–${p.to.toFixed(2)} s`, 'phase'),
    );
    if (w > p.state.length * CHAR_W + 6)
      parts.push(text(x0 + 4, y + 13, p.state, { size: 10, fill: COLORS.muted }));
  }
  y += ROW;

  // Time axis.
  const ticks = niceTicks(lanes.start, lanes.end, PLOT_W / 70);
  const axisY = y;
  for (const t of ticks)
    parts.push(
      text(x(t), axisY + 12, `${formatNumber(t)} s`, { size: 10, fill: COLORS.muted, anchor: 'middle' }),
    );
  y += 18;
  const gridTop = y;

  // Lane groups.
  const leaseColor = (lease: string): string =>
    COLORS.leases[lanes.leases.indexOf(lease) % COLORS.leases.length] ?? COLORS.leases[0];
  const blindFor = (watcher: string, subject: string, rowY: number): void => {
    for (const b of lanes.blind.filter((bb) => bb.watcher === watcher && bb.subject === subject)) {
      const x0 = x(b.from);
      const title = `${watcher} watcher blind on ${subject} ${b.from.toFixed(2)}–${b.to.toFixed(2)} s${b.reason ? `: ${b.reason}` : ''}`;
      parts.push(rect(x0, rowY - 1, Math.max(2, x(b.to) - x0), BAR + 2, 'url(#kha-blind)', title, 'blind'));
    }
  };
  for (const [gi, m] of lanes.masters.entries()) {
    const rows = 2 + lanes.leases.length;
    const groupH = ROW * (rows + 1) + 4;
    if (gi % 2 === 0)
      parts.push(`<rect x="0" y="${y}" width="${W}" height="${groupH}" fill="${COLORS.groupBand}"/>`);
    parts.push(text(8, y + 14, m.name, { size: 12, weight: 'bold' }));
    if (m.host)
      parts.push(text(8 + m.name.length * 7.4 + 8, y + 14, m.host, { size: 10, fill: COLORS.muted }));
    y += ROW;
    parts.push(rowLabel('etcd role', y + 11));
    for (const s of m.etcd) {
      const label =
        s.state === 'follower'
          ? ''
          : `${s.state === 'electing' ? 'no leader' : s.state}${s.label ? ` · ${s.label}` : ''}`;
      parts.push(
        bar(
          x,
          s,
          y,
          etcdColor(s.state),
          `etcd ${s.state}${s.label ? ` (${s.label})` : ''}`,
          '#ffffff',
          label,
        ),
      );
    }
    blindFor('raft', m.name, y);
    y += ROW;
    for (const lease of lanes.leases) {
      parts.push(rowLabel(`holds ${shortLease(lease)}`, y + 11));
      for (const s of m.leases[lease] ?? [])
        parts.push(
          bar(x, s, y, leaseColor(lease), `${lease} held by ${s.label ?? m.name}`, '#ffffff', s.label ?? ''),
        );
      blindFor('lease', lease, y);
      y += ROW;
    }
    parts.push(rowLabel('API /readyz', y + 11));
    for (const s of m.api) parts.push(readinessBar(x, s, y, 'API server', 'unready'));
    blindFor('apiserver', m.name, y);
    y += ROW + 4;
  }

  // Load balancer and write probe.
  parts.push(text(8, y + 14, 'load balancer / etcd', { size: 12, weight: 'bold' }));
  y += ROW;
  parts.push(rowLabel('LB /readyz', y + 11));
  for (const s of lanes.lb) parts.push(readinessBar(x, s, y, 'load balancer', 'down'));
  blindFor('apiserver', 'lb', y);
  y += ROW;
  parts.push(rowLabel('etcd writes', y + 11));
  for (const s of lanes.writes)
    parts.push(
      bar(
        x,
        s,
        y,
        s.state === 'ok' ? COLORS.writeOk : COLORS.writeFailed,
        `etcd write probe ${s.state}`,
        '#ffffff',
        s.state === 'failed' ? 'failing' : '',
      ),
    );
  for (const b of lanes.blind.filter((bb) => bb.watcher === 'etcdWrite')) blindFor('etcdWrite', b.subject, y);
  y += ROW + 8;

  // Measured intervals against their SLO.
  const measurements = pickMeasurements(result, events);
  if (measurements.length) {
    parts.push(`<line x1="0" x2="${W}" y1="${y}" y2="${y}" stroke="${COLORS.grid}"/>`);
    y += 4;
    parts.push(text(8, y + 14, 'measured vs SLO', { size: 12, weight: 'bold' }));
    y += ROW;
    for (const me of measurements) {
      parts.push(...drawMeasurement(me, x, y, lanes.end));
      y += MEASURE_ROW;
    }
  }
  const gridBottom = y;

  // Grid and markers on top of the lanes.
  const grid = ticks.map(
    (t) =>
      `<line x1="${r(x(t))}" x2="${r(x(t))}" y1="${gridTop}" y2="${gridBottom}" stroke="${COLORS.grid}" stroke-width="1"/>`,
  );
  const markerParts: string[] = [];
  for (const { m, text: label, level } of markerLabels) {
    const mx = r(x(m.t));
    const color = MARKER_COLOR[m.kind];
    const dash = m.kind === 'inject' || m.kind === 'restore' ? '' : ' stroke-dasharray="5 3"';
    markerParts.push(
      `<g class="marker marker-${m.kind}"><title>${escapeXml(`${m.label} at ${m.t.toFixed(3)} s`)}</title>` +
        `<line x1="${mx}" x2="${mx}" y1="${level * 14 + 14}" y2="${gridBottom}" stroke="${color}" stroke-width="2"${dash}/>` +
        text(x(m.t) + 3, level * 14 + 11, label, { size: 10.5, fill: color, weight: 'bold', halo: true }) +
        '</g>',
    );
  }
  void markersTop;

  const height = gridBottom + 8;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="timeline" viewBox="0 0 ${W} ${height}" width="${W}" height="${height}" role="img" aria-label="timeline of the drill">`,
    '<defs><pattern id="kha-blind" patternUnits="userSpaceOnUse" width="7" height="7" patternTransform="rotate(45)">' +
      `<rect width="2" height="7" fill="${COLORS.blind}"/></pattern></defs>`,
    ...grid,
    ...parts,
    ...markerParts,
    '</svg>',
  ].join('\n');
}

function etcdColor(state: string): string {
  switch (state) {
    case 'leader':
      return COLORS.leader;
    case 'follower':
      return COLORS.follower;
    case 'electing':
      return COLORS.electing;
    default:
      return COLORS.down;
  }
}

function shortLease(lease: string): string {
  return lease.replace(/^kube-system\//, '');
}

function bar<S extends string>(
  x: (t: number) => number,
  s: Segment<S>,
  y: number,
  fill: string,
  title: string,
  textFill: string,
  label: string,
): string {
  const x0 = x(s.from);
  const w = Math.max(1.5, x(s.to) - x0);
  const tip = `${title}: ${s.from.toFixed(2)}–${s.to.toFixed(2)} s (${(s.to - s.from).toFixed(2)} s)`;
  let out = rect(x0, y, w, BAR, fill, tip, `seg seg-${s.state}`);
  const fit = Math.floor((w - 6) / CHAR_W);
  if (label && fit >= 4)
    out += text(x0 + 3, y + 11, truncate(label, fit), { size: 10, fill: textFill, pointer: false });
  return out;
}

/** A /readyz lane's segment: green when ready, red and labelled `unreadyLabel` when not. */
function readinessBar(
  x: (t: number) => number,
  s: Segment<Readiness>,
  y: number,
  what: string,
  unreadyLabel: string,
): string {
  const ready = s.state === 'ready';
  return bar(
    x,
    s,
    y,
    ready ? COLORS.ready : COLORS.unready,
    `${what} ${s.state}`,
    '#ffffff',
    ready ? '' : unreadyLabel,
  );
}

function pickMeasurements(result: RunResult, events: readonly TimelineEvent[]): Measurement[] {
  const out: Measurement[] = [];
  for (const metric of result.metrics) {
    if (metric.unit !== 's') continue;
    const { name, labels } = splitMetricName(metric.name);
    if (name === 'observe.blind_s' || name === 'lease.leaderless_s') continue;
    const verdict =
      result.verdicts.find((v) => v.metric === metric.name) ??
      result.verdicts.find(
        (v) => splitMetricName(v.metric).name === name && (!labels['lease'] || v.metric === name),
      );
    let start: number | null = null;
    if (metric.value !== null) {
      if (name === 'lease.takeover_s' || name === 'raft.reelection_s')
        start = result.tInject ?? (metric.at !== undefined ? metric.at - metric.value : null);
      else if (name === 'raft.catchup_s') start = result.tRestore;
      else if (metric.at !== undefined) start = metric.at - metric.value;
      else if (name === 'apiserver.max_outage_s') {
        start =
          longestFailure(
            events.flatMap((e) => (e.kind === 'api' && e.master === 'lb' ? [{ t: e.t, ok: e.ok }] : [])),
          )?.from ?? null;
      } else if (name === 'etcd.write_outage_s') {
        start =
          longestFailure(events.flatMap((e) => (e.kind === 'write' ? [{ t: e.t, ok: e.ok }] : [])))?.from ??
          null;
      }
    }
    const title = labels['lease'] ? `${name.replace(/^lease\./, '')} ${shortLease(labels['lease'])}` : name;
    out.push({ metric, ...(verdict ? { verdict } : {}), start, title });
  }
  return out;
}

function drawMeasurement(me: Measurement, x: (t: number) => number, y: number, end: number): string[] {
  const out: string[] = [];
  const { metric, verdict } = me;
  const color = !verdict
    ? COLORS.noSlo
    : verdict.status === 'pass'
      ? verdict.marginal
        ? COLORS.unknown
        : COLORS.pass
      : verdict.status === 'fail'
        ? COLORS.fail
        : COLORS.unknown;
  const word = verdict
    ? ` ${verdict.status.toUpperCase()}${verdict.marginal ? ' (within error bound)' : ''}`
    : '';
  out.push(rowLabel(me.title, y + 21));
  if (metric.status !== 'measured' || metric.value === null) {
    const why = `unknown${metric.note ? `: ${metric.note}` : ''}${verdict ? ` (SLO ${verdict.bound}: not verified)` : ''}`;
    out.push(
      text(LABEL_W + 4, y + 21, why, { size: 11, fill: COLORS.unknown, italic: true, weight: 'bold' }),
    );
    return out;
  }
  const measured = formatMeasured(metric.value, metric.errorS, metric.unit);
  if (me.start === null) {
    const where = metric.value === 0 ? 'none seen' : 'not placed: when it happened was not recorded';
    out.push(text(LABEL_W + 4, y + 21, `${measured}${word} (${where})`, { size: 11, fill: color }));
    return out;
  }
  const start = me.start;
  // The SLO bound: a dashed line at start + threshold, the forbidden side tinted.
  const bound = verdict ? /^(<=?|>=?)\s*(-?[\d.]+(?:e[+-]?\d+)?)$/.exec(verdict.bound) : null;
  if (bound) {
    const threshold = Number(bound[2]);
    const bx = x(start + threshold);
    const upper = bound[1]!.startsWith('<');
    const x0 = upper ? bx : x(start);
    const x1 = upper ? x(end) : bx;
    if (x1 > x0)
      out.push(
        rect(x0, y + 2, x1 - x0, 28, COLORS.sloBand, `outside the SLO (${verdict?.bound} s)`, 'slo-band'),
      );
    out.push(
      `<line x1="${r(bx)}" x2="${r(bx)}" y1="${y + 2}" y2="${y + 30}" stroke="${COLORS.fail}" stroke-width="1.5" stroke-dasharray="3 2"/>`,
    );
    out.push(text(bx + 3, y + 10, `SLO ${verdict?.bound} s`, { size: 9.5, fill: COLORS.fail, halo: true }));
  }
  const x0 = x(start);
  const x1 = x(start + metric.value);
  const tip = `${metric.name} = ${measured}${verdict ? ` (${verdict.status}, bound ${verdict.bound})` : ''}, from ${start.toFixed(2)} s`;
  out.push(rect(x0, y + 14, Math.max(2, x1 - x0), 8, color, tip, 'measure'));
  out.push(
    `<line x1="${r(x0)}" x2="${r(x0)}" y1="${y + 11}" y2="${y + 25}" stroke="${color}" stroke-width="1.5"/>`,
  );
  if (metric.errorS > 0) {
    const lo = r(x(start + metric.value - metric.errorS));
    const hi = r(x(start + metric.value + metric.errorS));
    out.push(
      `<path d="M${lo} ${y + 12}v12M${lo} ${y + 18}H${hi}M${hi} ${y + 12}v12" stroke="${COLORS.text}" stroke-width="1.2" fill="none"/>`,
    );
  }
  out.push(
    text(Math.max(x1, x(start + metric.value + metric.errorS)) + 6, y + 22, `${measured}${word}`, {
      size: 11,
      fill: color,
      weight: 'bold',
      halo: true,
    }),
  );
  return out;
}

function rowLabel(label: string, baseline: number, muted = false): string {
  return text(LABEL_W - 8, baseline, truncate(label, 30), {
    size: FONT,
    anchor: 'end',
    fill: muted ? COLORS.muted : COLORS.text,
  });
}

function rect(x: number, y: number, w: number, h: number, fill: string, title: string, cls: string): string {
  return `<rect class="${cls}" x="${r(x)}" y="${r(y)}" width="${r(w)}" height="${r(h)}" fill="${fill}"><title>${escapeXml(title)}</title></rect>`;
}

interface TextOpts {
  size?: number;
  fill?: string;
  anchor?: 'start' | 'middle' | 'end';
  weight?: 'bold';
  italic?: boolean;
  pointer?: boolean;
  /** a white outline so the text stays readable over lines and bars */
  halo?: boolean;
}

function text(x: number, y: number, content: string, o: TextOpts = {}): string {
  const attrs = [
    `x="${r(x)}"`,
    `y="${r(y)}"`,
    `font-size="${o.size ?? FONT}"`,
    `fill="${o.fill ?? COLORS.text}"`,
    o.anchor && o.anchor !== 'start' ? `text-anchor="${o.anchor}"` : '',
    o.weight ? `font-weight="${o.weight}"` : '',
    o.italic ? 'font-style="italic"' : '',
    o.pointer === false ? 'pointer-events="none"' : '',
    o.halo ? 'stroke="#ffffff" stroke-width="3" stroke-linejoin="round" paint-order="stroke"' : '',
  ].filter(Boolean);
  return `<text ${attrs.join(' ')}>${escapeXml(content)}</text>`;
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, Math.max(1, max - 1))}…`;
}

function r(n: number): string {
  return String(Math.round(n * 10) / 10);
}

/** Round tick positions (1, 2, 5 × 10^n seconds), about `count` of them. */
export function niceTicks(from: number, to: number, count: number): number[] {
  const span = Math.max(to - from, 1e-3);
  const raw = span / Math.max(1, count);
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow;
  const ticks: number[] = [];
  for (let t = Math.ceil(from / step) * step; t <= to + 1e-9; t += step)
    ticks.push(Math.round(t * 1e6) / 1e6);
  return ticks;
}
