import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { App } from '../../src/app.ts';
import { buildServer } from '../../src/web/server.ts';
import { signToken } from '../../src/mail/tokens.ts';
import { EditionBuilder } from '../../src/rank/edition.ts';
import { storeObservations } from '../../src/ingest/storeObservations.ts';
import { Ranker } from '../../src/rank/ranker.ts';
import { arxivObservation } from '../harness/papers.ts';
import { shippedConfig, testApp } from '../harness/index.ts';

let app: App;
let server: FastifyInstance;
let subscriberId: number;

beforeAll(async () => {
  app = await testApp({ config: { ...shippedConfig(), sources: [] } });
  server = await buildServer(app);
  subscriberId = (await app.store.subscribers.upsert({ email: 'ada@example.org', topics: [], confirmed: true }, new Date().toISOString())).subscriber.id;
});
afterAll(async () => {
  await server.close();
});

describe('web service', () => {
  it('answers liveness and readiness (database and Redis)', async () => {
    expect((await server.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await server.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', checks: { database: 'ok', redis: 'ok' } });
  });

  it('shows a one-button page on GET /unsubscribe and changes nothing (mail scanners follow links)', async () => {
    const token = signToken(app.secretKey, subscriberId, 'unsubscribe');
    const res = await server.inject({ url: `/unsubscribe?token=${token}` });
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/<form method="post"/);
    expect(res.body).toContain('a***@example.org');
    expect(res.body).not.toContain('ada@example.org');
    expect((await app.store.subscribers.getById(subscriberId))!.status).toBe('confirmed');
  });

  it('refuses a tampered token or a token made for another purpose, and changes nothing', async () => {
    const good = signToken(app.secretKey, subscriberId, 'unsubscribe');
    const tampered = good.slice(0, -2) + (good.endsWith('AA') ? 'BB' : 'AA');
    const otherId = signToken(app.secretKey, subscriberId + 1, 'unsubscribe').split('.').slice(0, 2).join('.') + '.' + good.split('.')[2];
    const preferences = signToken(app.secretKey, subscriberId, 'preferences');
    for (const token of [tampered, otherId, preferences, 'nonsense', '']) {
      const res = await server.inject({ method: 'POST', url: `/unsubscribe?token=${encodeURIComponent(token)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'List-Unsubscribe=One-Click' });
      expect(res.statusCode, token).toBe(400);
      expect(res.body).toMatch(/not valid/);
    }
    expect((await app.store.subscribers.getById(subscriberId))!.status).toBe('confirmed');
  });

  it('unsubscribes at once on the RFC 8058 one-click POST', async () => {
    const token = signToken(app.secretKey, subscriberId, 'unsubscribe');
    const res = await server.inject({ method: 'POST', url: `/unsubscribe?token=${token}`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'List-Unsubscribe=One-Click' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/You are unsubscribed/);
    expect((await app.store.subscribers.getById(subscriberId))!.status).toBe('unsubscribed');
  });

  it('lets a subscriber change topics and frequency from the preferences link, and re-subscribe', async () => {
    const token = signToken(app.secretKey, subscriberId, 'preferences');
    const page = await server.inject({ url: `/preferences?token=${token}` });
    expect(page.statusCode).toBe(200);
    expect(page.body).toMatch(/name="topics" value="language-models"/);
    const saved = await server.inject({
      method: 'POST',
      url: `/preferences?token=${token}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'topics=theory&topics=language-models&topics=not-a-topic&frequency=weekly',
    });
    expect(saved.statusCode).toBe(200);
    expect(saved.body).toMatch(/Saved/);
    const s = (await app.store.subscribers.getById(subscriberId))!;
    expect(s).toMatchObject({ topics: ['language-models', 'theory'], frequency: 'weekly', status: 'confirmed' });
  });

  it('serves an edition in the browser, with no personal link in it', async () => {
    const obs = arxivObservation('2611.55555', { title: 'A Study of <b>Bold</b> Language Models & Friends' });
    await storeObservations(app.store, [obs], '2026-11-26T02:00:00.000Z');
    await new Ranker(app.store, app.config).rank('2611.55555', new Date('2026-11-26T02:00:00Z'));
    await new EditionBuilder(app.store, app.config).build('daily', '2026-11-26');
    const res = await server.inject({ url: '/editions/2026-11-26' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('A Study of &lt;b&gt;Bold&lt;/b&gt; Language Models &amp; Friends');
    expect(res.body).not.toMatch(/%%PB_|token=/);
    expect((await server.inject({ url: '/editions/2026-11-25' })).statusCode).toBe(404);
    expect((await server.inject({ url: '/editions/../../etc/passwd' })).statusCode).toBe(404);
    expect((await server.inject({ url: '/editions' })).body).toContain('/editions/2026-11-26');
  });
});
