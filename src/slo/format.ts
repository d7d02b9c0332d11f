import type { MetricRef } from './expression.js';

/** The canonical text of an expression's subject, e.g. `p(95)(lease.takeover_s{lease=a/b})`. */
export function formatSubject(m: MetricRef): string {
  const labels = Object.entries(m.labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const base = labels ? `${m.name}{${labels}}` : m.name;
  if (!m.aggregate) return base;
  return m.aggregate.fn === 'p' ? `p(${m.aggregate.percentile})(${base})` : `${m.aggregate.fn}(${base})`;
}
