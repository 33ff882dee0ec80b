// A sweep worker thread: runs the backtests its parent sends (one parameter set each) and answers with the
// figures of each run. Started through bin/worker-ts.mjs.
import { parentPort, workerData } from 'node:worker_threads';
import { runBacktest, type BacktestOptions } from './runner.ts';
import type { SweepJob, SweepReply } from './sweep.ts';

const base = (workerData as { options: BacktestOptions }).options;
const port = parentPort;
if (!port) throw new Error('sweep-worker must run in a worker thread');

port.on('message', (job: SweepJob | null) => {
  if (job === null) {
    port.close();
    return;
  }
  runBacktest({ ...base, params: { ...base.params, ...job.params } }).then(
    (result) => {
      const reply: SweepReply = {
        index: job.index,
        params: job.params,
        finalValue: result.finalValue,
        totalReturn: result.stats.totalReturn,
        sharpe: result.stats.sharpe,
        maxDrawdown: result.stats.maxDrawdown,
        closedTrades: result.closedTrades,
        winRate: result.stats.winRate,
        commission: result.commission,
        events: result.events,
        seconds: result.seconds,
      };
      port.postMessage(reply);
    },
    (error: unknown) =>
      port.postMessage({
        index: job.index,
        params: job.params,
        error: String((error as Error).message ?? error),
      }),
  );
});
