/** The committed JSON Schemas (schema/*.json, used by editors) must equal the generated ones. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCHEMA_NAMES, jsonSchemaText, schemaFileName } from '../../src/config/json-schema.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('schema/*.json', () => {
  it.each(SCHEMA_NAMES)(
    '%s is in sync with src/config/schema.ts (run: kha-drill schema --out schema)',
    (name) => {
      const committed = readFileSync(path.join(ROOT, 'schema', schemaFileName(name)), 'utf8');
      expect(committed).toBe(jsonSchemaText(name));
    },
  );

  it('the shipped YAML files point editors at them', () => {
    expect(readFileSync(path.join(ROOT, 'inventory.example.yaml'), 'utf8')).toMatch(
      /^# yaml-language-server: \$schema=\.\/schema\/inventory\.schema\.json$/m,
    );
    expect(readFileSync(path.join(ROOT, 'drills/scheduler-failover.yaml'), 'utf8')).toMatch(
      /^# yaml-language-server: \$schema=\.\.\/schema\/drill\.schema\.json$/m,
    );
  });
});
