// `hf reconcile --date YYYY-MM-DD`: reconciliation of a past day from what the store kept, with nothing running:
// the session's paper venues restored from their journals, the OMS from its order records and the ledger from its
// entries, then compared as at a startup reconciliation. The breaks that concern the day's orders and fills are
// reported; exit code 0 clean, 1 breaks, 2 error (for schedulers).

import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LiveClock } from '../common/clock.ts';
import { createLogger } from '../common/logging.ts';
import { maskUrl } from '../common/url.ts';
import { Kernel } from '../kernel/kernel.ts';
import type { ReconciliationReport } from '../reconciler/index.ts';
import { candidateSessions, listSessions, readStoreDay, hasDayData } from '../reports/day-data.ts';
import { PgliteStore } from '../store/pglite.ts';
import { PostgresStore } from '../store/postgres.ts';
import { dayRange } from '../store/recording.ts';
import type { Store } from '../store/store.ts';
import type { CliIo, CliPaths } from './context.ts';

export interface ReconcileDayOptions {
  readonly date: string;
  readonly session?: string;
  readonly json: boolean;
}

async function openStore(
  paths: CliPaths,
  options: ReconcileDayOptions,
  io: CliIo,
): Promise<{ store: Store; where: string } | number> {
  const databaseUrl = process.env.DATABASE_URL;
  const open = async (dataDir: string, where: string) => {
    try {
      return { store: await PgliteStore.open(dataDir), where };
    } catch (error) {
      io.err(
        `hf reconcile: cannot open ${where} (${(error as Error).message}); a running hf run holds its session: use hf reconcile without --date`,
      );
      return 2;
    }
  };
  if (options.session !== undefined) {
    const given = resolve(options.session);
    const named = join(paths.home, 'sessions', options.session);
    const folder = existsSync(given) ? given : named;
    const dataDir = existsSync(join(folder, 'pgdata')) ? join(folder, 'pgdata') : folder;
    if (!existsSync(join(dataDir, 'PG_VERSION'))) {
      io.err(`hf reconcile: --session ${options.session}: no session store at ${dataDir}`);
      return 2;
    }
    return open(dataDir, `session ${folder}`);
  }
  if (databaseUrl)
    return { store: await PostgresStore.open(databaseUrl), where: `PostgreSQL at ${maskUrl(databaseUrl)}` };
  const candidates = candidateSessions(listSessions(paths.home), options.date);
  for (const candidate of candidates) {
    const opened = await open(candidate.dataDir, `session ${candidate.folder}`);
    if (typeof opened === 'number') return opened;
    if (hasDayData(await readStoreDay(opened.store, options.date))) return opened;
    await opened.store.close();
  }
  io.err(
    `hf reconcile: no data for ${options.date}: ${candidates.length === 0 ? `no session under ${join(paths.home, 'sessions')} could hold that day` : `looked at sessions ${candidates.map((c) => c.name).join(', ')}`}`,
  );
  return 1;
}

export async function reconcileDayCommand(
  paths: CliPaths,
  io: CliIo,
  options: ReconcileDayOptions,
): Promise<number> {
  const range = dayRange(options.date);
  if (!range) {
    io.err(`hf reconcile: --date "${options.date}" is not a date (YYYY-MM-DD)`);
    return 2;
  }
  if (range.start > Date.now() * 1000) {
    io.err(`hf reconcile: --date ${options.date} is in the future`);
    return 2;
  }
  const opened = await openStore(paths, options, io);
  if (typeof opened === 'number') return opened;
  const { store, where } = opened;
  let report: ReconciliationReport;
  let dayOrders: Set<string>;
  try {
    const day = await readStoreDay(store, options.date);
    dayOrders = new Set(day.orders.map((o) => o.clientOrderId));
    const kernel = await Kernel.create({
      mode: 'paper',
      configDir: paths.configDir,
      clock: new LiveClock(),
      store,
      logger: createLogger('reconcile', 'error'),
      components: ['router', 'ledger'],
      // Every order of the day is compared in detail: none leaves memory here.
      retention: null,
    });
    await kernel.start();
    report = await kernel.reconcile();
    await kernel.stop();
  } finally {
    await store.close();
  }
  // The day's breaks: those of its orders and fills, and position breaks (positions are as of now).
  const breaks = report.breaks.filter(
    (b) =>
      b.clientOrderId === undefined || dayOrders.has(b.clientOrderId) || b.code === 'RECON_POSITION_MISMATCH',
  );
  if (options.json) io.out(JSON.stringify({ date: options.date, source: where, ...report, breaks }));
  else {
    io.out(
      `reconciled ${options.date} from ${where}: ${report.venues.join(', ')}; ${dayOrders.size} orders that day, ${report.ordersChecked} orders, ${report.fillsChecked} fills, ${report.positionsChecked} positions checked`,
    );
    if (breaks.length === 0) io.out('no breaks');
    for (const b of breaks)
      io.out(`BREAK ${b.code} ${b.venue} ${b.message} (expected ${b.expected}, actual ${b.actual})`);
  }
  return breaks.length === 0 ? 0 : 1;
}
