// The post-close routine end to end: `hf run` for 4 s in a private home, then `hf report --format md,pdf` and
// `hf tca --json` on its day. The report has every section with figures that agree with `hf tca` and with the
// session's store, and the PDF is a real PDF whose first page renders.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.ts';
import { formatBps, formatMoney } from '../../src/reports/format.ts';
import { PgliteStore } from '../../src/store/pglite.ts';
import { runHf, tempHome } from '../helpers.ts';

// These runs are of the embedded deployment, whatever servers the test environment provides.
delete process.env.DATABASE_URL;

/** The real `hf` program, in process. */
async function hf(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  let code = 0;
  const io = { out: (l: string) => void (out += l + '\n'), err: (l: string) => void (err += l + '\n') };
  const setExit = (c: number): void => {
    code = c;
  };
  const program = buildProgram(io, setExit);
  await program.parseAsync(['node', 'hf', ...args]);
  return { code, out, err };
}

interface TcaAggregateJson {
  key: string;
  orders: number;
  filledOrders: number;
  shortfallDecisionBps: number | null;
  shortfallArrivalBps: number | null;
}

/** The rows of the Markdown table that follows `caption` inside the section `heading`. */
function tableRows(markdown: string, heading: string, caption: string): string[][] {
  const section = markdown.split('\n## ').find((s) => s.startsWith(heading)) ?? '';
  const after = section.split(`**${caption}**`)[1] ?? '';
  const lines = after.split('\n');
  const first = lines.findIndex((l) => l.startsWith('|'));
  const rows: string[][] = [];
  // the header and the alignment rule, then rows up to the end of the table
  for (const line of lines.slice(first + 2)) {
    if (first < 0 || !line.startsWith('|')) break;
    rows.push(
      line
        .slice(1, -1)
        .split(' | ')
        .map((cell) => cell.trim()),
    );
  }
  return rows;
}

describe('hf report and hf tca after hf run', () => {
  it('reports the day with figures that agree with hf tca and the store, as Markdown and a PDF', async () => {
    const home = tempHome('hf-e2e-report-');
    const run = await runHf(['--home', home, 'run', '--duration', '4', '--no-api', '--quiet']);
    expect(run.code, run.stderr).toBe(0);
    const session = /session (\S+)/.exec(run.stdout)?.[1] ?? '';
    const name = session.slice(session.lastIndexOf('/') + 1);
    const date = `${name.slice(0, 4)}-${name.slice(4, 6)}-${name.slice(6, 8)}`;

    const report = await hf('--home', home, 'report', '--date', date, '--format', 'md,pdf');
    expect(report.err).toBe('');
    expect(report.code).toBe(0);
    const dir = join(home, 'reports', date);
    expect(report.out).toContain(`wrote ${join(dir, 'report.md')}`);
    expect(report.out).toContain(`wrote ${join(dir, 'report.pdf')}`);

    const tca = await hf('--home', home, 'tca', '--json', '--date', date);
    expect(tca.code, tca.err).toBe(0);
    const analysis = JSON.parse(tca.out) as {
      orders: unknown[];
      fills: { fee: number }[];
      byStrategy: TcaAggregateJson[];
      byVenue: TcaAggregateJson[];
    };
    expect(analysis.orders.length).toBeGreaterThan(0);

    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    for (const heading of [
      'Key figures',
      'PnL',
      'Equity and drawdown',
      'Risk at the close',
      'Orders and rejects',
      'Execution quality (TCA)',
      'Reconciliation',
      'Incidents',
    ])
      expect(md).toContain(`\n## ${heading}\n`);

    // The store of record: fills and fees as booked.
    const store = await PgliteStore.open(join(session, 'pgdata'));
    const fills = (await store.loadLedgerEntries()).flatMap((e) => (e.kind === 'fill' ? [e.fill] : []));
    await store.close();
    expect(fills.length).toBeGreaterThan(0);
    const fees = fills.reduce((sum, f) => sum + Math.round(f.fee * 100), 0) / 100;
    expect(md).toContain(`| Fills | ${fills.length} |`);
    expect(md).toMatch(
      new RegExp(
        `\\| Realized / unrealized / fees \\(USD\\) \\| [-\\d.,]+ / [-\\d.,]+ / ${formatMoney(fees).replace(/[.,]/g, '\\$&')} \\|`,
      ),
    );
    expect(md).toMatch(/\| Net PnL \(USD\) \| -?[\d,]+\.\d\d \|/);
    expect(analysis.fills).toHaveLength(fills.length);

    // TCA in the report = hf tca, strategy by strategy and venue by venue.
    for (const [caption, rows] of [
      ['By strategy', analysis.byStrategy],
      ['By venue', analysis.byVenue],
    ] as const) {
      const table = tableRows(md, 'Execution quality (TCA)', caption);
      expect(table.map((r) => r[0])).toEqual(rows.map((r) => r.key));
      for (const aggregate of rows) {
        const cells = table.find((r) => r[0] === aggregate.key) ?? [];
        expect(cells.slice(1, 3)).toEqual([String(aggregate.orders), String(aggregate.filledOrders)]);
        expect(cells[5]).toBe(formatBps(aggregate.shortfallDecisionBps));
        expect(cells[6]).toBe(formatBps(aggregate.shortfallArrivalBps));
      }
    }
    // PnL and exposure tables have rows; the equity chart is beside the Markdown.
    expect(tableRows(md, 'PnL', 'By strategy').length).toBeGreaterThan(0);
    expect(tableRows(md, 'PnL', 'By instrument').length).toBeGreaterThan(0);
    expect(readFileSync(join(dir, 'equity-USD.svg'), 'utf8')).toContain('<polyline');

    const pdf = readFileSync(join(dir, 'report.pdf'));
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const pdftoppm = spawnSync('pdftoppm', ['-v'], { encoding: 'utf8' });
    if (pdftoppm.error === undefined) {
      const prefix = join(dir, 'page');
      const render = spawnSync(
        'pdftoppm',
        ['-r', '60', '-png', '-f', '1', '-l', '1', join(dir, 'report.pdf'), prefix],
        {
          encoding: 'utf8',
        },
      );
      expect(render.status, render.stderr).toBe(0);
      const png = [`${prefix}-1.png`, `${prefix}-01.png`].find((f) => existsSync(f)) ?? '';
      const image = readFileSync(png);
      expect(image.subarray(1, 4).toString('latin1')).toBe('PNG');
      // a page with nothing but the footer renders to about 3 kB at 60 dpi; the first page has tables and a chart
      expect(statSync(png).size).toBeGreaterThan(15_000);
    } else expect(pdf.length).toBeGreaterThan(10_000);
  });
});
