// `hf risk var`: VaR and ES of a return series, or of a weighted portfolio of series, from a CSV file, as
// positive loss fractions, with the conventions they follow printed beside them (or as one JSON object).

import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { parseReturnsCsv, ReturnsFileError, type ReturnsSeries } from '../analytics/index.ts';
import {
  DEFAULT_MONTE_CARLO_PATHS,
  VAR_METHODS,
  VarInputError,
  portfolioVar,
  type PortfolioVarResult,
  type VarMethod,
} from '../risk/index.ts';
import type { CliIo } from './context.ts';

export interface RiskVarOptions {
  readonly returns?: string;
  readonly column: string;
  readonly weights?: string;
  readonly method: string;
  readonly confidence: string;
  readonly horizon: string;
  readonly paths: string;
  readonly seed: string;
  readonly json?: boolean;
}

/** What each figure means, printed with it: the standard deviation and the quantile rule above all. */
export const VAR_CONVENTIONS = {
  figures: 'VaR and ES are positive loss fractions of the capital (0.02 = a 2 % loss) over the horizon',
  standardDeviation: 'sample standard deviation, divisor n − 1 (covariances too)',
  quantile:
    'linear interpolation between order statistics at h = (n − 1)(1 − c), from 0 (Hyndman–Fan type 7: R quantile(), NumPy linear, Excel PERCENTILE.INC)',
  horizon: 'one-period figures × √horizon (square-root-of-time)',
  methods: {
    historical:
      'historical simulation: VaR = −quantile of the returns; ES = −mean of the returns at or below it',
    gaussian: 'Gaussian: VaR = −μ + σ·Φ⁻¹(c); ES = −μ + σ·φ(Φ⁻¹(c)) / (1 − c); μ the sample mean',
    modified:
      'Cornish–Fisher: z = Φ⁻¹(1 − c) adjusted for skewness S and excess kurtosis K (moment ratios, divisor n): z + (z²−1)S/6 + (z³−3z)K/24 − (2z³−5z)S²/36; VaR = −(μ + zσ); ES integrates that quantile over the tail',
    montecarlo:
      'Monte Carlo: normal returns with the sample mean and covariance, correlated through its Cholesky factor (singular: dependent series simulated as combinations), seeded; VaR and ES of the simulated portfolio returns as historical',
  },
  components:
    'per series, adding up to the portfolio: Euler (Gaussian), share of the tail loss (historical, Monte Carlo ES); none for Cornish–Fisher',
} as const;

/** A number option: `Number()` accepts '' and '0x1f', so the text is checked first. */
function parseNumber(text: string): number | undefined {
  return /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(text.trim()) ? Number(text) : undefined;
}

const percent = (value: number | null): string => (value === null ? 'n/a' : `${(value * 100).toFixed(2)} %`);

interface Parsed {
  readonly file: string;
  readonly firstColumn: number;
  readonly weights: readonly number[];
  readonly method: VarMethod;
  readonly confidence: number;
  readonly horizon: number;
  readonly paths: number;
  readonly seed: number;
}

function parseOptions(options: RiskVarOptions): Parsed | string {
  if (options.returns === undefined || options.returns === '') return '--returns <csv> is required';
  const column = parseNumber(options.column);
  if (column === undefined || !Number.isInteger(column) || column < 1)
    return `--column must be an integer ≥ 1, got "${options.column}"`;
  let weights: number[] = [1];
  if (options.weights !== undefined) {
    const fields = options.weights.split(',');
    weights = [];
    for (const field of fields) {
      const weight = parseNumber(field);
      if (weight === undefined)
        return `--weights must be numbers separated by commas (0.5,0.3,0.2), got "${field.trim()}" in "${options.weights}"`;
      weights.push(weight);
    }
  }
  if (!(VAR_METHODS as readonly string[]).includes(options.method))
    return `--method must be one of ${VAR_METHODS.join(', ')}, got "${options.method}"`;
  const confidence = parseNumber(options.confidence);
  if (confidence === undefined || !(confidence > 0 && confidence < 1))
    return `--confidence must be a fraction between 0 and 1 (0.95, 0.99), got "${options.confidence}"`;
  const horizon = parseNumber(options.horizon);
  if (horizon === undefined || !(horizon > 0))
    return `--horizon must be a positive number of periods, got "${options.horizon}"`;
  const paths = parseNumber(options.paths);
  if (paths === undefined || !Number.isInteger(paths) || paths < 100 || paths > 10_000_000)
    return `--paths must be an integer from 100 to 10,000,000, got "${options.paths}"`;
  const seed = parseNumber(options.seed);
  if (seed === undefined || !Number.isInteger(seed))
    return `--seed must be an integer, got "${options.seed}"`;
  return {
    file: options.returns,
    firstColumn: column,
    weights,
    method: options.method as VarMethod,
    confidence,
    horizon,
    paths,
    seed,
  };
}

function readColumns(file: string, first: number, count: number): ReturnsSeries[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ReturnsFileError(file, 0, `cannot read file: ${(error as Error).message}`);
  }
  const columns: ReturnsSeries[] = [];
  for (let i = 0; i < count; i++) columns.push(parseReturnsCsv(text, file, { column: first + i }));
  return columns;
}

const usesQuantile = (method: VarMethod): boolean => method === 'historical' || method === 'montecarlo';

function columnLabel(series: ReturnsSeries): string {
  return `column ${series.column}${series.columnName === null ? '' : ` "${series.columnName}"`}`;
}

function table(result: PortfolioVarResult, columns: readonly ReturnsSeries[], parsed: Parsed): string[] {
  const first = columns[0]!;
  const labels = first.labels;
  const span = labels === null ? '' : `, ${labels[0] ?? ''} to ${labels[labels.length - 1] ?? ''}`;
  const which =
    columns.length === 1
      ? columnLabel(first)
      : `columns ${first.column}–${first.column + columns.length - 1}`;
  const rows: [string, string][] = [
    ['returns', `${basename(first.file)} ${which} (${result.observations} periods${span})`],
  ];
  if (columns.length > 1 || parsed.weights[0] !== 1) rows.push(['weights', parsed.weights.join(', ')]);
  const simulated =
    result.method === 'montecarlo'
      ? ` (${(result.paths ?? 0).toLocaleString('en-US')} paths, seed ${parsed.seed}, covariance rank ${result.covarianceRank ?? 0} of ${columns.length})`
      : '';
  rows.push(
    ['method', `${result.method}${simulated}`],
    [
      'confidence',
      `${(result.confidence * 100).toFixed(2).replace(/\.?0+$/, '')} %, horizon ${result.horizon} period${result.horizon === 1 ? '' : 's'}`,
    ],
    ['VaR', `${percent(result.valueAtRisk)}  (loss)`],
    ['ES', `${percent(result.expectedShortfall)}  (mean loss beyond VaR)`],
    ['mean', `${percent(result.moments.mean)} per period`],
    ['standard deviation', `${percent(result.moments.standardDeviation)} per period (sample, n − 1)`],
    [
      'skewness / kurtosis',
      `${result.moments.skewness.toFixed(3)} / ${result.moments.excessKurtosis.toFixed(3)} excess (moment ratios)`,
    ],
  );
  if (columns.length > 1)
    columns.forEach((series, i) => {
      const component = result.components[i]!;
      rows.push([
        i === 0 ? 'components' : '',
        `${columnLabel(series)}: VaR ${percent(component.valueAtRisk)}, ES ${percent(component.expectedShortfall)}`,
      ]);
    });
  rows.push(['convention', VAR_CONVENTIONS.methods[result.method]]);
  if (usesQuantile(result.method)) rows.push(['', `quantile: ${VAR_CONVENTIONS.quantile}`]);
  rows.push(
    ['', `standard deviation: ${VAR_CONVENTIONS.standardDeviation}`],
    ['', `horizon: ${VAR_CONVENTIONS.horizon}`],
  );
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`);
}

/** Runs `hf risk var`; returns the exit code (0, or 2 on bad options, a bad file or too little history). */
export function riskVarCommand(io: CliIo, options: RiskVarOptions): number {
  const fail = (message: string): number => {
    io.err(`hf risk var: ${message}`);
    return 2;
  };
  const parsed = parseOptions(options);
  if (typeof parsed === 'string') return fail(parsed);
  try {
    const columns = readColumns(parsed.file, parsed.firstColumn, parsed.weights.length);
    const result = portfolioVar(
      columns.map((series) => series.values),
      parsed.weights,
      {
        method: parsed.method,
        confidence: parsed.confidence,
        horizon: parsed.horizon,
        paths: parsed.paths,
        seed: parsed.seed,
      },
    );
    if (options.json !== true) {
      for (const line of table(result, columns, parsed)) io.out(line);
      return 0;
    }
    const labels = columns[0]!.labels;
    io.out(
      JSON.stringify({
        file: parsed.file,
        columns: columns.map((series, i) => ({
          column: series.column,
          name: series.columnName,
          weight: parsed.weights[i],
          valueAtRisk: result.components[i]!.valueAtRisk,
          expectedShortfall: result.components[i]!.expectedShortfall,
        })),
        method: result.method,
        confidence: result.confidence,
        horizon: result.horizon,
        observations: result.observations,
        firstLabel: labels?.[0] ?? null,
        lastLabel: labels?.[labels.length - 1] ?? null,
        valueAtRisk: result.valueAtRisk,
        expectedShortfall: result.expectedShortfall,
        mean: result.moments.mean,
        standardDeviation: result.moments.standardDeviation,
        skewness: result.moments.skewness,
        excessKurtosis: result.moments.excessKurtosis,
        paths: result.paths,
        seed: result.method === 'montecarlo' ? parsed.seed : null,
        covarianceRank: result.covarianceRank,
        conventions: {
          figures: VAR_CONVENTIONS.figures,
          method: VAR_CONVENTIONS.methods[result.method],
          standardDeviation: VAR_CONVENTIONS.standardDeviation,
          quantile: usesQuantile(result.method) ? VAR_CONVENTIONS.quantile : null,
          horizon: VAR_CONVENTIONS.horizon,
          components: VAR_CONVENTIONS.components,
        },
      }),
    );
    return 0;
  } catch (error) {
    if (error instanceof ReturnsFileError || error instanceof VarInputError) return fail(error.message);
    throw error;
  }
}

export function registerRiskCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const risk = program.command('risk').description('risk figures: VaR and ES of return series');
  risk
    .command('var')
    .description(
      'VaR and ES of a return series, or of a weighted portfolio of series, as positive loss fractions: historical, gaussian, modified (Cornish–Fisher) or montecarlo',
    )
    .option(
      '--returns <csv>',
      'returns file (required): one period per row, returns as fractions (0.01 = 1 %), optional header row and leading date column',
    )
    .option(
      '--column <n>',
      'numeric column to read (the first of the weighted ones), 1-based, the date column not counted',
      '1',
    )
    .option(
      '--weights <w1,w2,...>',
      'portfolio weights of consecutive columns from --column (fractions of capital; shorts negative)',
    )
    .option('--method <name>', `how VaR and ES are computed: ${VAR_METHODS.join(', ')}`, 'historical')
    .option('--confidence <c>', 'confidence level, a fraction: 0.95, 0.99', '0.95')
    .option('--horizon <periods>', 'periods of the file the figures cover (× √horizon)', '1')
    .option('--paths <n>', 'montecarlo: simulated paths', String(DEFAULT_MONTE_CARLO_PATHS))
    .option('--seed <n>', 'montecarlo: seed of the generator', '1')
    .option('--json', 'print one JSON object')
    .action((options: RiskVarOptions) => setExit(riskVarCommand(io, options)));
}
