/**
 * For you on the web, on SQLite and PostgreSQL: the feedback links of the email (GET shows
 * one button and changes nothing, POST records once), what an attacker tries on them, and the
 * preferences page's seed papers, author id and reset.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { signFormToken, signToken } from '../../src/mail/tokens.ts';
import { readerSettings } from '../../src/personal/profiles.ts';
import type { PaperboyServer } from '../../src/web/server.ts';
import { storageTargets } from '../harness/index.ts';
import { seedEdition, urlencoded, webApp } from './helpers.ts';

const DATE = '2026-11-26';
/** What Chromium sends from our own page (no-referrer makes its Origin "null"). */
const OWN_PAGE = { origin: 'null', 'sec-fetch-site': 'same-origin' };

describe.each(storageTargets())('For you on the web on $name', (target) => {
  let app: App;
  let server: PaperboyServer;
  beforeAll(async () => {
    ({ app, server } = await webApp({ databaseUrl: await target.databaseUrl() }));
    await seedEdition(app, DATE, [
      {
        id: '2611.00301',
        title: 'Consistency Distillation for One-Step Image Diffusion',
        abstract: 'We distil a latent diffusion model into a one-step image generator.',
        categories: ['cs.CV'],
        authors: ['Geoffrey E. Hinton', 'Yann LeCun', 'Ada Lovelace', 'Alan Turing'],
      },
      { id: '2611.00302', title: 'Offline Reinforcement Learning for Robots', abstract: 'Robots learn from logged data.', categories: ['cs.RO'] },
    ]);
  });
  afterAll(async () => {
    await server.close();
  });

  const reader = async (email: string) => (await app.store.subscribers.upsert({ email, confirmed: true }, new Date().toISOString())).subscriber;
  const feedback = (id: number, paper: string, vote?: string) =>
    `/feedback?paper=${encodeURIComponent(paper)}${vote ? `&vote=${vote}` : ''}&token=${signToken(app.secretKey, id, 'feedback')}`;
  const votes = async (id: number) => (await readerSettings(app.store, id)).profile?.counts;

  it('shows the paper and one button on GET, changing nothing; records the POST once; lets the opposite vote replace it', async () => {
    const r = await reader('voter@example.org');
    const page = await server.inject({ url: feedback(r.id, '2611.00301', 'more') });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Consistency Distillation for One-Step Image Diffusion');
    // four names in full, as the email shows them (the page cut the fourth to a bare "et al.")
    expect(page.body).toContain('Geoffrey E. Hinton, Yann LeCun, Ada Lovelace, Alan Turing');
    expect(page.body.match(/<button/g)).toHaveLength(1);
    expect(page.body).toMatch(/<input type="hidden" name="vote" value="more"><button type="submit">More like this<\/button>/);
    // a HEAD, or a mail scanner's GET, records nothing
    await server.inject({ method: 'HEAD', url: feedback(r.id, '2611.00301', 'more') });
    expect(await votes(r.id)).toBeUndefined();

    const action = /<form method="post" action="([^"]+)"/.exec(page.body)![1]!.replace(/&amp;/g, '&');
    for (const expected of ['Noted: more papers like this one.', 'You had already asked for more papers like this one: nothing changed.']) {
      const post = await server.inject({ method: 'POST', url: action, ...urlencoded([['vote', 'more']]) });
      expect(post.statusCode).toBe(200);
      expect(post.body).toContain(expected);
    }
    expect(await votes(r.id)).toEqual({ more: 1, less: 0, seeds: 0 });
    const again = await server.inject({ url: feedback(r.id, '2611.00301', 'less') });
    expect(again.body).toContain('You have already asked for more papers like this one.');
    const flip = await server.inject({ method: 'POST', url: feedback(r.id, '2611.00301', 'less'), ...urlencoded([['vote', 'less']]) });
    expect(flip.body).toContain('Changed: you now ask for fewer papers like this one.');
    expect(await votes(r.id)).toEqual({ more: 0, less: 1, seeds: 0 });

    // the plain-text email's link names no vote: both buttons
    const both = await server.inject({ url: feedback(r.id, '2611.00302') });
    expect(both.body.match(/<button/g)).toHaveLength(2);

    const metrics = await server.inject({ url: '/metrics' });
    expect(metrics.body).toMatch(/paperboy_for_you_votes\{direction="less"\} [1-9]/);
    expect(metrics.body).toMatch(/paperboy_for_you_profiles [1-9]/);
  });

  it('gives a bad, tampered or foreign token the plain 400 page and records nothing; an unknown paper a 404', async () => {
    const r = await reader('target@example.org');
    const other = await reader('other@example.org');
    const good = signToken(app.secretKey, r.id, 'feedback');
    const tampered = good.replace(/^feedback\.[0-9a-z]+/, `feedback.${other.id.toString(36)}`);
    for (const token of [tampered, signToken(app.secretKey, r.id, 'unsubscribe'), signToken(app.secretKey, r.id, 'preferences'), 'nonsense', '']) {
      for (const method of ['GET', 'POST'] as const) {
        const res = await server.inject({
          method,
          url: `/feedback?paper=2611.00301&vote=more&token=${encodeURIComponent(token)}`,
          ...(method === 'POST' ? urlencoded([['vote', 'more']]) : {}),
        });
        expect(res.statusCode, `${method} with ${token}`).toBe(400);
        expect(res.body).toContain('This link is not valid');
      }
    }
    const repeated = await server.inject({
      method: 'POST',
      url: `/feedback?paper=2611.00301&paper=2611.00302&vote=more&token=${good}`,
      ...urlencoded([['vote', 'more']]),
    });
    expect(repeated.statusCode).toBe(400);
    const unknown = await server.inject({ method: 'POST', url: feedback(r.id, '2611.99999', 'more'), ...urlencoded([['vote', 'more']]) });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.body).toContain('Nothing was recorded');
    const noVote = await server.inject({ method: 'POST', url: feedback(r.id, '2611.00301'), ...urlencoded([['vote', 'lots']]) });
    expect(noVote.statusCode).toBe(400);
    expect(await votes(r.id)).toBeUndefined();
    expect(await votes(other.id)).toBeUndefined();

    await app.store.subscribers.unsubscribe(r.id, new Date().toISOString());
    const gone = await server.inject({ method: 'POST', url: feedback(r.id, '2611.00301', 'more'), ...urlencoded([['vote', 'more']]) });
    expect(gone.statusCode).toBe(409);
    expect(await votes(r.id)).toBeUndefined();
  });

  it('saves seed papers and an author id from the preferences page, refuses a bad one by name, and resets everything', async () => {
    const r = await reader('seeds@example.org');
    const linkToken = signToken(app.secretKey, r.id, 'preferences');
    const url = `/preferences?token=${linkToken}`;
    const formToken = signFormToken(app.secretKey, linkToken);
    const page = await server.inject({ url });
    expect(page.body).toMatch(/name="seed_papers"/);
    expect(page.body).toMatch(/name="author_id"/);
    expect(page.body).toContain('Reset my For you');
    expect(page.body).toContain(`name="form_token" value="${formToken}"`);
    const base: [string, string][] = [
      ['form_token', formToken],
      ['frequency', 'daily'],
      ['hour', '7'],
      ['timezone', 'UTC'],
    ];

    const bad = urlencoded([...base, ['seed_papers', '2611.00301\nattention-is-all-you-need'], ['author_id', 'hinton_g_1']]);
    const refused = await server.inject({ method: 'POST', url, headers: { ...bad.headers, ...OWN_PAGE }, payload: bad.payload });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('Not saved: papers you like: &quot;attention-is-all-you-need&quot; is not an arXiv id');
    // what the reader typed is shown again, and nothing was saved
    expect(refused.body).toContain('attention-is-all-you-need</textarea>');
    expect(await app.store.forYou.settings(r.id)).toEqual({ seedPapers: [], pendingSeeds: 0 });
    const badAuthor = urlencoded([...base, ['author_id', 'Geoffrey Hinton']]);
    const refusedAuthor = await server.inject({ method: 'POST', url, headers: { ...badAuthor.headers, ...OWN_PAGE }, payload: badAuthor.payload });
    expect(refusedAuthor.statusCode).toBe(400);
    expect(refusedAuthor.body).toContain('arXiv author id: &quot;Geoffrey Hinton&quot; is not an arXiv author id');

    // the rest of the form saved once (the time is chosen): then only the For you fields change
    const first = urlencoded(base);
    await server.inject({ method: 'POST', url, headers: { ...first.headers, ...OWN_PAGE }, payload: first.payload });
    const mailsBefore = (await app.queues.get('mail').getJobs(['waiting', 'delayed', 'prioritized'])).filter((j) => j.data.subscriberId === r.id).length;
    const good = urlencoded([...base, ['seed_papers', 'https://arxiv.org/abs/2611.00302v1\n2612.00001'], ['author_id', 'https://arxiv.org/a/hinton_g_1']]);
    const saved = await server.inject({ method: 'POST', url, headers: { ...good.headers, ...OWN_PAGE }, payload: good.payload });
    expect(saved.statusCode).toBe(200);
    expect(saved.body).toContain('Your For you picks use it from your next email.');
    expect(saved.body).toContain('Not in our archive yet, so not counted until they appear in a feed we read: 2612.00001.');
    const settings = await readerSettings(app.store, r.id);
    expect(settings).toMatchObject({
      seedPapers: ['2611.00302', '2612.00001'],
      authorId: 'hinton_g_1',
      pendingSeeds: 1,
      profile: { counts: { seeds: 1 }, author: { key: 'hinton_g' } },
    });
    // no "preferences changed" email for For you alone
    const jobs = await app.queues.get('mail').getJobs(['waiting', 'delayed', 'prioritized']);
    expect(jobs.filter((j) => j.data.subscriberId === r.id)).toHaveLength(mailsBefore);

    await server.inject({ method: 'POST', url: feedback(r.id, '2611.00301', 'more'), ...urlencoded([['vote', 'more']]) });
    const reset = urlencoded([
      ['form_token', formToken],
      ['reset', 'for-you'],
    ]);
    const resetAction =
      /<form method="post" action="([^"]*for-you\/reset[^"]*)" class="card">\n<h2>Reset "For you"<\/h2>[\s\S]*?name="form_token" value="([^"]+)"/.exec(
        saved.body,
      )!;
    expect(resetAction[2]).toBe(formToken);
    const resetUrl = resetAction[1]!.replace(/&amp;/g, '&');
    const crossSite = await server.inject({
      method: 'POST',
      url: resetUrl,
      headers: { ...reset.headers, 'sec-fetch-site': 'cross-site' },
      payload: reset.payload,
    });
    expect(crossSite.statusCode).toBe(403);
    const noFormToken = urlencoded([['reset', 'for-you']]);
    const forged = await server.inject({ method: 'POST', url: resetUrl, headers: { ...noFormToken.headers, origin: 'null' }, payload: noFormToken.payload });
    expect(forged.statusCode).toBe(403);
    expect((await app.store.forYou.settings(r.id)).profile).toBeDefined();
    const done = await server.inject({ method: 'POST', url: resetUrl, headers: { ...reset.headers, ...OWN_PAGE }, payload: reset.payload });
    expect(done.statusCode).toBe(200);
    expect(done.body).toContain('For you is reset');
    expect(await app.store.forYou.settings(r.id)).toEqual({ seedPapers: [], pendingSeeds: 0 });
    expect((await app.store.forYou.voteCounts()).more).toBe(0);
  });
});
