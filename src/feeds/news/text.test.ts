// Markup to plain text: tags, character references, CDATA and whitespace.
import { describe, expect, it } from 'vitest';
import { decodeHtmlEntities, decodeXmlText, htmlToText, truncateText } from './text.ts';

describe('decodeHtmlEntities', () => {
  it('decodes named, decimal and hexadecimal references', () => {
    // U+2019 RIGHT SINGLE QUOTATION MARK is 8217 decimal, 2019 hex.
    expect(decodeHtmlEntities('AT&amp;T&#8217;s &#x2019; &ldquo;x&rdquo; &lt;b&gt;')).toBe(
      'AT&T\u2019s \u2019 \u201cx\u201d <b>',
    );
  });

  it('leaves unknown names and bare ampersands as written, and replaces invalid code points', () => {
    expect(decodeHtmlEntities('R&D &bogus; M&M')).toBe('R&D &bogus; M&M');
    expect(decodeHtmlEntities('&#0;&#xD800;&#1114112;')).toBe('\ufffd\ufffd\ufffd');
  });
});

describe('htmlToText', () => {
  it('removes tags, keeping word breaks at block tags only', () => {
    expect(htmlToText('<p>Shares <b>rose</b> 2%</p><p>Sensex up</p>')).toBe('Shares rose 2% Sensex up');
    expect(htmlToText('line one<br/>line two<br>three')).toBe('line one line two three');
  });

  it('drops images, scripts, styles and comments, even with > inside attribute values', () => {
    expect(
      htmlToText(
        '<img src="a.jpg" alt="x > y" /> Text<script>alert(1)</script><style>p{}</style><!-- note --> end',
      ),
    ).toBe('Text end');
  });

  it('decodes entities after removing tags, so escaped markup stays text', () => {
    expect(htmlToText('5 &lt; 6 &amp;&amp; <i>a</i> &lt;b&gt;')).toBe('5 < 6 && a <b>');
    expect(htmlToText('a < b and c > d')).toBe('a < b and c > d');
  });

  it('collapses whitespace including no-break spaces', () => {
    expect(htmlToText('  rose\n\t2&nbsp;percent\u00a0today  ')).toBe('rose 2 percent today');
  });
});

describe('decodeXmlText', () => {
  it('takes CDATA verbatim and decodes XML references outside it', () => {
    expect(decodeXmlText('A &amp;amp; B <![CDATA[<p>x &amp; y</p>]]> &#60;i&#62;')).toBe(
      'A &amp; B <p>x &amp; y</p> <i>',
    );
  });
});

describe('truncateText', () => {
  it('cuts at a word boundary with an ellipsis', () => {
    expect(truncateText('short', 10)).toBe('short');
    expect(truncateText('Reliance Industries shares gain', 20)).toBe('Reliance Industries\u2026');
    expect(truncateText('abcdefghijklmnopqrstuvwxyz', 10)).toBe('abcdefghi\u2026');
  });
});
