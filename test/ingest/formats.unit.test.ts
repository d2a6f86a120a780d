import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { SourceKind } from '../../src/domain/paper.ts';
import { FeedError, detectFormat, parseFeed } from '../../src/ingest/formats/index.ts';
import type { ParseResult } from '../../src/ingest/formats/types.ts';
import { paperObservationSchema, type PaperObservation } from '../../src/domain/paper.ts';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/feeds');
const OBSERVED = '2026-09-24T06:00:00.000Z';

function bytes(name: string): Buffer {
  return readFileSync(path.join(fixtures, name));
}

function parse(name: string, kind: SourceKind = 'rss', contentType?: string): ParseResult {
  return parseFeed(bytes(name), { source: 'test-source', kind, observedAt: OBSERVED, ...(contentType ? { contentType } : {}) });
}

function byId(result: ParseResult, arxivId: string): PaperObservation {
  const found = result.observations.find((o) => o.keys.arxivId === arxivId);
  if (!found) throw new Error(`no observation for ${arxivId}`);
  return found;
}

function expectFeedError(run: () => unknown, message: RegExp): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(FeedError);
  expect((caught as Error).message).toMatch(message);
}

const parsable: [string, SourceKind, string][] = [
  ['arxiv-rss-2026-09-24-mixed.xml', 'arxiv-rss', 'arxiv-rss'],
  ['arxiv-rss-2026-08-01-weekend-empty.xml', 'arxiv-rss', 'arxiv-rss'],
  ['arxiv-api-2026-search.xml', 'arxiv-api', 'arxiv-api'],
  ['arxiv-api-2016-legacy.xml', 'arxiv-api', 'arxiv-api'],
  ['hf-daily-papers-2026-06-12.json', 'hf-daily', 'hf-daily'],
  ['biorxiv-api-details-2024.json', 'biorxiv-api', 'biorxiv-api'],
  ['biorxiv-rss1.0-neuroscience-cdata.xml', 'rss', 'rdf'],
  ['atom-research-blog-double-escaped.xml', 'rss', 'atom'],
  ['rss2-research-blog.xml', 'rss', 'rss'],
  ['rss2-iso8859-declared-utf8.xml', 'rss', 'rss'],
  ['rss2-latin1-real.xml', 'rss', 'rss'],
  ['rss2-utf16le-bom.xml', 'rss', 'rss'],
  ['atom-shift_jis.xml', 'rss', 'atom'],
  ['rss2-truncated.xml', 'rss', 'rss'],
];

describe('every format parses into the same observation shape', () => {
  it.each(parsable)('%s (kind %s) → %s', (name, kind, format) => {
    const result = parse(name, kind);
    expect(result.format).toBe(format);
    for (const o of result.observations) {
      // Already validated by the parser; validating again must be a no-op.
      expect(paperObservationSchema.parse(o)).toEqual(o);
      expect(o.title.length).toBeGreaterThan(0);
      expect(o.keys.arxivId ?? o.keys.doi ?? o.keys.url).toBeTruthy();
      expect(o.signal.source).toBe('test-source');
      expect(o.signal.observedAt).toBe(OBSERVED);
      for (const link of Object.values(o.links)) expect(link).toMatch(/^https?:\/\//);
      for (const key of Object.keys(o) as (keyof PaperObservation)[]) expect(o[key]).not.toBeUndefined();
    }
    expect(result.skipped).toBeGreaterThanOrEqual(0);
  });

  it('the same body parses to the same result every time (re-ingest changes nothing)', () => {
    for (const [name, kind] of parsable) expect(parse(name, kind)).toEqual(parse(name, kind));
  });
});

describe('arXiv RSS (2024 format)', () => {
  const result = parse('arxiv-rss-2026-09-24-mixed.xml', 'arxiv-rss');

  it('keeps every item, keyed by the arXiv id without its version', () => {
    expect(result.observations.map((o) => o.keys.arxivId)).toEqual(['2609.18342', '2609.18401', '2205.06398', '2009.13987', '2511.04417']);
    expect(result.skipped).toBe(0);
    expect(result.problems).toEqual([]);
    expect(result.title).toBe('cs.LG, stat.ML updates on arXiv.org');
  });

  it('records the announce type of each item', () => {
    expect(result.observations.map((o) => o.signal.announceType)).toEqual(['new', 'new', 'cross', 'replace', 'replace-cross']);
    expect(result.observations.every((o) => o.signal.kind === 'arxiv-rss')).toBe(true);
  });

  it('splits the comma-joined dc:creator, including a final "and" and a trailing comma', () => {
    expect(byId(result, '2609.18342').authors).toEqual(['Maya R. Okafor', 'Jonas Lindqvist', 'Priya Natarajan', 'Tomás Ferreira']);
    expect(byId(result, '2205.06398').authors).toEqual(['Pritam Dey', 'Zhengwu Zhang', 'David B. Dunson']);
    expect(byId(result, '2511.04417').authors).toEqual(['Ana Kovač', 'Wen-Li Zhou']);
    expect(byId(result, '2609.18401').authors).toEqual(['Hélène Dubois']);
  });

  it('takes every category, and the first as primary only for new and replace items', () => {
    expect(byId(result, '2609.18401').categories).toEqual(['stat.ML', 'cs.LG', 'stat.ME']);
    expect(byId(result, '2609.18401').primaryCategory).toBe('stat.ML');
    expect(byId(result, '2009.13987').primaryCategory).toBe('cs.LG');
    expect(byId(result, '2205.06398').categories).toEqual(['stat.ME', 'stat.AP', 'stat.ML']);
    expect(byId(result, '2205.06398').primaryCategory).toBeUndefined();
    expect(byId(result, '2511.04417').primaryCategory).toBeUndefined();
  });

  it('takes the abstract after "Abstract:", keeps LaTeX with < as written and decodes &amp; once', () => {
    const o = byId(result, '2609.18342');
    expect(o.title).toBe('Sparse Mixtures of Adapters for Continual Fine-Tuning: When Is $p<0.05$ Enough?');
    expect(o.abstract.startsWith('We study continual fine-tuning')).toBe(true);
    expect(o.abstract).toContain('per token & per layer');
    expect(o.abstract).toContain('$\\tau<1$');
    expect(o.abstract).toContain('$O(\\sqrt{T})$');
    expect(o.abstract).toContain('at $p<0.05$ are unreliable');
    expect(o.abstract).not.toMatch(/\n|Announce Type|arXiv:2609/);
  });

  it('builds abs/pdf links without version, and reads DOI and journal reference', () => {
    const cross = byId(result, '2205.06398');
    expect(cross.links).toEqual({
      abstract: 'https://arxiv.org/abs/2205.06398',
      pdf: 'https://arxiv.org/pdf/2205.06398',
      doi: 'https://doi.org/10.1093/bioinformatics/btac431',
    });
    expect(cross.doi).toBe('10.1093/bioinformatics/btac431');
    expect(cross.keys.doi).toBe('10.1093/bioinformatics/btac431');
    expect(byId(result, '2009.13987').journalRef).toBe('Discrete Comput. Geom. 71 (2026) 1-34');
  });

  it('announces at 20:00 US Eastern the evening before the pubDate (Thu 00:00 EDT → Wed 20:00 EDT)', () => {
    for (const o of result.observations) expect(o.announcedAt).toBe('2026-09-24T00:00:00.000Z');
  });

  it('reads the Atom twin of the feed (rss.arxiv.org/atom/…) with the same rules', () => {
    const atom = `<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <id>http://rss.arxiv.org/atom/cs.LG</id>
  <title>cs.LG updates on arXiv.org</title>
  <updated>2026-09-24T04:31:12.000Z</updated>
  <link href="https://rss.arxiv.org/atom/cs.LG" rel="self" type="application/atom+xml"/>
  <entry>
    <id>oai:arXiv.org:2609.18342v1</id>
    <title>Sparse Mixtures of Adapters</title>
    <updated>2026-09-24T04:00:00.000Z</updated>
    <link href="https://arxiv.org/abs/2609.18342" rel="alternate" type="text/html"/>
    <summary>arXiv:2609.18342v1 Announce Type: cross 
Abstract: Routing per token &amp; per layer with $\\tau&lt;1$.</summary>
    <category term="cs.CL" scheme="http://arxiv.org/schemas/atom"/>
    <published>2026-09-24T00:00:00-04:00</published>
    <arxiv:announce_type>cross</arxiv:announce_type>
    <dc:creator>Maya R. Okafor, Jonas Lindqvist</dc:creator>
  </entry>
</feed>`;
    const result = parseFeed(Buffer.from(atom), { source: 's', kind: 'arxiv-rss', observedAt: OBSERVED });
    expect(result.format).toBe('arxiv-rss');
    const [o] = result.observations;
    expect(o).toMatchObject({
      keys: { arxivId: '2609.18342' },
      title: 'Sparse Mixtures of Adapters',
      abstract: 'Routing per token & per layer with $\\tau<1$.',
      authors: ['Maya R. Okafor', 'Jonas Lindqvist'],
      categories: ['cs.CL'],
      announcedAt: '2026-09-24T00:00:00.000Z',
      signal: { announceType: 'cross' },
    });
    expect(o!.primaryCategory).toBeUndefined();
  });

  it('an empty weekend feed is zero papers, no problem and no error', () => {
    const empty = parse('arxiv-rss-2026-08-01-weekend-empty.xml', 'arxiv-rss');
    expect(empty.format).toBe('arxiv-rss');
    expect(empty.observations).toEqual([]);
    expect(empty.skipped).toBe(0);
    expect(empty.problems).toEqual([]);
  });
});

describe('arXiv API (Atom)', () => {
  it('reads the 2025+ serializer', () => {
    const result = parse('arxiv-api-2026-search.xml', 'arxiv-api');
    expect(result.observations).toHaveLength(3);
    expect(result.problems).toEqual([]);
    const o = byId(result, '2604.05127');
    expect(o.title).toBe('Conformal Risk Control for Ranking with Partial Feedback');
    expect(o.abstract).toBe(
      'We extend conformal risk control to rankings observed through clicks. The loss is monotone in a threshold $\\lambda$ and we bound its expectation by $\\alpha$ whenever $n \\geq 1/\\alpha - 1$.',
    );
    expect(o.authors).toEqual(['Léa Fontaine', 'Samuel K. Osei']);
    expect(o.categories).toEqual(['stat.ML', 'cs.IR']);
    expect(o.primaryCategory).toBe('stat.ML');
    expect(o.links).toEqual({
      abstract: 'https://arxiv.org/abs/2604.05127',
      pdf: 'https://arxiv.org/pdf/2604.05127',
      doi: 'https://doi.org/10.1214/26-AOS2511',
    });
    expect(o.doi).toBe('10.1214/26-AOS2511');
    expect(o.journalRef).toBe('Ann. Statist. 54 (2026) 880-905');
    expect(o.publishedAt).toBe('2026-04-06T15:30:00.000Z');
    expect(o.signal.announceType).toBeUndefined();
    expect(o.signal.kind).toBe('arxiv-api');
  });

  it('announces each submission at the next arXiv announcement (14:00 ET deadline, weekends)', () => {
    const result = parse('arxiv-api-2026-search.xml', 'arxiv-api');
    // Monday 11:30 EDT → Monday 20:00 EDT
    expect(byId(result, '2604.05127').announcedAt).toBe('2026-04-07T00:00:00.000Z');
    // Thursday 13:55 EDT → Thursday 20:00 EDT
    expect(byId(result, '2604.06611').announcedAt).toBe('2026-04-10T00:00:00.000Z');
    // Saturday 05:00 EDT → Monday 20:00 EDT
    expect(byId(result, '2604.07002').announcedAt).toBe('2026-04-14T00:00:00.000Z');
  });

  it('reads the legacy serializer (inline namespaces, http links, dx.doi.org, hard-wrapped text)', () => {
    const result = parse('arxiv-api-2016-legacy.xml', 'arxiv-api');
    expect(result.observations.map((o) => o.keys.arxivId)).toEqual(['1410.3831', 'cond-mat/0512183']);
    const first = byId(result, '1410.3831');
    expect(first.title).toBe('An exact mapping between the Variational Renormalization Group and Deep Learning');
    expect(first.abstract.startsWith('Deep learning is a broad set of techniques that uses multiple layers of representation')).toBe(true);
    expect(first.primaryCategory).toBe('stat.ML');
    expect(first.authors).toEqual(['Pankaj Mehta', 'David J. Schwab']);
    // Tuesday 15:53 EDT, after the deadline → Wednesday 20:00 EDT
    expect(first.announcedAt).toBe('2014-10-16T00:00:00.000Z');
    const old = byId(result, 'cond-mat/0512183');
    expect(old.links).toEqual({
      abstract: 'https://arxiv.org/abs/cond-mat/0512183',
      pdf: 'https://arxiv.org/pdf/cond-mat/0512183',
      doi: 'https://doi.org/10.1103/PhysRevE.73.041901',
    });
    expect(old.abstract).toContain('(p < 0.01 for the fitted model)');
    expect(old.journalRef).toBe('Phys. Rev. E 73, 041901 (2006)');
    // Thursday 17:15 EST → Sunday 20:00 EST
    expect(old.announcedAt).toBe('2005-12-12T01:00:00.000Z');
  });

  it('the API error answer is a FeedError, never a paper', () => {
    expectFeedError(
      () => parse('arxiv-api-error-bad-id.xml', 'arxiv-api'),
      /^the arXiv API answered with an error: incorrect id format for 2604\.xyz; check the query in the source URL$/,
    );
    expectFeedError(() => parse('arxiv-api-error-bad-id.xml', 'rss'), /arXiv API answered with an error/);
  });
});

describe('Hugging Face daily papers', () => {
  const result = parse('hf-daily-papers-2026-06-12.json', 'hf-daily');

  it('reads every paper with a title and counts the one without', () => {
    expect(result.observations.map((o) => o.keys.arxivId)).toEqual(['2606.04122', '2606.03310', '2606.02001']);
    expect(result.skipped).toBe(1);
    expect(result.problems).toEqual(['1 item skipped: no title']);
  });

  it('maps every signal and link of a complete item', () => {
    const o = byId(result, '2606.04122');
    expect(o.title).toBe('Token-Level Speculative Decoding with Learned Draft Trees');
    expect(o.abstract).toBe(
      'Speculative decoding drafts several tokens with a small model and verifies them with the large one. We learn the shape of the draft tree per prompt and gain 1.4x over fixed trees.',
    );
    expect(o.authors).toEqual(['Yuki Tanaka', 'Chiara Bellini', 'Omar Haddad']);
    expect(o.links).toEqual({
      hf: 'https://huggingface.co/papers/2606.04122',
      abstract: 'https://arxiv.org/abs/2606.04122',
      pdf: 'https://arxiv.org/pdf/2606.04122',
      code: 'https://github.com/example-lab/draft-trees',
      project: 'https://example-lab.github.io/draft-trees/',
    });
    expect(o.signal).toEqual({
      source: 'test-source',
      kind: 'hf-daily',
      observedAt: OBSERVED,
      upvotes: 118,
      comments: 4,
      githubStars: 342,
      aiSummary: 'Learned draft trees make speculative decoding faster than fixed trees.',
      aiKeywords: ['speculative decoding', 'draft tree', 'LLM inference'],
      organization: 'Example Lab',
      submittedOnDailyAt: '2026-06-12T00:00:00.000Z',
    });
    expect(o.announcedAt).toBe('2026-06-12T00:00:00.000Z');
    expect(o.publishedAt).toBe('2026-06-10T00:00:00.000Z');
  });

  it('absent optional keys are simply absent', () => {
    const o = byId(result, '2606.03310');
    expect(o.links).toEqual({
      hf: 'https://huggingface.co/papers/2606.03310',
      abstract: 'https://arxiv.org/abs/2606.03310',
      pdf: 'https://arxiv.org/pdf/2606.03310',
    });
    expect(o.signal).toEqual({
      source: 'test-source',
      kind: 'hf-daily',
      observedAt: OBSERVED,
      upvotes: 0,
      comments: 0,
      submittedOnDailyAt: '2026-06-12T00:00:00.000Z',
    });
  });

  it('values of the wrong type and non-http links are ignored, not a crash', () => {
    const o = byId(result, '2606.02001');
    expect(o.authors).toEqual(['Lukas Brandt']);
    expect(o.links.code).toBeUndefined();
    expect(o.links.project).toBeUndefined();
    expect(o.signal.upvotes).toBeUndefined();
    expect(o.signal.comments).toBeUndefined();
    expect(o.signal.githubStars).toBeUndefined();
    expect(o.signal.aiKeywords).toBeUndefined();
    // paper.organization is null; the top-level one has only a name
    expect(o.signal.organization).toBe('tum');
  });
});

describe('bioRxiv', () => {
  it('reads the details API (all strings, "Last, F.; …" authors, medRxiv links, NA)', () => {
    const result = parse('biorxiv-api-details-2024.json', 'biorxiv-api');
    expect(result.observations).toHaveLength(2);
    expect(result.skipped).toBe(1);
    expect(result.problems).toEqual(['1 item skipped: no title']);
    const [axolotl, flu] = result.observations as [PaperObservation, PaperObservation];
    expect(axolotl.keys).toEqual({ doi: '10.1101/2024.03.01.582911' });
    expect(axolotl.authors).toEqual(['Moreno, L.', 'Achterberg, T. J.', 'Van der Berg, K.', 'Nakamura-Li, S.']);
    expect(axolotl.categories).toEqual(['developmental biology']);
    expect(axolotl.abstract).toBe(
      'Axolotls regrow limbs. We profile 210,000 cells across five regeneration stages and find a transient progenitor state (p < 0.001).',
    );
    expect(axolotl.links).toEqual({
      abstract: 'https://www.biorxiv.org/content/10.1101/2024.03.01.582911v2',
      pdf: 'https://www.biorxiv.org/content/10.1101/2024.03.01.582911v2.full.pdf',
      doi: 'https://doi.org/10.1101/2024.03.01.582911',
    });
    expect(axolotl.journalRef).toBe('doi:10.1038/s41586-024-01234-5');
    expect(axolotl.publishedAt).toBe('2024-03-01T00:00:00.000Z');
    expect(axolotl.announcedAt).toBe('2024-03-01T00:00:00.000Z');
    expect(flu.links.abstract).toBe('https://www.medrxiv.org/content/10.1101/2024.03.02.24303612v1');
    expect(flu.journalRef).toBeUndefined();
  });

  it('reads bioRxiv RSS 1.0: CDATA wrapped in whitespace is trimmed, DOI from dc:identifier', () => {
    const result = parse('biorxiv-rss1.0-neuroscience-cdata.xml');
    expect(result.format).toBe('rdf');
    expect(result.problems).toEqual([]);
    const [first, second] = result.observations as [PaperObservation, PaperObservation];
    expect(first.title).toBe('Place cells remap when reward moves & landmarks stay: evidence from CA1 imaging');
    expect(first.keys).toEqual({
      doi: '10.1101/2024.02.27.582311',
      // bioRxiv's `?rss=1` only says where the click came from: the link is the paper's without it
      url: 'http://biorxiv.org/cgi/content/short/2024.02.27.582311v1',
    });
    expect(first.authors).toEqual(['Abara, K.', 'Lindgren, M.-E.', "O'Neill, D. P."]);
    expect(first.abstract).toBe(
      'We imaged CA1 in mice running a virtual track. Moving the reward while keeping landmarks fixed remapped 38% of place cells (n = 12 mice).',
    );
    expect(first.announcedAt).toBe('2024-02-29T00:00:00.000Z');
    expect(first.links.doi).toBe('https://doi.org/10.1101/2024.02.27.582311');
    expect(second.title).toBe('Dopamine ramps encode distance to goal');
    expect(second.authors).toEqual(['Ferreira, J.']);
  });
});

describe('generic Atom and RSS', () => {
  it('Atom: a double-escaped html title decodes to "&", relative links resolve against xml:base', () => {
    const result = parse('atom-research-blog-double-escaped.xml');
    expect(result.format).toBe('atom');
    expect(result.title).toBe('Learning & Inference Lab');
    const [ablations, qa, reading, pnas] = result.observations as PaperObservation[];
    expect(ablations!.title).toBe('Why our ablations lied & what we changed');
    expect(ablations!.keys.url).toBe('https://lab.example.org/2026/03/02/ablations/');
    expect(ablations!.abstract).toBe('Three seeds are not enough. We now run ten & report intervals.');
    expect(ablations!.abstract).not.toContain('track()');
    expect(ablations!.categories).toEqual(['methods', 'reproducibility']);
    expect(ablations!.authors).toEqual(['Ingrid Solberg']);
    expect(ablations!.announcedAt).toBe('2026-03-02T08:15:00.000Z');
    // type="text": entities decoded once all the same; an arXiv link gives the arXiv id
    expect(qa!.title).toBe('Q&A: our NeurIPS paper');
    expect(qa!.keys.arxivId).toBe('2602.11873');
    expect(qa!.links.pdf).toBe('https://arxiv.org/pdf/2602.11873');
    expect(qa!.abstract).toBe('Answers to the questions we got about $\\mathbb{E}[X] < \\infty$ after the talk.');
    expect(qa!.authors).toEqual(['Ingrid Solberg', 'Tariq Aziz']);
    // type="xhtml"
    expect(reading!.title).toBe('Reading group: state-space models');
    expect(reading!.keys.url).toBe('https://lab.example.org/2026/02/10/reading-group/');
    expect(reading!.abstract).toBe('We read three papers. Slides are here.');
    // a doi.org link gives the DOI; an RFC 822 date in <published> is read leniently
    expect(pnas!.keys.doi).toBe('10.1073/pnas.2600001123');
    expect(pnas!.abstract).toBe('Short note & link.');
    expect(pnas!.announcedAt).toBe('2026-01-19T08:00:00.000Z');
    // the entry with no link and a tag: id is skipped and counted
    expect(result.observations).toHaveLength(4);
    expect(result.skipped).toBe(1);
    expect(result.problems).toEqual(['1 item skipped: no link or id']);
  });

  it('RSS 2.0: skips and counts items without title or link; reads authors, dates, content fallback', () => {
    const result = parse('rss2-research-blog.xml');
    expect(result.format).toBe('rss');
    expect(result.title).toBe('The Gradient Notebook – ML research, explained');
    expect(result.observations.map((o) => o.title)).toEqual([
      'Paper of the week: learned draft trees for speculative decoding',
      'Notes on scaling laws for retrieval',
      'Guid is the permalink',
      'A journal paper',
    ]);
    expect(result.skipped).toBe(2);
    expect(result.problems).toEqual(['1 item skipped: no title', '1 item skipped: no link or id']);
    const [week, notes, guid, journal] = result.observations as PaperObservation[];
    expect(week!.keys.arxivId).toBe('2606.04122');
    expect(week!.abstract).toBe('Draft trees that adapt per prompt — a 1.4× speed-up.');
    expect(week!.authors).toEqual(['Nadia Petrova']);
    expect(week!.categories).toEqual(['Inference', 'LLMs']);
    expect(week!.signal.kind).toBe('rss');
    expect(notes!.keys.url).toBe('https://notebook.example.com/2026/02/27/retrieval-scaling/');
    expect(notes!.authors).toEqual(['Nadia Petrova']);
    expect(notes!.abstract).toBe('Setup We fit a power law to recall@10 against index size.');
    expect(notes!.announcedAt).toBe('2026-02-27T15:00:00.000Z');
    expect(guid!.keys.url).toBe('https://notebook.example.com/2026/02/13/guid-permalink/');
    expect(guid!.announcedAt).toBe('2026-02-13T08:00:00.000Z');
    expect(journal!.keys.doi).toBe('10.1162/tacl_a_00642');
    expect(journal!.announcedAt).toBeUndefined();
  });
});

describe('encodings', () => {
  it('a feed declaring iso-8859-1 whose bytes are UTF-8 reads as UTF-8, with a problem note', () => {
    const result = parse('rss2-iso8859-declared-utf8.xml');
    expect(result.problems).toContain('declared iso-8859-1 but the bytes are UTF-8; read as UTF-8');
    expect(result.title).toBe('Le carnet d’Élodie');
    const [first, second] = result.observations as [PaperObservation, PaperObservation];
    expect(first.title).toBe('Café scientifique : l’apprentissage auto-supervisé');
    expect(first.abstract).toBe('Résumé de la séance : « pré-entraîner » sans étiquettes, c’est possible.');
    expect(first.authors).toEqual(['Élodie Marchand']);
    expect(second.title).toBe('Über die Stabilität von Adam');
    expect(JSON.stringify(result.observations)).not.toMatch(/Ã|â€/);
  });

  it('a real ISO-8859-1 feed reads as declared, without a problem', () => {
    const result = parse('rss2-latin1-real.xml');
    expect(result.problems).toEqual([]);
    expect(result.observations[0]!.title).toBe('Résumé de thèse : réseaux de neurones et équations différentielles');
  });

  it('UTF-16LE with a BOM', () => {
    const result = parse('rss2-utf16le-bom.xml');
    expect(result.problems).toEqual([]);
    expect(result.title).toBe('Δ-notes: physics-informed ML');
    expect(result.observations[0]!.title).toBe('Neural operators for Navier–Stokes: a Δt study');
    expect(result.observations[0]!.abstract).toBe('Ακρίβεια vs. βήμα χρόνου.');
  });

  it('Shift_JIS declared in the XML declaration', () => {
    const result = parse('atom-shift_jis.xml');
    expect(result.problems).toEqual([]);
    expect(result.title).toBe('機械学習研究室ブログ');
    const [entry] = result.observations as [PaperObservation];
    expect(entry.title).toBe('拡散モデルの蒸留について');
    expect(entry.authors).toEqual(['山田 花子']);
    expect(entry.abstract).toBe('少ないステップで高品質な画像を生成する手法を紹介します。');
  });

  it('the XML declaration wins over the HTTP charset', () => {
    const result = parse('rss2-latin1-real.xml', 'rss', 'application/rss+xml; charset=utf-8');
    expect(result.observations[0]!.title).toContain('Résumé de thèse');
  });
});

describe('bad input', () => {
  it('a truncated document keeps the items that closed and reports the cut', () => {
    const result = parse('rss2-truncated.xml');
    expect(result.observations.map((o) => o.title)).toEqual(['Front-door adjustment, worked through', 'Instrumental variables in 500 words']);
    expect(result.skipped).toBe(1);
    expect(result.problems).toEqual(['the document is truncated (ends inside <description>); 2 complete items kept']);
  });

  it('an HTML page is a FeedError that says so and names the page', () => {
    expectFeedError(
      () => parse('not-a-feed.html', 'rss', 'text/html; charset=utf-8'),
      /^not a feed: the server sent an HTML page \("Sign in · Lab Wiki"\); check the URL$/,
    );
  });

  it('empty, non-XML, unknown XML and unknown JSON bodies are FeedErrors naming what came', () => {
    const ctx = { source: 's', kind: 'rss' as const, observedAt: OBSERVED };
    expectFeedError(() => parseFeed(Buffer.alloc(0), ctx), /^not a feed: the body is empty$/);
    expectFeedError(() => parseFeed(Buffer.from('  \n'), { ...ctx, contentType: 'text/plain' }), /empty; content type text\/plain/);
    expectFeedError(() => parseFeed(Buffer.from('Service Unavailable'), ctx), /neither XML nor JSON \(it starts with "Service Unavailable"\)/);
    expectFeedError(() => parseFeed(Buffer.from('<opml version="2.0"><body/></opml>'), ctx), /root element is <opml>/);
    expectFeedError(() => parseFeed(Buffer.from('{"error":"rate limited"}'), ctx), /JSON that is neither .* \(keys: error\)/);
    expectFeedError(() => parseFeed(Buffer.from('[{"paper": {"id": "2606.0'), ctx), /looks like JSON but does not parse/);
    expectFeedError(() => parseFeed(Buffer.from('<!-- only a comment -->'), ctx), /no XML element/);
  });
});

describe('configured kind versus detected format', () => {
  it('kind rss lets detection pick the arXiv, HF and bioRxiv parsers', () => {
    expect(parse('arxiv-rss-2026-09-24-mixed.xml', 'rss').format).toBe('arxiv-rss');
    expect(parse('arxiv-api-2026-search.xml', 'rss').format).toBe('arxiv-api');
    expect(parse('hf-daily-papers-2026-06-12.json', 'rss').format).toBe('hf-daily');
    expect(parse('biorxiv-api-details-2024.json', 'rss').format).toBe('biorxiv-api');
    expect(parse('arxiv-rss-2026-09-24-mixed.xml', 'rss').observations[0]!.signal.announceType).toBe('new');
  });

  it('arxiv-rss accepts a plain feed with a problem note', () => {
    const result = parse('rss2-research-blog.xml', 'arxiv-rss');
    expect(result.format).toBe('rss');
    expect(result.problems[0]).toMatch(/expected an arXiv RSS\/Atom announcement feed but got an RSS feed/);
  });

  it('a mismatch is a FeedError naming what was expected and what came', () => {
    expectFeedError(
      () => parse('arxiv-rss-2026-09-24-mixed.xml', 'arxiv-api'),
      /configured as arxiv-api and expects an arXiv API answer, but the body is an arXiv RSS\/Atom announcement feed/,
    );
    expectFeedError(() => parse('rss2-research-blog.xml', 'hf-daily'), /expects Hugging Face daily papers JSON, but the body is an RSS feed/);
    expectFeedError(() => parse('hf-daily-papers-2026-06-12.json', 'biorxiv-api'), /expects a bioRxiv\/medRxiv API answer/);
    expectFeedError(() => parse('arxiv-api-2026-search.xml', 'arxiv-rss'), /but the body is an arXiv API answer/);
  });

  it('detectFormat works on text alone', () => {
    const text = (name: string) => bytes(name).toString('utf8');
    expect(detectFormat(text('arxiv-rss-2026-08-01-weekend-empty.xml'))).toBe('arxiv-rss');
    expect(detectFormat(text('arxiv-api-2016-legacy.xml'))).toBe('arxiv-api');
    expect(detectFormat(text('arxiv-api-error-bad-id.xml'))).toBe('arxiv-api');
    expect(detectFormat(text('biorxiv-rss1.0-neuroscience-cdata.xml'))).toBe('rdf');
    expect(detectFormat(text('atom-research-blog-double-escaped.xml'))).toBe('atom');
    expect(detectFormat('[]')).toBe('hf-daily');
    expect(() => detectFormat(text('not-a-feed.html'))).toThrow(FeedError);
  });

  it('a gzip body that was never decompressed is decompressed, with a note', async () => {
    const { gzipSync } = await import('node:zlib');
    const result = parseFeed(gzipSync(bytes('rss2-research-blog.xml')), { source: 's', kind: 'rss', observedAt: OBSERVED });
    expect(result.observations).toHaveLength(4);
    expect(result.problems[0]).toMatch(/gzip-compressed/);
  });
});
