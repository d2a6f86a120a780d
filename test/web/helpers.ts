/** What the web tests share: an app with its server, form bodies in both encodings, the mail worker, the outbox. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { App } from '../../src/app.ts';
import type { Clock } from '../../src/domain/time.ts';
import { QUEUE } from '../../src/queues/index.ts';
import { storeObservations } from '../../src/ingest/storeObservations.ts';
import { EditionBuilder } from '../../src/rank/editionBuilder.ts';
import { Ranker } from '../../src/rank/ranker.ts';
import { arxivObservation } from '../harness/papers.ts';
import { buildServer, type PaperboyServer, type ServerOptions } from '../../src/web/server.ts';
import { startStages } from '../../src/workers/index.ts';
import { shippedConfig, testApp, until } from '../harness/index.ts';
import { createLogger } from '../../src/lib/log.ts';

export async function webApp(
  opts: { databaseUrl?: string; env?: Record<string, string>; server?: ServerOptions; config?: Record<string, unknown>; clock?: Clock } = {},
): Promise<{ app: App; server: PaperboyServer }> {
  const app = await testApp({ databaseUrl: opts.databaseUrl, config: { ...shippedConfig(), sources: [], ...opts.config }, env: opts.env, clock: opts.clock });
  const server = await buildServer(app, opts.server ?? { subscribeRateLimit: { max: 1000, timeWindowMs: 60_000 } });
  return { app, server };
}

export function urlencoded(fields: [string, string][]): { headers: Record<string, string>; payload: string } {
  return { headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(fields).toString() };
}

/** multipart/form-data as a mail provider's RFC 8058 POST sends it. */
export function multipart(fields: [string, string][]): { headers: Record<string, string>; payload: string } {
  const boundary = '----paperboy-test-boundary-7MA4YWxkTrZu0gW';
  const body = fields.map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`).join('') + `--${boundary}--\r\n`;
  return { headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, payload: body };
}

/** Runs the mail worker until the mail queue is empty. */
export async function deliverMail(app: App): Promise<void> {
  const running = await startStages(app, ['mail']);
  try {
    await until('the mail queue to drain', async () => (await app.queues.openJobs(QUEUE.mail)) === 0, { timeoutMs: 20_000 });
  } finally {
    await running.close();
  }
}

/** The last message of a kind written to the outbox for a subscriber, parsed as a mail client would. */
export async function outboxMail(app: App, kind: string, subscriberId: number): Promise<ParsedMail | undefined> {
  const file = path.join(app.env.outboxDir, `mail-${kind}`, `${String(subscriberId).padStart(6, '0')}.eml`);
  return existsSync(file) ? simpleParser(readFileSync(file)) : undefined;
}

export function linkIn(mail: ParsedMail, pathname: string): string {
  const m = new RegExp(`https://papers\\.example\\.org${pathname}\\?token=[A-Za-z0-9._-]+`).exec(mail.text ?? '');
  if (!m) throw new Error(`no ${pathname} link in:\n${mail.text}`);
  return m[0].replace('https://papers.example.org', '');
}

/** Stores, ranks and freezes the daily edition of `date` from these arXiv papers. */
export async function seedEdition(
  app: App,
  date: string,
  papers: { id: string; title: string; abstract?: string; categories?: string[]; authors?: string[] }[],
): Promise<void> {
  const at = `${date}T02:00:00.000Z`;
  const observations = papers.map((p) =>
    arxivObservation(p.id, {
      title: p.title,
      abstract: p.abstract ?? 'We study things.',
      categories: p.categories ?? ['cs.CL'],
      authors: p.authors ?? ['A. Author'],
      announcedAt: `${date}T01:00:00.000Z`,
      signal: { source: 'arxiv', kind: 'arxiv-rss', observedAt: at, announceType: 'new' },
    }),
  );
  await storeObservations(app.store, observations, at);
  const ranker = new Ranker(app.store, app.config);
  for (const p of papers) await ranker.rank(p.id, new Date(at));
  await new EditionBuilder(app.store, app.config).build('daily', date);
}

/** Every log line of the app from now on, at debug level and up, as logfmt. */
export function captureLog(app: App): string[] {
  const lines: string[] = [];
  app.log = createLogger({}, { level: 'debug', write: (line) => lines.push(line) });
  return lines;
}

/** The hidden token of the preferences form on the page at `url` (the page a browser would submit from). */
export async function preferencesFormToken(server: PaperboyServer, url: string): Promise<string> {
  const page = await server.inject({ url });
  const token = /name="form_token" value="([^"]+)"/.exec(page.body)?.[1];
  if (!token) throw new Error(`no form token on ${url} (${page.statusCode}):\n${page.body}`);
  return token;
}
