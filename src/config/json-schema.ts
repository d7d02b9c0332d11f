/**
 * The JSON Schemas of the file formats, generated from the zod schemas (the one source).
 * Committed copies in schema/ serve editors (yaml-language-server); a unit test keeps them equal.
 */
import { z } from 'zod';
import { Drill, Inventory, Suite } from './schema.js';

export const SCHEMA_NAMES = ['inventory', 'drill', 'suite'] as const;
export type SchemaName = (typeof SCHEMA_NAMES)[number];

const SOURCES = { inventory: Inventory, drill: Drill, suite: Suite } as const;
const TITLES = {
  inventory: 'kha-drill Inventory',
  drill: 'kha-drill Drill',
  suite: 'kha-drill Suite',
} as const;

export function jsonSchema(name: SchemaName): Record<string, unknown> {
  // io: 'input' describes what users write: fields with defaults are optional
  const generated = z.toJSONSchema(SOURCES[name], {
    io: 'input',
    target: 'draft-7',
    unrepresentable: 'any',
  });
  return { ...generated, $id: `https://kha-drill.dev/schema/${name}.schema.json`, title: TITLES[name] };
}

/** The committed file's text: 2-space JSON and a final newline. */
export function jsonSchemaText(name: SchemaName): string {
  return `${JSON.stringify(jsonSchema(name), null, 2)}\n`;
}

export function schemaFileName(name: SchemaName): string {
  return `${name}.schema.json`;
}
