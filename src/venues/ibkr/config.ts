// IBKR venue settings beyond the registry's VenueConfig: where TWS / IB Gateway listens, the client id and
// account, contract details, the commission plan and message pacing. They live in `ibkr.yaml` beside the
// registry (one section per venue name); IBKR_HOST, IBKR_PORT, IBKR_CLIENT_ID and IBKR_ACCOUNT override them.

import { existsSync } from 'node:fs';
import { z } from 'zod';
import { parseConfig, readYaml } from '../../common/config.ts';
import { ConfigError } from '../../common/errors.ts';

export const IB_SECURITY_TYPES = ['STK', 'CASH', 'FUT', 'OPT', 'IND', 'BOND', 'CFD', 'CRYPTO'] as const;

/** How one registry symbol is known to IB when the defaults (STK on `exchange`, its currency) do not fit. */
export const IbkrContractSchema = z
  .object({
    secType: z.enum(IB_SECURITY_TYPES).default('STK'),
    /** IB symbol (default: the registry symbol). */
    symbol: z.string().min(1).optional(),
    exchange: z.string().min(1).optional(),
    primaryExchange: z.string().min(1).optional(),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'an ISO currency code such as USD')
      .optional(),
    localSymbol: z.string().min(1).optional(),
    /** IB contract id: the unambiguous way to name a contract. */
    conId: z.number().int().positive().optional(),
    lastTradeDateOrContractMonth: z
      .string()
      .regex(/^\d{6}(\d{2})?$/, 'yyyymm or yyyymmdd')
      .optional(),
    multiplier: z.number().positive().optional(),
    tradingClass: z.string().min(1).optional(),
  })
  .strict();
export type IbkrContract = z.infer<typeof IbkrContractSchema>;

/** A volume tier of the tiered plan: the rate once the month's shares so far are above `aboveMonthlyShares`. */
const TierSchema = z.object({ aboveMonthlyShares: z.number().min(0), perShare: z.number().min(0) }).strict();

/**
 * IBKR Pro commissions for US stocks, as published on interactivebrokers.com ("Commissions: Stocks, ETFs and
 * Warrants", IBKR Pro): fixed USD 0.005 a share, at least USD 1.00 and at most 1% of the trade value per order;
 * tiered USD 0.0035 / 0.0020 / 0.0015 / 0.0010 / 0.0005 a share above 0 / 300,000 / 3,000,000 / 20,000,000 /
 * 100,000,000 shares a month, at least USD 0.35 and at most 1% per order, plus clearing (NSCC/DTC USD 0.00020
 * a share) and exchange fees. Regulatory fees on sales pass through on both plans.
 */
export const IbkrFeesSchema = z
  .object({
    plan: z.enum(['fixed', 'tiered']).default('fixed'),
    fixed: z
      .object({
        perShare: z.number().min(0).default(0.005),
        minimumPerOrder: z.number().min(0).default(1),
        maximumPercentOfValue: z.number().min(0).max(100).default(1),
      })
      .strict()
      .prefault({}),
    tiered: z
      .object({
        tiers: z
          .array(TierSchema)
          .min(1)
          .default([
            { aboveMonthlyShares: 0, perShare: 0.0035 },
            { aboveMonthlyShares: 300_000, perShare: 0.002 },
            { aboveMonthlyShares: 3_000_000, perShare: 0.0015 },
            { aboveMonthlyShares: 20_000_000, perShare: 0.001 },
            { aboveMonthlyShares: 100_000_000, perShare: 0.0005 },
          ])
          .refine(
            (tiers) =>
              tiers.every(
                (t, i) => i === 0 || t.aboveMonthlyShares > (tiers[i - 1]?.aboveMonthlyShares ?? 0),
              ),
            'tiers must be in increasing order of aboveMonthlyShares',
          ),
        minimumPerOrder: z.number().min(0).default(0.35),
        maximumPercentOfValue: z.number().min(0).max(100).default(1),
        /** Clearing fees a share (NSCC, DTC). */
        clearingPerShare: z.number().min(0).default(0.0002),
        /** Exchange fees a share: they depend on the venue and on adding or removing liquidity. */
        exchangePerShare: z.number().min(0).default(0),
      })
      .strict()
      .prefault({}),
    /** Regulatory fees on sales (SEC fee, FINRA TAF): fraction of the sale value and amount a share sold. */
    sellFeeRate: z.number().min(0).default(0),
    sellFeePerShare: z.number().min(0).default(0),
  })
  .strict();
export type IbkrFees = z.infer<typeof IbkrFeesSchema>;

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export const IbkrSettingsSchema = z
  .object({
    /** TWS / IB Gateway host (the API only listens on trusted addresses: keep it on loopback or a VPN). */
    host: z.string().min(1).default('127.0.0.1'),
    /** 7497 TWS paper, 7496 TWS live, 4002 IB Gateway paper, 4001 IB Gateway live. */
    port: z.number().int().min(1).max(65_535).default(7497),
    /** One API session per client id; 0 is the id TWS binds manual orders to. */
    clientId: z.number().int().min(0).max(2_147_483_647).default(1),
    /** The account orders go to and queries are filtered by; required when the login manages several. */
    account: z
      .string()
      .regex(/^[A-Za-z0-9]+$/, 'an IB account code such as DU1234567')
      .optional(),
    /** Routing destination of orders whose contract does not say (SMART: IB's smart router). */
    exchange: z.string().min(1).default('SMART'),
    /** Time zone of TWS times that carry none (TWS writes its login time zone). */
    timeZone: z.string().refine(isTimeZone, 'an IANA time zone such as America/New_York').default('UTC'),
    /** Let orders work outside regular trading hours. */
    outsideRth: z.boolean().default(false),
    /** IB contract details per registry symbol, when the defaults do not fit. */
    contracts: z.record(z.string().min(1), IbkrContractSchema).default({}),
    fees: IbkrFeesSchema.prefault({}),
    pacing: z
      .object({
        /** Messages a second the adapter sends at most (IB allows 50, over that: error 100, then a disconnect). */
        messagesPerSecond: z.number().int().min(1).max(50).default(45),
        /** After an error 100, nothing is sent for this long. */
        pauseAfterViolationMs: z.number().int().min(0).default(1000),
      })
      .strict()
      .prefault({}),
    /** The first connect fails after this long without a ready session. */
    connectTimeoutMs: z.number().int().positive().default(10_000),
    reconnect: z
      .object({
        initialDelayMs: z.number().int().positive().default(1000),
        maxDelayMs: z.number().int().positive().default(30_000),
      })
      .strict()
      .prefault({}),
    /** A query (open orders, executions, positions, balances) fails after this long without its end message. */
    queryTimeoutMs: z.number().int().positive().default(10_000),
    /** A fill waits this long for IB's commission report, then carries the fee model's estimate. */
    commissionWaitMs: z.number().int().min(0).default(2000),
    /** When IB reports more filled than the executions told so far, executions are requested after this long. */
    executionCatchUpMs: z.number().int().positive().default(2000),
  })
  .strict();

export type IbkrSettings = z.infer<typeof IbkrSettingsSchema>;
export type IbkrSettingsInput = z.input<typeof IbkrSettingsSchema>;

/** Environment variables that override the file, and the setting each sets. */
const ENVIRONMENT = [
  ['IBKR_HOST', 'host', 'text'],
  ['IBKR_PORT', 'port', 'integer'],
  ['IBKR_CLIENT_ID', 'clientId', 'integer'],
  ['IBKR_ACCOUNT', 'account', 'text'],
] as const;

/** Validates settings, with the IBKR_* environment variables on top; a problem throws a ConfigError. */
export function parseIbkrSettings(
  value: unknown,
  file = 'ibkr settings',
  environment: Readonly<Record<string, string | undefined>> = {},
): IbkrSettings {
  if (value !== undefined && value !== null && (typeof value !== 'object' || Array.isArray(value)))
    throw new ConfigError(file, '', 'expected a mapping of IBKR settings');
  const merged: Record<string, unknown> = { ...(value ?? {}) };
  for (const [variable, key, kind] of ENVIRONMENT) {
    const raw = environment[variable];
    if (raw === undefined || raw === '') continue;
    if (kind === 'integer') {
      if (!/^\d+$/.test(raw.trim()))
        throw new ConfigError('environment', variable, `not an integer: "${raw}"`);
      merged[key] = Number(raw.trim());
    } else merged[key] = raw.trim();
  }
  return parseConfig(IbkrSettingsSchema, merged, file);
}

/**
 * The settings of one venue from `ibkr.yaml` (a mapping of venue name → settings); a missing file or section
 * means the defaults (TWS paper trading on this machine), with the environment on top.
 */
export function loadIbkrSettings(
  file: string,
  venue: string,
  environment: Readonly<Record<string, string | undefined>> = process.env,
): IbkrSettings {
  if (!existsSync(file)) return parseIbkrSettings({}, file, environment);
  const document = readYaml(file);
  if (
    document !== null &&
    document !== undefined &&
    (typeof document !== 'object' || Array.isArray(document))
  )
    throw new ConfigError(file, '', 'expected a mapping of venue name → IBKR settings');
  const section = (document as Record<string, unknown> | null | undefined)?.[venue] ?? {};
  try {
    return parseIbkrSettings(section, file, environment);
  } catch (error) {
    // Name the key from the top of the file: `<venue>.<key>`.
    if (error instanceof ConfigError && error.file === file)
      throw new ConfigError(file, error.key ? `${venue}.${error.key}` : venue, error.problem);
    throw error;
  }
}
