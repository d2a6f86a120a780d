/**
 * The subscriber's life over HTTP, on SQLite and PostgreSQL: subscribe (double opt-in),
 * confirm, preferences, one-click unsubscribe — and what an attacker tries on each.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { signConfirmToken, signFormToken, signToken } from '../../src/mail/tokens.ts';
import type { PaperboyServer } from '../../src/web/server.ts';
import { storageTargets } from '../harness/index.ts';
import { addDays } from '../../src/domain/time.ts';
import { preferencesPage } from '../../templates/pages/subscription.ts';
import { deliverMail, linkIn, multipart, outboxMail, preferencesFormToken, urlencoded, webApp } from './helpers.ts';

describe.each(storageTargets())('subscription on $name', (target) => {
  let app: App;
  let server: PaperboyServer;
  beforeAll(async () => {
    ({ app, server } = await webApp({ databaseUrl: await target.databaseUrl() }));
  });
  afterAll(async () => {
    await server.close();
  });

  const subscribe = async (email: string, fields: [string, string][] = []) => {
    const res = await server.inject({ method: 'POST', url: '/subscribe', ...urlencoded([['email', email], ...fields]) });
    await server.settled();
    return res;
  };
  const confirmedReader = async (email: string, topics: string[] = []) =>
    (await app.store.subscribers.upsert({ email, topics, confirmed: true }, new Date().toISOString())).subscriber;

  it('answers POST /subscribe the same for a new, pending, confirmed, unsubscribed and suppressed address (no enumeration)', async () => {
    await subscribe('pending@example.org');
    await confirmedReader('confirmed@example.org');
    const gone = await confirmedReader('gone@example.org');
    await app.store.subscribers.unsubscribe(gone.id, new Date().toISOString());
    const bounced = await confirmedReader('bounced@example.org');
    await app.store.subscribers.setStatus(bounced.id, 'suppressed', new Date().toISOString());
    const answers = [];
    for (const email of ['new@example.org', 'pending@example.org', 'confirmed@example.org', 'gone@example.org', 'bounced@example.org']) {
      const res = await subscribe(email);
      answers.push({ status: res.statusCode, body: res.body, cookie: res.headers['set-cookie'] });
    }
    expect(new Set(answers.map((a) => a.status))).toEqual(new Set([200]));
    expect(new Set(answers.map((a) => a.body)).size).toBe(1);
    expect(answers[0]!.body).toContain('Check your inbox');
    expect(answers.every((a) => a.cookie === undefined)).toBe(true);
  });

  it('lets a pending subscriber confirm from the emailed link, once, and sends a welcome email', async () => {
    await subscribe('ada@example.org', [
      ['topics', 'language-models'],
      ['frequency', 'weekly'],
      ['timezone', 'Asia/Tokyo'],
    ]);
    const pending = (await app.store.subscribers.getByEmail('ada@example.org'))!;
    expect(pending.status).toBe('pending');
    expect(pending.deliveryTimeChosen).toBe(false);
    await deliverMail(app);
    const mail = (await outboxMail(app, 'confirm', pending.id))!;
    expect(mail.subject).toMatch(/Confirm/);
    expect(mail.to).toMatchObject({ value: [{ address: 'ada@example.org' }] });
    const link = linkIn(mail, '/confirm');
    // opening the link (a person, a mail scanner, a link preview) shows one button and changes nothing
    for (const method of ['HEAD', 'GET', 'GET'] as const) {
      const opened = await server.inject({ method, url: link });
      expect(opened.statusCode, method).toBe(200);
      expect((await app.store.subscribers.getById(pending.id))!.status).toBe('pending');
    }
    const page = await server.inject({ url: link });
    expect(page.body).toContain('Confirm your subscription');
    expect(page.body).toContain('a***@example.org');
    expect(page.body).not.toContain('ada@example.org');
    expect(page.body.match(/<button/g)).toHaveLength(1);
    expect(page.body).toMatch(new RegExp(`<form method="post" action="${link.replace(/[.?]/g, '\\$&')}">`));
    // the button confirms
    const first = await server.inject({ method: 'POST', url: link, ...urlencoded([]) });
    expect(first.statusCode).toBe(200);
    expect(first.body).toContain('You are subscribed');
    expect(await app.store.subscribers.getById(pending.id)).toMatchObject({
      status: 'confirmed',
      topics: ['language-models'],
      frequency: 'weekly',
      timezone: 'Asia/Tokyo',
      deliveryTimeChosen: true,
    });
    for (const method of ['POST', 'GET'] as const) {
      const again = await server.inject({ method, url: link });
      expect(again.statusCode, method).toBe(410);
      expect(again.body).toMatch(/already used/);
    }
    await deliverMail(app);
    const welcome = (await outboxMail(app, 'welcome', pending.id))!;
    expect(welcome.subject).toMatch(/Welcome/);
    expect(welcome.text).toMatch(/\/preferences\?token=/);
    // the page that confirmed says when editions come, as the welcome email does
    const when = /When:?\s+(weekly[^\n]*?)\s*\n/.exec(welcome.text ?? '')?.[1];
    expect(when, welcome.text).toMatch(/^weekly, on \w+days/);
    expect(first.body).toContain(when);
    expect(first.body).not.toContain('at your delivery hour');
  });

  it('refuses a confirm link older than 7 days, and a tampered one, changing nothing', async () => {
    await subscribe('late@example.org');
    const s = (await app.store.subscribers.getByEmail('late@example.org'))!;
    const request = (await app.store.subscribers.pendingRequest(s.id))!;
    const old = signConfirmToken(app.secretKey, s.id, request.nonce, new Date(Date.now() - 8 * 24 * 3600_000));
    const fresh = signConfirmToken(app.secretKey, s.id, request.nonce, new Date());
    for (const method of ['GET', 'POST'] as const) {
      const expired = await server.inject({ method, url: `/confirm?token=${old}` });
      expect(expired.statusCode).toBe(410);
      expect(expired.body).toMatch(/expired/);
      const tampered = await server.inject({ method, url: `/confirm?token=${fresh.replace(/\.[^.]+\./, `.${'A'.repeat(12)}.`)}` });
      expect(tampered.statusCode).toBe(400);
    }
    expect((await app.store.subscribers.getById(s.id))!.status).toBe('pending');
  });

  it('sends at most 3 confirmation emails per address a day', async () => {
    for (let i = 0; i < 5; i++) expect((await subscribe('flood@example.org')).statusCode).toBe(200);
    const s = (await app.store.subscribers.getByEmail('flood@example.org'))!;
    const jobs = await app.queues.get('mail').getJobs(['waiting', 'delayed', 'prioritized']);
    expect(jobs.filter((j) => j.data.kind === 'confirm' && j.data.subscriberId === s.id)).toHaveLength(3);
    await deliverMail(app);
  });

  it('never downgrades a confirmed reader nor changes their topics before they confirm', async () => {
    const reader = await confirmedReader('grace@example.org', ['theory']);
    await subscribe('grace@example.org', [
      ['topics', 'vision-multimodal'],
      ['frequency', 'weekly'],
    ]);
    expect(await app.store.subscribers.getById(reader.id)).toMatchObject({ status: 'confirmed', topics: ['theory'], frequency: 'daily' });
    await deliverMail(app);
    const mail = (await outboxMail(app, 'confirm', reader.id))!;
    const link = linkIn(mail, '/confirm');
    expect((await server.inject({ url: link })).body).toContain('Confirm your new choices');
    expect((await server.inject({ method: 'POST', url: link })).statusCode).toBe(200);
    expect(await app.store.subscribers.getById(reader.id)).toMatchObject({ status: 'confirmed', topics: ['vision-multimodal'], frequency: 'weekly' });
  });

  it('refuses malformed and IP-literal addresses with a clear message', async () => {
    for (const [email, reason] of [
      ['a..b@example.org', /two dots/],
      ['.a@example.org', /start or end with a dot/],
      ['x@[127.0.0.1]', /IP address/],
      ['x@127.0.0.1', /IP address/],
      ['no-at-sign', /has no &quot;@&quot;/],
    ] as const) {
      const res = await subscribe(email);
      expect(res.statusCode, email).toBe(400);
      expect(res.body).toMatch(reason);
      expect(await app.store.subscribers.getByEmail(email)).toBeUndefined();
    }
  });

  it('stores an IDN domain in punycode', async () => {
    await subscribe('Juergen@Bücher.example');
    expect(await app.store.subscribers.getByEmail('juergen@xn--bcher-kva.example')).toMatchObject({ status: 'pending' });
  });

  it('GET /unsubscribe shows one button and changes nothing; without a token it explains where the link is', async () => {
    const reader = await confirmedReader('scanner@example.org');
    const res = await server.inject({ url: `/unsubscribe?token=${signToken(app.secretKey, reader.id, 'unsubscribe')}` });
    expect(res.statusCode).toBe(200);
    expect(res.body.match(/<button/g)).toHaveLength(1);
    expect(res.body).toContain('s***@example.org');
    expect(res.body).not.toContain('scanner@example.org');
    expect((await app.store.subscribers.getById(reader.id))!.status).toBe('confirmed');
    const help = await server.inject({ url: '/unsubscribe' });
    expect(help.statusCode).toBe(200);
    expect(help.body).toMatch(/unsubscribe link at the bottom/);
  });

  it('unsubscribes on the RFC 8058 one-click POST sent as multipart/form-data: 200, no redirect, no cookie, idempotent', async () => {
    const reader = await confirmedReader('multipart@example.org');
    const url = `/unsubscribe?token=${signToken(app.secretKey, reader.id, 'unsubscribe')}`;
    for (let i = 0; i < 2; i++) {
      const res = await server.inject({ method: 'POST', url, ...multipart([['List-Unsubscribe', 'One-Click']]) });
      expect(res.statusCode).toBe(200);
      expect(res.headers.location).toBeUndefined();
      expect(res.headers['set-cookie']).toBeUndefined();
      expect((await app.store.subscribers.getById(reader.id))!.status).toBe('unsubscribed');
    }
  });

  it('unsubscribes on the one-click POST sent urlencoded, and from the page button', async () => {
    for (const [email, body] of [
      ['urlencoded@example.org', urlencoded([['List-Unsubscribe', 'One-Click']])],
      ['button@example.org', urlencoded([['confirm', 'yes']])],
    ] as const) {
      const reader = await confirmedReader(email);
      const res = await server.inject({ method: 'POST', url: `/unsubscribe?token=${signToken(app.secretKey, reader.id, 'unsubscribe')}`, ...body });
      expect(res.statusCode).toBe(200);
      expect(res.body).toMatch(/You are unsubscribed/);
      expect((await app.store.subscribers.getById(reader.id))!.status).toBe('unsubscribed');
    }
  });

  it('gives nothing after an unsubscribe that could re-subscribe: no token on the page, and the preferences link cannot bring the reader back', async () => {
    const reader = await confirmedReader('leaver@example.org', ['theory']);
    const res = await server.inject({
      method: 'POST',
      url: `/unsubscribe?token=${signToken(app.secretKey, reader.id, 'unsubscribe')}`,
      ...urlencoded([['List-Unsubscribe', 'One-Click']]),
    });
    expect(res.body).not.toMatch(/token=/);
    const token = signToken(app.secretKey, reader.id, 'preferences');
    const prefs = `/preferences?token=${token}`;
    // the form token of a page opened before the unsubscribe
    const post = await server.inject({
      method: 'POST',
      url: prefs,
      ...urlencoded([
        ['topics', 'vision-multimodal'],
        ['frequency', 'daily'],
        ['hour', '7'],
        ['timezone', 'UTC'],
        ['form_token', signFormToken(app.secretKey, token)],
      ]),
    });
    expect(post.statusCode).toBe(409);
    expect(await app.store.subscribers.getById(reader.id)).toMatchObject({ status: 'unsubscribed', topics: ['theory'] });
    expect((await server.inject({ url: prefs })).body).toMatch(/You are not subscribed/);
  });

  it('re-subscribing after an unsubscribe takes a fresh confirmation by email', async () => {
    const reader = await confirmedReader('comeback@example.org');
    await subscribe('comeback@example.org');
    await deliverMail(app);
    const stale = (await outboxMail(app, 'confirm', reader.id))!;
    const unsubscribe = await server.inject({
      method: 'POST',
      url: `/unsubscribe?token=${signToken(app.secretKey, reader.id, 'unsubscribe')}`,
      ...multipart([['List-Unsubscribe', 'One-Click']]),
    });
    expect(unsubscribe.statusCode).toBe(200);
    // the confirmation sent before the unsubscribe no longer works
    expect((await server.inject({ url: linkIn(stale, '/confirm') })).statusCode).toBe(410);
    expect((await server.inject({ method: 'POST', url: linkIn(stale, '/confirm') })).statusCode).toBe(410);
    expect((await app.store.subscribers.getById(reader.id))!.status).toBe('unsubscribed');
    await subscribe('comeback@example.org');
    expect((await app.store.subscribers.getById(reader.id))!.status).toBe('unsubscribed');
    await deliverMail(app);
    const fresh = (await outboxMail(app, 'confirm', reader.id))!;
    expect((await server.inject({ method: 'POST', url: linkIn(fresh, '/confirm') })).statusCode).toBe(200);
    expect((await app.store.subscribers.getById(reader.id))!.status).toBe('confirmed');
  });

  it('answers 400, not 500, to a repeated token on every route that takes one', async () => {
    const reader = await confirmedReader('twice@example.org');
    const a = signToken(app.secretKey, reader.id, 'unsubscribe');
    for (const [method, route] of [
      ['GET', '/unsubscribe'],
      ['POST', '/unsubscribe'],
      ['GET', '/preferences'],
      ['POST', '/preferences'],
      ['GET', '/confirm'],
      ['POST', '/confirm'],
    ] as const) {
      const res = await server.inject({
        method,
        url: `${route}?token=${a}&token=${a}`,
        ...(method === 'POST' ? urlencoded([['List-Unsubscribe', 'One-Click']]) : {}),
      });
      expect(res.statusCode, `${method} ${route}`).toBe(400);
      expect(res.body).toMatch(/not valid/);
    }
    expect((await app.store.subscribers.getById(reader.id))!.status).toBe('confirmed');
  });

  it('tells a reader who never chose a delivery time that the edition reaches them when it goes out, until they choose one', async () => {
    const reader = await confirmedReader('no-time@example.org', ['theory']);
    const url = `/preferences?token=${signToken(app.secretKey, reader.id, 'preferences')}`;
    const before = await server.inject({ url });
    expect(before.statusCode).toBe(200);
    expect(before.body).toMatch(/You have not chosen a delivery time, so each edition reaches you as soon as it goes out/);
    const body = urlencoded([
      ['topics', 'theory'],
      ['frequency', 'daily'],
      ['hour', '18'],
      ['timezone', 'Europe/Berlin'],
      ['form_token', await preferencesFormToken(server, url)],
    ]);
    const saved = await server.inject({ method: 'POST', url, headers: { ...body.headers, 'sec-fetch-site': 'same-origin' }, payload: body.payload });
    expect(saved.statusCode).toBe(200);
    expect(saved.body).not.toMatch(/as soon as it goes out/);
    expect((await server.inject({ url })).body).not.toMatch(/as soon as it goes out/);
    // with send.atReadersHour off nobody's hour is used: the page says so to every reader
    const forAll = preferencesPage({
      listName: 'Daily Papers',
      email: 'a@example.org',
      action: '/preferences',
      formToken: 'x',
      topics: [],
      frequency: 'daily',
      zones: ['UTC'],
      timezone: 'UTC',
      deliveryHour: 7,
      delivery: 'on-release-for-all',
      today: '2026-11-26',
    });
    expect(forAll).toMatch(/Each edition reaches every reader as soon as it goes out/);
  });

  it('takes a preferences save of the default time, 07:00 UTC, as the reader choosing it (sent at their hour, not with the edition)', async () => {
    const reader = await confirmedReader('default-time@example.org', ['theory']);
    expect(reader.deliveryTimeChosen).toBe(false);
    const url = `/preferences?token=${signToken(app.secretKey, reader.id, 'preferences')}`;
    const body = urlencoded([
      ['topics', 'theory'],
      ['frequency', 'daily'],
      ['hour', '7'],
      ['timezone', 'UTC'],
      ['form_token', await preferencesFormToken(server, url)],
    ]);
    const saved = await server.inject({
      method: 'POST',
      url,
      headers: { ...body.headers, origin: 'null', 'sec-fetch-site': 'same-origin' },
      payload: body.payload,
    });
    expect(saved.statusCode).toBe(200);
    expect(await app.store.subscribers.getById(reader.id)).toMatchObject({ deliveryHour: 7, timezone: 'UTC', deliveryTimeChosen: true });
  });

  it('saves topics, frequency, delivery hour, time zone and a pause from the preferences page, idempotently, with one email per change', async () => {
    const reader = await confirmedReader('prefs@example.org');
    const url = `/preferences?token=${signToken(app.secretKey, reader.id, 'preferences')}`;
    const page = await server.inject({ url });
    expect(page.statusCode).toBe(200);
    expect(page.body).toMatch(/name="topics" value="language-models"/);
    expect(page.body).toMatch(/name="hour"/);
    expect(page.body).toMatch(/name="timezone"/);
    expect(page.body).toMatch(/name="paused_until"/);
    const pause = new Date(Date.now() + 10 * 24 * 3600_000).toISOString().slice(0, 10);
    const fields: [string, string][] = [
      ['topics', 'theory'],
      ['topics', 'language-models'],
      ['topics', 'not-a-topic'],
      ['frequency', 'weekly'],
      ['hour', '18'],
      ['timezone', 'Europe/Berlin'],
      ['paused_until', pause],
      ['form_token', await preferencesFormToken(server, url)],
    ];
    // what Chromium sends from our page: no-referrer makes its Origin "null"
    const headers = { origin: 'null', 'sec-fetch-site': 'same-origin' };
    for (let i = 0; i < 2; i++) {
      const body = urlencoded(fields);
      const saved = await server.inject({ method: 'POST', url, headers: { ...body.headers, ...headers }, payload: body.payload });
      expect(saved.statusCode).toBe(200);
      expect(saved.body).toMatch(/Saved/);
    }
    expect(await app.store.subscribers.getById(reader.id)).toMatchObject({
      status: 'confirmed',
      topics: ['language-models', 'theory'],
      frequency: 'weekly',
      deliveryHour: 18,
      timezone: 'Europe/Berlin',
      pausedUntil: pause,
    });
    const jobs = await app.queues.get('mail').getJobs(['waiting', 'delayed', 'prioritized']);
    expect(jobs.filter((j) => j.data.kind === 'preferences-changed' && j.data.subscriberId === reader.id)).toHaveLength(1);
    await deliverMail(app);
    const note = (await outboxMail(app, 'preferences-changed', reader.id))!;
    expect((note.text ?? '').replace(/\s+/g, ' ')).toMatch(/18:00 Europe\/Berlin/);
    // a paused reader is left out of the editions before the pause's day, and gets that day's
    const readersOf = async (day: string) => (await app.store.subscribers.confirmedPage('weekly', day, 0, 1000)).map((r) => r.id);
    expect(await readersOf(addDays(pause, -1))).not.toContain(reader.id);
    expect(await readersOf(pause)).toContain(reader.id);
  });

  it('saves the sections a reader wants first from plain selects, in their order, with repeats and empty choices dropped', async () => {
    const reader = await confirmedReader('order@example.org', ['theory', 'language-models', 'alignment-safety']);
    const url = `/preferences?token=${signToken(app.secretKey, reader.id, 'preferences')}`;
    const page = (await server.inject({ url })).body;
    // three labelled selects, no script needed
    for (const [n, label] of [
      [1, 'First'],
      [2, 'Second'],
      [3, 'Third'],
    ] as const) {
      expect(page).toContain(`<label for="sections-first-${n}">${label}</label>`);
      expect(page).toMatch(new RegExp(`<select id="sections-first-${n}" name="sections_first">\\s*<option value="" selected>By the day's best paper</option>`));
    }
    const headers = { origin: 'null', 'sec-fetch-site': 'same-origin' };
    const formToken = await preferencesFormToken(server, url);
    const save = (order: string[], extra: [string, string][] = []) => {
      const body = urlencoded([
        ['topics', 'theory'],
        ['topics', 'language-models'],
        ['topics', 'alignment-safety'],
        ['frequency', 'daily'],
        ['hour', '7'],
        ['timezone', 'UTC'],
        ['form_token', formToken],
        ...order.map((t): [string, string] => ['sections_first', t]),
        ...extra,
      ]);
      return server.inject({ method: 'POST', url, headers: { ...body.headers, ...headers }, payload: body.payload });
    };
    const saved = await save(['alignment-safety', 'alignment-safety', 'theory']);
    expect(saved.statusCode).toBe(200);
    expect(saved.body).toMatch(/Saved/);
    expect((await app.store.subscribers.getById(reader.id))!.sectionOrder).toEqual(['alignment-safety', 'theory']);
    // the page shows the order back, the unused select left on "by the day's best paper"
    const shown = (await server.inject({ url })).body;
    expect(shown).toMatch(/<select id="sections-first-1" name="sections_first">[^]*?<option value="alignment-safety" selected>/);
    expect(shown).toMatch(/<select id="sections-first-2" name="sections_first">[^]*?<option value="theory" selected>/);
    expect(shown).toMatch(/<select id="sections-first-3" name="sections_first">\s*<option value="" selected>/);
    // the same order again changes nothing; a new one is a change, and the note says so
    expect((await save(['alignment-safety', '', 'theory'])).body).toMatch(/Nothing had changed/);
    expect((await save(['', 'theory', 'language-models'])).body).toMatch(/A note confirming the change/);
    expect((await app.store.subscribers.getById(reader.id))!.sectionOrder).toEqual(['theory', 'language-models']);
    await deliverMail(app);
    const note = (await outboxMail(app, 'preferences-changed', reader.id))!;
    expect((note.text ?? '').replace(/\s+/g, ' ')).toMatch(/Sections first: Theory · Language models/);
    // an unknown topic is refused by name and nothing is saved
    const bad = await save(['quantum-gravity', 'theory']);
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Not saved: &quot;quantum-gravity&quot; is not a topic');
    expect((await app.store.subscribers.getById(reader.id))!.sectionOrder).toEqual(['theory', 'language-models']);
    // "by the day's best paper" everywhere clears the order
    await save(['', '', '']);
    expect((await app.store.subscribers.getById(reader.id))!.sectionOrder).toEqual([]);
  });

  it('refuses a bad time zone, hour or pause with the reason, saving nothing', async () => {
    const reader = await confirmedReader('typo@example.org', ['theory']);
    const url = `/preferences?token=${signToken(app.secretKey, reader.id, 'preferences')}`;
    const formToken: [string, string] = ['form_token', await preferencesFormToken(server, url)];
    for (const [fields, reason] of [
      [
        [
          ['frequency', 'daily'],
          ['hour', '7'],
          ['timezone', 'Mars/Olympus'],
        ],
        /not a time zone/,
      ],
      [
        [
          ['frequency', 'daily'],
          ['hour', '24'],
          ['timezone', 'UTC'],
        ],
        /Not saved: the hour &quot;24&quot; is not a whole number from 0 to 23/,
      ],
      [
        [
          ['frequency', 'daily'],
          ['hour', '7'],
          ['timezone', 'UTC'],
          ['paused_until', '2001-01-01'],
        ],
        /pause/,
      ],
    ] as [[string, string][], RegExp][]) {
      const res = await server.inject({ method: 'POST', url, ...urlencoded([...fields, formToken]) });
      expect(res.statusCode).toBe(400);
      expect(res.body).toMatch(reason);
    }
    expect(await app.store.subscribers.getById(reader.id)).toMatchObject({ topics: ['theory'], deliveryHour: 7, timezone: 'UTC' });
  });

  it("takes a time zone by any name a browser or a reader gives (an alias, another case) and stores the name the list shows; the subscribe form's browser guess too", async () => {
    const reader = await confirmedReader('zones@example.org', ['theory']);
    const url = `/preferences?token=${signToken(app.secretKey, reader.id, 'preferences')}`;
    const formToken: [string, string] = ['form_token', await preferencesFormToken(server, url)];
    // Firefox and recent Chromium report Asia/Kolkata and Europe/Kyiv; Node's list says Asia/Calcutta and Europe/Kiev
    for (const [given, stored] of [
      ['Asia/Kolkata', 'Asia/Calcutta'],
      ['Europe/Kyiv', 'Europe/Kiev'],
      ['US/Eastern', 'America/New_York'],
      ['asia/tokyo', 'Asia/Tokyo'],
      ['Etc/UTC', 'UTC'],
    ]) {
      const res = await server.inject({
        method: 'POST',
        url,
        ...urlencoded([['topics', 'theory'], ['frequency', 'daily'], ['hour', '7'], ['timezone', given!], formToken]),
      });
      expect(res.statusCode, `${given}: ${res.body}`).toBe(200);
      expect((await app.store.subscribers.getById(reader.id))!.timezone, given).toBe(stored);
      expect((await server.inject({ url })).body).toContain(`<option value="${stored}" selected>`);
    }
    await subscribe('kolkata@example.org', [['timezone', 'Asia/Kolkata']]);
    expect((await app.store.subscribers.getByEmail('kolkata@example.org'))!.timezone).toBe('Asia/Calcutta');
  });

  it('refuses a cross-site preferences POST (text/plain, a foreign Origin, Sec-Fetch-Site cross-site, no form token) even with a valid link token', async () => {
    const reader = await confirmedReader('csrf@example.org', ['theory']);
    const url = `/preferences?token=${signToken(app.secretKey, reader.id, 'preferences')}`;
    const plain = await server.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'text/plain', origin: 'https://evil.example' },
      payload: 'frequency=weekly',
    });
    expect(plain.statusCode).toBe(415);
    const fields: [string, string][] = [
      ['frequency', 'weekly'],
      ['hour', '3'],
      ['timezone', 'UTC'],
    ];
    const withToken = urlencoded([...fields, ['form_token', await preferencesFormToken(server, url)]]);
    const foreign = await server.inject({ method: 'POST', url, headers: { ...withToken.headers, origin: 'https://evil.example' }, payload: withToken.payload });
    expect(foreign.statusCode).toBe(403);
    const crossSite = await server.inject({
      method: 'POST',
      url,
      headers: { ...withToken.headers, 'sec-fetch-site': 'cross-site' },
      payload: withToken.payload,
    });
    expect(crossSite.statusCode).toBe(403);
    // a form on another site (or sandboxed: Origin null) cannot know the form token
    const noToken = urlencoded(fields);
    for (const headers of [{ origin: 'null' }, {}, { 'sec-fetch-site': 'same-origin' }]) {
      const res = await server.inject({ method: 'POST', url, headers: { ...noToken.headers, ...headers }, payload: noToken.payload });
      expect(res.statusCode, JSON.stringify(headers)).toBe(403);
      expect(res.body).toMatch(/did not come from our preferences page/);
    }
    // nor can it use another reader's
    const other = await confirmedReader('csrf-other@example.org');
    const othersToken = urlencoded([
      ...fields,
      ['form_token', await preferencesFormToken(server, `/preferences?token=${signToken(app.secretKey, other.id, 'preferences')}`)],
    ]);
    expect((await server.inject({ method: 'POST', url, headers: { ...othersToken.headers, origin: 'null' }, payload: othersToken.payload })).statusCode).toBe(
      403,
    );
    expect(await app.store.subscribers.getById(reader.id)).toMatchObject({ topics: ['theory'], frequency: 'daily', deliveryHour: 7 });
  });

  it('saves from a browser that sends Origin: null and no Sec-Fetch-Site (Safari before 16.4) when the form carries its token, urlencoded or multipart', async () => {
    const reader = await confirmedReader('safari@example.org', ['theory']);
    const url = `/preferences?token=${signToken(app.secretKey, reader.id, 'preferences')}`;
    const formToken = await preferencesFormToken(server, url);
    for (const [hour, body] of [
      [
        6,
        urlencoded([
          ['topics', 'theory'],
          ['frequency', 'weekly'],
          ['hour', '6'],
          ['timezone', 'UTC'],
          ['form_token', formToken],
        ]),
      ],
      [
        5,
        multipart([
          ['topics', 'theory'],
          ['frequency', 'weekly'],
          ['hour', '5'],
          ['timezone', 'UTC'],
          ['form_token', formToken],
        ]),
      ],
    ] as const) {
      const res = await server.inject({ method: 'POST', url, headers: { ...body.headers, origin: 'null' }, payload: body.payload });
      expect(res.statusCode).toBe(200);
      expect(res.body).toMatch(/Saved/);
      expect(await app.store.subscribers.getById(reader.id)).toMatchObject({ frequency: 'weekly', deliveryHour: hour });
    }
  });

  it('refuses tampered tokens and tokens of another purpose', async () => {
    const reader = await confirmedReader('tamper@example.org');
    const good = signToken(app.secretKey, reader.id, 'unsubscribe');
    const tampered = good.slice(0, -2) + (good.endsWith('AA') ? 'BB' : 'AA');
    const otherId =
      signToken(app.secretKey, reader.id + 1, 'unsubscribe')
        .split('.')
        .slice(0, 2)
        .join('.') +
      '.' +
      good.split('.')[2];
    for (const token of [tampered, otherId, signToken(app.secretKey, reader.id, 'preferences'), 'nonsense', '']) {
      const res = await server.inject({
        method: 'POST',
        url: `/unsubscribe?token=${encodeURIComponent(token)}`,
        ...urlencoded([['List-Unsubscribe', 'One-Click']]),
      });
      expect(res.statusCode, token).toBe(400);
    }
    expect((await app.store.subscribers.getById(reader.id))!.status).toBe('confirmed');
  });
});
