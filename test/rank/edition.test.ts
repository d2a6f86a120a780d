/** Editions a reader trusts: grouped, best first, the same answer every time, one edition per paper. */
import { describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { storeObservations } from '../../src/ingest/storeObservations.ts';
import type { PaperObservation } from '../../src/domain/paper.ts';
import { editionSummary } from '../../src/domain/edition.ts';
import { EditionBuilder, EditionLockedError } from '../../src/rank/editionBuilder.ts';
import { Ranker } from '../../src/rank/ranker.ts';
import { freezeEditions } from '../../src/rank/freeze.ts';
import { QUEUE } from '../../src/queues/index.ts';
import { manualClock, shippedConfig, testApp } from '../harness/index.ts';
import type { Clock } from '../../src/domain/time.ts';

function arxiv(
  id: string,
  title: string,
  abstract: string,
  categories: string[],
  announcedAt = '2026-11-26T01:00:00.000Z',
  announceType: 'new' | 'cross' | 'replace' = 'new',
): PaperObservation {
  return {
    keys: { arxivId: id },
    title,
    abstract,
    authors: ['A. Author'],
    categories,
    primaryCategory: categories[0],
    links: { abstract: `https://arxiv.org/abs/${id}` },
    announcedAt,
    signal: { source: 'arxiv', kind: 'arxiv-rss', observedAt: '2026-11-26T02:00:00.000Z', announceType },
  };
}

function hf(id: string, title: string, upvotes: number): PaperObservation {
  return {
    keys: { arxivId: id },
    title,
    abstract: '',
    authors: [],
    categories: [],
    links: { hf: `https://huggingface.co/papers/${id}` },
    announcedAt: '2026-11-26T00:00:00.000Z',
    signal: { source: 'hf', kind: 'hf-daily', observedAt: '2026-11-26T03:00:00.000Z', upvotes, comments: 1 },
  };
}

const day = [
  arxiv(
    '2611.30001',
    'Sparse Attention for Long-Context Language Models',
    'We study large language models with long context windows and propose a sparse attention pattern for LLM pretraining.',
    ['cs.CL', 'cs.LG'],
  ),
  arxiv(
    '2611.30002',
    'Instruction Tuning Small Language Models with Synthetic Dialogues',
    'Large language models can teach smaller LLMs; we fine-tune small language models on synthetic instruction data.',
    ['cs.CL'],
  ),
  arxiv(
    '2611.30003',
    'Jailbreak Defences Through Refusal Training',
    'We study jailbreak attacks on aligned models and improve safety through refusal training and red-teaming.',
    ['cs.CL', 'cs.CR'],
  ),
  arxiv(
    '2611.30004',
    'Segmenting Anything in Video with Point Prompts',
    'A video segmentation model for images and videos: object segmentation from point prompts in computer vision.',
    ['cs.CV'],
  ),
  arxiv('2611.30005', 'Diffusion Models for Text-to-Image Generation at Scale', 'We train diffusion models for text-to-image generation and image editing.', [
    'cs.CV',
    'cs.LG',
  ]),
  arxiv('2611.30006', 'An Older Paper, Replaced', 'A replaced paper must not enter the edition as new.', ['cs.LG'], '2026-11-26T01:00:00.000Z', 'replace'),
  arxiv('2611.30007', 'A Paper for Tomorrow', 'Announced after the cut-off.', ['cs.CL'], '2026-11-26T07:00:00.000Z'),
];

async function setUp(config: Record<string, unknown> = {}, clock?: Clock): Promise<App> {
  const app = await testApp({ config: { ...shippedConfig(), sources: [], ...config }, clock });
  await storeObservations(app.store, day, '2026-11-26T02:00:00.000Z');
  await storeObservations(app.store, [hf('2611.30002', 'Instruction tuning small language models with synthetic dialogues', 60)], '2026-11-26T03:00:00.000Z');
  await new Ranker(app.store, app.config).rankMany(
    day.map((d) => d.keys.arxivId!),
    new Date('2026-11-26T03:00:00Z'),
  );
  return app;
}

describe('EditionBuilder', () => {
  it("groups the day's papers by topic, each section best first, replacements and later papers left out", async () => {
    const app = await setUp();
    const out = await new EditionBuilder(app.store, app.config, manualClock('2026-11-26T06:00:00Z')).build('daily', '2026-11-26');
    expect(out.status).toBe('built');
    if (out.status === 'empty') throw new Error('unreachable');
    const summary = editionSummary(out.edition.content);
    const ids = summary.sections.flatMap((s) => s.papers.map((p) => p.id));
    expect(ids.sort()).toEqual(['2611.30001', '2611.30002', '2611.30003', '2611.30004', '2611.30005']);
    for (const s of summary.sections) {
      const scores = s.papers.map((p) => p.score);
      expect(scores).toEqual([...scores].sort((a, b) => b - a));
    }
    // the two language-model papers share a section; the upvoted one leads it and the edition
    const lm = summary.sections.find((s) => s.papers.some((p) => p.id === '2611.30001'))!;
    expect(lm.papers.map((p) => p.id)).toEqual(['2611.30002', '2611.30001']);
    expect(summary.top[0]!.id).toBe('2611.30002');
    expect((await app.store.papers.get('2611.30007'))!.editionDate).toBe('2026-11-27');
  });

  it('gives the same JSON on a second build, and leaves a frozen edition alone unless --force', async () => {
    const app = await setUp();
    const builder = new EditionBuilder(app.store, app.config);
    const first = await builder.build('daily', '2026-11-26');
    // a later signal must not change a frozen edition
    await storeObservations(app.store, [hf('2611.30001', 'Sparse attention for long-context language models', 500)], '2026-11-26T09:00:00.000Z');
    await new Ranker(app.store, app.config).rank('2611.30001', new Date('2026-11-26T09:00:00Z'));
    const second = await builder.build('daily', '2026-11-26');
    expect(second.status).toBe('unchanged');
    if (first.status === 'empty' || second.status === 'empty') throw new Error('unreachable');
    expect(JSON.stringify(editionSummary(second.edition.content))).toBe(JSON.stringify(editionSummary(first.edition.content)));
    const forced = await builder.build('daily', '2026-11-26', { force: true });
    expect(forced.status).toBe('rebuilt');
    if (forced.status === 'empty') throw new Error('unreachable');
    expect(editionSummary(forced.edition.content).top[0]!.id).toBe('2611.30001');
    // forcing again with the same inputs gives the same edition
    const again = await builder.build('daily', '2026-11-26', { force: true });
    if (again.status === 'empty') throw new Error('unreachable');
    expect(JSON.stringify(again.edition.content)).toBe(JSON.stringify(forced.edition.content));
  });

  it('refuses to rebuild an edition whose mail has started going out', async () => {
    const app = await setUp();
    const builder = new EditionBuilder(app.store, app.config);
    await builder.build('daily', '2026-11-26');
    await app.store.editions.setFanoutCursor('2026-11-26', 10, new Date().toISOString());
    await expect(builder.build('daily', '2026-11-26', { force: true })).rejects.toBeInstanceOf(EditionLockedError);
  });

  it('makes no edition for an empty day unless configured to, and sends a late paper of that day with the next one', async () => {
    const app = await setUp();
    expect((await new EditionBuilder(app.store, app.config).build('daily', '2026-11-29')).status).toBe('empty');
    // no edition a reader sees (the archive, the feed) — but the day counts as frozen
    expect((await app.store.editions.list('daily')).map((e) => e.date)).not.toContain('2026-11-29');
    const late = arxiv('2611.30010', 'A Weekend Language Model Paper', 'Large language models.', ['cs.CL'], '2026-11-29T01:00:00.000Z');
    await storeObservations(app.store, [late], '2026-11-30T09:00:00.000Z');
    const outcome = await new Ranker(app.store, app.config).rank('2611.30010', new Date('2026-11-30T09:00:00Z'));
    expect(outcome!.editionDate).toBe('2026-12-01');
    const keepEmpty = await testApp({ config: { edition: { skipEmpty: false } } });
    const out = await new EditionBuilder(keepEmpty.store, keepEmpty.config).build('daily', '2026-11-29');
    expect(out.status).toBe('built');
  });

  it('files a paper first seen after its day was frozen into the edition being collected, never into two', async () => {
    const app = await setUp();
    await new EditionBuilder(app.store, app.config).build('daily', '2026-11-26');
    const late = arxiv('2611.30008', 'A Late Language Model Paper', 'Large language models, seen late.', ['cs.CL']);
    await storeObservations(app.store, [late], '2026-11-26T10:00:00.000Z');
    const outcome = await new Ranker(app.store, app.config).rank('2611.30008', new Date('2026-11-26T10:00:00Z'));
    expect(outcome!.editionDate).toBe('2026-11-27');
    // re-ranking keeps the day it was given
    const again = await new Ranker(app.store, app.config).rank('2611.30008', new Date('2026-11-28T10:00:00Z'));
    expect(again!.editionDate).toBe('2026-11-27');
  });

  it('builds the weekly edition from the best papers of its seven daily editions', async () => {
    const app = await setUp({ edition: { ...(shippedConfig().edition as object), papersPerTopic: 1 } });
    const builder = new EditionBuilder(app.store, app.config);
    await builder.build('daily', '2026-11-26');
    const later = arxiv('2611.30009', 'Another Language Model Paper', 'Large language models and LLM pretraining.', ['cs.CL'], '2026-11-27T01:00:00.000Z');
    await storeObservations(app.store, [later], '2026-11-27T02:00:00.000Z');
    await new Ranker(app.store, app.config).rank('2611.30009', new Date('2026-11-27T02:00:00Z'));
    await builder.build('daily', '2026-11-27');
    const weekly = await builder.build('weekly', '2026-11-27');
    if (weekly.status === 'empty') throw new Error('unreachable');
    expect(weekly.edition.id).toBe('2026-11-27-weekly');
    expect(weekly.edition.content.from).toBe('2026-11-21');
    // one paper per topic: the language-model section keeps the week's best one
    const ids = Object.keys(weekly.edition.content.papers);
    expect(ids).toContain('2611.30002');
    expect(ids).not.toContain('2611.30009');
  });

  it('freezes at the cut-off from the scheduled job and queues the render', async () => {
    const app = await setUp({}, manualClock('2026-11-26T06:00:05Z'));
    // the scheduled job carries no date: the day whose cut-off has just passed
    const outcomes = (await freezeEditions(app, { kind: 'daily', queueRender: true })).outcomes;
    expect(outcomes.map((o) => o.status)).toEqual(['built']);
    const job = await app.queues.get(QUEUE.render).getJob('render-2026-11-26');
    expect(job?.data).toEqual({ editionId: '2026-11-26' });
  });

  it('on a new installation, freezes only the current day; later, also days whose cut-off was missed', async () => {
    const clock = manualClock('2026-11-23T06:00:05Z');
    const app = await setUp({}, clock);
    // papers of the 24th and 25th, before anything was ever frozen
    const older = [arxiv('2611.30020', 'Older Language Model Paper', 'Large language models.', ['cs.CL'], '2026-11-24T01:00:00.000Z')];
    await storeObservations(app.store, older, '2026-11-24T02:00:00.000Z');
    await new Ranker(app.store, app.config).rank('2611.30020', new Date('2026-11-24T02:00:00Z'));
    const first = (await freezeEditions(app, { kind: 'daily', queueRender: true })).outcomes;
    expect(first.map((o) => (o.status === 'empty' ? `${o.date}:empty` : `${o.edition.id}:${o.status}`))).toEqual(['2026-11-23:empty']);
    // the rank worker was down on the 24th, 25th and 26th cut-offs: the freeze on the 27th catches up two days back
    await storeObservations(
      app.store,
      [arxiv('2611.30021', 'Newest Language Model Paper', 'Large language models.', ['cs.CL'], '2026-11-27T01:00:00.000Z')],
      '2026-11-27T02:00:00.000Z',
    );
    clock.set('2026-11-27T06:00:05Z');
    const later = (await freezeEditions(app, { kind: 'daily', queueRender: true })).outcomes;
    // (27 November 2026 is a Friday, the weekly edition's day)
    expect(later.map((o) => (o.status === 'empty' ? `${o.date}:empty` : `${o.edition.id}:${o.status}`))).toEqual([
      '2026-11-25:empty',
      '2026-11-26:built',
      '2026-11-27:built',
      '2026-11-27-weekly:built',
    ]);
    // the paper stored but never queued for ranking was ranked by the freeze
    expect((await app.store.papers.get('2611.30021'))!.editionDate).toBe('2026-11-27');
  });
});
