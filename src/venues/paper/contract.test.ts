// The venue contract against the paper venue: orders rest inside a quoted spread and are filled by trade
// prints at their price; a dropped connection is the adapter's own fault injection.

import { SimulatedClock } from '../../common/clock.ts';
import {
  clientOrderId,
  strategyId,
  type ClientOrderId,
  type Instrument,
  type InstrumentId,
  type OrderRequest,
} from '../../model/index.ts';
import type { VenueAdapter, VenueModify } from '../../oms/venue.ts';
import { venueContract, type VenueHarness } from '../venue.contract.ts';
import { PaperVenueAdapter } from './adapter.ts';
import { makeRegistry, quote, T0, trade, VENUE } from './fixtures.test-support.ts';

/** Bid 99, ask 101: a limit order at 100 on either side rests with nothing displayed ahead of it. */
const BID = 99;
const ASK = 101;
const PRICE = 100;

/**
 * The adapter as the suite sees it. The paper venue has no operator who rejects on demand, so after
 * `rejectNext` the next order goes to the venue half a tick off its price and the venue's own validation
 * rejects it; everything else passes straight through.
 */
class PaperContractAdapter implements VenueAdapter {
  rejectArmed = false;
  constructor(
    readonly paper: PaperVenueAdapter,
    private readonly instrument: Instrument,
  ) {}
  get venue() {
    return this.paper.venue;
  }
  get state() {
    return this.paper.state;
  }
  connect = () => this.paper.connect();
  disconnect = () => this.paper.disconnect();
  submit(order: OrderRequest, instrument: Instrument): void {
    if (!this.rejectArmed || order.price === undefined) {
      this.paper.submit(order, instrument);
      return;
    }
    this.rejectArmed = false;
    this.paper.submit({ ...order, price: order.price + this.instrument.tickSize / 2 }, instrument);
  }
  cancel = (id: ClientOrderId) => this.paper.cancel(id);
  modify = (id: ClientOrderId, change: VenueModify) => this.paper.modify(id, change);
  openOrders = () => this.paper.openOrders();
  orders = () => this.paper.orders();
  fills = (since: number) => this.paper.fills(since);
  positions = () => this.paper.positions();
  balances = () => this.paper.balances();
  onEvent: VenueAdapter['onEvent'] = (handler) => this.paper.onEvent(handler);
  onStatus: VenueAdapter['onStatus'] = (handler) => this.paper.onStatus(handler);
}

let externalCount = 0;

async function makePaperHarness(): Promise<VenueHarness> {
  const registry = makeRegistry();
  const clock = new SimulatedClock(T0);
  const config = registry.venues.get(VENUE);
  const instrument = registry.instruments.get('AAPL.PAPER' as InstrumentId);
  if (!config || !instrument) throw new Error('fixture registry lacks PAPER or AAPL');
  const paper = new PaperVenueAdapter({
    venue: VENUE,
    config,
    clock,
    seed: 1,
    instruments: [...registry.instruments.values()],
  });
  paper.onMarketData(quote(BID, 500, ASK, 500));
  const adapter = new PaperContractAdapter(paper, instrument);
  return {
    adapter,
    instrument,
    price: PRICE,
    fill(_id, quantity, price) {
      // A print at the order's price reaches it first: nothing was displayed ahead of it.
      clock.advanceTo(clock.now() + 1);
      paper.onMarketData(trade(price, quantity));
      paper.onMarketData(quote(BID, 500, ASK, 500));
      return Promise.resolve();
    },
    rejectNext() {
      adapter.rejectArmed = true;
      return Promise.resolve();
    },
    dropConnection() {
      paper.setConnected(false);
      return Promise.resolve();
    },
    restoreConnection() {
      paper.setConnected(true);
      return Promise.resolve();
    },
    placeExternalOrder(spec) {
      // One session per paper venue: an order from "another terminal" is one the suite did not track.
      const id = clientOrderId(`external-${++externalCount}`);
      const external: OrderRequest = {
        clientOrderId: id,
        strategyId: strategyId('elsewhere'),
        instrumentId: instrument.id,
        side: spec.side,
        type: 'limit',
        quantity: spec.quantity,
        price: spec.price,
        timeInForce: 'GTC',
        reduceOnly: false,
        tsInit: 0,
      };
      paper.submit(external, instrument);
      return Promise.resolve(id);
    },
    async received(id) {
      return (await paper.orders()).filter((r) => r.clientOrderId === id).length;
    },
    settle: () => Promise.resolve(),
    close: () => paper.disconnect(),
  };
}

venueContract('paper', makePaperHarness);
