/**
 * What a demanding reader on a phone found in the digest (issue #13): a subject that says
 * nothing, blurbs that are background, AI summaries passed off as the authors' words, the most
 * discussed papers as bare titles, no dates, "et al." hiding 47 authors.
 */
import { describe, expect, it } from 'vitest';
import type { EditionContent, EditionPaper } from '../../src/domain/edition.ts';
import { EditionBuilder } from '../../src/rank/editionBuilder.ts';
import { Ranker } from '../../src/rank/ranker.ts';
import { storeObservations } from '../../src/ingest/storeObservations.ts';
import { renderVariant } from '../../src/render/renderVariant.ts';
import { editionPage } from '../../templates/pages/edition.ts';
import { digestView, type DigestPaper } from '../../templates/email/view.ts';
import { manualClock, shippedConfig, testApp } from '../harness/index.ts';
import { dayEdition, sampleEdition, seedPapers, viewOptions } from './fixtures.ts';

/** Titles as feeds give them: with and without a colon, a name or a phrase before it, long and short. */
const TITLES = [
  'RankFlow: Learning to Rank Papers with Normalising Flows for Daily Digests',
  'One-connection rule for structural equation models',
  'MiniMax Sparse Attention',
  'On the Limits of LLM Adaptability: Impact of Model-Internalized Priors on Annotation Task Performance',
  'Generalization or Hallucination? Understanding Out-of-Context Reasoning in Transformers',
  'Visual Para-Thinker++: A Single-Policy Multi-Agent Framework for Visual Reasoning',
  'Where, What, Why, and Importance: Structured Defect Grounding for Text-to-Image Feedback',
  'From Instructions to Intrinsic Human Values -- A Survey of Alignment Goals for Big Models',
  'The Cold-Start Safety Gap in LLM Agents',
  'SG-OPD: Sign-Gated On-Policy Distillation via Sign-Consistency Gating and Phased Teacher Sampling',
  'Talking Heads: Understanding Inter-layer Communication in Transformer Language Models',
  'A Stationary (and Therefore Compatible) Representation is All You Need',
  'Demystifying Hidden-State Recurrence: Switchable Latent Reasoning with On-Policy Reinforcement Learning',
  ...seedPapers().map((p) => p.title),
];

function withTopTitle(title: string, count = 18): EditionContent {
  const e = dayEdition(count);
  e.papers['2611.10000']!.title = title;
  return e;
}

/** The words of the subject before the count: what it says the top paper is about. */
function about(subject: string): string {
  return subject.replace(/ \+ \d+ more · .*$| · Daily papers$/, '');
}

/** HTML with its no-break spaces (which keep "▲ 12 upvotes" on one line) read as spaces. */
const spaced = (html: string) => html.replace(/\u00a0|&nbsp;/g, ' ');
const scoreOf = (e: EditionContent) => (p: DigestPaper) => e.papers[p.id]!.score;
const papersOf = (v: ReturnType<typeof digestView>) => [...v.top, ...v.sections.flatMap((s) => s.papers)];

describe('the subject', () => {
  it.each(TITLES)('says what the top paper is about, cut at a word, within 70 characters: %s', (title) => {
    const subject = digestView(withTopTitle(title), [], viewOptions).subject;
    expect(subject.length).toBeLessThanOrEqual(70);
    const lead = about(subject);
    const words = lead.replace(/…$/, '');
    // a real phrase, not a name alone or a stub cut after a couple of words
    expect(words.length, subject).toBeGreaterThanOrEqual(Math.min(30, title.length - 1));
    // cut at a word boundary: what is kept is whole words of the title (or of its part after the name)
    const source = title.replace(/--/g, '–');
    const tail = source.slice(source.indexOf(': ') + 2);
    expect(source.startsWith(words) || tail.toLowerCase().startsWith(words.toLowerCase()), subject).toBe(true);
    const next = source.startsWith(words) ? source[words.length] : tail[words.length];
    expect(next === undefined || /[\s,;:?!–—]/.test(next), `cut mid-word: ${subject}`).toBe(true);
  });

  it('uses the part after the colon when the part before is a mere name', () => {
    expect(about(digestView(withTopTitle(TITLES[0]!), [], viewOptions).subject)).toMatch(/^Learning to Rank Papers with Normalising…$/);
    expect(about(digestView(withTopTitle(TITLES[9]!), [], viewOptions).subject)).toMatch(/^Sign-Gated On-Policy Distillation/);
    // a phrase before the colon says what the paper is about: it is kept
    expect(about(digestView(withTopTitle(TITLES[3]!), [], viewOptions).subject)).toMatch(/^On the Limits of LLM Adaptability/);
    expect(about(digestView(withTopTitle(TITLES[6]!), [], viewOptions).subject)).toMatch(/^Where, What, Why, and Importance/);
  });

  it('keeps a short title whole, and a title without a colon is not cut after a couple of words', () => {
    expect(digestView(withTopTitle('MiniMax Sparse Attention'), [], viewOptions).subject).toBe('MiniMax Sparse Attention + 17 more · Daily papers');
    expect(digestView(withTopTitle(TITLES[1]!), [], viewOptions).subject).toBe('One-connection rule for structural equation… + 17 more · Daily papers');
    expect(digestView(withTopTitle('The Cold-Start Safety Gap in LLM Agents', 1), [], viewOptions).subject).toBe(
      'The Cold-Start Safety Gap in LLM Agents · Daily papers',
    );
  });

  it('counts the papers the email shows, not the day’s', async () => {
    const v = await renderVariant(dayEdition(300), [], viewOptions);
    const shown = [...v.text.matchAll(/^\d+\. /gm)].length;
    expect(shown).toBeLessThan(300);
    expect(v.subject).toMatch(new RegExp(` \\+ ${shown - 1} more · Daily papers$`));
    expect(v.subject.length).toBeLessThanOrEqual(70);
  });

  it('leaves the next papers to the preheader', async () => {
    const v = await renderVariant(dayEdition(18), [], viewOptions);
    expect(v.html).toMatch(/Also: Generalization or Hallucination\?/);
    expect(v.subject).not.toContain('Generalization');
  });
});

/** The blurb of one paper in the web edition (full-length blurbs, every paper). */
function blurbOf(paper: Partial<EditionPaper>, oneSentence = false): string {
  const e = sampleEdition();
  // below "Top today", where a phone gets one sentence
  Object.assign(e.papers['2611.00002']!, { score: 0 }, paper);
  const view = digestView(e, [], viewOptions, oneSentence ? { fullCards: 100, compactEntries: 0, phoneLength: true } : { fullCards: 100, compactEntries: 0 });
  return papersOf(view).find((p) => p.id === '2611.00002')!.blurb;
}

describe('the blurb of a paper with only its abstract', () => {
  const seed = new Map(seedPapers().map((p) => [p.title.split(':')[0]!, p.abstract]));

  it('is the sentence that states the contribution, not the background that opens the abstract', () => {
    expect(blurbOf({ abstract: seed.get('Singular Value Few-shot Adaptation of Vision-Language Models')! }, true)).toMatch(
      /^We present CLIP-SVD, a novel multi-modal and parameter-efficient adaptation technique/,
    );
    expect(blurbOf({ abstract: seed.get('KIND')! }, true)).toBe('We introduce KIND, which performs Knowledge INtegration and Diversion in diffusion models.');
    expect(blurbOf({ abstract: seed.get('Talking Heads')! }, true)).toMatch(/^By analyzing particular mechanism LMs use to accomplish this, we find/);
    expect(blurbOf({ abstract: seed.get('Quantifying Variance in Evaluation Benchmarks')! }, true)).toMatch(/^We define and measure a range of metrics/);
  });

  it('goes on with the sentences after it while they fit, and ends at a sentence within the budget', () => {
    const blurb = blurbOf({ abstract: seed.get('SVFit')! });
    expect(blurb).toMatch(/^We propose SVFit, a novel PEFT approach/);
    expect(blurb.length).toBeLessThanOrEqual(300);
    expect(blurb).toMatch(/[.!?]$/);
  });

  it('is the closing sentences, which state the results, when no sentence states a contribution', () => {
    const abstract =
      'Large language models have changed how software is written. Many teams now rely on them daily. ' +
      'A survey of 2,000 developers measured where the time goes. Reviewing generated code took 40% longer than writing it by hand. ' +
      'Code and data are available at https://github.com/example/survey.';
    expect(blurbOf({ abstract }, true)).toBe('Reviewing generated code took 40% longer than writing it by hand.');
    // at full length, the closing sentences that fit: never the opening one, nor where the code is
    const full = blurbOf({ abstract });
    expect(full).toMatch(/A survey of 2,000 developers measured where the time goes\. Reviewing generated code took 40% longer than writing it by hand\.$/);
    expect(full).not.toMatch(/Large language models have|github/);
  });

  it('drops the boilerplate that leads into the contribution', () => {
    expect(blurbOf({ abstract: 'Background sentence here. In this paper, we present AlphaWidget, a widget for everything. It works.' }, true)).toBe(
      'We present AlphaWidget, a widget for everything.',
    );
    expect(blurbOf({ abstract: seed.get('FairFedMed')! }, true)).toMatch(/^We establish the first experimental benchmark for fairness in medical FL/);
  });

  it('ends at a sentence within 300 characters for every real abstract', () => {
    for (const { abstract } of seedPapers()) {
      for (const one of [true, false]) {
        const blurb = blurbOf({ abstract }, one);
        expect(blurb.length, blurb).toBeLessThanOrEqual(300);
        expect(blurb, blurb).toMatch(/[.!?…]$/);
      }
    }
  });
});

describe('the AI summary', () => {
  it('is labelled as such in the HTML, the plain text and the web edition, and an abstract is not', async () => {
    const e = sampleEdition();
    const v = await renderVariant(e, [], viewOptions);
    expect(v.text).toMatch(/AI summary: Tiny models follow scaling\s+laws too\./);
    expect(v.html).toMatch(/AI summary[^<]*<\/[a-z]+>\s*Tiny models follow scaling laws too\./);
    expect(editionPage(e, viewOptions)).toMatch(/AI summary[^<]*<\/[a-z]+>\s*Tiny models follow scaling laws too\./);
    // the paper without one shows its abstract, unlabelled
    expect(v.text.match(/AI summary/g)!.length).toBe(1);
  });
});

describe('full cards', () => {
  it('go to the papers with the most signal, whatever the size of their section', () => {
    const e = dayEdition(18);
    // alone in its topic (so in "More papers"), but the day's fifth paper by score
    const robotics = Object.values(e.papers).find((p) => p.primaryTopic === 'robotics')!;
    Object.assign(robotics, { score: 93.5, upvotes: 12, comments: 7, githubStars: 57, links: { ...robotics.links, code: 'https://github.com/example/robot' } });
    const v = digestView(e, [], viewOptions);
    const papers = papersOf(v);
    const card = papers.find((p) => p.id === robotics.id)!;
    expect(card.compact).toBe(false);
    const full = papers.filter((p) => !p.compact).map(scoreOf(e));
    const compact = papers.filter((p) => p.compact).map(scoreOf(e));
    expect(compact.length).toBeGreaterThan(0);
    expect(Math.max(...compact)).toBeLessThan(Math.min(...full));
  });
});

describe('dates, authors and the discussion', () => {
  const dated = () => {
    const e = sampleEdition();
    Object.assign(e.papers['2611.00001']!, { publishedAt: '2026-11-20T00:00:00.000Z' });
    Object.assign(e.papers['2611.00002']!, { publishedAt: '2026-11-25T17:59:00.000Z' });
    Object.assign(e.papers['2611.00003']!, { announceType: 'new' });
    Object.assign(e.papers['2611.00004']!, { publishedAt: '2026-11-18T00:00:00.000Z' });
    return e;
  };

  it('says when a paper was published, and whether it is new today or trending from earlier', async () => {
    const v = await renderVariant(dated(), [], viewOptions);
    const entry = (title: string) => v.text.slice(v.text.indexOf(title), v.text.indexOf('\n\n', v.text.indexOf(title)));
    // on Hugging Face's trending list, published six days before the edition
    expect(entry('Laws &')).toContain('trending · published 20 Nov');
    expect(entry('Steering Vectors')).toContain('new today');
    expect(entry('Retrieval Is All')).toContain('new today');
    // an older paper that is not trending anywhere only gets its date
    expect(entry('A Proof About')).toContain('published 18 Nov');
    expect(entry('A Proof About')).not.toContain('trending');
    expect(spaced(v.html)).toContain('trending · published 20 Nov');
  });

  it('carries the publication date from the feed into the frozen edition', async () => {
    const app = await testApp({ config: { ...shippedConfig(), sources: [] } });
    const hf = {
      keys: { arxivId: '2611.40001' },
      title: 'A Paper Trending Six Days Later',
      abstract: 'We propose a method. It works.',
      authors: ['A. Author'],
      categories: ['cs.CL'],
      links: { hf: 'https://huggingface.co/papers/2611.40001', abstract: 'https://arxiv.org/abs/2611.40001' },
      announcedAt: '2026-11-26T00:00:00.000Z',
      publishedAt: '2026-11-20T00:00:00.000Z',
      signal: {
        source: 'hf',
        kind: 'hf-daily' as const,
        observedAt: '2026-11-26T03:00:00.000Z',
        upvotes: 40,
        comments: 3,
        submittedOnDailyAt: '2026-11-26T00:00:00.000Z',
      },
    };
    await storeObservations(app.store, [hf], '2026-11-26T03:00:00.000Z');
    await new Ranker(app.store, app.config).rankMany(['2611.40001'], new Date('2026-11-26T03:00:00Z'));
    const built = await new EditionBuilder(app.store, app.config, manualClock('2026-11-26T06:00:00Z')).build('daily', '2026-11-26');
    if (built.status === 'empty') throw new Error('the edition is empty');
    expect(built.edition.content.papers['2611.40001']!.publishedAt).toBe('2026-11-20T00:00:00.000Z');
    const v = await renderVariant(built.edition.content, [], viewOptions);
    expect(v.text).toContain('trending · published 20 Nov');
  });

  it('counts the authors past the first three instead of a bare "et al."', async () => {
    const e = sampleEdition();
    e.papers['2611.00001']!.authors = Array.from({ length: 50 }, (_, i) => `Author ${i + 1}`);
    const v = await renderVariant(e, [], viewOptions);
    expect(v.text).toContain('Author 1, Author 2, Author 3 +47 authors');
    expect(v.html).toContain('Author 1, Author 2, Author 3 +47 authors');
    expect(v.text).not.toContain('et al.');
    expect(editionPage(e, viewOptions)).toContain('Author 1, Author 2, Author 3 +47 authors');
  });

  it('links the comment count to the paper’s discussion on Hugging Face', async () => {
    const v = await renderVariant(sampleEdition(), [], viewOptions);
    expect(spaced(v.html)).toMatch(/<a href="https:\/\/huggingface\.co\/papers\/2611\.00001#community"[^>]*>4 comments<\/a>/);
    expect(v.text).toContain('Discussion: https://huggingface.co/papers/2611.00001#community');
    expect(editionPage(sampleEdition(), viewOptions)).toMatch(/<a href="https:\/\/huggingface\.co\/papers\/2611\.00001#community"[^>]*>4 comments<\/a>/);
  });
});
