/**
 * Titles and abstracts carry their authors' TeX: the digest shows it as text a reader reads
 * ("ωTest", "O(n²)", "–"), in the HTML, the plain text and the web edition alike, and in a
 * reader's For you block.
 */
import { describe, expect, it } from 'vitest';
import { renderVariant } from '../../src/render/renderVariant.ts';
import { ForYouRenderer } from '../../src/render/forYou.ts';
import { editionPage } from '../../templates/pages/edition.ts';
import { texToUnicode } from '../../src/domain/tex.ts';
import { sampleEdition, viewOptions } from './fixtures.ts';

describe('TeX in titles and abstracts', () => {
  it.each([
    ['$\\omega$Test: WebAssembly testing', 'ωTest: WebAssembly testing'],
    ['$K$-Means Clustering at Scale', 'K-Means Clustering at Scale'],
    ['Sorting in $O(n \\log n)$ time', 'Sorting in O(n log n) time'],
    ['Attention is $O(n^2)$; ours is $O(n^{1.5})$', 'Attention is O(n²); ours is O(n^1.5)'],
    ['$\\mathcal{L}_{\\text{KL}}$ regularisation', 'L_KL regularisation'],
    ['Training on $x_{ij}$ and $x_1$ with $\\beta$-VAE', 'Training on xᵢⱼ and x₁ with β-VAE'],
    ['$\\mathbb{R}^d$ embeddings, $10^{-3}$ error', 'ℝᵈ embeddings, 10⁻³ error'],
    ['$\\alpha$-Blend: a $\\frac{1}{2}$-approximation', 'α-Blend: a 1/2-approximation'],
    ['$\\sqrt{n}$-consistent, $\\hat{\\theta}$ and $A^\\top$', '√n-consistent, θ̂ and Aᵀ'],
    ['Scaling Laws -- and Their Limits', 'Scaling Laws – and Their Limits'],
    ['Vision---Language Models', 'Vision—Language Models'],
    ['Q\\&A over Tables, see Fig.~3', 'Q&A over Tables, see Fig.\u00a03'],
    ['Improves accuracy by ~10\\% at $\\leq 5$ ms', 'Improves accuracy by ~10% at ≤ 5 ms'],
    ['Erd\\H{o}s and Schr\\"odinger meet Poincar\\\'e', 'Erdős and Schrödinger meet Poincaré'],
    ['{\\em Emphasis} and \\textbf{bold} and \\emph{more}', 'Emphasis and bold and more'],
    ['$$E = mc^2$$ revisited', 'E = mc² revisited'],
    ['Inline \\(\\Delta t \\to 0\\) limits', 'Inline Δ t → 0 limits'],
    // a symbol whose math delimiters a feed lost still reads as the symbol
    ['Unbalanced $\\alpha', 'Unbalanced $α'],
  ])('%s → %s', (tex, text) => {
    expect(texToUnicode(tex)).toBe(text);
  });

  it.each([
    'It costs $5 and $10 per month',
    'Costs $5, not $5.50',
    'p < 0.05 for ~20 runs',
    'A plain title: nothing to do',
    'C:\\Users\\paper is not TeX but stays',
  ])('leaves text that is not TeX as written: %s', (text) => {
    expect(texToUnicode(text)).toBe(text);
  });

  it('is safe on hostile input: deep nesting and thousands of dollars stay bounded', () => {
    const deep = `$${'{'.repeat(5000)}x${'}'.repeat(5000)}$`;
    expect(() => texToUnicode(deep)).not.toThrow();
    const dollars = '$a '.repeat(20000);
    const t = performance.now();
    texToUnicode(dollars);
    // a correctness bound (quadratic work would take seconds), not a timing goal
    expect(performance.now() - t).toBeLessThan(2000);
  });

  it('reaches the email (HTML and text), its subject, and the web edition', async () => {
    const e = sampleEdition();
    e.papers['2611.00002']!.title = '$\\omega$-Regular Testing of WebAssembly -- Fast';
    e.papers['2611.00002']!.abstract = 'We show that $\\mathcal{O}(n^2)$ checks suffice. Second sentence here.';
    e.papers['2611.00002']!.score = 100;
    const v = await renderVariant(e, [], viewOptions);
    for (const part of [v.html, v.text]) {
      expect(part).toContain('ω-Regular Testing of WebAssembly – Fast');
      expect(part).toContain('O(n²) checks suffice');
      expect(part).not.toMatch(/\$|\\omega|\\mathcal/);
    }
    expect(v.subject).toMatch(/^ω-Regular Testing of WebAssembly – Fast/);
    const page = editionPage(e, viewOptions);
    expect(page).toContain('ω-Regular Testing of WebAssembly – Fast');
    expect(page).toContain('O(n²) checks suffice');
  });

  it('reaches a reader’s For you block (HTML and text)', async () => {
    const e = sampleEdition();
    e.papers['2611.00002']!.title = '$\\omega$-Regular Testing of WebAssembly -- Fast';
    e.papers['2611.00002']!.abstract = 'We show that $\\mathcal{O}(n^2)$ checks suffice. Second sentence here.';
    const [block] = await new ForYouRenderer(e, { ...viewOptions, forYou: true }).fragments([['2611.00002']]);
    for (const part of [block!.html, block!.text]) {
      expect(part).toContain('ω-Regular Testing of WebAssembly – Fast');
      expect(part).toContain('O(n²) checks suffice');
      expect(part).not.toMatch(/\$|\\omega|\\mathcal/);
    }
  });
});
