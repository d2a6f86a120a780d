/**
 * The one author line of the email, the web pages and the feeds: up to four names in full; past
 * that the first three and how many more ("+47 authors"), never a bare "et al." that hides how
 * large the team is, and never a fourth name cut to save nothing.
 */
export function byline(authors: readonly string[]): string {
  if (authors.length <= 4) return authors.join(', ');
  return `${authors.slice(0, 3).join(', ')} +${authors.length - 3} authors`;
}
