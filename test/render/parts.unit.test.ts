/**
 * The plain-text part offers every link the HTML part does: a reader whose client shows only
 * text (or who prefers it) can reach each paper, its code, its discussion, the feedback page,
 * the preferences and the unsubscribe page.
 */
import { DomUtils, parseDocument } from 'htmlparser2';
import { describe, expect, it } from 'vitest';
import { renderVariant } from '../../src/render/renderVariant.ts';
import { ForYouRenderer } from '../../src/render/forYou.ts';
import { personalize } from '../../src/mail/placeholders.ts';
import { dayEdition, viewOptions } from './fixtures.ts';

const htmlLinks = (html: string) => new Set(DomUtils.findAll((e) => e.name === 'a', parseDocument(html).children).map((a) => a.attribs.href!));
const textLinks = (text: string) => new Set([...text.matchAll(/https?:\/\/[^\s<>]+/g)].map((m) => m[0]));
// the HTML's two feedback buttons are one link in the text, to the page that offers both
const oneFeedbackLink = (url: string) => url.replace(/&vote=(more|less)/, '');

describe('the digest’s two parts', () => {
  it('give the same links, For you block and "More papers" included', async () => {
    const day = dayEdition(30);
    const forYouOn = { ...viewOptions, forYou: true };
    const [block] = await new ForYouRenderer(day, forYouOn).fragments([Object.keys(day.papers).slice(12, 15)]);
    const links = { unsubscribe: 'https://papers.example.org/u', preferences: 'https://papers.example.org/p', feedbackToken: 'f.t.t' };
    const { html, text } = personalize(await renderVariant(day, [], forYouOn), links, block);
    const inHtml = new Set([...htmlLinks(html)].map(oneFeedbackLink));
    const inText = textLinks(text);
    expect(inHtml.size).toBeGreaterThan(50);
    expect(
      [...inHtml].filter((u) => !inText.has(u)),
      'in the HTML only',
    ).toEqual([]);
    expect(
      [...inText].filter((u) => !inHtml.has(u)),
      'in the text only',
    ).toEqual([]);
  });
});
