// Zerodha options: defaults, credentials refused in YAML, errors naming file and key, and where credentials
// are read from (environment first, then the secrets file).

import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../common/errors.ts';
import {
  loadZerodhaConfig,
  loadZerodhaConfigFrom,
  parseZerodhaConfig,
  resolveCredentials,
} from './config.ts';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'hf-zerodha-config-'));
}

describe('zerodha options', () => {
  it('defaults: Kite production roots, NSE, CNC, regular orders, Kite’s published rate limits', () => {
    const c = parseZerodhaConfig({});
    expect(c).toMatchObject({
      restRoot: 'https://api.kite.trade',
      tickerRoot: 'wss://ws.kite.trade/',
      exchange: 'NSE',
      derivativesExchange: 'NFO',
      product: 'CNC',
      derivativesProduct: 'NRML',
      variety: 'regular',
      goodTillCanceled: 'day',
      pollIntervalMs: 1000,
      positions: 'net',
      rateLimit: { ordersPerSecond: 10, ordersPerMinute: 200, requestsPerSecond: 10 },
      credentials: {
        apiKeyVariable: 'KITE_API_KEY',
        apiSecretVariable: 'KITE_API_SECRET',
        accessTokenVariable: 'KITE_ACCESS_TOKEN',
      },
      ticker: { enabled: true, mode: 'full', reconnectMaxAttempts: 50 },
    });
    expect(c.charges.gstPercent).toBe(18);
  });

  it('refuses credentials written into the YAML, naming the key and where they belong', () => {
    for (const [value, key] of [
      [{ apiSecret: 'abc' }, 'apiSecret'],
      [{ api_key: 'abc' }, 'api_key'],
      [{ credentials: { access_token: 'abc' } }, 'credentials.access_token'],
    ] as const) {
      let error: unknown;
      try {
        parseZerodhaConfig(value, 'configs/zerodha.yaml');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).file).toBe('configs/zerodha.yaml');
      expect((error as ConfigError).key).toBe(key);
      expect((error as ConfigError).message).toMatch(/environment .*secrets file/);
      expect((error as ConfigError).message).not.toContain('abc');
    }
  });

  it('a bad value names the file and the key', () => {
    const dir = tempDir();
    const file = join(dir, 'zerodha.yaml');
    writeFileSync(file, 'variety: bracket\n');
    expect(() => loadZerodhaConfig(file)).toThrow(`${file}: variety:`);
    writeFileSync(file, 'rateLimit:\n  ordersPerSecond: 0\n');
    expect(() => loadZerodhaConfig(file)).toThrow(`${file}: rateLimit.ordersPerSecond:`);
    writeFileSync(file, 'unknownKey: 1\n');
    expect(() => loadZerodhaConfig(file)).toThrow(ConfigError);
  });

  it('reads <configDir>/zerodha.yaml when present, else the defaults', () => {
    const dir = tempDir();
    expect(loadZerodhaConfigFrom(dir).product).toBe('CNC');
    writeFileSync(join(dir, 'zerodha.yaml'), 'product: MIS\ninstruments:\n  INFY: { token: 408065 }\n');
    const c = loadZerodhaConfigFrom(dir);
    expect(c.product).toBe('MIS');
    expect(c.instruments.INFY?.token).toBe(408065);
  });
});

describe('credentials', () => {
  it('come from the environment first, then the secrets file; the sources name variables, never values', () => {
    const dir = tempDir();
    const file = join(dir, 'kite.env');
    writeFileSync(
      file,
      '# Kite\nKITE_API_KEY=filekey123456\nKITE_API_SECRET="filesecret123456"\n\nKITE_ACCESS_TOKEN=filetoken123456\n',
      {
        mode: 0o600,
      },
    );
    const config = parseZerodhaConfig({ credentials: { secretsFile: file } });
    const c = resolveCredentials(config, { KITE_API_KEY: 'envkey1234567' });
    expect(c.apiKey?.reveal()).toBe('envkey1234567');
    expect(c.apiSecret?.reveal()).toBe('filesecret123456');
    expect(c.accessToken?.reveal()).toBe('filetoken123456');
    expect(c.sources.apiKey).toBe('environment variable KITE_API_KEY');
    expect(c.sources.accessToken).toBe(`KITE_ACCESS_TOKEN in secrets file ${file}`);
    expect(c.warning).toBeUndefined();
    expect(JSON.stringify(c)).not.toMatch(/envkey1234567|filesecret123456|filetoken123456/);
  });

  it('says what is missing, and warns about a secrets file others can read', () => {
    const dir = tempDir();
    const file = join(dir, 'kite.env');
    writeFileSync(file, 'KITE_API_KEY=k1234567890123\n');
    chmodSync(file, 0o644);
    const c = resolveCredentials(parseZerodhaConfig({ credentials: { secretsFile: file } }), {});
    expect(c.accessToken).toBeUndefined();
    expect(c.sources.accessToken).toBe('KITE_ACCESS_TOKEN (environment or secrets file): not set');
    expect(c.warning).toMatch(/chmod 600/);
    writeFileSync(file, 'not a key value line\n');
    expect(() => resolveCredentials(parseZerodhaConfig({ credentials: { secretsFile: file } }), {})).toThrow(
      /line 1 is not KEY=value/,
    );
  });
});
