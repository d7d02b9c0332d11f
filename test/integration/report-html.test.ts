/**
 * report.html in a real browser: Debian's headless Chromium takes a screenshot of each fixture
 * run, which must show the drawn lanes in their colours, and a net log of the page load must
 * show no request made by the page. Negative controls prove both checks can fail.
 *
 * Needs `chromium` (apt-get install -y chromium); KHA_CHROMIUM names another binary. Chromium's
 * own background services are pointed at a dead loopback proxy and a resolver that resolves
 * nothing, so nothing leaves the machine whatever they try.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COLORS } from '../../src/report/html/timeline-svg.js';
import { renderReport } from '../../src/report/index.js';
import { SCENARIOS } from '../fixtures/reports/build.js';
import { countColour, readPng } from './report-png.js';

const run = promisify(execFile);

function findChromium(): string | null {
  const candidates = [process.env.KHA_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(
    Boolean,
  ) as string[];
  return candidates.find((c) => existsSync(c)) ?? null;
}

const chromium = findChromium();
const skip = !chromium && process.env.KHA_SKIP_BROWSER === '1';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kha-report-html-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface Shot {
  png: ReturnType<typeof readPng>;
  /** URLs the page itself requested (net log requests whose top frame is the file) */
  pageRequests: string[];
}

async function screenshot(name: string, html: string): Promise<Shot> {
  if (!chromium)
    throw new Error('chromium not found: apt-get install -y chromium (or KHA_SKIP_BROWSER=1 to skip)');
  const page = join(dir, `${name}.html`);
  const png = join(dir, `${name}.png`);
  const netlog = join(dir, `${name}.netlog.json`);
  const profile = mkdtempSync(join(tmpdir(), 'kha-chromium-'));
  writeFileSync(page, html);
  try {
    await run(
      chromium,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-default-apps',
        '--disable-extensions',
        '--no-pings',
        '--disable-domain-reliability',
        '--disable-features=MediaRouter,OptimizationHints,Translate,AutofillServerCommunication,NetworkTimeServiceQuerying',
        // whatever the browser itself tries to reach goes nowhere: a dead loopback proxy and a
        // resolver that resolves nothing (loopback, used by the negative control, goes direct)
        '--proxy-server=http://127.0.0.1:9',
        '--proxy-bypass-list=<-loopback>',
        '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
        `--user-data-dir=${profile}`,
        `--log-net-log=${netlog}`,
        `--screenshot=${png}`,
        '--window-size=1400,1000',
        `file://${page}`,
      ],
      { timeout: 90_000 },
    );
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
  return { png: readPng(readFileSync(png)), pageRequests: pageRequests(netlog) };
}

/** URL_REQUEST_START_JOB events in the net log whose isolation key is the file page. */
function pageRequests(netlogFile: string): string[] {
  const log = JSON.parse(readFileSync(netlogFile, 'utf8')) as {
    constants: { logEventTypes: Record<string, number> };
    events: { type: number; params?: Record<string, unknown> }[];
  };
  const start = log.constants.logEventTypes['URL_REQUEST_START_JOB'];
  expect(start, 'net log has URL_REQUEST_START_JOB').toBeTypeOf('number');
  return log.events
    .filter(
      (e) => e.type === start && String(e.params?.['network_isolation_key'] ?? '').startsWith('file://'),
    )
    .map((e) => String(e.params?.['url']));
}

describe.skipIf(skip)('report.html in headless Chromium', () => {
  it('negative control: a page with external references is caught, a blank page has no lanes', async () => {
    const shot = await screenshot(
      'control',
      '<!DOCTYPE html><html><body><p>plain</p><img src="http://127.0.0.1:9/pixel.png"><link rel="stylesheet" href="http://127.0.0.1:9/a.css"></body></html>',
    );
    expect(shot.pageRequests.sort()).toEqual(['http://127.0.0.1:9/a.css', 'http://127.0.0.1:9/pixel.png']);
    for (const colour of [COLORS.leader, COLORS.follower, COLORS.leases[0], COLORS.sloBand])
      expect(countColour(shot.png, colour)).toBe(0);
  });

  it.each(Object.keys(SCENARIOS))('%s: lanes drawn, no requests', async (scenario) => {
    const { result, events } = SCENARIOS[scenario as keyof typeof SCENARIOS]();
    const shot = await screenshot(scenario, renderReport('html', result, events));
    expect(shot.pageRequests).toEqual([]);
    expect([shot.png.width, shot.png.height]).toEqual([1400, 1000]);
    // the verdict banner, and each kind of lane in its colour (thousands of pixels each)
    const banner = result.outcome === 'pass' ? '#1a7f37' : '#cf222e';
    expect(countColour(shot.png, banner), 'verdict banner').toBeGreaterThan(20_000);
    expect(countColour(shot.png, COLORS.leader), 'etcd leader lane').toBeGreaterThan(5_000);
    expect(countColour(shot.png, COLORS.follower), 'etcd follower lanes').toBeGreaterThan(5_000);
    expect(countColour(shot.png, COLORS.ready), 'API readiness lanes').toBeGreaterThan(20_000);
    expect(countColour(shot.png, COLORS.leases[0]), 'first Lease holder lane').toBeGreaterThan(5_000);
    expect(countColour(shot.png, COLORS.leases[1]), 'second Lease holder lane').toBeGreaterThan(5_000);
    expect(countColour(shot.png, COLORS.sloBand), 'SLO band').toBeGreaterThan(2_000);
    if (scenario === 'etcd-leader-kill') {
      expect(countColour(shot.png, COLORS.electing), 'election (no leader)').toBeGreaterThan(300);
      // down/unready red beyond the banner's share
      expect(countColour(shot.png, COLORS.down), 'down / unready').toBeGreaterThan(40_000);
    }
  });
});
