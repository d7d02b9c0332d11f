/**
 * The reporter registry: format name → file name and a pure render(result, events) → text.
 * `renderReport` is the door the rest of the program uses: it redacts secrets first.
 */
import { suggestion } from '../text/suggest.js';
import { UsageError } from '../errors.js';
import type { TimelineEvent } from '../timeline/events.js';
import { renderHtml } from './html/index.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import { redactDeep } from '../text/redact.js';
import type { RunResult } from './result.js';

export interface Reporter {
  /** the file written into the run directory */
  file: string;
  description: string;
  render(result: RunResult, events: readonly TimelineEvent[]): string;
}

export const reporters = {
  json: {
    file: 'report.json',
    description: 'the run result, versioned (schema/report.schema.json)',
    render: (result) => `${JSON.stringify(result, null, 2)}\n`,
  },
  junit: {
    file: 'junit.xml',
    description: 'a testsuite per drill, a testcase per SLO, for CI test reports',
    render: renderJunit,
  },
  md: {
    file: 'summary.md',
    description: 'outcome and SLO table, fit for a CI step summary',
    render: renderMarkdown,
  },
  html: {
    file: 'report.html',
    description: 'one self-contained page with the timeline drawn',
    render: renderHtml,
  },
} as const satisfies Record<string, Reporter>;

export type ReportFormat = keyof typeof reporters;
export const REPORT_FORMATS = Object.keys(reporters) as ReportFormat[];

/** `json,junit` → formats; `all` or an empty list → every format. Unknown names are a UsageError. */
export function parseFormats(list: string | readonly string[] | undefined): ReportFormat[] {
  const names = (typeof list === 'string' ? list.split(',') : (list ?? []).flatMap((l) => l.split(',')))
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0 || names.includes('all')) return [...REPORT_FORMATS];
  const out: ReportFormat[] = [];
  for (const n of names) {
    if (!(REPORT_FORMATS as string[]).includes(n)) {
      throw new UsageError(`unknown report format '${n}' (${suggestion(n, REPORT_FORMATS)})`, {
        hint: `formats: ${REPORT_FORMATS.join(', ')}`,
      });
    }
    if (!out.includes(n as ReportFormat)) out.push(n as ReportFormat);
  }
  return out;
}

/** Renders one format after redacting secrets from the result and the events. */
export function renderReport(
  format: ReportFormat,
  result: RunResult,
  events: readonly TimelineEvent[],
): string {
  return reporters[format].render(redactDeep(result), redactDeep([...events]));
}
