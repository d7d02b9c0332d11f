/** Writes the suite files into the suite directory, suite.json last (its presence = complete). */
import { join } from 'node:path';
import { renderSuite, suiteReporters, type ReportFormat } from '../reporters.js';
import { writeFileAtomic } from '../write.js';
import type { SuiteResult } from './result.js';

/** suite.json is always written: a later `--baseline` or `compare` reads it. */
export async function writeSuiteReport(
  dir: string,
  result: SuiteResult,
  formats: readonly ReportFormat[],
): Promise<string[]> {
  const wanted = new Set<ReportFormat>([...formats, 'json']);
  const ordered = [...wanted].sort((a, b) => Number(a === 'json') - Number(b === 'json'));
  const written: string[] = [];
  for (const format of ordered) {
    const file = join(dir, suiteReporters[format].file);
    await writeFileAtomic(file, renderSuite(format, result));
    written.push(file);
  }
  return written;
}
