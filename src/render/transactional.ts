/**
 * Transactional emails (one reader, one message, not part of an edition): what each says.
 * The look is the digest's; the links are complete (no placeholders), since each is rendered
 * for one reader.
 */
import { escapeHtml } from '../mail/placeholders.ts';
import type { ViewOptions } from '../../templates/email/view.ts';

export type TransactionalMessage =
  | { kind: 'confirm'; confirmUrl: string; topics: string[]; frequency: 'daily' | 'weekly' }
  | { kind: 'welcome'; preferencesUrl: string; unsubscribeUrl: string; topics: string[]; frequency: 'daily' | 'weekly' }
  | {
      kind: 'preferences-changed';
      preferencesUrl: string;
      unsubscribeUrl: string;
      topics: string[];
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

function lines(msg: TransactionalMessage, opts: ViewOptions): { subject: string; paragraphs: string[]; link?: { label: string; href: string }; footer: { label: string; href: string }[] } {
  const topics = (t: string[]) => (t.length === 0 ? 'all topics' : t.join(', '));
  switch (msg.kind) {
    case 'confirm':
      return {
        subject: `Confirm your subscription to ${opts.listName}`,
        paragraphs: [`Someone, probably you, asked to receive ${opts.listName} (${msg.frequency}, ${topics(msg.topics)}) at this address.`, 'Confirm with the button below. If it was not you, ignore this email: nothing will be sent.'],
        link: { label: 'Confirm subscription', href: msg.confirmUrl },
        footer: [],
      };
    case 'welcome':
      return {
        subject: `Welcome to ${opts.listName}`,
        paragraphs: [`You are subscribed: ${msg.frequency}, ${topics(msg.topics)}.`, 'The next edition will reach you at your delivery hour.'],
        link: { label: 'Choose topics and delivery time', href: msg.preferencesUrl },
        footer: [{ label: 'Unsubscribe', href: msg.unsubscribeUrl }],
      };
    case 'preferences-changed':
      return {
        subject: `Your ${opts.listName} preferences were changed`,
        paragraphs: [
          `Your preferences are now: ${msg.frequency}, ${topics(msg.topics)}, at ${String(msg.deliveryHour).padStart(2, '0')}:00 ${msg.timezone}${msg.pausedUntil ? `, paused until ${msg.pausedUntil}` : ''}.`,
          'If you did not change them, review them with the link below.',
        ],
        link: { label: 'Review preferences', href: msg.preferencesUrl },
        footer: [{ label: 'Unsubscribe', href: msg.unsubscribeUrl }],
      };
    case 'test':
      return { subject: `${opts.listName}: test message`, paragraphs: [`This test message went out through the ${msg.transport} transport.`], footer: [] };
  }
}

export async function renderTransactional(msg: TransactionalMessage, opts: ViewOptions): Promise<RenderedMail> {
  const l = lines(msg, opts);
  const e = escapeHtml;
  const html = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${e(l.subject)}</title></head><body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:16px;line-height:1.5">${l.paragraphs.map((p) => `<p>${e(p)}</p>`).join('')}${l.link ? `<p><a href="${e(l.link.href)}">${e(l.link.label)}</a></p>` : ''}${l.footer.map((f) => `<p><a href="${e(f.href)}">${e(f.label)}</a></p>`).join('')}${opts.postalAddress ? `<p>${e(opts.postalAddress)}</p>` : ''}</body></html>`;
  const text = [...l.paragraphs, ...(l.link ? [`${l.link.label}:\n${l.link.href}`] : []), ...l.footer.map((f) => `${f.label}:\n${f.href}`), ...(opts.postalAddress ? [opts.postalAddress] : [])].join('\n\n') + '\n';
  return { subject: l.subject, html, text };
}
