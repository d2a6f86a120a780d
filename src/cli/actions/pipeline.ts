/** The bodies of the pipeline's commands. */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { App } from '../../app.ts';
import type { SourceConfig } from '../../config/schema.ts';
import { loadSettings } from '../../config/load.ts';
import { ingestBody, type IngestReport } from '../../ingest/processor.ts';
import { currentEditionDay } from '../../domain/time.ts';
import { editionFlags, editionId, editionSummary, type EditionContent } from '../../domain/edition.ts';
import { EditionBuilder } from '../../rank/editionBuilder.ts';
import { renderVariant, variantFirst, variantTopics } from '../../render/renderVariant.ts';
import { personalize } from '../../mail/placeholders.ts';
import { viewOptionsOf } from '../../../templates/email/view.ts';
import { TopicClassifier } from '../../rank/topics.ts';
import { STAGES, startHeartbeat, startStages, type Stage } from '../../workers/index.ts';
import { QUEUE } from '../../queues/index.ts';
import { pingRedis } from '../../queues/redisClient.ts';
import { redactUrl } from '../../lib/redact.ts';
import { TimeoutError, withTimeout } from '../../lib/timeout.ts';
import { possiblySentTwiceLine } from '../../status/report.ts';
import {
  buildEdition,
  editionResult,
  ensureWorkers,
  ingestSources,
  printDeliveries,
  printIngestReport,
  sendEdition,
  sourceResult,
  waitForRanking,
} from '../operations.ts';
import { EXIT, jsonLines, output, parseDateOption, parseList, settingsOptions, untilStopSignal, UsageError, wholeNumberOption, withApp } from '../runtime.ts';

function editionDate(app: App, date: string | undefined): string {
  return parseDateOption(date) ?? currentEditionDay(app.clock.now(), app.config.edition);
}

function kindOf(opts: { weekly?: boolean }): 'daily' | 'weekly' {
  return opts.weekly ? 'weekly' : 'daily';
}

function resolveSourceArg(app: App, arg: string): { source: SourceConfig } | { file: string } {
  const named = app.config.sources.find((s) => s.name === arg);
  if (named) return { source: named };
  if (/^https?:\/\//i.test(arg)) {
    const url = new URL(arg);
    const host = url.hostname.replace(/[^a-z0-9.-]/gi, '-').toLowerCase();
    // named by the whole URL: two feeds of one host must not share their ETag / Last-Modified
    const name = `url-${host}-${createHash('sha1').update(url.href).digest('hex').slice(0, 8)}`;
    const kind = host === 'export.arxiv.org' ? 'arxiv-api' : 'rss';
    return { source: { name, kind, url: arg, enabled: true, allowLocal: false } };
  }
  if (existsSync(arg)) return { file: path.resolve(arg) };
  const names = app.config.sources.map((s) => s.name).join(', ') || '(none configured)';
  throw new UsageError(`--source "${arg}" is neither a configured source (${names}), nor an http(s) URL, nor an existing file`);
}

/** The last line of a `--json` command: its exit code and what it did. */
function result(json: boolean | undefined, exitCode: number, fields: Record<string, unknown>): number {
  if (json) output.event({ type: 'result', exitCode, ...fields });
  return exitCode;
}

export async function runCommand(opts: { once?: boolean; date?: string; json?: boolean }): Promise<void> {
  if (!opts.once) {
    if (opts.json) throw new UsageError('--json goes with --once: the workers run until stopped and log (LOG_FORMAT=json for JSON logs)');
    process.exitCode = await runWorkers([...STAGES]);
    return;
  }
  if (opts.json) jsonLines();
  process.exitCode = await withApp(async (app) => {
    const date = editionDate(app, opts.date);
    const sources = app.config.sources.filter((s) => s.enabled);
    if (sources.length === 0)
      throw new UsageError(
        `no enabled source in ${app.settings.configSource}: add one under "sources" (see paperboy.config.json in the repository), or set PAPERBOY_CONFIG`,
      );
    const running = await startStages(app, [...STAGES]);
    try {
      output.note(`ingesting ${sources.length} source(s)…`);
      const reports = await ingestSources(app, sources);
      await waitForRanking(app);
      const failedSources = reports.filter((r) => r.error);
      let failedDeliveries = 0;
      const editions: Record<string, unknown>[] = [];
      const kinds: ('daily' | 'weekly')[] = new EditionBuilder(app.store, app.config, app.clock).isWeeklyDay(date) ? ['daily', 'weekly'] : ['daily'];
      for (const kind of kinds) {
        const built = await buildEdition(app, kind, date, false);
        if (built.status === 'empty') {
          output.line(`edition ${editionId(kind, date)}: no papers, so no edition (edition.skipEmpty)`);
          editions.push({ id: editionId(kind, date), kind, date, status: 'empty' });
          continue;
        }
        output.line(
          `edition ${built.edition.id}: ${built.status}, ${built.edition.content.sections.length} section(s), ${Object.keys(built.edition.content.papers).length} paper(s)`,
        );
        const before = (await app.store.deliveries.countByStatus(built.edition.id)).sent;
        const counts = await sendEdition(app, built.edition.id, { wait: true });
        printDeliveries(built.edition.id, counts, counts.sent - before);
        for (const f of await app.store.deliveries.failures(built.edition.id)) output.line(`  failed: ${f.email}: ${f.error}`);
        failedDeliveries += counts.failed;
        const c = built.edition.content;
        editions.push({
          ...(await editionResult(app, built.edition.id, counts, counts.sent - before)),
          build: built.status,
          sections: c.sections.length,
          papers: Object.keys(c.papers).length,
        });
      }
      for (const r of failedSources) output.line(`  source ${r.source} failed: ${r.error}`);
      const code = failedSources.length > 0 || failedDeliveries > 0 ? EXIT.partial : EXIT.ok;
      return result(opts.json, code, { date, sources: reports.map(sourceResult), editions });
    } finally {
      await running.close();
    }
  });
}

export async function ingestCommand(opts: { source?: string; json?: boolean }): Promise<void> {
  if (opts.json) jsonLines();
  process.exitCode = await withApp(async (app) => {
    const running = await ensureWorkers(app, ['ingest', 'rank']);
    try {
      let reports: IngestReport[];
      if (opts.source) {
        const target = resolveSourceArg(app, opts.source);
        if ('file' in target) {
          const name = `file-${path
            .basename(target.file)
            .replace(/[^A-Za-z0-9._-]/g, '-')
            .toLowerCase()}`;
          const report = await ingestBody(app, { name, kind: 'rss' }, readFileSync(target.file));
          printIngestReport(report);
          reports = [report];
        } else {
          reports = await ingestSources(app, [target.source]);
        }
      } else {
        const sources = app.config.sources.filter((s) => s.enabled);
        if (sources.length === 0) throw new UsageError(`no enabled source in ${app.settings.configSource}: add one under "sources", or pass --source URL|FILE`);
        reports = await ingestSources(app, sources);
      }
      await waitForRanking(app);
      return result(opts.json, reports.some((r) => r.status === 'error' || r.error) ? EXIT.partial : EXIT.ok, { sources: reports.map(sourceResult) });
    } finally {
      await running.close();
    }
  });
}

export async function editionBuild(opts: { date?: string; weekly?: boolean; force?: boolean }): Promise<void> {
  process.exitCode = await withApp(async (app) => {
    const date = editionDate(app, opts.date);
    const running = await ensureWorkers(app, ['rank']);
    try {
      await waitForRanking(app);
    } finally {
      await running.close();
    }
    const outcome = await buildEdition(app, kindOf(opts), date, Boolean(opts.force));
    if (outcome.status === 'empty') {
      output.line(`edition ${editionId(kindOf(opts), date)}: no papers, so no edition (set edition.skipEmpty to false to build empty editions)`);
      return EXIT.ok;
    }
    const c = outcome.edition.content;
    output.line(
      `edition ${outcome.edition.id}: ${outcome.status}, ${c.sections.length} section(s), ${Object.keys(c.papers).length} of ${c.considered} paper(s)`,
    );
    return EXIT.ok;
  });
}

export async function editionSend(opts: { date?: string; weekly?: boolean; wait?: boolean; json?: boolean }): Promise<void> {
  if (opts.json) jsonLines();
  process.exitCode = await withApp(async (app) => {
    const named = { kind: kindOf(opts), date: editionDate(app, opts.date) };
    const id = editionId(named.kind, named.date);
    const edition = await app.store.editions.get(id);
    if (!edition) throw new UsageError(`edition ${id} has not been built: run \`paperboy edition build ${editionFlags(named)}\` first`);
    if (edition.status === 'empty') {
      output.line(`edition ${id}: the day had no papers, so there is nothing to send`);
      return result(opts.json, EXIT.ok, { editions: [{ id, kind: edition.kind, date: edition.date, status: 'empty' }] });
    }
    const running = opts.wait ? await ensureWorkers(app, ['render', 'send']) : undefined;
    try {
      const before = (await app.store.deliveries.countByStatus(id)).sent;
      const counts = await sendEdition(app, id, { wait: Boolean(opts.wait) });
      if (!opts.wait) {
        const idle = (await app.queues.workerCount(QUEUE.render)) === 0 || (await app.queues.workerCount(QUEUE.send)) === 0;
        output.line(`edition ${id}: queued for rendering and sending (see \`paperboy edition show ${editionFlags(named)}\`)`);
        if (idle) output.note('no render or send worker is connected: start `paperboy worker render send`, or use --wait to send from this command', 'warn');
        return result(opts.json, EXIT.ok, { editions: [{ ...(await editionResult(app, id, counts, 0)), queued: true }] });
      }
      printDeliveries(id, counts, counts.sent - before);
      for (const f of await app.store.deliveries.failures(id)) output.line(`  failed: ${f.email}: ${f.error}`);
      return result(opts.json, counts.failed > 0 ? EXIT.partial : EXIT.ok, { editions: [await editionResult(app, id, counts, counts.sent - before)] });
    } finally {
      await running?.close();
    }
  });
}

export async function editionShow(opts: { date?: string; weekly?: boolean; json?: boolean }): Promise<void> {
  process.exitCode = await withApp(async (app) => {
    const named = { kind: kindOf(opts), date: editionDate(app, opts.date) };
    const id = editionId(named.kind, named.date);
    const e = await app.store.editions.get(id);
    if (!e) throw new UsageError(`edition ${id} has not been built: run \`paperboy edition build ${editionFlags(named)}\``);
    const deliveries = await app.store.deliveries.countByStatus(id);
    const possiblySentTwice = await app.store.deliveries.possiblySentTwice(id);
    if (opts.json) {
      output.json({ ...editionSummary(e.content), status: e.status, frozenAt: e.frozenAt, sentAt: e.sentAt ?? null, deliveries, possiblySentTwice });
      return EXIT.ok;
    }
    output.line(`${e.kind === 'weekly' ? 'Weekly edition' : 'Edition'} ${e.date} — ${e.status} (frozen ${e.frozenAt})`);
    for (const s of e.content.sections) {
      output.line(`\n${s.title} [${s.topic}]`);
      for (const pid of s.paperIds) {
        const p = e.content.papers[pid]!;
        output.line(`  ${p.score.toFixed(1).padStart(6)}  ${p.id}  ${p.title}`);
      }
    }
    output.line(
      `\ndeliveries: ${deliveries.sent} sent, ${deliveries.pending + deliveries.sending} open, ${deliveries.failed} failed, ${deliveries.skipped} skipped`,
    );
    if (possiblySentTwice > 0) output.line(`  ${possiblySentTwiceLine(possiblySentTwice)}`);
    return EXIT.ok;
  });
}

export async function previewCommand(opts: {
  date?: string;
  weekly?: boolean;
  topics?: string;
  sectionsFirst?: string;
  out?: string;
  serve?: boolean;
  port?: string;
}): Promise<void> {
  if (opts.serve) {
    process.exitCode = await previewServe(opts.port);
    return;
  }
  const outFile = opts.out;
  if (!outFile) throw new UsageError('preview needs --out FILE.html (render an edition to a file) or --serve (every email with sample data)');
  process.exitCode = await withApp(async (app) => {
    const named = { kind: kindOf(opts), date: editionDate(app, opts.date) };
    const id = editionId(named.kind, named.date);
    const e = await app.store.editions.get(id);
    if (!e) throw new UsageError(`edition ${id} has not been built: run \`paperboy edition build ${editionFlags(named)}\``);
    const classifier = TopicClassifier.fromConfig(app.config);
    const wanted = parseList(opts.topics);
    const pinned = parseList(opts.sectionsFirst);
    for (const [flag, ids] of [
      ['--topics', wanted],
      ['--sections-first', pinned],
    ] as const) {
      const unknown = ids.filter((t) => !classifier.sectionOrder().includes(t));
      if (unknown.length > 0) throw new UsageError(`${flag}: unknown topic(s) ${unknown.join(', ')}; known: ${classifier.sectionOrder().join(', ')}`);
    }
    const topics = variantTopics(e.content, wanted);
    if (topics.length === 0)
      throw new UsageError(`edition ${id} has no section for topics ${wanted.join(', ')}; its sections: ${e.content.sections.map((s) => s.topic).join(', ')}`);
    const variant = await renderVariant(e.content, topics, viewOptionsOf(app.config, app.env), variantFirst(e.content, topics, pinned));
    const body = personalize(variant, {
      unsubscribe: `${app.env.publicUrl}/unsubscribe?token=preview`,
      preferences: `${app.env.publicUrl}/preferences?token=preview`,
      feedbackToken: 'preview',
    });
    const out = path.resolve(outFile);
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, body.html);
    const textFile = out.replace(/\.html?$/i, '') + '.txt';
    writeFileSync(textFile, body.text);
    output.line(`preview of ${id} (${topics.join(', ')}): ${out}`);
    output.line(`subject: ${variant.subject}`);
    output.line(`plain text: ${textFile}`);
    return EXIT.ok;
  });
}

/** The preview server: sample data only, so it needs no database, Redis or edition. */
async function previewServe(portOption: string | undefined): Promise<number> {
  const port = portOption === undefined ? 3100 : wholeNumberOption('--port', portOption, 0, 65535);
  const settings = loadSettings(process.env, process.cwd(), settingsOptions());
  const { startPreviewServer } = await import('../../render/previewServer.ts');
  const server = await startPreviewServer({
    port,
    view: viewOptionsOf(settings.config, settings.env),
    onRender: (err) => (err ? output.note(`preview: the templates do not render: ${err.message.split('\n')[0]}`, 'error') : output.note('preview: rendered')),
  });
  output.line(`email preview on ${server.url} (Ctrl-C to stop)`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  await server.close();
  return EXIT.ok;
}

export async function workerCommand(stages: string[]): Promise<void> {
  const wanted = stages.length === 0 || stages.includes('all') ? [...STAGES] : stages;
  const unknown = wanted.filter((s) => !(STAGES as readonly string[]).includes(s));
  if (unknown.length > 0) {
    output.note(`paperboy: unknown stage(s) ${unknown.join(', ')}: use ${STAGES.join(', ')} or all`, 'error');
    process.exitCode = EXIT.failed;
    return;
  }
  process.exitCode = await runWorkers(wanted as Stage[]);
}

/** Long-running workers (and the schedulers of their stages) until SIGTERM / SIGINT. */
async function runWorkers(stages: Stage[]): Promise<number> {
  // listened for before anything starts: a SIGTERM while the workers start stops them
  // cleanly (exit 0) once started, instead of killing the process with 143
  const stopSignal = untilStopSignal();
  return withApp(
    async (app) => {
      const running = await startStages(app, stages, { schedulers: true });
      const heartbeat = startHeartbeat(app);
      app.log.info('workers running', { stages: stages.join(','), redis: app.redis.owned ? 'private' : 'shared', database: app.store.dialect });
      const signal = await stopSignal;
      app.log.info('stopping: finishing in-flight jobs', { signal });
      heartbeat.stop();
      const limitS = app.config.workers.stopTimeoutSeconds;
      try {
        await withTimeout('stopping the workers', limitS * 1000, () => running.close());
      } catch (err) {
        if (!(err instanceof TimeoutError)) throw err;
        const why = (await pingRedis(app.redis.url, 1_000)) ? `Redis at ${redactUrl(app.redis.url)} does not answer` : 'a job is still running';
        app.log.error(
          `workers did not stop within ${limitS} s (workers.stopTimeoutSeconds): ${why}; leaving now. A job this worker held is taken over by another worker when its lock expires.`,
        );
        return EXIT.failed;
      }
      app.log.info('workers stopped');
      return EXIT.ok;
    },
    { longRunning: true },
  );
}
