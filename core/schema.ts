/**
 * A small schema language for the suite format: one description serves both validation
 * (with the path of every offending field) and the JSON Schema that `serbench schema` prints.
 */
export type Schema =
  | { type: 'string'; enum?: readonly string[]; description?: string; default?: string }
  | { type: 'number'; minimum?: number; maximum?: number; integer?: boolean; description?: string; default?: number }
  | { type: 'boolean'; description?: string; default?: boolean }
  | { type: 'array'; items: Schema; minItems?: number; maxItems?: number; uniqueItems?: boolean; description?: string; default?: unknown }
  | {
      type: 'object';
      properties?: Record<string, Schema>;
      required?: readonly string[];
      /** Schema of keys not listed in properties (a map); absent = unknown keys are errors. */
      additionalProperties?: Schema;
      description?: string;
      default?: unknown;
    }
  | { anyOf: Schema[]; description?: string; default?: unknown };

/** The object variant: a mapping with known properties. */
export type ObjectSchema = Extract<Schema, { type: 'object' }>;

export type Path = (string | number)[];
export interface SchemaError {
  path: Path;
  message: string;
}

function describe(s: Schema): string {
  if ('anyOf' in s) return s.anyOf.map(describe).join(' or ');
  if (s.type === 'string' && s.enum) return `one of ${s.enum.join(', ')}`;
  if (s.type === 'array') return `a list of ${describe(s.items)}`;
  if (s.type === 'number' && s.integer) return 'a whole number';
  return s.type === 'object' ? 'a mapping' : `a ${s.type}`;
}

export function validate(value: unknown, schema: Schema, path: Path = []): SchemaError[] {
  if ('anyOf' in schema) {
    for (const alt of schema.anyOf) if (validate(value, alt, path).length === 0) return [];
    return [{ path, message: `must be ${describe(schema)}` }];
  }
  const err = (message: string): SchemaError[] => [{ path, message }];
  switch (schema.type) {
    case 'string':
      if (typeof value !== 'string') return err(`must be ${describe(schema)}, got ${show(value)}`);
      if (schema.enum && !schema.enum.includes(value)) return err(`"${value}" is not ${describe(schema)}`);
      return [];
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return err(`must be a number, got ${show(value)}`);
      if (schema.integer && !Number.isInteger(value)) return err(`must be a whole number, got ${value}`);
      if (schema.minimum !== undefined && value < schema.minimum) return err(`must be ≥ ${schema.minimum}, got ${value}`);
      if (schema.maximum !== undefined && value > schema.maximum) return err(`must be ≤ ${schema.maximum}, got ${value}`);
      return [];
    }
    case 'boolean':
      return typeof value === 'boolean' ? [] : err(`must be true or false, got ${show(value)}`);
    case 'array': {
      if (!Array.isArray(value)) return err(`must be ${describe(schema)}, got ${show(value)}`);
      if (schema.minItems !== undefined && value.length < schema.minItems) return err(`needs at least ${schema.minItems} item(s)`);
      if (schema.maxItems !== undefined && value.length > schema.maxItems) return err(`takes at most ${schema.maxItems} item(s)`);
      if (schema.uniqueItems) {
        const seen = value.map((v) => JSON.stringify(v));
        const dup = seen.findIndex((v, i) => seen.indexOf(v) !== i);
        if (dup >= 0) return err(`lists ${seen[dup]} twice: each item once`);
      }
      return value.flatMap((v, i) => validate(v, schema.items, [...path, i]));
    }
    case 'object': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return err(`must be a mapping, got ${show(value)}`);
      const obj = value as Record<string, unknown>;
      const out: SchemaError[] = [];
      for (const key of schema.required ?? []) {
        if (obj[key] === undefined) out.push({ path: [...path, key], message: 'is required' });
      }
      for (const [key, v] of Object.entries(obj)) {
        const sub = schema.properties?.[key] ?? schema.additionalProperties;
        if (!sub) {
          const known = Object.keys(schema.properties ?? {});
          out.push({ path: [...path, key], message: `unknown field (known: ${known.join(', ')})` });
        } else out.push(...validate(v, sub, [...path, key]));
      }
      return out;
    }
  }
}

function show(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** Draft 2020-12 JSON Schema for editors. */
export function toJsonSchema(schema: Schema): Record<string, unknown> {
  if ('anyOf' in schema) return { anyOf: schema.anyOf.map(toJsonSchema), description: schema.description, default: schema.default };
  const base: Record<string, unknown> = { description: schema.description };
  switch (schema.type) {
    case 'string':
      return { ...base, type: 'string', enum: schema.enum, default: schema.default };
    case 'number':
      return { ...base, type: schema.integer ? 'integer' : 'number', minimum: schema.minimum, maximum: schema.maximum, default: schema.default };
    case 'boolean':
      return { ...base, type: 'boolean', default: schema.default };
    case 'array':
      return {
        ...base,
        type: 'array',
        items: toJsonSchema(schema.items),
        minItems: schema.minItems,
        maxItems: schema.maxItems,
        uniqueItems: schema.uniqueItems,
        default: schema.default,
      };
    case 'object':
      return {
        ...base,
        type: 'object',
        properties: schema.properties && Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, toJsonSchema(v)])),
        required: schema.required,
        additionalProperties: schema.additionalProperties ? toJsonSchema(schema.additionalProperties) : false,
        default: schema.default,
      };
  }
}

/** An object schema with each property's default taken from `defaults` (stated once, where the loader reads them). */
export function withDefaults(schema: ObjectSchema, defaults: object): ObjectSchema {
  const d = defaults as Record<string, unknown>;
  return {
    ...schema,
    properties: Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, v]) => [k, d[k] === undefined ? v : ({ ...v, default: d[k] } as Schema)])),
  };
}
