/**
 * The timeline drawn as one inline SVG at render time (no script): a lane group per master
 * (etcd role, each Lease it holds, API readiness), the load balancer and etcd write probe,
 * blind windows hatched, inject/restore/observe markers, and the measured intervals with their
 * ± bounds against the SLO bound.
 */
import type { TimelineEvent } from '../../timeline/events.js';
import { escapeXml } from '../escape.js';
import { formatNumber } from '../../text/numbers.js';
import type { RunResult } from '../result.js';
import type { Lanes, Marker, MarkerKind, MasterLanes } from './lanes.js';
import { drawMeasurement, pickMeasurements } from './measurements.js';
import {
  BAR,
  CHAR_W,
  COLORS,
  LABEL_W,
  MEASURE_ROW,
  PLOT_W,
  ROW,
  W,
  bar,
  etcdColor,
  r,
  readinessBar,
  rect,
  rowLabel,
  shortLease,
  text,
  truncate,
} from './svg.js';

export { COLORS } from './svg.js';

const MARKER_COLOR: Record<MarkerKind, string> = {
  inject: '#cf222e',
  restore: '#0969da',
  'until-met': '#1a7f37',
  abort: '#bc4c00',
  timeout: '#59636e',
  interrupted: '#59636e',
  fault: '#8250df',
  sent: '#cf222e',
};

type X = (t: number) => number;

/** The drawing so far: parts in drawing order, `y` the top of the next row. */
interface Canvas {
  x: X;
  parts: string[];
  y: number;
}

interface MarkerLabel {
  m: Marker;
  text: string;
  level: number;
}

export function renderTimelineSvg(result: RunResult, events: readonly TimelineEvent[], lanes: Lanes): string {
  const span = Math.max(lanes.end - lanes.start, 1e-3);
  const x = (t: number): number =>
    LABEL_W + ((Math.min(Math.max(t, lanes.start), lanes.end) - lanes.start) / span) * PLOT_W;
  const { labels, labelArea } = stackMarkerLabels(lanes.markers, x);
  const c: Canvas = { x, parts: [], y: labelArea };

  drawPhases(c, lanes);
  const ticks = niceTicks(lanes.start, lanes.end, PLOT_W / 70);
  drawAxis(c, ticks);
  const gridTop = c.y;
  for (const [gi, m] of lanes.masters.entries()) drawMaster(c, lanes, m, gi);
  drawLoadBalancer(c, lanes);
  drawMeasured(c, result, events, lanes.end);
  const gridBottom = c.y;

  // Grid and markers on top of the lanes.
  const grid = ticks.map(
    (t) =>
      `<line x1="${r(x(t))}" x2="${r(x(t))}" y1="${gridTop}" y2="${gridBottom}" stroke="${COLORS.grid}" stroke-width="1"/>`,
  );
  const markerParts = labels.map((label) => drawMarker(label, x, gridBottom));
  // each inject command's bracket (master clock) as a band, t_fault's interval darker inside it
  const bands = lanes.faults.map(
    (f) =>
      `<g class="fault-bracket"><title>${escapeXml(f.label)}</title>` +
      `<rect x="${r(x(f.from))}" y="${gridTop}" width="${r(Math.max(1, x(f.to) - x(f.from)))}" height="${gridBottom - gridTop}" fill="${MARKER_COLOR.fault}" fill-opacity="0.10"/>` +
      `<rect x="${r(x(f.lo))}" y="${gridTop}" width="${r(Math.max(1, x(f.hi) - x(f.lo)))}" height="${gridBottom - gridTop}" fill="${MARKER_COLOR.fault}" fill-opacity="0.30"/></g>`,
  );

  const height = gridBottom + 8;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="timeline" viewBox="0 0 ${W} ${height}" width="${W}" height="${height}" role="img" aria-label="timeline of the drill">`,
    '<defs><pattern id="kha-blind" patternUnits="userSpaceOnUse" width="7" height="7" patternTransform="rotate(45)">' +
      `<rect width="2" height="7" fill="${COLORS.blind}"/></pattern></defs>`,
    ...grid,
    ...c.parts,
    ...bands,
    ...markerParts,
    '</svg>',
  ].join('\n');
}

/** Marker labels, stacked in levels so that neighbours do not overlap; the height they take. */
function stackMarkerLabels(markers: readonly Marker[], x: X): { labels: MarkerLabel[]; labelArea: number } {
  const levels: number[] = [];
  const labels = markers.map((m) => {
    const text = truncate(m.label, 48);
    const x0 = x(m.t) + 3;
    const w = text.length * CHAR_W + 6;
    let level = levels.findIndex((right) => right < x0);
    if (level < 0) level = levels.length;
    levels[level] = x0 + w;
    return { m, text, level };
  });
  return { labels, labelArea: Math.max(1, levels.length) * 14 + 4 };
}

function drawPhases(c: Canvas, lanes: Lanes): void {
  const { x, parts, y } = c;
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
  c.y += ROW;
}

function drawAxis(c: Canvas, ticks: readonly number[]): void {
  const axisY = c.y;
  for (const t of ticks)
    c.parts.push(
      text(c.x(t), axisY + 12, `${formatNumber(t)} s`, { size: 10, fill: COLORS.muted, anchor: 'middle' }),
    );
  c.y += 18;
}

/** Hatches the windows in which `watcher` was blind on `subject`, over the row at `rowY`. */
function drawBlind(c: Canvas, lanes: Lanes, watcher: string, subject: string, rowY: number): void {
  for (const b of lanes.blind.filter((bb) => bb.watcher === watcher && bb.subject === subject)) {
    const x0 = c.x(b.from);
    const title = `${watcher} watcher blind on ${subject} ${b.from.toFixed(2)}–${b.to.toFixed(2)} s${b.reason ? `: ${b.reason}` : ''}`;
    c.parts.push(rect(x0, rowY - 1, Math.max(2, c.x(b.to) - x0), BAR + 2, 'url(#kha-blind)', title, 'blind'));
  }
}

/** A master's lane group: its etcd role, each Lease it holds, its API server's readiness. */
function drawMaster(c: Canvas, lanes: Lanes, m: MasterLanes, gi: number): void {
  const { x, parts } = c;
  const leaseColor = (lease: string): string =>
    COLORS.leases[lanes.leases.indexOf(lease) % COLORS.leases.length] ?? COLORS.leases[0];
  const rows = 2 + lanes.leases.length;
  const groupH = ROW * (rows + 1) + 4;
  if (gi % 2 === 0)
    parts.push(`<rect x="0" y="${c.y}" width="${W}" height="${groupH}" fill="${COLORS.groupBand}"/>`);
  parts.push(text(8, c.y + 14, m.name, { size: 12, weight: 'bold' }));
  if (m.host)
    parts.push(text(8 + m.name.length * 7.4 + 8, c.y + 14, m.host, { size: 10, fill: COLORS.muted }));
  c.y += ROW;
  parts.push(rowLabel('etcd role', c.y + 11));
  for (const s of m.etcd) {
    const label =
      s.state === 'follower'
        ? ''
        : `${s.state === 'electing' ? 'no leader' : s.state}${s.label ? ` · ${s.label}` : ''}`;
    parts.push(
      bar(
        x,
        s,
        c.y,
        etcdColor(s.state),
        `etcd ${s.state}${s.label ? ` (${s.label})` : ''}`,
        '#ffffff',
        label,
      ),
    );
  }
  drawBlind(c, lanes, 'raft', m.name, c.y);
  c.y += ROW;
  for (const lease of lanes.leases) {
    parts.push(rowLabel(`holds ${shortLease(lease)}`, c.y + 11));
    for (const s of m.leases[lease] ?? [])
      parts.push(
        bar(x, s, c.y, leaseColor(lease), `${lease} held by ${s.label ?? m.name}`, '#ffffff', s.label ?? ''),
      );
    drawBlind(c, lanes, 'lease', lease, c.y);
    c.y += ROW;
  }
  parts.push(rowLabel('API /readyz', c.y + 11));
  for (const s of m.api) parts.push(readinessBar(x, s, c.y, 'API server', 'unready'));
  drawBlind(c, lanes, 'apiserver', m.name, c.y);
  c.y += ROW + 4;
}

/** The load balancer's readiness and the etcd write probe. */
function drawLoadBalancer(c: Canvas, lanes: Lanes): void {
  const { x, parts } = c;
  parts.push(text(8, c.y + 14, 'load balancer / etcd', { size: 12, weight: 'bold' }));
  c.y += ROW;
  parts.push(rowLabel('LB /readyz', c.y + 11));
  for (const s of lanes.lb) parts.push(readinessBar(x, s, c.y, 'load balancer', 'down'));
  drawBlind(c, lanes, 'apiserver', 'lb', c.y);
  c.y += ROW;
  parts.push(rowLabel('etcd writes', c.y + 11));
  for (const s of lanes.writes)
    parts.push(
      bar(
        x,
        s,
        c.y,
        s.state === 'ok' ? COLORS.writeOk : COLORS.writeFailed,
        `etcd write probe ${s.state}`,
        '#ffffff',
        s.state === 'failed' ? 'failing' : '',
      ),
    );
  for (const b of lanes.blind.filter((bb) => bb.watcher === 'etcdWrite'))
    drawBlind(c, lanes, 'etcdWrite', b.subject, c.y);
  c.y += ROW + 8;
}

/** Measured intervals against their SLO. */
function drawMeasured(c: Canvas, result: RunResult, events: readonly TimelineEvent[], end: number): void {
  const measurements = pickMeasurements(result, events);
  if (!measurements.length) return;
  c.parts.push(`<line x1="0" x2="${W}" y1="${c.y}" y2="${c.y}" stroke="${COLORS.grid}"/>`);
  c.y += 4;
  c.parts.push(text(8, c.y + 14, 'measured vs SLO', { size: 12, weight: 'bold' }));
  c.y += ROW;
  for (const me of measurements) {
    c.parts.push(...drawMeasurement(me, c.x, c.y, end));
    c.y += MEASURE_ROW;
  }
}

function drawMarker({ m, text: label, level }: MarkerLabel, x: X, gridBottom: number): string {
  const mx = r(x(m.t));
  const color = MARKER_COLOR[m.kind];
  const dash =
    m.kind === 'inject' || m.kind === 'restore' || m.kind === 'fault' ? '' : ' stroke-dasharray="5 3"';
  return (
    `<g class="marker marker-${m.kind}"><title>${escapeXml(`${m.label} at ${m.t.toFixed(3)} s`)}</title>` +
    `<line x1="${mx}" x2="${mx}" y1="${level * 14 + 14}" y2="${gridBottom}" stroke="${color}" stroke-width="2"${dash}/>` +
    text(x(m.t) + 3, level * 14 + 11, label, { size: 10.5, fill: color, weight: 'bold', halo: true }) +
    '</g>'
  );
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
