import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { charsetOf, decodeBody, xmlDeclaredEncoding } from '../../src/ingest/decode.ts';

const xml = (encoding: string | undefined, body: string) =>
  `<?xml version="1.0"${encoding ? ` encoding="${encoding}"` : ''}?>\n<rss><channel><title>${body}</title></channel></rss>`;

describe('decodeBody', () => {
  it('plain UTF-8 without a declaration', () => {
    const out = decodeBody(Buffer.from(xml(undefined, 'Café – ok'), 'utf8'));
    expect(out).toEqual({ text: xml(undefined, 'Café – ok'), encoding: 'utf-8', problems: [] });
  });

  it('strips a UTF-8 BOM, which beats the declaration and the HTTP charset', () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(xml('iso-8859-1', 'é'), 'utf8')]);
    const out = decodeBody(body, 'text/xml; charset=windows-1252');
    expect(out.encoding).toBe('utf-8');
    expect(out.text.startsWith('<?xml')).toBe(true);
    expect(out.text).toContain('<title>é</title>');
  });

  it('UTF-16LE and UTF-16BE with BOMs', () => {
    const text = xml('utf-16', 'Δt – 時間');
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const be = Buffer.from(le);
    be.swap16();
    expect(decodeBody(le)).toEqual({ text, encoding: 'utf-16le', problems: [] });
    expect(decodeBody(be)).toEqual({ text, encoding: 'utf-16be', problems: [] });
  });

  it('UTF-16 without a BOM, from the `<\\0` pattern', () => {
    const text = xml('utf-16', 'Δ');
    const le = Buffer.from(text, 'utf16le');
    const be = Buffer.from(le);
    be.swap16();
    expect(decodeBody(le).text).toBe(text);
    expect(decodeBody(le).encoding).toBe('utf-16le');
    expect(decodeBody(be).text).toBe(text);
    expect(decodeBody(be).encoding).toBe('utf-16be');
  });

  it('declared iso-8859-1 but the bytes are UTF-8: read as UTF-8, with a note', () => {
    const out = decodeBody(Buffer.from(xml('iso-8859-1', 'Café d’été'), 'utf8'));
    expect(out.text).toContain('Café d’été');
    expect(out.encoding).toBe('utf-8');
    expect(out.problems).toEqual(['declared iso-8859-1 but the bytes are UTF-8; read as UTF-8']);
  });

  it('real Latin-1 bytes as declared (read as windows-1252, so 0x92 is ’)', () => {
    const body = Buffer.concat([
      Buffer.from(xml('ISO-8859-1', '').split('<title>')[0]! + '<title>', 'latin1'),
      Buffer.from([0x52, 0xe9, 0x73, 0x75, 0x6d, 0xe9, 0x20, 0x69, 0x74, 0x92, 0x73]),
      Buffer.from('</title></channel></rss>', 'latin1'),
    ]);
    const out = decodeBody(body);
    expect(out.text).toContain('<title>Résumé it’s</title>');
    expect(out.encoding).toBe('windows-1252');
    expect(out.problems).toEqual([]);
  });

  it('an ASCII-only body declared us-ascii or latin1 is simply read', () => {
    expect(decodeBody(Buffer.from(xml('us-ascii', 'plain'))).problems).toEqual([]);
  });

  it('declared UTF-8 but the bytes are windows-1252: falls back, with a note', () => {
    const body = Buffer.from(xml('utf-8', 'Ian\x92s caf\xe9'), 'latin1');
    const out = decodeBody(body);
    expect(out.text).toContain('Ian’s café');
    expect(out.encoding).toBe('windows-1252');
    expect(out.problems[0]).toMatch(/declared UTF-8 .* but the bytes are not UTF-8; read as windows-1252/);
  });

  it('mostly UTF-8 with one stray Latin-1 byte keeps the UTF-8 and reads only that byte as windows-1252', () => {
    const body = Buffer.concat([Buffer.from('<rss><channel><title>Zürich – ', 'utf8'), Buffer.from([0xa9]), Buffer.from(' 2009</title></channel></rss>')]);
    const out = decodeBody(body);
    expect(out.text).toBe('<rss><channel><title>Zürich – © 2009</title></channel></rss>');
    expect(out.problems).toEqual(['no encoding declared but 1 byte is not valid UTF-8; those were read as windows-1252']);
  });

  it('Shift_JIS, EUC-JP, KOI8-R and windows-1251 through iconv-lite', () => {
    for (const [encoding, sample] of [
      ['Shift_JIS', '機械学習'],
      ['EUC-JP', '拡散モデル'],
      ['KOI8-R', 'Новости'],
      ['windows-1251', 'Оренбург'],
    ] as const) {
      const out = decodeBody(iconv.encode(xml(encoding, sample), encoding));
      expect(out.text, encoding).toContain(`<title>${sample}</title>`);
      expect(out.problems, encoding).toEqual([]);
    }
  });

  it('the XML declaration beats the HTTP charset; the HTTP charset beats the UTF-8 default', () => {
    const latin = iconv.encode(xml('iso-8859-1', 'é'), 'latin1');
    expect(decodeBody(latin, 'application/xml; charset=utf-8').text).toContain('<title>é</title>');
    const undeclared = iconv.encode('<rss><channel><title>Новости</title></channel></rss>', 'koi8-r');
    expect(decodeBody(undeclared, 'application/rss+xml; charset="KOI8-R"').text).toContain('Новости');
  });

  it('an unknown encoding name is read as UTF-8 with a note', () => {
    const out = decodeBody(Buffer.from(xml('x-klingon', 'Qapla’'), 'utf8'));
    expect(out.text).toContain('Qapla’');
    expect(out.encoding).toBe('utf-8');
    expect(out.problems).toEqual(['unknown encoding "x-klingon" in the XML declaration; read as UTF-8']);
  });

  it('a declaration of utf-16 on 8-bit bytes is ignored, with a note', () => {
    const out = decodeBody(Buffer.from(xml('utf-16', 'ok é'), 'utf8'));
    expect(out.text).toContain('ok é');
    expect(out.problems).toEqual(['declared utf-16 but the bytes are 8-bit; the declaration was ignored']);
  });

  it('an empty body decodes to empty text', () => {
    expect(decodeBody(Buffer.alloc(0))).toEqual({ text: '', encoding: 'utf-8', problems: [] });
  });
});

describe('declaration and charset readers', () => {
  it('finds the declaration after comments and whitespace, with either quote', () => {
    expect(xmlDeclaredEncoding(Buffer.from("\n<!-- c -->\n<?xml version='1.0' encoding='Windows-1251'?><rss/>"))).toBe('windows-1251');
    expect(xmlDeclaredEncoding(Buffer.from('<rss/>'))).toBeUndefined();
  });

  it('reads the charset parameter of a Content-Type', () => {
    expect(charsetOf('text/xml; charset="ISO-8859-1"')).toBe('iso-8859-1');
    expect(charsetOf('application/rss+xml')).toBeUndefined();
    expect(charsetOf(undefined)).toBeUndefined();
  });
});
