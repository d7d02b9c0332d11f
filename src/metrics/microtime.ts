/** Kubernetes MicroTime (`2025-01-01T00:00:01.123456Z`) at full precision, for differences. */

export interface MicroTime {
  /** whole seconds since the epoch */
  seconds: number;
  micros: number;
}

const MICROTIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

export function parseMicroTime(text: string | null | undefined): MicroTime | null {
  if (!text) return null;
  const m = MICROTIME.exec(text);
  if (!m) return null;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(ms)) return null;
  const frac = (m[2] ?? '').padEnd(6, '0').slice(0, 6);
  return { seconds: ms / 1000, micros: Number(frac) };
}

/** a − b in seconds. */
export function microDiff(a: MicroTime, b: MicroTime): number {
  return a.seconds - b.seconds + (a.micros - b.micros) / 1e6;
}
