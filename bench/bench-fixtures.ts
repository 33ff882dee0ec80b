// What several benches share: configs/ with the bench strategy's throttle lifted, and the quotes they feed.
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import type { InstrumentId, QuoteTick } from '../src/model/index.ts';

const CONFIG_DIR = resolve(import.meta.dirname, '..', 'configs');

/** The folder (the caller removes it): registry, policy and strategies as they are, risk with the throttle lifted. */
export function configsWithoutThrottle(prefix: string, strategyId: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  for (const file of ['registry.yaml', 'policy.yaml', 'strategies.yaml'])
    copyFileSync(join(CONFIG_DIR, file), join(dir, file));
  const risk = parse(readFileSync(join(CONFIG_DIR, 'risk.yaml'), 'utf8')) as Record<string, unknown>;
  risk.strategies = {
    ...(risk.strategies as Record<string, unknown> | undefined),
    [strategyId]: { messagesPerSecond: 1_000_000_000, burst: 1_000_000_000 },
  };
  writeFileSync(join(dir, 'risk.yaml'), stringify(risk));
  return dir;
}

/** The i-th quote of a deterministic walk of a few cents around $100 (1 cent wide), stamped `ts`. */
export function walkQuote(instrumentId: InstrumentId, i: number, ts: number): QuoteTick {
  const mid = 10_000 + ((i * 7919) % 11);
  return {
    type: 'quote',
    instrumentId,
    bid: (mid - 1) / 100,
    ask: (mid + 1) / 100,
    bidSize: 10_000,
    askSize: 10_000,
    tsEvent: ts,
    tsInit: ts,
  };
}
