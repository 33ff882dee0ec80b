// The greeks publisher configuration: defaults, and a ConfigError naming the key for each mistake.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../common/errors.ts';
import { parseGreeksConfig } from './config.ts';

const EXPIRY = 1_735_689_600_000_000;

function spec(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    instrumentId: 'AAPL-C150.OPT',
    underlyingId: 'AAPL.SIM-A',
    type: 'call',
    strike: 150,
    expiry: EXPIRY,
    volatility: 0.25,
    ...overrides,
  };
}

function problem(value: unknown): ConfigError {
  try {
    parseGreeksConfig(value, 'configs/greeks.yaml');
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parseGreeksConfig', () => {
  it('fills the defaults: european bsm, no rates, ticks only, one-minute quotes, ACT/365', () => {
    const config = parseGreeksConfig({ options: [spec()] });
    expect(config.books).toBe(false);
    expect(config.maxQuoteAgeMicros).toBe(60_000_000);
    expect(config.secondsPerYear).toBe(365 * 86_400);
    expect(config.options[0]).toEqual({
      ...spec(),
      style: 'european',
      model: 'bsm',
      rate: 0,
      dividendYield: 0,
    });
    expect(parseGreeksConfig(undefined).options).toEqual([]);
  });

  it('defaults an american option to baw and keeps an explicit model', () => {
    const config = parseGreeksConfig({
      options: [
        spec({ style: 'american' }),
        spec({ instrumentId: 'B.OPT', style: 'american', model: 'bjs' }),
        spec({ instrumentId: 'C.OPT', model: 'black76' }),
      ],
    });
    expect(config.options.map((o) => o.model)).toEqual(['baw', 'bjs', 'black76']);
  });

  it.each([
    [
      'a model of the other exercise style',
      { options: [spec({ style: 'american', model: 'bsm' })] },
      'options[0].model',
      /does not price american/,
    ],
    [
      'a european option on baw',
      { options: [spec({ model: 'baw' })] },
      'options[0].model',
      /use bsm or black76 or gk/,
    ],
    ['an unknown model', { options: [spec({ model: 'heston' })] }, 'options[0].model', /./],
    ['a negative strike', { options: [spec({ strike: -1 })] }, 'options[0].strike', /./],
    ['a zero volatility', { options: [spec({ volatility: 0 })] }, 'options[0].volatility', /./],
    ['a missing volatility', { options: [spec({ volatility: undefined })] }, 'options[0].volatility', /./],
    ['a fractional expiry', { options: [spec({ expiry: 1.5 })] }, 'options[0].expiry', /./],
    ['a put spelt wrong', { options: [spec({ type: 'Put' })] }, 'options[0].type', /./],
    [
      'an option on itself',
      { options: [spec({ underlyingId: 'AAPL-C150.OPT' })] },
      'options[0].underlyingId',
      /must differ/,
    ],
    [
      'a duplicate option',
      { options: [spec(), spec()] },
      'options[1].instrumentId',
      /already configured at options\[0\]/,
    ],
    ['an unknown key', { options: [spec({ sigma: 0.2 })] }, 'options[0]', /sigma/],
    ['a negative quote age', { maxQuoteAgeMicros: -1 }, 'maxQuoteAgeMicros', /./],
  ])('rejects %s, naming the file and the key', (_name, value, key, message) => {
    const error = problem(value);
    expect(error.file).toBe('configs/greeks.yaml');
    expect(error.key).toBe(key);
    expect(error.problem).toMatch(message);
  });
});
