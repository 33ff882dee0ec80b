// The built-in strategies by name (the `strategy` of a strategies.yaml entry), with their parameter schemas.
import type { StrategyClass } from '../strategy.ts';
import { CrossVenueArbitrageStrategy } from './cross-venue-arb.ts';
import { MarketMakerStrategy } from './market-maker.ts';
import { MovingAverageCrossStrategy } from './sma-cross.ts';

export { CrossVenueArbitrageParametersSchema, CrossVenueArbitrageStrategy } from './cross-venue-arb.ts';
export type { CrossVenueArbitrageParameters } from './cross-venue-arb.ts';
export { MarketMakerParametersSchema, MarketMakerStrategy } from './market-maker.ts';
export type { MarketMakerParameters, MarketMakerQuote } from './market-maker.ts';
export { MovingAverageCrossParametersSchema, MovingAverageCrossStrategy } from './sma-cross.ts';
export type { MovingAverageCrossParameters } from './sma-cross.ts';

export const builtinStrategies: Readonly<Record<string, StrategyClass>> = {
  'sma-cross': MovingAverageCrossStrategy,
  'cross-venue-arb': CrossVenueArbitrageStrategy,
  'market-maker': MarketMakerStrategy,
};
