// The reconciler: compares what the OMS and the ledger believe with what each venue reports, and names
// every break. It never books or invents a fill: a break is reported (and alerted), and a human or the
// venue's own word settles it.

import type { Bus } from '../common/bus.ts';
import type { Clock } from '../common/clock.ts';
import { Streams } from '../common/topics.ts';
import {
  isTerminal,
  type ClientOrderId,
  type InstrumentId,
  type OrderFilled,
  type OrderStatus,
  type VenueId,
} from '../model/index.ts';
import type { OmsOrder } from '../oms/engine.ts';
import type { VenueAdapter } from '../oms/venue.ts';

export type BreakCode =
  | 'RECON_MISSING_FILL'
  | 'RECON_UNKNOWN_FILL'
  | 'RECON_FILL_MISMATCH'
  | 'RECON_UNKNOWN_ORDER'
  | 'RECON_MISSING_ORDER'
  | 'RECON_STATUS_MISMATCH'
  | 'RECON_POSITION_MISMATCH';

export interface ReconciliationBreak {
  readonly code: BreakCode;
  readonly venue: VenueId;
  readonly clientOrderId?: string;
  readonly tradeId?: string;
  readonly instrumentId?: string;
  readonly expected: string;
  readonly actual: string;
  readonly message: string;
}

export interface ReconciliationReport {
  readonly ts: number;
  readonly venues: readonly VenueId[];
  readonly ordersChecked: number;
  readonly fillsChecked: number;
  readonly positionsChecked: number;
  /** Venue orders and fills of closed orders released from the OMS's memory: not compared in detail. */
  readonly beyondRetention: number;
  readonly breaks: readonly ReconciliationBreak[];
}

/** The OMS's view of an order, as much as reconciliation needs. */
export interface ReconcilableOrder {
  readonly clientOrderId: ClientOrderId;
  readonly venue: VenueId | undefined;
  readonly status: OrderStatus;
  readonly filledQuantity: number;
  readonly tsLast: number;
  readonly fills: readonly OrderFilled[];
}

/** The OMS's orders as the reconciler sees them. */
export function reconcilableOrders(orders: Iterable<OmsOrder>): ReconcilableOrder[] {
  const out: ReconcilableOrder[] = [];
  for (const o of orders)
    out.push({
      clientOrderId: o.request.clientOrderId,
      venue: o.venue,
      status: o.status,
      filledQuantity: o.filledQuantity,
      tsLast: o.tsLast,
      fills: o.fills,
    });
  return out;
}

export interface ReconciliationInput {
  readonly orders: Iterable<ReconcilableOrder>;
  /** Net position per instrument according to the ledger. */
  readonly positions: ReadonlyMap<InstrumentId, number>;
  /**
   * The OMS's retention: whether an order the venue reports was ours, closed and released from memory (its
   * detail was reconciled while it was held and is in the store; the positions still count it), and whether a
   * fill the venue reports was seen. Without them every order and fill must be in `orders`.
   */
  readonly released?: (clientOrderId: ClientOrderId) => boolean;
  readonly seenFill?: (venue: VenueId, tradeId: string) => boolean;
}

export interface ReconcilerOptions {
  readonly clock: Clock;
  readonly bus?: Bus;
  /** An order still in flight younger than this (µs) is not yet expected at the venue. */
  readonly inFlightGraceMicros?: number;
  /** Quantities and prices equal within this tolerance. */
  readonly tolerance?: number;
}

const PENDING: ReadonlySet<OrderStatus> = new Set<OrderStatus>([
  'SUBMITTED',
  'PENDING_CANCEL',
  'PENDING_UPDATE',
]);

export class Reconciler {
  private readonly clock: Clock;
  private readonly bus: Bus | undefined;
  private readonly grace: number;
  private readonly tolerance: number;

  constructor(options: ReconcilerOptions) {
    this.clock = options.clock;
    this.bus = options.bus;
    this.grace = options.inFlightGraceMicros ?? 5_000_000;
    this.tolerance = options.tolerance ?? 1e-9;
  }

  async reconcile(
    input: ReconciliationInput,
    venues: readonly VenueAdapter[],
  ): Promise<ReconciliationReport> {
    const now = this.clock.now();
    const breaks: ReconciliationBreak[] = [];
    const byVenue = new Map<VenueId, ReconcilableOrder[]>();
    for (const order of input.orders) {
      if (!order.venue) continue;
      const list = byVenue.get(order.venue) ?? [];
      list.push(order);
      byVenue.set(order.venue, list);
    }
    let ordersChecked = 0;
    let fillsChecked = 0;
    let positionsChecked = 0;
    let beyondRetention = 0;
    const venuePositions = new Map<InstrumentId, number>();
    const reconciledVenues: VenueId[] = [];

    for (const adapter of venues) {
      const venue = adapter.venue;
      reconciledVenues.push(venue);
      const [reports, venueFills, positions] = await Promise.all([
        adapter.orders(),
        adapter.fills(0),
        adapter.positions(),
      ]);
      const omsOrders = byVenue.get(venue) ?? [];
      const omsById = new Map(omsOrders.map((o) => [o.clientOrderId, o]));
      const reportById = new Map(reports.map((r) => [r.clientOrderId, r]));

      // Orders.
      for (const report of reports) {
        ordersChecked++;
        const oms = omsById.get(report.clientOrderId);
        if (!oms && isTerminal(report.status) && input.released?.(report.clientOrderId)) {
          ordersChecked--;
          beyondRetention++;
          continue;
        }
        if (!oms) {
          breaks.push({
            code: 'RECON_UNKNOWN_ORDER',
            venue,
            clientOrderId: report.clientOrderId,
            instrumentId: report.instrumentId,
            expected: 'no such order',
            actual: `${report.status} ${report.side} ${report.quantity} filled ${report.filledQuantity}`,
            message: `venue ${venue} reports order ${report.clientOrderId} the OMS does not know`,
          });
          continue;
        }
        if (Math.abs(oms.filledQuantity - report.filledQuantity) > this.tolerance) {
          breaks.push({
            code: 'RECON_STATUS_MISMATCH',
            venue,
            clientOrderId: report.clientOrderId,
            instrumentId: report.instrumentId,
            expected: `filled ${oms.filledQuantity}`,
            actual: `filled ${report.filledQuantity}`,
            message: `filled quantity of ${report.clientOrderId} differs`,
          });
        } else if (!this.inFlight(oms, now) && isTerminal(oms.status) !== isTerminal(report.status)) {
          breaks.push({
            code: 'RECON_STATUS_MISMATCH',
            venue,
            clientOrderId: report.clientOrderId,
            instrumentId: report.instrumentId,
            expected: oms.status,
            actual: report.status,
            message: `status of ${report.clientOrderId} differs (OMS ${oms.status}, venue ${report.status})`,
          });
        }
      }
      for (const oms of omsOrders) {
        if (reportById.has(oms.clientOrderId) || isTerminal(oms.status)) continue;
        if (this.inFlight(oms, now)) continue;
        ordersChecked++;
        breaks.push({
          code: 'RECON_MISSING_ORDER',
          venue,
          clientOrderId: oms.clientOrderId,
          expected: oms.status,
          actual: 'not reported',
          message: `OMS has open order ${oms.clientOrderId} that ${venue} does not report`,
        });
      }

      // Fills.
      const omsFills = new Map<string, OrderFilled>();
      for (const o of omsOrders) for (const f of o.fills) omsFills.set(f.tradeId, f);
      const venueFillIds = new Set<string>();
      for (const vf of venueFills) {
        fillsChecked++;
        venueFillIds.add(vf.tradeId);
        const mine = omsFills.get(vf.tradeId);
        if (!mine && input.seenFill?.(venue, vf.tradeId) && input.released?.(vf.clientOrderId)) {
          fillsChecked--;
          beyondRetention++;
          continue;
        }
        if (!mine) {
          breaks.push({
            code: 'RECON_MISSING_FILL',
            venue,
            clientOrderId: vf.clientOrderId,
            tradeId: vf.tradeId,
            instrumentId: vf.instrumentId,
            expected: 'no such fill',
            actual: `${vf.side} ${vf.quantity} @ ${vf.price}`,
            message: `venue ${venue} reports fill ${vf.tradeId} the OMS does not have`,
          });
        } else if (
          Math.abs(mine.lastQuantity - vf.quantity) > this.tolerance ||
          Math.abs(mine.lastPrice - vf.price) > this.tolerance ||
          mine.side !== vf.side
        ) {
          breaks.push({
            code: 'RECON_FILL_MISMATCH',
            venue,
            clientOrderId: vf.clientOrderId,
            tradeId: vf.tradeId,
            instrumentId: vf.instrumentId,
            expected: `${mine.side} ${mine.lastQuantity} @ ${mine.lastPrice}`,
            actual: `${vf.side} ${vf.quantity} @ ${vf.price}`,
            message: `fill ${vf.tradeId} differs between OMS and ${venue}`,
          });
        }
      }
      for (const [tradeId, f] of omsFills) {
        if (venueFillIds.has(tradeId)) continue;
        fillsChecked++;
        breaks.push({
          code: 'RECON_UNKNOWN_FILL',
          venue,
          clientOrderId: f.clientOrderId,
          tradeId,
          instrumentId: f.instrumentId,
          expected: `${f.side} ${f.lastQuantity} @ ${f.lastPrice}`,
          actual: 'not reported',
          message: `OMS has fill ${tradeId} that ${venue} does not report`,
        });
      }
      for (const p of positions) venuePositions.set(p.instrumentId, p.quantity);
    }

    // Positions: every instrument either side knows, on the venues reconciled.
    const venueSet = new Set(reconciledVenues);
    const instruments = new Set<InstrumentId>(venuePositions.keys());
    for (const id of input.positions.keys()) {
      const venue = id.slice(id.lastIndexOf('.') + 1) as VenueId;
      if (venueSet.has(venue)) instruments.add(id);
    }
    for (const id of instruments) {
      positionsChecked++;
      const ledger = input.positions.get(id) ?? 0;
      const venue = venuePositions.get(id) ?? 0;
      if (Math.abs(ledger - venue) > this.tolerance) {
        breaks.push({
          code: 'RECON_POSITION_MISMATCH',
          venue: id.slice(id.lastIndexOf('.') + 1) as VenueId,
          instrumentId: id,
          expected: String(ledger),
          actual: String(venue),
          message: `position in ${id}: ledger ${ledger}, venue ${venue}`,
        });
      }
    }

    const report: ReconciliationReport = {
      ts: now,
      venues: reconciledVenues,
      ordersChecked,
      fillsChecked,
      positionsChecked,
      beyondRetention,
      breaks,
    };
    if (breaks.length > 0 && this.bus) {
      this.bus.publish(Streams.alerts, {
        type: 'alert',
        severity: 'critical',
        code: 'OPS_RECONCILIATION_BREAK',
        source: 'reconciler',
        message: `${breaks.length} reconciliation break(s): ${[...new Set(breaks.map((b) => b.code))].join(', ')}`,
        tsEvent: now,
      });
    }
    return report;
  }

  /**
   * A request (submit, cancel, modify) sent less than the grace ago: the venue's answer may still be on its
   * way, so the OMS's status is not yet comparable. Older than that, it is stuck and must be reported.
   */
  private inFlight(order: ReconcilableOrder, now: number): boolean {
    return PENDING.has(order.status) && now - order.tsLast < this.grace;
  }
}
