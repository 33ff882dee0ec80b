// IBKR settings: defaults, the environment on top, and errors that name the file and the key.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../common/errors.ts';
import { loadIbkrSettings, parseIbkrSettings } from './config.ts';

const dir = mkdtempSync(join(tmpdir(), 'ibkr-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function problem(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('no ConfigError');
}

describe('IBKR settings', () => {
  it('defaults to TWS paper trading on this machine with the published fixed plan and 45 messages/s', () => {
    const s = parseIbkrSettings({});
    expect([s.host, s.port, s.clientId, s.account, s.exchange]).toEqual([
      '127.0.0.1',
      7497,
      1,
      undefined,
      'SMART',
    ]);
    expect(s.fees.plan).toBe('fixed');
    expect(s.fees.fixed).toEqual({ perShare: 0.005, minimumPerOrder: 1, maximumPercentOfValue: 1 });
    expect(s.fees.tiered.tiers[1]).toEqual({ aboveMonthlyShares: 300_000, perShare: 0.002 });
    expect(s.pacing.messagesPerSecond).toBe(45);
  });

  it('takes IBKR_HOST, IBKR_PORT, IBKR_CLIENT_ID and IBKR_ACCOUNT over the file', () => {
    const s = parseIbkrSettings({ host: 'tws', port: 7496, clientId: 3 }, 'ibkr.yaml', {
      IBKR_HOST: 'gateway',
      IBKR_PORT: '4002',
      IBKR_CLIENT_ID: '11',
      IBKR_ACCOUNT: 'DU1234567',
    });
    expect([s.host, s.port, s.clientId, s.account]).toEqual(['gateway', 4002, 11, 'DU1234567']);
  });

  it('names the variable or key that is wrong', () => {
    expect(problem(() => parseIbkrSettings({}, 'ibkr.yaml', { IBKR_PORT: 'seven' }))).toMatchObject({
      file: 'environment',
      key: 'IBKR_PORT',
    });
    expect(
      problem(() => parseIbkrSettings({ pacing: { messagesPerSecond: 60 } }, 'ibkr.yaml')),
    ).toMatchObject({
      file: 'ibkr.yaml',
      key: 'pacing.messagesPerSecond',
    });
    expect(problem(() => parseIbkrSettings({ timeZone: 'Mars/Olympus' }, 'ibkr.yaml')).key).toBe('timeZone');
    expect(problem(() => parseIbkrSettings({ hots: 'x' }, 'ibkr.yaml')).problem).toContain('hots');
    expect(
      problem(() =>
        parseIbkrSettings({
          fees: {
            plan: 'tiered',
            tiered: {
              tiers: [
                { aboveMonthlyShares: 10, perShare: 1 },
                { aboveMonthlyShares: 5, perShare: 1 },
              ],
            },
          },
        }),
      ).key,
    ).toBe('fees.tiered.tiers');
  });

  it('reads the venue section of ibkr.yaml; a missing file or section means the defaults', () => {
    const file = join(dir, 'ibkr.yaml');
    writeFileSync(
      file,
      'IBKR:\n  port: 4002\n  clientId: 9\n  fees: { plan: tiered }\nOTHER:\n  port: 4001\n',
    );
    const s = loadIbkrSettings(file, 'IBKR', {});
    expect([s.port, s.clientId, s.fees.plan]).toEqual([4002, 9, 'tiered']);
    expect(loadIbkrSettings(file, 'ELSEWHERE', {}).port).toBe(7497);
    expect(loadIbkrSettings(join(dir, 'absent.yaml'), 'IBKR', {}).port).toBe(7497);
  });

  it('names the venue and key of a bad value in the file', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'IBKR:\n  port: 70000\n');
    expect(problem(() => loadIbkrSettings(file, 'IBKR', {}))).toMatchObject({ file, key: 'IBKR.port' });
  });
});
