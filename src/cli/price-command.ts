// `hf price`: price one European or American option and print its greeks (vega and rho per 1.00, theta per
// year and per calendar day), as a table or as one JSON object. Bad input: a message naming the flag, exit 2.

import type { Command } from 'commander';
import {
  PRICING_MODELS,
  PricingInputError,
  defaultModelFor,
  optionGreeks,
  styleOfModel,
  thetaPerDay,
  type ExerciseStyle,
  type OptionType,
  type PricingModel,
} from '../pricing/index.ts';
import type { CliIo } from './context.ts';

interface PriceOptions {
  type?: string;
  style?: string;
  spot?: string;
  strike?: string;
  rate: string;
  div: string;
  vol?: string;
  t?: string;
  model?: string;
  json?: boolean;
}

const MODEL_NAMES: Readonly<Record<PricingModel, string>> = {
  bsm: 'Black–Scholes–Merton',
  black76: 'Black-76',
  gk: 'Garman–Kohlhagen',
  baw: 'Barone-Adesi–Whaley',
  bjs: 'Bjerksund–Stensland 2002',
};

/** Thrown inside the command for input it cannot use; becomes a message on err and exit code 2. */
class UsageError extends Error {}

function number(flag: string, text: string | undefined, positive: boolean): number {
  if (text === undefined) throw new UsageError(`missing --${flag}`);
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value))
    throw new UsageError(`--${flag} must be a finite number, got "${text}"`);
  if (positive && !(value > 0)) throw new UsageError(`--${flag} must be above 0, got ${text}`);
  return value;
}

function choose<T extends string>(flag: string, text: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(text))
    throw new UsageError(`--${flag} must be ${allowed.join(', ')}; got "${text}"`);
  return text as T;
}

function resolveModel(options: PriceOptions): { model: PricingModel; style: ExerciseStyle } {
  const style =
    options.style === undefined
      ? undefined
      : choose<ExerciseStyle>('style', options.style, ['european', 'american']);
  if (options.model === undefined) {
    const chosen = style ?? 'european';
    return { model: defaultModelFor(chosen), style: chosen };
  }
  const model = choose('model', options.model, PRICING_MODELS);
  const modelStyle = styleOfModel(model);
  if (style !== undefined && style !== modelStyle)
    throw new UsageError(`--model ${model} prices ${modelStyle} options, not ${style} ones`);
  return { model, style: modelStyle };
}

/** Fixed decimals for ordinary magnitudes, significant digits for tiny ones. */
function formatValue(value: number): string {
  if (value === 0 || Math.abs(value) >= 1e-3) return value.toFixed(6);
  return value.toPrecision(6);
}

/** Runs `hf price` with parsed options; returns the exit code. */
export function priceCommand(io: CliIo, options: PriceOptions): number {
  let model: PricingModel;
  let style: ExerciseStyle;
  let type: OptionType;
  let spot: number;
  let strike: number;
  let rate: number;
  let dividendYield: number;
  let volatility: number;
  let time: number;
  try {
    if (options.type === undefined) throw new UsageError('missing --type (call or put)');
    type = choose<OptionType>('type', options.type, ['call', 'put']);
    ({ model, style } = resolveModel(options));
    spot = number('spot', options.spot, true);
    strike = number('strike', options.strike, true);
    rate = number('rate', options.rate, false);
    dividendYield = number('div', options.div, false);
    volatility = number('vol', options.vol, true);
    time = number('t', options.t, true);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`hf price: ${error.message}`);
    return 2;
  }
  let greeks;
  try {
    greeks = optionGreeks(model, { type, spot, strike, time, rate, dividendYield, volatility });
  } catch (error) {
    if (!(error instanceof PricingInputError)) throw error;
    io.err(`hf price: ${error.message}`);
    return 2;
  }
  if (!Number.isFinite(greeks.price)) {
    io.err(`hf price: the ${model} model gives no finite price for these inputs`);
    return 2;
  }
  const dayTheta = thetaPerDay(greeks.theta);
  if (options.json === true) {
    io.out(
      JSON.stringify({
        model,
        style,
        type,
        spot,
        strike,
        time,
        rate,
        dividendYield,
        volatility,
        price: greeks.price,
        delta: greeks.delta,
        gamma: greeks.gamma,
        vega: greeks.vega,
        theta: greeks.theta,
        thetaPerDay: dayTheta,
        rho: greeks.rho,
        dividendRho: greeks.dividendRho,
      }),
    );
    return 0;
  }
  const spotLabel = model === 'black76' ? 'forward' : 'spot';
  const yieldLabel = model === 'gk' ? 'foreign rate' : 'dividend yield';
  const inputs = [
    `${spotLabel} ${spot}`,
    `strike ${strike}`,
    `time ${time} y`,
    `rate ${rate}`,
    ...(model === 'black76' ? [] : [`${yieldLabel} ${dividendYield}`]),
    `volatility ${volatility}`,
  ];
  const rows: [string, number, string][] = [
    ['price', greeks.price, ''],
    ['delta', greeks.delta, ''],
    ['gamma', greeks.gamma, ''],
    ['vega', greeks.vega, 'per 1.00 volatility'],
    ['theta', greeks.theta, 'per year'],
    ['theta / day', dayTheta, 'per calendar day (theta / 365)'],
    ['rho', greeks.rho, 'per 1.00 rate'],
    [model === 'gk' ? 'foreign rho' : 'dividend rho', greeks.dividendRho, `per 1.00 ${yieldLabel}`],
  ];
  const width = Math.max(...rows.map(([, value]) => formatValue(value).length));
  io.out(`${style} ${type}, ${MODEL_NAMES[model]} (${model})`);
  io.out(`  ${inputs.join('  ')}`);
  for (const [label, value, unit] of rows)
    io.out(`  ${label.padEnd(13)} ${formatValue(value).padStart(width)}${unit ? `  ${unit}` : ''}`.trimEnd());
  return 0;
}

export function registerPriceCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('price')
    .description('price a European or American option and print its greeks')
    .option('--type <type>', 'call | put')
    .option('--style <style>', 'european | american (default: the model’s, else european)')
    .option('--spot <price>', 'underlying price (black76: the forward or futures price)')
    .option('--strike <price>', 'strike price')
    .option('--rate <rate>', 'risk-free rate, continuously compounded, e.g. 0.05', '0')
    .option('--div <yield>', 'dividend yield (gk: the foreign rate; black76: ignored)', '0')
    .option('--vol <volatility>', 'volatility per year, e.g. 0.2')
    .option('--t <years>', 'time to expiry in years')
    .option('--model <model>', `${PRICING_MODELS.join(' | ')} (default: bsm for european, baw for american)`)
    .option('--json', 'print one JSON object')
    .action((options: PriceOptions) => {
      setExit(priceCommand(io, options));
    });
}
