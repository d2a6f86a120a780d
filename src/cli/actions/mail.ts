/** The body of `mail test`. */
import { checkAddress } from '../../mail/address.ts';
import { openQueueEvents, QUEUE } from '../../queues/index.ts';
import type { MailOutcome } from '../../send/transactional.ts';
import { ensureWorkers } from '../operations.ts';
import { EXIT, output, UsageError, withApp } from '../runtime.ts';

export async function mailTest(opts: { to: string }): Promise<void> {
  process.exitCode = await withApp(async (app) => {
    const address = checkAddress(opts.to);
    if (!address.ok) throw new UsageError(`--to: ${address.reason}`);
    const events = openQueueEvents(app.queues.settings, QUEUE.mail);
    const running = await ensureWorkers(app, ['mail']);
    try {
      await events.waitUntilReady();
      const job = await app.queues.addMail({ kind: 'test', to: address.email }, { once: true });
      let outcome: MailOutcome;
      try {
        outcome = (await job.waitUntilFinished(events, 120_000)) as MailOutcome;
      } catch (err) {
        output.line(`not sent to ${address.email} through ${app.env.mailTransport}: ${(err as Error).message}`);
        return EXIT.failed;
      }
      if (!outcome.sent) {
        output.line(`not sent to ${address.email}: ${outcome.reason}`);
        return EXIT.failed;
      }
      output.line(`sent a test message to ${outcome.to} through ${app.env.mailTransport} (${outcome.providerId})`);
      return EXIT.ok;
    } finally {
      await running.close();
      await events.close();
    }
  });
}
