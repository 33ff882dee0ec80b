// RSS 2.0 and Atom 1.0 parsing against recorded-format documents (tests/fixtures/news) and edge cases.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseFeed } from './parse.ts';
import { NewsFeedError } from './reasons.ts';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../../tests/fixtures/news/${name}`, import.meta.url), 'latin1');
const utf8Fixture = (name: string): string =>
  readFileSync(new URL(`../../../tests/fixtures/news/${name}`, import.meta.url), 'utf8');

// 2024-01-02T00:00:00Z: 19,724 days after the epoch × 86,400 s (see dates.test.ts).
const JAN_2_2024 = 1_704_153_600_000_000;
const at = (hours: number, minutes: number, seconds: number): number =>
  JAN_2_2024 + ((hours * 60 + minutes) * 60 + seconds) * 1_000_000;

function parseError(xml: string): NewsFeedError {
  try {
    parseFeed(xml, { source: 'test-feed' });
  } catch (error) {
    if (error instanceof NewsFeedError) return error;
    throw error;
  }
  throw new Error('expected parseFeed to throw');
}

const rss = (items: string): string =>
  `<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>${items}</channel></rss>`;

describe('parseFeed: Yahoo Finance headline feed', () => {
  const feed = parseFeed(utf8Fixture('yahoo-finance-aapl.xml'), { source: 'yahoo-aapl' });

  it('reads every item, guid as id, with decoded text', () => {
    expect(feed.format).toBe('rss');
    expect(feed.title).toBe('Yahoo! Finance: AAPL News');
    expect(feed.problems).toEqual([]);
    expect(feed.entries).toHaveLength(4);
    expect(feed.entries[0]).toEqual({
      id: '3f6a2c1e-7d4b-3c2a-9b1e-0d5f8a7e6c41',
      title: 'Apple shares slip after Barclays downgrade to underweight',
      summary:
        'Apple Inc. shares slipped in early trading on Tuesday after Barclays downgraded the iPhone maker to underweight, citing weak demand for the iPhone 15 in China.',
      url: 'https://finance.yahoo.com/news/apple-shares-slip-barclays-downgrade-143012345.html?.tsrc=rss',
      publishedAt: at(14, 30, 12),
    });
    // &#39; and &amp; in the feed.
    expect(feed.entries[1]?.title).toBe("Apple's Vision Pro to launch in February: report");
    expect(feed.entries[1]?.summary).toContain('the matter & supply-chain analysts');
  });

  it('keeps an item with an empty description', () => {
    expect(feed.entries[2]?.summary).toBe('');
    expect(feed.entries[2]?.title).toContain('Magnificent Seven');
  });
});

describe('parseFeed: Moneycontrol feed', () => {
  const feed = parseFeed(utf8Fixture('moneycontrol-business.xml'), { source: 'moneycontrol' });

  it('reads CDATA titles and descriptions, strips the leading image, converts +0530 times', () => {
    expect(feed.format).toBe('rss');
    expect(feed.problems).toEqual([]);
    expect(feed.entries.map((entry) => entry.title)).toEqual([
      'Reliance Industries shares gain 2% as Jio Financial rallies; Sensex ends at record',
      'TCS, Infosys in focus ahead of Q3 earnings; IT index slips 1%',
      'HDFC Bank Q3 business update: Gross advances up 62% YoY',
    ]);
    const [first, , third] = feed.entries;
    // CDATA is not entity-decoded by XML, so &nbsp; and &amp; reach the HTML layer and are decoded there.
    expect(first?.summary).toBe(
      'Shares of Reliance Industries Ltd (RIL) rose 2 percent on January 2 & the Nifty 50 closed above 21,700 for the first time.',
    );
    expect(third?.summary.startsWith('The country\u2019s largest private lender')).toBe(true);
    // 16:40:12 +0530 is 11:10:12 UTC.
    expect(first?.publishedAt).toBe(at(11, 10, 12));
    expect(first?.id).toBe(first?.url);
  });
});

describe('parseFeed: Atom (SEC EDGAR latest filings)', () => {
  const feed = parseFeed(fixture('sec-edgar-current-8k.atom.xml'), { source: 'sec-8k' });

  it('reads entries: id, alternate link, escaped-HTML summary, updated time', () => {
    expect(feed.format).toBe('atom');
    expect(feed.problems).toEqual([]);
    expect(feed.entries).toHaveLength(3);
    expect(feed.entries[0]).toEqual({
      id: 'urn:tag:sec.gov,2008:accession-number=0000019617-24-000004',
      title: '8-K - JPMORGAN CHASE & CO (0000019617) (Filer)',
      summary:
        'Filed: 2024-01-02 AccNo: 0000019617-24-000004 Size: 312 KB Item 7.01: Regulation FD Disclosure Item 9.01: Financial Statements and Exhibits',
      url: 'https://www.sec.gov/Archives/edgar/data/19617/000001961724000004/0000019617-24-000004-index.htm',
      // 16:28:41 -05:00 is 21:28:41 UTC.
      publishedAt: at(21, 28, 41),
    });
  });

  it('reads xhtml and CDATA text constructs, prefers published, resolves relative links', () => {
    const xml = `<feed xmlns="http://www.w3.org/2005/Atom"><title>F</title>
      <entry>
        <id>tag:example.com,2024:1</id>
        <title type="html">Q3 &amp;lt;b&amp;gt;beat&amp;lt;/b&amp;gt; &amp;amp; raise</title>
        <summary type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">Revenue <b>rose</b> 5% &amp; margins widened</div></summary>
        <link rel="enclosure" href="/audio.mp3"/>
        <link href="/news/1"/>
        <published>2024-01-02T08:00:00Z</published>
        <updated>2024-01-02T09:00:00Z</updated>
      </entry>
      <entry>
        <id>tag:example.com,2024:2</id>
        <title>Plain</title>
        <content type="html"><![CDATA[<p>In <i>CDATA</i> &amp; escaped</p>]]></content>
        <updated>2024-01-02T09:30:00+01:00</updated>
      </entry>
    </feed>`;
    const feed = parseFeed(xml, { source: 'atom', baseUrl: 'https://example.com/feeds/atom.xml' });
    expect(feed.problems).toEqual([]);
    expect(feed.entries[0]).toEqual({
      id: 'tag:example.com,2024:1',
      title: 'Q3 <b>beat</b> & raise',
      summary: 'Revenue rose 5% & margins widened',
      url: 'https://example.com/news/1',
      publishedAt: at(8, 0, 0),
    });
    expect(feed.entries[1]?.summary).toBe('In CDATA & escaped');
    expect(feed.entries[1]?.url).toBe('');
    expect(feed.entries[1]?.publishedAt).toBe(at(8, 30, 0));
  });
});

describe('parseFeed: bad items are skipped and reported, the rest kept', () => {
  it('names the reason and the item for each', () => {
    const feed = parseFeed(
      rss(`
      <item><title>good</title><guid>g1</guid><pubDate>Tue, 02 Jan 2024 10:00:00 GMT</pubDate></item>
      <item><title>no id</title><pubDate>Tue, 02 Jan 2024 10:00:00 GMT</pubDate></item>
      <item><title>no date</title><guid>g3</guid></item>
      <item><title>bad date</title><guid>g4</guid><pubDate>sometime in January</pubDate></item>
      <item><guid>g5</guid><pubDate>Tue, 02 Jan 2024 10:00:00 GMT</pubDate></item>
      <item></item>
      <item><description><![CDATA[<p>Only a description, which becomes the title</p>]]></description>
        <link>https://example.com/a</link><pubDate>Tue, 02 Jan 2024 11:00:00 GMT</pubDate></item>`),
      { source: 'edge' },
    );
    expect(feed.entries.map((entry) => entry.id)).toEqual(['g1', 'https://example.com/a']);
    expect(feed.entries[1]?.title).toBe('Only a description, which becomes the title');
    expect(feed.problems.map((problem) => problem.reason)).toEqual([
      'NEWS_ITEM_MISSING_ID',
      'NEWS_ITEM_MISSING_DATE',
      'NEWS_ITEM_INVALID_DATE',
      'NEWS_ITEM_MISSING_TITLE',
      'NEWS_ITEM_INVALID',
    ]);
    expect(feed.problems[1]?.message).toBe('item 3 (g3): no pubDate');
    expect(feed.problems[2]?.message).toContain('"sometime in January" is not an RFC 822 or RFC 3339 time');
  });

  it('uses a permalink guid as the url, not a guid marked isPermaLink="false", and falls back to dc:date', () => {
    const feed = parseFeed(
      rss(`
      <item><title>a</title><guid>https://example.com/a</guid><dc:date>2024-01-02T00:00:00Z</dc:date></item>
      <item><title>b</title><guid isPermaLink="false">https://example.com/b</guid><pubDate>Tue, 02 Jan 2024 00:00:00 GMT</pubDate></item>`),
      { source: 'edge' },
    );
    expect(feed.entries.map((entry) => entry.url)).toEqual(['https://example.com/a', '']);
    expect(feed.entries[0]?.publishedAt).toBe(JAN_2_2024);
  });

  it('reads a channel without items as an empty feed', () => {
    expect(parseFeed(rss(''), { source: 'empty' }).entries).toEqual([]);
  });
});

describe('parseFeed: documents that fail as a whole', () => {
  it('a truncated document is malformed, naming the source and the open elements', () => {
    const error = parseError(utf8Fixture('yahoo-finance-truncated.xml'));
    expect(error.code).toBe('NEWS_MALFORMED_DOCUMENT');
    expect(error.message).toContain('test-feed');
    expect(error.message).toContain('<rss> <channel> <item> <link>');
  });

  it('other XML errors name the line and column', () => {
    const error = parseError('<rss version="2.0">\n<channel><title>A & B</title></channel></rss>');
    expect(error.code).toBe('NEWS_MALFORMED_DOCUMENT');
    expect(error.message).toMatch(/line 2, column \d+/);
  });

  it('an empty document and an HTML page are not feeds', () => {
    expect(parseError('  ').code).toBe('NEWS_MALFORMED_DOCUMENT');
    const html = parseError('<html><body><h1>Service unavailable</h1></body></html>');
    expect(html.code).toBe('NEWS_UNKNOWN_FORMAT');
    expect(html.message).toContain('root element <html> is neither <rss> nor <feed>');
    expect(parseError('<rss version="2.0"></rss>').message).toContain('<rss> has no <channel>');
  });

  it('a JSON body is not XML', () => {
    expect(parseError('{"items": []}').code).toBe('NEWS_MALFORMED_DOCUMENT');
  });
});
