/**
 * The transactional emails as a reader gets them, from the mail queue to the outbox: what each
 * says (topic names, the real delivery time, the weekly day, the link's expiry, today's
 * edition) and the headers each carries (a confirmation is no list mail).
 */
import type { ParsedMail } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { emptyEdition } from '../render/fixtures.ts';
import type { App } from '../../src/app.ts';
import { createMessenger } from '../../src/mail/transport.ts';
import { addDays, currentEditionDay } from '../../src/domain/time.ts';
import { sendTransactional } from '../../src/send/transactional.ts';
import { shippedConfig, testApp } from '../harness/index.ts';
import { deliverMail, outboxMail } from '../web/helpers.ts';

// an operator in New York whose weekly edition closes on Mondays
const edition = { timezone: 'America/New_York', cutoffHour: 6, weeklyDay: 1 };

async function mailApp(send: Record<string, unknown> = {}): Promise<App> {
  return testApp({ config: { ...shippedConfig(), sources: [], edition, send } });
}

const text = (mail: ParsedMail) => (mail.text ?? '').replace(/\s+/g, ' ');
const header = (mail: ParsedMail, name: string) => mail.headerLines.find((h) => h.key === name)?.line.replace(/\r?\n\s+/g, ' ');

async function confirmed(app: App, email: string, extra: { topics?: string[]; frequency?: 'daily' | 'weekly'; timezone?: string; deliveryHour?: number } = {}) {
  return (await app.store.subscribers.upsert({ email, confirmed: true, ...extra }, new Date().toISOString())).subscriber;
}

async function mailTo(app: App, kind: 'confirm' | 'welcome' | 'preferences-changed', subscriberId: number): Promise<ParsedMail> {
  await app.queues.addMail({ kind, subscriberId });
  await deliverMail(app);
  const mail = await outboxMail(app, kind, subscriberId);
  if (!mail) throw new Error(`no ${kind} email for subscriber ${subscriberId}`);
  return mail;
}

describe('the confirmation email', () => {
  it('names the topics by their names, and says the link works for 7 days and until when', async () => {
    const app = await mailApp();
    const requestedAt = '2026-11-26T09:30:00.000Z';
    const { subscriberId } = await app.store.subscribers.requestSubscription(
      'ada@example.org',
      { topics: ['language-models', 'alignment-safety'], frequency: 'daily', timezone: 'Asia/Tokyo' },
      requestedAt,
    );
    const mail = await mailTo(app, 'confirm', subscriberId);
    expect(text(mail)).toContain('Topics: Language models · Alignment, safety and values');
    expect(text(mail)).not.toMatch(/language-models|alignment-safety/);
    // what confirming gives: the form's time zone, at the default hour
    expect(text(mail)).toContain('When: daily at 07:00 Asia/Tokyo');
    // requested on 26 November at 18:30 in Tokyo: the link works until 3 December, their time
    expect(text(mail)).toMatch(/works once, for 7 days \(until Thursday,? 3 December 2026, 18:30 Asia\/Tokyo\)/);
    expect(mail.html).toContain('for 7 days');
  });

  it('is no list mail: no Precedence: bulk, List-Id or List-Unsubscribe to someone who is not subscribed, but Auto-Submitted and a stable Message-ID', async () => {
    const app = await mailApp();
    const { subscriberId } = await app.store.subscribers.requestSubscription(
      'grace@example.org',
      { topics: [], frequency: 'weekly', timezone: 'UTC' },
      new Date().toISOString(),
    );
    const mail = await mailTo(app, 'confirm', subscriberId);
    const names = mail.headerLines.map((h) => h.key);
    for (const name of ['precedence', 'list-id', 'list-unsubscribe', 'list-unsubscribe-post']) expect(names, name).not.toContain(name);
    expect(header(mail, 'auto-submitted')).toBe('Auto-Submitted: auto-generated');
    expect(text(mail)).toContain('Topics: all topics');
    // Monday 06:00 in New York is Monday 11:00 UTC, after 07:00 UTC that day: the reader's Tuesday
    expect(text(mail)).toContain('When: weekly, on Tuesdays at 07:00 UTC');

    // the same job sent again (a retry) has the same Message-ID; another job has its own
    const messenger = createMessenger(app.env);
    const job = { kind: 'confirm' as const, subscriberId };
    await sendTransactional(app, messenger, job, 'job-1');
    const first = (await outboxMail(app, 'confirm', subscriberId))!.messageId;
    await sendTransactional(app, messenger, job, 'job-1');
    expect((await outboxMail(app, 'confirm', subscriberId))!.messageId).toBe(first);
    await sendTransactional(app, messenger, job, 'job-2');
    expect((await outboxMail(app, 'confirm', subscriberId))!.messageId).not.toBe(first);
    expect(first).toMatch(/^<[^<>\s]+@example\.org>$/);
  });
});

describe('the welcome email', () => {
  it('says the reader’s own hour and zone, names the topics and links the latest edition that went out', async () => {
    const app = await mailApp();
    const today = currentEditionDay(new Date(), edition);
    // yesterday's edition went out; today's is frozen but not sent yet
    await app.store.editions.insertFrozen(
      { id: addDays(today, -1), kind: 'daily', date: addDays(today, -1), content: emptyEdition(addDays(today, -1)) },
      new Date().toISOString(),
    );
    await app.store.editions.setStatus(addDays(today, -1), 'sent', new Date().toISOString());
    await app.store.editions.insertFrozen({ id: today, kind: 'daily', date: today, content: emptyEdition(today) }, new Date().toISOString());
    const reader = await confirmed(app, 'tokyo@example.org', { topics: ['theory', 'language-models'], timezone: 'Asia/Tokyo', deliveryHour: 7 });
    const mail = await mailTo(app, 'welcome', reader.id);
    expect(text(mail)).toMatch(/daily at 07:00 Asia\/Tokyo/);
    expect(text(mail)).not.toMatch(/your delivery hour/);
    expect(text(mail)).toContain('Topics: Language models · Theory');
    expect(text(mail)).toContain(`Read the latest edition: https://papers.example.org/editions/${addDays(today, -1)}`);
    expect(mail.html).toContain(`href="https://papers.example.org/editions/${addDays(today, -1)}"`);

    await app.store.editions.setStatus(today, 'sent', new Date().toISOString());
    const again = await mailTo(app, 'welcome', reader.id);
    expect(text(again)).toContain(`Read today's edition: https://papers.example.org/editions/${today}`);
  });

  it('says the operator’s time (the cut-off in the operator’s zone) to a reader who chose none, and to everyone when editions do not wait for the reader’s hour', async () => {
    const app = await mailApp();
    const reader = await confirmed(app, 'no-time@example.org');
    expect(reader.deliveryTimeChosen).toBe(false);
    const mail = await mailTo(app, 'welcome', reader.id);
    expect(text(mail)).toMatch(/daily, soon after 06:00 America\/New_York/);
    expect(text(mail)).toMatch(/choose an hour of your own/i);
    // no edition has gone out yet: nothing to read, the preferences are the call to action
    expect(text(mail)).not.toMatch(/\/editions\//);

    const forAll = await mailApp({ atReadersHour: false });
    const chose = await confirmed(forAll, 'chose@example.org', { timezone: 'Asia/Tokyo', deliveryHour: 7 });
    expect(text(await mailTo(forAll, 'welcome', chose.id))).toMatch(/daily, soon after 06:00 America\/New_York/);
  });

  it('carries the list’s List-Id and one-click List-Unsubscribe (it goes to a subscriber), but not Precedence: bulk', async () => {
    const app = await mailApp();
    const reader = await confirmed(app, 'list@example.org');
    const mail = await mailTo(app, 'welcome', reader.id);
    expect(header(mail, 'list-unsubscribe')).toMatch(
      /^List-Unsubscribe: <https:\/\/papers\.example\.org\/unsubscribe\?token=[\w.-]+>, <mailto:unsubscribe@example\.org\?subject=/,
    );
    expect(header(mail, 'list-unsubscribe-post')).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    expect(header(mail, 'list-id')).toBe('List-Id: paperboy daily papers <daily-papers.example.org>');
    expect(header(mail, 'precedence')).toBeUndefined();
    expect(header(mail, 'auto-submitted')).toBe('Auto-Submitted: auto-generated');
  });
});

describe('the preferences-changed email', () => {
  it('says the weekly day from edition.weeklyDay, as it falls in the reader’s zone, with topic names', async () => {
    const app = await mailApp();
    // Monday 06:00 in New York is Monday noon in Berlin and Monday night in Tokyo
    const berlin = await confirmed(app, 'berlin@example.org', { topics: ['theory'], frequency: 'weekly', timezone: 'Europe/Berlin', deliveryHour: 18 });
    expect(text(await mailTo(app, 'preferences-changed', berlin.id))).toMatch(/weekly, on Mondays at 18:00 Europe\/Berlin/);
    const tokyo = await confirmed(app, 'tokyo-weekly@example.org', { topics: ['theory'], frequency: 'weekly', timezone: 'Asia/Tokyo', deliveryHour: 7 });
    const mail = await mailTo(app, 'preferences-changed', tokyo.id);
    expect(text(mail)).toMatch(/weekly, on Tuesdays at 07:00 Asia\/Tokyo/);
    expect(text(mail)).toContain('Theory');
    expect(text(mail)).not.toMatch(/\btheory\b/);
  });
});
