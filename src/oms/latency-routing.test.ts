// Latency-aware routing: a venue whose acks slow down past its band loses new flow to another listing of the
// same symbol (with an alert), gets it back once it recovers, and `policy:latency_routing <VENUE> off` turns the
// shift off at run time.
import { describe, expect, it } from 'vitest';
import { MemoryBus } from '../bus/memory.ts';
import { SimulatedClock } from '../common/clock.ts';
import { parseRegistry } from '../common/registry.ts';
import { ControlKeys, Streams } from '../common/topics.ts';
import {
  clientOrderId,
  strategyId,
  type Alert,
  type ClientOrderId,
  type Instrument,
  type InstrumentId,
  type OrderEvent,
  type OrderRequest,
  type VenueEvent,
  type VenueId,
} from '../model/index.ts';
import { PaperVenueAdapter } from '../venues/paper/index.ts';
import { OmsEngine } from './engine.ts';
import type { VenueAdapter, VenueConnectionState, VenueModify } from './venue.ts';

const T0 = 1_704_153_600_000_000;
const MS = 1000;

/** A paper venue whose answers reach the OMS `delayMicros` late: a slow broker link. */
class SlowVenue implements VenueAdapter {
  delayMicros = 0;
  private handler: ((e: VenueEvent) => void) | undefined;
  private timer = 0;
  constructor(
    private readonly inner: PaperVenueAdapter,
    private readonly clock: SimulatedClock,
  ) {
    inner.onEvent((event) => {
      if (this.delayMicros === 0) this.handler?.(event);
      else
        this.clock.setTimer(`slow-${this.timer++}`, this.clock.now() + this.delayMicros, () =>
          this.handler?.(event),
        );
    });
  }
  get venue(): VenueId {
    return this.inner.venue;
  }
  get state(): VenueConnectionState {
    return this.inner.state;
  }
  connect = () => this.inner.connect();
  disconnect = () => this.inner.disconnect();
  submit = (order: OrderRequest, instrument: Instrument) => this.inner.submit(order, instrument);
  cancel = (id: ClientOrderId) => this.inner.cancel(id);
  modify = (id: ClientOrderId, change: VenueModify) => this.inner.modify(id, change);
  openOrders = () => this.inner.openOrders();
  orders = () => this.inner.orders();
  fills = (since: number) => this.inner.fills(since);
  positions = () => this.inner.positions();
  balances = () => this.inner.balances();
  onEvent(handler: (event: VenueEvent) => void): void {
    this.handler = handler;
  }
  onStatus(handler: (state: VenueConnectionState) => void): void {
    this.inner.onStatus(handler);
  }
}

function desk() {
  const registry = parseRegistry({
    venues: {
      'SIM-A': {
        adapter: 'paper',
        routing: { latencyAware: true, p95LimitMs: 50, recoverBelowMs: 20, windowMs: 10_000, minSamples: 10 },
      },
      'SIM-B': { adapter: 'paper' },
    },
    instruments: [
      {
        symbol: 'AAPL',
        venues: ['SIM-A', 'SIM-B'],
        assetClass: 'equity',
        currency: 'USD',
        tickSize: 0.01,
        lotSize: 1,
        region: 'US',
        sector: 'technology',
      },
    ],
  });
  const clock = new SimulatedClock(T0);
  const bus = new MemoryBus();
  const paper = (venue: VenueId, seed: number) =>
    new PaperVenueAdapter({
      venue,
      config: registry.venues.get(venue)!,
      clock,
      seed,
      instruments: [...registry.instruments.values()].filter((i) => i.venue === venue),
    });
  const slow = new SlowVenue(paper('SIM-A' as VenueId, 1), clock);
  const venues = new Map<VenueId, VenueAdapter>([
    ['SIM-A' as VenueId, slow],
    ['SIM-B' as VenueId, paper('SIM-B' as VenueId, 2)],
  ]);
  const oms = new OmsEngine({ bus, clock, registry, venues });
  const events: OrderEvent[] = [];
  const alerts: Alert[] = [];
  bus.subscribe(Streams.ordersEvents, 'test', (e) => void events.push(e));
  bus.subscribe(Streams.alerts, 'test', (a) => void alerts.push(a));
  let seq = 0;
  /** A resting limit buy for AAPL.SIM-A; returns the venue the OMS sent it to. */
  const send = (): string => {
    const id = clientOrderId(`o-${++seq}`);
    bus.publish(Streams.ordersValidated, {
      type: 'submit_order',
      order: {
        clientOrderId: id,
        strategyId: strategyId('s1'),
        instrumentId: 'AAPL.SIM-A' as InstrumentId,
        side: 'buy',
        type: 'limit',
        quantity: 1,
        price: 90,
        timeInForce: 'GTC',
        reduceOnly: false,
        tsInit: clock.now(),
      },
      tsInit: clock.now(),
    });
    const submitted = events.find((e) => e.clientOrderId === id && e.type === 'order_submitted');
    return submitted && 'venue' in submitted ? submitted.venue : 'none';
  };
  return { clock, bus, oms, slow, events, alerts, send, venues };
}

async function started(d: ReturnType<typeof desk>) {
  for (const v of d.venues.values()) await v.connect();
  d.oms.start();
  return d;
}

describe('latency-aware routing', () => {
  it('shifts flow off a venue whose acks slow past the band, and back once it recovers', async () => {
    const d = await started(desk());
    // Healthy: 2 ms acks.
    d.slow.delayMicros = 2 * MS;
    for (let i = 0; i < 20; i++) {
      expect(d.send()).toBe('SIM-A');
      d.clock.advanceTo(d.clock.now() + 10 * MS);
    }
    expect(d.alerts).toEqual([]);
    // The link slows to 80 ms: once the window's p95 passes 50 ms, new orders go to SIM-B, with an alert.
    d.slow.delayMicros = 80 * MS;
    const venues: string[] = [];
    for (let i = 0; i < 40; i++) {
      venues.push(d.send());
      d.clock.advanceTo(d.clock.now() + 100 * MS);
    }
    const shiftAt = venues.indexOf('SIM-B');
    expect(shiftAt).toBeGreaterThan(0);
    expect(venues.slice(shiftAt).every((v) => v === 'SIM-B')).toBe(true);
    expect(d.alerts.map((a) => a.code)).toEqual(['OMS_VENUE_LATENCY']);
    expect(d.alerts[0]!.message).toMatch(/venue SIM-A is slow \(p95 80\.0 ms\)/);
    expect(d.oms.latencyMonitor.status(d.clock.now()).find((s) => s.venue === 'SIM-A')).toMatchObject({
      slow: true,
    });
    // SIM-A recovers; with no flow its old acks age out of the 10 s window and orders probe it again.
    d.slow.delayMicros = 1 * MS;
    d.clock.advanceTo(d.clock.now() + 11_000 * MS);
    expect(d.send()).toBe('SIM-A');
    expect(d.alerts.map((a) => a.code)).toEqual(['OMS_VENUE_LATENCY', 'OMS_VENUE_LATENCY_RECOVERED']);
  });

  it('policy:latency_routing <VENUE> off keeps the flow where it was sent', async () => {
    const d = await started(desk());
    await d.bus.control.set(ControlKeys.latencyRouting, 'SIM-A', 'off');
    d.slow.delayMicros = 80 * MS;
    for (let i = 0; i < 40; i++) {
      expect(d.send()).toBe('SIM-A');
      d.clock.advanceTo(d.clock.now() + 100 * MS);
    }
    expect(d.alerts).toEqual([]);
    // Switched on at run time: the next judgement (every 16th ack) shifts the flow.
    await d.bus.control.set(ControlKeys.latencyRouting, 'SIM-A', 'on');
    const after: string[] = [];
    for (let i = 0; i < 20; i++) {
      after.push(d.send());
      d.clock.advanceTo(d.clock.now() + 100 * MS);
    }
    expect(after).toContain('SIM-B');
    expect(d.alerts.map((a) => a.code)).toEqual(['OMS_VENUE_LATENCY']);
  });
});
