import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { PACKAGE_ROOT } from '../version.js';
import { isDrillPath, listDrills, resolveDrill } from './drills.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'kha-drills-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(path.join(dir, 'drills'));
copyFileSync(path.join(PACKAGE_ROOT, 'drills/scheduler-failover.yaml'), path.join(dir, 'drills/mine.yaml'));
writeFileSync(
  path.join(dir, 'drills/broken.yaml'),
  'apiVersion: kha-drill/v1\nkind: Drill\nmetadata: {name: broken}\n',
);

describe('resolveDrill', () => {
  it.each([
    ['./x.yaml', true],
    ['drills/x', true],
    ['x.yml', true],
    ['scheduler-failover', false],
  ])('isDrillPath(%s) = %s', (arg, want) => {
    expect(isDrillPath(arg)).toBe(want);
  });

  it('finds built-in drills by name and takes paths as given', () => {
    expect(resolveDrill('scheduler-failover', dir)).toBe(
      path.join(PACKAGE_ROOT, 'drills/scheduler-failover.yaml'),
    );
    expect(resolveDrill('drills/mine.yaml', dir)).toBe(path.join(dir, 'drills/mine.yaml'));
    expect(resolveDrill('mine', dir)).toBe(path.join(dir, 'drills/mine.yaml'));
  });

  it('refuses an unknown name with a did-you-mean', () => {
    expect(() => resolveDrill('scheduler-failovr', dir)).toThrow(UsageError);
    expect(() => resolveDrill('scheduler-failovr', dir)).toThrow("did you mean 'scheduler-failover'?");
  });
});

describe('listDrills', () => {
  it('lists built-in and local drills, broken ones marked', () => {
    const drills = listDrills(dir);
    expect(drills.find((d) => d.source === 'built-in' && d.name === 'scheduler-failover')).toMatchObject({
      valid: true,
      tags: ['lease', 'kube-scheduler', 'graceful'],
    });
    expect(drills.find((d) => d.name === 'mine')).toMatchObject({ valid: true, source: 'local' });
    expect(drills.find((d) => d.name === 'broken')).toMatchObject({ valid: false, source: 'local' });
  });
});
