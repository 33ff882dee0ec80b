// Plain text from feed markup: HTML tags removed, character references decoded, whitespace collapsed.

/** Named character references seen in news feeds (HTML 5 names); an unknown name is left as written. */
const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
  ensp: '\u2002',
  emsp: '\u2003',
  thinsp: '\u2009',
  ndash: '\u2013',
  mdash: '\u2014',
  lsquo: '\u2018',
  rsquo: '\u2019',
  sbquo: '\u201a',
  ldquo: '\u201c',
  rdquo: '\u201d',
  bdquo: '\u201e',
  laquo: '\u00ab',
  raquo: '\u00bb',
  hellip: '\u2026',
  bull: '\u2022',
  middot: '\u00b7',
  prime: '\u2032',
  copy: '\u00a9',
  reg: '\u00ae',
  trade: '\u2122',
  deg: '\u00b0',
  plusmn: '\u00b1',
  times: '\u00d7',
  divide: '\u00f7',
  minus: '\u2212',
  frac12: '\u00bd',
  frac14: '\u00bc',
  frac34: '\u00be',
  percnt: '%',
  euro: '\u20ac',
  pound: '\u00a3',
  yen: '\u00a5',
  cent: '\u00a2',
  dollar: '$',
  sect: '\u00a7',
  para: '\u00b6',
  shy: '',
  iexcl: '\u00a1',
  iquest: '\u00bf',
  agrave: '\u00e0',
  aacute: '\u00e1',
  acirc: '\u00e2',
  auml: '\u00e4',
  atilde: '\u00e3',
  aring: '\u00e5',
  ccedil: '\u00e7',
  egrave: '\u00e8',
  eacute: '\u00e9',
  ecirc: '\u00ea',
  euml: '\u00eb',
  igrave: '\u00ec',
  iacute: '\u00ed',
  icirc: '\u00ee',
  iuml: '\u00ef',
  ntilde: '\u00f1',
  ograve: '\u00f2',
  oacute: '\u00f3',
  ocirc: '\u00f4',
  ouml: '\u00f6',
  otilde: '\u00f5',
  oslash: '\u00f8',
  ugrave: '\u00f9',
  uacute: '\u00fa',
  ucirc: '\u00fb',
  uuml: '\u00fc',
  szlig: '\u00df',
  Eacute: '\u00c9',
  Auml: '\u00c4',
  Ouml: '\u00d6',
  Uuml: '\u00dc',
};

const CHARACTER_REFERENCE = /&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([A-Za-z][A-Za-z0-9]{1,31}));/g;
const REPLACEMENT_CHARACTER = '\ufffd';

function codePointText(codePoint: number): string {
  // NUL, surrogates and values beyond Unicode are not characters (HTML 5 §13.2.5.80 maps them to U+FFFD).
  if (codePoint === 0 || codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff))
    return REPLACEMENT_CHARACTER;
  return String.fromCodePoint(codePoint);
}

function replaceReference(whole: string, decimal?: string, hex?: string, name?: string): string {
  if (decimal !== undefined) return codePointText(Number.parseInt(decimal, 10));
  if (hex !== undefined) return codePointText(Number.parseInt(hex, 16));
  return (name !== undefined ? NAMED_ENTITIES[name] : undefined) ?? whole;
}

/** Decodes `&amp;`, `&#8217;`, `&#x2019;` and the named references above. */
export function decodeHtmlEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(CHARACTER_REFERENCE, replaceReference);
}

const CDATA_SECTION = /<!\[CDATA\[([\s\S]*?)\]\]>/g;
const XML_REFERENCE = /&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|(amp|lt|gt|quot|apos));/g;

function decodeXmlReferences(text: string): string {
  return text.includes('&') ? text.replace(XML_REFERENCE, replaceReference) : text;
}

/**
 * The character data of raw XML element content: CDATA sections taken verbatim, the five XML entities and
 * numeric references decoded elsewhere. Other `&name;` references are left for the HTML layer.
 */
export function decodeXmlText(raw: string): string {
  if (!raw.includes('<![CDATA[')) return decodeXmlReferences(raw);
  let out = '';
  let last = 0;
  for (const match of raw.matchAll(CDATA_SECTION)) {
    out += decodeXmlReferences(raw.slice(last, match.index)) + (match[1] ?? '');
    last = match.index + match[0].length;
  }
  return out + decodeXmlReferences(raw.slice(last));
}

const SCRIPT_OR_STYLE = /<(script|style)\b[^>]*>[\s\S]*?<\/\1\s*>/gi;
const COMMENT = /<!--[\s\S]*?-->/g;
// A tag with well-formed attributes (a quoted value may hold `>`), then anything left that looks like a tag.
const TAG =
  /<\/?([A-Za-z][A-Za-z0-9:-]*)(?:\s+[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*\s*\/?>/g;
const LOOSE_TAG = /<\/?([A-Za-z][A-Za-z0-9:-]*)[^<>]*>/g;
const WHITESPACE = /\s+/g;
/** Tags that separate words: replaced by a space; other (inline) tags are removed without one. */
const BREAKING_TAGS = new Set([
  'br',
  'p',
  'div',
  'li',
  'ul',
  'ol',
  'tr',
  'td',
  'th',
  'table',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'blockquote',
  'img',
  'hr',
  'section',
  'article',
  'figure',
  'figcaption',
]);

function replaceTag(_whole: string, name: string): string {
  return BREAKING_TAGS.has(name.toLowerCase()) ? ' ' : '';
}

/**
 * Plain text of an HTML fragment: scripts, styles, comments and tags removed, character references decoded,
 * whitespace (including no-break spaces) collapsed to single spaces. Text such as `a < b` is kept.
 */
export function htmlToText(html: string): string {
  let text = html;
  if (text.includes('<')) {
    text = text
      .replace(SCRIPT_OR_STYLE, ' ')
      .replace(COMMENT, ' ')
      .replace(TAG, replaceTag)
      .replace(LOOSE_TAG, replaceTag);
  }
  return decodeHtmlEntities(text).replace(WHITESPACE, ' ').trim();
}

/** At most `max` characters, cut at a word boundary when one is near, with an ellipsis when cut. */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${space > max * 0.6 ? cut.slice(0, space) : cut}\u2026`;
}
