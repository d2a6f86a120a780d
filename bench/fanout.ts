/**
 * The render stage's fan-out alone (`node --import tsx bench/fanout.ts [READERS]`): an edition
 * of ~200 papers whose 20 variants are already rendered, READERS confirmed readers (default
 * 20,000) spread over those 20 topic sets, SQLite and a private Redis. Prints the median wall
 * time and process CPU of `fanOutEdition` over 5 runs, and the per-reader cost of working out
 * a reader's variant (sections + key) on its own. Not a suite of `npm run bench`: it measures
 * one change (the variant worked out once per topic set, not per reader) and writes nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadEnvironment, parseConfig } from '../src/config/load.ts';
import { topicSetKey } from '../src/domain/readerChoice.ts';
import { Store, kyselyOf } from '../src/db/store.ts';
import { Queues } from '../src/queues/index.ts';
import { fanOutEdition } from '../src/send/fanout.ts';
import { variantKey, variantTopics } from '../src/render/renderVariant.ts';
import { VariantStore } from '../src/render/variants.ts';
import { startRedis } from '../test/harness/servers.ts';
import { addReaders, baseConfig, benchEdition, DATE, MAIL_FROM, PUBLIC_URL, SECRET } from './edition.ts';
import { median, benchApp } from './lib.ts';

const READERS = Number(process.argv[2] ?? 20_000);
const RUNS = 5;

const dir = mkdtempSync(path.join(os.tmpdir(), 'pb-bench-fanout-'));
const redis = await startRedis();
const env = loadEnvironment(
  { DATA_DIR: dir, DATABASE_URL: `sqlite:${path.join(dir, 'b.db')}`, REDIS_URL: redis.url, SECRET_KEY: SECRET, PUBLIC_URL, MAIL_FROM },
  dir,
);
const config = parseConfig({ ...baseConfig, send: { batchSize: 1000 } }, 'bench');
const store = await Store.open(env.databaseUrl);
try {
  const { content, topicSets: sets } = await benchEdition(store, config);
  await addReaders(store, READERS, sets);
  const raw = sets.length === 0 ? [] : Array.from({ length: READERS }, (_, i) => topicSetKey(sets[i % sets.length]!));

  const walls: number[] = [];
  const cpus: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    // a fresh fan-out each run: no deliveries, cursor at 0, fresh queues
    await kyselyOf(store).deleteFrom('deliveries').execute();
    await kyselyOf(store).updateTable('editions').set({ fanout_cursor: 0, fanout_done: 0, status: 'frozen', sent_at: null }).where('id', '=', DATE).execute();
    const queues = new Queues({ redisUrl: redis.url, prefix: `bench-fanout-${run}-${Date.now().toString(36)}` });
    const app = benchApp({ config, env, store, queues, secretKey: SECRET, redisUrl: redis.url, configSource: 'bench' });
    // the variants are rendered before the clock starts: only the fan-out is measured
    const variants = new VariantStore(app, (await store.editions.get(DATE))!);
    for (const topics of sets) await variants.ensure(variantTopics(content, topics));
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const out = await fanOutEdition(app, DATE);
    walls.push(performance.now() - t0);
    const cpu = process.cpuUsage(cpu0);
    cpus.push((cpu.user + cpu.system) / 1000);
    if (out.recipients !== READERS) throw new Error(`fanned out ${out.recipients} of ${READERS} readers`);
    await queues.close();
  }

  // the per-reader work on its own: sections and key per reader, against once per topic set
  const perReader = (): number => {
    const t = performance.now();
    let n = 0;
    for (const key of raw) n += variantKey(variantTopics(content, key === '' ? [] : key.split(','))).length;
    if (n === 0) throw new Error('unreachable');
    return ((performance.now() - t) * 1000) / raw.length;
  };
  const perSet = (): number => {
    const t = performance.now();
    const memo = new Map<string, string>();
    let n = 0;
    for (const key of raw) {
      let k = memo.get(key);
      if (k === undefined) memo.set(key, (k = variantKey(variantTopics(content, key === '' ? [] : key.split(',')))));
      n += k.length;
    }
    if (n === 0) throw new Error('unreachable');
    return ((performance.now() - t) * 1000) / raw.length;
  };
  const each = median(Array.from({ length: RUNS }, perReader));
  const once = median(Array.from({ length: RUNS }, perSet));
  process.stdout.write(
    [
      `fan-out of ${READERS.toLocaleString('en')} readers over ${sets.length} topic sets (SQLite, batchSize 1000), median of ${RUNS}: ${median(walls).toFixed(0)} ms wall, ${median(cpus).toFixed(0)} ms process CPU (runs: ${walls.map((w) => w.toFixed(0)).join(', ')} ms)`,
      `a reader's variant (sections + SHA-1 key): ${each.toFixed(2)} µs per reader worked out each time, ${once.toFixed(2)} µs per reader memoized per topic set`,
      `load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores`,
    ].join('\n') + '\n',
  );
} finally {
  await store.close();
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
}
