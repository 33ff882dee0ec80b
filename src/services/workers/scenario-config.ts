// Stress scenarios (configs/scenarios.yaml): the zod schema, and the loader that validates every scenario at start,
// reads the return series of historical episodes and checks every name against the registry, so a bad file stops
// the worker with the file, the key and the problem named.

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { formatPath, parseConfig, readYaml } from '../../common/config.ts';
import { ConfigError } from '../../common/errors.ts';
import type { Registry } from '../../common/registry.ts';
import { parseReturnsCsv, ReturnsFileError } from '../../analytics/returns-file.ts';
import type { AssetClass } from '../../model/index.ts';

const ASSET_CLASSES = ['equity', 'future', 'option', 'fx', 'crypto', 'index', 'bond'] as const;
const currencyCode = z.string().regex(/^[A-Z]{3,4}$/, 'an ISO currency code such as USD');
/** A fractional change: −0.2 is −20 %. Below −1 a price would turn negative. */
const change = z.number().gt(-1, 'a change is a fraction above −1 (−0.2 = −20 %)');

const PriceShockSchema = z
  .object({
    assetClass: z.enum(ASSET_CLASSES).optional(),
    sector: z.string().min(1).optional(),
    region: z.string().min(1).optional(),
    symbol: z.string().min(1).optional(),
    instrument: z.string().min(1).optional(),
    currency: currencyCode.optional(),
    /** Price change of every instrument matching all the selectors above (an option through its underlying). */
    change,
  })
  .strict();
export type PriceShock = z.infer<typeof PriceShockSchema>;

const HistoricalSchema = z
  .object({
    /** A CSV of period returns, one column per series (src/analytics/returns-file.ts), relative to this file. */
    file: z.string().min(1).optional(),
    /** Or the returns inline: series name → period returns (fractions). */
    returns: z.record(z.string().min(1), z.array(z.number().min(-1)).min(1)).optional(),
    /** Row labels (dates) of the first and last period of the episode in the file; default the whole file. */
    from: z.string().min(1).optional(),
    to: z.string().min(1).optional(),
    /** Series of an instrument, by symbol or instrument id; without one, the series named like the symbol. */
    series: z.record(z.string().min(1), z.string().min(1)).default({}),
    /** Series for equities and indices without their own, scaled by their beta. */
    proxy: z.string().min(1).optional(),
    /** Relative change of implied volatility through the episode (options, through vega). */
    volatility: change.optional(),
  })
  .strict()
  .refine((h) => (h.file === undefined) !== (h.returns === undefined), {
    message: 'give either file or returns',
  });

export const ScenarioSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-"'),
    description: z.string().default(''),
    /** Shorthand: the equity market moves by this much; equities and indices move by it × their beta. */
    equity: change.optional(),
    /** Price shocks, the first matching one per instrument applies (list specific before general). */
    price: z.array(PriceShockSchema).default([]),
    /** Relative change of implied volatility: 0.5 takes 30 % to 45 % (options, through vega). */
    volatility: change.optional(),
    /** Parallel move of interest rates in basis points: bonds through duration, options through rho. */
    ratesBps: z.number().optional(),
    /** Change of the value of one unit of a currency in the base currency (positions in that currency). */
    fx: z.record(currencyCode, change).default({}),
    /** A historical episode replayed from return data (not combined with the shocks above). */
    historical: HistoricalSchema.optional(),
  })
  .strict()
  .superRefine((s, context) => {
    const shocks =
      s.equity !== undefined ||
      s.price.length > 0 ||
      s.volatility !== undefined ||
      s.ratesBps !== undefined ||
      Object.keys(s.fx).length > 0;
    if (s.historical !== undefined && shocks)
      context.addIssue({
        code: 'custom',
        path: ['historical'],
        message: 'a historical episode is not combined with equity, price, volatility, ratesBps or fx',
      });
    if (s.historical === undefined && !shocks)
      context.addIssue({
        code: 'custom',
        path: [],
        message: 'no shock: give equity, price, volatility, ratesBps, fx or historical',
      });
  });
export type Scenario = z.infer<typeof ScenarioSchema>;

export const ScenariosFileSchema = z
  .object({
    /** How often the worker values the book and publishes on `scenarios`. */
    intervalSeconds: z.number().positive().default(60),
    /** Sensitivities by symbol or instrument id: equity beta (default 1), modified duration for rate moves. */
    instruments: z
      .record(
        z.string().min(1),
        z.object({ beta: z.number().default(1), duration: z.number().min(0).optional() }).strict(),
      )
      .default({}),
    scenarios: z.array(ScenarioSchema).min(1, 'at least one scenario'),
  })
  .strict()
  .superRefine((file, context) => {
    const seen = new Set<string>();
    file.scenarios.forEach((s, index) => {
      if (seen.has(s.name))
        context.addIssue({
          code: 'custom',
          path: ['scenarios', index, 'name'],
          message: `duplicate scenario name "${s.name}"`,
        });
      seen.add(s.name);
    });
  });
export type ScenariosFile = z.infer<typeof ScenariosFileSchema>;

/** A historical episode as the valuation uses it: cumulative return of each series after each period. */
export interface EpisodePath {
  readonly steps: number;
  /** Series name → cumulative return after period k (k = 0 … steps − 1). */
  readonly cumulative: ReadonlyMap<string, Float64Array>;
  readonly series: Readonly<Record<string, string>>;
  readonly proxy: string | undefined;
  readonly volatility: number;
}

export interface ResolvedScenario {
  readonly name: string;
  readonly description: string;
  /** `price` then the `equity` shorthand (scaled by beta). */
  readonly priceShocks: readonly { readonly shock: PriceShock; readonly scaledByBeta: boolean }[];
  readonly volatility: number;
  readonly ratesBps: number;
  readonly fx: Readonly<Record<string, number>>;
  readonly episode: EpisodePath | undefined;
}

export interface ScenarioSetup {
  readonly file: string;
  readonly intervalSeconds: number;
  readonly sensitivities: ScenariosFile['instruments'];
  readonly scenarios: readonly ResolvedScenario[];
}

const EQUITY_CLASSES: readonly AssetClass[] = ['equity', 'index'];

/** Reads, validates and resolves configs/scenarios.yaml; a ConfigError names the file and the key. */
export function loadScenarios(file: string, registry?: Registry): ScenarioSetup {
  return resolveScenarios(parseConfig(ScenariosFileSchema, readYaml(file), file), file, registry);
}

/** Resolves a parsed file: return series read (relative to `file`), names checked against the registry. */
export function resolveScenarios(config: ScenariosFile, file: string, registry?: Registry): ScenarioSetup {
  if (registry)
    for (const key of Object.keys(config.instruments))
      if (!knownInstrument(registry, key))
        throw new ConfigError(file, `instruments.${key}`, 'not an instrument id or symbol in the registry');
  const scenarios = config.scenarios.map((s, index): ResolvedScenario => {
    const key = (...path: (string | number)[]): string => formatPath(['scenarios', index, ...path]);
    if (registry)
      s.price.forEach((shock, p) => {
        if (shock.instrument !== undefined && !registry.instruments.has(shock.instrument as never))
          throw new ConfigError(
            file,
            key('price', p, 'instrument'),
            `unknown instrument "${shock.instrument}"`,
          );
        if (shock.symbol !== undefined && !registry.bySymbol.has(shock.symbol))
          throw new ConfigError(file, key('price', p, 'symbol'), `unknown symbol "${shock.symbol}"`);
      });
    const priceShocks: { shock: PriceShock; scaledByBeta: boolean }[] = s.price.map((shock) => ({
      shock,
      scaledByBeta: false,
    }));
    if (s.equity !== undefined)
      for (const assetClass of EQUITY_CLASSES)
        priceShocks.push({ shock: { assetClass, change: s.equity }, scaledByBeta: true });
    return {
      name: s.name,
      description: s.description,
      priceShocks,
      volatility: s.volatility ?? 0,
      ratesBps: s.ratesBps ?? 0,
      fx: s.fx,
      episode: s.historical ? resolveEpisode(s.historical, file, key) : undefined,
    };
  });
  return { file, intervalSeconds: config.intervalSeconds, sensitivities: config.instruments, scenarios };
}

function knownInstrument(registry: Registry, key: string): boolean {
  return registry.instruments.has(key as never) || registry.bySymbol.has(key);
}

function resolveEpisode(
  historical: NonNullable<Scenario['historical']>,
  file: string,
  key: (...path: (string | number)[]) => string,
): EpisodePath {
  let columns: Map<string, { values: Float64Array; labels: readonly string[] | null }>;
  if (historical.returns) {
    columns = new Map();
    for (const [name, values] of Object.entries(historical.returns))
      columns.set(name, { values: Float64Array.from(values), labels: null });
    const lengths = new Set([...columns.values()].map((c) => c.values.length));
    if (lengths.size > 1)
      throw new ConfigError(
        file,
        key('historical', 'returns'),
        'every series needs the same number of periods',
      );
    if (historical.from !== undefined || historical.to !== undefined)
      throw new ConfigError(
        file,
        key('historical', 'from'),
        'from / to select rows of a file, not inline returns',
      );
  } else {
    const path = resolve(dirname(file), historical.file as string);
    columns = readColumns(path, file, key('historical', 'file'));
  }
  const names = new Set([
    ...Object.values(historical.series),
    ...(historical.proxy ? [historical.proxy] : []),
  ]);
  for (const name of names)
    if (!columns.has(name))
      throw new ConfigError(
        file,
        key('historical', historical.proxy === name ? 'proxy' : 'series'),
        `no series "${name}" (the data has ${[...columns.keys()].join(', ')})`,
      );
  const first = columns.values().next().value as { values: Float64Array; labels: readonly string[] | null };
  let start = 0;
  let end = first.values.length - 1;
  const labels = first.labels;
  const indexOf = (label: string, which: 'from' | 'to'): number => {
    const at = labels?.indexOf(label) ?? -1;
    if (at < 0)
      throw new ConfigError(file, key('historical', which), `no row labelled "${label}" in the data`);
    return at;
  };
  if (historical.from !== undefined) start = indexOf(historical.from, 'from');
  if (historical.to !== undefined) end = indexOf(historical.to, 'to');
  if (end < start) throw new ConfigError(file, key('historical', 'to'), 'the episode ends before it starts');
  const cumulative = new Map<string, Float64Array>();
  for (const [name, column] of columns) {
    const path = new Float64Array(end - start + 1);
    let growth = 1;
    for (let i = start; i <= end; i++) {
      growth *= 1 + (column.values[i] as number);
      path[i - start] = growth - 1;
    }
    cumulative.set(name, path);
  }
  return {
    steps: end - start + 1,
    cumulative,
    series: historical.series,
    proxy: historical.proxy,
    volatility: historical.volatility ?? 0,
  };
}

/** Every numeric column of a returns CSV, by header name (or `1`, `2`, … without a header). */
function readColumns(
  path: string,
  file: string,
  key: string,
): Map<string, { values: Float64Array; labels: readonly string[] | null }> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(file, key, `cannot read ${path}: ${(error as Error).message}`);
  }
  const out = new Map<string, { values: Float64Array; labels: readonly string[] | null }>();
  try {
    for (let column = 1; ; column++) {
      let series;
      try {
        series = parseReturnsCsv(text, path, { column });
      } catch (error) {
        // Past the last column: the parser names the column count; any other problem is the file's.
        if (column > 1 && error instanceof ReturnsFileError && /requested but/.test(error.problem)) break;
        throw error;
      }
      out.set(series.columnName ?? String(column), { values: series.values, labels: series.labels });
    }
  } catch (error) {
    if (error instanceof ReturnsFileError) throw new ConfigError(file, key, error.message);
    throw error;
  }
  return out;
}
