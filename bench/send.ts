/**
 * `npm run bench -- send`: the send stage. Prepare-only (links + personalize + MIME) against
 * the naive per-subscriber render; peak RSS for 1,000,000 readers (a child process measuring
 * itself); end to end through the recording SES stand-in (in a child process, so only our
 * side's CPU is in this process) against a bare SDK SendRawEmail loop, on SQLite and
 * PostgreSQL; the outbox end to end against a bare write + rename loop; and the client CPU of
 * @aws-sdk/client-ses against @aws-sdk/client-sesv2 for the same raw send.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SESClient, SendRawEmailCommand } from '@aws-sdk/client-ses';
import { loadEnvironment, parseConfig } from '../src/config/load.ts';
import { Store, kyselyOf } from '../src/db/store.ts';
import { PreparedMessage, buildMessage, encodeFragment, stableMessageId } from '../src/mail/message.ts';
import { personalize } from '../src/mail/placeholders.ts';
import { SesMessenger } from '../src/mail/ses.ts';
import { subscriberLinks } from '../src/mail/tokens.ts';
import { Queues } from '../src/queues/index.ts';
import { fanOutEdition } from '../src/send/fanout.ts';
import { renderVariant, variantTopics } from '../src/render/renderVariant.ts';
import { ForYouRenderer, fragmentKey } from '../src/render/forYou.ts';
import { ForYouChooser } from '../src/personal/chooser.ts';
import { buildProfile, parseProfile } from '../src/personal/profile.ts';
import { viewOptionsOf } from '../templates/email/view.ts';
import { startStages } from '../src/workers/index.ts';
import { startPostgres, startRedis } from '../test/harness/servers.ts';
import { addReaders, baseConfig, DATE, DOMAIN, editionAndVariants, FROM, MAIL_FROM, PUBLIC_URL, SECRET, sender } from './edition.ts';
import { labelledEdition, labelledPapers, random } from './labelled.ts';
import { machineLines, root, writeSection, benchApp } from './lib.ts';
import { startStandInProcess } from './standIn.ts';

process.env.AWS_ACCESS_KEY_ID ??= 'AKIABENCHBENCHBENC';
process.env.AWS_SECRET_ACCESS_KEY ??= 'bench-secret';

const self = fileURLToPath(import.meta.url);

/** Builds `n` readers' messages over the prepared variants; returns the bytes made. */
function prepareLoop(prepared: PreparedMessage[], from: number, n: number): number {
  let bytes = 0;
  const date = new Date();
  for (let i = from; i < from + n; i++) {
    const raw = prepared[i % prepared.length]!.build({
      to: `reader${i}@example.org`,
      messageId: stableMessageId(SECRET, DATE, i, DOMAIN),
      date,
      links: subscriberLinks(PUBLIC_URL, SECRET, i, DOMAIN),
    });
    bytes += raw.length;
  }
  return bytes;
}

// ---- child modes --------------------------------------------------------------------------
if (process.argv.includes('--rss-child')) {
  const n = Number(process.argv[process.argv.indexOf('--rss-child') + 1]);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pb-bench-rss-'));
  const config = parseConfig(baseConfig, 'bench');
  const store = await Store.open(`sqlite:${path.join(dir, 'b.db')}`);
  const { variants } = await editionAndVariants(store, config);
  const prepared = variants.map((v) => new PreparedMessage(sender, v));
  const t0 = performance.now();
  // in pages, as the send stage streams its deliveries
  for (let i = 0; i < n; i += 1000) prepareLoop(prepared, i, Math.min(1000, n - i));
  const ms = performance.now() - t0;
  process.stdout.write(JSON.stringify({ maxRssMiB: process.resourceUsage().maxRSS / 1024, msgsPerSec: n / (ms / 1000) }) + '\n');
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

// ---- main ---------------------------------------------------------------------------------
function child(args: string[]): { lines: AsyncIterable<string>; kill(): void; done: Promise<string> } {
  const proc = spawn(process.execPath, ['--import', 'tsx', self, ...args], { stdio: ['ignore', 'pipe', 'inherit'], cwd: root });
  let out = '';
  const firstLine = new Promise<string>((resolve) =>
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')));
    }),
  );
  return {
    lines: (async function* () {
      yield await firstLine;
    })(),
    kill: () => proc.kill('SIGTERM'),
    done: firstLine,
  };
}

const lines: string[] = [];
const note = (s: string) => {
  lines.push(s);
  process.stderr.write(`${s}\n`);
};

const PREPARE_N = Number(process.env.BENCH_SEND_PREPARE ?? 100_000);
const RSS_N = Number(process.env.BENCH_SEND_RSS ?? 1_000_000);
const E2E_N = Number(process.env.BENCH_SEND_E2E ?? 2_000);
const OUTBOX_N = Number(process.env.BENCH_SEND_OUTBOX ?? 5_000);
const CONCURRENCY = 16;
/** Readers with a For you profile in the personalised prepare figure: a realistic share, most never vote. */
const FOR_YOU_SHARE = 0.3;

// 1. prepare only, and the naive per-subscriber render
{
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pb-bench-send-'));
  const config = parseConfig(baseConfig, 'bench');
  const store = await Store.open(`sqlite:${path.join(dir, 'b.db')}`);
  const { content, variants } = await editionAndVariants(store, config);
  const prepared = variants.map((v) => new PreparedMessage(sender, v));
  const size = prepared[0]!.build({ to: 'a@example.org', messageId: '<a@b>', date: new Date(), links: subscriberLinks(PUBLIC_URL, SECRET, 1, DOMAIN) }).length;
  prepareLoop(prepared, 0, 2000); // warm-up
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  prepareLoop(prepared, 0, PREPARE_N);
  const prepMs = performance.now() - t0;
  const prepCpu = process.cpuUsage(cpu0);
  const prepRate = PREPARE_N / (prepMs / 1000);
  const prepCpuRate = PREPARE_N / ((prepCpu.user + prepCpu.system) / 1e6);
  const env = loadEnvironment({ DATA_DIR: dir, PUBLIC_URL, MAIL_FROM });
  const NAIVE = 40;
  const t1 = performance.now();
  for (let i = 0; i < NAIVE; i++) {
    const v = await renderVariant(content, variants[i % variants.length]!.topics, viewOptionsOf(config, env));
    const links = subscriberLinks(PUBLIC_URL, SECRET, i, DOMAIN);
    const body = personalize(v, links);
    await buildMessage({
      from: FROM,
      to: `reader${i}@example.org`,
      subject: v.subject,
      text: body.text,
      html: body.html,
      messageId: stableMessageId(SECRET, DATE, i, DOMAIN),
      list: { ...sender.list, unsubscribeUrl: links.unsubscribe, unsubscribeMailto: links.unsubscribeMailto },
      date: new Date(),
    });
  }
  const naiveUs = ((performance.now() - t1) / NAIVE) * 1000;
  const prepUs = (prepMs / PREPARE_N) * 1000;
  note(
    `| prepare only (links + splice + MIME), ${PREPARE_N.toLocaleString('en')} readers over ${variants.length} variants, one core | ${Math.round(prepRate).toLocaleString('en')} msgs/s (${prepUs.toFixed(1)} µs each; ${(size / 1024).toFixed(0)} KB message); ${Math.round(prepCpuRate).toLocaleString('en')} per CPU-second | ≥ 10,000 msgs/s ${prepRate >= 10_000 ? '✓' : '✗'} |`,
  );
  note(
    `| naive: render the digest + personalize + MIME per reader (${NAIVE} readers) | ${naiveUs.toFixed(0)} µs each; prepared is ${Math.round(naiveUs / prepUs)}× cheaper | ≥ 300× ${naiveUs / prepUs >= 300 ? '✓' : '✗'} |`,
  );
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}

// 1b. prepare with For you on: a day of real papers, 30 % of the readers with a profile
{
  const rnd = random(11);
  const config = parseConfig(baseConfig, 'bench');
  const env = loadEnvironment({ DATA_DIR: os.tmpdir(), PUBLIC_URL, MAIL_FROM });
  const opts = viewOptionsOf(config, env);
  const content = labelledEdition(labelledPapers, DATE, rnd);
  const sections = content.sections.map((s) => s.topic);
  // every topic (the form's default), and 19 random choices of about half the topics
  const topicSets: string[][] = [[]];
  while (topicSets.length < 20) topicSets.push(sections.filter(() => rnd() < 0.5));
  const variants = [];
  for (const topics of topicSets) variants.push(await renderVariant(content, variantTopics(content, topics), opts));
  const prepared = variants.map((v) => new PreparedMessage(sender, v));
  // a profile: 3-12 votes of the last month, mostly "more" on papers of one human topic label
  const labels = [...new Set(labelledPapers.map((p) => p.label))];
  const text = (p: (typeof labelledPapers)[number]) => ({
    id: `2610.${p.id}`,
    title: p.title,
    abstract: p.abstract,
    authors: [],
    topics: [content.papers[p.id]!.primaryTopic],
  });
  // 3,000 distinct stored profiles, dealt to 30 % of the readers (parsed per reader, as the fan-out does)
  const pool = Array.from({ length: 3000 }, () => {
    const label = labels[Math.floor(rnd() * labels.length)]!;
    const liked = labelledPapers.filter((p) => p.label === label);
    const votes = Array.from({ length: 3 + Math.floor(rnd() * 10) }, () => {
      const more = rnd() < 0.8;
      const pool = more ? liked : labelledPapers;
      return {
        paper: text(pool[Math.floor(rnd() * pool.length)]!),
        vote: more ? ('more' as const) : ('less' as const),
        at: new Date(Date.parse(`${DATE}T06:00:00Z`) - rnd() * 30 * 86_400_000).toISOString(),
      };
    });
    return JSON.stringify(buildProfile({ votes, seeds: [] }, new Date(`${DATE}T05:00:00Z`), config.forYou.halfLifeDays));
  });
  const profiles = Array.from({ length: PREPARE_N }, () => (rnd() < FOR_YOU_SHARE ? pool[Math.floor(rnd() * pool.length)] : undefined));
  // the fan-out's work per reader: read the stored profile, score the day's papers, pick
  const chooser = new ForYouChooser(content, { size: config.forYou.size, halfLifeDays: config.forYou.halfLifeDays, at: `${DATE}T06:00:00.000Z` });
  const choices = new Map<string, string[]>();
  const keyOf: (string | undefined)[] = new Array(PREPARE_N);
  const cc0 = process.cpuUsage();
  const c0 = performance.now();
  for (let i = 0; i < PREPARE_N; i++) {
    const json = profiles[i];
    if (!json) continue;
    const ids = chooser.choose(parseProfile(json)!, variants[i % variants.length]!.topics);
    if (ids.length === 0) continue;
    const key = fragmentKey(ids);
    choices.set(key, ids);
    keyOf[i] = key;
  }
  const chooseMs = performance.now() - c0;
  const chooseCpu = process.cpuUsage(cc0);
  const chooseCpuMs = (chooseCpu.user + chooseCpu.system) / 1000;
  const withProfile = profiles.filter(Boolean).length;
  const withBlock = keyOf.filter(Boolean).length;
  const r0 = performance.now();
  const fragments = await new ForYouRenderer(content, opts).fragments([...choices.values()]);
  const renderMs = performance.now() - r0;
  const encoded = new Map(fragments.map((f) => [f.key, encodeFragment(f)]));
  const build = (i: number) =>
    prepared[i % prepared.length]!.build({
      to: `reader${i}@example.org`,
      messageId: stableMessageId(SECRET, DATE, i, DOMAIN),
      date: new Date(),
      links: subscriberLinks(PUBLIC_URL, SECRET, i, DOMAIN),
      forYou: keyOf[i] ? encoded.get(keyOf[i]!) : undefined,
    });
  for (let i = 0; i < 2000; i++) build(i); // warm-up
  let bytes = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < PREPARE_N; i++) bytes += build(i).length;
  const prepMs = performance.now() - t0;
  const prepCpu = process.cpuUsage(cpu0);
  const rate = PREPARE_N / (prepMs / 1000);
  // per core: the CPU the loop used, which a busy shared machine does not inflate as it does the wall clock
  const cpuRate = PREPARE_N / ((prepCpu.user + prepCpu.system) / 1e6);
  note(
    `| prepare with For you on (links, feedback token, For you block + MIME), ${PREPARE_N.toLocaleString('en')} readers over ${variants.length} variants of a ${labelledPapers.length}-paper day of real papers, ${((100 * withProfile) / PREPARE_N).toFixed(0)} % with a profile, ${((100 * withBlock) / PREPARE_N).toFixed(0)} % with a block: ${choices.size.toLocaleString('en')} distinct blocks, one core | ${Math.round(rate).toLocaleString('en')} msgs/s wall clock (${((prepMs / PREPARE_N) * 1000).toFixed(1)} µs each; ${(bytes / PREPARE_N / 1024).toFixed(0)} KB messages on average); ${Math.round(cpuRate).toLocaleString('en')} per CPU-second | ≥ 10,000 msgs/s/core ${cpuRate >= 10_000 ? '✓' : '✗'} |`,
  );
  note(
    `| For you in the fan-out: parse a stored profile, score the day's papers, pick 3 (${withProfile.toLocaleString('en')} readers with a profile) | ${((chooseCpuMs / withProfile) * 1000).toFixed(1)} µs of CPU per reader with a profile (${((chooseMs / withProfile) * 1000).toFixed(1)} µs wall clock), ${(chooseCpuMs / 1000).toFixed(2)} s of CPU for all ${PREPARE_N.toLocaleString('en')} readers | |`,
  );
  note(
    `| For you blocks: render the ${choices.size.toLocaleString('en')} distinct blocks (each paper's card compiled once, then joined) | ${(renderMs / 1000).toFixed(2)} s, ${((renderMs / choices.size) * 1000).toFixed(0)} µs per block | |`,
  );
}

// 2. 1,000,000 readers, peak RSS of a process doing only that
{
  const c = child(['--rss-child', String(RSS_N)]);
  const r = JSON.parse(await c.done) as { maxRssMiB: number; msgsPerSec: number };
  note(
    `| prepare ${RSS_N.toLocaleString('en')} readers in pages of 1,000 (child process) | peak RSS ${r.maxRssMiB.toFixed(0)} MiB, ${Math.round(r.msgsPerSec).toLocaleString('en')} msgs/s | < 300 MB ${r.maxRssMiB * 1.048576 < 300 ? '✓' : '✗'} |`,
  );
}

// 3. end to end through the stand-in, and the client CPU of v1 and v2
const standIn = await startStandInProcess();
const standInUrl = standIn.url;
const redis = await startRedis();
const postgres = await startPostgres();
try {
  const one = await (async () => {
    const prepared = new PreparedMessage(sender, {
      subject: 'x',
      text: 'Unsubscribe: %%PB_UNSUBSCRIBE_URL%%\n'.repeat(400),
      html: `<p>${'Words and more words. '.repeat(2800)}</p><a href="%%PB_UNSUBSCRIBE_URL%%">u</a>`,
    });
    return prepared.build({ to: 'reader@example.org', messageId: '<a@example.org>', date: new Date(), links: subscriberLinks(PUBLIC_URL, SECRET, 1, DOMAIN) });
  })();
  for (const [api, messenger] of [
    ['v1 @aws-sdk/client-ses SendRawEmail', new SesMessenger('v1', { region: 'eu-west-1', endpoint: standInUrl })],
    ['v2 @aws-sdk/client-sesv2 SendEmail (raw)', new SesMessenger('v2', { region: 'eu-west-1', endpoint: standInUrl })],
  ] as const) {
    const N = 1500;
    const envelope = { editionId: DATE, subscriberId: 1, to: 'reader@example.org', from: FROM.address, messageId: '<a@example.org>' };
    for (let i = 0; i < 100; i++) await messenger.send(one, envelope);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next++ < N) await messenger.send(one, envelope);
      }),
    );
    const cpu = process.cpuUsage(cpu0);
    const wall = performance.now() - t0;
    note(
      `| client CPU per message, ${api}, ${(one.length / 1024).toFixed(0)} KB raw message, ${N} sends | ${((cpu.user + cpu.system) / N).toFixed(0)} µs CPU (${Math.round(N / (wall / 1000))} msgs/s on one core) | |`,
    );
    await messenger.close();
  }

  const bare = async (raw: Buffer, n: number): Promise<number> => {
    const client = new SESClient({ region: 'eu-west-1', endpoint: standInUrl, maxAttempts: 1 });
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next++ < n)
          await client.send(new SendRawEmailCommand({ RawMessage: { Data: raw }, Source: FROM.address, Destinations: ['reader@example.org'] }));
      }),
    );
    client.destroy();
    return n / ((performance.now() - t0) / 1000);
  };

  const endToEnd = async (label: string, databaseUrl: string, transport: 'ses' | 'outbox', n: number) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pb-bench-e2e-'));
    const env = loadEnvironment(
      {
        DATA_DIR: dir,
        DATABASE_URL: databaseUrl,
        REDIS_URL: redis.url,
        QUEUE_PREFIX: `bench-${Date.now().toString(36)}`,
        SECRET_KEY: SECRET,
        PUBLIC_URL,
        MAIL_FROM,
        MAIL_TRANSPORT: transport,
        SES_REGION: 'eu-west-1',
        SES_ENDPOINT: standInUrl,
      },
      dir,
    );
    const config = parseConfig({ ...baseConfig, send: { batchSize: 200, ratePerSecond: 1_000_000, concurrency: CONCURRENCY, quotaLookup: false } }, 'bench');
    const store = await Store.open(env.databaseUrl);
    const queues = new Queues({ redisUrl: redis.url, prefix: env.queuePrefix });
    const app = benchApp({ config, env, store, queues, secretKey: SECRET, redisUrl: redis.url, configSource: 'bench' });
    const { variants } = await editionAndVariants(store, config);
    await addReaders(
      store,
      n,
      variants.map((v) => v.topics),
    );
    await fanOutEdition(app, DATE);
    const t0 = performance.now();
    const running = await startStages(app, ['send']);
    // a light poll: the edition row's status only, not its content
    while ((await kyselyOf(store).selectFrom('editions').select('status').where('id', '=', DATE).executeTakeFirst())?.status !== 'sent')
      await new Promise((r) => setTimeout(r, 50));
    const rate = n / ((performance.now() - t0) / 1000);
    await running.close();
    const raw = new PreparedMessage(sender, variants[0]!).build({
      to: 'reader@example.org',
      messageId: '<a@example.org>',
      date: new Date(),
      links: subscriberLinks(PUBLIC_URL, SECRET, 1, DOMAIN),
    });
    let bareRate: number;
    if (transport === 'ses') bareRate = await bare(raw, n);
    else {
      const folder = path.join(dir, 'bare');
      mkdirSync(folder);
      const t1 = performance.now();
      for (let i = 0; i < n; i++) {
        const file = path.join(folder, `${String(i).padStart(6, '0')}.eml`);
        writeFileSync(`${file}.tmp`, raw);
        renameSync(`${file}.tmp`, file);
      }
      bareRate = n / ((performance.now() - t1) / 1000);
    }
    const goal = transport === 'ses' ? 0.8 : 0.5;
    note(
      `| ${label}: ${n.toLocaleString('en')} readers, ${variants.length} variants, ${(raw.length / 1024).toFixed(0)} KB messages | ${Math.round(rate)} msgs/s vs bare ${transport === 'ses' ? `SDK SendRawEmail loop (${CONCURRENCY} in flight)` : 'write + rename loop'} ${Math.round(bareRate)} msgs/s = ${(rate / bareRate).toFixed(2)}× | ≥ ${goal}× ${rate / bareRate >= goal ? '✓' : '✗'} |`,
    );
    await queues.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  };

  await endToEnd(
    'send stage end to end through the SES stand-in, SQLite',
    `sqlite:${path.join(mkdtempSync(path.join(os.tmpdir(), 'pb-bench-db-')), 'b.db')}`,
    'ses',
    E2E_N,
  );
  if (postgres) {
    const { default: pg } = await import('pg');
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query('CREATE DATABASE bench_send');
    await admin.end();
    await endToEnd('send stage end to end through the SES stand-in, PostgreSQL', postgres.url.replace(/\/postgres$/, '/bench_send'), 'ses', E2E_N);
  }
  await endToEnd('outbox end to end, SQLite', `sqlite:${path.join(mkdtempSync(path.join(os.tmpdir(), 'pb-bench-db-')), 'b.db')}`, 'outbox', OUTBOX_N);
} finally {
  standIn.stop();
  await redis.stop();
  await postgres?.stop();
}

writeSection(
  'send',
  [
    '## Send (`npm run bench -- send`)',
    '',
    ...machineLines('SQLite (node:sqlite) and PostgreSQL 15'),
    '- one run each; sizes from `BENCH_SEND_PREPARE`, `BENCH_SEND_RSS`, `BENCH_SEND_E2E`, `BENCH_SEND_OUTBOX`',
    `- load average when the run ended: ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(', ')} on ${os.cpus().length} cores (absolute figures shrink on a busy machine; the ratios are measured in the same run)`,
    '',
    '| measurement | figure | goal |',
    '|---|---|---|',
    ...lines,
    '',
    'Notes:',
    "- The edition is 200 synthetic arXiv papers (the demo feed's items under fresh ids); its variants are real renders (react-email) with For you on (feedback links on every full card, the block's slot), as the shipped config sends them (the issue's real edition: 61 KB).",
    '- With For you on: the 186 real papers of test/fixtures/ranking/labelled-papers.json as one day, 20 variants (topic subsets), 30 % of the readers with a profile of 3–12 votes of the last month (80 % "more" on papers of one topic label); the choice is the fan-out\'s (src/personal/chooser.ts), the blocks the render stage\'s (src/render/forYou.ts). The per-reader choice is what the fan-out adds to each page of 1,000 readers (their profiles are read in one range query per page, not counted here).',
    "- The SES stand-in (test/harness/sesStandIn.ts) runs in a child process, so the client CPU figures are the SDK's and ours alone; `send.sesApi` defaults to the cheaper client.",
    '- End to end counts from the first send job to the edition settled: claim, build, send (16 in flight per batch, 2 batches per worker, one worker), record, with the Redis rate limiter set out of the way; the render and fan-out come before. The send stage uses its default client (v2) and up to 32 sends in flight; the bare loop is `SendRawEmail` (v1) with 16 in flight, so part of the lead over the bare loop is the cheaper client.',
  ].join('\n'),
);
