// `hf hedge flatten [--strategy S]`: close positions by hand through the running process's hedger (reduce-only
// IOC orders through risk, like every order); `--runbook` runs the whole risk-breach runbook (kill switch, flatten,
// ledger snapshot, incident summary); `--dry-run` shows the orders without sending them. Embedded: over the local
// control channel; distributed: `--url` (or $HF_WORKERS_URL), the health port of the service running the hedger.

import type { Command } from 'commander';
import { callChannel, ChannelUnavailable } from '../services/control-channel.ts';
import type { IncidentSummary } from '../services/workers/breach.ts';
import type { HedgePlan, HedgeResult } from '../services/workers/hedger.ts';
import type { HedgeFlattenBody } from '../services/workers/routes.ts';
import { resolvePaths, type CliIo, type CliPaths } from './context.ts';

export interface HedgeCommandOptions {
  readonly strategy?: string;
  readonly runbook?: boolean;
  readonly dryRun?: boolean;
  readonly json?: boolean;
  readonly url?: string;
}

/** Thrown for an answer that is not a success; the message is for the operator. */
export class WorkerCallError extends Error {}

/**
 * Calls a worker route of the running process: the control channel first, then `url` (the distributed
 * deployment). Throws ChannelUnavailable when neither answers, WorkerCallError on an error answer.
 */
export async function callWorkers<T>(
  paths: CliPaths,
  path: string,
  body: unknown,
  url: string | undefined,
): Promise<T> {
  try {
    return await callChannel<T>(paths.socket, 'POST', path, body);
  } catch (error) {
    if (!(error instanceof ChannelUnavailable)) throw new WorkerCallError((error as Error).message);
    if (url === undefined || url === '') throw error;
  }
  let response: Response;
  try {
    response = await fetch(new URL(path, url.endsWith('/') ? url : `${url}/`), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  } catch (error) {
    throw new WorkerCallError(`${url} unreachable: ${(error as Error).message}`);
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    throw new WorkerCallError(`${url} answered with non-JSON (${response.status}): ${text.slice(0, 200)}`);
  }
  if (!response.ok)
    throw new WorkerCallError(
      `${response.status} ${(parsed as { error?: string } | undefined)?.error ?? text}`,
    );
  return parsed as T;
}

function price(value: number | undefined): string {
  return value === undefined ? 'market' : value.toFixed(4).replace(/\.?0+$/, '');
}

function planLines(plan: HedgePlan): string[] {
  const lines = plan.orders.map(
    (o) =>
      `would ${o.side} ${o.quantity} ${o.instrumentId} for ${o.strategyId} (${o.type === 'limit' ? `limit ${price(o.price)}` : 'market'}, IOC${o.reduceOnly ? ', reduce-only' : ''})`,
  );
  if (plan.orders.length === 0) lines.push('nothing to trade');
  for (const n of plan.netted)
    lines.push(`netted ${n.strategyId} ${n.instrumentId} ${n.quantity}: ${n.reason}`);
  for (const s of plan.skipped)
    lines.push(`skipped ${s.strategyId} ${s.instrumentId} ${s.quantity}: ${s.reason}`);
  return lines;
}

export function resultLines(result: HedgeResult): string[] {
  const lines: string[] = [];
  if (result.canceled > 0) lines.push(`cancelled ${result.canceled} open order(s) first`);
  for (const o of result.orders)
    lines.push(
      `pass ${o.pass}: ${o.side} ${o.quantity} ${o.instrumentId} for ${o.strategyId} (${o.type === 'limit' ? `limit ${price(o.price)}` : 'market'}): ${o.status}` +
        (o.filledQuantity > 0 ? ` ${o.filledQuantity} @ ${price(o.averagePrice)}` : '') +
        (o.reason !== undefined && o.status !== 'filled' ? ` (${o.reason})` : ''),
    );
  if (result.orders.length === 0) lines.push('no order needed');
  for (const n of result.netted)
    lines.push(`netted ${n.strategyId} ${n.instrumentId} ${n.quantity}: ${n.reason}`);
  for (const s of result.skipped)
    lines.push(`skipped ${s.strategyId} ${s.instrumentId} ${s.quantity}: ${s.reason}`);
  const scope = result.scope === 'all' ? 'every strategy' : `strategy ${result.scope}`;
  lines.push(
    result.complete
      ? `${scope}: flat`
      : `${scope}: NOT flat: ${result.residual.map((p) => `${p.strategyId} ${p.instrumentId} ${p.quantity}`).join(', ') || 'hedges not filled'}`,
  );
  return lines;
}

/** Exit codes: 0 flat (or the plan shown), 1 positions left open, 2 no running process or a refused request. */
export async function hedgeCommand(
  paths: CliPaths,
  io: CliIo,
  action: string,
  options: HedgeCommandOptions,
): Promise<number> {
  if (action !== 'flatten') {
    io.err(`hf hedge: expected flatten, got "${action}"`);
    return 2;
  }
  if (options.runbook && options.strategy !== undefined) {
    io.err('hf hedge flatten: --runbook flattens every strategy; leave out --strategy');
    return 2;
  }
  if (options.runbook && options.dryRun) {
    io.err('hf hedge flatten: --dry-run shows the orders of a flatten; it does not run the runbook');
    return 2;
  }
  const body: HedgeFlattenBody = {
    ...(options.strategy !== undefined ? { strategy: options.strategy } : {}),
    ...(options.runbook ? { runbook: true } : {}),
    ...(options.dryRun ? { dryRun: true } : {}),
  };
  let answer: unknown;
  try {
    answer = await callWorkers<unknown>(
      paths,
      '/hedge/flatten',
      body,
      options.url ?? process.env.HF_WORKERS_URL,
    );
  } catch (error) {
    if (error instanceof ChannelUnavailable) {
      io.err(
        'hf hedge flatten: no running process (start one with hf run, or give --url for the distributed deployment)',
      );
      return 2;
    }
    if (error instanceof WorkerCallError) {
      io.err(`hf hedge flatten: ${error.message}`);
      return 2;
    }
    throw error;
  }
  if (options.json) io.out(JSON.stringify(answer));
  if (options.dryRun) {
    if (!options.json) for (const line of planLines(answer as HedgePlan)) io.out(line);
    return 0;
  }
  if (options.runbook) {
    const incident = answer as IncidentSummary;
    if (!options.json) {
      io.out(`incident ${incident.id}: ${incident.reason}`);
      for (const s of incident.steps) io.out(`  ${s.step}: ${s.outcome}: ${s.detail}`);
      if (incident.hedge) for (const line of resultLines(incident.hedge)) io.out(`  ${line}`);
      io.out(`summary ${incident.files.summary}`);
      if (incident.files.ledgerSnapshot !== null) io.out(`ledger snapshot ${incident.files.ledgerSnapshot}`);
    }
    return incident.after.positions.length === 0 ? 0 : 1;
  }
  const result = answer as HedgeResult;
  if (!options.json) for (const line of resultLines(result)) io.out(line);
  return result.complete ? 0 : 1;
}

export function registerHedgeCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('hedge')
    .description(
      'close positions by hand through the hedger: reduce-only IOC orders through risk (exit 0 flat, 1 not flat, 2 error)',
    )
    .argument('<action>', 'flatten')
    .option('--strategy <id>', 'flatten one strategy (default: every strategy)')
    .option(
      '--runbook',
      'run the whole risk-breach runbook: kill switch, flatten, ledger snapshot, incident summary',
    )
    .option('--dry-run', 'show the orders a flatten would send now, without sending them')
    .option('--json', 'print the answer as JSON')
    .option(
      '--url <base>',
      'distributed deployment: the service running the hedger (default: $HF_WORKERS_URL)',
    )
    .action(async (action: string, options: HedgeCommandOptions, command: Command) => {
      const globals = command.optsWithGlobals<{ home?: string; config?: string }>();
      const paths = resolvePaths({
        ...(globals.home !== undefined ? { home: globals.home } : {}),
        ...(globals.config !== undefined ? { config: globals.config } : {}),
      });
      setExit(await hedgeCommand(paths, io, action, options));
    });
}
