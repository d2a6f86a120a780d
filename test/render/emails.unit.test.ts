/**
 * Every email, as a reader gets it: golden snapshots of both parts, and the faults readers
 * saw in the first digest (anchors, a 103-character subject, repeated papers, cut blurbs,
 * one-paper sections, clipping, hostile feed text).
 */
import { describe, expect, it } from 'vitest';
import { PLACEHOLDER } from '../../src/mail/placeholders.ts';
import { renderTransactional } from '../../src/render/transactional.ts';
import { sampleTransactional } from '../../src/render/previewSamples.ts';
import { HTML_BUDGET_BYTES, renderVariant } from '../../src/render/renderVariant.ts';
import { dayEdition, sampleEdition, viewOptions } from './fixtures.ts';

const transactional = sampleTransactional(viewOptions.publicUrl);

function weekly() {
  const e = dayEdition(18);
  return { ...e, kind: 'weekly' as const, from: '2026-11-20' };
}

describe('golden snapshots', () => {
  it('daily digest (18 real papers), HTML and text', async () => {
    const v = await renderVariant(dayEdition(18), [], viewOptions);
    await expect(v.html).toMatchFileSnapshot('./__snapshots__/daily.html');
    await expect(v.text).toMatchFileSnapshot('./__snapshots__/daily.txt');
  });

  it('weekly digest, HTML and text', async () => {
    const v = await renderVariant(weekly(), [], viewOptions);
    await expect(v.html).toMatchFileSnapshot('./__snapshots__/weekly.html');
    await expect(v.text).toMatchFileSnapshot('./__snapshots__/weekly.txt');
  });

  for (const [name, msg] of Object.entries(transactional)) {
    it(`${name}, HTML and text`, async () => {
      const m = await renderTransactional(msg, viewOptions);
      await expect(m.html).toMatchFileSnapshot(`./__snapshots__/${name}.html`);
      await expect(m.text).toMatchFileSnapshot(`./__snapshots__/${name}.txt`);
    });
  }
});

describe('the digest', () => {
  it('has a subject of at most 70 characters that says what the top paper is about, and a preheader with the next two', async () => {
    const v = await renderVariant(dayEdition(18), [], viewOptions);
    expect(v.subject).toBe('Benchmarking Group Fairness in Federated… + 17 more · Daily papers');
    expect(v.subject.length).toBeLessThanOrEqual(70);
    expect(v.html).toMatch(/Also: Generalization or Hallucination\?/);
    const long = await renderVariant(sampleEdition(), [], viewOptions);
    expect(long.subject.length).toBeLessThanOrEqual(70);
  });

  it('links every paper to the paper itself, never to an anchor inside the email', async () => {
    const v = await renderVariant(dayEdition(18), [], viewOptions);
    expect(v.html).not.toMatch(/href="#/);
    expect(v.html).toContain('href="https://huggingface.co/papers/2611.10000"');
  });

  it('shows each paper once: Top today is not repeated in the sections', async () => {
    const v = await renderVariant(sampleEdition(), [], viewOptions);
    for (const title of ['Steering Vectors Considered Harmful', 'Retrieval Is All You Need, Again', 'A Proof About Everything']) {
      expect(v.text.split(title).length - 1, title).toBe(1);
    }
  });

  it('orders sections by their best paper and merges one-paper topics into "More papers"', async () => {
    const v = await renderVariant(dayEdition(18), [], viewOptions);
    const headings = [...v.text.matchAll(/^([A-Z][A-Z ,]+)\n=+$/gm)].map((m) => m[1]);
    expect(headings[0]).toBe('TOP TODAY');
    expect(headings.at(-1)).toBe('MORE PAPERS');
    expect(headings).not.toContain('ROBOTICS');
    // the top three (topics 0–2) lead; then sections follow the score of their best paper left
    expect(headings.slice(1, 4)).toEqual(['ALIGNMENT, SAFETY AND VALUES', 'REINFORCEMENT LEARNING', 'EFFICIENT TRAINING AND INFERENCE']);
  });

  it('ends every blurb at a sentence, within about 300 characters', async () => {
    const v = await renderVariant(dayEdition(18), [], viewOptions);
    const blurbs = [...v.html.matchAll(/<p style="margin:0 0 8px">([^<]+)<\/p>/g)].map((m) => m[1]!);
    expect(blurbs.length).toBeGreaterThanOrEqual(8);
    for (const b of blurbs) {
      expect(b.length).toBeLessThanOrEqual(310);
      expect(b, b).toMatch(/[.!?…]$/);
    }
  });

  it('never ends a blurb at an abbreviation: "e.g. Stable Diffusion" is one sentence', async () => {
    const day = dayEdition(18);
    // below Top today, where a phone gets one sentence
    day.papers['2611.10004']!.aiSummary = 'Diffusion models, e.g. Stable Diffusion, adapt to panoramas through their low-rank updates. A second sentence.';
    const v = await renderVariant(day, [], viewOptions);
    const blurbs = [...v.html.matchAll(/<p style="margin:0 0 8px">([^<]+)<\/p>/g)].map((m) => m[1]!);
    for (const b of blurbs) expect(b, b).not.toMatch(/\b(e\.g|i\.e|cf|et al)\.$/);
    expect(v.text).toMatch(/AI summary: Diffusion models, e\.g\. Stable Diffusion, adapt to panoramas\s+through their low-rank updates\.\n/);
    expect(v.html).toContain('study group fairness (i.e., demographics).</p>');
  });

  it('names its signals in words, shows authors as the first three and how many more, and AI keywords as chips', async () => {
    const v = await renderVariant(dayEdition(18), [], viewOptions);
    expect(v.text).toContain('▲ 96 upvotes');
    expect(v.text).toContain('★ 312 stars');
    expect(v.text).toContain('Ada Lovelace, Grace Hopper, Alan Turing +5 authors');
    // HF's AI keywords, the first three, as chips: a tint that Outlook keeps, " · " between them
    expect(v.text).toContain('Keywords: federated learning, fairness, low-rank adaptation');
    expect(v.html).toContain('\u00a0· <span class="pb-g" style="border-radius:4px;background-color:#f0f2f4">\u00a0fairness\u00a0</span>');
    expect(v.html).not.toContain('medical\u00a0imaging');
  });

  it('keeps a 300-paper day under 90 KB of HTML, with its footer, and sends the rest to the archive', async () => {
    const v = await renderVariant(dayEdition(300), [], viewOptions);
    expect(Buffer.byteLength(v.html)).toBeLessThan(HTML_BUDGET_BYTES);
    expect(v.html).toMatch(/\d+ more papers in the archive →/);
    expect(v.html).toContain(PLACEHOLDER.unsubscribeUrl);
    expect(v.text).toMatch(/\d+ more papers in the archive:/);
  });

  it('keeps the per-subscriber placeholders verbatim through MJML and minification, in both parts', async () => {
    const v = await renderVariant(dayEdition(30), [], viewOptions);
    for (const part of [v.html, v.text]) {
      expect(part).toContain(PLACEHOLDER.unsubscribeUrl);
      expect(part).toContain(PLACEHOLDER.preferencesUrl);
    }
    expect(v.html).toContain(`href="${PLACEHOLDER.unsubscribeUrl}"`);
  });

  it('has the footer the law asks for: why, preferences, unsubscribe, view in browser, postal line', async () => {
    const v = await renderVariant(dayEdition(18), ['theory', 'medical'], viewOptions);
    expect(v.text).toContain('You get the daily email for Theory, Medicine and biology.');
    expect(v.html).toContain('1 Example Street, Springfield');
    expect(v.html.match(/View in browser/g)!.length).toBe(2);
  });

  it('is ready for Outlook and phones: MSO conditionals, fixed-width fallback table, viewport, colour schemes, no script or remote resource', async () => {
    const { html } = await renderVariant(dayEdition(18), [], viewOptions);
    expect(html).toContain('<!--[if mso | IE]><table align="center"');
    expect(html).toContain('width="600"');
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html).toContain('<meta name="color-scheme" content="light dark">');
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(/i);
  });
});

describe('the preheader', () => {
  // SpamAssassin's HTML_FONT_LOW_CONTRAST (+0.7 on every email) fired on MJML's hidden
  // preview text, white on the default white; hidden by display and height alone it does not
  const renders = {
    digest: async () => (await renderVariant(dayEdition(18), [], viewOptions)).html,
    confirmation: async () => (await renderTransactional(transactional.confirm, viewOptions)).html,
  };
  for (const [name, render] of Object.entries(renders)) {
    it(`of the ${name} is hidden in every client without a low-contrast colour`, async () => {
      const html = await render();
      // the first text of the body (inside MJML's role="article" wrapper): what inboxes show
      const hidden = /<body[^>]*>\s*(?:<div [^>]*role="article"[^>]*>\s*)?<div style="([^"]*)">([^<]+)<\/div>/.exec(html);
      expect(hidden, 'the preheader is the first text of the body').not.toBeNull();
      const style = Object.fromEntries(
        hidden![1]!
          .split(';')
          .filter(Boolean)
          .map((d) => d.split(':').map((x) => x.trim()) as [string, string]),
      );
      expect(style).toMatchObject({ display: 'none', 'max-height': '0', overflow: 'hidden', 'mso-hide': 'all' });
      expect(
        Object.keys(style).filter((k) => /color|opacity|font-size/.test(k)),
        'no colour, opacity or tiny font: spam filters read those as hidden text',
      ).toEqual([]);
      expect(hidden![2]!.length).toBeGreaterThan(20);
    });
  }
});

describe('hostile feed text', () => {
  const hostile = () => {
    const e = sampleEdition();
    const p = e.papers['2611.00002']!;
    p.title = '<script>alert(1)</script><style>body{display:none}</style><b onmouseover="alert(2)">Bold</b>';
    p.abstract = '<img src="https://tracker.example/pixel.gif" onerror="alert(3)"> <a href="javascript:alert(4)">click</a>. Second sentence.';
    p.authors = ['<svg onload=alert(5)>'];
    p.links = { abstract: 'javascript:alert(6)', pdf: 'data:text/html,<script>alert(7)</script>', code: 'https://github.com/ok/repo' };
    return e;
  };

  for (const render of [async () => (await renderVariant(hostile(), [], viewOptions)).html]) {
    it('never becomes live markup: no element, handler or javascript:/data: link survives', async () => {
      const html = await render();
      expect(html).not.toMatch(/<script|<style>body|<b |<img|<svg|<a href="javascript:alert\(4\)/i);
      expect(html).not.toMatch(/href="(javascript|data):/i);
      expect(html).not.toMatch(/<[^>]*\son(error|load|mouseover)=/i);
      expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(html).toContain('href="https://github.com/ok/repo"');
    });
  }
});
