/**
 * The placeholder protocol: per-subscriber parts of a rendered email are left as these markers
 * at render time and filled in at send time, so a variant is rendered once, whatever the number
 * of its subscribers. They contain no character that HTML escaping or quoted-printable
 * encoding would change.
 */
export const PLACEHOLDER = {
  unsubscribeUrl: '%%PB_UNSUBSCRIBE_URL%%',
  preferencesUrl: '%%PB_PREFERENCES_URL%%',
} as const;

/** The one escape for a value placed in an HTML attribute or text. */
export function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export interface PersonalLinks {
  unsubscribe: string;
  preferences: string;
}

/** Fills one subscriber's links into a rendered variant: string replacement, no re-render. */
export function personalize(variant: { html: string; text: string }, links: PersonalLinks): { html: string; text: string } {
  return {
    html: variant.html.replaceAll(PLACEHOLDER.unsubscribeUrl, escapeHtml(links.unsubscribe)).replaceAll(PLACEHOLDER.preferencesUrl, escapeHtml(links.preferences)),
    text: variant.text.replaceAll(PLACEHOLDER.unsubscribeUrl, links.unsubscribe).replaceAll(PLACEHOLDER.preferencesUrl, links.preferences),
  };
}
