import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { PreparedMessage, buildMessage, parseAddress, stableMessageId, type ReaderHeaders } from '../../src/mail/message.ts';
import { signToken, subscriberLinks, verifyToken, type SubscriberLinks } from '../../src/mail/tokens.ts';
import { PLACEHOLDER, personalize } from '../../src/mail/placeholders.ts';

const secret = 'a-test-secret-of-some-length';

describe('signed link tokens', () => {
  it('verify for their subscriber and purpose only', () => {
    const t = signToken(secret, 42, 'unsubscribe');
    expect(verifyToken(secret, t, 'unsubscribe')).toBe(42);
    expect(verifyToken(secret, t, 'preferences')).toBeUndefined();
    expect(verifyToken('another-secret-entirely', t, 'unsubscribe')).toBeUndefined();
    const [p, , sig] = t.split('.');
    expect(verifyToken(secret, `${p}.${(43).toString(36)}.${sig}`, 'unsubscribe')).toBeUndefined();
    expect(verifyToken(secret, `${t}x`, 'unsubscribe')).toBeUndefined();
    expect(verifyToken(secret, 'a.b', 'unsubscribe')).toBeUndefined();
  });

  it('carry no address', () => {
    const links = subscriberLinks('https://papers.example.org', secret, 7, 'example.org');
    expect(links.unsubscribe).toMatch(/^https:\/\/papers\.example\.org\/unsubscribe\?token=unsubscribe\.7\.[\w-]+$/);
    expect(links.unsubscribeMailto).toMatch(/^mailto:unsubscribe@example\.org\?subject=unsubscribe%20unsubscribe\.7\./);
  });
});

describe('Message-ID', () => {
  it('is the same for the same (edition, subscriber) and differs otherwise', () => {
    const a = stableMessageId(secret, '2026-11-26', 1, 'example.org');
    expect(stableMessageId(secret, '2026-11-26', 1, 'example.org')).toBe(a);
    expect(stableMessageId(secret, '2026-11-26', 2, 'example.org')).not.toBe(a);
    expect(stableMessageId(secret, '2026-11-27', 1, 'example.org')).not.toBe(a);
    expect(a).toMatch(/^<2026-11-26\.1\.\w{12}@example\.org>$/);
  });
});

describe('the MIME message', () => {
  it('is multipart/alternative with one-click unsubscribe, List-Id and the stable Message-ID', async () => {
    const raw = await buildMessage({
      from: parseAddress('Daily Papers <papers@example.org>'),
      to: 'ada@example.org',
      subject: 'Daily papers, Thu 26 Nov: Ünïcödé & more',
      text: 'plain part',
      html: '<p>html part</p>',
      messageId: '<2026-11-26.1.abc@example.org>',
      list: {
        id: 'daily.papers.example.org',
        name: 'paperboy daily papers',
        unsubscribeUrl: 'https://papers.example.org/unsubscribe?token=t',
        unsubscribeMailto: 'mailto:unsubscribe@example.org?subject=unsubscribe%20t',
      },
      date: new Date('2026-11-26T07:00:00Z'),
    });
    const text = raw.toString();
    expect(text).toMatch(/^Content-Type: multipart\/alternative;/m);
    const mail = await simpleParser(raw);
    expect(mail.subject).toBe('Daily papers, Thu 26 Nov: Ünïcödé & more');
    expect(mail.text?.trim()).toBe('plain part');
    expect(mail.html).toContain('<p>html part</p>');
    expect(mail.messageId).toBe('<2026-11-26.1.abc@example.org>');
    expect(mail.headerLines.find((h) => h.key === 'list-unsubscribe-post')?.line).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    expect(text).toMatch(
      /List-Unsubscribe:\s*<https:\/\/papers\.example\.org\/unsubscribe\?token=t>,\s*<mailto:unsubscribe@example\.org\?subject=unsubscribe%20t>/,
    );
    expect(text).toMatch(/List-ID: paperboy daily papers <daily\.papers\.example\.org>/i);
  });
});

const sender = {
  from: { name: 'Ünïcode Papers "Daily"', address: 'papers@example.org' },
  list: { id: 'daily.papers.example.org', name: 'paperboy daily papers', bulk: true },
};

function reader(id: number, extra: Partial<Omit<ReaderHeaders, 'links'>> = {}): ReaderHeaders & { links: SubscriberLinks } {
  const links = subscriberLinks('https://papers.example.org', secret, id, 'example.org');
  return {
    to: `reader${id}@example.org`,
    messageId: stableMessageId(secret, '2026-11-26', id, 'example.org'),
    date: new Date('2026-11-26T07:00:00Z'),
    links,
    ...extra,
  };
}

/** A variant as the renderer makes it: long lines, LF line ends, a <style> block, non-ASCII, "=" signs. */
const variant = {
  subject: 'Daily papers, Thu 26 Nov: Ünïcödé — “quotes” & a subject long enough to need folding across lines',
  text: `Hello reader,\n\n${'A very long line of plain text with ünïcödé and = signs '.repeat(8)}\n\nUnsubscribe: ${PLACEHOLDER.unsubscribeUrl}\nPreferences: ${PLACEHOLDER.preferencesUrl}\n`,
  html: `<!DOCTYPE html>\n<html><head><style>\n.a { color: #333; }\n  .b{margin:0}\t\n</style></head><body><p>${'Wörds and more wörds, '.repeat(30)}</p>\n<a href="${PLACEHOLDER.unsubscribeUrl}">unsubscribe</a> <a href="${PLACEHOLDER.preferencesUrl}">prefs</a></body></html>`,
};

describe('a single message (transactional mail)', () => {
  it('ends every line in CRLF even when the bodies have LF line ends (strict servers refuse bare LF)', async () => {
    const raw = await buildMessage({
      from: parseAddress('Daily Papers <papers@example.org>'),
      to: 'ada@example.org',
      subject: 'Confirm',
      text: 'line one\nline two\n',
      html: '<style>\n.a { color: red }\n</style>\n<p>html</p>\n',
      messageId: '<c.1@example.org>',
      date: new Date('2026-11-26T07:00:00Z'),
    });
    expect(raw.toString('latin1').match(/(?<!\r)\n/g) ?? []).toEqual([]);
    expect((await simpleParser(raw)).text).toBe('line one\nline two\n');
  });
});

describe('the list headers of each kind of mail', () => {
  const names = async (raw: Buffer) => (await simpleParser(raw)).headerLines.map((h) => h.key);
  const body = { subject: 'Hello', text: 'plain', html: '<p>html</p>' };

  it('the edition: List-Id, one-click List-Unsubscribe and Precedence: bulk', async () => {
    const mail = await simpleParser(new PreparedMessage(sender, variant).build(reader(1)));
    expect(mail.headerLines.find((h) => h.key === 'precedence')?.line).toBe('Precedence: bulk');
    expect(mail.headerLines.find((h) => h.key === 'auto-submitted')?.line).toBe('Auto-Submitted: auto-generated');
    expect(mail.headerLines.map((h) => h.key)).toEqual(expect.arrayContaining(['list-id', 'list-unsubscribe', 'list-unsubscribe-post']));
  });

  it('a subscriber’s own mail: the list’s headers without Precedence: bulk; mail to someone on no list: none of them', async () => {
    const from = parseAddress('Daily Papers <papers@example.org>');
    const common = { from, to: 'ada@example.org', ...body, messageId: '<m.1@example.org>', date: new Date() };
    const own = await names(
      await buildMessage({
        ...common,
        list: {
          id: 'daily.papers.example.org',
          name: 'paperboy daily papers',
          unsubscribeUrl: 'https://papers.example.org/unsubscribe?token=t',
          unsubscribeMailto: 'mailto:unsubscribe@example.org',
        },
      }),
    );
    expect(own).toEqual(expect.arrayContaining(['list-id', 'list-unsubscribe', 'list-unsubscribe-post', 'auto-submitted']));
    expect(own).not.toContain('precedence');
    const none = await names(await buildMessage(common));
    expect(none).toContain('auto-submitted');
    for (const name of ['precedence', 'list-id', 'list-unsubscribe', 'list-unsubscribe-post']) expect(none).not.toContain(name);
  });

  it("refuses a body with a reader's link to fill in when no link is given, rather than sending a placeholder", () => {
    expect(() => new PreparedMessage({ from: sender.from }, variant).build({ to: 'a@example.org', messageId: '<m@example.org>', date: new Date() })).toThrow(
      /no such link was given/,
    );
  });
});

describe('the prepared message (a variant encoded once, spliced per reader)', () => {
  it('has CRLF line ends only, lines of at most 76 characters in the bodies, and 7-bit bytes', () => {
    const raw = new PreparedMessage(sender, variant).build(reader(1));
    const text = raw.toString('latin1');
    expect(text.match(/(?<!\r)\n/g) ?? []).toEqual([]);
    expect(text.match(/\r(?!\n)/g) ?? []).toEqual([]);
    const bodyLines = text.slice(text.indexOf('\r\n\r\n')).split('\r\n');
    expect(bodyLines.filter((l) => l.length > 76)).toEqual([]);
    expect([...raw].every((b) => b < 128)).toBe(true);
  });

  it("parses back to exactly the variant, with this reader's links and headers", async () => {
    const r = reader(42);
    const mail = await simpleParser(new PreparedMessage(sender, variant).build(r));
    expect(mail.subject).toBe(variant.subject);
    expect(mail.from?.value).toEqual([{ name: 'Ünïcode Papers "Daily"', address: 'papers@example.org' }]);
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.value[0]!.address : undefined).toBe('reader42@example.org');
    expect(mail.messageId).toBe(r.messageId);
    expect(mail.headerLines.find((h) => h.key === 'message-id')?.line).toBe(`Message-ID: ${r.messageId}`);
    expect(mail.date?.toISOString()).toBe('2026-11-26T07:00:00.000Z');
    expect(mail.text).toBe(variant.text.replace(PLACEHOLDER.unsubscribeUrl, r.links.unsubscribe).replace(PLACEHOLDER.preferencesUrl, r.links.preferences));
    expect(mail.html).toBe(variant.html.replace(PLACEHOLDER.unsubscribeUrl, r.links.unsubscribe).replace(PLACEHOLDER.preferencesUrl, r.links.preferences));
    const header = (k: string) => mail.headerLines.find((h) => h.key === k)?.line.replace(/\r\n /g, ' ');
    expect(header('list-unsubscribe')).toBe(`List-Unsubscribe: <${r.links.unsubscribe}>, <${r.links.unsubscribeMailto}>`);
    expect(header('list-unsubscribe-post')).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    expect(header('list-id')).toBe('List-Id: paperboy daily papers <daily.papers.example.org>');
    const names = mail.headerLines.map((h) => h.key);
    expect(names.indexOf('list-unsubscribe')).toBeLessThan(names.indexOf('list-unsubscribe-post'));
  });

  it('gives two readers the same bodies but their own links and ids', async () => {
    const prepared = new PreparedMessage(sender, variant);
    const [a, b] = await Promise.all([simpleParser(prepared.build(reader(1))), simpleParser(prepared.build(reader(2)))]);
    expect(a.text).toContain('token=unsubscribe.1.');
    expect(b.text).toContain('token=unsubscribe.2.');
    expect(a.text!.replace(/token=[\w.-]+/g, '')).toBe(b.text!.replace(/token=[\w.-]+/g, ''));
    expect(a.messageId).not.toBe(b.messageId);
  });

  it('lets no CR or LF from any input make a header of its own', async () => {
    const raw = new PreparedMessage(
      {
        ...sender,
        from: { name: 'Evil\r\nBcc: victim@example.org', address: 'papers@example.org' },
        replyTo: 'reply@example.org\r\nX-Injected: 1',
        configurationSet: 'newsletter\nX-Injected: 2',
      },
      { ...variant, subject: 'Hello\r\nBcc: victim@example.org' },
    ).build(reader(3, { to: 'reader3@example.org\r\nBcc: victim@example.org', messageId: '<id@example.org>\r\nX-Injected: 3' }));
    const mail = await simpleParser(raw);
    expect(mail.bcc).toBeUndefined();
    expect(mail.headers.has('x-injected')).toBe(false);
    expect(mail.headerLines.filter((h) => h.key === 'bcc')).toEqual([]);
    expect(mail.subject).toBe('Hello Bcc: victim@example.org');
    expect(mail.headers.get('x-ses-configuration-set')).toBe('newsletterX-Injected:2');
    expect(mail.headerLines.filter((h) => h.key === 'reply-to')).toHaveLength(1);
  });

  it('carries the optional Reply-To and SES configuration set', async () => {
    const mail = await simpleParser(
      new PreparedMessage({ ...sender, replyTo: 'editor@example.org', configurationSet: 'daily-papers' }, variant).build(reader(5)),
    );
    expect(mail.replyTo?.value[0]?.address).toBe('editor@example.org');
    expect(mail.headers.get('x-ses-configuration-set')).toBe('daily-papers');
  });
});

describe('personalize', () => {
  it("fills each subscriber's links into a rendered variant, HTML-escaped in the HTML part", () => {
    const out = personalize(
      { html: `<a href="${PLACEHOLDER.unsubscribeUrl}">u</a><a href="${PLACEHOLDER.preferencesUrl}">p</a>`, text: `U: ${PLACEHOLDER.unsubscribeUrl}` },
      { unsubscribe: 'https://x.org/unsubscribe?token=a&b', preferences: 'https://x.org/preferences?token=c' },
    );
    expect(out.html).toBe('<a href="https://x.org/unsubscribe?token=a&amp;b">u</a><a href="https://x.org/preferences?token=c">p</a>');
    expect(out.text).toBe('U: https://x.org/unsubscribe?token=a&b');
  });
});
