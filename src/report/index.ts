/** The report folder's public door: the reporter registry and writing a run's reports. */
export {
  REPORT_FORMATS,
  parseFormats,
  renderReport,
  reporters,
  type ReportFormat,
  type Reporter,
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
