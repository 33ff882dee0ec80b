// Structured logging: one JSON object a line (level, time, component, msg and ids). Quiet by default in
// tests; `HF_LOG_LEVEL` sets the threshold.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(component: string): Logger;
}

export interface LogSink {
  write(line: string): void;
}

export function createLogger(
  component: string,
  level: LogLevel = (process.env.HF_LOG_LEVEL as LogLevel | undefined) ?? 'info',
  sink: LogSink = process.stderr,
): Logger {
  const threshold = RANK[level] ?? RANK.info;
  const emit = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (RANK[lvl] < threshold) return;
    const record: Record<string, unknown> = { level: lvl, time: new Date().toISOString(), component, msg };
    if (fields) for (const k in fields) record[k] = fields[k];
    sink.write(JSON.stringify(record, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) + '\n');
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (c) => createLogger(`${component}.${c}`, level, sink),
  };
}

export const silentLogger: Logger = createLogger('silent', 'silent');
