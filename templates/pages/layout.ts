/** The web pages: plain server-rendered HTML, every value escaped. */
export function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** A template literal tag that escapes every interpolated value unless it is `raw(…)`. */
export class Raw {
  constructor(readonly html: string) {}
}
export const raw = (html: string) => new Raw(html);

export function html(strings: TemplateStringsArray, ...values: unknown[]): Raw {
  let out = strings[0]!;
  values.forEach((v, i) => {
    const text = Array.isArray(v) ? v.map((x) => (x instanceof Raw ? x.html : escapeHtml(String(x)))).join('') : v instanceof Raw ? v.html : v === undefined || v === null || v === false ? '' : escapeHtml(String(v));
    out += text + strings[i + 1]!;
  });
  return new Raw(out);
}

export function page(title: string, body: Raw): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style>
body { font: 16px/1.5 -apple-system, BlinkMacSystemFont, "Segoe UI", Helvetica, Arial, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; color: #1f2328; }
a { color: #0b57d0; } button { font: inherit; padding: .5rem 1.2rem; border-radius: 6px; border: 1px solid #0b57d0; background: #0b57d0; color: #fff; cursor: pointer; }
.muted { color: #59636e; font-size: .9rem; } fieldset { border: 1px solid #d1d9e0; border-radius: 6px; }
@media (prefers-color-scheme: dark) { body { background: #0d1117; color: #e6edf3; } a { color: #4493f8; } .muted { color: #9198a1; } }
</style>
</head>
<body>
${body.html}
</body>
</html>
`;
}

export function messagePage(title: string, message: string, status: 'ok' | 'error' = 'ok'): string {
  return page(title, html`<h1>${title}</h1><p${status === 'error' ? raw(' role="alert"') : ''}>${message}</p>`);
}
