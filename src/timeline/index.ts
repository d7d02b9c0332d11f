/** The timeline's public door. */
export type * from './events.js';
export { FakeClock, systemClock, type Clock } from './clock.js';
export { Timeline, type EventSink, type TimelineListener, type TimelineOptions } from './timeline.js';
export { parseTimeline, readTimeline, TimelineParseError, type ParsedTimeline } from './read.js';
export { isSilentWatch, SILENT_WATCH_REASON, silentWatchReason } from './blind-reasons.js';
