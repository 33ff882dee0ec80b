// The book as the side workers see it: per-strategy positions from the ledger, marks, open orders and a ledger
// snapshot, behind one small interface so a worker runs the same in `hf run` (the kernel's ledger) and as its
// own service (a ledger follower rebuilt from the store and fed by fills).

import type { Kernel } from '../../kernel/kernel.ts';
import type { Ledger, LedgerSnapshot } from '../../ledger/index.ts';
import {
  currencyDecimals,
  fromMinor,
  type ClientOrderId,
  type InstrumentId,
  type OrderSide,
  type StrategyId,
} from '../../model/index.ts';

/** One strategy's position in one instrument. Money in the instrument's currency, display units. */
export interface BookPosition {
  readonly strategyId: string;
  readonly instrumentId: InstrumentId;
  readonly currency: string;
  /** Signed: positive long, negative short. */
  readonly quantity: number;
  readonly averagePrice: number;
  /** Realized PnL before fees. */
  readonly realized: number;
  readonly fees: number;
  readonly mark: number | undefined;
  /** At `mark`; undefined while a position is open without a mark. */
  readonly unrealized: number | undefined;
}

export interface OpenOrderView {
  readonly clientOrderId: ClientOrderId;
  readonly strategyId: string;
  readonly instrumentId: InstrumentId;
  readonly side: OrderSide;
  /** Quantity that may still fill. */
  readonly leavesQuantity: number;
}

export interface BookView {
  /** Positions of one strategy or all, flat ones with realized PnL included, by strategy then instrument. */
  strategyPositions(strategyId?: string): readonly BookPosition[];
  /** Firm-wide signed quantity (0 when never traded). */
  firmQuantity(instrumentId: InstrumentId): number;
  mark(instrumentId: InstrumentId): number | undefined;
  /** Orders that may still fill; absent where this process keeps no order book. */
  readonly openOrders?: () => readonly OpenOrderView[];
  /** A deterministic picture of the ledger (bigints as strings). */
  readonly ledgerSnapshot?: () => LedgerSnapshot;
}

/** A book over a ledger and a source of marks. */
export function ledgerBook(
  ledger: Ledger,
  mark: (instrumentId: InstrumentId) => number | undefined,
  openOrders?: () => readonly OpenOrderView[],
): BookView {
  return {
    strategyPositions(strategyId) {
      const out: BookPosition[] = [];
      const views =
        strategyId === undefined
          ? ledger.strategyPositions()
          : ledger.strategyPositions(strategyId as StrategyId);
      for (const p of views) {
        const decimals = currencyDecimals(p.currency);
        const price = mark(p.instrumentId);
        const strategy = p.strategyId ?? '';
        const unrealizedMinor =
          price === undefined
            ? p.quantity === 0
              ? 0n
              : undefined
            : ledger.strategyUnrealizedMinor(strategy as StrategyId, p.instrumentId, price);
        out.push({
          strategyId: strategy,
          instrumentId: p.instrumentId,
          currency: p.currency,
          quantity: p.quantity,
          averagePrice: p.averagePrice,
          realized: fromMinor(p.realizedMinor, decimals),
          fees: fromMinor(p.feesMinor, decimals),
          mark: price,
          unrealized: unrealizedMinor === undefined ? undefined : fromMinor(unrealizedMinor, decimals),
        });
      }
      return out;
    },
    firmQuantity: (instrumentId) => ledger.quantity(instrumentId),
    mark,
    ...(openOrders ? { openOrders } : {}),
    ledgerSnapshot: () => ledger.snapshot(),
  };
}

/** The book of a running kernel: its ledger (booking or follower), its marks and, with the router here, its OMS. */
export function kernelBook(kernel: Kernel): BookView {
  const openOrders = kernel.components.has('router')
    ? (): readonly OpenOrderView[] =>
        kernel.oms.openOrders().map((o) => ({
          clientOrderId: o.request.clientOrderId,
          strategyId: o.request.strategyId,
          instrumentId: o.request.instrumentId,
          side: o.request.side,
          leavesQuantity: o.quantity - o.filledQuantity,
        }))
    : undefined;
  return ledgerBook(kernel.ledger.ledger, (id) => kernel.markPrice(id), openOrders);
}
