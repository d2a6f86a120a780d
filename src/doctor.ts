/**
 * `paperboy doctor`: each part an installation depends on, checked the way the pipeline
 * will use it, every answer with its fix. Every network check has a time-out.
 */
import { postalAddressWarning } from './config/load.ts';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { App } from './app.ts';
import type { Environment } from './config/load.ts';
import { MIGRATION_NAMES } from './db/index.ts';
import { parseAddress } from './mail/message.ts';
import { QUEUE } from './queues/index.ts';
import { fail, ok, warn, type Check } from './doctor/check.ts';
import { sesChecks } from './doctor/ses.ts';
import { connectProbe, describeRedis, nodeName, redisNodeUrls } from './queues/redisClient.ts';

export type { Check } from './doctor/check.ts';

export async function redisChecks(app: App): Promise<Check[]> {
  const where = describeRedis(app.redis, app.env.redisUrl !== undefined);
  const client = await connectProbe(app.redis.url);
  try {
    const info = String(await client.info('server'));
    const version = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
    const checks: Check[] = [];
    const major = Number(version.split('.')[0]);
    checks.push(
      major >= 6 ? ok('redis', `${where}, Redis ${version}`) : fail('redis', `${where}, Redis ${version}: BullMQ needs Redis 6.2 or later; upgrade it`),
    );
    // every node of a cluster: any of them may hold the queues' slot, now or after a failover
    const nodes = await redisNodeUrls(app.redis);
    const settings = await Promise.all(nodes.map((url) => nodeSettings(url)));
    const on = (i: number) => (app.redis.cluster ? ` on ${nodeName(nodes[i]!)}` : '');
    const each = app.redis.cluster ? ' of every node' : '';
    const policies = settings.map((n) => n.policy);
    if (policies.includes(undefined))
      checks.push(warn('redis maxmemory-policy', 'unknown (CONFIG GET is not allowed): make sure it is noeviction, or queued jobs can be evicted'));
    else if (policies.every((p) => p === 'noeviction'))
      checks.push(ok('redis maxmemory-policy', `noeviction${app.redis.cluster ? ` on all ${nodes.length} nodes` : ''}`));
    else {
      const evicting = policies.flatMap((p, i) => (p === 'noeviction' ? [] : [`${p}${on(i)}`]));
      checks.push(
        fail(
          'redis maxmemory-policy',
          `${evicting.join(', ')}: under memory pressure Redis may evict queued jobs; set "maxmemory-policy noeviction" in redis.conf${each}`,
        ),
      );
    }
    const noAof = settings.flatMap((n, i) => (n.appendonly === 'no' ? [on(i)] : []));
    if (noAof.length > 0)
      checks.push(
        warn(
          'redis persistence',
          `AOF is off${noAof.join(',')}: a Redis restart loses the jobs in flight (the next \`edition send\` queues them again); set "appendonly yes"${each}`,
        ),
      );
    const workers = await Promise.all(Object.values(QUEUE).map(async (q) => `${q}:${await app.queues.workerCount(q)}`));
    checks.push(ok('workers connected', workers.join(' ')));
    return checks;
  } finally {
    client.disconnect();
  }
}

/** A node's eviction policy and AOF setting; undefined where CONFIG is forbidden (managed services). */
async function nodeSettings(url: string): Promise<{ policy?: string; appendonly?: string }> {
  let client: Awaited<ReturnType<typeof connectProbe>> | undefined;
  const setting = async (name: string) => ((await client!.config('GET', name)) as string[])[1];
  try {
    client = await connectProbe(url);
    return { policy: await setting('maxmemory-policy'), appendonly: await setting('appendonly').catch(() => undefined) };
  } catch {
    return {};
  } finally {
    client?.disconnect();
  }
}

export async function databaseChecks(app: App): Promise<Check[]> {
  const applied = new Set(await app.store.appliedMigrations());
  const missing = MIGRATION_NAMES.filter((m) => !applied.has(m));
  const unknown = [...applied].filter((m) => !MIGRATION_NAMES.includes(m));
  const where = `${app.store.dialect} at ${app.store.location}`;
  if (unknown.length > 0)
    return [
      fail('database', `${where} has migrations this version does not know (${unknown.join(', ')}): a newer paperboy migrated it; upgrade this machine too`),
    ];
  if (missing.length > 0) return [fail('database', `${where}: migrations ${missing.join(', ')} not applied; run any command with write access to apply them`)];
  return [ok('database', `${where}, schema up to date (${MIGRATION_NAMES.length} migrations), ${await app.store.papers.count()} paper(s)`)];
}

export async function mailChecks(app: App): Promise<Check[]> {
  const { env } = app;
  const checks: Check[] = [];
  if (env.mailTransport === 'outbox') {
    try {
      mkdirSync(env.outboxDir, { recursive: true });
      const probe = path.join(env.outboxDir, '.doctor');
      writeFileSync(probe, 'ok');
      rmSync(probe);
      checks.push(ok('mail transport', `outbox: .eml files under ${env.outboxDir} (nothing is sent; set MAIL_TRANSPORT=ses to send)`));
    } catch (err) {
      checks.push(
        fail('mail transport', `outbox ${env.outboxDir} is not writable (${(err as NodeJS.ErrnoException).code}): correct OUTBOX_DIR or its permissions`),
      );
    }
    const from = parseAddress(env.mailFrom);
    const placeholder = /@(localhost|example\.(org|com|net))$/i.test(from.address);
    checks.push(
      placeholder
        ? warn('sender identity', `${env.mailFrom} is a placeholder: set MAIL_FROM to an address of a domain you verified before sending for real`)
        : ok('sender identity', env.mailFrom),
    );
  } else {
    checks.push(ok('mail transport', `ses (${env.sesEndpoint ?? env.sesRegion})`));
    checks.push(...(await sesChecks(app)));
  }
  const postal = app.config.mail.postalAddress?.trim();
  // required for bulk mail through SES; with the outbox it is a reminder for later
  const missingForSes = postalAddressWarning(app.settings);
  checks.push(
    postal
      ? ok('postal address', postal)
      : missingForSes
        ? fail('postal address', missingForSes)
        : warn('postal address', 'mail.postalAddress is not set: commercial mail must show one (CAN-SPAM); add it to the config before MAIL_TRANSPORT=ses'),
  );
  return checks;
}

export function linkChecks(app: App): Check[] {
  const url = new URL(app.env.publicUrl);
  const local = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  const key = app.env.secretKey
    ? 'SECRET_KEY from the environment'
    : `SECRET_KEY kept in ${path.join(app.env.dataDir, 'secret.key')} (set it explicitly when several machines send)`;
  if (url.protocol === 'https:') return [ok('links', `PUBLIC_URL ${app.env.publicUrl}; ${key}`)];
  if (local)
    return [
      warn('links', `PUBLIC_URL ${app.env.publicUrl} only works on this machine: set PUBLIC_URL=https://your.host before sending to real readers; ${key}`),
    ];
  return [
    fail(
      'links',
      `PUBLIC_URL ${app.env.publicUrl} is plain http on a public host: the signed links in every email (unsubscribe, preferences) would travel unencrypted; use https://`,
    ),
  ];
}

/**
 * A REDIS_URL another machine can reach means workers may run elsewhere: each of them then
 * needs the same database and the same link-signing key, or they split the edition's state.
 */
export function deploymentChecks(env: Pick<Environment, 'redisUrl' | 'databaseUrl' | 'secretKey'>): Check[] {
  const host = env.redisUrl ? /^[a-z+]+:\/\/(?:[^@/]*@)?(\[[^\]]+\]|[^:/,]+)/i.exec(env.redisUrl)?.[1] : undefined;
  if (!host || /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/i.test(host)) return [];
  const problems: string[] = [];
  if (env.databaseUrl.startsWith('sqlite:')) {
    problems.push(
      'DATABASE_URL is a SQLite file on this machine, so a worker elsewhere would keep its own subscribers and deliveries: use PostgreSQL (DATABASE_URL=postgres://…) on every machine',
    );
  }
  if (!env.secretKey)
    problems.push(
      "SECRET_KEY is not set, so this machine signs links with its own key, which another machine's web service refuses: set the same SECRET_KEY on every machine",
    );
  if (problems.length === 0) return [ok('several machines', `Redis at ${host}, a shared database and SECRET_KEY: workers on other machines share the work`)];
  return [warn('several machines', `Redis at ${host} can serve workers on other machines, but ${problems.join('; and ')}`)];
}

/** Runs every check that the boot did not already fail. */
export async function runChecks(app: App): Promise<Check[]> {
  const checks: Check[] = [ok('configuration', `${app.settings.configSource}: ${app.config.sources.length} source(s), ${app.config.topics.length} topic(s)`)];
  for (const part of [databaseChecks, redisChecks, mailChecks]) {
    try {
      checks.push(...(await part(app)));
    } catch (err) {
      checks.push(fail(part.name.replace(/Checks$/, ''), (err as Error).message));
    }
  }
  checks.push(...linkChecks(app));
  checks.push(...deploymentChecks(app.env));
  return checks;
}
