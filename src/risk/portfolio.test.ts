// RiskPortfolio invariants under random event sequences: incremental exposure totals equal a recomputation from
// the holdings, positions and open quantities equal an independent model, and a duplicate fill is a no-op.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  clientOrderId,
  makeInstrument,
  strategyId,
  tradeId,
  venueId,
  venueOrderId,
  type Instrument,
  type OrderFilled,
  type OrderRequest,
  type OrderSide,
} from '../model/index.ts';
import { RiskPortfolio, type ExposureTotals } from './portfolio.ts';

const INSTRUMENTS: readonly Instrument[] = [
  makeInstrument({
    symbol: 'AAA',
    venue: 'V',
    assetClass: 'equity',
    currency: 'USD',
    tickSize: 0.01,
    lotSize: 1,
    region: 'US',
    sector: 'tech',
  }),
  makeInstrument({
    symbol: 'BBB',
    venue: 'V',
    assetClass: 'equity',
    currency: 'USD',
    tickSize: 0.01,
    lotSize: 1,
    region: 'US',
    sector: 'energy',
  }),
  makeInstrument({
    symbol: 'CCC',
    venue: 'V',
    assetClass: 'equity',
    currency: 'EUR',
    tickSize: 0.01,
    lotSize: 0.1,
    region: 'EU',
    sector: 'tech',
  }),
  makeInstrument({
    symbol: 'FUT',
    venue: 'V',
    assetClass: 'future',
    currency: 'USD',
    tickSize: 0.25,
    lotSize: 1,
    multiplier: 50,
    region: 'US',
    sector: 'index',
  }),
];
const FX: Readonly<Record<string, number>> = { USD: 1, EUR: 1.1 };
const STRATEGIES = ['s1', 's2', 's3'];

type Op =
  | { kind: 'tick'; instrument: number; price: number }
  | { kind: 'order'; strategy: number; instrument: number; side: OrderSide; lots: number; price: number }
  | { kind: 'fill'; order: number; lots: number; price: number; replay: boolean }
  | { kind: 'external'; strategy: number; instrument: number; side: OrderSide; lots: number; price: number }
  | { kind: 'cancel'; order: number }
  | { kind: 'modify'; order: number; lots: number; price: number };

const price = fc.integer({ min: 100, max: 20_000 }).map((cents) => cents / 100);
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('tick' as const), instrument: fc.nat(3), price }),
  fc.record({
    kind: fc.constant('order' as const),
    strategy: fc.nat(2),
    instrument: fc.nat(3),
    side: fc.constantFrom<OrderSide>('buy', 'sell'),
    lots: fc.integer({ min: 1, max: 500 }),
    price,
  }),
  fc.record({
    kind: fc.constant('fill' as const),
    order: fc.nat(40),
    lots: fc.integer({ min: 1, max: 300 }),
    price,
    replay: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('external' as const),
    strategy: fc.nat(2),
    instrument: fc.nat(3),
    side: fc.constantFrom<OrderSide>('buy', 'sell'),
    lots: fc.integer({ min: 1, max: 500 }),
    price,
  }),
  fc.record({ kind: fc.constant('cancel' as const), order: fc.nat(40) }),
  fc.record({
    kind: fc.constant('modify' as const),
    order: fc.nat(40),
    lots: fc.integer({ min: 1, max: 500 }),
    price,
  }),
);

interface ModelOrder {
  request: OrderRequest;
  quantity: number;
  filled: number;
  open: boolean;
}

function lotsToQuantity(instrument: Instrument, lots: number): number {
  return Math.round(lots * instrument.lotSize * 1e9) / 1e9;
}

function expectClose(actual: ExposureTotals, expected: ExposureTotals): void {
  for (const key of ['gross', 'netLong', 'netShort'] as const)
    expect(Math.abs(actual[key] - expected[key])).toBeLessThan(1e-6 * (1 + Math.abs(expected[key])));
}

describe('RiskPortfolio', () => {
  it('keeps incremental totals, positions, open quantities and cash equal to a recomputation (property)', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const portfolio = new RiskPortfolio(INSTRUMENTS);
        portfolio.revalue((i) => i.multiplier * (FX[i.currency] ?? 1));
        const orders: ModelOrder[] = [];
        const positions = new Map<string, number>();
        const cashFlows = new Map<string, number>();
        /** Per strategy, fills' cash in the base currency (for the P&L). */
        const baseCash = new Map<string, number>();
        const marks = new Map<string, number>();
        const referenced = new Set<string>();
        let trades = 0;
        const fillOf = (
          request: Pick<OrderRequest, 'clientOrderId' | 'strategyId' | 'instrumentId' | 'side'>,
          quantity: number,
          at: number,
          leaves: number,
        ): OrderFilled => ({
          type: 'order_filled',
          clientOrderId: request.clientOrderId,
          strategyId: request.strategyId,
          instrumentId: request.instrumentId,
          venue: venueId('V'),
          venueOrderId: venueOrderId('v'),
          tradeId: tradeId(`t${++trades}`),
          side: request.side,
          lastQuantity: quantity,
          lastPrice: at,
          fee: 0,
          feeCurrency: 'USD',
          liquidity: 'taker',
          leavesQuantity: leaves,
          tsEvent: 0,
          tsInit: 0,
        });
        const book = (fill: OrderFilled): void => {
          const instrument = INSTRUMENTS.find((i) => i.id === fill.instrumentId) as Instrument;
          const key = `${fill.strategyId}|${fill.instrumentId}`;
          const sign = fill.side === 'buy' ? 1 : -1;
          positions.set(key, (positions.get(key) ?? 0) + sign * fill.lastQuantity);
          const flow = -sign * fill.lastQuantity * fill.lastPrice * instrument.multiplier;
          cashFlows.set(instrument.currency, (cashFlows.get(instrument.currency) ?? 0) + flow);
          const strategyCash = (baseCash.get(fill.strategyId) ?? 0) + flow * (FX[instrument.currency] ?? 1);
          baseCash.set(fill.strategyId, strategyCash);
          // Without market data, the last fill marks the instrument.
          if (!referenced.has(instrument.id)) marks.set(instrument.id, fill.lastPrice);
        };

        for (const o of ops) {
          switch (o.kind) {
            case 'tick': {
              const instrument = INSTRUMENTS[o.instrument] as Instrument;
              portfolio.setReferencePrice(instrument.id, o.price, 0);
              marks.set(instrument.id, o.price);
              referenced.add(instrument.id);
              break;
            }
            case 'order': {
              const instrument = INSTRUMENTS[o.instrument] as Instrument;
              const request: OrderRequest = {
                clientOrderId: clientOrderId(`c${orders.length}`),
                strategyId: strategyId(STRATEGIES[o.strategy] as string),
                instrumentId: instrument.id,
                side: o.side,
                type: 'limit',
                quantity: lotsToQuantity(instrument, o.lots),
                price: o.price,
                timeInForce: 'GTC',
                reduceOnly: false,
                tsInit: 0,
              };
              portfolio.addOpenOrder(request, o.price);
              if (!marks.has(instrument.id)) marks.set(instrument.id, o.price);
              orders.push({ request, quantity: request.quantity, filled: 0, open: true });
              break;
            }
            case 'fill': {
              const order = orders[o.order];
              if (!order?.open) break;
              const instrument = INSTRUMENTS.find((i) => i.id === order.request.instrumentId) as Instrument;
              const leavesBefore = lotsToQuantity(
                instrument,
                (order.quantity - order.filled) / instrument.lotSize,
              );
              const quantity = Math.min(lotsToQuantity(instrument, o.lots), leavesBefore);
              const leaves = lotsToQuantity(instrument, (leavesBefore - quantity) / instrument.lotSize);
              const fill = fillOf(order.request, quantity, o.price, leaves);
              expect(portfolio.applyFill(fill)).toBe(true);
              if (o.replay) expect(portfolio.applyFill(fill)).toBe(false);
              book(fill);
              order.filled = lotsToQuantity(instrument, (order.quantity - leaves) / instrument.lotSize);
              if (leaves === 0) order.open = false;
              break;
            }
            case 'external': {
              const instrument = INSTRUMENTS[o.instrument] as Instrument;
              const fill = fillOf(
                {
                  clientOrderId: clientOrderId('external'),
                  strategyId: strategyId(STRATEGIES[o.strategy] as string),
                  instrumentId: instrument.id,
                  side: o.side,
                },
                lotsToQuantity(instrument, o.lots),
                o.price,
                0,
              );
              portfolio.applyFill(fill);
              book(fill);
              break;
            }
            case 'cancel': {
              const order = orders[o.order];
              if (!order) break;
              portfolio.applyOrderEvent({
                type: 'order_canceled',
                clientOrderId: order.request.clientOrderId,
                strategyId: order.request.strategyId,
                instrumentId: order.request.instrumentId,
                reason: 'VENUE_USER_CANCELED',
                tsEvent: 0,
                tsInit: 0,
              });
              order.open = false;
              break;
            }
            case 'modify': {
              const order = orders[o.order];
              if (!order?.open) break;
              const instrument = INSTRUMENTS.find((i) => i.id === order.request.instrumentId) as Instrument;
              const quantity = lotsToQuantity(instrument, o.lots);
              portfolio.applyOrderEvent({
                type: 'order_modified',
                clientOrderId: order.request.clientOrderId,
                strategyId: order.request.strategyId,
                instrumentId: order.request.instrumentId,
                quantity,
                price: o.price,
                triggerPrice: undefined,
                tsEvent: 0,
                tsInit: 0,
              });
              order.quantity = quantity;
              order.request = { ...order.request, price: o.price };
              if (quantity <= order.filled) order.open = false;
              break;
            }
          }
        }

        // Positions and open quantities against the model.
        const expectedOpen = new Map<string, { buy: number; sell: number }>();
        const committed = new Map<string, number>();
        for (const order of orders) {
          if (!order.open) continue;
          const instrument = INSTRUMENTS.find((i) => i.id === order.request.instrumentId) as Instrument;
          const leaves = order.quantity - order.filled;
          for (const key of [`${order.request.strategyId}|${instrument.id}`, `firm|${instrument.id}`]) {
            const open = expectedOpen.get(key) ?? { buy: 0, sell: 0 };
            if (order.request.side === 'buy') open.buy += leaves;
            else open.sell += leaves;
            expectedOpen.set(key, open);
          }
          if (order.request.side === 'buy')
            committed.set(
              instrument.currency,
              (committed.get(instrument.currency) ?? 0) +
                leaves * (order.request.price ?? 0) * instrument.multiplier,
            );
        }
        expect(portfolio.openOrderCount()).toBe(orders.filter((x) => x.open).length);
        const expectedTotals = new Map<string, ExposureTotals>();
        const add = (key: string, p: number, b: number, s: number, value: number): void => {
          const t = expectedTotals.get(key) ?? { gross: 0, netLong: 0, netShort: 0 };
          t.gross += Math.max(Math.abs(p + b), Math.abs(p - s)) * value;
          t.netLong += (p + b) * value;
          t.netShort += (p - s) * value;
          expectedTotals.set(key, t);
        };
        for (const instrument of INSTRUMENTS) {
          const e = portfolio.instruments.get(instrument.id);
          if (!e) throw new Error('instrument missing');
          expect(e.markPrice).toBe(marks.get(instrument.id) ?? 0);
          const value =
            (marks.get(instrument.id) ?? 0) * instrument.multiplier * (FX[instrument.currency] ?? 1);
          let firm = 0;
          for (const strategy of STRATEGIES) {
            const key = `${strategy}|${instrument.id}`;
            const p = positions.get(key) ?? 0;
            firm += p;
            const open = expectedOpen.get(key) ?? { buy: 0, sell: 0 };
            const h = portfolio.strategies.get(strategy)?.holdings.get(instrument.id);
            expect(h?.position ?? 0).toBeCloseTo(p, 9);
            expect(h?.openBuy ?? 0).toBeCloseTo(open.buy, 9);
            expect(h?.openSell ?? 0).toBeCloseTo(open.sell, 9);
            add(`strategy:${strategy}`, p, open.buy, open.sell, value);
          }
          const open = expectedOpen.get(`firm|${instrument.id}`) ?? { buy: 0, sell: 0 };
          expect(e.position).toBeCloseTo(firm, 9);
          expect(e.openBuy).toBeCloseTo(open.buy, 9);
          expect(e.openSell).toBeCloseTo(open.sell, 9);
          add(`sector:${instrument.sector}`, firm, open.buy, open.sell, value);
          add(`region:${instrument.region}`, firm, open.buy, open.sell, value);
        }
        // P&L: fills' cash plus positions at the marks, per strategy and for the firm.
        let firmPnl = 0;
        for (const strategy of STRATEGIES) {
          let pnl = baseCash.get(strategy) ?? 0;
          for (const instrument of INSTRUMENTS)
            pnl +=
              (positions.get(`${strategy}|${instrument.id}`) ?? 0) *
              (marks.get(instrument.id) ?? 0) *
              instrument.multiplier *
              (FX[instrument.currency] ?? 1);
          expect(portfolio.strategies.get(strategy)?.pnl ?? 0).toBeCloseTo(pnl, 4);
          firmPnl += pnl;
        }
        expect(portfolio.pnl).toBeCloseTo(firmPnl, 4);
        const zero = { gross: 0, netLong: 0, netShort: 0 };
        for (const strategy of STRATEGIES)
          expectClose(
            portfolio.strategies.get(strategy) ?? zero,
            expectedTotals.get(`strategy:${strategy}`) ?? zero,
          );
        for (const [name, g] of portfolio.sectors)
          expectClose(g, expectedTotals.get(`sector:${name}`) ?? zero);
        for (const [name, g] of portfolio.regions)
          expectClose(g, expectedTotals.get(`region:${name}`) ?? zero);
        for (const currency of ['USD', 'EUR']) {
          const cash = portfolio.currency(currency);
          expect(cash.flows).toBeCloseTo(cashFlows.get(currency) ?? 0, 6);
          expect(cash.committedBuys).toBeCloseTo(committed.get(currency) ?? 0, 6);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('ignores market data that is not a positive finite price, or older than the last', () => {
    const portfolio = new RiskPortfolio(INSTRUMENTS);
    const id = (INSTRUMENTS[0] as Instrument).id;
    portfolio.setReferencePrice(id, 100, 10);
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, undefined])
      portfolio.setReferencePrice(id, bad, 20);
    portfolio.setReferencePrice(id, 90, 5);
    portfolio.setReferencePrice('NOPE.V', 90, 30);
    expect(portfolio.instruments.get(id)).toMatchObject({
      referencePrice: 100,
      referenceTime: 10,
      markPrice: 100,
    });
    portfolio.setReferencePrice(id, 101, 10);
    expect(portfolio.instruments.get(id)?.referencePrice).toBe(101);
  });
});
