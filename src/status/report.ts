/**
 * What `paperboy status` shows, read from the shared Redis and database so that any machine
 * sees the same: queue depths and connected workers per stage, the progress of the current
 * editions, each source's health and the suppression list's size.
 */
import type { App } from '../app.ts';
import { QUEUE, type QueueName } from '../queues/index.ts';
import { describeRedis } from '../queues/redisClient.ts';
import type { DeliveryStatus } from '../db/index.ts';

export interface QueueStatus {
  queue: QueueName;
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  workers: number;
}

export interface EditionProgress {
  id: string;
  kind: 'daily' | 'weekly';
  date: string;
  status: string;
  /** `paused` or `cancelled` when the operator steered it; `running` otherwise. */
  state: 'running' | 'paused' | 'cancelled' | 'done';
  pausedReason?: string;
  renderError?: string;
  /** Every reader of the edition: its deliveries, and the readers the fan-out has not reached yet. */
  total: number;
  sent: number;
  /** Not settled yet: waiting, being sent, or not reached by the fan-out yet. */
  pending: number;
  /** Readers the fan-out (rendering) has not reached yet: counted in `total` and `pending`, with no delivery so far. */
  notReached: number;
  failed: number;
  /** Skipped because the address is on the suppression list. */
  suppressed: number;
  /** Skipped for any other reason (unsubscribed meanwhile, cancelled edition). */
  skipped: number;
  /** Deliveries taken over from a sender that went silent (its batch's lock expired, or `send.claimTimeoutSeconds` passed): those readers may have it twice. */
  possiblySentTwice: number;
  /** Messages per second over `rateWindowSeconds`: the last minute, or less when the sending began within it. */
  ratePerSecond: number;
  /** The window the rate is measured over: from the first send in the last minute to now (0: nothing sent in it). */
  rateWindowSeconds: number;
  /** Seconds until every open delivery due now is settled at that rate; null when nothing moves. */
  etaSeconds: number | null;
  /** Readers who get it later, at their own hour (not in the ETA), the first of them at `nextAt`. */
  later: number;
  nextAt: string | null;
}

export interface SourceHealth {
  name: string;
  kind: string;
  enabled: boolean;
  lastSuccessAt: string | null;
  lastErrorAt: string | null;
  lastError: string | null;
  /** Items of the last successful run (new + updated + unchanged). */
  lastItems: number | null;
  papersTotal: number;
}

export interface StatusReport {
  at: string;
  redis: string;
  database: string;
  queues: QueueStatus[];
  editions: EditionProgress[];
  sources: SourceHealth[];
  /** Suppressed addresses, in all and by reason. */
  suppressions: { total: number; byReason: Record<string, number> };
}

/** The longest window the send rate is measured over: recent enough to follow a change of pace. */
const RATE_WINDOW_S = 60;
/** The shortest: one second's sends must not read as a rate of thousands. */
const MIN_RATE_WINDOW_S = 1;
/** Editions shown: every unfinished one, and the latest finished ones up to this many in all. */
const EDITIONS_SHOWN = 5;

async function queueStatus(app: App, name: QueueName): Promise<QueueStatus> {
  const queue = app.queues.get(name);
  const counts = await queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed');
  return {
    queue: name,
    waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
    active: counts.active ?? 0,
    delayed: counts.delayed ?? 0,
    failed: counts.failed ?? 0,
    workers: await queue.getWorkersCount(),
  };
}

type EditionRef = { id: string; kind: 'daily' | 'weekly'; date: string; fanoutCursor: number; fanoutDone: boolean; cancelledAt?: string };

/**
 * An edition's deliveries by status, and its readers the fan-out has not reached yet: while it
 * renders, only the readers reached so far have a delivery, and the total must still be every reader.
 */
export async function editionDeliveries(
  app: Pick<App, 'store'>,
  e: EditionRef,
): Promise<Record<DeliveryStatus, number> & { notReached: number; total: number; open: number }> {
  const counts = await app.store.deliveries.countByStatus(e.id);
  // a cancelled edition reaches nobody new: the readers past the cursor get nothing
  const notReached = e.fanoutDone || e.cancelledAt ? 0 : await app.store.subscribers.countReadersAfter(e.kind, e.date, e.fanoutCursor);
  const open = counts.pending + counts.sending + notReached;
  return { ...counts, notReached, open, total: open + counts.sent + counts.failed + counts.skipped };
}

/**
 * Messages a second over the recent sending window: from the first send of the last minute to
 * now. Averaging a send that began 10 s ago over a whole minute made its rate six times too low.
 */
async function sendRate(app: App, editionId: string, now: Date): Promise<{ ratePerSecond: number; windowSeconds: number }> {
  const since = new Date(now.getTime() - RATE_WINDOW_S * 1000).toISOString();
  const recent = await app.store.deliveries.sentBetween(editionId, since, now.toISOString());
  if (recent.count === 0 || !recent.first) return { ratePerSecond: 0, windowSeconds: 0 };
  const windowSeconds = Math.max(MIN_RATE_WINDOW_S, Math.min(RATE_WINDOW_S, (now.getTime() - new Date(recent.first).getTime()) / 1000));
  return { ratePerSecond: recent.count / windowSeconds, windowSeconds };
}

async function editionProgress(
  app: App,
  e: EditionRef & { date: string; status: string; paused?: { reason: string }; renderError?: string },
  now: Date,
): Promise<EditionProgress> {
  const counts = await editionDeliveries(app, e);
  // a skipped delivery whose address is suppressed counts as suppressed, the rest as skipped
  const suppressed = Math.min(await app.store.deliveries.countSuppressed(e.id), counts.skipped);
  const { ratePerSecond, windowSeconds } = await sendRate(app, e.id, now);
  const waiting = await app.store.deliveries.dueAndNext(e.id, now.toISOString());
  const dueNow = counts.open - waiting.later;
  const state = e.cancelledAt ? 'cancelled' : e.paused ? 'paused' : e.status === 'sent' ? 'done' : 'running';
  return {
    id: e.id,
    kind: e.kind,
    date: e.date,
    status: e.status,
    state,
    ...(e.paused ? { pausedReason: e.paused.reason } : {}),
    ...(e.renderError ? { renderError: e.renderError } : {}),
    total: counts.total,
    sent: counts.sent,
    pending: counts.open,
    notReached: counts.notReached,
    failed: counts.failed,
    suppressed,
    skipped: counts.skipped - suppressed,
    possiblySentTwice: await app.store.deliveries.possiblySentTwice(e.id),
    ratePerSecond: Math.round(ratePerSecond * 100) / 100,
    rateWindowSeconds: Math.round(windowSeconds),
    etaSeconds: dueNow === 0 ? 0 : ratePerSecond > 0 && state === 'running' ? Math.ceil(dueNow / ratePerSecond) : null,
    later: waiting.later,
    nextAt: waiting.nextAt ?? null,
  };
}

export async function statusReport(app: App): Promise<StatusReport> {
  const now = app.clock.now();
  const queues = await Promise.all(Object.values(QUEUE).map((q) => queueStatus(app, q)));
  const latest = [...(await app.store.editions.list('daily', EDITIONS_SHOWN)), ...(await app.store.editions.list('weekly', 2))];
  const unfinished = latest.filter((e) => e.status !== 'sent');
  const shown = [...unfinished, ...latest.filter((e) => e.status === 'sent')].slice(0, Math.max(EDITIONS_SHOWN, unfinished.length));
  shown.sort((a, b) => (a.date === b.date ? a.kind.localeCompare(b.kind) : b.date.localeCompare(a.date)));
  const editions = await Promise.all(shown.map((e) => editionProgress(app, e, now)));
  const states = new Map((await app.store.sources.list()).map((s) => [s.name, s]));
  const sources: SourceHealth[] = app.config.sources.map((s) => {
    const st = states.get(s.name);
    const c = st?.lastCounts;
    return {
      name: s.name,
      kind: s.kind,
      enabled: s.enabled,
      lastSuccessAt: st?.lastSuccessAt ?? null,
      lastErrorAt: st?.lastErrorAt ?? null,
      lastError: st?.lastError ?? null,
      lastItems: c ? c.new + c.updated + c.unchanged : null,
      papersTotal: st?.papersTotal ?? 0,
    };
  });
  return {
    at: now.toISOString(),
    redis: describeRedis(app.redis, app.env.redisUrl !== undefined),
    database: `${app.store.dialect} at ${app.store.location}`,
    queues,
    editions,
    sources,
    suppressions: await suppressionCounts(app),
  };
}

async function suppressionCounts(app: App): Promise<StatusReport['suppressions']> {
  const byReason = await app.store.suppressions.count();
  return { total: Object.values(byReason).reduce((a, b) => a + b, 0), byReason };
}

/** The one wording of "possibly sent twice" for every command that shows an edition. */
export function possiblySentTwiceLine(n: number): string {
  return `possibly sent twice: ${n} (taken over from a sender that went silent, past its batch's lock (send.lockDurationMs) or send.claimTimeoutSeconds, after SES may have accepted them; see "Possibly sent twice" in the README)`;
}

function duration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
}

/** The report as a terminal reads it. */
export function formatStatus(r: StatusReport): string[] {
  const lines: string[] = [
    `paperboy status at ${r.at}`,
    `redis: ${r.redis}; database: ${r.database}`,
    '',
    'queues            waiting  active  delayed  failed  workers',
  ];
  for (const q of r.queues) {
    lines.push(
      `  ${q.queue.padEnd(16)}${String(q.waiting).padStart(7)}${String(q.active).padStart(8)}${String(q.delayed).padStart(9)}${String(q.failed).padStart(8)}${String(q.workers).padStart(9)}`,
    );
  }
  lines.push('', 'editions');
  if (r.editions.length === 0) lines.push('  none built yet');
  for (const e of r.editions) {
    const steer = e.state === 'paused' ? `, PAUSED (${e.pausedReason})` : e.state === 'cancelled' ? ', CANCELLED' : '';
    const unreached = e.notReached > 0 ? ` (${e.notReached} not reached by the fan-out yet)` : '';
    lines.push(
      `  ${e.id} ${e.status}${steer}: ${e.sent}/${e.total} sent, ${e.pending} pending${unreached}, ${e.failed} failed, ${e.suppressed} suppressed, ${e.skipped} skipped`,
    );
    if (e.pending > e.later) {
      const eta = e.state !== 'running' ? `none while ${e.state}` : e.etaSeconds === null ? 'unknown' : duration(e.etaSeconds);
      const rate = e.rateWindowSeconds > 0 ? `rate ${e.ratePerSecond}/s over the last ${e.rateWindowSeconds} s` : 'nothing sent in the last minute';
      lines.push(`    ${rate}; ETA ${eta}`);
    }
    if (e.later > 0) lines.push(`    ${e.later} reader(s) get it at their own hour, the next at ${e.nextAt}`);
    if (e.possiblySentTwice > 0) lines.push(`    ${possiblySentTwiceLine(e.possiblySentTwice)}`);
    if (e.renderError) lines.push(`    render error: ${e.renderError}`);
  }
  lines.push('', 'sources');
  if (r.sources.length === 0) lines.push('  none configured');
  for (const s of r.sources) {
    const health = s.lastError && (!s.lastSuccessAt || (s.lastErrorAt ?? '') > s.lastSuccessAt) ? 'FAILING' : s.lastSuccessAt ? 'ok' : 'never read';
    lines.push(
      `  ${s.name} (${s.kind}${s.enabled ? '' : ', disabled'}): ${health}; last success ${s.lastSuccessAt ?? 'never'}${s.lastItems !== null ? ` (${s.lastItems} items)` : ''}; ${s.papersTotal} papers so far`,
    );
    if (s.lastError) lines.push(`    last error (${s.lastErrorAt}): ${s.lastError}`);
  }
  const reasons = Object.entries(r.suppressions.byReason)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`);
  lines.push('', `suppression list: ${r.suppressions.total} address(es)${reasons.length ? ` (${reasons.join(', ')})` : ''}`);
  return lines;
}
