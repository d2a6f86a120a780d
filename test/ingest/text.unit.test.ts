import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeEntitiesOnce, foldWhitespace, hasHtmlTag, plainText, stripTags } from '../../src/ingest/text.ts';

describe("plainText(value, 'text')", () => {
  it('folds newlines, tabs and NBSP to single spaces and trims', () => {
    expect(plainText('  A title\n  over two\tlines\u00a0and\u2009more  ', 'text')).toBe('A title over two lines and more');
  });

  it('keeps LaTeX and math exactly as written', () => {
    expect(plainText('If $x<y$ and $a > b$ then $\\frac{1}{2}<\\alpha$', 'text')).toBe('If $x<y$ and $a > b$ then $\\frac{1}{2}<\\alpha$');
    expect(plainText('<b> is not a tag here &amp; neither is this', 'text')).toBe('<b> is not a tag here &amp; neither is this');
  });

  it('gives "" for undefined and empty values', () => {
    expect(plainText(undefined, 'text')).toBe('');
    expect(plainText(' \n\t ', 'text')).toBe('');
    expect(plainText(undefined, 'html')).toBe('');
  });

  it('drops control characters and reads stray C1 controls as the windows-1252 characters they stand for', () => {
    expect(plainText('it\u0092s a \u0093quote\u0094\u0007', 'text')).toBe('it’s a “quote”');
  });
});

describe("plainText(value, 'html')", () => {
  it('decodes entities exactly once (the XML layer already decoded &amp;amp; to &amp;)', () => {
    expect(plainText('Science &amp; technology', 'html')).toBe('Science & technology');
    expect(plainText('&lt;b&gt;not bold&lt;/b&gt;', 'html')).toBe('<b>not bold</b>');
    expect(plainText('caf&eacute; &#8211; na&iuml;ve&nbsp;text', 'html')).toBe('café – naïve text');
  });

  it('strips tags, drops script/style/noscript/iframe/object, turns blocks into spaces', () => {
    const html =
      '<div><h2>Title</h2><p>First&nbsp;para<br>line two</p><script>var a = "<p>x</p>";</script>' +
      '<style>p { color: red }</style><noscript>enable JS</noscript><iframe src="x">frame</iframe>' +
      '<object data="y">obj</object><ul><li>one</li><li>two</li></ul><table><tr><td>a</td><td>b</td></tr></table></div>';
    expect(plainText(html, 'html')).toBe('Title First para line two one two a b');
  });

  it('keeps inline elements joined and comments out', () => {
    expect(plainText('<p>A <em>very</em> <a href="#">good</a>-<b>ish</b> idea<!-- hidden --></p>', 'html')).toBe('A very good-ish idea');
  });

  it('leaves math that only looks like a tag alone when the value holds no HTML', () => {
    expect(plainText('We show $x<y$ and p<0.05 &amp; more', 'html')).toBe('We show $x<y$ and p<0.05 & more');
    expect(plainText('<p>We show $x<y$ here</p>', 'html')).toContain('$x<y$');
  });

  it('does not backtrack: 200 KB of pathological markup parses in linear time', () => {
    const nested = '<span>'.repeat(50_000) + 'x' + '</span>'.repeat(50_000);
    const style = `<div style="${'a:b;'.repeat(40_000)}">${'<p>'.repeat(20_000)}</div>`;
    const start = performance.now();
    expect(plainText(nested, 'html')).toBe('x');
    plainText(style, 'html');
    plainText(`<a${' x=""'.repeat(40_000)}>`, 'html');
    expect(performance.now() - start).toBeLessThan(3000);
  });

  it('the corpus feed that once made regex sanitizers backtrack for minutes is quick', () => {
    // Read from ../shared when present (never copied into the repo).
    const file = path.resolve(
      path.dirname(fileURLToPath(import.meta.url)),
      '../../../shared/corpus/feeds/feedparser__large_atom_feed_that_needs_css_sanitisation.xml',
    );
    if (!existsSync(file)) return;
    const text = readFileSync(file, 'utf8');
    const start = performance.now();
    const out = plainText(text, 'html');
    expect(out.length).toBeGreaterThan(1000);
    expect(performance.now() - start).toBeLessThan(2000);
  });
});

describe('helpers', () => {
  it('hasHtmlTag recognises real tags only', () => {
    expect(hasHtmlTag('<p>x</p>')).toBe(true);
    expect(hasHtmlTag('a<br/>b')).toBe(true);
    expect(hasHtmlTag('x <!-- c -->')).toBe(true);
    expect(hasHtmlTag('<img src="x.png">')).toBe(true);
    expect(hasHtmlTag('$x<y$')).toBe(false);
    expect(hasHtmlTag('p<0.05')).toBe(false);
    expect(hasHtmlTag('a < b')).toBe(false);
    expect(hasHtmlTag('<thing>')).toBe(false);
  });

  it('foldWhitespace keeps single inner spaces and removes the rest', () => {
    expect(foldWhitespace('a b  c\r\n\r\nd ')).toBe('a b c d');
    expect(foldWhitespace('plain')).toBe('plain');
  });

  it('decodeEntitiesOnce decodes once and folds', () => {
    expect(decodeEntitiesOnce('Q&amp;A &amp;amp; more\n')).toBe('Q&A &amp; more');
  });

  it('stripTags (the fallback for absurdly nested HTML) drops tags and script contents', () => {
    expect(foldWhitespace(stripTags('<p>a<script>x<y</script> b &amp; c</p> d<e'))).toBe('a b & c d<e');
  });
});
