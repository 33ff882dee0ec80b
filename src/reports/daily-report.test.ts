// The daily report's figures on the constructed day (day-fixture.test-support.ts), each checked against a
// value worked out by hand in the comments, and its Markdown, SVG and PDF outputs.

import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildDailyReport, reportDocument, writeDailyReport, type DailyReport } from './daily-report.ts';
import { loadDayData, type DayData } from './day-data.ts';
import { AAPL, DATE, fixtureRegistry, SECOND, T0, writeDayFixture } from './day-fixture.test-support.ts';
import { computeDayPnl } from './day-pnl.ts';
import { analyzeDay, costModelYaml, fitDayCosts, type DayTca } from './day-tca.ts';
import { renderHtml } from './document.ts';
import type { LedgerEntry } from '../ledger/index.ts';
import {
  clientOrderId,
  strategyId,
  tradeId,
  venueId,
  venueOrderId,
  type OrderFilled,
} from '../model/index.ts';
import { DEFAULT_CHROMIUM } from './pdf.ts';

const registry = fixtureRegistry();
let day: DayData;
let report: DailyReport;
let tca: DayTca;

beforeAll(async () => {
  const fixture = await writeDayFixture(mkdtempSync(join(tmpdir(), 'hf-daily-report-')));
  day = await loadDayData({ home: fixture.home, date: DATE });
  report = buildDailyReport(day, registry, { now: T0 + 3600 * SECOND });
  tca = analyzeDay(day, registry);
});

const row = <T extends { key: string }>(rows: readonly T[], key: string): T => {
  const found = rows.find((r) => r.key === key);
  if (!found) throw new Error(`no row ${key}`);
  return found;
};

describe('PnL', () => {
  it('by strategy, instrument and venue', () => {
    // alpha: bought 100 @ 100.06 = 10,006.00; sold 60 @ 100.50 + 40 @ 100.45 = 6,030.00 + 4,018.00 = 10,048.00
    //   realized 10,048.00 − 10,006.00 = 42.00; fees 1.00 + 0.60 + 0.40 = 2.00; flat, so unrealized 0; net 40.00
    // beta: bought 10 @ 200.00, last mid of the day 201.00 → unrealized 10 × 1.00 = 10.00; no fees; net 10.00
    const alpha = row(report.pnl.byStrategy, 'alpha');
    expect(alpha).toMatchObject({
      currency: 'USD',
      realizedMinor: 4200n,
      unrealizedMinor: 0n,
      feesMinor: 200n,
      netMinor: 4000n,
    });
    expect(alpha.fills).toBe(3);
    expect(alpha.notional).toBeCloseTo(10_006 + 10_048, 9);
    const beta = row(report.pnl.byStrategy, 'beta');
    expect(beta).toMatchObject({
      realizedMinor: 0n,
      unrealizedMinor: 1000n,
      feesMinor: 0n,
      netMinor: 1000n,
      fills: 1,
    });

    const msft = row(report.pnl.byInstrument, 'MSFT.SIM-A');
    expect(msft).toMatchObject({ position: 10, mark: 201, unrealizedMinor: 1000n });
    expect(row(report.pnl.byInstrument, 'AAPL.SIM-A')).toMatchObject({
      position: 0,
      realizedMinor: 4200n,
      netMinor: 4000n,
    });
    // one venue: the firm's total, 40.00 + 10.00
    expect(report.pnl.byVenue).toHaveLength(1);
    expect(row(report.pnl.byVenue, 'SIM-A')).toMatchObject({ netMinor: 5000n, fills: 4 });
    expect(report.pnl.totals).toEqual([
      { currency: 'USD', realizedMinor: 4200n, unrealizedMinor: 1000n, feesMinor: 200n, netMinor: 5000n },
    ]);
  });

  it('equity and drawdown over the day', () => {
    // Capital 100,000.00. The A1 fill at T0+1.003 s: fee 1.00, 100 AAPL bought at 100.06 marked at the mid in
    // force (100.02) → −4.00: equity 99,995.00, a drawdown of −5.00 from 100,000.00. Later highs: 100,043.20 at
    // T0+9.5 s (AAPL mid 100.50: +44.00 − 1.00 fee + 0.20 on MSFT at mid 200.02); after A2, 100,040.20 (−3.00).
    // End: 100,000 + 50.00 = 100,050.00.
    const [usd] = report.pnl.equity;
    expect(usd?.currency).toBe('USD');
    expect(usd?.startEquity).toBeCloseTo(100_000, 9);
    expect(usd?.endEquity).toBeCloseTo(100_050, 9);
    expect(usd?.maxDrawdown).toBeCloseTo(-5, 9);
    expect(usd?.maxDrawdownTime).toBe(T0 + 1.003 * SECOND);
    expect(usd?.high).toBeCloseTo(100_050, 9);
    expect(usd?.low).toBeCloseTo(99_995, 9);
  });

  it('exposure at the close', () => {
    // beta holds 10 MSFT at the last mid 201.00: 2,010.00 long; alpha is flat.
    expect(report.pnl.exposureByStrategy).toEqual([
      { key: 'beta', currency: 'USD', positions: 1, long: 2010, short: 0, gross: 2010, net: 2010 },
    ]);
    expect(report.pnl.largestPosition).toEqual({
      instrumentId: 'MSFT.SIM-A',
      currency: 'USD',
      quantity: 10,
      mark: 201,
      exposure: 2010,
      shareOfGross: 1,
    });
  });
});

describe('a position carried into the day', () => {
  it('counts day PnL from the day’s first recorded price', () => {
    const fill = (
      side: 'buy' | 'sell',
      quantity: number,
      price: number,
      fee: number,
      ts: number,
    ): OrderFilled => ({
      type: 'order_filled',
      clientOrderId: clientOrderId(`O-${ts}`),
      strategyId: strategyId('carry'),
      instrumentId: AAPL,
      venue: venueId('SIM-A'),
      venueOrderId: venueOrderId(`V-${ts}`),
      tradeId: tradeId(`T-${ts}`),
      side,
      lastQuantity: quantity,
      lastPrice: price,
      fee,
      feeCurrency: 'USD',
      liquidity: 'taker',
      leavesQuantity: 0,
      tsEvent: ts,
      tsInit: ts,
    });
    // Bought 10 @ 100.00 the day before; the day's marks open at 101.00 and close at 103.00; sold 5 @ 102.00
    // (fee 0.10) at T0+30 s. Opening: unrealized 10 × (101 − 100) = 10.00. Closing: realized 5 × (102 − 100)
    // = 10.00, unrealized 5 × (103 − 100) = 15.00. Day: realized 10.00, unrealized 15.00 − 10.00 = 5.00, fees
    // 0.10, net 14.90 (= 5 × (102 − 101) + 5 × (103 − 101) − 0.10).
    const sell = fill('sell', 5, 102, 0.1, T0 + 30 * SECOND);
    const entries: LedgerEntry[] = [
      { kind: 'deposit', ref: 'capital', currency: 'USD', amountMinor: 1_000_000n, tsEvent: 0 },
      { kind: 'fill', fill: fill('buy', 10, 100, 0, T0 - 15 * 3600 * SECOND) },
      { kind: 'fill', fill: sell },
    ];
    const carried: DayData = {
      ...day,
      orders: [],
      fills: [sell],
      ledgerEntries: entries,
      tape: {
        dir: '',
        day: DATE,
        messages: 2,
        problemCount: 0,
        problems: [],
        instruments: new Map([
          [
            AAPL,
            {
              instrumentId: AAPL,
              quotes: [],
              trades: [],
              marks: { times: Float64Array.of(T0, T0 + 60 * SECOND), prices: Float64Array.of(101, 103) },
              messages: 2,
              firstTime: T0,
              lastTime: T0 + 60 * SECOND,
            },
          ],
        ]),
      },
    };
    const pnl = computeDayPnl(carried, registry);
    expect(pnl.openingPositions).toBe(1);
    expect(pnl.byStrategy).toMatchObject([
      { key: 'carry', realizedMinor: 1000n, unrealizedMinor: 500n, feesMinor: 10n, netMinor: 1490n },
    ]);
    expect(buildDailyReport(carried, registry).notes).toContain(
      "1 position(s) were open when the day began: day PnL counts them from the day's first recorded price",
    );
  });
});

describe('rejects, reconciliation, incidents', () => {
  it('counts rejects by source and reason', () => {
    expect(
      report.rejects.map((r) => [r.source, r.command, r.reason, r.count, r.strategies.join(',')]),
    ).toEqual([
      ['risk', 'submit_order', 'RISK_MAX_NOTIONAL', 2, 'beta'],
      ['risk', 'submit_order', 'RISK_THROTTLE', 1, 'beta'],
      ['venue', 'submit_order', 'VENUE_REJECTED', 1, 'beta'],
    ]);
    expect(report.rejects[0]?.description).toBe('order notional above the maximum');
    expect(report.rejects[2]?.example).toBe('price outside band');
  });

  it('summarises reconciliation runs and alerts of the day only', () => {
    expect(report.reconciliation).toMatchObject({ runs: 2, clean: 1, withBreaks: 1, breaks: 1 });
    expect(report.reconciliation.byCode).toEqual({ RECON_MISSING_FILL: 1 });
    expect(report.reconciliation.listed[0]).toMatchObject({ code: 'RECON_MISSING_FILL', venue: 'SIM-A' });
    expect(report.incidents.map((g) => [g.severity, g.count])).toEqual([
      ['critical', 1],
      ['warning', 2],
    ]);
  });
});

describe('TCA of the day', () => {
  it('measures each routed order against the tape mid at decision and arrival', () => {
    const a1 = tca.report.orders.find((o) => o.clientOrderId === 'A1')!;
    // decision mid at T0+1 s: (99.98 + 100.02) / 2 = 100.00; arrival mid at T0+1.001 s: (100.00 + 100.04) / 2
    // = 100.02; average fill 100.06.
    expect(tca.benchmarks.get('A1')).toMatchObject({
      decisionTime: T0 + SECOND,
      arrivalTime: T0 + 1.001 * SECOND,
    });
    expect(tca.benchmarks.get('A1')?.decisionPrice).toBeCloseTo(100.0, 12);
    expect(tca.benchmarks.get('A1')?.arrivalPrice).toBeCloseTo(100.02, 12);
    // IS vs decision (100.06 − 100.00) / 100.00 × 10⁴ = 6.00 bps = 0.06 × 100 = 6.00 USD
    expect(a1.shortfallDecisionBps).toBeCloseTo(6.0, 9);
    expect(a1.shortfallDecisionMoney).toBeCloseTo(6.0, 9);
    // IS vs arrival 0.04 / 100.02 × 10⁴ = 3.99920016 bps
    expect(a1.shortfallArrivalBps).toBeCloseTo(3.99920016, 7);
    // effective spread at the fill: 2 × 0.04 / 100.02 × 10⁴ = 7.99840032 bps
    expect(a1.effectiveSpreadBps).toBeCloseTo(7.99840032, 7);
    // fees 1.00 / 10,006.00 × 10⁴ = 0.99940036 bps; the only trade on [arrival, fill] is the fill: VWAP 100.06
    expect(a1.feesBps).toBeCloseTo(0.99940036, 7);
    expect(a1.vwapSlippageBps).toBeCloseTo(0, 9);
    // 1 s markout: the mid in force at T0+2.003 s is 100.02 → (100.02 − 100.06) / 100.06 × 10⁴ = −3.99760144
    expect(a1.markoutsBps[0]).toBeCloseTo(-3.99760144, 7);

    // A2 sells 100 at an average of 10,048 / 100 = 100.48 against a decision mid of 100.50:
    // −(100.48 − 100.50) / 100.50 × 10⁴ = 1.99004975 bps
    const a2 = tca.report.orders.find((o) => o.clientOrderId === 'A2')!;
    expect(a2.shortfallDecisionBps).toBeCloseTo(1.99004975, 7);
    // B1 buys at its limit 200.00 below the decision mid 200.02: −0.02 / 200.02 × 10⁴ = −0.99990001 (a gain)
    const b1 = tca.report.orders.find((o) => o.clientOrderId === 'B1')!;
    expect(b1.shortfallDecisionBps).toBeCloseTo(-0.99990001, 7);
    // alpha: A1 and A2 weighted by filled quantity (100 each): (6.00 + 1.99004975) / 2 = 3.99502488
    const alpha = tca.report.byStrategy.find((s) => s.key === 'alpha')!;
    expect(alpha.shortfallDecisionBps).toBeCloseTo(3.99502488, 7);
    expect(alpha.shortfallDecisionMoney).toBeCloseTo(6.0 + 2.0, 9);
  });

  it('leaves out orders that never reached a venue, and counts why', () => {
    // A1, B1, B3 (rejected by the venue, unfilled) and A2 reached SIM-A; B2, B4 and B5 were denied by risk.
    expect(tca.report.orders.map((o) => o.clientOrderId)).toEqual(['A1', 'B1', 'B3', 'A2']);
    expect(tca.counts).toEqual({ REPORT_TCA_DENIED: 3 });
    expect(report.tca).toMatchObject({ orders: 4, filledOrders: 3, excluded: { REPORT_TCA_DENIED: 3 } });
  });

  it('refits the venue cost model and prints it as registry YAML', () => {
    const fits = fitDayCosts(tca, registry);
    expect(fits.map((f) => f.venue)).toEqual(['SIM-A']);
    const yaml = costModelYaml(fits, DATE).join('\n');
    expect(yaml).toContain('venues:\n  SIM-A:');
    expect(yaml).toContain('# fees: 4 fill(s)');
    // A1's fill and A2's two are taker fills with a quote; B1's is a maker fill
    expect(yaml).toContain('# slippage: 3 taker fill(s) with a quote');
    expect(yaml).toMatch(/slippageBps: -?\d/);
  });
});

describe('report outputs', () => {
  it('writes Markdown with the sections and the charts beside it', async () => {
    const out = mkdtempSync(join(tmpdir(), 'hf-report-out-'));
    const written = await writeDailyReport(report, out, ['md']);
    expect(written.files.map((f) => f.slice(out.length + 1))).toEqual([
      'equity-USD.svg',
      'drawdown-USD.svg',
      'report.md',
    ]);
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    for (const heading of [
      '# Daily report 2024-01-02',
      '## Key figures',
      '## PnL',
      '## Equity and drawdown',
      '## Risk at the close',
      '## Orders and rejects',
      '## Execution quality (TCA)',
      '## Reconciliation',
      '## Incidents',
    ])
      expect(md).toContain(heading);
    expect(md).toContain('| Net PnL (USD) | 50.00 |');
    expect(md).toContain('| alpha | USD | 3 | 20,054.00 | 42.00 | 0.00 | 2.00 | 40.00 |');
    expect(md).toContain('| risk | submit_order | RISK_MAX_NOTIONAL | 2 | beta |');
    expect(md).toContain('| RECON_MISSING_FILL | 1 |');
    expect(md).toContain('![Equity (USD)](equity-USD.svg)');
    expect(md).toMatch(/\| alpha \| 2 \| 2 \| 20,054\.00 \| [\d.]+ \| 4\.00 \|/);
    // only the first line of a multi-line alert message
    expect(md).toContain('| beta threw in onTick |');
    expect(md).not.toContain('Beta.onTick');
    const svg = readFileSync(join(out, 'equity-USD.svg'), 'utf8');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('<polyline');
  });

  it('inlines the charts in the HTML the PDF is printed from', () => {
    const html = renderHtml(reportDocument(report).document);
    expect(html.match(/<svg /g)).toHaveLength(2);
    expect(html).toContain('<h2>Execution quality (TCA)</h2>');
    expect(html).not.toContain('equity-USD.svg');
  });

  it('says how to install Chromium when it is missing, and still writes the Markdown', async () => {
    const out = mkdtempSync(join(tmpdir(), 'hf-report-out-'));
    const written = await writeDailyReport(report, out, ['md', 'pdf'], {
      executablePath: '/nonexistent/chromium',
    });
    expect(written.pdfError).toContain('no Chromium at /nonexistent/chromium: install Chromium');
    expect(existsSync(join(out, 'report.md'))).toBe(true);
    expect(existsSync(join(out, 'report.pdf'))).toBe(false);
  });

  it.skipIf(!existsSync(DEFAULT_CHROMIUM))('prints a PDF with Chromium', async () => {
    const out = mkdtempSync(join(tmpdir(), 'hf-report-out-'));
    const written = await writeDailyReport(report, out, ['pdf']);
    expect(written.pdfError).toBeUndefined();
    const pdf = readFileSync(join(out, 'report.pdf'));
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdf.toString('latin1')).toMatch(/\/Type\s*\/Page[^s]/);
  });
});
