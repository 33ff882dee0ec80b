// Translation between the platform and IB: contracts, order types, statuses, error codes, times, redaction.

import { describe, expect, it } from 'vitest';
import { describeReason } from '../../common/errors.ts';
import { makeInstrument, type AssetClass } from '../../model/index.ts';
import { parseIbkrSettings } from './config.ts';
import {
  AccountRedactor,
  classifyIbError,
  contractFor,
  formatExecutionFilterTime,
  ibOrderType,
  ibStatusClass,
  parseIbTime,
  platformOrderType,
  platformSide,
  platformTimeInForce,
  rawExcerpt,
  reportStatus,
} from './parsing.ts';

const instrument = (symbol: string, assetClass: AssetClass, currency = 'USD') =>
  makeInstrument({
    symbol,
    venue: 'IBKR',
    assetClass,
    currency,
    tickSize: 0.01,
    lotSize: 1,
    region: 'US',
    sector: 'x',
  });

describe('contracts', () => {
  const settings = parseIbkrSettings({
    contracts: {
      ES: { secType: 'FUT', exchange: 'CME', lastTradeDateOrContractMonth: '202412', multiplier: 50 },
      BRKB: { symbol: 'BRK B', primaryExchange: 'NYSE', conId: 72063691 },
    },
  });

  it('equities default to STK on the routing exchange in their currency', () => {
    expect(contractFor(instrument('AAPL', 'equity'), settings)).toEqual({
      symbol: 'AAPL',
      secType: 'STK',
      exchange: 'SMART',
      currency: 'USD',
    });
  });

  it('FX pairs are CASH on IDEALPRO: base currency as symbol, quote as currency', () => {
    expect(contractFor(instrument('EUR.USD', 'fx'), settings)).toEqual({
      symbol: 'EUR',
      secType: 'CASH',
      exchange: 'IDEALPRO',
      currency: 'USD',
    });
  });

  it('other asset classes need a contracts entry; an entry overrides the defaults', () => {
    expect(contractFor(instrument('NQ', 'future'), settings)).toBeUndefined();
    expect(contractFor(instrument('ES', 'future'), settings)).toEqual({
      symbol: 'ES',
      secType: 'FUT',
      exchange: 'CME',
      currency: 'USD',
      lastTradeDateOrContractMonth: '202412',
      multiplier: 50,
    });
    expect(contractFor(instrument('BRKB', 'equity'), settings)).toMatchObject({
      symbol: 'BRK B',
      primaryExch: 'NYSE',
      conId: 72063691,
    });
  });
});

describe('orders and statuses', () => {
  it('maps the four order types both ways; other IB types have no platform word', () => {
    for (const type of ['market', 'limit', 'stop', 'stop_limit'] as const)
      expect(platformOrderType(ibOrderType(type))).toBe(type);
    expect(ibOrderType('stop_limit')).toBe('STP LMT');
    expect(platformOrderType('TRAIL')).toBeUndefined();
  });

  it('maps times in force and sides', () => {
    expect(['DAY', 'GTC', 'IOC', 'FOK', 'GTD', 'OPG', 'GTX'].map(platformTimeInForce)).toEqual([
      'DAY',
      'GTC',
      'IOC',
      'FOK',
      'GTC',
      'DAY',
      undefined,
    ]);
    expect(['BUY', 'BOT', 'SELL', 'SLD', 'SSHORT', 'X'].map(platformSide)).toEqual([
      'buy',
      'buy',
      'sell',
      'sell',
      'sell',
      undefined,
    ]);
  });

  it('classifies IB order statuses and reports them as platform statuses', () => {
    expect(
      [
        'PendingSubmit',
        'PreSubmitted',
        'Submitted',
        'PendingCancel',
        'Filled',
        'ApiCancelled',
        'Inactive',
        'Odd',
      ].map(ibStatusClass),
    ).toEqual([
      'pending',
      'working',
      'working',
      'pending_cancel',
      'filled',
      'canceled',
      'inactive',
      undefined,
    ]);
    expect(reportStatus('working', 0, 100, true)).toBe('ACCEPTED');
    expect(reportStatus('working', 40, 100, true)).toBe('PARTIALLY_FILLED');
    expect(reportStatus('filled', 100, 100, true)).toBe('FILLED');
    expect(reportStatus('inactive', 0, 100, false)).toBe('REJECTED');
    expect(reportStatus('inactive', 0, 100, true)).toBe('CANCELED');
  });
});

describe('IB error codes', () => {
  it('maps each code to what it means and a catalogued reason', () => {
    const cases: [number, string, string][] = [
      [100, 'pacing', 'VENUE_IB_PACING'],
      [103, 'order', 'VENUE_IB_DUPLICATE_ORDER_ID'],
      [110, 'order', 'VENUE_INVALID_ORDER'],
      [200, 'order', 'VENUE_IB_UNKNOWN_CONTRACT'],
      [201, 'order', 'VENUE_IB_ORDER_REJECTED'],
      [202, 'canceled', 'VENUE_CANCELED_BY_VENUE'],
      [10148, 'order', 'VENUE_ORDER_CLOSED'],
      [326, 'client_id_in_use', 'VENUE_IB_CLIENT_ID_IN_USE'],
      [1100, 'connectivity_lost', 'VENUE_IB_CONNECTIVITY_LOST'],
      [1102, 'connectivity_restored', 'VENUE_IB_CONNECTIVITY_LOST'],
      [505, 'malformed', 'VENUE_MALFORMED_MESSAGE'],
      [2104, 'notice', 'VENUE_REJECTED'],
      [354, 'market_data', 'VENUE_REJECTED'],
      [99_999, 'order', 'VENUE_REJECTED'],
    ];
    for (const [code, kind, reason] of cases)
      expect([code, classifyIbError(code)]).toEqual([code, { kind, reason }]);
    for (const [code] of cases)
      expect(describeReason(classifyIbError(code).reason)).not.toBe(classifyIbError(code).reason);
  });
});

describe('times', () => {
  it('reads TWS 10 times with a zone, in winter and in summer', () => {
    // 09:30 New York is 14:30 UTC in January (EST, UTC−5) and 13:30 UTC in July (EDT, UTC−4).
    expect(parseIbTime('20240102 09:30:00 US/Eastern', 'UTC')).toBe(Date.UTC(2024, 0, 2, 14, 30) * 1000);
    expect(parseIbTime('20240702 09:30:00 America/New_York', 'UTC')).toBe(
      Date.UTC(2024, 6, 2, 13, 30) * 1000,
    );
  });

  it('right after a daylight-saving jump', () => {
    // 2024-03-10 02:00 EST jumps to 03:00 EDT: 03:30 EDT is 07:30 UTC.
    expect(parseIbTime('20240310 03:30:00 America/New_York', 'UTC')).toBe(
      Date.UTC(2024, 2, 10, 7, 30) * 1000,
    );
  });

  it('reads times without a zone in the default zone, dashed times as UTC, and unix seconds', () => {
    // London in January is UTC+0.
    expect(parseIbTime('20240102  09:30:00', 'Europe/London')).toBe(Date.UTC(2024, 0, 2, 9, 30) * 1000);
    // Paris in January is UTC+1: 10:30 there is 09:30 UTC.
    expect(parseIbTime('20240102 10:30:00', 'Europe/Paris')).toBe(Date.UTC(2024, 0, 2, 9, 30) * 1000);
    expect(parseIbTime('20240102-14:30:05', 'Europe/Paris')).toBe(Date.UTC(2024, 0, 2, 14, 30, 5) * 1000);
    expect(parseIbTime('1704205800', 'UTC')).toBe(1_704_205_800_000_000);
  });

  it('gives undefined for what it cannot read', () => {
    expect(parseIbTime('yesterday', 'UTC')).toBeUndefined();
    expect(parseIbTime('20240102 09:30:00 Mars/Olympus', 'UTC')).toBeUndefined();
    expect(parseIbTime(undefined, 'UTC')).toBeUndefined();
  });

  it('writes the execution filter time in UTC', () => {
    expect(formatExecutionFilterTime(Date.UTC(2024, 0, 2, 14, 30, 5) * 1000 + 999)).toBe('20240102-14:30:05');
  });
});

describe('redaction', () => {
  it('masks configured accounts and anything shaped like an IB account code', () => {
    const redactor = new AccountRedactor();
    redactor.add('ACME42');
    expect(redactor.redact('orders of DU1234567 and U7654321 for ACME42, permId 1000001')).toBe(
      'orders of *** and *** for ***, permId 1000001',
    );
    expect(rawExcerpt(['11', '-1', 'DU1234567', 'x'.repeat(300)], redactor, 20)).toBe(
      '11|-1|***|xxxxxxxxxx…',
    );
  });
});
