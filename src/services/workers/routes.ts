// HTTP routes of the side workers, mounted by the API (src/services/api.ts) and by a worker service's health port:
// read endpoints for the dashboard (`GET /api/scenarios`, `/api/sentiment`, `/api/insights`, `/api/incidents`,
// `/api/workers`) and, where control is allowed (the local control channel), `POST /hedge/flatten` and
// `POST /scenario/run` for `hf hedge` and `hf scenario`. A worker that does not run in the process answers 404.

import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Alert } from '../../model/index.ts';
import type { BreachRunbook } from './breach.ts';
import type { Hedger } from './hedger.ts';
import type { InsightsWorker } from './insights.ts';
import type { ScenarioWorker } from './scenario.ts';
import type { SentimentWorker } from './sentiment.ts';

/** The workers running in this process (a mutable holder: workers started after the API was built count). */
export interface ApiWorkers {
  hedger?: Hedger;
  breach?: BreachRunbook;
  scenario?: ScenarioWorker;
  sentiment?: SentimentWorker;
  insights?: InsightsWorker;
}

export interface HedgeFlattenBody {
  /** One strategy; every strategy when absent. */
  readonly strategy?: string;
  /** Run the whole risk-breach runbook (kill switch, flatten, snapshot, incident) instead of the flatten alone. */
  readonly runbook?: boolean;
  /** Only compute the orders a flatten would send now. */
  readonly dryRun?: boolean;
}

function missing(reply: FastifyReply, worker: string): FastifyReply {
  return reply.code(404).send({ error: `no ${worker} in this process` });
}

export function registerWorkerRoutes(
  app: FastifyInstance,
  workers: ApiWorkers,
  options: { readonly allowControl: boolean; readonly now: () => number },
): void {
  app.get('/api/scenarios', async (_request, reply) =>
    workers.scenario ? (workers.scenario.latest() ?? null) : missing(reply, 'scenario worker'),
  );
  app.get('/api/sentiment', async (_request, reply) =>
    workers.sentiment ? workers.sentiment.scores() : missing(reply, 'sentiment worker'),
  );
  app.get('/api/insights', async (_request, reply) =>
    workers.insights
      ? { stats: workers.insights.stats(), recent: workers.insights.recent() }
      : missing(reply, 'insights worker'),
  );
  app.get('/api/incidents', async (_request, reply) =>
    workers.breach ? workers.breach.incidents() : missing(reply, 'risk-breach runbook'),
  );
  app.get('/api/workers', async () => ({
    hedger: workers.hedger?.stats() ?? null,
    breach: workers.breach?.stats() ?? null,
    scenario: workers.scenario?.stats() ?? null,
    sentiment: workers.sentiment?.stats() ?? null,
    insights: workers.insights?.stats() ?? null,
  }));
  if (!options.allowControl) return;

  app.post('/scenario/run', async (_request, reply) =>
    workers.scenario ? workers.scenario.run() : missing(reply, 'scenario worker'),
  );

  app.post<{ Body: { strategy?: unknown; runbook?: unknown; dryRun?: unknown } | null }>(
    '/hedge/flatten',
    async (request, reply) => {
      const { strategy, runbook, dryRun } = request.body ?? {};
      if (strategy !== undefined && (typeof strategy !== 'string' || strategy === ''))
        return reply.code(400).send({ error: 'strategy: a non-empty string, or absent for every strategy' });
      if (runbook !== undefined && typeof runbook !== 'boolean')
        return reply.code(400).send({ error: 'runbook: true or false' });
      if (dryRun !== undefined && typeof dryRun !== 'boolean')
        return reply.code(400).send({ error: 'dryRun: true or false' });
      const scope = strategy === undefined ? {} : { strategy };
      if (runbook === true) {
        if (strategy !== undefined)
          return reply
            .code(400)
            .send({ error: 'the runbook flattens every strategy: no strategy with runbook' });
        if (!workers.breach) return missing(reply, 'risk-breach runbook');
        const trigger: Alert = {
          type: 'alert',
          severity: 'critical',
          code: 'RUNBOOK_MANUAL',
          source: 'operator',
          message: 'the risk-breach runbook run by hand (hf hedge flatten --runbook)',
          tsEvent: options.now(),
        };
        const incident = await workers.breach.trigger(trigger, 'manual runbook');
        return incident ?? reply.code(409).send({ error: 'a risk-breach runbook is already running' });
      }
      if (!workers.hedger) return missing(reply, 'hedger');
      if (dryRun === true) return workers.hedger.plan(scope);
      return workers.hedger.flatten(scope);
    },
  );
}
