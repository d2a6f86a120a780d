/**
 * Transactional emails (one reader, one message, not part of an edition): what each says.
 * The look is the digest's; the links are complete (no placeholders), since each is rendered
 * for one reader.
 */
import { wrap } from '../../templates/email/digestText.ts';
import type { TransactionalView } from '../../templates/email/Transactional.tsx';
import type { ViewOptions } from '../../templates/email/view.ts';

export type TransactionalMessage =
  | { kind: 'confirm'; confirmUrl: string; topics: string[]; frequency: 'daily' | 'weekly' }
  | { kind: 'welcome'; preferencesUrl: string; unsubscribeUrl: string; topics: string[]; frequency: 'daily' | 'weekly' }
  | {
      kind: 'preferences-changed';
      preferencesUrl: string;
      unsubscribeUrl: string;
      topics: string[];
      /** The sections the reader put first, in order; empty or absent: by the day's best paper. */
      sectionOrder?: string[];
      frequency: 'daily' | 'weekly';
      deliveryHour: number;
      timezone: string;
      pausedUntil?: string;
    }
  | { kind: 'test'; transport: string };

export interface RenderedMail {
  subject: string;
  html: string;
  text: string;
}

function lines(msg: TransactionalMessage, opts: ViewOptions): Omit<TransactionalView, 'listName' | 'postalAddress'> {
  const topics = (t: string[]) => (t.length === 0 ? 'all topics' : t.join(', '));
  switch (msg.kind) {
    case 'confirm':
      return {
        subject: `Confirm your subscription to ${opts.listName}`,
        heading: 'Confirm your subscription',
        paragraphs: [`Someone, probably you, asked to receive ${opts.listName} (${msg.frequency}, ${topics(msg.topics)}) at this address.`, 'Confirm with the button below. If it was not you, ignore this email: nothing will be sent.'],
        action: { label: 'Confirm subscription', href: msg.confirmUrl },
        footerLinks: [],
      };
    case 'welcome':
      return {
        subject: `Welcome to ${opts.listName}`,
        heading: 'You are subscribed',
        paragraphs: [`You will get the ${msg.frequency} email for ${topics(msg.topics)}.`, 'The next edition will reach you at your delivery hour.'],
        action: { label: 'Choose topics and delivery time', href: msg.preferencesUrl },
        footerLinks: [{ label: 'Unsubscribe', href: msg.unsubscribeUrl }],
      };
    case 'preferences-changed':
      return {
        subject: `Your ${opts.listName} preferences were changed`,
        heading: 'Your preferences were changed',
        paragraphs: [
          `Your preferences are now: ${msg.frequency}, ${topics(msg.topics)}${msg.sectionOrder?.length ? ` (first: ${msg.sectionOrder.join(', ')})` : ''}, at ${String(msg.deliveryHour).padStart(2, '0')}:00 ${msg.timezone}${msg.pausedUntil ? `, paused until ${msg.pausedUntil}` : ''}.`,
          'If you did not change them, review them with the button below.',
        ],
        action: { label: 'Review preferences', href: msg.preferencesUrl },
        footerLinks: [{ label: 'Unsubscribe', href: msg.unsubscribeUrl }],
      };
    case 'test':
      return { subject: `${opts.listName}: test message`, heading: 'Test message', paragraphs: [`This test message went out through the ${msg.transport} transport.`], footerLinks: [] };
  }
}

function transactionalText(view: TransactionalView): string {
  const out = [view.heading, '', ...view.paragraphs.flatMap((p) => [wrap(p), ''])];
  if (view.action) out.push(`${view.action.label}:`, view.action.href, '');
  for (const f of view.footerLinks) out.push(`${f.label}:`, f.href, '');
  out.push('-- ', view.postalAddress ? `${view.listName} · ${view.postalAddress}` : view.listName);
  return `${out.join('\n')}\n`;
}

/** Renders one transactional email, HTML (through MJML, as the digest) and plain text. */
export async function renderTransactional(msg: TransactionalMessage, opts: ViewOptions): Promise<RenderedMail> {
  const view: TransactionalView = { ...lines(msg, opts), listName: opts.listName, postalAddress: opts.postalAddress };
  const [{ createElement }, { Transactional }, { compileEmail }] = await Promise.all([import('react'), import('../../templates/email/Transactional.tsx'), import('../../templates/email/mjml.ts')]);
  const { html } = await compileEmail(createElement(Transactional, { view }));
  return { subject: view.subject, html, text: transactionalText(view) };
}
