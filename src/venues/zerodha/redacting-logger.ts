// A Logger that scrubs credentials out of every message and string field before the real logger sees them:
// the venue's last line of defence so that no log line carries a Kite secret, whatever a caller passes.

import type { Logger } from '../../common/logging.ts';
import type { Redactor } from './secrets.ts';

function scrub(
  redactor: Redactor,
  fields: Record<string, unknown> | undefined,
): Record<string, unknown> | undefined {
  if (!fields) return undefined;
  const out: Record<string, unknown> = {};
  for (const key in fields) {
    const value = fields[key];
    if (typeof value === 'string') out[key] = redactor.redact(value);
    else if (value instanceof Error) out[key] = redactor.redact(`${value.name}: ${value.message}`);
    else if (typeof value === 'object' && value !== null) out[key] = redactor.redact(safeJson(value));
    else out[key] = value;
  }
  return out;
}

function safeJson(value: object): string {
  try {
    return JSON.stringify(value) ?? '[unserializable]';
  } catch {
    return '[unserializable]';
  }
}

export function redactingLogger(inner: Logger, redactor: Redactor): Logger {
  return {
    debug: (msg, fields) => inner.debug(redactor.redact(msg), scrub(redactor, fields)),
    info: (msg, fields) => inner.info(redactor.redact(msg), scrub(redactor, fields)),
    warn: (msg, fields) => inner.warn(redactor.redact(msg), scrub(redactor, fields)),
    error: (msg, fields) => inner.error(redactor.redact(msg), scrub(redactor, fields)),
    child: (component) => redactingLogger(inner.child(component), redactor),
  };
}
