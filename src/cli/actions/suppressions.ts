/** The bodies of the `suppressions` commands. */
import type { SuppressionReason } from '../../db/index.ts';
import { checkAddress } from '../../mail/address.ts';
import { suppressAddress } from '../../send/feedback.ts';
import { EXIT, output, UsageError, withData } from '../runtime.ts';

const REASONS: readonly SuppressionReason[] = ['manual', 'bounce', 'complaint', 'rejected', 'unsubscribe'];

function checkEmail(email: string): string {
  const checked = checkAddress(email);
  if (!checked.ok) throw new UsageError(`"${email}" is not an email address: ${checked.reason}`);
  return checked.email;
}

export async function suppressionsList(opts: { json?: boolean }): Promise<void> {
  process.exitCode = await withData(async (app) => {
    let n = 0;
    if (opts.json) process.stdout.write('[');
    for await (const s of app.store.suppressions.iterate()) {
      if (opts.json)
        process.stdout.write(
          `${n === 0 ? '\n  ' : ',\n  '}${JSON.stringify({ email: s.email, reason: s.reason, detail: s.detail ?? null, createdAt: s.createdAt })}`,
        );
      else output.line(`${s.email}  ${s.reason.padEnd(11)}  ${s.createdAt}${s.detail ? `  ${s.detail}` : ''}`);
      n++;
    }
    if (opts.json) process.stdout.write(n === 0 ? ']\n' : '\n]\n');
    else {
      const counts = await app.store.suppressions.count();
      output.note(
        `${n} suppressed address(es)${
          n
            ? `: ${REASONS.filter((r) => counts[r] > 0)
                .map((r) => `${counts[r]} ${r}`)
                .join(', ')}`
            : ''
        }`,
      );
    }
    return EXIT.ok;
  });
}

export async function suppressionsAdd(email: string, opts: { reason: string; detail?: string }): Promise<void> {
  process.exitCode = await withData(async (app) => {
    const address = checkEmail(email);
    if (!REASONS.includes(opts.reason as SuppressionReason)) throw new UsageError(`--reason "${opts.reason}": use one of ${REASONS.join(', ')}`);
    const existing = await app.store.suppressions.get(address);
    if (existing) {
      output.line(`${address} is already suppressed (${existing.reason} since ${existing.createdAt}): nothing changed`);
      return EXIT.ok;
    }
    await suppressAddress(app.store, address, opts.reason as SuppressionReason, opts.detail, app.clock.now().toISOString());
    const subscriber = await app.store.subscribers.getByEmail(address);
    output.line(`suppressed ${address} (${opts.reason})${subscriber ? `; subscriber status: ${subscriber.status}` : ''}`);
    return EXIT.ok;
  });
}

export async function suppressionsRemove(email: string): Promise<void> {
  process.exitCode = await withData(async (app) => {
    const address = checkEmail(email);
    const existing = await app.store.suppressions.get(address);
    if (!existing) throw new UsageError(`${address} is not on the suppression list: see \`paperboy suppressions list\``);
    await app.store.suppressions.remove(address);
    const subscriber = await app.store.subscribers.getByEmail(address);
    let note = '';
    if (subscriber?.status === 'suppressed') {
      // someone who never confirmed goes back to pending: removing a bounce is no opt-in
      const status = subscriber.confirmedAt ? 'confirmed' : 'pending';
      await app.store.subscribers.setStatus(subscriber.id, status, app.clock.now().toISOString());
      note = `; subscriber is ${status} again`;
    } else if (subscriber) {
      note = `; subscriber stays ${subscriber.status}`;
    }
    output.line(`removed ${address} from the suppression list (was ${existing.reason})${note}`);
    return EXIT.ok;
  });
}
