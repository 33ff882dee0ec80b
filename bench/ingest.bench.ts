// Market-data ingest: a recorded file → reader → ingest pipeline (quality gate, 1m and 5m candles with gap-fill)
// → in-process bus, in ticks/s, with peak memory for the whole file and for a tenth of it (memory must not grow
// with file length). Files: a synthetic trade-tick file of INGEST_TICKS rows (default 10,000,000, written to a
// temp file, not timed) and the 1-minute bar file of /work/shared/data when present.
// Run with `node bin/run-ts.mjs bench/ingest.bench.ts`.
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryBus } from '../src/bus/memory.ts';
import { SimulatedClock } from '../src/common/clock.ts';
import { Streams } from '../src/common/topics.ts';
import { readDataFile } from '../src/feeds/files/index.ts';
import { IngestPipeline } from '../src/marketdata/index.ts';
import type { InstrumentId } from '../src/model/index.ts';
import { SeededRandom } from '../src/common/random.ts';
import { printMachine } from './machine.ts';
import { formatNumber, report, type BenchResult } from './results.ts';

const TICKS = Number(process.env.INGEST_TICKS ?? 10_000_000);
const MINUTE_FILE = '/work/shared/data/market/2006-01-02-volume-min-001.txt';
const ID = 'ES.SIM-A' as InstrumentId;
const work = mkdtempSync(join(tmpdir(), 'hf-ingest-bench-'));

async function writeTicks(path: string, count: number): Promise<void> {
  const out = createWriteStream(path);
  const random = new SeededRandom(5);
  out.write('Datetime,Price,Volume\n');
  let price = 3000;
  let time = Date.UTC(2020, 0, 2, 14, 30);
  let chunk = '';
  for (let i = 0; i < count; i++) {
    price = Math.max(1, Math.round((price + (random.uniform() - 0.5) * 0.5) * 4) / 4);
    time += 1 + Math.floor(random.uniform() * 40); // ms between trades
    chunk += `${new Date(time).toISOString().slice(0, 23)},${price.toFixed(2)},${1 + (i % 20)}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.write(chunk);
  out.end();
  await once(out, 'finish');
}

function replay(path: string, label: string): { rate: number; rssMb: number; messages: number } {
  const clock = new SimulatedClock(0);
  const bus = new MemoryBus();
  let ticks = 0;
  let bars = 0;
  bus.subscribe(Streams.ticks, 'bench', () => void ticks++);
  bus.subscribe(Streams.candles('1m'), 'bench', () => void bars++);
  bus.subscribe(Streams.candles('5m'), 'bench', () => void bars++);
  const pipeline = new IngestPipeline({
    bus,
    clock,
    config: { candles: { timeframes: ['1m', '5m'] }, quality: { priceBand: 0.2 } },
  });
  global.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  let n = 0;
  const start = process.hrtime.bigint();
  for (const m of readDataFile(path, { instrumentId: ID })) {
    clock.advanceTo(m.tsEvent);
    pipeline.ingest('file', m);
    if ((++n & 0xfffff) === 0) peak = Math.max(peak, process.memoryUsage().rss);
  }
  pipeline.candles.advance(clock.now() + 600_000_000);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  peak = Math.max(peak, process.memoryUsage().rss);
  const stats = pipeline.stats();
  const rssMb = (peak - before) / 2 ** 20;
  console.log(
    `${label}: ${n.toLocaleString('en-US')} messages in ${seconds.toFixed(2)} s = ${formatNumber(n / seconds)}/s; ` +
      `published ${stats.ticksPublished.toLocaleString('en-US')} ticks, ${bars.toLocaleString('en-US')} candles ` +
      `(${pipeline.candles.filledBars} gap-filled), quarantined ${stats.quarantined}; peak RSS +${rssMb.toFixed(0)} MB`,
  );
  return { rate: n / seconds, rssMb, messages: n };
}

printMachine('ingest bench: file → quality gate → candles (1m, 5m) → in-process bus');
const results: BenchResult[] = [];
try {
  const big = join(work, 'ticks.csv');
  const small = join(work, 'ticks-small.csv');
  const t0 = Date.now();
  await writeTicks(big, TICKS);
  await writeTicks(small, Math.floor(TICKS / 10));
  console.log(
    `wrote ${TICKS.toLocaleString('en-US')} trade ticks (${(statSync(big).size / 2 ** 20).toFixed(0)} MB) and a tenth in ${((Date.now() - t0) / 1000).toFixed(1)} s (not timed)`,
  );
  const tenth = replay(small, 'synthetic ticks, a tenth');
  const full = replay(big, 'synthetic ticks, full file');
  results.push({
    bench: 'ingest',
    name: `replay of ${TICKS.toLocaleString('en-US')} trade ticks through ingest (parse, gate, 1m+5m candles, bus)`,
    value: full.rate,
    unit: 'ticks/s',
    note: `peak RSS +${full.rssMb.toFixed(0)} MB vs +${tenth.rssMb.toFixed(0)} MB for a tenth of the file`,
  });
  if (existsSync(MINUTE_FILE)) {
    const minute = replay(MINUTE_FILE, '1-minute bar file (2006)');
    results.push({
      bench: 'ingest',
      name: `replay of the 1-minute bar file (${minute.messages.toLocaleString('en-US')} bars) through ingest`,
      value: minute.rate,
      unit: 'bars/s',
    });
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
report(results);
