/**
 * Readers choose which sections come first: pinned topics lead in the reader's order (HTML and
 * plain text alike), the rest follow by their best paper; readers with the same topics and the
 * same order share one variant, and readers with no order get exactly the email they got before.
 */
import { describe, expect, it } from 'vitest';
import { fanOutEdition } from '../../src/send/fanout.ts';
import { renderVariant, variantFirst, variantKey } from '../../src/render/renderVariant.ts';
import { digestView } from '../../templates/email/view.ts';
import { storageTargets, testApp } from '../harness/index.ts';
import { dayEdition, viewOptions } from './fixtures.ts';

/** Section headings in the order a reader meets them: the HTML's h2s, the text's underlined titles. */
function htmlHeadings(html: string): string[] {
  return [...html.matchAll(/<h2[^>]*>([^<]*)<\/h2>/g)].map((m) => m[1]!);
}
function textHeadings(text: string): string[] {
  const lines = text.split('\n');
  return lines.filter((l, i) => l.trim() !== '' && /^=+$/.test(lines[i + 1] ?? '')).map((l) => l);
}

describe('sections in the reader’s order', () => {
  it('puts the pinned sections first, in the reader’s order, then the others by their best paper; Top today and More papers as before', () => {
    const day = dayEdition(18);
    const byScore = digestView(day, [], viewOptions).sections.map((s) => s.topic);
    expect(byScore).toEqual(['alignment-safety', 'reinforcement-learning', 'efficiency', 'theory', 'more']);
    const pinned = digestView(day, [], viewOptions, undefined, ['theory', 'efficiency']);
    expect(pinned.sections.map((s) => s.topic)).toEqual(['theory', 'efficiency', 'alignment-safety', 'reinforcement-learning', 'more']);
    expect(pinned.top.map((p) => p.id)).toEqual(digestView(day, [], viewOptions).top.map((p) => p.id));
  });

  it('shows the same order in the HTML and the plain text', async () => {
    const v = await renderVariant(dayEdition(18), [], viewOptions, ['theory', 'efficiency']);
    const expected = ['Top today', 'Theory', 'Efficient training and inference', 'Alignment, safety and values', 'Reinforcement learning', 'More papers'];
    expect(htmlHeadings(v.html)).toEqual(expected);
    expect(textHeadings(v.text)).toEqual(expected.map((t) => t.toUpperCase()));
  });

  it('keeps of an order only what changes the email that day, so equal emails share a variant', () => {
    const day = dayEdition(18);
    const all = day.sections.map((s) => s.topic);
    // by score: alignment-safety, reinforcement-learning, efficiency, theory, then More papers
    // (medical, robotics, speech-audio, other and the others left with one paper)
    expect(variantFirst(day, all, [])).toEqual([]);
    expect(variantFirst(day, all, ['alignment-safety'])).toEqual([]);
    expect(variantFirst(day, all, ['alignment-safety', 'reinforcement-learning'])).toEqual([]);
    expect(variantFirst(day, all, ['alignment-safety', 'theory'])).toEqual(['alignment-safety', 'theory']);
    // a one-paper topic joins "More papers" wherever it is pinned; a repeat counts once
    expect(variantFirst(day, all, ['robotics'])).toEqual([]);
    expect(variantFirst(day, all, ['theory', 'medical', 'theory', 'efficiency'])).toEqual(['theory', 'efficiency']);
    // a topic with no section today, or one the reader does not get, is passed over
    const withoutEfficiency = all.filter((t) => t !== 'efficiency');
    expect(variantFirst(day, withoutEfficiency, ['quantum-gravity', 'efficiency', 'theory'])).toEqual(['theory']);
  });

  it('keeps today’s variant keys for readers with no order, and gives each order its own', () => {
    // the key of these sections before readers could choose an order: stored deliveries keep it
    expect(variantKey(['theory', 'medical'])).toBe('be653437fbc5');
    expect(variantKey(['theory', 'medical'], [])).toBe('be653437fbc5');
    expect(variantKey(['theory', 'medical'], ['medical'])).not.toBe('be653437fbc5');
    expect(variantKey(['theory', 'medical'], ['medical', 'theory'])).not.toBe(variantKey(['theory', 'medical'], ['theory', 'medical']));
    expect(variantKey([], ['theory'])).toBe('none');
  });
});

for (const target of storageTargets()) {
  describe(`the fan-out with section orders on ${target.name}`, () => {
    it('gives readers with the same topics and order one variant, and a different order its own, in that order', async () => {
      const app = await testApp({ databaseUrl: await target.databaseUrl() });
      const now = new Date().toISOString();
      const content = dayEdition(18);
      await app.store.editions.insertFrozen({ id: content.date, kind: 'daily', date: content.date, content }, now);
      const readers: [string, string[]][] = [
        ['a@example.org', ['theory', 'efficiency']],
        ['b@example.org', ['theory', 'efficiency']],
        ['c@example.org', ['efficiency', 'theory']],
        ['d@example.org', []],
        // a pinned topic with no section that day changes nothing, nor does pinning what leads anyway
        ['e@example.org', ['speech-and-music']],
        ['f@example.org', ['alignment-safety']],
        // a one-paper topic pinned between them joins "More papers": the same email as a's
        ['g@example.org', ['theory', 'medical', 'efficiency']],
      ];
      const ids = new Map<string, number>();
      for (const [email, sectionOrder] of readers)
        ids.set(email, (await app.store.subscribers.upsert({ email, topics: [], sectionOrder, confirmed: true }, now)).subscriber.id);

      const outcome = await fanOutEdition(app, content.date);
      expect(outcome.recipients).toBe(7);
      expect(outcome.variants).toBe(3);
      const deliveries = await app.store.deliveries.openInRange(content.date, 0, 1_000_000, '9999-12-31');
      const keyOf = (email: string) => deliveries.find((d) => d.subscriberId === ids.get(email))!.variantKey;
      expect(keyOf('a@example.org')).toBe(keyOf('b@example.org'));
      expect(keyOf('c@example.org')).not.toBe(keyOf('a@example.org'));
      expect(keyOf('d@example.org')).not.toBe(keyOf('a@example.org'));
      expect(keyOf('e@example.org')).toBe(keyOf('d@example.org'));
      expect(keyOf('f@example.org')).toBe(keyOf('d@example.org'));
      expect(keyOf('g@example.org')).toBe(keyOf('a@example.org'));
      expect(keyOf('d@example.org')).toBe(variantKey(content.sections.map((s) => s.topic)));

      const headings = async (email: string) => textHeadings((await app.store.editions.getVariant(content.date, keyOf(email)))!.text).slice(1, 3);
      expect(await headings('a@example.org')).toEqual(['THEORY', 'EFFICIENT TRAINING AND INFERENCE']);
      expect(await headings('c@example.org')).toEqual(['EFFICIENT TRAINING AND INFERENCE', 'THEORY']);
      expect(await headings('d@example.org')).toEqual(['ALIGNMENT, SAFETY AND VALUES', 'REINFORCEMENT LEARNING']);
    });
  });
}
