/** Synthetic feeds for the benchmarks: the demo feed's items, repeated under fresh ids. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** An arXiv RSS feed (2024 format) of `n` items of about 2 KB each (a real item is 1–2 KB). */
export function arxivFeed(n: number, seed = 0): Buffer {
  const src = readFileSync(path.join(root, 'demo', 'feeds', 'arxiv-cs.xml'), 'utf8');
  const start = src.indexOf('<item>');
  const end = src.lastIndexOf('</item>') + '</item>'.length;
  const items = src
    .slice(start, end)
    .split(/(?<=<\/item>)\s*/)
    .filter((s) => s.includes('<item>'));
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = `2611.${String(20000 + seed * 100000 + i).padStart(5, '0')}`;
    // DOIs must differ too, or every copy of the item that has one would merge into one paper
    out.push(items[i % items.length]!.replace(/\d{4}\.\d{5}/g, id).replace(/(<arxiv:DOI>[^<]*?)(\d+)(<\/arxiv:DOI>)/, `$1$2.${i}$3`));
  }
  return Buffer.from(src.slice(0, start) + out.join('\n    ') + src.slice(end));
}
