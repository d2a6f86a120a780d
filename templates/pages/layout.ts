/**
 * The site's pages: plain server-rendered HTML, every value escaped, no client framework.
 * The look is the emails' (same colours, type and cards), mobile first, light and dark.
 * Styles and the one small script are files of their own (/assets/…): the Content-Security-
 * Policy allows no inline script.
 */
import { escapeHtml } from '../../src/lib/html.ts';

/** A template literal tag that escapes every interpolated value unless it is `raw(…)`. */
export class Raw {
  constructor(readonly html: string) {}
}
export const raw = (html: string) => new Raw(html);

export function html(strings: TemplateStringsArray, ...values: unknown[]): Raw {
  let out = strings[0]!;
  values.forEach((v, i) => {
    const text = Array.isArray(v)
      ? v.map((x) => (x instanceof Raw ? x.html : escapeHtml(String(x)))).join('')
      : v instanceof Raw
        ? v.html
        : v === undefined || v === null || v === false
          ? ''
          : escapeHtml(String(v));
    out += text + strings[i + 1]!;
  });
  return new Raw(out);
}

/** Served at /assets/site.css. The colours of templates/email/Digest.tsx. */
export const SITE_CSS = `
:root { --text: #1f2328; --muted: #59636e; --accent: #0b57d0; --rule: #d1d9e0; --bg: #f6f8fa; --card: #ffffff; --ok: #1a7f37; --error: #cf222e; }
@media (prefers-color-scheme: dark) { :root { --text: #e6edf3; --muted: #9198a1; --accent: #4493f8; --rule: #30363d; --bg: #0d1117; --card: #161b22; --ok: #3fb950; --error: #f85149; } }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--text); font: 16px/1.5 -apple-system, BlinkMacSystemFont, "Segoe UI", Helvetica, Arial, sans-serif; }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.skip { position: absolute; left: -999px; } .skip:focus { left: 1rem; top: 1rem; background: var(--card); padding: .5rem; z-index: 1; }
header.site { border-bottom: 1px solid var(--rule); background: var(--card); }
header.site .wrap { display: flex; flex-wrap: wrap; align-items: baseline; justify-content: space-between; gap: .25rem 1rem; padding-top: .75rem; padding-bottom: .75rem; }
header.site .brand { font-weight: 700; font-size: 1.1rem; color: var(--text); text-decoration: none; }
header.site nav a { margin-right: 1rem; }
.wrap { max-width: 44rem; margin: 0 auto; padding: 0 1rem; }
main { padding: 1.25rem 0 3rem; }
h1 { font-size: 1.6rem; line-height: 1.25; margin: .5rem 0 1rem; }
h2 { font-size: 1.2rem; margin: 1.75rem 0 .75rem; }
.card { background: var(--card); border: 1px solid var(--rule); border-radius: 8px; padding: 1rem; margin: 0 0 1rem; }
.muted { color: var(--muted); font-size: .9rem; }
label { display: block; font-weight: 600; margin: .75rem 0 .25rem; }
label.choice { display: flex; gap: .5rem; align-items: flex-start; font-weight: 400; margin: .4rem 0; }
label.choice input { margin-top: .3rem; }
input[type=email], input[type=search], input[type=date], input[type=number], input[type=text], textarea, select { width: 100%; font: inherit; padding: .6rem .7rem; border: 1px solid var(--muted); border-radius: 6px; background: var(--card); color: var(--text); min-height: 44px; }
fieldset { border: 1px solid var(--rule); border-radius: 8px; margin: 1rem 0; padding: .5rem 1rem 1rem; }
legend { font-weight: 600; padding: 0 .25rem; }
button { font: inherit; font-weight: 600; min-height: 44px; padding: .6rem 1.4rem; border-radius: 6px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; margin-top: 1rem; }
button.secondary { background: transparent; color: var(--accent); }
.row { display: grid; grid-template-columns: 1fr; gap: 0 1rem; }
@media (min-width: 40rem) { .row { grid-template-columns: 1fr 1fr; } h1 { font-size: 2rem; } }
.paper h3 { font-size: 1.05rem; margin: 0 0 .25rem; line-height: 1.35; }
.paper h3 a { text-decoration: none; }
.paper p { margin: .35rem 0; }
.paper .links a { margin-right: .75rem; font-size: .9rem; }
.status { border-left: 4px solid var(--ok); padding: .5rem .75rem; background: var(--card); }
.alert { border-left: 4px solid var(--error); padding: .5rem .75rem; background: var(--card); }
.pager { display: flex; justify-content: space-between; gap: 1rem; margin-top: 1rem; }
ul.plain { list-style: none; padding: 0; } ul.plain li { padding: .5rem 0; border-bottom: 1px solid var(--rule); }
footer.site { border-top: 1px solid var(--rule); padding: 1rem 0 2rem; }
mark { background: #fff8c5; color: inherit; }
`;

/** Served at /assets/timezone.js: fills the time-zone select with the browser's zone. Without it the select keeps its default. */
export const TIMEZONE_SCRIPT = `(function () {
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    document.querySelectorAll('select[data-guess-timezone]').forEach(function (select) {
      if (select.getAttribute('data-chosen') === 'true') return;
      for (var i = 0; i < select.options.length; i++) if (select.options[i].value === zone) { select.value = zone; return; }
      // a newer name than the list's (Asia/Kolkata for Asia/Calcutta): sent as the browser
      // says it, the server stores the list's name for it
      if (zone) { select.add(new Option(zone.replace(/_/g, ' '), zone, true, true)); }
    });
  } catch (e) {}
})();
`;

export interface PageOptions {
  listName: string;
  /** Pages a token opened are not indexed. */
  noindex?: boolean;
  scripts?: string[];
}

export function page(title: string, body: Raw, opts: PageOptions = { listName: 'paperboy' }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
${opts.noindex ? '<meta name="robots" content="noindex">\n' : ''}<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="/assets/site.css">
<link rel="alternate" type="application/rss+xml" title="${escapeHtml(opts.listName)}" href="/feed.xml">
${(opts.scripts ?? []).map((s) => `<script src="${escapeHtml(s)}" defer></script>`).join('\n')}
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="site"><div class="wrap">
<a class="brand" href="/">${escapeHtml(opts.listName)}</a>
<nav aria-label="Site"><a href="/editions">Archive</a><a href="/papers">Search</a><a href="/feed.xml">RSS</a></nav>
</div></header>
<main id="main" class="wrap">
${body.html}
</main>
<footer class="site"><div class="wrap muted">${escapeHtml(opts.listName)}: the day's trending research papers by email. <a href="/">Subscribe</a></div></footer>
</body>
</html>
`;
}

export function messagePage(title: string, message: string, status: 'ok' | 'error' = 'ok', listName = 'paperboy'): string {
  return page(
    title,
    html`<h1>${title}</h1><p class="${status === 'error' ? 'alert' : 'status'}"${status === 'error' ? raw(' role="alert"') : raw(' role="status"')}>${message}</p>`,
    { listName, noindex: true },
  );
}
