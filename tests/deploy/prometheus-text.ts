// Test support: the Prometheus text exposition parsed into samples, and the metric names a PromQL expression
// reads (a tokenizer, enough for the dashboards' and rules' expressions; not a full PromQL parser).

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Every sample line of an exposition (`name{a="b",…} value`); comments and blank lines skipped. */
export function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.length === 0 || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    const body = match[3] ?? '';
    for (const m of body.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[m[1] as string] = (m[2] as string).replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    const raw = match[4] as string;
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
    out.push({ name: match[1] as string, labels, value });
  }
  return out;
}

/** The samples of one metric whose labels include `where`. */
export function samples(all: readonly Sample[], name: string, where: Record<string, string> = {}): Sample[] {
  return all.filter(
    (s) => s.name === name && Object.entries(where).every(([key, value]) => s.labels[key] === value),
  );
}

/** Sum of the matching samples' values (0 when none). */
export function total(all: readonly Sample[], name: string, where: Record<string, string> = {}): number {
  return samples(all, name, where).reduce((sum, s) => sum + s.value, 0);
}

const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
  'atan2',
  'inf',
  'nan',
]);
/** Aggregations, which may be followed by `by (…)` / `without (…)` before their parenthesised argument. */
const AGGREGATIONS = new Set([
  'sum',
  'min',
  'max',
  'avg',
  'group',
  'stddev',
  'stdvar',
  'count',
  'count_values',
  'bottomk',
  'topk',
  'quantile',
  'limitk',
  'limit_ratio',
]);
/** Keywords followed by a parenthesised label list. */
const LABEL_LIST = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);

/**
 * The metric names an expression selects: identifiers that are not functions (followed by `(`), keywords,
 * label lists (`by (…)`), label matchers (`{…}`), strings, ranges (`[5m]`) or numbers.
 */
export function metricNames(expression: string): string[] {
  const names = new Set<string>();
  // Strings, matchers, ranges and subqueries carry no metric names (a matcher's __name__ is not used here).
  const stripped = expression
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ');
  const tokens: string[] =
    stripped.match(/[a-zA-Z_:][a-zA-Z0-9_:]*|\d+(?:\.\d+)?(?:e[+-]?\d+)?[a-z]*|[()]|[^\s\w]/g) ?? [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    if (!/^[a-zA-Z_:]/.test(token)) continue;
    const lower = token.toLowerCase();
    if (LABEL_LIST.has(lower)) {
      if (tokens[i + 1] === '(') {
        const close = tokens.indexOf(')', i + 1);
        i = close < 0 ? tokens.length : close;
      }
      continue;
    }
    if (KEYWORDS.has(lower)) continue;
    if (AGGREGATIONS.has(lower) && (tokens[i + 1] === 'by' || tokens[i + 1] === 'without')) continue;
    if (tokens[i + 1] === '(') continue; // a function or an aggregation
    names.add(token);
  }
  return [...names];
}

/** A histogram's base name for its `_bucket`, `_sum` and `_count` series. */
export function baseName(name: string): string {
  return name.replace(/_(bucket|sum|count)$/, '');
}
