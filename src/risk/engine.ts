// Pre-trade risk: every command on orders.incoming goes on unchanged to orders.validated, or is denied on
// orders.rejected with a reason code (common/errors.ts) and a message carrying the numbers.
//
// Boundary (group 'risk'):
//   subscribes  orders.incoming, orders.events, fills, ticks.live, books.live, candles.<tf> (option)
//   publishes   orders.validated, orders.rejected, alerts (VaR history / model, drawdown bands)
//   control     policy:kill_switch (enabled), strategy:enabled (<strategy id>)
//
// VaR/ES bands (risk.yaml `var.limits`, live-var.ts for the model): an order is projected as filled together
// with the open orders on its side (as the position limit does) and denied with RISK_VAR_LIMIT when that takes
// the portfolio's, or its strategy's, VaR or ES above the band and above what it is without the order; an order
// that lowers VaR/ES passes even above the band. Until an instrument has `minReturns` returns, orders in it are
// not held to the bands: counted (uncheckedWithoutHistory) with one RISK_VAR_NO_HISTORY alert.
// Drawdown bands (risk.yaml `drawdown`, drawdown.ts): a portfolio band moves the trading state, a strategy band
// the strategy's own state (its orders denied with RISK_STRATEGY_DRAWDOWN), each with a RISK_DRAWDOWN_BAND alert.

import type { Bus, Subscription } from '../common/bus.ts';
import type { Clock } from '../common/clock.ts';
import { ConfigError, describeReason, type ReasonCode } from '../common/errors.ts';
import { silentLogger, type Logger } from '../common/logging.ts';
import type { Registry } from '../common/registry.ts';
import { RetentionQueue, type RetentionSettings } from '../common/retention.ts';
import { ControlKeys, Streams } from '../common/topics.ts';
import {
  isMultipleOf,
  referencePrice,
  type AlertSeverity,
  type ClientOrderId,
  type Instrument,
  type InstrumentId,
  type MarketData,
  type ModifyOrder,
  type OrderEvent,
  type OrderFilled,
  type OrderRequest,
  type StrategyId,
  type SubmitOrder,
  type TradingCommand,
} from '../model/index.ts';
import {
  TRADING_STATES,
  type DrawdownBand,
  type ExposureCap,
  type PolicyConfig,
  type RiskConfig,
  type StrategyLimits,
  type TradingState,
} from './config.ts';
import { DrawdownMonitor, type DrawdownTracker } from './drawdown.ts';
import { LiveVarModel, liveVarSettings, sameVarModel, type RiskSplit, type VarBook } from './live-var.ts';
import {
  RiskPortfolio,
  grossTermWith,
  holdingGrossTerm,
  type ExposureTotals,
  type GroupExposure,
  type InstrumentExposure,
  type StrategyExposure,
} from './portfolio.ts';
import type { MutableTailRisk, VarMethod } from './var.ts';

export interface RiskDenial {
  readonly reason: ReasonCode;
  readonly message: string;
}

export interface RiskEngineOptions {
  readonly bus: Bus;
  readonly clock: Clock;
  readonly registry: Registry;
  readonly risk: RiskConfig;
  readonly policy: PolicyConfig;
  /** Candle streams (`candles.<tf>`) to take reference prices from, e.g. ['1m']. */
  readonly candleTimeframes?: readonly string[];
  /** Starting cash per currency; replaces `risk.cash` (the kernel may pass the venues' cash). */
  readonly cash?: Readonly<Record<string, number>>;
  readonly logger?: Logger;
  /** With it, the client order ids seen (duplicate detection) are forgotten after `idsMicros`. */
  readonly retention?: RetentionSettings;
}

export interface ExposureReport {
  /** From filled positions only. */
  readonly gross: number;
  readonly net: number;
  /** What the caps are checked against: positions plus open orders (see portfolio.ts). */
  readonly projectedGross: number;
  readonly projectedNetLong: number;
  readonly projectedNetShort: number;
}

/** A VaR / ES pair in baseCurrency over the configured horizon. */
export interface VarFigures {
  readonly valueAtRisk: number;
  readonly expectedShortfall: number;
}

export interface VarBandReport {
  readonly var: number | null;
  readonly es: number | null;
}

export interface VarSnapshot {
  readonly method: VarMethod;
  readonly confidence: number;
  readonly horizonDays: number;
  /** Enough return rows for a figure. */
  readonly ready: boolean;
  readonly returns: number;
  readonly minReturns: number;
  /** Median time between samples the horizon scaling uses (null before the first). */
  readonly sampleSpacingSeconds: number | null;
  readonly portfolio: { readonly figures: VarFigures | null; readonly limits: VarBandReport };
  /** Own figures, Euler component (adds up to the portfolio's) and incremental (portfolio − portfolio without). */
  readonly strategies: Record<
    string,
    {
      readonly figures: VarFigures;
      readonly component: VarFigures;
      readonly incremental: VarFigures;
      readonly limits: VarBandReport;
    }
  >;
  readonly instruments: Record<
    string,
    {
      readonly exposure: number;
      readonly returns: number;
      readonly component: VarFigures;
      readonly incremental: VarFigures;
    }
  >;
  readonly counts: {
    readonly samples: number;
    readonly checks: number;
    readonly uncheckedWithoutHistory: number;
    readonly unavailable: number;
    readonly invalidReturns: number;
    readonly modelErrors: number;
  };
  readonly lastError: string | null;
}

export interface DrawdownReport {
  readonly pnl: number;
  readonly peakDrawdown: number;
  readonly intradayDrawdown: number;
  readonly worstPeakDrawdown: number;
  readonly worstIntradayDrawdown: number;
  readonly bandsCrossed: number;
}

/**
 * A cap set below the exposure it caps (a hot reload may do that): the scope is REDUCING — orders that shrink the
 * exposure pass, orders that grow it are denied with the cap's reason — until the exposure is back under the cap.
 */
export interface CapBelowExposure {
  readonly scope: 'strategy' | 'sector' | 'region' | 'instrument';
  readonly name: string;
  readonly measure: 'gross' | 'net' | 'position';
  /** baseCurrency (a position: units), positions plus open orders as the caps count them. */
  readonly exposure: number;
  readonly cap: number;
  /** The denial reason of an order that would grow it. */
  readonly reason: ReasonCode;
}

export interface RiskSnapshot {
  readonly state: TradingState;
  /** Scopes whose cap is below their exposure: REDUCING for that scope only. */
  readonly capsBelowExposure: readonly CapBelowExposure[];
  /** The configured / operator-set state; `state` is HALTED while the kill switch is engaged. */
  readonly tradingState: TradingState;
  readonly killSwitch: boolean;
  readonly baseCurrency: string;
  readonly exposures: {
    readonly strategies: Record<string, ExposureReport>;
    readonly sectors: Record<string, ExposureReport>;
    readonly regions: Record<string, ExposureReport>;
  };
  readonly positions: readonly {
    readonly strategyId: string;
    readonly instrumentId: string;
    readonly quantity: number;
    readonly openBuyQuantity: number;
    readonly openSellQuantity: number;
  }[];
  readonly instruments: readonly {
    readonly instrumentId: string;
    readonly position: number;
    readonly openBuyQuantity: number;
    readonly openSellQuantity: number;
    readonly referencePrice: number | null;
    readonly markPrice: number | null;
  }[];
  readonly cash: Record<
    string,
    {
      readonly starting: number;
      readonly flows: number;
      readonly committedBuys: number;
      readonly buyingPower: number;
    }
  >;
  readonly openOrders: number;
  readonly valueAtRisk: VarSnapshot;
  readonly drawdowns: {
    readonly portfolio: DrawdownReport;
    readonly strategies: Record<
      string,
      DrawdownReport & { readonly tradingState: TradingState; readonly restrictedBy: string | null }
    >;
  };
  readonly counts: {
    readonly validated: number;
    readonly denied: number;
    readonly deniedByReason: Record<string, number>;
    readonly cancels: number;
    readonly duplicateCommandsDropped: number;
    readonly malformedCommands: number;
    readonly fillsApplied: number;
    readonly duplicateFills: number;
  };
}

/** Limits and policy of one instrument, precomputed so a check reads fields and does no lookups by key. */
interface InstrumentRules {
  readonly instrument: Instrument;
  readonly exposure: InstrumentExposure;
  readonly maxOrderQuantity: number;
  readonly maxNotional: number;
  readonly maxPosition: number;
  readonly collarBps: number;
  /** Quantities within this of a limit count as at the limit (binary noise of sums of lots). */
  readonly tolerance: number;
  /** The policy entry (symbol or id) that restricts the instrument. */
  readonly restrictedBy: string | undefined;
  readonly regionBlocked: boolean;
  readonly fxRate: number;
  readonly sectorMaxGross: number;
  readonly sectorMaxNet: number;
  readonly regionMaxGross: number;
  readonly regionMaxNet: number;
}

/** Per-strategy limits and throttle bucket, created on the strategy's first command. */
interface StrategySlot {
  readonly id: string;
  limits: StrategyLimits;
  tokensPerMicro: number;
  tokens: number;
  refilledAt: number;
  readonly exposure: StrategyExposure;
}

const NO_HOLDING = { position: 0, openBuy: 0, openSell: 0 } as const;

const STATE_RANK: Readonly<Record<TradingState, number>> = { ACTIVE: 0, REDUCING: 1, HALTED: 2 };

/** A strategy's own trading state, set by a drawdown band or an operator; absent = ACTIVE. */
interface StrategyRestriction {
  readonly state: TradingState;
  readonly reason: string;
}

function deny(reason: ReasonCode, message: string): RiskDenial {
  return { reason, message };
}

function money(value: number): string {
  return value.toFixed(2);
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

function roundFigures(figures: RiskSplit): VarFigures {
  return { valueAtRisk: round2(figures.valueAtRisk), expectedShortfall: round2(figures.expectedShortfall) };
}

function bandReport(book: VarBook | undefined): VarBandReport {
  const limitVar = book?.limitVar ?? Number.POSITIVE_INFINITY;
  const limitEs = book?.limitEs ?? Number.POSITIVE_INFINITY;
  return {
    var: limitVar === Number.POSITIVE_INFINITY ? null : limitVar,
    es: limitEs === Number.POSITIVE_INFINITY ? null : limitEs,
  };
}

function drawdownReport(tracker: DrawdownTracker): DrawdownReport {
  return {
    pnl: round2(tracker.pnl),
    peakDrawdown: round2(tracker.peakDrawdown),
    intradayDrawdown: round2(tracker.intradayDrawdown),
    worstPeakDrawdown: round2(tracker.worstPeak),
    worstIntradayDrawdown: round2(tracker.worstIntraday),
    bandsCrossed: tracker.breaches,
  };
}

/** A valid price: a finite number above zero. */
function validPrice(price: number | undefined): price is number {
  return typeof price === 'number' && price > 0 && price !== Number.POSITIVE_INFINITY;
}

/** Reference price of market data; a one-sided quote counts at its one side rather than at half of it. */
function priceOf(message: MarketData): number | undefined {
  if (message.type === 'quote') {
    if (message.bid > 0 && message.ask > 0) return (message.bid + message.ask) / 2;
    return message.bid > 0 ? message.bid : message.ask > 0 ? message.ask : undefined;
  }
  return referencePrice(message);
}

export class RiskEngine {
  private readonly bus: Bus;
  private readonly clock: Clock;
  private readonly registry: Registry;
  private readonly logger: Logger;
  private readonly candleTimeframes: readonly string[];
  private readonly cashOverride: Readonly<Record<string, number>> | undefined;
  private readonly portfolio: RiskPortfolio;

  private risk: RiskConfig;
  private policy: PolicyConfig;
  private rules: Map<string, InstrumentRules>;
  private strategyLimits: Map<string, StrategyLimits>;
  private readonly slots = new Map<string, StrategySlot>();
  private readonly vacantExposure: StrategyExposure = {
    id: '',
    holdings: new Map(),
    gross: 0,
    netLong: 0,
    netShort: 0,
    pnl: 0,
    drawdown: undefined,
  };
  private tradingState: TradingState;
  private killSwitch = false;
  private readonly strategyRestrictions = new Map<string, StrategyRestriction>();

  private varModel: LiveVarModel;
  /** Any VaR / ES band configured: checks consult the model only then. */
  private varLimitsOn = false;
  private varDescription = '';
  private readonly varAfter: MutableTailRisk = { valueAtRisk: 0, expectedShortfall: 0 };
  private readonly varBefore: MutableTailRisk = { valueAtRisk: 0, expectedShortfall: 0 };
  private varChecks = 0;
  private varWithoutHistory = 0;
  private varUnavailable = 0;
  private varNoHistoryAlerted = false;
  private varModelErrorsAlerted = 0;
  private drawdown: DrawdownMonitor;

  private readonly seenOrders = new Set<string>();
  /** With retention: the ids in `seenOrders` in the order they came, forgotten after the ids' horizon. */
  private readonly seenQueue: RetentionQueue<string> | undefined;
  private readonly subscriptions: Subscription[] = [];
  private started = false;

  private forgetOldIds(id: string): void {
    const queue = this.seenQueue as RetentionQueue<string>;
    const now = this.clock.now();
    queue.push(id, now);
    if (queue.due(now))
      queue.drain(now, (old) => {
        this.seenOrders.delete(old);
        return true;
      });
  }

  private validated = 0;
  private denied = 0;
  private readonly deniedByReason: Record<string, number> = {};
  private cancels = 0;
  private duplicateCommands = 0;
  private malformedCommands = 0;

  constructor(options: RiskEngineOptions) {
    this.bus = options.bus;
    this.clock = options.clock;
    this.registry = options.registry;
    this.logger = options.logger ?? silentLogger;
    this.candleTimeframes = options.candleTimeframes ?? [];
    this.cashOverride = options.cash;
    if (options.retention) this.seenQueue = new RetentionQueue(options.retention.idsMicros);
    this.portfolio = new RiskPortfolio(this.registry.instruments.values());
    this.risk = options.risk;
    this.policy = options.policy;
    this.rules = this.buildRules(options.risk, options.policy);
    this.strategyLimits = RiskEngine.buildStrategyLimits(options.risk);
    this.tradingState = options.risk.tradingState;
    this.varModel = this.buildVarModel(options.risk);
    this.drawdown = new DrawdownMonitor(options.risk.drawdown);
    this.applyCash(options.risk);
    this.revalue();
  }

  // ---- lifecycle ----

  start(): void {
    if (this.started) return;
    this.started = true;
    const control = this.bus.control;
    this.killSwitch = control.get(ControlKeys.killSwitch, 'enabled') === 'true';
    for (const [field, value] of Object.entries(control.getAll(ControlKeys.tradingState)))
      this.applyOperatorState(field, value);
    this.subscriptions.push(
      control.onChange(this.onControlChange),
      this.bus.subscribe(Streams.ordersIncoming, 'risk', this.onCommand),
      this.bus.subscribe(Streams.ordersEvents, 'risk', this.onOrderEvent),
      this.bus.subscribe(Streams.fills, 'risk', this.onFill),
      this.bus.subscribe(Streams.ticks, 'risk', this.onMarketData),
      this.bus.subscribe(Streams.books, 'risk', this.onMarketData),
    );
    for (const timeframe of this.candleTimeframes)
      this.subscriptions.push(this.bus.subscribe(Streams.candles(timeframe), 'risk', this.onMarketData));
    this.logger.info('risk engine started', { state: this.state(), killSwitch: this.killSwitch });
  }

  stop(): void {
    for (const s of this.subscriptions) s.unsubscribe();
    this.subscriptions.length = 0;
    this.started = false;
  }

  // ---- state and configuration ----

  state(): TradingState {
    return this.killSwitch ? 'HALTED' : this.tradingState;
  }

  setTradingState(state: TradingState): void {
    if (!(TRADING_STATES as readonly string[]).includes(state)) {
      this.logger.warn('ignored unknown trading state', { state });
      return;
    }
    if (state === this.tradingState) return;
    this.logger.warn('trading state changed', { from: this.tradingState, to: state });
    this.tradingState = state;
  }

  /** Replaces the risk limits (hot reload). Throws ConfigError, keeping the old limits, if they do not fit the registry. */
  updateRisk(risk: RiskConfig): void {
    const rules = this.buildRules(risk, this.policy);
    const previous = this.risk;
    this.risk = risk;
    this.rules = rules;
    this.strategyLimits = RiskEngine.buildStrategyLimits(risk);
    for (const slot of this.slots.values()) this.setSlotLimits(slot, this.limitsOf(slot.id));
    // The return history survives a reload that keeps the model's settings; new settings start it again.
    if (sameVarModel(liveVarSettings(risk.var), this.varModel.settings)) this.applyVarLimits(risk);
    else this.varModel = this.buildVarModel(risk);
    this.drawdown = this.drawdown.reconfigure(risk.drawdown);
    for (const strategy of this.portfolio.strategies.values()) strategy.drawdown = undefined;
    this.applyCash(risk);
    this.revalue();
    // An operator's setTradingState survives a reload unless the file's own state changed.
    if (risk.tradingState !== previous.tradingState) this.setTradingState(risk.tradingState);
    this.reportCapsBelowExposure('risk.yaml');
  }

  /** Replaces the policy (hot reload). Throws ConfigError, keeping the old policy, if it does not fit the registry. */
  updatePolicy(policy: PolicyConfig): void {
    this.rules = this.buildRules(this.risk, policy);
    this.policy = policy;
    this.reportCapsBelowExposure('policy.yaml');
  }

  /**
   * Every cap now below the exposure it caps (positions plus open orders, at the marks). Such a scope is REDUCING:
   * the checks deny what grows it and pass what shrinks it.
   */
  capsBelowExposure(): CapBelowExposure[] {
    const out: CapBelowExposure[] = [];
    const over = (
      scope: CapBelowExposure['scope'],
      name: string,
      measure: CapBelowExposure['measure'],
      exposure: number,
      cap: number,
      reason: ReasonCode,
    ): void => {
      if (exposure > cap + 1e-6) out.push({ scope, name, measure, exposure: round2(exposure), cap, reason });
    };
    for (const s of this.portfolio.strategies.values()) {
      const limits = this.limitsOf(s.id);
      over('strategy', s.id, 'gross', s.gross, limits.maxGrossExposure, 'RISK_STRATEGY_GROSS_EXPOSURE');
      over(
        'strategy',
        s.id,
        'net',
        Math.max(s.netLong, -s.netShort),
        limits.maxNetExposure,
        'RISK_STRATEGY_NET_EXPOSURE',
      );
    }
    const groups = [
      [
        'sector',
        this.portfolio.sectors,
        this.policy.sectors,
        this.policy.sectorDefaults,
        'RISK_SECTOR_EXPOSURE',
      ],
      [
        'region',
        this.portfolio.regions,
        this.policy.regions,
        this.policy.regionDefaults,
        'RISK_REGION_EXPOSURE',
      ],
    ] as const;
    for (const [scope, exposures, caps, defaults, reason] of groups)
      for (const g of exposures.values()) {
        const cap: ExposureCap = caps[g.name] ?? defaults;
        if (cap.maxGrossExposure !== undefined)
          over(scope, g.name, 'gross', g.gross, cap.maxGrossExposure, reason);
        if (cap.maxNetExposure !== undefined)
          over(scope, g.name, 'net', Math.max(g.netLong, -g.netShort), cap.maxNetExposure, reason);
      }
    for (const rules of this.rules.values()) {
      const e = rules.exposure;
      const largest = Math.max(e.position + e.openBuy, -(e.position - e.openSell));
      over('instrument', rules.instrument.id, 'position', largest, rules.maxPosition, 'RISK_POSITION_LIMIT');
    }
    return out;
  }

  /** After a reload: one RISK_CAP_BELOW_EXPOSURE warning per scope the new limits put in REDUCING. */
  private reportCapsBelowExposure(file: string): void {
    for (const c of this.capsBelowExposure())
      this.alert(
        'warning',
        'RISK_CAP_BELOW_EXPOSURE',
        `${file}: ${c.scope} ${c.name} ${c.measure} ${c.measure === 'position' ? '' : 'exposure '}${c.exposure}${c.measure === 'position' ? '' : ` ${this.risk.baseCurrency}`} is above the new cap ${c.cap}: ${c.scope} ${c.name} is REDUCING (orders that shrink it pass, orders that grow it are denied ${c.reason})`,
      );
  }

  /** A strategy's own trading state (a drawdown band's, or an operator's); ACTIVE unless restricted. */
  strategyTradingState(strategyId: string): TradingState {
    return this.strategyRestrictions.get(strategyId)?.state ?? 'ACTIVE';
  }

  /** Sets a strategy's own state: how an operator releases a strategy a drawdown band restricted. */
  setStrategyTradingState(strategyId: string, state: TradingState, reason = 'operator'): void {
    if (!(TRADING_STATES as readonly string[]).includes(state)) {
      this.logger.warn('ignored unknown trading state', { strategyId, state });
      return;
    }
    const from = this.strategyTradingState(strategyId);
    if (state === 'ACTIVE') this.strategyRestrictions.delete(strategyId);
    else this.strategyRestrictions.set(strategyId, { state, reason });
    if (from !== state)
      this.logger.warn('strategy trading state changed', { strategyId, from, to: state, reason });
  }

  // ---- the check ----

  /** Judges a submit or modify against the current state, without changing it. Undefined = passes. */
  check(command: SubmitOrder | ModifyOrder): RiskDenial | undefined {
    return command.type === 'submit_order' ? this.checkSubmit(command.order) : this.checkModify(command);
  }

  private checkSubmit(order: OrderRequest): RiskDenial | undefined {
    // structure
    const rules = this.rules.get(order.instrumentId);
    if (rules === undefined)
      return deny(
        'RISK_UNKNOWN_INSTRUMENT',
        `instrument ${String(order.instrumentId)} is not in the registry`,
      );
    const instrument = rules.instrument;
    const quantity = order.quantity;
    if (typeof quantity !== 'number' || !(quantity > 0) || quantity === Number.POSITIVE_INFINITY)
      return deny('RISK_INVALID_QUANTITY', `quantity ${String(quantity)} is not a positive finite number`);
    if (!isMultipleOf(quantity, instrument.lotSize))
      return deny('RISK_QUANTITY_LOT', `quantity ${quantity} is not a multiple of lot ${instrument.lotSize}`);
    let sign: number;
    if (order.side === 'buy') sign = 1;
    else if (order.side === 'sell') sign = -1;
    // No catalogue code names a side; an order without a side has no signed quantity.
    else return deny('RISK_INVALID_SIDE', `side ${String(order.side)} is neither buy nor sell`);
    let limitPrice: number | undefined;
    let triggerPrice: number | undefined;
    switch (order.type) {
      case 'market':
        break;
      case 'limit':
        limitPrice = order.price;
        if (!validPrice(limitPrice))
          return deny(
            'RISK_INVALID_PRICE',
            `limit order price ${String(limitPrice)} is missing or not positive`,
          );
        break;
      case 'stop':
        triggerPrice = order.triggerPrice;
        if (!validPrice(triggerPrice))
          return deny(
            'RISK_INVALID_PRICE',
            `stop order trigger price ${String(triggerPrice)} is missing or not positive`,
          );
        break;
      case 'stop_limit':
        limitPrice = order.price;
        triggerPrice = order.triggerPrice;
        if (!validPrice(limitPrice))
          return deny(
            'RISK_INVALID_PRICE',
            `stop-limit order price ${String(limitPrice)} is missing or not positive`,
          );
        if (!validPrice(triggerPrice))
          return deny(
            'RISK_INVALID_PRICE',
            `stop-limit order trigger price ${String(triggerPrice)} is missing or not positive`,
          );
        break;
      default:
        return deny('RISK_INVALID_ORDER_TYPE', `order type ${String(order.type)} is unknown: no price rule`);
    }
    if (limitPrice !== undefined && !isMultipleOf(limitPrice, instrument.tickSize))
      return deny('RISK_PRICE_TICK', `price ${limitPrice} is not a multiple of tick ${instrument.tickSize}`);
    if (triggerPrice !== undefined && !isMultipleOf(triggerPrice, instrument.tickSize))
      return deny(
        'RISK_PRICE_TICK',
        `trigger price ${triggerPrice} is not a multiple of tick ${instrument.tickSize}`,
      );

    // policy and control plane
    if (rules.restrictedBy !== undefined)
      return deny(
        'RISK_RESTRICTED_INSTRUMENT',
        `${instrument.id} is restricted by policy entry ${rules.restrictedBy}`,
      );
    if (rules.regionBlocked)
      return deny(
        'RISK_BLOCKED_REGION',
        `region ${instrument.region} of ${instrument.id} is blocked by policy`,
      );
    const strategyId = order.strategyId;
    if (this.bus.control.get(ControlKeys.strategyEnabled, strategyId) === 'false')
      return deny('RISK_STRATEGY_DISABLED', `strategy ${strategyId} is disabled`);
    const e = rules.exposure;
    const reducing = this.reduces(e, sign, quantity, rules.tolerance);
    if (this.killSwitch && !(order.reduceOnly && reducing))
      return deny(
        'RISK_KILL_SWITCH',
        `kill switch engaged: only reduce-only orders that shrink the position (${e.position}) pass`,
      );
    if (this.tradingState === 'HALTED') return deny('RISK_TRADING_HALTED', 'trading state is HALTED');
    if (this.tradingState === 'REDUCING' && !reducing)
      return deny(
        'RISK_REDUCING_ONLY',
        `trading state is REDUCING: ${order.side} ${quantity} does not shrink position ${e.position} of ${instrument.id} (open buys ${e.openBuy}, open sells ${e.openSell})`,
      );
    if (order.reduceOnly && !reducing)
      return deny(
        'RISK_REDUCE_ONLY_VIOLATION',
        `reduce-only ${order.side} ${quantity} would not shrink position ${e.position} of ${instrument.id} (open buys ${e.openBuy}, open sells ${e.openSell})`,
      );
    if (this.strategyRestrictions.size > 0) {
      const denial = this.checkStrategyRestriction(
        strategyId,
        instrument.id,
        order.side,
        sign,
        quantity,
        rules.tolerance,
      );
      if (denial !== undefined) return denial;
    }

    // rate and duplicates
    const slot = this.slots.get(strategyId);
    if (slot !== undefined && slot.tokens < 1 && this.tokensNow(slot) < 1)
      return deny(
        'RISK_THROTTLE',
        `strategy ${strategyId} above ${slot.limits.messagesPerSecond} messages/s (burst ${slot.limits.burst})`,
      );
    const exposure =
      slot !== undefined ? slot.exposure : (this.portfolio.strategies.get(strategyId) ?? this.vacantExposure);
    const holding = exposure.holdings.get(instrument.id);
    if (holding !== undefined) {
      const open = holding.openOrders;
      for (let i = 0; i < open.length; i++) {
        const o = open[i];
        if (
          o !== undefined &&
          o.side === order.side &&
          o.quantity === quantity &&
          o.type === order.type &&
          o.price === order.price &&
          o.triggerPrice === order.triggerPrice
        )
          return deny(
            'RISK_DUPLICATE_ORDER',
            `same as open order ${o.clientOrderId}: ${o.side} ${o.quantity} ${instrument.id} ${o.type}${o.price === undefined ? '' : ` @ ${o.price}`}`,
          );
      }
    }

    // order size and price
    if (quantity > rules.maxOrderQuantity)
      return deny(
        'RISK_MAX_ORDER_QUANTITY',
        `quantity ${quantity} > max ${rules.maxOrderQuantity} for ${instrument.id}`,
      );
    const reference = e.referencePrice;
    let notionalPrice: number;
    if (limitPrice !== undefined) notionalPrice = limitPrice;
    else if (triggerPrice !== undefined) notionalPrice = triggerPrice;
    else if (reference > 0) notionalPrice = reference;
    else
      return deny(
        'RISK_NO_REFERENCE_PRICE',
        `no reference price yet for ${instrument.id}: market order refused`,
      );
    if (order.type === 'limit' && reference > 0) {
      const denial = this.collar(rules, notionalPrice, reference);
      if (denial !== undefined) return denial;
    }
    const notional = quantity * notionalPrice * e.valueFactor;
    if (notional > rules.maxNotional)
      return deny(
        'RISK_MAX_NOTIONAL',
        `notional ${money(notional)} ${this.risk.baseCurrency} > max ${rules.maxNotional} for ${instrument.id}`,
      );

    // positions and exposures
    const denial = this.checkPositionLimit(rules, sign, quantity);
    if (denial !== undefined) return denial;
    const value = (e.markPrice > 0 ? e.markPrice : notionalPrice) * e.valueFactor;
    const limits = slot !== undefined ? slot.limits : this.limitsOf(strategyId);
    const h = holding ?? NO_HOLDING;
    const strategyGrossDelta =
      (grossTermWith(h.position, h.openBuy, h.openSell, sign, quantity) - holdingGrossTerm(h)) * value;
    if (strategyGrossDelta > 0 && exposure.gross + strategyGrossDelta > limits.maxGrossExposure)
      return deny(
        'RISK_STRATEGY_GROSS_EXPOSURE',
        `strategy ${strategyId} gross exposure ${money(exposure.gross + strategyGrossDelta)} ${this.risk.baseCurrency} > max ${limits.maxGrossExposure}`,
      );
    const orderValue = quantity * value;
    if (
      sign > 0
        ? exposure.netLong + orderValue > limits.maxNetExposure
        : exposure.netShort - orderValue < -limits.maxNetExposure
    )
      return deny(
        'RISK_STRATEGY_NET_EXPOSURE',
        `strategy ${strategyId} net exposure ${money(sign > 0 ? exposure.netLong + orderValue : exposure.netShort - orderValue)} ${this.risk.baseCurrency} beyond max ±${limits.maxNetExposure}`,
      );
    const firmGrossDelta =
      (grossTermWith(e.position, e.openBuy, e.openSell, sign, quantity) - holdingGrossTerm(e)) * value;
    const sectorDenial = this.checkGroup(
      e.sector,
      rules.sectorMaxGross,
      rules.sectorMaxNet,
      firmGrossDelta,
      sign,
      orderValue,
    );
    if (sectorDenial !== undefined) return sectorDenial;
    const regionDenial = this.checkGroup(
      e.region,
      rules.regionMaxGross,
      rules.regionMaxNet,
      firmGrossDelta,
      sign,
      orderValue,
    );
    if (regionDenial !== undefined) return regionDenial;

    // portfolio and strategy VaR / ES bands
    if (this.varLimitsOn) {
      const varDenial = this.checkVar(e, strategyId, h, sign, quantity, value);
      if (varDenial !== undefined) return varDenial;
    }

    // cash
    if (sign > 0) {
      const cash = e.cash;
      const required = quantity * notionalPrice * instrument.multiplier;
      const available = cash.starting * this.risk.leverage + cash.flows - cash.committedBuys;
      if (required > available)
        return deny(
          'RISK_BUYING_POWER',
          `buy needs ${money(required)} ${instrument.currency}, buying power ${money(available)} ${instrument.currency}`,
        );
    }
    return undefined;
  }

  private checkModify(command: ModifyOrder): RiskDenial | undefined {
    const open = this.portfolio.openOrder(command.clientOrderId);
    if (
      open === undefined ||
      open.strategyId !== command.strategyId ||
      open.instrumentId !== command.instrumentId
    )
      return deny(
        'OMS_UNKNOWN_ORDER',
        `modify of ${String(command.clientOrderId)}: no such open order of ${String(command.strategyId)}`,
      );
    const rules = this.rules.get(open.instrumentId);
    if (rules === undefined)
      return deny('RISK_UNKNOWN_INSTRUMENT', `instrument ${open.instrumentId} is not in the registry`);
    const instrument = rules.instrument;
    const quantity = command.quantity ?? open.quantity;
    if (typeof quantity !== 'number' || !(quantity > 0) || quantity === Number.POSITIVE_INFINITY)
      return deny('RISK_INVALID_QUANTITY', `quantity ${String(quantity)} is not a positive finite number`);
    if (!isMultipleOf(quantity, instrument.lotSize))
      return deny('RISK_QUANTITY_LOT', `quantity ${quantity} is not a multiple of lot ${instrument.lotSize}`);
    const usesPrice = open.type === 'limit' || open.type === 'stop_limit';
    const usesTrigger = open.type === 'stop' || open.type === 'stop_limit';
    if (command.price !== undefined) {
      if (!usesPrice) return deny('RISK_INVALID_PRICE', `a ${open.type} order has no limit price to modify`);
      if (!validPrice(command.price))
        return deny('RISK_INVALID_PRICE', `price ${String(command.price)} is not a positive finite number`);
      if (!isMultipleOf(command.price, instrument.tickSize))
        return deny(
          'RISK_PRICE_TICK',
          `price ${command.price} is not a multiple of tick ${instrument.tickSize}`,
        );
    }
    if (command.triggerPrice !== undefined) {
      if (!usesTrigger)
        return deny('RISK_INVALID_PRICE', `a ${open.type} order has no trigger price to modify`);
      if (!validPrice(command.triggerPrice))
        return deny(
          'RISK_INVALID_PRICE',
          `trigger price ${String(command.triggerPrice)} is not a positive finite number`,
        );
      if (!isMultipleOf(command.triggerPrice, instrument.tickSize))
        return deny(
          'RISK_PRICE_TICK',
          `trigger price ${command.triggerPrice} is not a multiple of tick ${instrument.tickSize}`,
        );
    }
    if (this.bus.control.get(ControlKeys.strategyEnabled, open.strategyId) === 'false')
      return deny('RISK_STRATEGY_DISABLED', `strategy ${open.strategyId} is disabled`);
    if (this.killSwitch) return deny('RISK_KILL_SWITCH', 'kill switch engaged: modifies are refused');
    if (this.tradingState === 'HALTED') return deny('RISK_TRADING_HALTED', 'trading state is HALTED');
    const sign = open.side === 'buy' ? 1 : -1;
    const increase = quantity - open.quantity;
    const e = rules.exposure;
    if (this.strategyRestrictions.size > 0) {
      const restriction = this.strategyRestrictions.get(open.strategyId);
      if (restriction?.state === 'HALTED')
        return deny(
          'RISK_STRATEGY_DRAWDOWN',
          `strategy ${open.strategyId} is HALTED (${restriction.reason}): modifies are refused`,
        );
      if (restriction !== undefined && increase > rules.tolerance)
        return deny(
          'RISK_STRATEGY_DRAWDOWN',
          `strategy ${open.strategyId} is REDUCING (${restriction.reason}): raising ${open.clientOrderId} to ${quantity} is refused`,
        );
    }
    if (increase > rules.tolerance && !this.reduces(e, sign, increase, rules.tolerance)) {
      if (this.tradingState === 'REDUCING')
        return deny(
          'RISK_REDUCING_ONLY',
          `trading state is REDUCING: raising ${open.clientOrderId} to ${quantity} grows position ${e.position}`,
        );
      if (open.reduceOnly)
        return deny(
          'RISK_REDUCE_ONLY_VIOLATION',
          `reduce-only ${open.clientOrderId} raised to ${quantity} would not shrink position ${e.position}`,
        );
    }
    const slot = this.slots.get(open.strategyId);
    if (slot !== undefined && slot.tokens < 1 && this.tokensNow(slot) < 1)
      return deny(
        'RISK_THROTTLE',
        `strategy ${open.strategyId} above ${slot.limits.messagesPerSecond} messages/s (burst ${slot.limits.burst})`,
      );
    if (quantity > rules.maxOrderQuantity)
      return deny(
        'RISK_MAX_ORDER_QUANTITY',
        `quantity ${quantity} > max ${rules.maxOrderQuantity} for ${instrument.id}`,
      );
    const price = command.price ?? open.price;
    const reference = e.referencePrice;
    if (open.type === 'limit' && price !== undefined && reference > 0) {
      const denial = this.collar(rules, price, reference);
      if (denial !== undefined) return denial;
    }
    const notionalPrice =
      price ?? command.triggerPrice ?? open.triggerPrice ?? (reference > 0 ? reference : open.committedPrice);
    const notional = quantity * notionalPrice * e.valueFactor;
    if (notional > rules.maxNotional)
      return deny(
        'RISK_MAX_NOTIONAL',
        `notional ${money(notional)} ${this.risk.baseCurrency} > max ${rules.maxNotional} for ${instrument.id}`,
      );
    if (increase > rules.tolerance) {
      const denial = this.checkPositionLimit(rules, sign, increase);
      if (denial !== undefined || !this.varLimitsOn) return denial;
      const value = (e.markPrice > 0 ? e.markPrice : notionalPrice) * e.valueFactor;
      return this.checkVar(e, open.strategyId, open.holding, sign, increase, value);
    }
    return undefined;
  }

  /** A strategy a drawdown band (or an operator) put in REDUCING or HALTED. */
  private checkStrategyRestriction(
    strategyId: string,
    instrumentId: string,
    side: string,
    sign: number,
    quantity: number,
    tolerance: number,
  ): RiskDenial | undefined {
    const restriction = this.strategyRestrictions.get(strategyId);
    if (restriction === undefined) return undefined;
    if (restriction.state === 'HALTED')
      return deny('RISK_STRATEGY_DRAWDOWN', `strategy ${strategyId} is HALTED (${restriction.reason})`);
    const h = this.portfolio.strategies.get(strategyId)?.holdings.get(instrumentId) ?? NO_HOLDING;
    const shrinks =
      sign > 0
        ? h.position < 0 && h.position + h.openBuy + quantity <= tolerance
        : h.position > 0 && h.position - h.openSell - quantity >= -tolerance;
    if (shrinks) return undefined;
    return deny(
      'RISK_STRATEGY_DRAWDOWN',
      `strategy ${strategyId} is REDUCING (${restriction.reason}): ${side} ${quantity} does not shrink its position ${h.position} in ${instrumentId}`,
    );
  }

  /**
   * The VaR / ES bands of the portfolio and of the order's strategy, for `quantity` more on `sign`'s side at
   * `value` per unit (baseCurrency), with the open orders on that side counted as filled.
   */
  private checkVar(
    e: InstrumentExposure,
    strategyId: string,
    holding: { readonly openBuy: number; readonly openSell: number },
    sign: number,
    quantity: number,
    value: number,
  ): RiskDenial | undefined {
    const model = this.varModel;
    const portfolio = model.portfolio;
    const book = model.books.get(strategyId);
    if (!portfolio.limited && (book === undefined || !book.limited)) return undefined;
    const index = e.index;
    if (!model.hasHistory(index)) {
      this.varWithoutHistory++;
      if (!this.varNoHistoryAlerted) {
        this.varNoHistoryAlerted = true;
        // Expected at every start (a backtest begins without history): information, not a warning.
        this.alert(
          'info',
          'RISK_VAR_NO_HISTORY',
          `VaR/ES bands not enforced for ${e.instrument.id} yet: ${model.returnsOf(index)} of ${model.settings.minReturns} returns (counted in valueAtRisk.counts.uncheckedWithoutHistory)`,
        );
      }
      return undefined;
    }
    this.varChecks++;
    if (portfolio.limited) {
      const open = sign > 0 ? e.openBuy : e.openSell;
      const denial = this.checkVarBook(
        portfolio,
        'portfolio',
        index,
        sign * open * value,
        sign * quantity * value,
      );
      if (denial !== undefined) return denial;
    }
    if (book !== undefined && book.limited) {
      const open = sign > 0 ? holding.openBuy : holding.openSell;
      return this.checkVarBook(
        book,
        `strategy ${strategyId}`,
        index,
        sign * open * value,
        sign * quantity * value,
      );
    }
    return undefined;
  }

  private checkVarBook(
    book: VarBook,
    label: string,
    index: number,
    openValue: number,
    orderValue: number,
  ): RiskDenial | undefined {
    const model = this.varModel;
    if (model.withinBands(book, index, openValue + orderValue)) return undefined;
    const after = this.varAfter;
    if (!model.evaluate(book, index, openValue + orderValue, after)) {
      this.varUnavailable++;
      return undefined;
    }
    const overVar = after.valueAtRisk > book.limitVar;
    const overEs = after.expectedShortfall > book.limitEs;
    if (!overVar && !overEs) return undefined;
    const before = this.varBefore;
    if (!model.evaluate(book, index, openValue, before)) {
      this.varUnavailable++;
      return undefined;
    }
    // Above the band, only an order that adds risk is denied: the one that brings VaR back down must pass.
    const base = this.risk.baseCurrency;
    if (overVar && after.valueAtRisk > before.valueAtRisk * (1 + 1e-12))
      return deny(
        'RISK_VAR_LIMIT',
        `${label} VaR would reach ${money(after.valueAtRisk)} ${base} (${money(before.valueAtRisk)} without the order) > band ${book.limitVar} (${this.varDescription})`,
      );
    if (overEs && after.expectedShortfall > before.expectedShortfall * (1 + 1e-12))
      return deny(
        'RISK_VAR_LIMIT',
        `${label} ES would reach ${money(after.expectedShortfall)} ${base} (${money(before.expectedShortfall)} without the order) > band ${book.limitEs} (${this.varDescription})`,
      );
    return undefined;
  }

  /** True when the order, with every open order on its side filled, shrinks the firm position without crossing zero. */
  private reduces(e: InstrumentExposure, sign: number, quantity: number, tolerance: number): boolean {
    if (sign > 0) return e.position < 0 && e.position + e.openBuy + quantity <= tolerance;
    return e.position > 0 && e.position - e.openSell - quantity >= -tolerance;
  }

  private collar(rules: InstrumentRules, price: number, reference: number): RiskDenial | undefined {
    const distanceBps = (Math.abs(price - reference) / reference) * 10_000;
    if (distanceBps > rules.collarBps)
      return deny(
        'RISK_PRICE_COLLAR',
        `price ${price} is ${distanceBps.toFixed(1)} bps from reference ${reference} > collar ${rules.collarBps} bps`,
      );
    return undefined;
  }

  private checkPositionLimit(rules: InstrumentRules, sign: number, quantity: number): RiskDenial | undefined {
    const e = rules.exposure;
    const projected = sign > 0 ? e.position + e.openBuy + quantity : e.position - e.openSell - quantity;
    if (
      sign > 0
        ? projected > rules.maxPosition + rules.tolerance
        : projected < -rules.maxPosition - rules.tolerance
    )
      return deny(
        'RISK_POSITION_LIMIT',
        `${rules.instrument.id} position would reach ${projected} (position ${e.position}, open ${sign > 0 ? 'buys' : 'sells'} ${sign > 0 ? e.openBuy : e.openSell}, order ${quantity}) beyond limit ±${rules.maxPosition}`,
      );
    return undefined;
  }

  /** Firm-wide cap of one sector or region (uncapped = Infinity, which nothing exceeds). */
  private checkGroup(
    group: GroupExposure,
    maxGross: number,
    maxNet: number,
    grossDelta: number,
    sign: number,
    orderValue: number,
  ): RiskDenial | undefined {
    const reason = group.kind === 'sector' ? 'RISK_SECTOR_EXPOSURE' : 'RISK_REGION_EXPOSURE';
    if (grossDelta > 0 && group.gross + grossDelta > maxGross)
      return deny(
        reason,
        `${group.kind} ${group.name} gross exposure ${money(group.gross + grossDelta)} ${this.risk.baseCurrency} > max ${maxGross}`,
      );
    const net = sign > 0 ? group.netLong + orderValue : group.netShort - orderValue;
    if (sign > 0 ? net > maxNet : net < -maxNet)
      return deny(
        reason,
        `${group.kind} ${group.name} net exposure ${money(net)} ${this.risk.baseCurrency} beyond max ±${maxNet}`,
      );
    return undefined;
  }

  /** Tokens in the bucket at the clock's now, without taking any. */
  private tokensNow(slot: StrategySlot): number {
    const tokens = slot.tokens + (this.clock.now() - slot.refilledAt) * slot.tokensPerMicro;
    return tokens < slot.limits.burst ? tokens : slot.limits.burst;
  }

  // ---- bus handlers ----

  private readonly onCommand = (command: TradingCommand): void => {
    try {
      switch (command.type) {
        case 'cancel_order':
          this.cancels++;
          this.bus.publish(Streams.ordersValidated, command);
          return;
        case 'submit_order':
          this.onSubmit(command);
          return;
        case 'modify_order':
          this.onModify(command);
          return;
        default:
          this.malformed(command, 'unknown command type');
      }
    } catch (error) {
      this.malformed(command, String(error));
    }
  };

  private onSubmit(command: SubmitOrder): void {
    const order = command.order as OrderRequest | undefined;
    if (
      typeof order !== 'object' ||
      order === null ||
      typeof order.clientOrderId !== 'string' ||
      typeof order.strategyId !== 'string' ||
      typeof order.instrumentId !== 'string'
    ) {
      this.malformed(command, 'submit without an order carrying clientOrderId, strategyId and instrumentId');
      return;
    }
    if (this.seenOrders.has(order.clientOrderId)) {
      this.duplicateCommands++;
      return;
    }
    this.seenOrders.add(order.clientOrderId);
    if (this.seenQueue) this.forgetOldIds(order.clientOrderId);
    const slot = this.slot(order.strategyId);
    const denial = this.checkSubmit(order);
    if (denial !== undefined) {
      this.publishDenial(command.type, order.clientOrderId, order.strategyId, order.instrumentId, denial);
      return;
    }
    this.takeToken(slot);
    const open = this.portfolio.addOpenOrder(order, this.committedPrice(order));
    // The first order of an unpriced instrument marks it: the VaR exposures follow the mark.
    if (open !== undefined) {
      const e = open.holding.instrument;
      this.varModel.setUnitValue(e.index, e.markPrice * e.valueFactor);
    }
    this.validated++;
    this.bus.publish(Streams.ordersValidated, command);
  }

  private onModify(command: ModifyOrder): void {
    if (typeof command.clientOrderId !== 'string' || typeof command.strategyId !== 'string') {
      this.malformed(command, 'modify without clientOrderId or strategyId');
      return;
    }
    const slot = this.slot(command.strategyId);
    const denial = this.checkModify(command);
    if (denial !== undefined) {
      this.publishDenial(
        command.type,
        command.clientOrderId,
        command.strategyId,
        command.instrumentId,
        denial,
      );
      return;
    }
    this.takeToken(slot);
    this.validated++;
    this.bus.publish(Streams.ordersValidated, command);
  }

  private publishDenial(
    command: TradingCommand['type'],
    clientOrderId: ClientOrderId,
    strategyId: StrategyId,
    instrumentId: InstrumentId,
    denial: RiskDenial,
  ): void {
    this.denied++;
    this.deniedByReason[denial.reason] = (this.deniedByReason[denial.reason] ?? 0) + 1;
    const now = this.clock.now();
    this.logger.debug('order denied', { clientOrderId, reason: denial.reason, message: denial.message });
    this.bus.publish(Streams.ordersRejected, {
      type: 'order_denied',
      clientOrderId,
      strategyId,
      instrumentId,
      tsEvent: now,
      tsInit: now,
      command,
      reason: denial.reason,
      message: denial.message,
    });
  }

  private malformed(command: unknown, problem: string): void {
    this.malformedCommands++;
    this.logger.warn('malformed command dropped', { problem, command });
  }

  /** The last reference price the engine holds for an instrument (tick mid, trade, book mid or bar close). */
  referencePrice(instrumentId: InstrumentId): number | undefined {
    const price = this.rules.get(instrumentId)?.exposure.referencePrice;
    return price !== undefined && price > 0 ? price : undefined;
  }

  /** The price an open order's cash commitment and provisional mark use. */
  private committedPrice(order: OrderRequest): number {
    switch (order.type) {
      case 'limit':
      case 'stop_limit':
        return order.price ?? 0;
      case 'stop':
        return order.triggerPrice ?? 0;
      case 'market':
        return this.rules.get(order.instrumentId)?.exposure.referencePrice ?? 0;
    }
  }

  private readonly onOrderEvent = (event: OrderEvent): void => {
    this.portfolio.applyOrderEvent(event);
  };

  private readonly onFill = (fill: OrderFilled): void => {
    if (!this.portfolio.applyFill(fill)) return;
    const strategy = this.portfolio.strategies.get(fill.strategyId);
    const e = this.portfolio.instruments.get(fill.instrumentId);
    const h = strategy?.holdings.get(fill.instrumentId);
    if (strategy === undefined || e === undefined || h === undefined) return;
    const model = this.varModel;
    model.setUnitValue(e.index, e.markPrice * e.valueFactor);
    model.setQuantity(model.portfolio, e.index, e.position);
    model.setQuantity(model.book(strategy.id), e.index, h.position);
    this.observeDrawdowns(e, strategy);
  };

  private readonly onMarketData = (message: MarketData): void => {
    const model = this.varModel;
    if (model.advance(message.tsEvent) && model.counts.modelErrors > this.varModelErrorsAlerted)
      this.varModelAlert();
    const e = this.portfolio.setReferencePrice(message.instrumentId, priceOf(message), message.tsEvent);
    if (e === undefined) return;
    model.observePrice(e.index, e.referencePrice);
    model.setUnitValue(e.index, e.markPrice * e.valueFactor);
    // Strategies can hold the instrument while the firm is flat (one long, one short): P&L moves for them.
    if (e.holdings.length > 0) this.observeDrawdowns(e, undefined);
  };

  /** After a P&L move in `e` (and a fill of `filled`): the portfolio's and the holders' drawdowns. */
  private observeDrawdowns(e: InstrumentExposure, filled: StrategyExposure | undefined): void {
    const monitor = this.drawdown;
    const day = monitor.dayOf(this.clock.now());
    const crossed = monitor.portfolio.observe(this.portfolio.pnl, day);
    if (crossed !== undefined) this.onDrawdownBand(monitor.portfolio, crossed);
    const holdings = e.holdings;
    for (let i = 0; i < holdings.length; i++) {
      const strategy = holdings[i]!.strategy;
      if (holdings[i]!.position === 0 && strategy !== filled) continue;
      const tracker = (strategy.drawdown ??= monitor.strategy(strategy.id));
      const band = tracker.observe(strategy.pnl, day);
      if (band !== undefined) this.onDrawdownBand(tracker, band);
    }
  }

  private onDrawdownBand(tracker: DrawdownTracker, band: DrawdownBand): void {
    const drawdown = band.measure === 'peak' ? tracker.peakDrawdown : tracker.intradayDrawdown;
    const what = `${band.measure === 'peak' ? 'peak-to-trough' : 'intraday'} drawdown ${money(drawdown)} ${this.risk.baseCurrency} reached band ${band.limit}`;
    const severity: AlertSeverity = band.action === 'HALTED' ? 'critical' : 'warning';
    if (band.scope === 'portfolio') {
      if (STATE_RANK[band.action] > STATE_RANK[this.tradingState]) this.setTradingState(band.action);
      this.alert(severity, 'RISK_DRAWDOWN_BAND', `portfolio ${what}: trading state ${this.tradingState}`);
      return;
    }
    const id = tracker.name;
    if (STATE_RANK[band.action] > STATE_RANK[this.strategyTradingState(id)])
      this.setStrategyTradingState(id, band.action, `${band.measure} drawdown band ${band.limit}`);
    this.alert(
      severity,
      'RISK_DRAWDOWN_BAND',
      `strategy ${id} ${what}: its trading state ${this.strategyTradingState(id)}`,
    );
  }

  private varModelAlert(): void {
    const first = this.varModelErrorsAlerted === 0;
    this.varModelErrorsAlerted = this.varModel.counts.modelErrors;
    // One alert for the first failure; the rest are counted in the snapshot.
    if (first)
      this.alert('warning', 'RISK_VAR_MODEL', this.varModel.lastError ?? describeReason('RISK_VAR_MODEL'));
  }

  private alert(severity: AlertSeverity, code: ReasonCode, message: string): void {
    if (severity === 'info') this.logger.info(message, { code });
    else this.logger.warn(message, { code });
    this.bus.publish(Streams.alerts, {
      type: 'alert',
      severity,
      code,
      source: 'risk',
      message,
      tsEvent: this.clock.now(),
    });
  }

  private readonly onControlChange = (key: string, field: string, value: string | undefined): void => {
    if (key === ControlKeys.tradingState) {
      this.applyOperatorState(field, value);
      return;
    }
    if (key !== ControlKeys.killSwitch || field !== 'enabled') return;
    const engaged = value === 'true';
    if (engaged === this.killSwitch) return;
    this.killSwitch = engaged;
    this.logger.warn(engaged ? 'kill switch engaged: state HALTED' : 'kill switch released', {
      state: this.state(),
    });
  };

  /** `policy:trading_state`: `firm` sets the firm's state, any other field that strategy's own state. */
  private applyOperatorState(field: string, value: string | undefined): void {
    if (value === undefined) return;
    if (!(TRADING_STATES as readonly string[]).includes(value)) {
      this.logger.warn('ignored trading state: not ACTIVE, REDUCING or HALTED', { field, value });
      return;
    }
    const state = value as TradingState;
    if (field === 'firm') this.setTradingState(state);
    else this.setStrategyTradingState(field, state, 'operator');
  }

  // ---- strategies ----

  private limitsOf(strategyId: string): StrategyLimits {
    return this.strategyLimits.get(strategyId) ?? this.risk.strategyDefaults;
  }

  private slot(strategyId: string): StrategySlot {
    let slot = this.slots.get(strategyId);
    if (slot === undefined) {
      const limits = this.limitsOf(strategyId);
      slot = {
        id: strategyId,
        limits,
        tokensPerMicro: limits.messagesPerSecond / 1_000_000,
        tokens: limits.burst,
        refilledAt: this.clock.now(),
        exposure: this.portfolio.strategy(strategyId),
      };
      this.slots.set(strategyId, slot);
    }
    return slot;
  }

  private setSlotLimits(slot: StrategySlot, limits: StrategyLimits): void {
    slot.limits = limits;
    slot.tokensPerMicro = limits.messagesPerSecond / 1_000_000;
    if (slot.tokens > limits.burst) slot.tokens = limits.burst;
  }

  private takeToken(slot: StrategySlot): void {
    const now = this.clock.now();
    const tokens = slot.tokens + (now - slot.refilledAt) * slot.tokensPerMicro;
    slot.tokens = (tokens < slot.limits.burst ? tokens : slot.limits.burst) - 1;
    slot.refilledAt = now;
  }

  private static buildStrategyLimits(risk: RiskConfig): Map<string, StrategyLimits> {
    const map = new Map<string, StrategyLimits>();
    for (const [id, override] of Object.entries(risk.strategies)) {
      map.set(id, {
        maxGrossExposure: override.maxGrossExposure ?? risk.strategyDefaults.maxGrossExposure,
        maxNetExposure: override.maxNetExposure ?? risk.strategyDefaults.maxNetExposure,
        messagesPerSecond: override.messagesPerSecond ?? risk.strategyDefaults.messagesPerSecond,
        burst: override.burst ?? risk.strategyDefaults.burst,
      });
    }
    return map;
  }

  // ---- configuration → precomputed rules ----

  private buildRules(risk: RiskConfig, policy: PolicyConfig): Map<string, InstrumentRules> {
    const registry = this.registry;
    for (const key of Object.keys(risk.instruments))
      if (!registry.instruments.has(key as InstrumentId) && !registry.bySymbol.has(key))
        throw new ConfigError(
          'risk.yaml',
          `instruments.${key}`,
          'not an instrument id or symbol in the registry',
        );
    const sectors = new Set<string>();
    const regions = new Set<string>();
    for (const instrument of registry.instruments.values()) {
      sectors.add(instrument.sector);
      regions.add(instrument.region);
    }
    for (const key of Object.keys(policy.sectors))
      if (!sectors.has(key))
        throw new ConfigError(
          'policy.yaml',
          `sectors.${key}`,
          'no instrument in the registry has this sector',
        );
    for (const key of Object.keys(policy.regions))
      if (!regions.has(key))
        throw new ConfigError(
          'policy.yaml',
          `regions.${key}`,
          'no instrument in the registry has this region',
        );
    const restricted = new Set(policy.restrictedInstruments);
    const blocked = new Set(policy.blockedRegions);

    const rules = new Map<string, InstrumentRules>();
    for (const instrument of registry.instruments.values()) {
      const exposure = this.portfolio.instruments.get(instrument.id);
      if (exposure === undefined) continue;
      const fxRate = instrument.currency === risk.baseCurrency ? 1 : risk.fxRates[instrument.currency];
      if (fxRate === undefined)
        throw new ConfigError(
          'risk.yaml',
          `fxRates.${instrument.currency}`,
          `no rate to ${risk.baseCurrency} for ${instrument.currency}, the currency of ${instrument.id}`,
        );
      const bySymbol = risk.instruments[instrument.symbol];
      const byId = risk.instruments[instrument.id];
      const defaults = risk.instrumentDefaults;
      const sectorCap: ExposureCap = policy.sectors[instrument.sector] ?? policy.sectorDefaults;
      const regionCap: ExposureCap = policy.regions[instrument.region] ?? policy.regionDefaults;
      rules.set(instrument.id, {
        instrument,
        exposure,
        maxOrderQuantity: byId?.maxOrderQuantity ?? bySymbol?.maxOrderQuantity ?? defaults.maxOrderQuantity,
        maxNotional: byId?.maxNotional ?? bySymbol?.maxNotional ?? defaults.maxNotional,
        maxPosition: byId?.maxPosition ?? bySymbol?.maxPosition ?? defaults.maxPosition,
        collarBps: byId?.collarBps ?? bySymbol?.collarBps ?? defaults.collarBps,
        tolerance: instrument.lotSize * 1e-6,
        restrictedBy: restricted.has(instrument.id)
          ? instrument.id
          : restricted.has(instrument.symbol)
            ? instrument.symbol
            : undefined,
        regionBlocked: blocked.has(instrument.region),
        fxRate,
        sectorMaxGross: sectorCap.maxGrossExposure ?? Number.POSITIVE_INFINITY,
        sectorMaxNet: sectorCap.maxNetExposure ?? Number.POSITIVE_INFINITY,
        regionMaxGross: regionCap.maxGrossExposure ?? Number.POSITIVE_INFINITY,
        regionMaxNet: regionCap.maxNetExposure ?? Number.POSITIVE_INFINITY,
      });
    }
    return rules;
  }

  private buildVarModel(risk: RiskConfig): LiveVarModel {
    const model = new LiveVarModel(this.portfolio.instruments.size, liveVarSettings(risk.var));
    this.varModel = model;
    this.varNoHistoryAlerted = false;
    this.varModelErrorsAlerted = 0;
    // Carry the book over: prices, marks and quantities as they stand.
    for (const e of this.portfolio.instruments.values()) {
      model.observePrice(e.index, e.referencePrice);
      model.setUnitValue(e.index, e.markPrice * e.valueFactor);
      model.setQuantity(model.portfolio, e.index, e.position);
    }
    for (const s of this.portfolio.strategies.values())
      for (const h of s.holdings.values())
        model.setQuantity(model.book(s.id), h.instrument.index, h.position);
    this.applyVarLimits(risk);
    return model;
  }

  private applyVarLimits(risk: RiskConfig): void {
    const model = this.varModel;
    const limits = risk.var.limits;
    model.portfolio.limitVar = limits.portfolio.var ?? Number.POSITIVE_INFINITY;
    model.portfolio.limitEs = limits.portfolio.es ?? Number.POSITIVE_INFINITY;
    for (const book of model.books.values()) book.limitVar = book.limitEs = Number.POSITIVE_INFINITY;
    let on = model.portfolio.limited;
    for (const [id, limit] of Object.entries(limits.strategies)) {
      const book = model.book(id);
      book.limitVar = limit.var ?? Number.POSITIVE_INFINITY;
      book.limitEs = limit.es ?? Number.POSITIVE_INFINITY;
      on ||= book.limited;
    }
    this.varLimitsOn = on;
    const v = risk.var;
    this.varDescription = `${v.method}, ${v.confidence * 100} %, ${v.horizonDays} day${v.horizonDays === 1 ? '' : 's'}`;
  }

  private applyCash(risk: RiskConfig): void {
    const cash = this.cashOverride ?? risk.cash;
    for (const c of this.portfolio.currencies.values()) c.starting = 0;
    for (const [currency, amount] of Object.entries(cash))
      this.portfolio.currency(currency).starting = amount;
  }

  private revalue(): void {
    const rules = this.rules;
    const risk = this.risk;
    this.portfolio.revalue(
      (instrument) => instrument.multiplier * (rules.get(instrument.id)?.fxRate ?? 1),
      (currency) => (currency === risk.baseCurrency ? 1 : risk.fxRates[currency]),
    );
    for (const e of this.portfolio.instruments.values())
      this.varModel.setUnitValue(e.index, e.markPrice * e.valueFactor);
  }

  // ---- reporting ----

  snapshot(): RiskSnapshot {
    const strategies: Record<string, ExposureReport> = {};
    const sectors: Record<string, ExposureReport> = {};
    const regions: Record<string, ExposureReport> = {};
    const positions: {
      strategyId: string;
      instrumentId: string;
      quantity: number;
      openBuyQuantity: number;
      openSellQuantity: number;
    }[] = [];
    for (const s of this.portfolio.strategies.values()) {
      let gross = 0;
      let net = 0;
      for (const h of s.holdings.values()) {
        const value = h.instrument.markPrice * h.instrument.valueFactor;
        gross += Math.abs(h.position) * value;
        net += h.position * value;
        if (h.position !== 0 || h.openBuy !== 0 || h.openSell !== 0)
          positions.push({
            strategyId: s.id,
            instrumentId: h.instrument.instrument.id,
            quantity: h.position,
            openBuyQuantity: h.openBuy,
            openSellQuantity: h.openSell,
          });
      }
      strategies[s.id] = report(gross, net, s);
    }
    const groupGross = new Map<string, { gross: number; net: number }>();
    const instruments: RiskSnapshot['instruments'][number][] = [];
    for (const e of this.portfolio.instruments.values()) {
      const value = e.markPrice * e.valueFactor;
      for (const key of [`sector:${e.sector.name}`, `region:${e.region.name}`]) {
        const sum = groupGross.get(key) ?? { gross: 0, net: 0 };
        sum.gross += Math.abs(e.position) * value;
        sum.net += e.position * value;
        groupGross.set(key, sum);
      }
      if (e.position !== 0 || e.openBuy !== 0 || e.openSell !== 0 || e.referencePrice > 0)
        instruments.push({
          instrumentId: e.instrument.id,
          position: e.position,
          openBuyQuantity: e.openBuy,
          openSellQuantity: e.openSell,
          referencePrice: e.referencePrice > 0 ? e.referencePrice : null,
          markPrice: e.markPrice > 0 ? e.markPrice : null,
        });
    }
    for (const g of this.portfolio.sectors.values()) {
      const sum = groupGross.get(`sector:${g.name}`);
      sectors[g.name] = report(sum?.gross ?? 0, sum?.net ?? 0, g);
    }
    for (const g of this.portfolio.regions.values()) {
      const sum = groupGross.get(`region:${g.name}`);
      regions[g.name] = report(sum?.gross ?? 0, sum?.net ?? 0, g);
    }
    const cash: RiskSnapshot['cash'] = {};
    for (const c of this.portfolio.currencies.values())
      cash[c.currency] = {
        starting: c.starting,
        flows: round2(c.flows),
        committedBuys: round2(c.committedBuys),
        buyingPower: round2(c.starting * this.risk.leverage + c.flows - c.committedBuys),
      };
    const fills = this.portfolio.fills;
    return {
      state: this.state(),
      capsBelowExposure: this.capsBelowExposure(),
      tradingState: this.tradingState,
      killSwitch: this.killSwitch,
      baseCurrency: this.risk.baseCurrency,
      exposures: { strategies, sectors, regions },
      positions,
      instruments,
      cash,
      openOrders: this.portfolio.openOrderCount(),
      valueAtRisk: this.varSnapshot(),
      drawdowns: this.drawdownSnapshot(),
      counts: {
        validated: this.validated,
        denied: this.denied,
        deniedByReason: { ...this.deniedByReason },
        cancels: this.cancels,
        duplicateCommandsDropped: this.duplicateCommands,
        malformedCommands: this.malformedCommands,
        fillsApplied: fills.applied,
        duplicateFills: fills.duplicates,
      },
    };
  }

  private varSnapshot(): VarSnapshot {
    const model = this.varModel;
    const settings = model.settings;
    const figures = model.report();
    const strategies: VarSnapshot['strategies'] = {};
    for (const book of figures.books)
      strategies[book.name] = {
        figures: roundFigures(book.figures),
        component: roundFigures(book.component),
        incremental: roundFigures(book.incremental),
        limits: bandReport(model.books.get(book.name)),
      };
    const instrumentIds: string[] = [];
    for (const e of this.portfolio.instruments.values()) instrumentIds[e.index] = e.instrument.id;
    const instruments: VarSnapshot['instruments'] = {};
    for (const row of figures.instruments)
      instruments[instrumentIds[row.index] ?? String(row.index)] = {
        exposure: round2(row.exposure),
        returns: model.returnsOf(row.index),
        component: roundFigures(row.component),
        incremental: roundFigures(row.incremental),
      };
    return {
      method: settings.method,
      confidence: settings.confidence,
      horizonDays: settings.horizonDays,
      ready: figures.ready,
      returns: figures.returns,
      minReturns: settings.minReturns,
      sampleSpacingSeconds: figures.spacingMicros > 0 ? figures.spacingMicros / 1_000_000 : null,
      portfolio: {
        figures: figures.portfolio === null ? null : roundFigures(figures.portfolio),
        limits: bandReport(model.portfolio),
      },
      strategies,
      instruments,
      counts: {
        samples: model.counts.samples,
        checks: this.varChecks,
        uncheckedWithoutHistory: this.varWithoutHistory,
        unavailable: this.varUnavailable,
        invalidReturns: model.counts.invalidReturns,
        modelErrors: model.counts.modelErrors,
      },
      lastError: model.lastError,
    };
  }

  private drawdownSnapshot(): RiskSnapshot['drawdowns'] {
    const strategies: RiskSnapshot['drawdowns']['strategies'] = {};
    for (const tracker of this.drawdown.strategies.values()) {
      const restriction = this.strategyRestrictions.get(tracker.name);
      strategies[tracker.name] = {
        ...drawdownReport(tracker),
        tradingState: restriction?.state ?? 'ACTIVE',
        restrictedBy: restriction?.reason ?? null,
      };
    }
    for (const [id, restriction] of this.strategyRestrictions)
      if (strategies[id] === undefined)
        strategies[id] = {
          ...drawdownReport(this.drawdown.strategy(id)),
          tradingState: restriction.state,
          restrictedBy: restriction.reason,
        };
    return { portfolio: drawdownReport(this.drawdown.portfolio), strategies };
  }
}

function report(gross: number, net: number, totals: ExposureTotals): ExposureReport {
  return {
    gross: round2(gross),
    net: round2(net),
    projectedGross: round2(totals.gross),
    projectedNetLong: round2(totals.netLong),
    projectedNetShort: round2(totals.netShort),
  };
}
