/**
 * The placeholder protocol: per-subscriber parts of a rendered email are left as these markers
 * at render time and filled in at send time, so a variant is rendered once, whatever the number
 * of its subscribers. They contain no character that HTML escaping or quoted-printable
 * encoding would change.
 *
 * `forYou` marks where a reader's For you block goes (a fragment rendered once per distinct
 * choice of papers, see src/render/forYou.ts); a reader without one gets the email with the
 * marker removed, which is byte for byte the email rendered without it. `feedbackToken` ends
 * every "more like this" / "less like this" link, in the variant and in the fragments.
 */
import { escapeHtml } from '../lib/html.ts';
export const PLACEHOLDER = {
  unsubscribeUrl: '%%PB_UNSUBSCRIBE_URL%%',
  preferencesUrl: '%%PB_PREFERENCES_URL%%',
  feedbackToken: '%%PB_FEEDBACK_TOKEN%%',
  forYou: '%%PB_FOR_YOU%%',
} as const;

export interface PersonalLinks {
  unsubscribe: string;
  preferences: string;
  /** Absent: an email with no feedback links (transactional mail). */
  feedbackToken?: string;
}

/** A rendered For you block: HTML and text, with the feedback token placeholder in its links. */
export interface ForYouFragment {
  html: string;
  text: string;
}

/**
 * Fills one subscriber's links (and For you block, when they have one) into a rendered
 * variant: string replacement, no re-render.
 */
export function personalize(variant: { html: string; text: string }, links: PersonalLinks, forYou?: ForYouFragment): { html: string; text: string } {
  // replaced by functions: a "$&" in a paper's title is text, not a replacement pattern
  const fill = (body: string, fragment: string, escape: (v: string) => string) =>
    body
      .replace(PLACEHOLDER.forYou, () => fragment)
      .replaceAll(PLACEHOLDER.unsubscribeUrl, () => escape(links.unsubscribe))
      .replaceAll(PLACEHOLDER.preferencesUrl, () => escape(links.preferences))
      .replaceAll(PLACEHOLDER.feedbackToken, () => escape(links.feedbackToken ?? ''));
  return {
    html: fill(variant.html, forYou?.html ?? '', escapeHtml),
    text: fill(variant.text, forYou?.text ?? '', (v) => v),
  };
}
