/**
 * One validation of email addresses for every door they come in by (the web form,
 * `subscribers add`, `subscribers import`): what is refused is refused everywhere, with the
 * reason and the fix.
 */
import { domainToASCII } from 'node:url';

export type AddressCheck = { ok: true; email: string } | { ok: false; reason: string };

const LOCAL_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+$/;
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * The stored form of an address (trimmed, lower-cased, its domain in punycode), or why it is
 * refused. Quoted local parts, IP-literal domains and dotless domains are refused: no mail
 * provider a reader uses hands those out, and they are a favourite of abuse.
 */
export function checkAddress(input: string): AddressCheck {
  const value = input.trim();
  if (value === '') return { ok: false, reason: 'the address is empty: enter an address such as name@example.org' };
  if (value.length > 254) return { ok: false, reason: 'the address is longer than 254 characters, the limit of email addresses' };
  const at = value.lastIndexOf('@');
  if (at < 0) return { ok: false, reason: `"${value}" has no "@": enter the whole address, such as name@example.org` };
  const local = value.slice(0, at);
  const domain = value.slice(at + 1);
  if (local === '') return { ok: false, reason: `"${value}" has nothing before the "@"` };
  if (local.length > 64) return { ok: false, reason: 'the part before the "@" is longer than 64 characters' };
  if (local.startsWith('.') || local.endsWith('.')) return { ok: false, reason: `"${value}": the part before the "@" cannot start or end with a dot` };
  if (local.includes('..')) return { ok: false, reason: `"${value}": the part before the "@" cannot hold two dots in a row` };
  if (!local.split('.').every((atom) => LOCAL_ATOM.test(atom)))
    return { ok: false, reason: `"${value}": the part before the "@" holds a character addresses cannot have (spaces, quotes, brackets, commas, "@")` };
  if (domain.startsWith('[') || /^\d{1,3}(\.\d{1,3}){3}$/.test(domain))
    return { ok: false, reason: `"${value}": addresses at an IP address are not accepted; use an address at a domain name` };
  const ascii = domainToASCII(domain.toLowerCase());
  if (ascii === '') return { ok: false, reason: `"${value}": "${domain}" is not a valid domain name` };
  const labels = ascii.split('.');
  if (labels.length < 2) return { ok: false, reason: `"${value}": the domain "${domain}" has no dot; enter a full domain such as example.org` };
  if (!labels.every((l) => LABEL.test(l))) return { ok: false, reason: `"${value}": "${domain}" is not a valid domain name` };
  if (/^\d+$/.test(labels[labels.length - 1]!)) return { ok: false, reason: `"${value}": "${domain}" is not a valid domain name` };
  return { ok: true, email: `${local.toLowerCase()}@${ascii}` };
}
