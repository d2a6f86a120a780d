/** The bodies of the data commands. */
import { createReadStream, existsSync, statSync } from 'node:fs';
import readline from 'node:readline';
import path from 'node:path';
import type { DataApp } from '../../app.ts';
import type { Frequency } from '../../db/index.ts';
import { checkAddress } from '../../mail/address.ts';
import { canonicalTimeZone, cutoffOf, isDate } from '../../domain/time.ts';
import { scoreParts } from '../../rank/score.ts';
import { TopicClassifier } from '../../rank/topics.ts';
import { parseArxivId, type Paper } from '../../domain/paper.ts';
import { EXIT, jsonLines, output, parseDateOption, parseList, UsageError, wholeNumberOption, withData } from '../runtime.ts';
import { startProgress } from '../progress.ts';
import { suppressAddress } from '../../send/feedback.ts';

function checkTopics(app: DataApp, topics: string[], flag: string): void {
  const known = TopicClassifier.fromConfig(app.config).sectionOrder();
  const unknown = topics.filter((t) => !known.includes(t));
  if (unknown.length > 0) throw new UsageError(`${flag}: unknown topic(s) ${unknown.join(', ')}; known topics: ${known.join(', ')}`);
}

function parseFrequency(value: string | undefined): Frequency | undefined {
  if (value === undefined) return undefined;
  if (value !== 'daily' && value !== 'weekly') throw new UsageError(`--frequency "${value}": use daily or weekly`);
  return value;
}

function parseTimeZone(value: string | undefined, name = '--timezone'): string | undefined {
  if (value === undefined) return undefined;
  const zone = canonicalTimeZone(value);
  if (!zone) throw new UsageError(`${name} "${value}" is not an IANA time zone: use one such as Europe/Berlin, Asia/Tokyo or UTC`);
  return zone;
}

/** The reader's local hour, 0 to 23. */
function parseHour(value: string | undefined, name = '--hour'): number | undefined {
  return value === undefined ? undefined : wholeNumberOption(name, value, 0, 23);
}

/** What an import row's `status` cell asks for; a stop is kept whatever the flags say. */
const IMPORT_STATUSES = ['', 'pending', 'confirmed', 'unsubscribed', 'suppressed'] as const;

export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((s) => s.trim());
}

/**
 * One CSV cell. A cell that starts with = + - @ (or a tab / CR) is a formula to a spreadsheet
 * (CSV injection): it is prefixed with ' so that it is shown as text.
 */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function paperJson(p: Paper) {
  return {
    id: p.id,
    title: p.title,
    authors: p.authors,
    sources: p.sources,
    topics: p.topics.map((t) => t.id),
    primaryTopic: p.primaryTopic ?? null,
    score: p.score ?? null,
    editionDate: p.editionDate ?? null,
    categories: p.categories,
    links: p.links,
    announceType: p.announceType ?? null,
    announcedAt: p.announcedAt ?? null,
    firstSeenAt: p.firstSeenAt,
  };
}

export async function papersList(opts: { date?: string; query?: string; limit?: string; json?: boolean }): Promise<void> {
  process.exitCode = await withData(async (app) => {
    const limit = opts.limit === undefined ? undefined : wholeNumberOption('--limit', opts.limit, 1, 10_000_000);
    const editionDate = parseDateOption(opts.date);
    // one day or a search is a bounded list, sorted by score; everything is streamed in id order
    const papers: AsyncIterable<Paper> | Paper[] =
      editionDate || opts.query ? await app.store.papers.list({ editionDate, query: opts.query, limit }) : app.store.papers.iterate(limit);
    let n = 0;
    if (opts.json) process.stdout.write('[');
    for await (const p of papers) {
      if (opts.json) process.stdout.write(`${n === 0 ? '\n  ' : ',\n  '}${JSON.stringify(paperJson(p))}`);
      else
        output.line(
          `${(p.editionDate ?? '(unranked)').padEnd(10)}  ${(p.score ?? 0).toFixed(1).padStart(6)}  ${p.id.padEnd(12)}  ${(p.primaryTopic ?? '-').padEnd(18)}  ${p.title}  [${p.sources.join(', ')}]`,
        );
      n++;
    }
    if (opts.json) process.stdout.write(n === 0 ? ']\n' : '\n]\n');
    else output.note(`${n} paper(s)`);
    return EXIT.ok;
  });
}

export async function papersExplain(id: string): Promise<void> {
  process.exitCode = await withData(async (app) => {
    const paper = (await app.store.papers.get(parseArxivId(id) ?? id)) ?? (await app.store.papers.get(id));
    if (!paper) throw new UsageError(`no paper with id ${id}: see \`paperboy papers list\``);
    const classifier = TopicClassifier.fromConfig(app.config);
    const c = classifier.classify(paper);
    output.line(`${paper.id}  ${paper.title}`);
    output.line(`sources: ${paper.sources.join(', ')}; categories: ${paper.categories.join(', ') || '(none)'}`);
    output.line(`\ntopics (minimum score ${app.config.rank.minTopicScore}): ${c.topics.map((t) => `${t.id} ${t.score}`).join(', ')}; primary: ${c.primary}`);
    const byTopic = new Map<string, typeof c.matches>();
    for (const m of c.matches) byTopic.set(m.topic, [...(byTopic.get(m.topic) ?? []), m]);
    for (const [topic, matches] of [...byTopic.entries()].sort((a, b) => b[1].reduce((s, m) => s + m.points, 0) - a[1].reduce((s, m) => s + m.points, 0))) {
      output.line(`  ${topic}: ${matches.map((m) => `${m.reason} (+${m.points})`).join('; ')}`);
    }
    for (const e of c.excluded) output.line(`  ${e.topic}: excluded by "${e.phrase}"`);
    if (c.matches.length === 0) output.line(`  nothing matched: filed under ${c.primary}`);
    if (paper.editionDate) {
      const parts = scoreParts(paper, app.config.rank.weights, cutoffOf(paper.editionDate, app.config.edition));
      output.line(`\nscore ${paper.score ?? 0} for the edition of ${paper.editionDate}:`);
      for (const p of parts) output.line(`  ${p.points >= 0 ? '+' : ''}${Math.round(p.points * 100) / 100}  ${p.name}`);
      if (parts.length === 0) output.line('  no signal counted');
    } else {
      output.line('\nnot ranked yet: run `paperboy ingest` or a rank worker');
    }
    return EXIT.ok;
  });
}

export async function sourcesCommand(opts: { json?: boolean }): Promise<void> {
  process.exitCode = await withData(async (app) => {
    const states = new Map((await app.store.sources.list()).map((s) => [s.name, s]));
    const rows = app.config.sources.map((s) => ({ name: s.name, kind: s.kind, url: s.url, enabled: s.enabled, ...states.get(s.name) }));
    for (const [name, s] of states)
      if (!app.config.sources.some((c) => c.name === name)) rows.push({ ...s, name, kind: 'rss', url: '(ad hoc)', enabled: false });
    if (opts.json) {
      output.json(rows);
      return EXIT.ok;
    }
    for (const r of rows) {
      output.line(`${r.name} (${r.kind}${r.enabled ? '' : ', disabled'}) ${r.url}`);
      output.line(
        `  last success: ${r.lastSuccessAt ?? 'never'}; papers so far: ${r.papersTotal ?? 0}${r.lastCounts ? `; last run: ${r.lastCounts.new} new, ${r.lastCounts.updated} updated, ${r.lastCounts.unchanged} unchanged, ${r.lastCounts.skipped} skipped` : ''}`,
      );
      if (r.lastError) output.line(`  last error (${r.lastErrorAt}): ${r.lastError}`);
    }
    return EXIT.ok;
  });
}

export async function subscribersAdd(
  email: string,
  opts: { topics?: string; sectionsFirst?: string; frequency?: string; confirmed?: boolean; timezone?: string; hour?: string },
): Promise<void> {
  process.exitCode = await withData(async (app) => {
    const address = checkAddress(email);
    if (!address.ok) throw new UsageError(`not added: ${address.reason}`);
    const topics = opts.topics === undefined ? undefined : parseList(opts.topics);
    checkTopics(app, topics ?? [], '--topics');
    const sectionOrder = opts.sectionsFirst === undefined ? undefined : parseList(opts.sectionsFirst);
    checkTopics(app, sectionOrder ?? [], '--sections-first');
    const timezone = parseTimeZone(opts.timezone);
    const deliveryHour = parseHour(opts.hour);
    const { subscriber, created } = await app.store.subscribers.upsert(
      { email: address.email, topics, sectionOrder, frequency: parseFrequency(opts.frequency), timezone, deliveryHour, confirmed: Boolean(opts.confirmed) },
      app.clock.now().toISOString(),
    );
    const time = subscriber.deliveryTimeChosen
      ? `at ${String(subscriber.deliveryHour).padStart(2, '0')}:00 ${subscriber.timezone}`
      : 'when the edition goes out';
    output.line(
      `${created ? 'added' : 'updated'} ${subscriber.email} (${subscriber.status}, ${subscriber.frequency}, ${time}, topics: ${subscriber.topics.join(', ') || 'all'}${subscriber.sectionOrder.length > 0 ? `, first: ${subscriber.sectionOrder.join(', ')}` : ''})`,
    );
    if (opts.confirmed && subscriber.status !== 'confirmed') {
      output.note(`${subscriber.email} stays ${subscriber.status}: only the subscriber can come back, through the preferences link of an email`, 'warn');
    }
    return EXIT.ok;
  });
}

export async function subscribersImport(file: string, opts: { confirmed?: boolean; json?: boolean }): Promise<void> {
  if (opts.json) jsonLines();
  process.exitCode = await withData(async (app) => {
    if (!existsSync(file)) throw new UsageError(`${file}: no such file`);
    const known = TopicClassifier.fromConfig(app.config).sectionOrder();
    const input = createReadStream(file, 'utf8');
    const lines = readline.createInterface({ input, crlfDelay: Infinity });
    // the file is streamed, never loaded: its bytes read are the progress
    const size = statSync(file).size;
    const bar = startProgress('import', { event: { stage: 'import' } });
    let header: string[] | undefined;
    let lineNo = 0;
    let added = 0;
    let updated = 0;
    let kept = 0;
    const rejected: { line: number; reason: string }[] = [];
    for await (const raw of lines) {
      lineNo++;
      const line = raw.replace(/^\uFEFF/, '');
      if (line.trim() === '') continue;
      const cells = splitCsvLine(line);
      if (!header) {
        header = cells.map((c) => c.toLowerCase());
        if (!header.includes('email')) throw new UsageError(`${file}: the first line must be a header naming an "email" column (got: ${line.slice(0, 80)})`);
        continue;
      }
      const row = Object.fromEntries(header.map((h, i) => [h, cells[i] ?? '']));
      const email = row.email ?? '';
      // no topics (column or cell): every topic for a new subscriber, unchanged for a known one
      const listed = (row.topics ?? '').split(/[;\s]+/).filter(Boolean);
      const topics = listed.length > 0 ? listed : undefined;
      const bad = listed.filter((t) => !known.includes(t));
      // no section order (column or cell): none for a new subscriber, unchanged for a known one
      const pinned = (row.section_order ?? '').split(/[;\s]+/).filter(Boolean);
      const sectionOrder = pinned.length > 0 ? pinned : undefined;
      const badPinned = pinned.filter((t) => !known.includes(t));
      const frequency = row.frequency || undefined;
      const status = (row.status ?? '').trim().toLowerCase();
      let timezone: string | undefined;
      let deliveryHour: number | undefined;
      let timeProblem: string | undefined;
      try {
        // an exported reader who never chose a time has both cells empty, and stays so
        timezone = parseTimeZone(row.timezone || undefined, 'timezone');
        deliveryHour = parseHour(row.delivery_hour?.trim() || undefined, 'delivery_hour');
      } catch (err) {
        timeProblem = (err as Error).message;
      }
      const address = checkAddress(email);
      if (!address.ok) rejected.push({ line: lineNo, reason: address.reason });
      else if (!(IMPORT_STATUSES as readonly string[]).includes(status))
        rejected.push({ line: lineNo, reason: `status "${row.status}" is not pending, confirmed, unsubscribed or suppressed` });
      else if (timeProblem) rejected.push({ line: lineNo, reason: timeProblem });
      else if (bad.length > 0) rejected.push({ line: lineNo, reason: `unknown topic(s) ${bad.join(', ')}` });
      else if (badPinned.length > 0) rejected.push({ line: lineNo, reason: `unknown topic(s) in section_order: ${badPinned.join(', ')}` });
      else if (frequency && frequency !== 'daily' && frequency !== 'weekly')
        rejected.push({ line: lineNo, reason: `frequency "${frequency}" is not daily or weekly` });
      else {
        const now = app.clock.now().toISOString();
        // a reader who left, or bounced, in the list being moved here must not be mailed again:
        // --confirmed vouches for the confirmed rows only
        const stopped = status === 'unsubscribed' || status === 'suppressed';
        const vouched = Boolean(opts.confirmed) && (status === '' || status === 'confirmed');
        const r = await app.store.subscribers.upsert(
          { email: address.email, topics, sectionOrder, frequency: frequency as Frequency | undefined, timezone, deliveryHour, confirmed: vouched },
          now,
        );
        if (status === 'unsubscribed' && r.subscriber.status !== 'unsubscribed' && r.subscriber.status !== 'suppressed')
          await app.store.subscribers.unsubscribe(r.subscriber.id, now);
        if (status === 'suppressed') await suppressAddress(app.store, address.email, 'manual', `imported from ${path.basename(file)} as suppressed`, now);
        if (r.created) added++;
        else updated++;
        if (stopped || r.subscriber.status === 'unsubscribed' || r.subscriber.status === 'suppressed') kept++;
        if ((added + updated) % 200 === 0)
          bar.update(input.bytesRead, size, `bytes read, ${added + updated} subscribers imported`, { imported: added + updated, rejected: rejected.length });
      }
    }
    bar.update(size, size, `bytes read, ${added + updated} subscribers imported`, { imported: added + updated, rejected: rejected.length });
    bar.stop();
    output.line(`${file}: ${added} added, ${updated} updated, ${rejected.length} rejected${kept ? `; ${kept} who unsubscribed or bounced stay so` : ''}`);
    for (const r of rejected.slice(0, 50)) output.line(`  line ${r.line}: ${r.reason}`);
    if (rejected.length > 50) output.line(`  … and ${rejected.length - 50} more`);
    const code = rejected.length > 0 ? EXIT.partial : EXIT.ok;
    if (opts.json)
      output.event({ type: 'result', exitCode: code, file, added, updated, rejected: rejected.length, notResubscribed: kept, rejections: rejected });
    return code;
  });
}

export async function subscribersExport(): Promise<void> {
  process.exitCode = await withData(async (app) => {
    // new columns last: readers of the older ones by position still find theirs
    output.line('email,status,topics,frequency,created_at,confirmed_at,section_order,timezone,delivery_hour');
    for await (const s of app.store.subscribers.iterate()) {
      // a time the reader never chose is left empty, so an import does not make it chosen
      const time = s.deliveryTimeChosen ? [s.timezone, String(s.deliveryHour)] : ['', ''];
      output.line(
        [s.email, s.status, s.topics.join(';'), s.frequency, s.createdAt, s.confirmedAt ?? '', s.sectionOrder.join(';'), ...time].map(csvField).join(','),
      );
    }
    return EXIT.ok;
  });
}

export async function subscribersList(opts: { json?: boolean }): Promise<void> {
  process.exitCode = await withData(async (app) => {
    if (opts.json) {
      // streamed as one array, so a large list never sits in memory
      process.stdout.write('[');
      let first = true;
      for await (const s of app.store.subscribers.iterate()) {
        process.stdout.write(
          `${first ? '\n  ' : ',\n  '}${JSON.stringify({ email: s.email, status: s.status, topics: s.topics, sectionOrder: s.sectionOrder, frequency: s.frequency, timezone: s.timezone, deliveryHour: s.deliveryHour, createdAt: s.createdAt, confirmedAt: s.confirmedAt ?? null })}`,
        );
        first = false;
      }
      process.stdout.write(first ? ']\n' : '\n]\n');
      return EXIT.ok;
    }
    let n = 0;
    for await (const s of app.store.subscribers.iterate()) {
      output.line(`${s.email.padEnd(36)} ${s.status.padEnd(12)} ${s.frequency.padEnd(7)} ${s.topics.join(',') || 'all topics'}`);
      n++;
    }
    output.note(`${n} subscriber(s)`);
    return EXIT.ok;
  });
}

export async function subscribersRemove(email: string): Promise<void> {
  process.exitCode = await withData(async (app) => {
    if (!(await app.store.subscribers.remove(email)))
      throw new UsageError(`no subscriber ${email}: see \`paperboy subscribers list\` for the addresses on the list`);
    output.line(`removed ${email.trim().toLowerCase()}`);
    return EXIT.ok;
  });
}

export async function papersSearch(
  query: string,
  opts: { from?: string; to?: string; topic?: string; limit?: string; page?: string; json?: boolean },
): Promise<void> {
  process.exitCode = await withData(async (app) => {
    const limit = opts.limit === undefined ? 20 : wholeNumberOption('--limit', opts.limit, 1, 500);
    const page = opts.page === undefined ? 1 : wholeNumberOption('--page', opts.page, 1, 100_000);
    if (opts.topic) checkTopics(app, [opts.topic], '--topic');
    for (const [flag, value] of [
      ['--from', opts.from],
      ['--to', opts.to],
    ] as const) {
      if (value !== undefined && !isDate(value)) throw new UsageError(`${flag} "${value}" is not a date: use YYYY-MM-DD, e.g. ${flag} 2026-11-26`);
    }
    const result = await app.store.papers.search(app.store.dialect, {
      query,
      from: opts.from,
      to: opts.to,
      topic: opts.topic,
      limit,
      offset: (page - 1) * limit,
    });
    if (opts.json) {
      output.json({ query, total: result.total, more: result.more ?? false, page, papers: result.papers.map(paperJson) });
      return EXIT.ok;
    }
    for (const p of result.papers)
      output.line(`${(p.editionDate ?? '(unranked)').padEnd(10)}  ${p.id.padEnd(12)}  ${(p.primaryTopic ?? '-').padEnd(18)}  ${p.title}`);
    output.note(
      `${result.more ? `more than ${result.total}` : result.total} paper(s) match "${query}"${result.more || result.total > page * limit ? `; showing ${(page - 1) * limit + 1}–${(page - 1) * limit + result.papers.length} (--page ${page + 1} for more)` : ''}`,
    );
    return EXIT.ok;
  });
}
