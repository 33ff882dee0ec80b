// The WebSocket gateway's config schema: defaults, and errors that name the key.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../common/config.ts';
import { ConfigError } from '../common/errors.ts';
import { WsGatewayConfigSchema } from './ws-gateway-config.ts';

describe('WsGatewayConfigSchema', () => {
  it('fills in the defaults: port 8765, 1m candles, limits', () => {
    const config = parseConfig(WsGatewayConfigSchema, {}, 'ws.yaml');
    expect(config.port).toBe(8765);
    expect(config.timeframes).toEqual(['1m']);
    expect(config.maxClients).toBeGreaterThan(0);
    expect(config.instanceId.length).toBeGreaterThan(0);
  });

  it('names the key of a malformed timeframe', () => {
    expect(() => parseConfig(WsGatewayConfigSchema, { timeframes: ['1m', 'hourly'] }, 'ws.yaml')).toThrow(
      new ConfigError('ws.yaml', 'timeframes[1]', 'a timeframe such as 1s, 5m, 1h, 1d'),
    );
  });

  it('rejects an unknown key and an out-of-range port', () => {
    expect(() => parseConfig(WsGatewayConfigSchema, { maxClient: 3 }, 'ws.yaml')).toThrow(/maxClient/);
    expect(() => parseConfig(WsGatewayConfigSchema, { port: 70_000 }, 'ws.yaml')).toThrow(/^ws.yaml: port: /);
  });
});
