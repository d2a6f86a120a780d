/** One pino logger for every process: JSON lines with LOG_FORMAT=json, carrying the ids of the work. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.ts';
import { QUEUE } from '../../src/queues/index.ts';
import { makeWorker } from '../../workers/shared.ts';
import { testApp } from '../harness/index.ts';

describe('logs', () => {
  it('LOG_FORMAT=json: one JSON object a line, with time, level, message, fields and child bindings; LOG_LEVEL filters', () => {
    const lines: string[] = [];
    const log = createLogger({ process: 'worker' }, { format: 'json', level: 'info', write: (l) => lines.push(l) });
    log.child({ edition: '2026-11-26' }).warn('edition paused', { reason: new Error('bounce rate 6 %') });
    log.debug('not shown at info');
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!);
    expect(entry).toMatchObject({ level: 'warn', msg: 'edition paused', process: 'worker', edition: '2026-11-26', reason: 'bounce rate 6 %' });
    expect(new Date(entry.time).toISOString()).toBe(entry.time);
  });

  it('logfmt by default, for people', () => {
    const lines: string[] = [];
    createLogger({}, { format: 'logfmt', write: (l) => lines.push(l) }).info('source ingested', { source: 'arxiv cs.AI', new: 3 });
    expect(lines[0]).toMatch(/^\S+Z info  source ingested source="arxiv cs\.AI" new=3$/);
  });

  it('a failed send batch is logged with its queue, job, edition and batch ids', async () => {
    const lines: string[] = [];
    const app = await testApp();
    const logged = { ...app, log: createLogger({}, { format: 'json', level: 'info', write: (l) => lines.push(l) }) };
    const worker = makeWorker(logged, QUEUE.send, async () => {
      throw new Error('SES said 454 Throttling');
    });
    try {
      const job = await app.queues.get(QUEUE.send).add('send', { editionId: '2026-11-26', fromId: 101, toId: 200 }, { attempts: 1, jobId: `send-${randomBytes(3).toString('hex')}` });
      await expect.poll(() => lines.length, { timeout: 15_000 }).toBeGreaterThan(0);
      expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'warn', msg: 'job failed', queue: 'send', job: job.id, edition: '2026-11-26', batch: '101-200', error: 'SES said 454 Throttling' });
    } finally {
      await worker.close();
    }
  });
});
