// Instrument tagging of news text: tickers (`AAPL`, `$AAPL`, `NASDAQ:AAPL`, NSE symbols such as `RELIANCE`) and
// company names / aliases (case-insensitive, whole words), from the registry's symbols plus configured aliases.

import { ConfigError } from '../../common/errors.ts';
import type { Registry } from '../../common/registry.ts';
import type { InstrumentId } from '../../model/index.ts';

/**
 * Tickers that are also common English words in capitals (`ALL`, `NOW`, `ON`, …): a bare mention does not tag
 * them; `$NOW` or `NYSE:NOW` still does, and `bareSymbols` lets one through.
 */
export const DEFAULT_AMBIGUOUS_SYMBOLS: readonly string[] = [
  'A',
  'ALL',
  'AN',
  'ANY',
  'ARE',
  'AT',
  'BE',
  'BIG',
  'CAN',
  'CAR',
  'CASH',
  'CEO',
  'DAY',
  'EAT',
  'EV',
  'FOR',
  'FUN',
  'GDP',
  'GO',
  'GOOD',
  'HAS',
  'HE',
  'IPO',
  'IT',
  'KEY',
  'LIFE',
  'LOVE',
  'LOW',
  'MAN',
  'NEW',
  'NOW',
  'ON',
  'ONE',
  'OUT',
  'PM',
  'REAL',
  'RUN',
  'SEE',
  'SO',
  'TV',
  'UK',
  'US',
  'USA',
  'WELL',
  'YOU',
];

/** Exchange prefixes accepted in the `EXCHANGE:SYMBOL` form (case-insensitive). */
export const DEFAULT_EXCHANGE_PREFIXES: readonly string[] = [
  'NASDAQ',
  'NYSE',
  'NYSEARCA',
  'NYSEAMERICAN',
  'AMEX',
  'BATS',
  'CBOE',
  'OTC',
  'NSE',
  'BSE',
  'LSE',
  'TSX',
  'ASX',
  'HKEX',
];

export interface InstrumentTaggerOptions {
  /** Company names and other aliases per registry symbol, matched case-insensitively as whole words. */
  readonly aliases?: Readonly<Record<string, readonly string[]>>;
  /** Bare tickers shorter than this never tag on their own (`$IT`, `NYSE:IT` still do). Default 3. */
  readonly minBareSymbolLength?: number;
  /** Replaces DEFAULT_AMBIGUOUS_SYMBOLS. */
  readonly ambiguousSymbols?: readonly string[];
  /** Symbols allowed to tag bare although short or ambiguous (e.g. `IT` for a desk that means Gartner). */
  readonly bareSymbols?: readonly string[];
  /** Replaces DEFAULT_EXCHANGE_PREFIXES. */
  readonly exchangePrefixes?: readonly string[];
}

const SYNTAX_CHARACTERS = /[\\^$.*+?()[\]{}|/]/g;

function escapeRegExp(text: string): string {
  return text.replace(SYNTAX_CHARACTERS, '\\$&');
}

// A match must not continue a word: no letter or digit on either side, and no `&` joining it to one (so `AT`
// is not found in `AT&T`). Hyphens, dots and apostrophes end a word: `RELIANCE.NS`, `Apple's`, `Tata-owned`.
const BEFORE = String.raw`(?<![\p{L}\p{N}]|[\p{L}\p{N}]&)`;
const AFTER = String.raw`(?![\p{L}\p{N}]|&[\p{L}\p{N}])`;

/** Longest first, so that at one position `Tata Motors` wins over `Tata`. */
function alternation(words: Iterable<string>, toPattern: (word: string) => string): string {
  return [...words]
    .sort((a, b) => b.length - a.length || (a < b ? -1 : a > b ? 1 : 0))
    .map(toPattern)
    .join('|');
}

function normalizeName(text: string): string {
  return text.toLowerCase().replace(/\s+/g, ' ').trim();
}

/**
 * Finds the instruments a text mentions. Bare tickers match as written (upper case), so `it` or `It` never
 * tags `IT`; `$aapl` and `nasdaq:aapl` match in any case; names match case-insensitively as whole words, so
 * `Apple` is not found in `PINEAPPLE`. Each symbol tags every instrument (venue) listed for it.
 */
export class InstrumentTagger {
  private readonly idsBySymbol = new Map<string, readonly InstrumentId[]>();
  /** Upper-cased symbol → registry symbol, for the case-insensitive forms. */
  private readonly symbolByUpper = new Map<string, string>();
  private readonly symbolsByName = new Map<string, string[]>();
  private readonly qualified: RegExp | undefined;
  private readonly bare: RegExp | undefined;
  private readonly names: RegExp | undefined;

  constructor(
    instruments: ReadonlyMap<string, readonly InstrumentId[]>,
    options: InstrumentTaggerOptions = {},
  ) {
    const minBare = options.minBareSymbolLength ?? 3;
    const ambiguous = new Set(
      (options.ambiguousSymbols ?? DEFAULT_AMBIGUOUS_SYMBOLS).map((s) => s.toUpperCase()),
    );
    const allowedBare = new Set((options.bareSymbols ?? []).map((s) => s.toUpperCase()));
    const bareSymbols: string[] = [];
    for (const [symbol, ids] of instruments) {
      if (ids.length === 0) continue;
      this.idsBySymbol.set(symbol, ids);
      const upper = symbol.toUpperCase();
      this.symbolByUpper.set(upper, symbol);
      if (allowedBare.has(upper) || (symbol.length >= minBare && !ambiguous.has(upper)))
        bareSymbols.push(symbol);
    }
    for (const [symbol, aliases] of Object.entries(options.aliases ?? {})) {
      if (!this.idsBySymbol.has(symbol)) continue;
      for (const alias of aliases) {
        const name = normalizeName(alias);
        if (!name) continue;
        const symbols = this.symbolsByName.get(name);
        if (!symbols) this.symbolsByName.set(name, [symbol]);
        else if (!symbols.includes(symbol)) symbols.push(symbol);
      }
    }
    const symbols = [...this.idsBySymbol.keys()];
    if (symbols.length > 0) {
      const exchanges = (options.exchangePrefixes ?? DEFAULT_EXCHANGE_PREFIXES).map(escapeRegExp).join('|');
      const prefix = exchanges ? String.raw`(?:\$|${BEFORE}(?:${exchanges}) ?: ?)` : String.raw`\$`;
      this.qualified = new RegExp(`${prefix}(${alternation(symbols, escapeRegExp)})${AFTER}`, 'giu');
    }
    if (bareSymbols.length > 0)
      this.bare = new RegExp(`${BEFORE}(${alternation(bareSymbols, escapeRegExp)})${AFTER}`, 'gu');
    if (this.symbolsByName.size > 0) {
      const namePattern = (name: string): string =>
        name
          .split(' ')
          .map(escapeRegExp)
          .join(String.raw`\s+`);
      this.names = new RegExp(
        `${BEFORE}(${alternation(this.symbolsByName.keys(), namePattern)})${AFTER}`,
        'giu',
      );
    }
  }

  /** Registry symbols mentioned in `text`, sorted. */
  symbolsIn(text: string): string[] {
    const found = new Set<string>();
    if (this.qualified)
      for (const match of text.matchAll(this.qualified)) {
        const symbol = this.symbolByUpper.get((match[1] ?? '').toUpperCase());
        if (symbol !== undefined) found.add(symbol);
      }
    if (this.bare) for (const match of text.matchAll(this.bare)) if (match[1]) found.add(match[1]);
    if (this.names)
      for (const match of text.matchAll(this.names))
        for (const symbol of this.symbolsByName.get(normalizeName(match[1] ?? '')) ?? []) found.add(symbol);
    return [...found].sort();
  }

  /** Instrument ids mentioned in `text` (every venue of each symbol), sorted. */
  tag(text: string): InstrumentId[] {
    const ids: InstrumentId[] = [];
    for (const symbol of this.symbolsIn(text))
      for (const id of this.idsBySymbol.get(symbol) ?? []) ids.push(id);
    return ids.sort();
  }
}

/**
 * A tagger over the registry's symbols. An alias for a symbol the registry does not list, or an empty alias,
 * is a ConfigError naming `file` and the key.
 */
export function createInstrumentTagger(
  registry: Registry,
  options: InstrumentTaggerOptions = {},
  file = 'news',
): InstrumentTagger {
  const instruments = new Map<string, readonly InstrumentId[]>();
  for (const [symbol, list] of registry.bySymbol)
    instruments.set(
      symbol,
      list.map((instrument) => instrument.id),
    );
  for (const [symbol, aliases] of Object.entries(options.aliases ?? {})) {
    if (!instruments.has(symbol))
      throw new ConfigError(file, `aliases.${symbol}`, `"${symbol}" is not a symbol in the registry`);
    aliases.forEach((alias, index) => {
      if (!alias.trim())
        throw new ConfigError(file, `aliases.${symbol}[${index}]`, 'an alias must not be empty');
    });
  }
  return new InstrumentTagger(instruments, options);
}
