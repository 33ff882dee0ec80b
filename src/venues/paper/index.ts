// Public surface of the paper venue.
export { PaperVenueAdapter, type PaperVenueAdapterOptions } from './adapter.ts';
export {
  PaperVenueOptionsSchema,
  parsePaperVenueOptions,
  type PaperVenueOptions,
  type PaperVenueOptionsInput,
} from './config.ts';
export { FeeModel, type Liquidity } from './fee-model.ts';
export { SeededLatencyModel } from './latency-model.ts';
export { SeededRandom } from '../../common/random.ts';
