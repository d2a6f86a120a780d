/**
 * The HTML checked against caniemail.com's support data (caniemail 2.x) for Outlook for Windows,
 * Gmail and Apple Mail (and the other Outlooks). Every feature a client lacks must be on an
 * allow-list, each a deliberate fallback: the email reads fully without it. What is drawn as a
 * box (link buttons, keyword chips) is checked element by element against the notes too, since
 * "partial support" there is what made Outlook run the buttons together.
 */
import { caniemail } from 'caniemail';
import { DomUtils, parseDocument } from 'htmlparser2';
import { describe, expect, it } from 'vitest';
import { renderTransactional } from '../../src/render/transactional.ts';
import { sampleTransactional } from '../../src/render/previewSamples.ts';
import { renderVariant } from '../../src/render/renderVariant.ts';
import { ForYouRenderer } from '../../src/render/forYou.ts';
import { personalize } from '../../src/mail/placeholders.ts';
import { dayEdition, viewOptions } from './fixtures.ts';

// htmlparser2's element type, named without importing its dependency domhandler
type Element = ReturnType<typeof DomUtils.getElementsByTagName>[number];

const CLIENTS: Parameters<typeof caniemail>[0]['clients'] = ['outlook.windows', 'outlook.*', 'gmail.*', 'apple-mail.*'];

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
  // dark mode is a hint: a client without it shows the light palette, which is mid-contrast
  // so that clients inverting colours themselves (Gmail, Outlook) keep it readable
  'color-scheme CSS property',
  'color-scheme meta tag',
  // MJML's hidden preheader: a client that shows it shows the preheader text, nothing else
  'display:none',
  'opacity',
  'max-height property',
  // MJML's resets, and rounded corners: square where unsupported
  'outline',
  'word-spacing',
  'word-break',
  'overflow',
  'border-radius',
  'cursor',
  'transform',
  // link buttons float left so that a row of them wraps on a phone; Outlook for Windows floats
  // them by their table's align="left" instead
  'float',
  // accessibility hints MJML adds; ignored where unsupported
  'aria-label attribute',
  'role attribute',
  // the call to action opens in the same tab where honoured; Gmail opens a new one anyway
  'target attribute',
  // Outlook for Mac ignores <body> styles; the email sets none it needs
  '<body> element',
]);

/** On a button or a chip, only this may be missing somewhere: */
const ALLOWED_ON_BOXES = new Set([
  // rounded corners: Outlook for Windows draws them square
  'border-radius',
  // mj-button's pointer over its cell; the link inside has one anyway
  'cursor',
]);

function unsupported(html: string): string[] {
  const r = caniemail({ clients: CLIENTS, html });
  const out = new Set<string>();
  for (const [client, issues] of r.issues.errors) for (const i of issues) if (!ALLOWED.has(i.title)) out.add(`${client}: ${i.title}`);
  return [...out].sort();
}

interface Declaration {
  tag: string;
  property: string;
  value: string;
}

function declarations(el: Element): Declaration[] {
  return (el.attribs.style ?? '')
    .split(';')
    .map((d) => d.split(':'))
    .filter(([p, v]) => p?.trim() && v !== undefined)
    .map(([p, ...v]) => ({ tag: el.name, property: p!.trim().toLowerCase(), value: v.join(':').trim().toLowerCase() }));
}

/**
 * Does a note on partial support bite this use? Support "only on table cells" on another
 * element, "not supported on `<span>`" on a span, "only `display:none`" with another value, an
 * unsupported value (`auto`, `flex`…) that is the one used, a background that is not a colour.
 */
function bites(note: string, d: Declaration): boolean {
  if (/only supported on table cells/i.test(note)) return d.tag !== 'td' && d.tag !== 'th';
  const notOn = /not supported on ((?:`<\w+>`[\s,]*(?:and |or )?)+)/i.exec(note);
  if (notOn) return [...notOn[1]!.matchAll(/<(\w+)>/g)].some((m) => m[1] === d.tag);
  if (/only supports `display:none`/i.test(note)) return d.value !== 'none';
  if (/only `background-color` values/i.test(note)) return /url\(|gradient\(|,/.test(d.value);
  if (/not supported/i.test(note)) {
    const values = [...note.matchAll(/`([^`<]+)`/g)].map((m) => m[1]!.toLowerCase());
    return values.some((v) => d.value.split(/\s+/).includes(v));
  }
  return false;
}

/** Outlook ignores a link's padding and display; a cell that gives it the same box (mso-padding-alt, as mj-button does) makes up for it. */
function boxedByCell(el: Element): boolean {
  const parent = el.parent as Element | null;
  return el.name === 'a' && parent?.name === 'td' && /mso-padding-alt/.test(parent.attribs.style ?? '');
}

/** Every element drawn as a box (it has a background: buttons, chips) and what is inside it. */
function boxes(html: string): Element[] {
  const doc = parseDocument(html);
  const drawn = DomUtils.findAll(
    (el) => el.attribs.bgcolor !== undefined || /(^|;)\s*background(-color)?\s*:/.test(el.attribs.style ?? ''),
    doc.children,
  ).filter((el) => DomUtils.getText(el).trim() !== '');
  const out = new Set<Element>();
  for (const el of drawn) {
    out.add(el);
    for (const inner of DomUtils.findAll(() => true, el.children)) out.add(inner);
  }
  return [...out];
}

/** What a client lacks on the buttons and chips: "outlook.windows: padding on <a> (Only supported on table cells.)". */
function unsupportedOnBoxes(html: string): string[] {
  const out = new Set<string>();
  for (const el of boxes(html)) {
    for (const d of declarations(el)) {
      if (ALLOWED_ON_BOXES.has(d.property) || d.property.startsWith('mso-')) continue;
      if (boxedByCell(el) && (d.property.startsWith('padding') || d.property === 'display')) continue;
      const r = caniemail({ clients: CLIENTS, html: `<${d.tag} style="${d.property}:${d.value}">x</${d.tag}>` });
      for (const [client, issues] of r.issues.errors)
        for (const i of issues) if (!ALLOWED_ON_BOXES.has(i.title)) out.add(`${client}: ${d.property} on <${d.tag}> (not supported)`);
      for (const [client, issues] of r.issues.warnings) {
        for (const i of issues) for (const note of i.notes) if (bites(note, d)) out.add(`${client}: ${d.property}:${d.value} on <${d.tag}> (${note})`);
      }
    }
  }
  return [...out].sort();
}

describe('client support (caniemail 2.x: Outlook for Windows, Gmail, Apple Mail)', () => {
  it('the digest uses nothing those clients lack beyond the allow-list', async () => {
    expect(unsupported((await renderVariant(dayEdition(30), [], viewOptions)).html)).toEqual([]);
  });

  it('the digest’s buttons and keyword chips use nothing those clients lack: Outlook for Windows shows them apart', async () => {
    const { html } = await renderVariant(dayEdition(30), [], viewOptions);
    expect(boxes(html).length).toBeGreaterThan(50);
    expect(unsupportedOnBoxes(html)).toEqual([]);
  });

  it('an email with For you on neither: the block’s cards and every card’s feedback links', async () => {
    const day = dayEdition(30);
    const forYouOn = { ...viewOptions, forYou: true };
    const [block] = await new ForYouRenderer(day, forYouOn).fragments([Object.keys(day.papers).slice(12, 15)]);
    const links = { unsubscribe: 'https://x.example/u', preferences: 'https://x.example/p', feedbackToken: 'f.t.t' };
    const { html } = personalize(await renderVariant(day, [], forYouOn), links, block);
    expect(html).toContain('More like this');
    expect(unsupported(html)).toEqual([]);
    expect(unsupportedOnBoxes(html)).toEqual([]);
  });

  it('the transactional emails neither, their buttons included', async () => {
    for (const msg of Object.values(sampleTransactional(viewOptions.publicUrl))) {
      const { html } = await renderTransactional(msg, viewOptions);
      expect(unsupported(html), msg.kind).toEqual([]);
      expect(unsupportedOnBoxes(html), msg.kind).toEqual([]);
    }
  });

  it('catches a feature that is not allowed, and an inline button or chip that Outlook runs together', () => {
    expect(unsupported('<div style="position:absolute;background-image:url(x.png)">x</div>')).not.toEqual([]);
    expect(
      unsupportedOnBoxes(
        '<p><a href="x" style="display:inline-block;margin:0 6px 6px 0;padding:12px;background:#e8f0fe">arXiv</a><a href="y" style="display:inline-block;padding:12px;background:#e8f0fe">PDF</a></p>',
      ),
    ).toEqual(
      expect.arrayContaining([
        'outlook.windows: display:inline-block on <a> (Partial. Only supports `display:none` (but not on `<img>`).)',
        'outlook.windows: padding:12px on <a> (Partial. Only supported on table cells.)',
      ]),
    );
    expect(unsupportedOnBoxes('<p><span style="margin:2px 4px 2px 0;padding:0 8px;background:#f0f2f4">fairness</span></p>')).toEqual(
      expect.arrayContaining([
        'outlook.windows: margin:2px 4px 2px 0 on <span> (Partial. Not supported on `<span>` and `<body>` elements.)',
        'outlook.windows: padding:0 8px on <span> (Partial. Only supported on table cells.)',
      ]),
    );
    // mj-button's pattern passes: the cell gives Outlook the padding the link has elsewhere
    expect(
      unsupportedOnBoxes(
        '<table><tr><td style="border-radius:6px;mso-padding-alt:12px 20px;background:#0b57d0"><a href="x" style="display:inline-block;padding:12px 20px;mso-padding-alt:0px;color:#ffffff">Confirm</a></td></tr></table>',
      ),
    ).toEqual([]);
  });
});
