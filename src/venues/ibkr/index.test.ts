// createIbkrVenue: the factory the kernel calls, from a registry entry and ibkr.yaml or given settings.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LiveClock } from '../../common/clock.ts';
import { ConfigError } from '../../common/errors.ts';
import { silentLogger } from '../../common/logging.ts';
import { parseRegistry } from '../../common/registry.ts';
import { venueId } from '../../model/index.ts';
import { FakeTws } from '../../../tests/support/fake-tws.ts';
import { createIbkrVenue } from './index.ts';
import { ibkrRegistry } from './fixtures.test-support.ts';

const dir = mkdtempSync(join(tmpdir(), 'ibkr-index-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const registry = ibkrRegistry();
const config = registry.venues.get(venueId('IBKR'))!;
const base = { venue: venueId('IBKR'), config, clock: new LiveClock(), logger: silentLogger };

describe('createIbkrVenue', () => {
  it('reads the venue section of ibkr.yaml in the config folder, the environment on top', () => {
    writeFileSync(join(dir, 'ibkr.yaml'), 'IBKR:\n  port: 4002\n  clientId: 12\n');
    const adapter = createIbkrVenue({
      ...base,
      instruments: [...registry.instruments.values()],
      configDir: dir,
      environment: { IBKR_CLIENT_ID: '13' },
    });
    expect([adapter.venue, adapter.state, adapter.settings.port, adapter.settings.clientId]).toEqual([
      'IBKR',
      'disconnected',
      4002,
      13,
    ]);
  });

  it('refuses a registry entry of another adapter and bad settings, naming them', () => {
    const paper = parseRegistry({
      venues: { P: { adapter: 'paper' } },
      instruments: [
        {
          symbol: 'X',
          venues: ['P'],
          assetClass: 'equity',
          currency: 'USD',
          tickSize: 0.01,
          lotSize: 1,
          region: 'US',
          sector: 's',
        },
      ],
    }).venues.get(venueId('P'))!;
    expect(() => createIbkrVenue({ ...base, config: paper, instruments: [] })).toThrow(ConfigError);
    expect(() =>
      createIbkrVenue({ ...base, instruments: [], settings: { port: 0 }, environment: {} }),
    ).toThrow(/port/);
  });

  it('builds an adapter that trades the registry instruments of its venue', async () => {
    const tws = await FakeTws.start();
    const adapter = createIbkrVenue({
      ...base,
      instruments: [...registry.instruments.values()],
      settings: { port: tws.port, clientId: 3 },
      environment: {},
    });
    try {
      await adapter.connect();
      expect(adapter.state).toBe('connected');
    } finally {
      await adapter.disconnect();
      await tws.close();
    }
  });
});
