// The embedded deployment's durable control state: the control-plane hashes (kill switch, strategy
// toggles, route overrides) kept in `<home>/control.json`, written atomically, so a kill switch engaged
// while nothing runs is still engaged when `hf run` starts.

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError } from '../common/errors.ts';

export type ControlState = Record<string, Record<string, string>>;

export function controlFilePath(home: string): string {
  return join(home, 'control.json');
}

export function readControlFile(file: string): ControlState {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return {};
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(file, '', `not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new ConfigError(file, '', 'expected an object of hashes');
  const out: ControlState = {};
  for (const [key, hash] of Object.entries(parsed as Record<string, unknown>)) {
    if (typeof hash !== 'object' || hash === null || Array.isArray(hash))
      throw new ConfigError(file, key, 'expected an object of string fields');
    const fields: Record<string, string> = {};
    for (const [field, value] of Object.entries(hash as Record<string, unknown>)) {
      if (typeof value !== 'string') throw new ConfigError(file, `${key}.${field}`, 'expected a string');
      fields[field] = value;
    }
    out[key] = fields;
  }
  return out;
}

export function writeControlFile(file: string, state: ControlState): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n');
  renameSync(tmp, file);
}

export function updateControlFile(
  file: string,
  key: string,
  field: string,
  value: string | undefined,
): ControlState {
  const state = readControlFile(file);
  const hash = state[key] ?? {};
  if (value === undefined) delete hash[field];
  else hash[field] = value;
  state[key] = hash;
  writeControlFile(file, state);
  return state;
}
