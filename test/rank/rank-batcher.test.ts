import { describe, expect, it } from 'vitest';
import { Ranker } from '../../src/rank/ranker.ts';
import { RankBatcher } from '../../src/rank/batcher.ts';
import { storeObservations } from '../../src/ingest/storeObservations.ts';
import type { PaperObservation } from '../../src/domain/paper.ts';
import { arxivObservation } from '../harness/papers.ts';
import { shippedConfig, testApp } from '../harness/index.ts';

function obs(i: number): PaperObservation {
  return arxivObservation(`2611.${String(40000 + i)}`, {
    title: `Sparse attention for language models, part ${i}`,
    abstract: 'We pretrain large language models with sparse attention.',
    links: {},
  });
}

describe('RankBatcher', () => {
  it('ranks the papers of concurrent jobs in one call, and answers each job with its own paper', async () => {
    const app = await testApp({ config: { ...shippedConfig(), sources: [] } });
    await storeObservations(
      app.store,
      Array.from({ length: 30 }, (_, i) => obs(i)),
      '2026-11-26T02:00:00.000Z',
    );
    const ranker = new Ranker(app.store, app.config);
    const calls: number[] = [];
    const original = ranker.rankMany.bind(ranker);
    ranker.rankMany = (ids, now) => {
      calls.push(ids.length);
      return original(ids, now);
    };
    const batcher = new RankBatcher(ranker, 25, 5);
    const ids = Array.from({ length: 30 }, (_, i) => obs(i).keys.arxivId!);
    const outcomes = await Promise.all([...ids, '2611.99999'].map((id) => batcher.rank(id)));
    expect(calls).toEqual([25, 6]);
    expect(outcomes.slice(0, 30).map((o) => o?.paper.id)).toEqual(ids);
    expect(outcomes[30]).toBeUndefined();
    // what each job was answered is what was stored
    const stored = (await app.store.papers.get(ids[0]!))!;
    expect(stored).toMatchObject({ primaryTopic: outcomes[0]!.primaryTopic, score: outcomes[0]!.score, editionDate: '2026-11-26' });
  });
});
