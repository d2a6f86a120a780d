/**
 * Steering an edition in flight: pause, resume, cancel, and resending to one reader.
 *
 * One rule for all of them: exit 0 when the edition is now in the state asked for, also when it
 * already was (pausing a paused edition); exit 1 when the request cannot apply to it (not built,
 * no papers, sent, cancelled), saying why and which command would help, the edition named as the
 * operator must name it (`--weekly` for a weekly one).
 */
import type { App } from '../../app.ts';
import { currentEditionDay } from '../../domain/time.ts';
import { editionFlags, editionId, type Edition, type EditionContent } from '../../domain/edition.ts';
import { addReaderDelivery, requeueOpenDeliveries } from '../../send/fanout.ts';
import { ensureWorkers } from '../operations.ts';
import { EXIT, output, parseDateOption, UsageError, waitFor, withApp } from '../runtime.ts';

interface EditionOptions {
  date?: string;
  weekly?: boolean;
}

type Verb = 'pause' | 'resume' | 'cancel' | 'resend';

const cmd = (e: { kind: 'daily' | 'weekly'; date: string }, verb: string, extra = '') => `\`paperboy edition ${verb} ${editionFlags(e)}${extra}\``;

/** The edition the options name, when it can be steered at all (built, with papers). */
async function editionOf(app: App, opts: EditionOptions, verb: Verb): Promise<Edition> {
  const named = {
    kind: opts.weekly ? ('weekly' as const) : ('daily' as const),
    date: parseDateOption(opts.date) ?? currentEditionDay(app.clock.now(), app.config.edition),
  };
  const id = editionId(named.kind, named.date);
  const edition = await app.store.editions.get(id);
  if (!edition) throw new UsageError(`edition ${id} has not been built: there is nothing to ${verb}; build it with ${cmd(named, 'build')}`);
  if (edition.status === 'empty') {
    throw new UsageError(
      `edition ${id} had no papers, so it goes to nobody: there is nothing to ${verb}; once papers are ingested, build it again with ${cmd(edition, 'build', ' --force')}`,
    );
  }
  return edition;
}

/** A cancelled or sent edition, which no steering changes any more (resend to one reader aside). */
function settled(e: Edition, verb: Verb): UsageError | undefined {
  const show = `see what was sent with ${cmd(e, 'show')}`;
  if (e.cancelledAt) {
    if (verb === 'resume') return new UsageError(`edition ${e.id} was cancelled at ${e.cancelledAt}: a cancelled edition cannot be resumed; ${show}`);
    if (verb === 'resend') return new UsageError(`edition ${e.id} was cancelled at ${e.cancelledAt}: it goes to nobody, not even one reader; ${show}`);
    return new UsageError(`edition ${e.id} was cancelled at ${e.cancelledAt}: there is nothing to ${verb}; ${show}`);
  }
  if (e.status === 'sent' && verb !== 'resend') {
    const help = verb === 'cancel' ? show : `to send it to one reader again: ${cmd(e, 'resend', ' --to EMAIL')}`;
    return new UsageError(`edition ${e.id} was sent at ${e.sentAt ?? 'an earlier run'}: there is nothing to ${verb}; ${help}`);
  }
  return undefined;
}

async function counts(app: App, id: string) {
  return app.store.deliveries.countByStatus(id);
}

async function progress(app: App, id: string): Promise<string> {
  const c = await counts(app, id);
  return `${c.sent} sent, ${c.pending + c.sending} to go, ${c.failed} failed, ${c.skipped} skipped`;
}

/** Reads the edition again when a change found it settled meanwhile (a sender finished it, another operator cancelled it). */
async function settledMeanwhile(app: App, e: Edition, verb: Verb): Promise<UsageError> {
  const now = (await app.store.editions.get(e.id)) ?? e;
  return settled(now, verb) ?? new UsageError(`edition ${e.id} changed while it was being steered: look at it with ${cmd(e, 'show')} and try again`);
}

export async function editionPause(opts: EditionOptions): Promise<void> {
  process.exitCode = await withApp(async (app) => {
    const e = await editionOf(app, opts, 'pause');
    const refused = settled(e, 'pause');
    if (refused) throw refused;
    const resume = `Resume with ${cmd(e, 'resume')}`;
    if (e.paused) {
      output.line(`edition ${e.id} is paused already (since ${e.paused.at}: ${e.paused.reason}). ${resume}`);
      return EXIT.ok;
    }
    if (!(await app.store.editions.pause(e.id, 'paused by the operator (paperboy edition pause)', app.clock.now().toISOString())))
      throw await settledMeanwhile(app, e, 'pause');
    if (e.status === 'frozen') output.line(`edition ${e.id}: paused before it was sent: nothing goes out until ${cmd(e, 'resume')}`);
    else output.line(`edition ${e.id}: paused; every send worker stops within about a second (${await progress(app, e.id)}). ${resume}`);
    return EXIT.ok;
  });
}

export async function editionResume(opts: EditionOptions): Promise<void> {
  process.exitCode = await withApp(async (app) => {
    const e = await editionOf(app, opts, 'resume');
    const refused = settled(e, 'resume');
    if (refused) throw refused;
    if (!e.paused) {
      if (e.status === 'frozen') output.line(`edition ${e.id} is not paused (not sent yet); send it with ${cmd(e, 'send')}`);
      else output.line(`edition ${e.id} is not paused (${e.status}: ${await progress(app, e.id)})`);
      return EXIT.ok;
    }
    if (!(await app.store.editions.resume(e.id, app.clock.now().toISOString()))) {
      output.line(`edition ${e.id} is not paused (resumed meanwhile: ${await progress(app, e.id)})`);
      return EXIT.ok;
    }
    // the deferred batches come back by themselves; batches Redis lost are queued again
    const requeued = e.fanoutDone ? await requeueOpenDeliveries(app, e.id) : 0;
    const unsent = e.status === 'frozen' ? `; it is not sent yet: send it with ${cmd(e, 'send')}` : '';
    output.line(
      `edition ${e.id}: resumed (it was paused: ${e.paused.reason}); ${await progress(app, e.id)}${requeued ? `; ${requeued} batch(es) queued again` : ''}${unsent}`,
    );
    return EXIT.ok;
  });
}

const deliveries = (n: number) => `${n} ${n === 1 ? 'delivery' : 'deliveries'}`;
const were = (n: number) => `${n} ${n === 1 ? 'was' : 'were'}`;

export async function editionCancel(opts: EditionOptions): Promise<void> {
  process.exitCode = await withApp(async (app) => {
    const e = await editionOf(app, opts, 'cancel');
    if (e.cancelledAt) {
      const c = await counts(app, e.id);
      output.line(`edition ${e.id} was cancelled already at ${e.cancelledAt}: ${deliveries(c.skipped)} not sent were skipped, ${were(c.sent)} sent before`);
      return EXIT.ok;
    }
    const refused = settled(e, 'cancel');
    if (refused) throw refused;
    const now = app.clock.now().toISOString();
    if (!(await app.store.editions.cancel(e.id, now))) throw await settledMeanwhile(app, e, 'cancel');
    // what a sender holds now is settled by that sender: it stops within about a second
    const skipped = await app.store.deliveries.skipPending(e.id, 'the edition was cancelled', now);
    await app.store.editions.markSentIfSettled(e.id, now);
    const c = await counts(app, e.id);
    if (e.status === 'frozen' && c.sent + c.sending + c.failed === 0) {
      output.line(`edition ${e.id}: cancelled before it was sent: it goes to nobody`);
      return EXIT.ok;
    }
    const inFlight = c.sending > 0 ? `; ${c.sending} in flight are settled by their senders within about a second` : '';
    // the fan-out looks before each page of readers: those it has not reached yet get no delivery
    const unreached = e.fanoutDone ? '' : '; readers not reached yet get none';
    output.line(
      `edition ${e.id}: cancelled; ${deliveries(skipped)} not sent yet are skipped, ${were(c.sent)} sent before${inFlight}${unreached}. See ${cmd(e, 'show')}`,
    );
    return EXIT.ok;
  });
}

export async function editionResend(opts: EditionOptions & { to: string }): Promise<void> {
  process.exitCode = await withApp(async (app) => {
    if (!opts.date) throw new UsageError('--date is required: the edition to send again, e.g. --date 2026-11-26');
    const e = await editionOf(app, opts, 'resend');
    const refused = settled(e, 'resend');
    if (refused) throw refused;
    // its batch would wait for the pause: this command would hang until it is resumed
    if (e.paused)
      throw new UsageError(`edition ${e.id} is paused (${e.paused.reason}): a resend would wait for the pause; resume it first with ${cmd(e, 'resume')}`);
    const subscriber = await app.store.subscribers.getByEmail(opts.to);
    if (!subscriber) throw new UsageError(`${opts.to} is not a subscriber (see \`paperboy subscribers list\`)`);
    if (subscriber.status !== 'confirmed') throw new UsageError(`${opts.to} is ${subscriber.status}: only confirmed subscribers are sent editions`);
    const suppression = await app.store.suppressions.get(opts.to);
    if (suppression)
      throw new UsageError(
        `${opts.to} is on the suppression list (${suppression.reason}${suppression.detail ? `: ${suppression.detail}` : ''}): mailing it again would hurt the sender's reputation`,
      );
    const now = app.clock.now().toISOString();
    if (!(await app.store.deliveries.reopen(e.id, subscriber.id, now))) {
      const open = await app.store.deliveries.get(e.id, subscriber.id);
      if (open) throw new UsageError(`${opts.to}'s delivery of edition ${e.id} is still ${open.status}: it goes out with the edition; see ${cmd(e, 'show')}`);
      // no delivery at all: they subscribed (or confirmed) after the edition was fanned out
      if ((await addReaderDelivery(app, e, subscriber)) === 'no-sections') {
        throw new UsageError(
          `edition ${e.id} has no section in the topics of ${opts.to} (${subscriber.topics.join(', ') || 'every topic'}): there is no message to send them; its sections: ${e.content.sections.map((s) => s.topic).join(', ')}`,
        );
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
