/**
 * `kha-drill schema [inventory|drill] [--out dir]`: the JSON Schemas of the file formats,
 * generated from the zod schemas (for editors: `# yaml-language-server: $schema=...`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Argument } from 'commander';
import type { Context } from '../../context.js';
import { ExitCode, UsageError } from '../../errors.js';
import {
  SCHEMA_NAMES,
  jsonSchema,
  jsonSchemaText,
  schemaFileName,
  type SchemaName,
} from '../../config/json-schema.js';
import type { RegisterCommand } from '../types.js';

export const registerSchema: RegisterCommand = (program, ctx, setExit) => {
  program
    .command('schema')
    .description('print the JSON Schema of the inventory, drill or suite format (all when not named)')
    .addArgument(new Argument('[format]', 'which format').choices(SCHEMA_NAMES))
    .option('--out <dir>', 'write <dir>/<format>.schema.json for each instead')
    .action((format: SchemaName | undefined, opts: { out?: string }) => {
      setExit(runSchema(ctx, format, opts));
    });
};

export function runSchema(ctx: Context, format: SchemaName | undefined, opts: { out?: string }): number {
  const names = format ? [format] : [...SCHEMA_NAMES];
  if (opts.out) {
    const dir = path.resolve(ctx.cwd, opts.out);
    try {
      mkdirSync(dir, { recursive: true });
      for (const name of names) {
        const file = path.join(dir, schemaFileName(name));
        writeFileSync(file, jsonSchemaText(name));
        ctx.stdout.write(`wrote ${path.relative(ctx.cwd, file) || file}\n`);
      }
    } catch (err) {
      throw new UsageError(
        `cannot write schemas to ${opts.out}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    return ExitCode.Ok;
  }
  if (format) ctx.stdout.write(jsonSchemaText(format));
  else
    ctx.stdout.write(
      `${JSON.stringify(Object.fromEntries(names.map((n) => [n, jsonSchema(n)])), null, 2)}\n`,
    );
  return ExitCode.Ok;
}
