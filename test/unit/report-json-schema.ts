/**
 * A small JSON Schema validator for the keywords schema/report.schema.json uses (the output of
 * zod's toJSONSchema): type, const, enum, properties, required, additionalProperties,
 * propertyNames, items, anyOf, minimum, maximum, minLength. An unsupported keyword throws, so
 * the validator cannot silently accept what it does not understand.
 */
type Schema = Record<string, unknown>;

const IGNORED = new Set(['$schema', '$id', 'title', 'description']);
const KNOWN = new Set([
  'type',
  'const',
  'enum',
  'properties',
  'required',
  'additionalProperties',
  'propertyNames',
  'items',
  'anyOf',
  'minimum',
  'maximum',
  'minLength',
]);

export function validateJsonSchema(schema: Schema, value: unknown, path = '$'): string[] {
  for (const k of Object.keys(schema)) {
    if (!IGNORED.has(k) && !KNOWN.has(k)) throw new Error(`unsupported JSON Schema keyword ${k} at ${path}`);
  }
  const errors: string[] = [];
  if (schema.anyOf) {
    const ok = (schema.anyOf as Schema[]).some((s) => validateJsonSchema(s, value, path).length === 0);
    if (!ok) errors.push(`${path}: matches none of anyOf`);
  }
  if ('const' in schema && value !== schema.const)
    errors.push(`${path}: expected ${JSON.stringify(schema.const)}`);
  if (schema.enum && !(schema.enum as unknown[]).includes(value))
    errors.push(`${path}: not one of ${JSON.stringify(schema.enum)}`);
  const types =
    schema.type === undefined ? undefined : ([] as string[]).concat(schema.type as string | string[]);
  if (types && !types.some((t) => hasType(value, t))) {
    errors.push(`${path}: expected ${types.join(' or ')}`);
    return errors;
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum)
      errors.push(`${path}: below ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum)
      errors.push(`${path}: above ${schema.maximum}`);
  }
  if (typeof value === 'string' && typeof schema.minLength === 'number' && value.length < schema.minLength)
    errors.push(`${path}: too short`);
  if (Array.isArray(value) && schema.items)
    value.forEach((v, i) => errors.push(...validateJsonSchema(schema.items as Schema, v, `${path}[${i}]`)));
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    for (const r of (schema.required ?? []) as string[])
      if (!(r in obj)) errors.push(`${path}.${r}: required`);
    for (const [k, v] of Object.entries(obj)) {
      if (props[k]) errors.push(...validateJsonSchema(props[k], v, `${path}.${k}`));
      else if (schema.additionalProperties === false) errors.push(`${path}.${k}: not allowed`);
      else if (typeof schema.additionalProperties === 'object')
        errors.push(...validateJsonSchema(schema.additionalProperties as Schema, v, `${path}.${k}`));
      if (schema.propertyNames)
        errors.push(...validateJsonSchema(schema.propertyNames as Schema, k, `${path}{${k}}`));
    }
  }
  return errors;
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'array':
      return Array.isArray(value);
    case 'object':
      return value !== null && typeof value === 'object' && !Array.isArray(value);
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    default:
      return typeof value === type;
  }
}
