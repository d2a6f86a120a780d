/**
 * The "more like this" / "less like this" links of a paper. The reader's token goes last, as
 * a placeholder filled at send time, so that a variant (or a For you block) is rendered once
 * for all its readers; the paper and the vote are plain in the URL.
 */
import { PLACEHOLDER } from './placeholders.ts';

export type VoteDirection = 'more' | 'less';

/** Without `vote`: the page that offers both (the plain-text part's one short link per paper). */
export function feedbackUrl(publicUrl: string, paperId: string, vote?: VoteDirection): string {
  return `${publicUrl}/feedback?paper=${encodeURIComponent(paperId)}${vote ? `&vote=${vote}` : ''}&token=${PLACEHOLDER.feedbackToken}`;
}

export interface FeedbackLinks {
  more: string;
  less: string;
  /** Both, on one page. */
  either: string;
}

export function feedbackLinks(publicUrl: string, paperId: string): FeedbackLinks {
  return { more: feedbackUrl(publicUrl, paperId, 'more'), less: feedbackUrl(publicUrl, paperId, 'less'), either: feedbackUrl(publicUrl, paperId) };
}
