// configs/ copied to a temp folder for a bench: the bench strategy's message throttle lifted in risk.yaml.
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';

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
