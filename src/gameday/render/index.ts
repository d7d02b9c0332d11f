/**
 * The suite reporters: format → file and a pure render. Same names as the single-run formats
 * (json, junit, md, html), so `--format` means the same thing for both.
 */
import { redactDeep } from '../../text/redact.js';
import type { ReportFormat } from '../../report/index.js';
import { SUITE_FILE, type SuiteResult } from '../../report/suite/result.js';
import { renderSuiteHtml } from './html.js';
import { renderSuiteJunit } from './junit.js';
import { renderSuiteMarkdown } from './markdown.js';

export const suiteReporters: Record<ReportFormat, { file: string; render: (r: SuiteResult) => string }> = {
  json: { file: SUITE_FILE, render: (r) => `${JSON.stringify(r, null, 2)}\n` },
  junit: { file: 'junit.xml', render: renderSuiteJunit },
  md: { file: 'summary.md', render: renderSuiteMarkdown },
  html: { file: 'report.html', render: renderSuiteHtml },
};

/** Renders one format after redacting secrets. */
export function renderSuite(format: ReportFormat, result: SuiteResult): string {
  return suiteReporters[format].render(redactDeep(result));
}
