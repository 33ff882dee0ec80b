// Starting the side workers from the configuration folder, the same way in `hf run` (every worker, in process)
// and in `hf service sentiment|scenario|insights|breach` (one per process): configs/workers.yaml (optional),
// configs/scenarios.yaml, and risk.yaml for the base currency, FX rates and per-order limits.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Bus } from '../../common/bus.ts';
import type { Clock } from '../../common/clock.ts';
import type { Logger } from '../../common/logging.ts';
import type { Registry } from '../../common/registry.ts';
import type { Kernel } from '../../kernel/kernel.ts';
import { loadRiskConfig } from '../../risk/index.ts';
import { kernelBook } from './book.ts';
import { startBreachRunbook } from './breach.ts';
import { loadWorkersConfig, type WorkersConfig } from './config.ts';
import { riskOrderLimit, startHedger } from './hedger.ts';
import { startInsightsWorker } from './insights.ts';
import type { ApiWorkers } from './routes.ts';
import { loadScenarios, type ScenarioSetup } from './scenario-config.ts';
import { startScenarioWorker } from './scenario.ts';
import { startSentimentWorker } from './sentiment.ts';

export const WORKER_NAMES = ['sentiment', 'scenario', 'insights', 'breach'] as const;
export type WorkerName = (typeof WORKER_NAMES)[number];

export interface WorkerContext {
  readonly bus: Bus;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The folder with workers.yaml (optional), scenarios.yaml and risk.yaml. */
  readonly configDir: string;
  /** The platform home: incidents go to <home>/runbooks/incidents, replay reports resolve against it. */
  readonly home: string;
  /** The book (ledger, marks, order book) and the registry: needed by scenario, insights and breach. */
  readonly kernel?: Kernel;
  readonly candleTimeframes?: readonly string[];
}

export interface StartedWorkers {
  /** For the API: `buildApi(kernel, { …, workers })`. */
  readonly workers: ApiWorkers;
  stop(): void;
}

/** Validates workers.yaml and scenarios.yaml (when present) without starting anything; throws a ConfigError. */
export function validateWorkersConfig(configDir: string, registry: Registry): void {
  loadWorkersConfig(join(configDir, 'workers.yaml'));
  const scenarios = join(configDir, 'scenarios.yaml');
  if (existsSync(scenarios)) loadScenarios(scenarios, registry);
}

/**
 * Starts the named workers. `breach` is the risk-breach runbook with its hedger. A missing scenarios.yaml skips
 * the scenario worker with a warning; an invalid one throws a ConfigError naming the file and the key.
 */
export function startWorkers(names: readonly WorkerName[], context: WorkerContext): StartedWorkers {
  const { bus, clock, logger, configDir } = context;
  const config: WorkersConfig = loadWorkersConfig(join(configDir, 'workers.yaml'));
  const workers: ApiWorkers = {};
  const stops: (() => void)[] = [];
  const kernel = (name: WorkerName): Kernel => {
    if (!context.kernel)
      throw new Error(`the ${name} worker needs a kernel (its ledger, marks and registry)`);
    return context.kernel;
  };
  const risk = (): ReturnType<typeof loadRiskConfig> => loadRiskConfig(join(configDir, 'risk.yaml'));

  for (const name of new Set(names))
    switch (name) {
      case 'sentiment': {
        const worker = startSentimentWorker(bus, clock, config.sentiment, logger);
        workers.sentiment = worker;
        stops.push(() => worker.stop());
        break;
      }
      case 'scenario': {
        const k = kernel(name);
        const file = join(configDir, 'scenarios.yaml');
        if (!existsSync(file)) {
          logger.warn(`scenario worker not started: no ${file}`);
          break;
        }
        const setup: ScenarioSetup = loadScenarios(file, k.registry);
        const { baseCurrency, fxRates } = risk();
        const worker = startScenarioWorker(bus, clock, setup, logger, {
          book: kernelBook(k),
          registry: k.registry,
          baseCurrency,
          fxRates,
        });
        workers.scenario = worker;
        stops.push(() => worker.stop());
        break;
      }
      case 'insights': {
        const k = kernel(name);
        const { baseCurrency, fxRates } = risk();
        const worker = startInsightsWorker(bus, clock, config.insights, logger, {
          book: kernelBook(k),
          instruments: [...k.registry.instruments.keys()],
          candleTimeframes: context.candleTimeframes ?? k.candleTimeframes,
          baseCurrency,
          fxRates,
          baseDir: context.home,
        });
        workers.insights = worker;
        stops.push(() => worker.stop());
        break;
      }
      case 'breach': {
        const k = kernel(name);
        const book = kernelBook(k);
        const hedger = startHedger(bus, clock, config.hedger, logger, {
          book,
          registry: k.registry,
          maxOrderQuantity: riskOrderLimit(risk()),
        });
        const breach = startBreachRunbook(bus, clock, config.breach, logger, {
          hedger,
          book,
          incidentDir: join(context.home, 'runbooks', 'incidents'),
          ...(k.components.has('risk') ? { tradingState: () => k.risk.state() } : {}),
        });
        workers.hedger = hedger;
        workers.breach = breach;
        stops.push(
          () => breach.stop(),
          () => hedger.stop(),
        );
        break;
      }
    }
  return {
    workers,
    stop() {
      for (const stop of stops.splice(0).reverse()) stop();
    },
  };
}
