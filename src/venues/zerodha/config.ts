// Zerodha venue options (a YAML file beside the registry, `zerodha.yaml`) and the credentials they point to:
// the API key, API secret and daily access token come from the environment or a secrets file, never the YAML.

import { existsSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../../common/errors.ts';
import { parseConfig, readYaml } from '../../common/config.ts';
import { ZerodhaChargesSchema, DEFAULT_CHARGES } from './fee-model.ts';
import { isSecretsFileShared, readSecretsFile, Secret } from './secrets.ts';

export const KITE_EXCHANGES = ['NSE', 'BSE', 'NFO', 'BFO', 'CDS', 'BCD', 'MCX'] as const;
export type KiteExchange = (typeof KITE_EXCHANGES)[number];
export const KITE_PRODUCTS = ['CNC', 'MIS', 'NRML', 'MTF'] as const;
export type KiteProduct = (typeof KITE_PRODUCTS)[number];
/** Varieties this adapter places (bracket and auction orders are not supported). */
export const KITE_VARIETIES = ['regular', 'amo', 'co', 'iceberg'] as const;
export type KiteVariety = (typeof KITE_VARIETIES)[number];

const environmentName = z
  .string()
  .regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name such as KITE_API_KEY');

export const ZerodhaInstrumentSchema = z
  .object({
    /** Kite trading symbol (default: the registry symbol). */
    tradingsymbol: z.string().min(1).optional(),
    /** Default: `exchange` for equities, `derivativesExchange` for futures and options. */
    exchange: z.enum(KITE_EXCHANGES).optional(),
    /** Kite instrument token: needed to stream the instrument's market data. */
    token: z.number().int().positive().optional(),
    product: z.enum(KITE_PRODUCTS).optional(),
  })
  .strict();
export type ZerodhaInstrumentConfig = z.infer<typeof ZerodhaInstrumentSchema>;

export const ZerodhaConfigSchema = z
  .object({
    /** REST root of Kite Connect (a loopback fake in tests). */
    restRoot: z
      .string()
      .regex(/^https?:\/\/\S+$/, 'an http(s) URL')
      .default('https://api.kite.trade'),
    /** WebSocket root of the Kite ticker. */
    tickerRoot: z
      .string()
      .regex(/^wss?:\/\/\S+$/, 'a ws(s) URL')
      .default('wss://ws.kite.trade/'),
    loginRoot: z
      .string()
      .regex(/^https?:\/\/\S+$/, 'an http(s) URL')
      .default('https://kite.zerodha.com/connect/login'),
    credentials: z
      .object({
        apiKeyVariable: environmentName.default('KITE_API_KEY'),
        apiSecretVariable: environmentName.default('KITE_API_SECRET'),
        accessTokenVariable: environmentName.default('KITE_ACCESS_TOKEN'),
        /** KEY=value lines with the same variable names; the daily login writes the access token here. */
        secretsFile: z.string().min(1).optional(),
      })
      .strict()
      .prefault({}),
    /** Exchange of equity orders and of futures/options orders. */
    exchange: z.enum(['NSE', 'BSE']).default('NSE'),
    derivativesExchange: z.enum(['NFO', 'BFO']).default('NFO'),
    /** Product of equity orders (CNC: delivery; MIS: intraday, squared off by Zerodha before the close). */
    product: z.enum(KITE_PRODUCTS).default('CNC'),
    derivativesProduct: z.enum(['NRML', 'MIS']).default('NRML'),
    variety: z.enum(KITE_VARIETIES).default('regular'),
    /**
     * Kite orders live for the trading day. `day`: a GTC order (the strategies' default) is sent as DAY and
     * Kite cancels what is left at the close; `reject`: GTC orders are refused before they leave.
     */
    goodTillCanceled: z.enum(['day', 'reject']).default('day'),
    /** Iceberg orders: the number of legs (Kite accepts 2 to 10). */
    icebergLegs: z.number().int().min(2).max(10).default(2),
    /** Per registry symbol: how it is named and routed at Kite. */
    instruments: z.record(z.string().min(1), ZerodhaInstrumentSchema).default({}),
    /** Client-side limits, kept under Kite's published ones (orders 10/s and 200/min, other calls 10/s). */
    rateLimit: z
      .object({
        ordersPerSecond: z.number().int().positive().max(100_000).default(10),
        ordersPerMinute: z.number().int().positive().max(1_000_000).default(200),
        requestsPerSecond: z.number().int().positive().max(100_000).default(10),
        /** After a 429 nothing more is sent for this long. */
        backoffMs: z.number().int().min(0).default(1000),
        /**
         * Slack added to each window (1 s becomes 1.1 s): requests leave the process with jitter, and two sent a
         * full window apart must still arrive a full window apart.
         */
        marginMs: z.number().int().min(0).max(1000).default(100),
      })
      .strict()
      .prefault({}),
    /** Orders and trades are polled this often (and at once after every order request or postback). */
    pollIntervalMs: z.number().int().min(20).default(1000),
    requestTimeoutMs: z.number().int().positive().default(7000),
    /** An order whose placement got no answer and that no poll has found for this long is rejected. */
    lostOrderAfterMs: z.number().int().positive().default(15_000),
    /** What positions() reports: Kite's net positions, or those plus demat holdings (delivery stock). */
    positions: z.enum(['net', 'net+holdings']).default('net'),
    ticker: z
      .object({
        enabled: z.boolean().default(true),
        mode: z.enum(['ltp', 'quote', 'full']).default('full'),
        /** Reconnect attempts after a drop before the feed is declared down (the process keeps running). */
        reconnectMaxAttempts: z.number().int().min(0).max(300).default(50),
        reconnectBaseDelayMs: z.number().int().min(1).default(1000),
        reconnectMaxDelayMs: z.number().int().min(1).default(30_000),
      })
      .strict()
      .prefault({}),
    charges: ZerodhaChargesSchema.default(DEFAULT_CHARGES),
  })
  .strict();

export type ZerodhaConfig = z.infer<typeof ZerodhaConfigSchema>;
export type ZerodhaConfigInput = z.input<typeof ZerodhaConfigSchema>;

// Keys that would hold a credential: refused with a pointer to where credentials belong.
const SECRET_KEY = /^(api_?key|api_?secret|secret|access_?token|request_?token|password|totp|pin)$/i;

function refuseInlineSecrets(value: unknown, file: string, path: string): void {
  if (typeof value !== 'object' || value === null) return;
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    const at = path ? `${path}.${key}` : key;
    if (SECRET_KEY.test(key))
      throw new ConfigError(
        file,
        at,
        'credentials never go in the YAML: set them in the environment (KITE_API_KEY, KITE_API_SECRET, ' +
          'KITE_ACCESS_TOKEN) or in the secrets file named by credentials.secretsFile',
      );
    refuseInlineSecrets(child, file, at);
  }
}

/** Validates options; a problem throws a ConfigError naming `file` and the key. */
export function parseZerodhaConfig(value: unknown, file = 'zerodha options'): ZerodhaConfig {
  refuseInlineSecrets(value, file, '');
  return parseConfig(ZerodhaConfigSchema, value, file);
}

export function loadZerodhaConfig(file: string): ZerodhaConfig {
  return parseZerodhaConfig(readYaml(file), file);
}

/** `<configDir>/zerodha.yaml` when it exists, else the defaults. */
export function loadZerodhaConfigFrom(configDir: string): ZerodhaConfig {
  const file = `${configDir.replace(/\/+$/, '')}/zerodha.yaml`;
  return existsSync(file) ? loadZerodhaConfig(file) : parseZerodhaConfig({});
}

export interface ZerodhaCredentials {
  readonly apiKey: Secret | undefined;
  readonly apiSecret: Secret | undefined;
  readonly accessToken: Secret | undefined;
  /** Where each came from (`env KITE_API_KEY`, `secrets file …`), for messages; never the values. */
  readonly sources: Readonly<Record<'apiKey' | 'apiSecret' | 'accessToken', string>>;
  /** Set when the secrets file is readable by group or others. */
  readonly warning: string | undefined;
}

export type Environment = Readonly<Record<string, string | undefined>>;

/** Reads the credentials now (the environment first, then the secrets file): a daily login is picked up. */
export function resolveCredentials(
  config: ZerodhaConfig,
  env: Environment = process.env,
): ZerodhaCredentials {
  const names = config.credentials;
  const file = names.secretsFile;
  const fromFile = file && existsSync(file) ? readSecretsFile(file) : {};
  const pick = (variable: string): [Secret | undefined, string] => {
    const direct = env[variable];
    if (direct) return [new Secret(direct), `environment variable ${variable}`];
    const stored = fromFile[variable];
    if (stored) return [new Secret(stored), `${variable} in secrets file ${file ?? ''}`];
    return [undefined, `${variable} (environment or secrets file): not set`];
  };
  const [apiKey, apiKeySource] = pick(names.apiKeyVariable);
  const [apiSecret, apiSecretSource] = pick(names.apiSecretVariable);
  const [accessToken, accessTokenSource] = pick(names.accessTokenVariable);
  const warning =
    file && existsSync(file) && isSecretsFileShared(file)
      ? `secrets file ${file} is readable by group or others: chmod 600 it`
      : undefined;
  return {
    apiKey,
    apiSecret,
    accessToken,
    sources: { apiKey: apiKeySource, apiSecret: apiSecretSource, accessToken: accessTokenSource },
    warning,
  };
}
