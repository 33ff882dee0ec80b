// risk.yaml / policy.yaml: defaults, the shipped files, and errors that name the file and the key.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryBus } from '../bus/memory.ts';
import { SimulatedClock } from '../common/clock.ts';
import { readYaml } from '../common/config.ts';
import { ConfigError } from '../common/errors.ts';
import { loadRegistry } from '../common/registry.ts';
import { Streams } from '../common/topics.ts';
import { clientOrderId, strategyId } from '../model/index.ts';
import {
  DEFAULT_INSTRUMENT_LIMITS,
  DEFAULT_STRATEGY_LIMITS,
  loadPolicyConfig,
  loadRiskConfig,
  parsePolicyConfig,
  parseRiskConfig,
} from './config.ts';
import { RiskEngine } from './engine.ts';

const dir = mkdtempSync(join(tmpdir(), 'risk-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** The ConfigError `load` throws (fails the test if it does not throw one). */
function configError(load: () => unknown): ConfigError {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('risk config', () => {
  it('fills every default from an empty file', () => {
    const config = loadRiskConfig(write('empty-risk.yaml', ''));
    expect(config).toEqual({
      baseCurrency: 'USD',
      fxRates: {},
      tradingState: 'ACTIVE',
      cash: {},
      leverage: 1,
      instrumentDefaults: DEFAULT_INSTRUMENT_LIMITS,
      instruments: {},
      strategyDefaults: DEFAULT_STRATEGY_LIMITS,
      strategies: {},
      // VaR computed for the snapshot, no band; no drawdown band.
      var: {
        method: 'gaussian',
        confidence: 0.99,
        horizonDays: 1,
        dayLength: '24h',
        sampleEvery: '1m',
        windowReturns: 250,
        minReturns: 30,
        monteCarlo: { paths: 2000, seed: 1, resimulateEvery: 1 },
        limits: { portfolio: {}, strategies: {} },
      },
      drawdown: { dayStart: '00:00', rearmFraction: 0.9, bands: [] },
    });
  });

  it('keeps overrides partial and defaults the rest of a defaults block', () => {
    const config = parseRiskConfig({
      instrumentDefaults: { collarBps: 100 },
      strategies: { 'market-maker': { burst: 10 } },
    });
    expect(config.instrumentDefaults).toEqual({ ...DEFAULT_INSTRUMENT_LIMITS, collarBps: 100 });
    expect(config.strategies['market-maker']).toEqual({ burst: 10 });
  });

  it('names the file and the key of an unknown key', () => {
    const file = write('unknown-key.yaml', 'instrumentDefaults:\n  maxOrderQty: 10\n');
    const error = configError(() => loadRiskConfig(file));
    expect(error.file).toBe(file);
    expect(error.key).toBe('instrumentDefaults');
    expect(error.message).toContain('maxOrderQty');
    const top = configError(() => loadRiskConfig(write('unknown-top.yaml', 'maxNotional: 5\n')));
    expect(top.message).toContain('maxNotional');
  });

  it('names the file and the key of a bad value', () => {
    const cases: [string, string][] = [
      ['strategies:\n  sma-cross: { burst: 0 }\n', 'strategies.sma-cross.burst'],
      ['strategies:\n  sma-cross: { burst: 1.5 }\n', 'strategies.sma-cross.burst'],
      ['instruments:\n  AAPL: { maxNotional: -1 }\n', 'instruments.AAPL.maxNotional'],
      ['tradingState: PAUSED\n', 'tradingState'],
      ['baseCurrency: usd\n', 'baseCurrency'],
      ['cash: { USD: -5 }\n', 'cash.USD'],
      ['leverage: 0\n', 'leverage'],
      ['fxRates: { USD: 2 }\n', 'fxRates.USD'],
      ['fxRates: { EUR: .inf }\n', 'fxRates.EUR'],
      ['var: { method: delta }\n', 'var.method'],
      ['var: { confidence: 99 }\n', 'var.confidence'],
      ['var: { sampleEvery: 1 minute }\n', 'var.sampleEvery'],
      ['var: { windowReturns: 20, minReturns: 30 }\n', 'var.minReturns'],
      ['var: { limits: { portfolio: { var: 0 } } }\n', 'var.limits.portfolio.var'],
      ['var: { limits: { strategies: { sma-cross: { vaR: 5 } } } }\n', 'var.limits.strategies.sma-cross'],
      ['drawdown: { dayStart: "24:00" }\n', 'drawdown.dayStart'],
      [
        'drawdown: { bands: [{ scope: portfolio, measure: peak, limit: 5, action: STOP }] }\n',
        'drawdown.bands[0].action',
      ],
      [
        'drawdown: { bands: [{ scope: portfolio, strategy: x, measure: peak, limit: 5, action: HALTED }] }\n',
        'drawdown.bands[0].strategy',
      ],
    ];
    for (const [text, key] of cases) {
      const file = write('bad-value.yaml', text);
      const error = configError(() => loadRiskConfig(file));
      expect(error.file).toBe(file);
      expect(error.key).toBe(key);
      expect(error.message.startsWith(`${file}: ${key}: `)).toBe(true);
    }
  });

  it('names the line of a YAML syntax error', () => {
    const error = configError(() => loadRiskConfig(write('syntax.yaml', 'cash:\n  USD: [1, 2\n')));
    expect(error.key).toMatch(/^line \d+, column \d+$/);
  });
});

describe('policy config', () => {
  it('fills every default from an empty file', () => {
    expect(loadPolicyConfig(write('empty-policy.yaml', ''))).toEqual({
      restrictedInstruments: [],
      blockedRegions: [],
      sectorDefaults: {},
      sectors: {},
      regionDefaults: {},
      regions: {},
    });
  });

  it('names the file and the key of a bad entry', () => {
    const cases: [string, string][] = [
      ['restrictedSymbols: [AAPL]\n', ''],
      ['sectors:\n  technology: { maxGrossExposure: 0 }\n', 'sectors.technology.maxGrossExposure'],
      ['regions:\n  US: { maxNet: 5 }\n', 'regions.US'],
      ['blockedRegions: [""]\n', 'blockedRegions[0]'],
    ];
    for (const [text, key] of cases) {
      const file = write('bad-policy.yaml', text);
      const error = configError(() => loadPolicyConfig(file));
      expect(error.file).toBe(file);
      expect(error.key).toBe(key);
    }
    expect(parsePolicyConfig({ sectorDefaults: { maxNetExposure: 5 } }).sectorDefaults).toEqual({
      maxNetExposure: 5,
    });
  });
});

describe('the shipped configs/risk.yaml and configs/policy.yaml', () => {
  it('load, fit configs/registry.yaml, and give every shipped strategy its own limits', () => {
    const risk = loadRiskConfig('configs/risk.yaml');
    const policy = loadPolicyConfig('configs/policy.yaml');
    // Every strategy the shipped strategies.yaml starts has its own limits.
    const shipped = readYaml('configs/strategies.yaml') as { strategies: { id: string }[] };
    const ids = shipped.strategies.map((s) => s.id);
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) expect(risk.strategies[id]).toBeDefined();
    const registry = loadRegistry('configs/registry.yaml');
    const bus = new MemoryBus();
    const engine = new RiskEngine({ bus, clock: new SimulatedClock(), registry, risk, policy });
    engine.start();
    expect(engine.state()).toBe(risk.tradingState);
    // The largest order the built-in strategies send (500 shares at about $100) passes on every instrument.
    for (const instrument of registry.instruments.values()) {
      bus.publish(Streams.ticks, {
        type: 'trade',
        instrumentId: instrument.id,
        price: 100,
        size: 1,
        aggressor: 'unknown',
        tsEvent: 0,
        tsInit: 0,
      });
      for (const id of ids)
        for (const side of ['buy', 'sell'] as const) {
          const order = {
            clientOrderId: clientOrderId(`${id}-${instrument.id}-${side}`),
            strategyId: strategyId(id),
            instrumentId: instrument.id,
            side,
            type: 'limit' as const,
            quantity: 500,
            price: 100,
            timeInForce: 'GTC' as const,
            reduceOnly: false,
            tsInit: 0,
          };
          expect(engine.check({ type: 'submit_order', order, tsInit: 0 })).toBeUndefined();
        }
    }
  });
});
