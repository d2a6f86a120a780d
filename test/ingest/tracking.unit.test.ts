/**
 * Feeds tag their links for analytics (`utm_*`, `fbclid`, Mailchimp's `mc_cid`…): those
 * parameters are stripped once, at ingest, so that no email, page or feed of ours passes
 * them on. Through real feed documents, written inline.
 */
import { describe, expect, it } from 'vitest';
import { parseFeed } from '../../src/ingest/formats/index.ts';
import type { SourceKind } from '../../src/domain/paper.ts';

const parse = (body: string, kind: SourceKind = 'rss') => parseFeed(Buffer.from(body), { source: 'blog', kind, observedAt: '2026-11-26T06:00:00.000Z' });

const RSS = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
  <title>Lab blog</title>
  <link>https://lab.example.org/</link>
  <description>Posts about our papers</description>
  <item>
    <title>Our new paper on sparse attention</title>
    <link>https://lab.example.org/posts/sparse-attention?utm_source=rss&amp;utm_medium=feed&amp;utm_campaign=weekly&amp;page=2</link>
    <guid isPermaLink="false">post-41</guid>
    <description>We release the code and the paper.</description>
    <dc:creator>Ada Lovelace</dc:creator>
    <pubDate>Thu, 26 Nov 2026 08:00:00 +0000</pubDate>
  </item>
  <item>
    <title>A post shared from social media</title>
    <link>https://lab.example.org/posts/shared?fbclid=IwAR0abc&amp;gclid=Cj0KCQ&amp;mc_cid=4f2a&amp;mc_eid=9d1b&amp;ref_src=twsrc%5Etfw</link>
    <description>Second post.</description>
    <pubDate>Thu, 26 Nov 2026 09:00:00 +0000</pubDate>
  </item>
</channel>
</rss>`;

const ATOM = `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Research notes</title>
  <id>https://notes.example.org/</id>
  <updated>2026-11-26T08:00:00Z</updated>
  <entry>
    <title>Notes on a paper</title>
    <id>https://notes.example.org/2026/11/notes</id>
    <link rel="alternate" href="https://notes.example.org/2026/11/notes?utm_source=atom&amp;utm_content=link#results"/>
    <link rel="related" href="https://doi.org/10.1000/xyz123?utm_medium=email"/>
    <published>2026-11-25T08:00:00Z</published>
    <updated>2026-11-26T08:00:00Z</updated>
    <summary>Short notes.</summary>
  </entry>
</feed>`;

const HF = JSON.stringify([
  {
    paper: {
      id: '2611.20001',
      title: 'Paper with tagged links',
      summary: 'An abstract.',
      authors: [{ name: 'Ada Lovelace' }],
      githubRepo: 'https://github.com/example/repo?utm_source=hf&utm_medium=paper',
      projectPage: 'https://example.github.io/project/?ref=hf&igshid=abc&lang=en',
      upvotes: 3,
    },
    numComments: 0,
  },
]);

describe('tracking parameters in feed links', () => {
  it('are stripped from RSS item links, keeping the parameters the page needs', () => {
    const { observations } = parse(RSS);
    expect(observations.map((o) => o.links.abstract)).toEqual([
      'https://lab.example.org/posts/sparse-attention?page=2',
      'https://lab.example.org/posts/shared',
    ]);
    // the paper's identity is the clean link too: the same post tagged differently is one paper
    expect(observations.map((o) => o.keys.url)).toEqual(['https://lab.example.org/posts/sparse-attention?page=2', 'https://lab.example.org/posts/shared']);
  });

  it('are stripped from Atom links and DOI links, and the fragment is kept', () => {
    const [entry] = parse(ATOM).observations;
    expect(entry!.links.abstract).toBe('https://notes.example.org/2026/11/notes#results');
    expect(entry!.links.doi).toBe('https://doi.org/10.1000/xyz123');
  });

  it('are stripped from Hugging Face code and project links', () => {
    const [paper] = parse(HF, 'hf-daily').observations;
    expect(paper!.links.code).toBe('https://github.com/example/repo');
    expect(paper!.links.project).toBe('https://example.github.io/project/?lang=en');
  });
});
