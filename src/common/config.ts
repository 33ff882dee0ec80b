// Loading YAML configuration through zod schemas: a bad file stops the process with the file, the key
// and the problem named.

import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from './errors.ts';

/** Formats a zod issue path as `a.b[2].c`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

/** Validates `value` against `schema`; the first problem becomes a ConfigError naming `file` and the key. */
export function parseConfig<S extends z.ZodType>(schema: S, value: unknown, file: string): z.infer<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (!issue) throw new ConfigError(file, '', 'invalid configuration');
  const others = result.error.issues.length - 1;
  const more = others > 0 ? ` (and ${others} more problem${others > 1 ? 's' : ''})` : '';
  throw new ConfigError(file, formatPath(issue.path), issue.message + more);
}

/** Reads and parses a YAML file; a syntax error names the line and column. */
export function readYaml(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, '', `cannot read file: ${(error as Error).message}`);
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const pos = first.linePos?.[0];
    const where = pos ? `line ${pos.line}, column ${pos.col}` : '';
    throw new ConfigError(file, where, `invalid YAML: ${first.message.split('\n')[0] ?? ''}`);
  }
  return doc.toJS() as unknown;
}

export function loadConfigFile<S extends z.ZodType>(schema: S, file: string): z.infer<S> {
  return parseConfig(schema, readYaml(file), file);
}
