/**
 * One RFC 5322 message per delivery: multipart/alternative (text, then HTML), one-click
 * unsubscribe (RFC 8058), List-Id, and a Message-ID that is the same however often the
 * delivery is retried.
 */
import { createHmac } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';

export interface Address {
  name?: string;
  address: string;
}

export function parseAddress(value: string): Address {
  const m = /^\s*(.*?)\s*<([^<>\s]+@[^<>\s]+)>\s*$/.exec(value);
  if (m) return { name: m[1]!.replace(/^"|"$/g, '') || undefined, address: m[2]! };
  return { address: value.trim() };
}

export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

/** `<2026-11-26.42.k3j4h5@papers.example.org>`: stable per (edition, subscriber), unguessable. */
export function stableMessageId(secret: string, editionId: string, subscriberId: number, domain: string): string {
  const tag = createHmac('sha256', secret).update(`message-id:${editionId}:${subscriberId}`).digest('base64url').slice(0, 12).replace(/[-_]/g, 'x');
  return `<${editionId}.${subscriberId}.${tag}@${domain}>`;
}

export interface OutgoingMessage {
  from: Address;
  to: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
  listId: string;
  listName: string;
  unsubscribeUrl: string;
  unsubscribeMailto: string;
  date: Date;
}

export async function buildMessage(m: OutgoingMessage): Promise<Buffer> {
  const composer = new MailComposer({
    from: m.from,
    to: m.to,
    subject: m.subject,
    text: m.text,
    html: m.html,
    messageId: m.messageId,
    date: m.date,
    textEncoding: 'quoted-printable',
    headers: {
      'List-Unsubscribe': `<${m.unsubscribeUrl}>, <${m.unsubscribeMailto}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      'List-Id': `${m.listName} <${m.listId}>`,
      // automatic replies (vacation notices) should not answer a newsletter
      'Auto-Submitted': 'auto-generated',
      Precedence: 'bulk',
    },
  });
  return new Promise((resolve, reject) => {
    composer.compile().build((err, message) => (err ? reject(err) : resolve(message)));
  });
}
