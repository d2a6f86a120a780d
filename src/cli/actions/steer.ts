/** Steering an edition in flight: pause, resume, cancel, and resending to one reader. */
import type { App } from '../../app.ts';
import { currentEditionDay } from '../../rank/calendar.ts';
import { editionId, type EditionContent } from '../../rank/edition.ts';
import { addReaderDelivery, requeueOpenDeliveries } from '../../render/processor.ts';
import { ensureWorkers } from '../operations.ts';
import { EXIT, output, parseDateOption, UsageError, waitFor, withApp } from '../runtime.ts';

interface EditionOptions {
  date?: string;
  weekly?: boolean;
}

async function editionOf(app: App, opts: EditionOptions) {
  const date = parseDateOption(opts.date) ?? currentEditionDay(new Date(), app.config.edition);
  const id = editionId(opts.weekly ? 'weekly' : 'daily', date);
  const edition = await app.store.editions.get<EditionContent>(id);
  if (!edition) throw new UsageError(`edition ${id} has not been built: there is nothing to steer (see \`paperboy edition build --date ${date}\`)`);
  return edition;
}

async function progress(app: App, id: string): Promise<string> {
  const c = await app.store.deliveries.countByStatus(id);
  return `${c.sent} sent, ${c.pending + c.sending} to go, ${c.failed} failed, ${c.skipped} skipped`;
}

export async function editionPause(opts: EditionOptions): Promise<void> {
  process.exitCode = await withApp(async (app) => {
    const e = await editionOf(app, opts);
    if (e.cancelledAt) throw new UsageError(`edition ${e.id} was cancelled at ${e.cancelledAt}: there is nothing to pause`);
    if (e.status === 'sent' || e.status === 'empty') throw new UsageError(`edition ${e.id} is already ${e.status}: there is nothing to pause`);
    if (!(await app.store.editions.pause(e.id, 'paused by the operator (paperboy edition pause)', new Date().toISOString()))) throw new UsageError(`edition ${e.id} could not be paused (it settled meanwhile)`);
    output.line(`edition ${e.id}: paused; every send worker stops within about a second (${await progress(app, e.id)}). Resume with \`paperboy edition resume --date ${e.date}${e.kind === 'weekly' ? ' --weekly' : ''}\``);
    return EXIT.ok;
  });
}

export async function editionResume(opts: EditionOptions): Promise<void> {
  process.exitCode = await withApp(async (app) => {
    const e = await editionOf(app, opts);
    if (!e.paused) {
      output.line(`edition ${e.id} is not paused (${e.status}; ${await progress(app, e.id)})`);
      return EXIT.ok;
    }
    await app.store.editions.resume(e.id, new Date().toISOString());
    // the deferred batches come back by themselves; batches Redis lost are queued again
    const requeued = e.fanoutDone ? await requeueOpenDeliveries(app, e.id) : 0;
    output.line(`edition ${e.id}: resumed (it was paused: ${e.paused.reason}); ${await progress(app, e.id)}${requeued ? `; ${requeued} batch(es) queued again` : ''}`);
    return EXIT.ok;
  });
}

export async function editionCancel(opts: EditionOptions): Promise<void> {
  process.exitCode = await withApp(async (app) => {
    const e = await editionOf(app, opts);
    const now = new Date().toISOString();
    if (!(await app.store.editions.cancel(e.id, now))) throw new UsageError(`edition ${e.id} is ${e.cancelledAt ? 'cancelled already' : e.status}: there is nothing to cancel`);
    // what a sender holds now is settled by that sender: it stops within about a second
    const skipped = await app.store.deliveries.skipPending(e.id, 'the edition was cancelled', now);
    await app.store.editions.markSentIfSettled(e.id, now);
    output.line(`edition ${e.id}: cancelled; ${skipped} pending deliveries skipped (${await progress(app, e.id)})`);
    return EXIT.ok;
  });
}

export async function editionResend(opts: EditionOptions & { to: string }): Promise<void> {
  process.exitCode = await withApp(async (app) => {
    if (!opts.date) throw new UsageError('--date is required: the edition to send again, e.g. --date 2026-11-26');
    const e = await editionOf(app, opts);
    if (e.cancelledAt) throw new UsageError(`edition ${e.id} was cancelled: it is not sent to anyone`);
    if (e.status === 'empty') throw new UsageError(`edition ${e.id} had no papers: there is nothing to send`);
    const subscriber = await app.store.subscribers.getByEmail(opts.to);
    if (!subscriber) throw new UsageError(`${opts.to} is not a subscriber (see \`paperboy subscribers list\`)`);
    if (subscriber.status !== 'confirmed') throw new UsageError(`${opts.to} is ${subscriber.status}: only confirmed subscribers are sent editions`);
    const suppression = await app.store.suppressions.get(opts.to);
    if (suppression) throw new UsageError(`${opts.to} is on the suppression list (${suppression.reason}${suppression.detail ? `: ${suppression.detail}` : ''}): mailing it again would hurt the sender's reputation`);
    const now = new Date().toISOString();
    if (!(await app.store.deliveries.reopen(e.id, subscriber.id, now))) {
      const open = await app.store.deliveries.get(e.id, subscriber.id);
      if (open) throw new UsageError(`${opts.to}'s delivery of edition ${e.id} is still ${open.status}: it goes out with the edition (see \`paperboy edition show --date ${e.date}\`)`);
      // no delivery at all: they subscribed (or confirmed) after the edition was fanned out
      if ((await addReaderDelivery(app, e, subscriber)) === 'no-sections') {
        throw new UsageError(`edition ${e.id} has no section in the topics of ${opts.to} (${subscriber.topics.join(', ') || 'every topic'}): there is no message to send them; its sections: ${e.content.sections.map((s) => s.topic).join(', ')}`);
      }
    }
    await app.queues.addSendBatch({ editionId: e.id, fromId: subscriber.id, toId: subscriber.id }, { again: `resend-${Date.now().toString(36)}` });
    const running = await ensureWorkers(app, ['send']);
    try {
      const status = await waitFor(
        async () => {
          const row = await app.store.deliveries.get(e.id, subscriber.id);
          return row && row.status !== 'pending' && row.status !== 'sending' ? row : undefined;
        },
        { what: `the resend to ${opts.to}`, timeoutMs: 10 * 60_000 },
      );
      output.line(`edition ${e.id} to ${opts.to}: ${status.status}${status.error ? ` (${status.error})` : ''}`);
      return status.status === 'sent' ? EXIT.ok : EXIT.failed;
    } finally {
      await running.close();
    }
  });
}
