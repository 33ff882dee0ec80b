// The venue contract against the IBKR adapter, through a fake TWS on loopback speaking the real wire protocol.

import { venueContract, type VenueHarness } from '../venue.contract.ts';
import { makeIbkrFixture, until } from './fixtures.test-support.ts';

async function makeIbkrHarness(): Promise<VenueHarness> {
  const f = await makeIbkrFixture({ connect: false });
  const { tws, adapter } = f;
  /** Our orders carry the client order id as IB order reference; other clients' are reported as IB-<permId>. */
  const key = (id: string): number | string => (/^IB-\d+$/.test(id) ? Number(id.slice(3)) : id);
  return {
    adapter,
    instrument: f.aapl,
    price: 100,
    fill(id, quantity, price) {
      tws.fill(key(id), quantity, price);
      return Promise.resolve();
    },
    rejectNext(message) {
      tws.rejectNext(message);
      return Promise.resolve();
    },
    async dropConnection() {
      tws.goDown();
      await until(() => adapter.state !== 'connected', 'the adapter notices the drop');
    },
    async restoreConnection() {
      tws.comeUp();
      await until(() => adapter.state === 'connected', 'the adapter reconnects and catches up');
    },
    placeExternalOrder(spec) {
      const placed = tws.placeExternalOrder({
        symbol: 'AAPL',
        action: spec.side === 'buy' ? 'BUY' : 'SELL',
        quantity: spec.quantity,
        price: spec.price,
      });
      return Promise.resolve(`IB-${placed.permId}` as never);
    },
    received(id) {
      return Promise.resolve(tws.placeCount(id));
    },
    async settle() {
      // A round trip: whatever TWS sent before answering has been read and acted on.
      if (adapter.state === 'connected') await adapter.openOrders();
    },
    close: () => f.close(),
  };
}

venueContract('ibkr (fake TWS)', makeIbkrHarness);
