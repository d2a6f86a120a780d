/**
 * Transactional emails (one reader, one message, not part of an edition): what each says.
 * The look is the digest's; the links are complete (no placeholders), since each is rendered
 * for one reader. Each link appears once in the HTML and once in the text, so both parts
 * carry the same links (spam filters compare them: rspamd's URI_COUNT_ODD).
 */
import { wrap } from '../../templates/email/digestText.ts';
import type { TransactionalView } from '../../templates/email/Transactional.tsx';
import { formatDate, type ViewOptions } from '../../templates/email/view.ts';
import { CONFIRM_TOKEN_TTL_MS } from '../mail/tokens.ts';
import { localDate } from '../domain/time.ts';

/** When editions reach a reader, as the emails say it. */
export interface DeliveryTime {
  frequency: 'daily' | 'weekly';
  /** Weekly only: the day of the week (0 = Sunday) it reaches the reader, in `timezone`. */
  weekday?: number;
  hour: number;
  timezone: string;
  /** True: at the reader's own hour; false: as each edition goes out, soon after the operator's cut-off (`hour` in the operator's `timezone`). */
  readersHour: boolean;
}

/** What each message says, topics by their names (the sender looks them up in the config). */
export type TransactionalMessage =
  | { kind: 'confirm'; confirmUrl: string; topics: string[]; delivery: DeliveryTime; expires: { at: string; timezone: string } }
  | {
      kind: 'welcome';
      preferencesUrl: string;
      unsubscribeUrl: string;
      topics: string[];
      delivery: DeliveryTime;
      /** The latest edition that went out, to read now; `today`: it is the current edition day's. */
      latestEdition?: { url: string; today: boolean };
    }
  | {
      kind: 'preferences-changed';
      preferencesUrl: string;
      unsubscribeUrl: string;
      topics: string[];
      /** The sections the reader put first, in order; empty or absent: by the day's best paper. */
      sectionOrder?: string[];
      delivery: DeliveryTime;
      pausedUntil?: string;
    }
  | { kind: 'test'; transport: string };

export interface RenderedMail {
  subject: string;
  html: string;
  text: string;
}

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const hh = (hour: number) => `${String(hour).padStart(2, '0')}:00`;

/** "daily at 07:00 Asia/Tokyo", "weekly, on Mondays, soon after 06:00 UTC, as each edition goes out". */
export function deliveryPhrase(d: DeliveryTime): string {
  const how = d.frequency === 'weekly' ? `weekly, on ${WEEKDAYS[d.weekday ?? 0]}s` : 'daily';
  return d.readersHour ? `${how} at ${hh(d.hour)} ${d.timezone}` : `${how}, soon after ${hh(d.hour)} ${d.timezone}, as each edition goes out`;
}

// topic names may hold commas ("Alignment, safety and values"): a middle dot keeps them apart
const topicList = (names: string[]) => (names.length === 0 ? 'all topics' : names.join(' · '));

function clockTime(instant: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone }).format(instant);
}

type Lines = Omit<TransactionalView, 'listName' | 'postalAddress'>;

function lines(msg: TransactionalMessage, opts: ViewOptions): Lines {
  switch (msg.kind) {
    case 'confirm': {
      const expires = new Date(msg.expires.at);
      const days = Math.round(CONFIRM_TOKEN_TTL_MS / 86_400_000);
      return {
        subject: `Confirm your subscription to ${opts.listName}`,
        heading: 'Confirm your subscription',
        preheader: `One click to start getting ${opts.listName}, ${deliveryPhrase(msg.delivery)}; the link works for ${days} days.`,
        paragraphs: [`Someone, probably you, asked to receive ${opts.listName} at this address.`],
        facts: [
          ['Topics', topicList(msg.topics)],
          ['When', deliveryPhrase(msg.delivery)],
        ],
        closing: [
          `Confirm with the button below. The link works once, for ${days} days (until ${formatDate(localDate(expires, msg.expires.timezone))}, ${clockTime(expires, msg.expires.timezone)} ${msg.expires.timezone}).`,
          'If it was not you, ignore this email: nothing will be sent.',
        ],
        action: { label: 'Confirm subscription', href: msg.confirmUrl },
        footerLinks: [],
      };
    }
    case 'welcome': {
      const edition = msg.latestEdition;
      return {
        subject: `Welcome to ${opts.listName}`,
        heading: 'You are subscribed',
        preheader: `${opts.listName} reaches you ${deliveryPhrase(msg.delivery)}, with ${topicList(msg.topics)}.`,
        paragraphs: [`Welcome to ${opts.listName}. You will get:`],
        facts: [
          ['Topics', topicList(msg.topics)],
          ['When', deliveryPhrase(msg.delivery)],
        ],
        closing: [
          msg.delivery.readersHour
            ? 'Change either at any time on your preferences page.'
            : 'To get it at a time that suits you, choose an hour of your own on your preferences page.',
        ],
        // something to read now, when an edition has gone out; else the preferences
        action: edition
          ? { label: edition.today ? "Read today's edition" : 'Read the latest edition', href: edition.url }
          : { label: 'Choose topics and delivery time', href: msg.preferencesUrl },
        footerLinks: [...(edition ? [{ label: 'Preferences', href: msg.preferencesUrl }] : []), { label: 'Unsubscribe', href: msg.unsubscribeUrl }],
      };
    }
    case 'preferences-changed':
      return {
        subject: `Your ${opts.listName} preferences were changed`,
        heading: 'Your preferences were changed',
        preheader: `Now: ${deliveryPhrase(msg.delivery)}, with ${topicList(msg.topics)}${msg.pausedUntil ? `, paused until ${formatDate(msg.pausedUntil)}` : ''}.`,
        paragraphs: ['Your preferences are now:'],
        facts: [
          ['Topics', topicList(msg.topics)],
          ...(msg.sectionOrder?.length ? [['Sections first', msg.sectionOrder.join(' · ')] as [string, string]] : []),
          ['When', deliveryPhrase(msg.delivery)],
          ...(msg.pausedUntil ? [['Paused until', formatDate(msg.pausedUntil)] as [string, string]] : []),
        ],
        closing: ['If you did not change them, review them with the button below.'],
        action: { label: 'Review preferences', href: msg.preferencesUrl },
        footerLinks: [{ label: 'Unsubscribe', href: msg.unsubscribeUrl }],
      };
    case 'test':
      return {
        subject: `${opts.listName}: test message`,
        heading: 'Test message',
        preheader: `It went out through the ${msg.transport} transport.`,
        paragraphs: [`This test message went out through the ${msg.transport} transport.`],
        footerLinks: [],
      };
  }
}

function transactionalText(view: TransactionalView): string {
  const out = [view.heading, '', ...view.paragraphs.flatMap((p) => [wrap(p), ''])];
  if (view.facts?.length) out.push(...view.facts.map(([label, value]) => wrap(`${label}: ${value}`, 76, '', '  ')), '');
  out.push(...(view.closing ?? []).flatMap((p) => [wrap(p), '']));
  if (view.action) out.push(`${view.action.label}:`, view.action.href, '');
  for (const f of view.footerLinks) out.push(`${f.label}:`, f.href, '');
  out.push('-- ', view.postalAddress ? `${view.listName} · ${view.postalAddress}` : view.listName);
  return `${out.join('\n')}\n`;
}

/** Renders one transactional email, HTML (through MJML, as the digest) and plain text. */
export async function renderTransactional(msg: TransactionalMessage, opts: ViewOptions): Promise<RenderedMail> {
  const view: TransactionalView = { ...lines(msg, opts), listName: opts.listName, postalAddress: opts.postalAddress };
  const [{ createElement }, { Transactional }, { compileEmail }] = await Promise.all([
    import('react'),
    import('../../templates/email/Transactional.tsx'),
    import('../../templates/email/mjml.ts'),
  ]);
  const { html } = await compileEmail(createElement(Transactional, { view }));
  return { subject: view.subject, html, text: transactionalText(view) };
}
