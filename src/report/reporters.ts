/**
 * The reporter registries: format name → file name and a pure render → text, one for a run
 * (render(result, events)) and one for a suite (render(suiteResult)) under the same format
 * names, so `--format` means the same thing for both. `renderReport` and `renderSuite` are the
 * doors the rest of the program uses: they redact secrets first.
 */
import { suggestion } from '../text/suggest.js';
import { UsageError } from '../errors.js';
import type { TimelineEvent } from '../timeline/events.js';
import { renderHtml } from './html/index.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import { redactDeep } from '../text/redact.js';
import type { RunResult } from './result.js';
import { renderSuiteHtml } from './suite/html.js';
import { renderSuiteJunit } from './suite/junit.js';
import { renderSuiteMarkdown } from './suite/markdown.js';
import { SUITE_FILE, type SuiteResult } from './suite/result.js';

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

/** A suite reporter: the file written into the suite directory and a pure render. */
export interface SuiteReporter {
  file: string;
  render: (r: SuiteResult) => string;
}

export const suiteReporters: Record<ReportFormat, SuiteReporter> = {
  json: { file: SUITE_FILE, render: (r) => `${JSON.stringify(r, null, 2)}\n` },
  junit: { file: 'junit.xml', render: renderSuiteJunit },
  md: { file: 'summary.md', render: renderSuiteMarkdown },
  html: { file: 'report.html', render: renderSuiteHtml },
};

/** Renders one suite format after redacting secrets. */
export function renderSuite(format: ReportFormat, result: SuiteResult): string {
  return suiteReporters[format].render(redactDeep(result));
}
