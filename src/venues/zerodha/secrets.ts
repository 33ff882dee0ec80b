// Kite credentials as values that never print: a Secret masks itself in strings, JSON and inspection, a
// Redactor scrubs known secret values (and anything shaped like a Kite token) out of text before it is logged
// or put in an error, and the secrets file (KEY=value lines) is read and updated here.

import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { inspect } from 'node:util';

/** A credential. `reveal()` is the only way to the value; every printable form is masked. */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  get masked(): string {
    return maskValue(this.#value);
  }

  toString(): string {
    return this.masked;
  }

  toJSON(): string {
    return this.masked;
  }

  [inspect.custom](): string {
    return `Secret(${this.masked})`;
  }
}

/** Long values keep two characters at each end so an operator can tell keys apart; short ones show nothing. */
export function maskValue(value: string): string {
  if (value.length < 12) return '****';
  return `${value.slice(0, 2)}****${value.slice(-2)}`;
}

// Shapes that carry a credential whatever its value: the Authorization header, ticker URL and form fields.
const SHAPES: readonly RegExp[] = [
  /(token\s+[^\s:"']+:)[^\s"',}]+/gi,
  /((?:access_token|api_secret|request_token|refresh_token|checksum)=)[^&\s"',}]+/gi,
  /("(?:access_token|api_secret|request_token|refresh_token|checksum)"\s*:\s*")[^"]*/gi,
];

/** Replaces every known secret value and every credential-shaped substring with a mask. */
export class Redactor {
  private readonly values: string[] = [];

  /** Registers a value to scrub (values shorter than 4 characters are ignored: they would mask ordinary text). */
  add(secret: Secret | string | undefined): void {
    if (secret === undefined) return;
    const value = typeof secret === 'string' ? secret : secret.reveal();
    if (value.length < 4 || this.values.includes(value)) return;
    this.values.push(value);
    // Longest first, so a value containing another is masked whole.
    this.values.sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    let out = text;
    for (const value of this.values) if (out.includes(value)) out = out.split(value).join(maskValue(value));
    for (const shape of SHAPES) out = out.replace(shape, '$1****');
    return out;
  }

  /** `text` redacted and cut to `limit` characters, for log excerpts. */
  excerpt(text: string, limit = 200): string {
    const redacted = this.redact(text);
    return redacted.length > limit ? `${redacted.slice(0, limit)}…` : redacted;
  }
}

/** Reads `KEY=value` lines (blank lines and `#` comments skipped; surrounding quotes removed). */
export function readSecretsFile(file: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(
      `secrets file ${file}: cannot read it: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
  const out: Record<string, string> = {};
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`secrets file ${file}: line ${index + 1} is not KEY=value`);
    const key = line.slice(0, eq).trim();
    let value = line.slice(eq + 1).trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.at(-1) === value[0])
      value = value.slice(1, -1);
    out[key] = value;
  }
  return out;
}

/** True when the file can be read by its group or by others (it should be mode 600). */
export function isSecretsFileShared(file: string): boolean {
  try {
    return (statSync(file).mode & 0o077) !== 0;
  } catch {
    return false;
  }
}

/**
 * Sets `key=value` in the secrets file (replacing an existing line, else appending), creating the file if
 * needed, and leaves it readable by its owner only.
 */
export function writeSecretsValue(file: string, key: string, value: string): void {
  let lines: string[] = [];
  try {
    lines = readFileSync(file, 'utf8').split(/\r?\n/);
  } catch {
    lines = [];
  }
  while (lines.length > 0 && lines.at(-1) === '') lines.pop();
  let replaced = false;
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq > 0 && line.slice(0, eq).trim() === key) {
      lines[i] = `${key}=${value}`;
      replaced = true;
    }
  }
  if (!replaced) lines.push(`${key}=${value}`);
  writeFileSync(file, lines.join('\n') + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
}
