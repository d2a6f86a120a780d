/**
 * The HTML checked against caniemail.com's support data for Gmail, Apple Mail and Outlook.
 * Every feature a client lacks must be on this allow-list, each a deliberate fallback: the
 * email reads fully without it.
 */
import { caniemail } from 'caniemail';
import { describe, expect, it } from 'vitest';
import { renderTransactional } from '../../src/render/transactional.ts';
import { sampleTransactional } from '../../templates/email/samples.ts';
import { renderVariant } from '../../src/render/renderVariant.ts';
import { dayEdition, viewOptions } from './fixtures.ts';

const ALLOWED = new Set([
  // the <style> block is progressive enhancement only (dark mode, phone widths): every colour,
  // size and spacing needed to read is inline, which is what Gmail's mobile webmail and
  // Outlook for Windows get
  '<style> element',
  '@media',
  'Class selector',
  'Type selector',
  'ID selector',
  'Attribute selector',
  'Descendant combinator',
  'Chaining selectors',
  // MJML's hidden preheader: a client that shows it shows the preheader text, nothing else
  'display:none',
  'opacity',
  // MJML's resets, and rounded corners: square where unsupported
  'outline',
  'word-spacing',
  'word-break',
  'overflow',
  'border-radius',
  'cursor',
  'transform',
  // accessibility hints MJML adds; ignored where unsupported
  'aria-label attribute',
  'role attribute',
  // the call to action opens in the same tab where honoured; Gmail opens a new one anyway
  'target attribute',
  // Outlook for Mac ignores <body> styles; the email sets none it needs
  '<body> element',
]);

function unsupported(html: string): string[] {
  const r = caniemail({ clients: ['gmail.*', 'apple-mail.*', 'outlook.*'], html });
  const out = new Set<string>();
  for (const [client, issues] of r.issues.errors) for (const i of issues) if (!ALLOWED.has(i.title)) out.add(`${client}: ${i.title}`);
  return [...out].sort();
}

describe('client support (caniemail)', () => {
  it('the digest uses nothing Gmail, Apple Mail or Outlook lacks beyond the allow-list', async () => {
    expect(unsupported((await renderVariant(dayEdition(30), [], viewOptions)).html)).toEqual([]);
  });

  it('the transactional emails neither', async () => {
    for (const msg of Object.values(sampleTransactional(viewOptions.publicUrl))) expect(unsupported((await renderTransactional(msg, viewOptions)).html), msg.kind).toEqual([]);
  });

  it('catches a feature that is not allowed', () => {
    expect(unsupported('<div style="position:absolute;background-image:url(x.png)">x</div>')).not.toEqual([]);
  });
});
