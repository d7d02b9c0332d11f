/**
 * Every report format rendered from the hand-made runs in test/fixtures/reports/ and compared
 * with the committed output (`npx vitest run -u <this file>` rewrites them after a deliberate
 * change: review the diff). Plus structural checks that do not depend on the snapshots.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RunResultSchema, reportJsonSchema } from '../../src/report/schema.js';
import { renderReport, reporters, REPORT_FORMATS, parseFormats } from '../../src/report/index.js';
import type { RunResult } from '../../src/report/result.js';
import { evaluateSlos } from '../../src/slo/evaluate.js';
import { parseTimeline } from '../../src/timeline/read.js';
import type { RunEvent, TimelineEvent } from '../../src/timeline/events.js';
import { SCENARIOS } from '../fixtures/reports/build.js';
import { validateJsonSchema } from './report-json-schema.js';
import { childrenNamed, parseXml } from './report-xml.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/reports/', import.meta.url));
const SCHEMA_FILE = fileURLToPath(new URL('../../schema/report.schema.json', import.meta.url));

function load(scenario: string): { result: RunResult; events: TimelineEvent[] } {
  const raw: unknown = JSON.parse(readFileSync(`${FIXTURES}${scenario}/report.json`, 'utf8'));
  RunResultSchema.parse(raw); // throws on a stored report the renderers could not trust
  const result = raw as RunResult;
  const { events } = parseTimeline(readFileSync(`${FIXTURES}${scenario}/timeline.ndjson`, 'utf8'));
  return { result, events };
}

describe.each(Object.keys(SCENARIOS))('%s', (scenario) => {
  it('committed fixture files are what the builder makes', async () => {
    const { result, events } = SCENARIOS[scenario as keyof typeof SCENARIOS]();
    await expect(`${JSON.stringify(result, null, 2)}\n`).toMatchFileSnapshot(
      `${FIXTURES}${scenario}/report.json`,
    );
    await expect(events.map((e) => JSON.stringify(e)).join('\n') + '\n').toMatchFileSnapshot(
      `${FIXTURES}${scenario}/timeline.ndjson`,
    );
  });

  it('stored verdicts replay from the stored metrics', () => {
    const { result, events } = load(scenario);
    const run = events.find((e): e is RunEvent => e.kind === 'run');
    expect(run).toBeDefined();
    const replayed = evaluateSlos(
      result.verdicts.map((v) => v.slo),
      result.metrics,
      run!.leaderElection,
    );
    expect(replayed).toEqual(result.verdicts);
  });

  it.each(REPORT_FORMATS.filter((f) => f !== 'json'))('renders %s as committed', async (format) => {
    const { result, events } = load(scenario);
    await expect(renderReport(format, result, events)).toMatchFileSnapshot(
      `${FIXTURES}${scenario}/expected/${reporters[format].file}`,
    );
  });

  it('report.json round-trips and validates against schema/report.schema.json', () => {
    const { result, events } = load(scenario);
    const text = renderReport('json', result, events);
    expect(text).toBe(readFileSync(`${FIXTURES}${scenario}/report.json`, 'utf8'));
    const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as Record<string, unknown>;
    expect(validateJsonSchema(schema, JSON.parse(text))).toEqual([]);
  });

  it('junit.xml has a testsuite per drill and a testcase per SLO, failures with value and bound', () => {
    const { result, events } = load(scenario);
    const root = parseXml(renderReport('junit', result, events));
    expect(root.name).toBe('testsuites');
    const suites = childrenNamed(root, 'testsuite');
    expect(suites).toHaveLength(1);
    const suite = suites[0]!;
    expect(suite.attrs.name).toBe(result.drill.name);
    const cases = childrenNamed(suite, 'testcase');
    expect(cases.map((c) => c.attrs.name)).toEqual([...result.verdicts.map((v) => v.slo), 'restore']);
    for (const c of cases) expect(c.attrs.classname).toBe(`kha-drill.${result.drill.name}`);
    const failures = cases.filter((c) => childrenNamed(c, 'failure').length);
    const errors = cases.filter((c) => childrenNamed(c, 'error').length);
    expect(Number(suite.attrs.tests)).toBe(cases.length);
    expect(Number(suite.attrs.failures)).toBe(failures.length);
    expect(Number(suite.attrs.errors)).toBe(errors.length);
    expect(Number(root.attrs.failures)).toBe(failures.length);
    for (const v of result.verdicts) {
      const c = cases.find((x) => x.attrs.name === v.slo)!;
      if (v.status === 'fail') {
        const f = childrenNamed(c, 'failure')[0]!;
        expect(f.attrs.message).toContain(v.bound);
        expect(f.attrs.message).toMatch(/\d+\.\d+/);
        expect(f.attrs.type).toBe('SloViolated');
      } else if (v.status === 'unknown') {
        expect(childrenNamed(c, 'error')[0]!.attrs.type).toBe('SloUnknown');
      } else {
        expect(c.children).toEqual([]);
      }
    }
  });

  it('summary.md leads with the outcome and has a row per SLO', () => {
    const { result, events } = load(scenario);
    const md = renderReport('md', result, events);
    const first = md.split('\n')[0]!;
    expect(first).toMatch(result.outcome === 'pass' ? /^## ✅ PASS: / : /^## ❌ FAIL: /);
    for (const v of result.verdicts) expect(md).toContain(`| \`${v.slo}\` |`);
    expect(md).toContain('**Restore:**');
  });

  it('report.html is self-contained: CSP, no scripts, no external references', () => {
    const { result, events } = load(scenario);
    const html = renderReport('html', result, events);
    expect(html).toContain(
      `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    );
    expect(html).not.toMatch(/<script|<link|<iframe|<object|<embed|@import|url\(\s*['"]?(?!#|data:)/i);
    const refs = [
      ...html.matchAll(/\b(?:src|href|xlink:href|action|poster|srcset)\s*=\s*["']([^"']*)["']/gi),
    ].map((m) => m[1]);
    expect(refs.filter((r) => !/^(#|data:)/.test(r ?? ''))).toEqual([]);
    // the only URL-ish strings allowed are the SVG namespace
    const urls = [...html.matchAll(/\b(?:https?|ftp|wss?):\/\/[^\s"'<)]+/g)].map((m) => m[0]);
    expect(urls.filter((u) => u !== 'http://www.w3.org/2000/svg')).toEqual([]);
    // lanes drawn for every master, with the verdict header
    for (const master of result.inventory.masters) expect(html).toContain(`>${master}</text>`);
    expect(html).toMatch(/class="seg seg-leader"/);
    expect(html).toMatch(/class="seg seg-ready"/);
    expect(html).toMatch(/class="marker marker-inject"/);
    expect(html).toMatch(
      new RegExp(`<div class="verdict">${result.outcome === 'pass' ? 'PASS' : 'FAIL'}</div>`),
    );
  });
});

describe('schema/report.schema.json', () => {
  it('is generated from the zod schema', async () => {
    await expect(`${JSON.stringify(reportJsonSchema(), null, 2)}\n`).toMatchFileSnapshot(SCHEMA_FILE);
  });

  it('rejects reports that break it (the validator can fail)', () => {
    const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as Record<string, unknown>;
    const good = JSON.parse(readFileSync(`${FIXTURES}scheduler-failover/report.json`, 'utf8')) as Record<
      string,
      unknown
    >;
    const broken: [string, (r: Record<string, unknown>) => void][] = [
      ['schemaVersion', (r) => (r.schemaVersion = 2)],
      ['missing verdicts', (r) => delete r.verdicts],
      ['bad outcome', (r) => (r.outcome = 'passed')],
      ['extra key', (r) => (r.extra = 1)],
      ['verdict status', (r) => ((r.verdicts as Record<string, unknown>[])[0]!.status = 'ok')],
      ['metric value type', (r) => ((r.metrics as Record<string, unknown>[])[0]!.value = '2.6')],
      ['tInject', (r) => (r.tInject = 'soon')],
    ];
    for (const [name, mutate] of broken) {
      const copy = structuredClone(good);
      mutate(copy);
      expect(validateJsonSchema(schema, copy), name).not.toEqual([]);
    }
  });
});

describe('escaping', () => {
  const { result, events } = SCENARIOS['scheduler-failover']();
  const nasty = `a<b & "c" 'd' ]]> \u0007bell \u001b[31mred\u001b[0m | pipe`;
  const evil: RunResult = {
    ...result,
    drill: { ...result.drill, name: 'x"><script>alert(1)</script>', description: nasty },
    summary: nasty,
    verdicts: result.verdicts.map((v) => ({ ...v, status: 'fail', message: nasty })),
    steps: result.steps.map((s) => ({ ...s, output: `<img src=http://127.0.0.1:1/x.png>${nasty}` })),
  };

  it('JUnit parses back with the text intact (minus control characters)', () => {
    const root = parseXml(renderReport('junit', evil, events));
    const suite = childrenNamed(root, 'testsuite')[0]!;
    expect(suite.attrs.name).toBe(evil.drill.name);
    const failure = childrenNamed(childrenNamed(suite, 'testcase')[0]!, 'failure')[0]!;
    expect(failure.attrs.message).toContain(`a<b & "c" 'd' ]]> \uFFFDbell red | pipe`);
  });

  it('HTML carries no markup from the data', () => {
    const html = renderReport('html', evil, events);
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=http://127.0.0.1:1/x.png&gt;');
  });

  it('Markdown keeps each table row on one line', () => {
    const md = renderReport('md', evil, events);
    const rows = md.split('\n').filter((l) => l.includes('❌ fail'));
    expect(rows).toHaveLength(evil.verdicts.length);
    for (const row of rows) expect(row).toContain('\\| pipe');
  });
});

describe('parseFormats', () => {
  it.each([
    [undefined, REPORT_FORMATS],
    ['', REPORT_FORMATS],
    ['all', REPORT_FORMATS],
    ['json,md', ['json', 'md']],
    [
      ['junit', 'html,junit'],
      ['junit', 'html'],
    ],
  ] as const)('%j', (input, expected) => {
    expect(parseFormats(input as string | string[] | undefined)).toEqual(expected);
  });
  it('names the unknown format with a suggestion', () => {
    expect(() => parseFormats('json,jnuit')).toThrow(
      /unknown report format 'jnuit' \(did you mean 'junit'\?\)/,
    );
  });
});
