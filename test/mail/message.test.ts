import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { buildMessage, parseAddress, stableMessageId } from '../../src/mail/message.ts';
import { signToken, subscriberLinks, verifyToken } from '../../src/mail/tokens.ts';
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
      listId: 'daily.papers.example.org',
      listName: 'paperboy daily papers',
      unsubscribeUrl: 'https://papers.example.org/unsubscribe?token=t',
      unsubscribeMailto: 'mailto:unsubscribe@example.org?subject=unsubscribe%20t',
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
    expect(text).toMatch(/List-Unsubscribe:\s*<https:\/\/papers\.example\.org\/unsubscribe\?token=t>,\s*<mailto:unsubscribe@example\.org\?subject=unsubscribe%20t>/);
    expect(text).toMatch(/List-ID: paperboy daily papers <daily\.papers\.example\.org>/i);
  });
});

describe('personalize', () => {
  it('fills each subscriber\'s links into a rendered variant, HTML-escaped in the HTML part', () => {
    const out = personalize(
      { html: `<a href="${PLACEHOLDER.unsubscribeUrl}">u</a><a href="${PLACEHOLDER.preferencesUrl}">p</a>`, text: `U: ${PLACEHOLDER.unsubscribeUrl}` },
      { unsubscribe: 'https://x.org/unsubscribe?token=a&b', preferences: 'https://x.org/preferences?token=c' },
    );
    expect(out.html).toBe('<a href="https://x.org/unsubscribe?token=a&amp;b">u</a><a href="https://x.org/preferences?token=c">p</a>');
    expect(out.text).toBe('U: https://x.org/unsubscribe?token=a&b');
  });
});
