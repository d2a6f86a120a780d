/**
 * What a reader sees change with the calendar, driven by the App's clock instead of waiting:
 * the confirmation link's 7 days, the three confirmation emails a day, a pause that ends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import type { PaperboyServer } from '../../src/web/server.ts';
import { manualClock, storageTargets } from '../harness/index.ts';
import { deliverMail, linkIn, outboxMail, preferencesFormToken, urlencoded, webApp } from './helpers.ts';
import { signToken } from '../../src/mail/tokens.ts';

const DAY_MS = 24 * 3600_000;

describe('the calendar, on the App clock', () => {
  // 07:00 in the operator's zone (UTC in the shipped config), after the 06:00 cut-off
  const clock = manualClock('2026-11-26T07:00:00Z');
  let app: App;
  let server: PaperboyServer;
  beforeAll(async () => {
    ({ app, server } = await webApp({ databaseUrl: await storageTargets()[0]!.databaseUrl(), clock }));
  });
  afterAll(async () => {
    await server.close();
  });

  const subscribe = async (email: string) => {
    const res = await server.inject({ method: 'POST', url: '/subscribe', ...urlencoded([['email', email]]) });
    await server.settled();
    return res;
  };
  const confirmJobs = async (subscriberId: number) =>
    (await app.queues.get('mail').getJobs(['waiting', 'delayed', 'prioritized'])).filter(
      (j) => j.data.kind === 'confirm' && j.data.subscriberId === subscriberId,
    ).length;

  it('keeps a confirmation link working for 7 days from the request, and says it expired after', async () => {
    clock.set('2026-11-26T07:00:00Z');
    await subscribe('week@example.org');
    await deliverMail(app);
    const s = (await app.store.subscribers.getByEmail('week@example.org'))!;
    const mail = (await outboxMail(app, 'confirm', s.id))!;
    expect(mail.text).toMatch(/3 Dec/);
    const link = linkIn(mail, '/confirm');

    clock.advance(7 * DAY_MS - 60_000);
    const lastMinute = await server.inject({ method: 'GET', url: link });
    expect(lastMinute.statusCode).toBe(200);
    expect(lastMinute.body).not.toMatch(/expired/);

    clock.advance(2 * 60_000);
    for (const method of ['GET', 'POST'] as const) {
      const late = await server.inject({ method, url: link });
      expect(late.statusCode).toBe(410);
      expect(late.body).toMatch(/expired/);
    }
    expect((await app.store.subscribers.getById(s.id))!.status).toBe('pending');
  });

  it('sends a fourth confirmation email only on the next day', async () => {
    clock.set('2026-11-26T09:00:00Z');
    for (let i = 0; i < 4; i++) await subscribe('again@example.org');
    const s = (await app.store.subscribers.getByEmail('again@example.org'))!;
    expect(await confirmJobs(s.id)).toBe(3);
    clock.advance(DAY_MS);
    await subscribe('again@example.org');
    expect(await confirmJobs(s.id)).toBe(4);
    await deliverMail(app);
  });

  it('offers "pause until" from today on, and shows a pause as over once its day has come', async () => {
    clock.set('2026-11-26T07:00:00Z');
    const reader = (await app.store.subscribers.upsert({ email: 'pause@example.org', topics: [], confirmed: true }, clock.now().toISOString())).subscriber;
    const token = signToken(app.secretKey, reader.id, 'preferences');
    const url = `/preferences?token=${token}`;
    const save = async (until: string) =>
      server.inject({
        method: 'POST',
        url,
        ...urlencoded([
          ['frequency', 'daily'],
          ['hour', '7'],
          ['timezone', 'UTC'],
          ['paused_until', until],
          ['form_token', await preferencesFormToken(server, url)],
        ]),
      });
    // yesterday, on the clock's calendar, is refused
    expect((await save('2026-11-25')).statusCode).toBe(400);
    expect((await save('2026-11-30')).statusCode).toBe(200);
    expect((await server.inject({ method: 'GET', url })).body).toMatch(/value="2026-11-30"/);

    clock.set('2026-11-30T07:00:00Z');
    const after = await server.inject({ method: 'GET', url });
    expect(after.body).not.toMatch(/value="2026-11-30"/);
    expect(after.body).toMatch(/min="2026-11-30"/);
  });
});
