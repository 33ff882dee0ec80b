// The venue contract against the Zerodha adapter and a fake Kite on loopback: orders rest (the fake matches
// nothing by itself) and are filled by the fake's control API; a dropped connection is a Kite outage.

import type { ClientOrderId } from '../../model/index.ts';
import { startFakeKite } from '../../../tests/support/fake-kite.ts';
import { venueContract, type VenueHarness } from '../venue.contract.ts';
import { externalClientOrderId, tagFor } from './adapter.ts';
import { eventually, FAKE_INSTRUMENTS, INFY, kiteSetup } from './fixtures.test-support.ts';

const PRICE = 1500;

async function makeKiteHarness(): Promise<VenueHarness> {
  const fake = await startFakeKite({ instruments: FAKE_INSTRUMENTS, heartbeatMs: 0, autoFill: false });
  const setup = await kiteSetup({ existing: fake });
  const { adapter } = setup;
  /** The Kite order id behind a client order id the adapter reports (ours by tag, external by its id). */
  const kiteOrderId = (id: ClientOrderId): string | undefined => {
    if (id.startsWith('kite-')) return id.slice('kite-'.length);
    return fake.ordersTagged(tagFor(id))[0]?.order_id;
  };
  return {
    adapter,
    instrument: INFY,
    price: PRICE,
    async fill(id, quantity, price) {
      await eventually(() => kiteOrderId(id) !== undefined, `order ${id} at the fake`);
      fake.fill(kiteOrderId(id) as string, quantity, price);
    },
    async rejectNext(message) {
      fake.rmsRejectNext(message);
    },
    async dropConnection() {
      fake.goDown();
      await eventually(() => adapter.state !== 'connected', 'the adapter notices the outage');
    },
    async restoreConnection() {
      fake.goUp();
      await eventually(() => adapter.state === 'connected', 'the adapter reconnects');
      await adapter.sync();
    },
    async placeExternalOrder(o) {
      const orderId = fake.placeExternal({
        exchange: 'NSE',
        tradingsymbol: 'INFY',
        side: o.side === 'buy' ? 'BUY' : 'SELL',
        quantity: o.quantity,
        price: o.price,
      });
      return externalClientOrderId(orderId);
    },
    async received(id) {
      if (id.startsWith('kite-')) return fake.order(id.slice('kite-'.length)) ? 1 : 0;
      return fake.ordersTagged(tagFor(id)).length;
    },
    async settle() {
      await adapter.sync();
    },
    async close() {
      await setup.close();
      await fake.close();
    },
  };
}

venueContract('zerodha (fake Kite on loopback)', makeKiteHarness);
