// Start-up checks of the security settings: in production (NODE_ENV=production) a process refuses to start
// while a secret in its environment is one of the example values of `.env.example` (or the runbook's).

import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../common/errors.ts';

const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Example passwords printed in the runbook (RUNBOOK.md §1): never acceptable in production either. */
export const RUNBOOK_EXAMPLE_SECRETS: readonly string[] = ['redispass123', 'supersecretpassword'];

const SECRET_NAME = /PASSWORD|SECRET|TOKEN|API_KEY|_KEY$/i;

/** Values of the secret-looking keys (`*PASSWORD*`, `*SECRET*`, `*TOKEN*`, `*_KEY`) of a dotenv file. */
export function exampleSecrets(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const name = line
      .slice(0, eq)
      .replace(/^export\s+/, '')
      .trim();
    let value = line.slice(eq + 1).trim();
    if ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'")))
      value = value.slice(1, -1);
    if (SECRET_NAME.test(name) && value !== '') out.push(value);
  }
  return out;
}

/** The password of a URL value (`redis://:pw@host`, `postgres://u:pw@host/db`), decoded; undefined if none. */
function urlPassword(value: string): string | undefined {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return undefined;
  try {
    const password = new URL(value).password;
    return password === '' ? undefined : decodeURIComponent(password);
  } catch {
    return undefined;
  }
}

/**
 * Names of the environment variables that hold an example secret (as the whole value, or as a URL's password).
 * Only the names: the values are never echoed.
 */
export function weakSecretVariables(
  env: Readonly<Record<string, string | undefined>>,
  examples: readonly string[],
): string[] {
  const weak = new Set(examples.filter((e) => e.length > 0));
  const out: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value === '') continue;
    const password = urlPassword(value);
    if ((SECRET_NAME.test(name) && weak.has(value)) || (password !== undefined && weak.has(password)))
      out.push(name);
  }
  return out.sort();
}

export interface ProductionCheckOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** dotenv files whose secret values are examples (default: `.env.example` here and in the package root). */
  readonly exampleFiles?: readonly string[];
}

/**
 * Throws a ConfigError naming the variables when NODE_ENV is `production` and a secret is still an example value.
 * Outside production it does nothing.
 */
export function assertProductionSecrets(options: ProductionCheckOptions = {}): void {
  const env = options.env ?? process.env;
  if (env.NODE_ENV !== 'production') return;
  const files = options.exampleFiles ?? [resolve('.env.example'), resolve(PACKAGE_ROOT, '.env.example')];
  const examples = [...RUNBOOK_EXAMPLE_SECRETS];
  for (const file of new Set(files))
    if (existsSync(file)) examples.push(...exampleSecrets(readFileSync(file, 'utf8')));
  const weak = weakSecretVariables(env, examples);
  if (weak.length > 0)
    throw new ConfigError(
      'environment',
      weak.join(', '),
      `NODE_ENV=production but ${weak.length === 1 ? 'it holds' : 'they hold'} an example password (from ` +
        '.env.example or the runbook): set real secrets before starting in production',
    );
}
