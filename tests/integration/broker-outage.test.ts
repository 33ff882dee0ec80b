// The runbook's broker-outage drill (6.1) with the whole kernel in live mode: Interactive Brokers (the real
// @stoqey/ib client against a fake TWS on loopback) and a paper venue listing the same symbol. IBKR goes down
// with an order working there; new orders for it are refused on our own word (never sent); a route override
// moves the flow to paper; the order at IBKR stays tracked and is filled while we cannot hear it; when IBKR
// comes back the missed fill is reported once, and reconciliation finds OMS, ledger and both venues in agreement.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LiveClock } from '../../src/common/clock.ts';
import { createLogger } from '../../src/common/logging.ts';
import { ControlKeys, Streams } from '../../src/common/topics.ts';
import { Kernel } from '../../src/kernel/kernel.ts';
import {
  clientOrderId,
  strategyId,
  type InstrumentId,
  type OrderEvent,
  type OrderFilled,
  type OrderRequest,
} from '../../src/model/index.ts';
import { FakeTws } from '../support/fake-tws.ts';
import { waitFor } from '../helpers.ts';

const IBKR_AAPL = 'AAPL.IBKR' as InstrumentId;
const PAPER_AAPL = 'AAPL.PAPER' as InstrumentId;

describe('broker outage drill', () => {
  let tws: FakeTws | undefined;
  let kernel: Kernel | undefined;
  afterAll(async () => {
    await kernel?.stop();
    await tws?.close();
  });

  it('IBKR down: refused on our word, rerouted to paper, the working order tracked and settled, reconciled clean', async () => {
    tws = await FakeTws.start({ accounts: ['DU1234567'] });
    const config = mkdtempSync(join(tmpdir(), 'hf-outage-drill-'));
    writeFileSync(
      join(config, 'registry.yaml'),
      `venues:
  IBKR: { adapter: ibkr }
  PAPER: { adapter: paper, cash: { USD: 1000000 } }
instruments:
  - { symbol: AAPL, venues: [IBKR, PAPER], assetClass: equity, currency: USD, tickSize: 0.01, lotSize: 1, region: US, sector: technology }
`,
    );
    writeFileSync(
      join(config, 'ibkr.yaml'),
      `IBKR: { port: ${tws.port}, clientId: 7, account: DU1234567, connectTimeoutMs: 3000, queryTimeoutMs: 3000 }\n`,
    );
    writeFileSync(join(config, 'risk.yaml'), 'cash: { USD: 1000000 }\n');
    writeFileSync(join(config, 'policy.yaml'), '{}\n');
    writeFileSync(join(config, 'strategies.yaml'), 'strategies: []\n');
    kernel = await Kernel.create({
      mode: 'live',
      configDir: config,
      clock: new LiveClock(),
      logger: createLogger('drill', 'error'),
    });
    const k = kernel;
    const events: OrderEvent[] = [];
    const fills: OrderFilled[] = [];
    k.bus.subscribe(Streams.ordersEvents, 'drill', (e) => void events.push(e));
    k.bus.subscribe(Streams.ordersRejected, 'drill', (e) => void events.push(e));
    k.bus.subscribe(Streams.fills, 'drill', (f) => void fills.push(f));
    const startup = await k.start();
    expect(startup.breaks).toEqual([]);
    const quote = (instrumentId: InstrumentId) => {
      const now = k.clock.now();
      k.publishMarketData({
        type: 'quote',
        instrumentId,
        bid: 99.9,
        ask: 100.1,
        bidSize: 1000,
        askSize: 1000,
        tsEvent: now,
        tsInit: now,
      });
    };
    quote(IBKR_AAPL);
    quote(PAPER_AAPL);
    let n = 0;
    /** `price: undefined` removes the default limit price (a market order). */
    const submit = (over: { [K in keyof OrderRequest]?: OrderRequest[K] | undefined }): string => {
      const id = clientOrderId(`drill-${++n}`);
      const order: OrderRequest = {
        clientOrderId: id,
        strategyId: strategyId('drill'),
        instrumentId: IBKR_AAPL,
        side: 'buy',
        type: 'limit',
        quantity: 10,
        price: 99.5,
        timeInForce: 'GTC',
        reduceOnly: false,
        tsInit: k.clock.now(),
        ...over,
      } as OrderRequest;
      for (const key of Object.keys(order) as (keyof OrderRequest)[])
        if (order[key] === undefined) delete (order as Partial<OrderRequest>)[key];
      k.bus.publish(Streams.ordersIncoming, { type: 'submit_order', order, tsInit: k.clock.now() });
      return id;
    };
    const status = (id: string) => k.oms.order(clientOrderId(id))?.status;

    // An order working at IBKR.
    const working = submit({});
    await waitFor(
      async () => (status(working) === 'ACCEPTED' ? true : undefined),
      'the order accepted at IBKR',
    );

    // IBKR goes down: the adapter notices; a new order for it is refused before it leaves, with a reason code.
    const ibkr = k.venues.get('IBKR' as never)!;
    tws.goDown();
    await waitFor(
      async () => (ibkr.state !== 'connected' ? true : undefined),
      'the adapter to see IBKR down',
    );
    const refused = submit({ quantity: 5 });
    await waitFor(async () => (status(refused) === 'REJECTED' ? true : undefined), 'the refusal');
    expect(k.oms.order(clientOrderId(refused))?.lastReason).toBe('OMS_VENUE_DISCONNECTED');
    expect(tws.placeCount(refused)).toBe(0);

    // The working order fills at IBKR while we cannot hear it.
    expect(tws.fill(working, 10, 99.5)).toBe(true);

    // Runbook 6.1: route IBKR's flow to paper. A market order for AAPL.IBKR executes on AAPL.PAPER.
    await k.bus.control.set(ControlKeys.routeOverride, 'IBKR', 'PAPER');
    const rerouted = submit({ type: 'market', quantity: 7, price: undefined, timeInForce: 'IOC' });
    await waitFor(
      async () => (status(rerouted) === 'FILLED' ? true : undefined),
      'the rerouted order filled',
    );
    expect(fills.find((f) => f.clientOrderId === rerouted)).toMatchObject({
      venue: 'PAPER',
      lastQuantity: 7,
    });
    // The order at IBKR is still tracked as working: unknown is not rejected.
    expect(status(working)).toBe('ACCEPTED');

    // IBKR is back: the missed fill is reported once, the order is FILLED; nothing was sent twice.
    tws.comeUp();
    await waitFor(
      async () => (status(working) === 'FILLED' ? true : undefined),
      'the missed fill after reconnect',
      15_000,
    );
    expect(fills.filter((f) => f.clientOrderId === working)).toHaveLength(1);
    expect(tws.placeCount(working)).toBe(1);
    await k.bus.control.delete(ControlKeys.routeOverride, 'IBKR');

    // hf reconcile's check: OMS and ledger against both venues.
    const report = await k.reconcile();
    expect(report.breaks).toEqual([]);
    expect(report.venues).toEqual(expect.arrayContaining(['IBKR', 'PAPER']));
    expect(k.ledger.ledger.quantity(IBKR_AAPL)).toBe(10);
    expect(k.ledger.ledger.quantity(PAPER_AAPL)).toBe(7);
  }, 60_000);
});
