/**
 * For you through the render and send stages, on SQLite and PostgreSQL: the choice made per
 * reader in the fan-out, each distinct block rendered once, spliced at send time; a reader
 * with no profile gets the email of a variant rendered without the block, byte for byte.
 */
import { createElement } from 'react';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { storeObservations } from '../../src/ingest/storeObservations.ts';
import { PreparedMessage, domainOf, listOf, parseAddress } from '../../src/mail/message.ts';
import type { Envelope, Messenger, SendResult } from '../../src/mail/messenger.ts';
import { subscriberLinks, verifyToken } from '../../src/mail/tokens.ts';
import { recordVote } from '../../src/personal/profiles.ts';
import type { EditionContent } from '../../src/domain/edition.ts';
import { EditionBuilder } from '../../src/rank/editionBuilder.ts';
import { Ranker } from '../../src/rank/ranker.ts';
import { fanOutEdition } from '../../src/send/fanout.ts';
import { variantTopics } from '../../src/render/renderVariant.ts';
import { sendBatch } from '../../src/send/processor.ts';
import { Digest } from '../../templates/email/Digest.tsx';
import { digestText } from '../../templates/email/digestText.ts';
import { compileEmail } from '../../templates/email/mjml.ts';
import { digestView, viewOptionsOf } from '../../templates/email/view.ts';
import { arxivObservation } from '../harness/papers.ts';
import { shippedConfig, storageTargets, testApp } from '../harness/index.ts';

const DATE = '2026-11-26';

/** Keeps every message it is given, by recipient. */
class RecordingMessenger implements Messenger {
  readonly name = 'recording';
  readonly idempotent = true;
  readonly messages = new Map<string, Buffer>();
  async send(raw: Buffer, envelope: Envelope): Promise<SendResult> {
    this.messages.set(envelope.to, raw);
    return { providerId: `id-${envelope.subscriberId}` };
  }
  async close(): Promise<void> {}
}

const paper = (n: number, title: string, abstract: string, categories: string[]) =>
  arxivObservation(`2611.${String(n).padStart(5, '0')}`, { title, abstract, categories, authors: [`Author ${n}`] });
/** The day: the first three lead as Top today (equal scores go by id), two on image diffusion below them. */
const DAY = [
  paper(1, 'Scaling Laws for Sparse Language Models', 'We fit scaling laws for sparse mixture-of-experts large language models.', ['cs.CL']),
  paper(
    2,
    'A Benchmark for Long-Context Language Model Evaluation',
    'We introduce a benchmark that evaluates long-context retrieval of large language models.',
    ['cs.CL'],
  ),
  paper(3, 'Reward Hacking in Language Model Alignment', 'Reward models used for alignment of large language models are gamed by simple perturbations.', [
    'cs.CL',
  ]),
  paper(4, 'Instruction Tuning With Synthetic Data for Large Language Models', 'Synthetic instructions improve large language model instruction tuning.', [
    'cs.CL',
  ]),
  paper(
    5,
    'Offline Reinforcement Learning for Robot Manipulation',
    'Robot manipulation policies learnt with offline reinforcement learning from logged data.',
    ['cs.RO', 'cs.LG'],
  ),
  paper(
    6,
    'Consistency Distillation for One-Step Image Diffusion',
    'We distil a latent diffusion model into a one-step image generator; image quality is kept.',
    ['cs.CV'],
  ),
  paper(7, 'Text-to-Image Diffusion With Layout Control', 'A text-to-image diffusion model follows layouts for image synthesis.', ['cs.CV']),
];
/** A paper of an earlier day the diffusion reader asked more of. */
const EARLIER = arxivObservation('2611.00900', {
  title: 'Faster Sampling for Latent Image Diffusion Models',
  abstract: 'We speed up sampling of latent diffusion image models with fewer denoising steps.',
  categories: ['cs.CV'],
  announcedAt: '2026-11-19T01:00:00.000Z',
  signal: { source: 'arxiv', kind: 'arxiv-rss', observedAt: '2026-11-19T02:00:00.000Z', announceType: 'new' },
});

describe.each(storageTargets())('For you in the render and send stages on $name', (target) => {
  it('picks per reader in the fan-out, renders each distinct block once, splices it with the reader’s own feedback token, and leaves a reader without a profile the email of a variant without the block', async () => {
    const app = await testApp({ databaseUrl: await target.databaseUrl(), config: { ...shippedConfig(), sources: [] } });
    const at = new Date().toISOString();
    const [plain, fan, twin] = await Promise.all(
      ['plain@example.org', 'fan@example.org', 'twin@example.org'].map(
        async (email) => (await app.store.subscribers.upsert({ email, confirmed: true }, at)).subscriber,
      ),
    );
    await storeObservations(app.store, [...DAY, EARLIER], at);
    const ranker = new Ranker(app.store, app.config);
    await ranker.rank(EARLIER.keys.arxivId!, new Date('2026-11-19T02:00:00Z'));
    for (const p of DAY) await ranker.rank(p.keys.arxivId!, new Date(`${DATE}T02:00:00Z`));
    await new EditionBuilder(app.store, app.config).build('daily', DATE);
    // two readers with the same vote: one choice, one block
    for (const reader of [fan, twin]) await recordVote(app.store, app.config, reader!.id, '2611.00900', 'more', '2026-11-19', new Date(`${DATE}T01:00:00Z`));

    await fanOutEdition(app, DATE);
    const fanDelivery = await app.store.deliveries.get(DATE, fan!.id);
    expect(fanDelivery!.forYou).toMatch(/^[0-9a-f]{12}$/);
    expect((await app.store.deliveries.get(DATE, twin!.id))!.forYou).toBe(fanDelivery!.forYou);
    expect((await app.store.deliveries.get(DATE, plain!.id))!.forYou).toBeUndefined();
    expect(await app.store.forYou.fragmentCount(DATE)).toBe(1);
    const block = (await app.store.forYou.fragment(DATE, fanDelivery!.forYou!))!;
    expect(block.paperIds.slice(0, 2).sort()).toEqual(['2611.00006', '2611.00007']);

    const messenger = new RecordingMessenger();
    expect(await sendBatch(app, messenger, { editionId: DATE, fromId: 0, toId: 1_000_000, lastAttempt: false })).toEqual({ sent: 3, failed: 0, skipped: 0 });

    // the reader with a profile: the block at the top, its papers, their feedback links with the reader's token
    const mail = await simpleParser(messenger.messages.get('fan@example.org')!);
    const html = mail.html as string;
    const text = mail.text!;
    expect(html.indexOf('For you')).toBeGreaterThan(-1);
    expect(html.indexOf('For you')).toBeLessThan(html.indexOf('Top today'));
    expect(text.indexOf('FOR YOU')).toBeLessThan(text.indexOf('TOP TODAY'));
    expect(text.slice(text.indexOf('FOR YOU'), text.indexOf('TOP TODAY'))).toContain('Consistency Distillation for One-Step Image Diffusion');
    expect(html).not.toContain('%%PB_');
    expect(text).not.toContain('%%PB_');
    const tokens = new Set([...html.matchAll(/\/feedback\?paper=[^"&]+&amp;vote=(?:more|less)&amp;token=([A-Za-z0-9._-]+)/g)].map((m) => m[1]));
    expect(tokens.size).toBe(1);
    expect(verifyToken(app.secretKey, [...tokens][0], 'feedback')).toBe(fan!.id);
    expect(text).toMatch(
      new RegExp(`More or less like this: https://papers\\.example\\.org/feedback\\?paper=2611\\.00006&token=${[...tokens][0]!.replace(/\./g, '\\.')}`),
    );

    // the reader without one: byte for byte the message of the variant rendered without a block
    const raw = messenger.messages.get('plain@example.org')!;
    const content = (await app.store.editions.get(DATE))!.content;
    const view = digestView(content, variantTopics(content, []), viewOptionsOf(app.config, app.env));
    const without = { ...view, forYouSlot: false };
    const { html: plainHtml } = await compileEmail(createElement(Digest, { view: without }));
    const from = parseAddress(app.env.mailFrom);
    const prepared = new PreparedMessage(
      { from, list: { ...listOf(app.config, domainOf(from.address)), bulk: true } },
      { subject: view.subject, html: plainHtml, text: digestText(without) },
    );
    const head = raw.toString('latin1');
    const expected = prepared.build({
      to: 'plain@example.org',
      messageId: /^Message-ID: (.*)\r$/m.exec(head)![1]!,
      date: new Date(/^Date: (.*)\r$/m.exec(head)![1]!),
      links: subscriberLinks(app.env.publicUrl, app.secretKey, plain!.id, domainOf(from.address)),
    });
    expect(raw.equals(expected)).toBe(true);
    expect(head).not.toContain('For you');
  });

  it('sends no feedback link and no block when For you is off', async () => {
    const app = await testApp({ databaseUrl: await target.databaseUrl(), config: { ...shippedConfig(), sources: [], forYou: { enabled: false } } });
    const at = new Date().toISOString();
    const fan = (await app.store.subscribers.upsert({ email: 'fan@example.org', confirmed: true }, at)).subscriber;
    await storeObservations(app.store, [...DAY, EARLIER], at);
    const ranker = new Ranker(app.store, app.config);
    for (const p of DAY) await ranker.rank(p.keys.arxivId!, new Date(`${DATE}T02:00:00Z`));
    await new EditionBuilder(app.store, app.config).build('daily', DATE);
    await recordVote(app.store, app.config, fan.id, '2611.00900', 'more', undefined, new Date(`${DATE}T01:00:00Z`));
    await fanOutEdition(app, DATE);
    expect((await app.store.deliveries.get(DATE, fan.id))!.forYou).toBeUndefined();
    const messenger = new RecordingMessenger();
    await sendBatch(app, messenger, { editionId: DATE, fromId: 0, toId: 1_000_000, lastAttempt: false });
    const mail = await simpleParser(messenger.messages.get('fan@example.org')!);
    expect(mail.html).not.toContain('/feedback?');
    expect(mail.text).not.toContain('FOR YOU');
  });
});
