/** The digest template: golden snapshots of both parts, and what must never reach a reader. */
import { describe, expect, it } from 'vitest';
import { renderVariant } from '../../src/render/renderVariant.ts';
import { sampleEdition, viewOptions } from '../../test/render/fixtures.ts';
import { PLACEHOLDER } from './view.ts';

describe('Digest email', () => {
  it('renders the exact HTML and plain text of the golden snapshot', async () => {
    const v = await renderVariant(sampleEdition(), ['language-models', 'alignment-safety', 'theory'], viewOptions);
    await expect(v.html).toMatchFileSnapshot('./__snapshots__/digest.html');
    await expect(v.text).toMatchFileSnapshot('./__snapshots__/digest.txt');
    expect(v.subject).toBe('Daily papers, Thu 26 Nov: Scaling <script>alert(1)</script> Laws & "Quotes" for Tiny Models (+3 more)');
  });

  it('escapes feed text: no script, no injected element, no tracking pixel', async () => {
    const { html } = await renderVariant(sampleEdition(), ['language-models'], viewOptions);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).toContain('Scaling &lt;script&gt;alert(1)&lt;/script&gt; Laws &amp; &quot;Quotes&quot;');
  });

  it('keeps the per-subscriber links as placeholders, in both parts', async () => {
    const v = await renderVariant(sampleEdition(), ['theory'], viewOptions);
    for (const part of [v.html, v.text]) {
      expect(part).toContain(PLACEHOLDER.unsubscribeUrl);
      expect(part).toContain(PLACEHOLDER.preferencesUrl);
    }
  });

  it('shows only the chosen sections', async () => {
    const v = await renderVariant(sampleEdition(), ['theory'], viewOptions);
    expect(v.text).toContain('A Proof About Everything');
    expect(v.text).not.toContain('Steering Vectors');
    expect(v.subject).toBe('Daily papers, Thu 26 Nov: A Proof About Everything');
  });

  it('fails the render instead of producing an email without sections', async () => {
    await expect(renderVariant(sampleEdition(), ['vision-multimodal'], viewOptions)).rejects.toThrow(/no section/);
  });
});
