/**
 * The drawing primitives of the timeline SVG: its geometry and colours, text, rectangles, row
 * labels and the bars of a lane.
 */
import { escapeXml } from '../escape.js';
import type { Readiness, Segment } from './lanes.js';

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

export const W = 1360;
export const LABEL_W = 210;
const RIGHT = 90;
export const PLOT_W = W - LABEL_W - RIGHT;
export const ROW = 20;
export const BAR = 14;
export const FONT = 11;
export const MEASURE_ROW = 34;
/** rough width of one character of the 11 px sans-serif, for fitting labels */
export const CHAR_W = 6.3;

export function etcdColor(state: string): string {
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

export function shortLease(lease: string): string {
  return lease.replace(/^kube-system\//, '');
}

export function bar<S extends string>(
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
export function readinessBar(
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

export function rowLabel(label: string, baseline: number, muted = false): string {
  return text(LABEL_W - 8, baseline, truncate(label, 30), {
    size: FONT,
    anchor: 'end',
    fill: muted ? COLORS.muted : COLORS.text,
  });
}

export function rect(
  x: number,
  y: number,
  w: number,
  h: number,
  fill: string,
  title: string,
  cls: string,
): string {
  return `<rect class="${cls}" x="${r(x)}" y="${r(y)}" width="${r(w)}" height="${r(h)}" fill="${fill}"><title>${escapeXml(title)}</title></rect>`;
}

export interface TextOpts {
  size?: number;
  fill?: string;
  anchor?: 'start' | 'middle' | 'end';
  weight?: 'bold';
  italic?: boolean;
  pointer?: boolean;
  /** a white outline so the text stays readable over lines and bars */
  halo?: boolean;
}

export function text(x: number, y: number, content: string, o: TextOpts = {}): string {
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

export function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, Math.max(1, max - 1))}…`;
}

export function r(n: number): string {
  return String(Math.round(n * 10) / 10);
}
