// Settings of the side workers (sentiment, insights, hedger, risk-breach runbook): zod schemas with defaults,
// read from an optional YAML file with one section per worker. Scenario definitions live in configs/scenarios.yaml
// (scenario-config.ts).

import { existsSync } from 'node:fs';
import { z } from 'zod';
import { loadConfigFile, parseConfig } from '../../common/config.ts';

const positive = z.number().positive();
const seconds = positive;

export const SentimentConfigSchema = z
  .object({
    /** Half-life of an item's weight in the rolling score. */
    halfLifeMinutes: positive.default(360),
    /**
     * Neutral pseudo-items in the rolling score's denominator: one headline moves the score part of the way, and
     * the score fades back to 0 as the news ages. 0 gives the plain decayed mean.
     */
    priorWeight: z.number().min(0).default(1),
    /** Names an item may use for an instrument, by symbol or instrument id (the symbol itself always counts). */
    aliases: z.record(z.string().min(1), z.array(z.string().min(1))).default({}),
    /** How many recent item ids are remembered to drop duplicates. */
    dedupCapacity: z.number().int().min(1).default(10_000),
  })
  .strict();
export type SentimentConfig = z.infer<typeof SentimentConfigSchema>;

const ReplayReportSchema = z
  .object({
    /**
     * A drift report (`hf backtest --date <day> --json`, saved to a file: live and replay counts of the day), or a
     * backtest `summary.json` (`hf backtest --out <dir>`), compared with this process's live counts of `strategy`.
     */
    file: z.string().min(1),
    /** For a summary.json: the live strategy id the replay stands for. */
    strategy: z.string().min(1).optional(),
  })
  .strict();

export const InsightsConfigSchema = z
  .object({
    /** How often the checks run. */
    evaluateSeconds: seconds.default(10),
    pnl: z
      .object({
        /** Length of one PnL interval: the change of each strategy's PnL over it is one observation. */
        intervalSeconds: seconds.default(300),
        /** Observations kept per strategy. */
        history: z.number().int().min(2).default(48),
        /** Observations needed before a strategy can be flagged. */
        minHistory: z.number().int().min(2).default(12),
        /** Flag when |interval PnL − mean| ≥ this many standard deviations of the history. */
        zThreshold: positive.default(4),
      })
      .strict()
      .prefault({}),
    feeds: z
      .object({
        /** An instrument with no market data for this long is stale. */
        staleSeconds: seconds.default(30),
        /** Instruments to watch; empty: every instrument in the registry. */
        instruments: z.array(z.string().min(1)).default([]),
      })
      .strict()
      .prefault({}),
    rejects: z
      .object({
        windowSeconds: seconds.default(300),
        /** Orders in the window before a rate means anything. */
        minOrders: z.number().int().min(1).default(20),
        /** Runbook §4.2: the reject rate stays below 0.5 %. */
        maxRate: z.number().min(0).max(1).default(0.005),
        /** And it must be this many times the rate seen before the window. */
        baselineFactor: z.number().min(1).default(3),
      })
      .strict()
      .prefault({}),
    /** Backtest replays to compare live fills and orders with, when their report exists. */
    replays: z.array(ReplayReportSchema).default([]),
    replay: z
      .object({
        /** Flag when |live − replay| / replay is above this … */
        tolerance: z.number().min(0).default(0.25),
        /** … and the counts differ by at least this much. */
        minDifference: z.number().int().min(1).default(5),
        /** Drift reports: flag a mean |fill price drift| above this many basis points. */
        maxPriceDriftBps: z.number().min(0).default(10),
      })
      .strict()
      .prefault({}),
  })
  .strict();
export type InsightsConfig = z.infer<typeof InsightsConfigSchema>;

export const HedgerConfigSchema = z
  .object({
    /**
     * `limit`: a marketable limit, IOC, priced `protectionBps` through the mark (bounded slippage; what the book
     * cannot take at that price is canceled and retried on the next pass). `market`: IOC market orders.
     */
    orderType: z.enum(['limit', 'market']).default('limit'),
    protectionBps: positive.default(50),
    /** Flattening passes at most; one order per strategy and instrument per pass. */
    maxPasses: z.number().int().min(1).default(10),
    /** Pause between passes, for fresh quotes (wall time). */
    passDelayMs: z.number().int().min(0).default(250),
    /** How long a pass waits for its orders to be filled, canceled or denied (wall time). */
    settleMs: z.number().int().min(1).default(5_000),
    /** Cancel the scope's open orders before flattening (the kill switch already cancels every one). */
    cancelOpenOrders: z.boolean().default(true),
  })
  .strict();
export type HedgerConfig = z.infer<typeof HedgerConfigSchema>;

export const BreachConfigSchema = z
  .object({
    /**
     * Alert codes that are a risk breach (any source): the VaR/ES band alerts and the drawdown bands of the risk
     * engine. Not RISK_VAR_NO_HISTORY or RISK_VAR_MODEL: those say the model cannot judge yet, not that a limit broke.
     */
    codes: z
      .array(z.string().min(1))
      .default(['RISK_VAR_LIMIT', 'RISK_ES_LIMIT', 'RISK_VAR_BREACH', 'RISK_DRAWDOWN_BAND']),
    /** Alert code prefixes that are a risk breach: every drawdown alert, `RISK_DRAWDOWN_*`. */
    codePrefixes: z.array(z.string().min(1)).default(['RISK_DRAWDOWN_']),
    /** Coded alerts below this severity are not a breach. */
    minSeverity: z.enum(['info', 'warning', 'critical']).default('warning'),
    /** Any critical alert from these sources is a breach. */
    criticalSources: z.array(z.string().min(1)).default(['risk']),
    /** Runbook §6.3 step 1. */
    killSwitch: z.boolean().default(true),
    /** Step 2: close every position (`flatten`), hedge the options books' delta (`delta`), or nothing. */
    hedge: z.enum(['flatten', 'delta', 'none']).default('flatten'),
    /** Step 3: write the ledger snapshot beside the incident summary. */
    snapshot: z.boolean().default(true),
    /** Breach alerts within this long after an incident was filed are counted, not acted on again. */
    cooldownSeconds: z.number().min(0).default(300),
  })
  .strict();
export type BreachConfig = z.infer<typeof BreachConfigSchema>;

export const WorkersConfigSchema = z
  .object({
    sentiment: SentimentConfigSchema.prefault({}),
    insights: InsightsConfigSchema.prefault({}),
    hedger: HedgerConfigSchema.prefault({}),
    breach: BreachConfigSchema.prefault({}),
  })
  .strict();
export type WorkersConfig = z.infer<typeof WorkersConfigSchema>;

export function parseWorkersConfig(value: unknown, file = 'workers.yaml'): WorkersConfig {
  return parseConfig(WorkersConfigSchema, value, file);
}

/** Every default, as an absent or empty file gives. */
export const defaultWorkersConfig: WorkersConfig = parseWorkersConfig({});

/** Reads `file` (a ConfigError names the file and the key); the defaults when the file does not exist. */
export function loadWorkersConfig(file: string): WorkersConfig {
  return existsSync(file) ? loadConfigFile(WorkersConfigSchema, file) : defaultWorkersConfig;
}
