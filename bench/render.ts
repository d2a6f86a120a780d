/**
 * Render: what one variant costs (React → MJML → HTML, plus the plain text), against the
 * naive way of rendering the email once per subscriber; the HTML size by day size; and the
 * split of the time between React and the MJML compile.
 */
import os from 'node:os';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { render as reactEmailRender } from '@react-email/components';
import mjml2html from 'mjml';
import { personalize } from '../src/mail/placeholders.ts';
import { renderVariant } from '../src/render/renderVariant.ts';
import { Digest } from '../templates/email/Digest.tsx';
import { digestView } from '../templates/email/view.ts';
import { dayEdition, viewOptions } from '../test/render/fixtures.ts';
import { machineLines, measure, RUNS, timingTable, writeSection, type Row } from './lib.ts';

const rows: Row[] = [];
const SUBSCRIBERS = 200;
const ms = (t: number) => performance.now() - t;

// the first renders load React, MJML and the templates and warm the JIT: not part of any figure below
for (let i = 0; i < 5; i++) await renderVariant(dayEdition(18), [], viewOptions);

const sizes: string[] = [];
for (const n of [18, 50, 300]) {
  const edition = dayEdition(n);
  let bytes = 0;
  await measure(rows, `one variant of a ${n}-paper day: view, React → MJML, MJML compile (minified), plain text`, RUNS, async () => {
    const t = performance.now();
    const v = await renderVariant(edition, [], viewOptions);
    bytes = Buffer.byteLength(v.html);
    return ms(t);
  });
  sizes.push(`| ${n} | ${(bytes / 1024).toFixed(1)} KB |`);
}

const day = dayEdition(18);
const view = digestView(day, [], viewOptions);
let mjmlSource = '';
await measure(rows, '18 papers: React → MJML markup alone (react-dom/server renderToStaticMarkup)', RUNS * 4, async () => {
  const t = performance.now();
  mjmlSource = renderToStaticMarkup(createElement(Digest, { view }));
  return ms(t);
});
await measure(
  rows,
  "18 papers: the same through react-email's render({ pretty: false }) (adds an XHTML doctype and <!--$--> markers MJML cannot take)",
  RUNS * 4,
  async () => {
    const t = performance.now();
    await reactEmailRender(createElement(Digest, { view }), { pretty: false });
    return ms(t);
  },
);
await measure(rows, '18 papers: MJML compile alone (strict validation, minified)', RUNS, async () => {
  const t = performance.now();
  await mjml2html(mjmlSource, { validationLevel: 'strict', minify: true, minifyOptions: { minifyCss: false }, keepComments: false, fonts: {} });
  return ms(t);
});

const links = (i: number) => ({
  unsubscribe: `https://papers.example.org/unsubscribe?token=u${i}`,
  preferences: `https://papers.example.org/preferences?token=p${i}`,
});
await measure(
  rows,
  `18 papers, ${SUBSCRIBERS} subscribers of one variant: render once, fill each subscriber's links (what the pipeline does)`,
  RUNS,
  async () => {
    const t = performance.now();
    const v = await renderVariant(day, [], viewOptions);
    for (let i = 0; i < SUBSCRIBERS; i++) personalize(v, links(i));
    return ms(t);
  },
);
await measure(rows, `18 papers, ${SUBSCRIBERS} subscribers of one variant: naive, one full render per subscriber`, 1, async () => {
  const t = performance.now();
  for (let i = 0; i < SUBSCRIBERS; i++) personalize(await renderVariant(day, [], viewOptions), links(i));
  return ms(t);
});

const once = rows.at(-2)!.median;
const naive = rows.at(-1)!.median;
writeSection(
  'render',
  [
    '## Render (`npm run bench -- render`)',
    '',
    ...machineLines('no database (templates only)'),
    `- days of real papers (the captured HF Daily Papers page, cycled); ${RUNS} runs each unless noted`,
    `- load average at the end of the run: ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores (other work shares the machine: a busy machine gives upper bounds)`,
    '',
    ...timingTable(rows),
    '',
    `Per subscriber: ${(once / SUBSCRIBERS).toFixed(2)} ms rendering once per variant against ${(naive / SUBSCRIBERS).toFixed(1)} ms rendering per subscriber (${(naive / once).toFixed(0)}× less work).`,
    '',
    '| papers in the day | HTML of one variant |',
    '|---:|---:|',
    ...sizes,
    '',
    'Past the ten best papers (full cards) a paper is one line, past 65 papers the rest is "N more in the archive": the HTML stays under the 90 KB budget (Gmail clips at about 102 KB).',
  ].join('\n'),
);
