// LedgerEngine on the real in-process bus: booking from `fills`, alerts for fills it cannot book.
// (Persistence through a real PGlite store is tested in src/store/ledger-persistence.test.ts.)

import { describe, expect, it } from 'vitest';
import { MemoryBus } from '../bus/memory.ts';
import { SimulatedClock } from '../common/clock.ts';
import { Streams } from '../common/topics.ts';
import type { Alert, InstrumentId, OrderFilled } from '../model/index.ts';
import { LedgerEngine } from './engine.ts';
import { Ledger } from './ledger.ts';
import { instrumentOf, makeFill, testRegistry } from './test-fixtures.ts';

const registry = testRegistry();
const aapl = instrumentOf(registry, 'AAPL.SIM-A');
const penny = instrumentOf(registry, 'PENNY.SIM-A');

function collectAlerts(bus: MemoryBus): Alert[] {
  const alerts: Alert[] = [];
  bus.subscribe(Streams.alerts, 'test', (a) => {
    alerts.push(a);
  });
  return alerts;
}

describe('LedgerEngine without a store', () => {
  it('books every fill published on the bus, as the ledger would directly', async () => {
    const bus = new MemoryBus();
    const engine = new LedgerEngine({ bus, registry });
    await engine.start();
    const fills = [
      makeFill({ instrument: aapl, side: 'buy', quantity: 100, price: 10, fee: 1, trade: 'E1' }),
      makeFill({ instrument: penny, side: 'sell', quantity: 0.5, price: 2.0001, trade: 'E2' }),
      makeFill({ instrument: aapl, side: 'sell', quantity: 150, price: 10.5, trade: 'E3' }),
    ];
    for (const fill of fills) bus.publish(Streams.fills, fill);
    await bus.flush();
    const direct = new Ledger();
    for (const fill of fills) direct.book(fill, registry.instruments.get(fill.instrumentId)!);
    expect(engine.ledger.snapshot()).toEqual(direct.snapshot());
    expect(engine.ledger.quantity(aapl.id)).toBe(-50);
    expect(engine.stats()).toMatchObject({ booked: 3, duplicates: 0, unsaved: 0 });
  });

  it('a redelivered fill is counted and changes nothing', async () => {
    const bus = new MemoryBus();
    const engine = new LedgerEngine({ bus, registry });
    await engine.start();
    const fill = makeFill({ instrument: aapl, side: 'buy', quantity: 3, price: 10, trade: 'R1' });
    bus.publish(Streams.fills, fill);
    const before = engine.ledger.snapshot();
    bus.publish(Streams.fills, fill);
    await bus.flush();
    expect(engine.ledger.snapshot()).toEqual(before);
    expect(engine.stats()).toMatchObject({ booked: 1, duplicates: 1 });
  });

  it('alerts on fills it cannot book and keeps going', async () => {
    const bus = new MemoryBus();
    const clock = new SimulatedClock(42_000_000);
    const alerts = collectAlerts(bus);
    const engine = new LedgerEngine({ bus, registry, clock });
    await engine.start();
    const good = makeFill({ instrument: aapl, side: 'buy', quantity: 1, price: 10, trade: 'G1' });
    bus.publish(Streams.fills, { ...good, tradeId: 'U1', instrumentId: 'NOPE.SIM-A' } as OrderFilled);
    bus.publish(Streams.fills, { ...good, tradeId: 'I1', lastQuantity: Number.NaN } as OrderFilled);
    bus.publish(Streams.fills, null as unknown as OrderFilled);
    bus.publish(Streams.fills, good);
    await bus.flush();
    expect(alerts.map((a) => [a.code, a.severity, a.source, a.tsEvent])).toEqual([
      ['LEDGER_UNKNOWN_INSTRUMENT', 'critical', 'ledger', 42_000_000],
      ['LEDGER_INVALID_FILL', 'critical', 'ledger', 42_000_000],
      ['LEDGER_UNKNOWN_INSTRUMENT', 'critical', 'ledger', 42_000_000],
    ]);
    expect(alerts[0]?.message).toContain('NOPE.SIM-A');
    expect(engine.stats()).toMatchObject({ booked: 1, unknownInstrument: 2, invalid: 1 });
    expect(engine.ledger.quantity(aapl.id)).toBe(1);
  });

  it('stops consuming after stop()', async () => {
    const bus = new MemoryBus();
    const engine = new LedgerEngine({ bus, registry });
    await engine.start();
    await engine.stop();
    bus.publish(
      Streams.fills,
      makeFill({ instrument: aapl, side: 'buy', quantity: 1, price: 10, trade: 'S1' }),
    );
    await bus.flush();
    expect(engine.ledger.journalCount).toBe(0);
  });

  it('deposits capital once per ref', async () => {
    const bus = new MemoryBus();
    const engine = new LedgerEngine({ bus, registry });
    const first = await engine.deposit('USD', 1_000_000_00n, 'capital:SIM-A');
    expect(await engine.deposit('USD', 1_000_000_00n, 'capital:SIM-A')).toBe(first);
    expect(engine.ledger.balance('cash:USD')).toBe(1_000_000_00n);
    await expect(engine.deposit('USD', 5n, 'capital:SIM-A')).rejects.toThrowError(
      /LEDGER_DUPLICATE_REFERENCE/,
    );
  });

  it('alerts on start for entries a restore refused', async () => {
    const bus = new MemoryBus();
    const alerts = collectAlerts(bus);
    const fill = makeFill({ instrument: aapl, side: 'buy', quantity: 1, price: 10, trade: 'GONE' });
    const ledger = Ledger.replay(
      [{ kind: 'fill', sequence: 1, fill: { ...fill, instrumentId: 'GONE.SIM-A' as InstrumentId } }],
      registry,
    );
    const engine = new LedgerEngine({ bus, registry, ledger });
    await engine.start();
    await bus.flush();
    expect(alerts.map((a) => a.code)).toEqual(['LEDGER_UNKNOWN_INSTRUMENT']);
    expect(alerts[0]?.message).toContain('SIM-A:GONE');
  });
});
