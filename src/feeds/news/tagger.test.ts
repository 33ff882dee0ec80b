// Instrument tagging: ticker forms, names and aliases, and the false positives it must not produce.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../common/errors.ts';
import { parseRegistry } from '../../common/registry.ts';
import { createInstrumentTagger, type InstrumentTaggerOptions } from './tagger.ts';

const equity = (symbol: string, venues: string[], currency = 'USD') => ({
  symbol,
  venues,
  assetClass: 'equity' as const,
  currency,
  tickSize: 0.01,
  lotSize: 1,
  region: currency === 'INR' ? 'IN' : 'US',
  sector: 'test',
});

const registry = parseRegistry({
  venues: { 'SIM-A': { adapter: 'paper' }, 'SIM-B': { adapter: 'paper' }, NSE: { adapter: 'paper' } },
  instruments: [
    equity('AAPL', ['SIM-A', 'SIM-B']),
    equity('MSFT', ['SIM-A']),
    equity('IT', ['SIM-A']),
    equity('NOW', ['SIM-A']),
    equity('BRK.B', ['SIM-A']),
    equity('RELIANCE', ['NSE'], 'INR'),
    equity('TCS', ['NSE'], 'INR'),
    equity('M&M', ['NSE'], 'INR'),
    equity('TATAMOTORS', ['NSE'], 'INR'),
    equity('TATASTEEL', ['NSE'], 'INR'),
    equity('T', ['SIM-A']),
  ],
});

const aliases = {
  AAPL: ['Apple', 'Apple Inc'],
  MSFT: ['Microsoft'],
  RELIANCE: ['Reliance Industries', 'RIL'],
  TCS: ['Tata Consultancy Services'],
  TATAMOTORS: ['Tata Motors'],
  TATASTEEL: ['Tata Steel'],
  'M&M': ['Mahindra & Mahindra'],
  T: ['AT&T'],
};

const tagger = (options: InstrumentTaggerOptions = { aliases }) => createInstrumentTagger(registry, options);
const symbols = (text: string, options?: InstrumentTaggerOptions): string[] =>
  tagger(options).symbolsIn(text);

describe('InstrumentTagger: tickers', () => {
  it('tags bare, cashtag and exchange-prefixed tickers, every venue of the symbol', () => {
    expect(tagger().tag('AAPL rallies')).toEqual(['AAPL.SIM-A', 'AAPL.SIM-B']);
    expect(symbols('$AAPL and $msft up')).toEqual(['AAPL', 'MSFT']);
    expect(symbols('NASDAQ:AAPL, nse: RELIANCE, NSE:TCS')).toEqual(['AAPL', 'RELIANCE', 'TCS']);
    expect(symbols('RELIANCE.NS hits a record')).toEqual(['RELIANCE']);
    expect(symbols('BRK.B buys more')).toEqual(['BRK.B']);
  });

  it('matches bare tickers as written in capitals and as whole words only', () => {
    expect(symbols('aapl and Aapl')).toEqual([]);
    expect(symbols('AAPLX is a fund; XAAPL is not a ticker; TCS1 neither')).toEqual([]);
  });

  it('does not tag short or ambiguous tickers bare, unless configured', () => {
    const text = 'IT stocks fall; NOW is the time; it is what it is';
    expect(symbols(text)).toEqual([]);
    expect(symbols('$IT and NYSE:NOW report')).toEqual(['IT', 'NOW']);
    expect(symbols(text, { aliases, bareSymbols: ['IT'] })).toEqual(['IT']);
    expect(symbols('it is', { aliases, bareSymbols: ['IT'] })).toEqual([]);
    expect(symbols(text, { aliases, ambiguousSymbols: [], minBareSymbolLength: 2 })).toEqual(['IT', 'NOW']);
  });

  it('ignores an unknown exchange prefix form and a dollar amount', () => {
    expect(symbols('$100 and FOO:AAPLX')).toEqual([]);
  });
});

describe('InstrumentTagger: names and aliases', () => {
  it('matches names case-insensitively as whole words, across line breaks', () => {
    expect(symbols('APPLE and microsoft')).toEqual(['AAPL', 'MSFT']);
    expect(symbols("Apple's results")).toEqual(['AAPL']);
    expect(symbols('Reliance\n Industries shares')).toEqual(['RELIANCE']);
  });

  it('does not find a name inside a longer word', () => {
    expect(symbols('PINEAPPLE exports and Applebee menus, grapple, rilled')).toEqual([]);
  });

  it('prefers the longest name at a position', () => {
    expect(symbols('Tata Motors and Tata Steel, not Tata Consultancy')).toEqual(['TATAMOTORS', 'TATASTEEL']);
  });

  it('does not split names joined by an ampersand', () => {
    expect(symbols('Mahindra & Mahindra and AT&T')).toEqual(['M&M', 'T']);
    expect(symbols('AT&Tx is not it')).toEqual([]);
  });
});

describe('createInstrumentTagger: configuration errors', () => {
  it('names the key of an alias for a symbol the registry lacks', () => {
    expect(() =>
      createInstrumentTagger(registry, { aliases: { GOOG: ['Alphabet'] } }, 'configs/news.yaml'),
    ).toThrow(new ConfigError('configs/news.yaml', 'aliases.GOOG', '"GOOG" is not a symbol in the registry'));
    expect(() => createInstrumentTagger(registry, { aliases: { AAPL: ['Apple', ' '] } })).toThrow(
      /aliases\.AAPL\[1\]/,
    );
  });
});
