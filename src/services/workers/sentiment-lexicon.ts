// A compact finance-aware sentiment lexicon and scorer for news text.
//
// Why not a general-purpose lexicon: Loughran & McDonald (2011, "When Is a Liability Not a Liability? Textual
// Analysis, Dictionaries, and 10-Ks", Journal of Finance 66(1)) found that about three quarters of the
// "negative" words of the Harvard General Inquirer are not negative in financial text ("liability", "tax",
// "cost", "capital", "board", "foreign", "vice", "crude", "mine"). The same holds the other way round: "beat"
// (estimates) is good news and "short interest rose" is bad news, though neither reads so word by word. This
// list follows their approach (finance-specific word lists, negative much longer than positive) in a compact
// form, with what a headline scorer also needs:
//
// - Weights 0.5 … 3 give intensity: "fell" 1, "plunged" 2.5, "bankruptcy" 3.
// - Phrases are matched before single words and consume their tokens: "beat estimates" +2, "missed estimates"
//   −2, "short interest rose" −2, "short interest fell" +1, "fell short of" −2, "raises guidance" +2, "cuts
//   guidance" −2, "going concern" −3, "profit warning" −2.5. Up to `gap` other words may sit between the parts
//   ("beat Wall Street's estimates", "short interest in Tesla rose"), never across a clause break.
// - "short" alone, "liability", "tax" … are finance-neutral: listed in FINANCE_NEUTRAL_TERMS, never scored.
// - Negation: a negator ("not", "no", "never", "without", a word ending in "n't", "failed to" …) within the three
//   words before a term, in the same clause, multiplies it by −0.74. The window of three is Loughran and
//   McDonald's rule for negated positive words; the factor is VADER's N_SCALAR (Hutto & Gilbert 2014, "VADER: A
//   Parsimonious Rule-based Model for Sentiment Analysis of Social Media Text", ICWSM), which keeps "not good"
//   weaker than "bad". Here it applies to negative terms as well ("did not fall").
// - Intensity: the nearest modifier within two words before or one after a term, same clause, multiplies it:
//   boosters ("sharply", "record", "steep" …) by 1.5, dampeners ("slightly", "modestly" …) by 0.5.
// - The item score is VADER's normalisation of the sum S of weighted terms: S / √(S² + 15), in (−1, 1).

/** A lexicon term found in a text, after negation and intensity. */
export interface SentimentMatch {
  readonly term: string;
  /** The term's lexicon weight (signed). */
  readonly base: number;
  /** After negation and intensity. */
  readonly weight: number;
  readonly negated: boolean;
  /** 1, or the booster / dampener factor applied. */
  readonly intensity: number;
}

export interface SentimentScore {
  /** S / √(S² + 15), in (−1, 1); 0 without matches. */
  readonly score: number;
  /** Sum of the weighted terms. */
  readonly sum: number;
  readonly matches: readonly SentimentMatch[];
}

/** VADER's normalisation constant (Hutto & Gilbert 2014). */
export const NORMALIZATION_ALPHA = 15;
/** VADER's N_SCALAR: a negated term counts −0.74 times. */
export const NEGATION_FACTOR = -0.74;
export const NEGATION_WINDOW = 3;
export const BOOSTER_FACTOR = 1.5;
export const DAMPENER_FACTOR = 0.5;

function forms(weight: number, ...words: string[]): [string, number][] {
  return words.map((w) => [w, weight]);
}

/** Single words, exact forms (inflections listed: a stem would catch "surgery" with "surge"). */
const WORDS = new Map<string, number>([
  // positive
  ...forms(2.5, 'soar', 'soars', 'soared', 'soaring'),
  ...forms(2, 'surge', 'surges', 'surged', 'surging', 'rally', 'rallies', 'rallied', 'rallying'),
  ...forms(2, 'bullish', 'breakthrough', 'upgrade', 'upgrades', 'upgraded'),
  ...forms(2, 'outperform', 'outperforms', 'outperformed', 'outperforming'),
  ...forms(1.5, 'jump', 'jumps', 'jumped', 'jumping', 'rebound', 'rebounds', 'rebounded', 'rebounding'),
  ...forms(1.5, 'beat', 'beats', 'exceed', 'exceeds', 'exceeded', 'surpass', 'surpasses', 'surpassed'),
  ...forms(1.5, 'strong', 'stronger', 'strongest', 'strength', 'strengthen', 'strengthened', 'robust'),
  ...forms(1.5, 'profitable', 'profitability', 'improve', 'improves', 'improved', 'improvement'),
  ...forms(1.5, 'boost', 'boosts', 'boosted', 'approval', 'approved', 'approves', 'optimistic', 'optimism'),
  ...forms(1.5, 'upbeat', 'buoyant'),
  ...forms(1, 'gain', 'gains', 'gained', 'gaining', 'rise', 'rises', 'rose', 'rising', 'risen'),
  ...forms(1, 'climb', 'climbs', 'climbed', 'climbing', 'recover', 'recovers', 'recovered', 'recovery'),
  ...forms(1, 'growth', 'grow', 'grows', 'grew', 'growing', 'solid', 'win', 'wins', 'won'),
  ...forms(1, 'buyback', 'buybacks', 'tailwind', 'tailwinds'),
  // negative
  ...forms(-3, 'bankrupt', 'bankruptcy', 'bankruptcies', 'insolvent', 'insolvency', 'fraud', 'fraudulent'),
  ...forms(-3, 'collapse', 'collapses', 'collapsed', 'crash', 'crashes', 'crashed'),
  ...forms(
    -2.5,
    'default',
    'defaults',
    'defaulted',
    'delist',
    'delisted',
    'delisting',
    'scandal',
    'scandals',
  ),
  ...forms(-2.5, 'plunge', 'plunges', 'plunged', 'plunging', 'plummet', 'plummets', 'plummeted'),
  ...forms(-2.5, 'indicted', 'indictment'),
  ...forms(-2, 'tumble', 'tumbles', 'tumbled', 'tumbling', 'slump', 'slumps', 'slumped', 'slumping'),
  ...forms(-2, 'downgrade', 'downgrades', 'downgraded', 'bearish', 'sell-off', 'selloff', 'recession'),
  ...forms(-2, 'underperform', 'underperforms', 'underperformed', 'underperforming'),
  ...forms(-2, 'lawsuit', 'lawsuits', 'sue', 'sues', 'sued', 'litigation', 'subpoena', 'breach', 'breached'),
  ...forms(-2, 'restatement', 'restated', 'impairment', 'impaired', 'write-down', 'writedown', 'writedowns'),
  ...forms(-2, 'liquidation', 'disappoint', 'disappoints', 'disappointed', 'disappointing'),
  ...forms(-2, 'fail', 'fails', 'failed', 'failure', 'failures'),
  ...forms(-1.5, 'sink', 'sinks', 'sank', 'sunk', 'slide', 'slides', 'slid', 'sliding'),
  ...forms(-1.5, 'lose', 'loses', 'lost', 'losing', 'loss', 'losses', 'shortfall', 'slowdown'),
  ...forms(-1.5, 'weak', 'weaker', 'weakest', 'weakness', 'weaken', 'weakened', 'weakening'),
  ...forms(-1.5, 'probe', 'investigation', 'fined', 'penalty', 'penalties', 'recall', 'recalls', 'recalled'),
  ...forms(-1.5, 'layoff', 'layoffs', 'miss', 'misses', 'missed', 'warn', 'warns', 'warned', 'warning'),
  ...forms(-1.5, 'fear', 'fears', 'halted', 'suspended', 'short-seller', 'short-sellers'),
  ...forms(-1, 'fall', 'falls', 'fell', 'falling', 'fallen', 'drop', 'drops', 'dropped', 'dropping'),
  ...forms(-1, 'decline', 'declines', 'declined', 'declining', 'decrease', 'decreases', 'decreased'),
  ...forms(-1, 'concern', 'concerns', 'worry', 'worries', 'worried', 'headwind', 'headwinds'),
  ...forms(-1, 'slow', 'slows', 'slowed', 'slowing', 'deficit', 'resign', 'resigns', 'resigned'),
  ...forms(-0.5, 'uncertain', 'uncertainty', 'volatile'),
]);

/**
 * Words general-purpose lexicons score but financial text uses neutrally (Loughran & McDonald 2011): never
 * scored here. Kept as a list so the choice is visible and tested.
 */
export const FINANCE_NEUTRAL_TERMS: readonly string[] = [
  'liability',
  'liabilities',
  'tax',
  'taxes',
  'cost',
  'costs',
  'capital',
  'board',
  'vice',
  'foreign',
  'crude',
  'mine',
  'mines',
  'short',
  'outstanding',
  'profit',
  'profits',
  'charge',
  'lower',
];

interface Phrase {
  /** Each part: the words that may fill it. */
  readonly parts: readonly (readonly string[])[];
  /** Other words allowed between consecutive parts (same clause). */
  readonly gap: number;
  readonly weight: number;
  readonly label: string;
}

const ESTIMATES = [
  'estimate',
  'estimates',
  'expectation',
  'expectations',
  'forecast',
  'forecasts',
  'consensus',
  'views',
  'projections',
];
const GUIDANCE = [
  'guidance',
  'outlook',
  'forecast',
  'forecasts',
  'target',
  'targets',
  'dividend',
  'dividends',
];
const UP = [
  'rose',
  'rises',
  'rise',
  'rising',
  'jumped',
  'jumps',
  'climbed',
  'climbs',
  'increased',
  'increases',
];
const UP_MORE = ['surged', 'surges', 'grew', 'grows', 'hit', 'hits', 'soared', 'spiked'];
const DOWN = [
  'fell',
  'falls',
  'fall',
  'declined',
  'declines',
  'dropped',
  'drops',
  'eased',
  'eases',
  'decreased',
];

const PHRASES: readonly Phrase[] = [
  {
    label: 'short interest up',
    parts: [['short'], ['interest'], [...UP, ...UP_MORE]],
    gap: 3,
    weight: -2,
  },
  { label: 'short interest down', parts: [['short'], ['interest'], DOWN], gap: 3, weight: 1 },
  {
    label: 'beat estimates',
    parts: [['beat', 'beats', 'beating', 'topped', 'tops', 'top'], ESTIMATES],
    gap: 3,
    weight: 2,
  },
  {
    label: 'missed estimates',
    parts: [['miss', 'misses', 'missed', 'missing'], ESTIMATES],
    gap: 3,
    weight: -2,
  },
  {
    label: 'fell short of',
    parts: [['fell', 'falls', 'fall', 'came', 'comes'], ['short'], ['of']],
    gap: 0,
    weight: -2,
  },
  {
    label: 'raises guidance',
    parts: [
      ['raise', 'raises', 'raised', 'lifts', 'lifted', 'lift', 'boosts', 'boosted', 'hikes', 'hiked'],
      GUIDANCE,
    ],
    gap: 3,
    weight: 2,
  },
  {
    label: 'cuts guidance',
    parts: [
      [
        'cut',
        'cuts',
        'lowers',
        'lowered',
        'lower',
        'slashes',
        'slashed',
        'trims',
        'trimmed',
        'withdraws',
        'withdrew',
      ],
      GUIDANCE,
    ],
    gap: 3,
    weight: -2,
  },
  { label: 'going concern', parts: [['going'], ['concern']], gap: 0, weight: -3 },
  { label: 'profit warning', parts: [['profit'], ['warning', 'warnings']], gap: 0, weight: -2.5 },
  { label: 'took a beating', parts: [['took', 'takes', 'take'], ['a'], ['beating']], gap: 0, weight: -2 },
  { label: 'sell off', parts: [['sell'], ['off']], gap: 0, weight: -2 },
  { label: 'short sellers', parts: [['short'], ['seller', 'sellers']], gap: 0, weight: -1.5 },
  { label: 'short squeeze', parts: [['short'], ['squeeze']], gap: 0, weight: 1.5 },
  {
    label: 'record results',
    parts: [['record'], ['profit', 'profits', 'earnings', 'revenue', 'revenues', 'sales']],
    gap: 1,
    weight: 2,
  },
  {
    label: 'record high',
    parts: [
      ['record', 'all-time'],
      ['high', 'highs'],
    ],
    gap: 0,
    weight: 1.5,
  },
  {
    label: 'narrowed loss',
    parts: [
      ['narrow', 'narrows', 'narrowed', 'narrowing'],
      ['loss', 'losses'],
    ],
    gap: 2,
    weight: 1.5,
  },
  {
    label: 'widened loss',
    parts: [
      ['widen', 'widens', 'widened', 'widening'],
      ['loss', 'losses'],
    ],
    gap: 2,
    weight: -2,
  },
];

const NEGATORS = new Set([
  'not',
  'no',
  'never',
  'none',
  'neither',
  'nor',
  'without',
  'cannot',
  'hardly',
  'barely',
]);
const FAIL_TO = new Set(['fail', 'fails', 'failed', 'failing']);

const BOOSTERS = new Set([
  'sharply',
  'sharp',
  'significantly',
  'significant',
  'substantially',
  'strongly',
  'steep',
  'steeply',
  'massive',
  'huge',
  'record',
  'heavily',
  'deeply',
  'severe',
  'severely',
  'dramatically',
  'biggest',
  'hefty',
]);
const DAMPENERS = new Set(['slightly', 'slight', 'modestly', 'modest', 'marginally', 'somewhat', 'mildly']);

/** Words, numbers, and clause breaks (`.`, `,`, `;`, `:`, `!`, `?`) as their own tokens. */
const TOKEN = /\d+(?:[.,]\d+)*%?|[a-z]+(?:['’-][a-z]+)*|[.,;:!?]/g;
const BREAKS = new Set(['.', ',', ';', ':', '!', '?']);

export function tokenize(text: string): string[] {
  return text.toLowerCase().replace(/’/g, "'").match(TOKEN) ?? [];
}

function isNegator(tokens: readonly string[], i: number): boolean {
  const t = tokens[i] as string;
  if (NEGATORS.has(t) || t.endsWith("n't")) return true;
  return FAIL_TO.has(t) && tokens[i + 1] === 'to';
}

/** The end (exclusive) of a phrase starting at `start`, or -1. */
function matchPhrase(tokens: readonly string[], start: number, phrase: Phrase): number {
  let at = start;
  for (let p = 0; p < phrase.parts.length; p++) {
    const part = phrase.parts[p] as readonly string[];
    if (p === 0) {
      if (!part.includes(tokens[at] ?? '')) return -1;
      at++;
      continue;
    }
    let found = -1;
    for (let k = at; k <= at + phrase.gap && k < tokens.length; k++) {
      const t = tokens[k] as string;
      if (part.includes(t)) {
        found = k;
        break;
      }
      if (BREAKS.has(t)) break;
    }
    if (found < 0) return -1;
    at = found + 1;
  }
  return at;
}

/** Scores a text with the lexicon: phrases first, then words, with negation and intensity. */
export function scoreText(text: string): SentimentScore {
  const tokens = tokenize(text);
  const matches: SentimentMatch[] = [];
  let sum = 0;
  let i = 0;
  while (i < tokens.length) {
    const token = tokens[i] as string;
    if (BREAKS.has(token)) {
      i++;
      continue;
    }
    let end = -1;
    let base = 0;
    let term = token;
    for (const phrase of PHRASES) {
      const e = matchPhrase(tokens, i, phrase);
      if (e > end) {
        end = e;
        base = phrase.weight;
        term = phrase.label;
      }
    }
    if (end < 0) {
      const weight = WORDS.get(token);
      // "failed to …" negates what follows rather than counting as a failure itself.
      if (weight === undefined || (FAIL_TO.has(token) && tokens[i + 1] === 'to')) {
        i++;
        continue;
      }
      base = weight;
      end = i + 1;
    }
    let negated = false;
    for (let k = i - 1; k >= 0 && k >= i - NEGATION_WINDOW; k--) {
      if (BREAKS.has(tokens[k] as string)) break;
      if (isNegator(tokens, k)) {
        negated = true;
        break;
      }
    }
    const intensity = modifierAround(tokens, i, end);
    const weight = base * intensity * (negated ? NEGATION_FACTOR : 1);
    matches.push({ term, base, weight, negated, intensity });
    sum += weight;
    i = end;
  }
  const score = matches.length === 0 ? 0 : sum / Math.sqrt(sum * sum + NORMALIZATION_ALPHA);
  return { score, sum, matches };
}

/** The factor of the nearest booster or dampener: two words before the term, then one after. */
function modifierAround(tokens: readonly string[], start: number, end: number): number {
  for (let k = start - 1; k >= 0 && k >= start - 2; k--) {
    const t = tokens[k] as string;
    if (BREAKS.has(t)) break;
    if (BOOSTERS.has(t)) return BOOSTER_FACTOR;
    if (DAMPENERS.has(t)) return DAMPENER_FACTOR;
  }
  const after = tokens[end];
  if (after !== undefined) {
    if (BOOSTERS.has(after)) return BOOSTER_FACTOR;
    if (DAMPENERS.has(after)) return DAMPENER_FACTOR;
  }
  return 1;
}
