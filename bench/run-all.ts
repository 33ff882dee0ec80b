// `npm run bench`: runs every bench in its own process (a fresh heap and JIT each), one after another, then
// prints one summary table against the ARCHITECTURE.md §7 budgets and writes it to bench/RESULTS.md.
// Exit code 1 if a bench crashed; with BENCH_STRICT=1 also if a budget was missed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as prettier from 'prettier';
import { describeMachine, machineDetails } from './machine.ts';
import { RESULT_FILE_VARIABLE, formatBudget, formatFigure, passes, type BenchResult } from './results.ts';

const ROOT = resolve(import.meta.dirname, '..');
const BENCHES = [
  'risk.bench.ts',
  'paper-venue.bench.ts',
  'pipeline.bench.ts',
  'latency.bench.ts',
  'redis-bus.bench.ts',
  'distributed.bench.ts',
  'backtest.bench.ts',
  'retention.bench.ts',
  'ingest.bench.ts',
  'greeks.bench.ts',
  'ws-gateway.bench.ts',
  'ibkr.bench.ts',
  'var.bench.ts',
  'zerodha.bench.ts',
] as const;

interface Row {
  readonly bench: string;
  readonly name: string;
  readonly figure: string;
  readonly budget: string;
  readonly status: 'pass' | 'FAIL' | '—' | 'CRASHED';
}

const machine = machineDetails();
const started = Date.now();
console.log(`bench suite on ${describeMachine(machine)}`);
const work = mkdtempSync(join(tmpdir(), 'hf-bench-'));
const rows: Row[] = [];
let crashed = 0;
let missed = 0;

for (const bench of BENCHES) {
  const resultFile = join(work, `${bench}.jsonl`);
  const t0 = Date.now();
  const child = spawnSync(process.execPath, [join(ROOT, 'bin', 'run-ts.mjs'), join('bench', bench)], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, [RESULT_FILE_VARIABLE]: resultFile },
  });
  const seconds = ((Date.now() - t0) / 1000).toFixed(1);
  const results: BenchResult[] = existsSync(resultFile)
    ? readFileSync(resultFile, 'utf8')
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line) => JSON.parse(line) as BenchResult)
    : [];
  for (const r of results) {
    const verdict = passes(r);
    if (verdict === false) missed++;
    rows.push({
      bench: bench.replace('.bench.ts', ''),
      name: r.name,
      figure: formatFigure(r) + (r.note ? ` (${r.note})` : ''),
      budget: formatBudget(r),
      status: verdict === undefined ? '—' : verdict ? 'pass' : 'FAIL',
    });
  }
  if (child.status !== 0) {
    crashed++;
    const why = child.error ? child.error.message : `exit ${child.status ?? child.signal}`;
    rows.push({
      bench: bench.replace('.bench.ts', ''),
      name: `${bench} crashed (${why})`,
      figure: '—',
      budget: '—',
      status: 'CRASHED',
    });
  }
  console.log(`(${bench}: ${seconds} s)`);
}
rmSync(work, { recursive: true, force: true });

const header = ['bench', 'figure', 'value', 'budget (§7)', 'vs budget'] as const;
const table = rows.map((r) => [r.bench, r.name, r.figure, r.budget, r.status]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => (row[i] ?? '').length)));
const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
console.log(`\n== summary (${((Date.now() - started) / 1000).toFixed(0)} s) ==`);
console.log(`machine: ${describeMachine(machine)}`);
console.log(line(header));
console.log(line(widths.map((w) => '-'.repeat(w))));
for (const row of table) console.log(line(row));
console.log(
  `${rows.filter((r) => r.status === 'pass').length} within budget, ${missed} over budget, ${crashed} crashed`,
);

const escape = (s: string): string => s.replaceAll('|', '\\|');
const markdown = [
  '# Benchmark results',
  '',
  'Written by `npm run bench` (bench/run-all.ts); overwritten on every run. Budgets: ARCHITECTURE.md §7.',
  '',
  `- CPU: ${machine.cpu}, ${machine.cores} cores`,
  `- Memory: ${machine.memoryGiB} GiB`,
  `- Node: ${machine.node} (V8 ${machine.v8})`,
  `- OS: ${machine.os}`,
  `- Date: ${machine.date}`,
  '',
  `| ${header.join(' | ')} |`,
  `| ${header.map(() => '---').join(' | ')} |`,
  ...table.map((row) => `| ${row.map(escape).join(' | ')} |`),
  '',
  `${rows.filter((r) => r.status === 'pass').length} within budget, ${missed} over budget, ${crashed} crashed.`,
  '',
].join('\n');
const resultsFile = join(ROOT, 'bench', 'RESULTS.md');
// Formatted like the rest of the repository, so `npm run format:check` passes on the generated file.
const options = (await prettier.resolveConfig(resultsFile)) ?? {};
writeFileSync(resultsFile, await prettier.format(markdown, { ...options, parser: 'markdown' }));
console.log('written to bench/RESULTS.md');

if (crashed > 0 || (missed > 0 && process.env.BENCH_STRICT === '1')) process.exitCode = 1;
