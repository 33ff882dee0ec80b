// A config folder for the crash and outage tests: the repository's configs with one strategy that sends a small
// market order every few quotes, alternating sides (a steady order stream), and risk limits wide enough for it.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers.ts';

const FLOOD = `import { Strategy } from ${JSON.stringify(join(ROOT, 'src/index.ts'))};
import type { Tick } from ${JSON.stringify(join(ROOT, 'src/index.ts'))};
export default class Flood extends Strategy<{ every: number }> {
  private n = 0;
  override onTick(tick: Tick): void {
    if (tick.type !== 'quote') return;
    if (++this.n % this.params.every !== 0) return;
    this.submit({ instrumentId: tick.instrumentId, side: this.n % (2 * this.params.every) === 0 ? 'buy' : 'sell', quantity: 1 });
  }
}
`;

/** A copy of configs/ running only the flood strategy on `instruments`, an order every `every` quotes. */
export function floodConfig(instruments: readonly string[], every: number): string {
  const config = mkdtempSync(join(tmpdir(), 'hf-flood-config-'));
  cpSync(join(ROOT, 'configs'), config, { recursive: true });
  writeFileSync(join(config, 'flood.ts'), FLOOD);
  writeFileSync(join(config, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(
    join(config, 'strategies.yaml'),
    `strategies:\n  - { id: flood, strategy: ./flood.ts, instruments: [${instruments.join(', ')}], params: { every: ${every} } }\n`,
  );
  const risk = readFileSync(join(config, 'risk.yaml'), 'utf8');
  writeFileSync(
    join(config, 'risk.yaml'),
    risk.replace(
      /^strategies:\n/m,
      'strategies:\n  flood: { maxGrossExposure: 100000000, maxNetExposure: 100000000, messagesPerSecond: 2000, burst: 4000 }\n',
    ),
  );
  return config;
}
