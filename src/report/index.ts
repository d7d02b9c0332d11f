/** The report folder's public door: the run and suite reporter registries and writing a run's reports. */
export {
  REPORT_FORMATS,
  parseFormats,
  renderReport,
  renderSuite,
  reporters,
  suiteReporters,
  type ReportFormat,
  type Reporter,
  type SuiteReporter,
} from './reporters.js';
export { redactDeep, redactText } from '../text/redact.js';
export {
  createRunDir,
  renderInto,
  runDirName,
  writeRunReport,
  TIMELINE_FILE,
  type WriteReportOptions,
} from './write.js';
