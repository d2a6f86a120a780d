/** The pages of For you: a vote's one-button page and its answer, and the preferences page's For you part. */
import { html, page, raw, type Raw } from './layout.ts';

export type VoteDirection = 'more' | 'less';

export interface FeedbackPaper {
  id: string;
  title: string;
  authors: string;
  href?: string;
}

const LABEL: Record<VoteDirection, string> = { more: 'More like this', less: 'Less like this' };

function paperCard(p: FeedbackPaper): Raw {
  return html`<div class="card paper"><h3>${p.href ? html`<a href="${p.href}">${p.title}</a>` : p.title}</h3>${p.authors ? html`<p class="muted">${p.authors}</p>` : ''}</div>`;
}

function voteForm(action: string, vote: VoteDirection, secondary = false): Raw {
  return html`<form method="post" action="${action}"><input type="hidden" name="vote" value="${vote}"><button type="submit"${secondary ? raw(' class="secondary"') : ''}>${LABEL[vote]}</button></form>`;
}

export interface FeedbackView {
  listName: string;
  paper: FeedbackPaper;
  /** The direction the link asked for; absent: both buttons (the plain-text email's link). */
  vote?: VoteDirection;
  /** The reader's vote on this paper so far. */
  current?: VoteDirection;
  /** The form's action: this page's address (paper and token). */
  action: string;
  halfLifeDays: number;
}

/** A GET changes nothing (mail scanners follow links): one button, or two, that POST. */
export function feedbackPage(v: FeedbackView): string {
  const title = v.vote === 'more' ? 'More papers like this?' : v.vote === 'less' ? 'Fewer papers like this?' : 'More or fewer papers like this?';
  return page(
    title,
    html`<h1>${title}</h1>
${paperCard(v.paper)}
${v.current ? html`<p class="status" role="status">You have already asked for ${v.current === 'more' ? 'more' : 'fewer'} papers like this one.</p>` : ''}
<p>Your "For you" picks, at the top of your email, lean towards the papers you ask more of and away from those you ask fewer of.</p>
${v.vote ? voteForm(v.action, v.vote) : html`${voteForm(v.action, 'more')}${voteForm(v.action, 'less', true)}`}
<p class="muted">Nothing changes until you press the button. A vote counts half after ${v.halfLifeDays} days, so old ones fade; your preferences page resets them all.</p>`,
    { listName: v.listName, noindex: true },
  );
}

export interface VotedView {
  listName: string;
  paper: FeedbackPaper;
  vote: VoteDirection;
  outcome: 'recorded' | 'replaced' | 'unchanged';
  action: string;
}

/** After the POST: what was recorded, and the opposite button for a change of mind. */
export function votedPage(v: VotedView): string {
  const said = v.vote === 'more' ? 'more papers like' : 'fewer papers like';
  const status =
    v.outcome === 'unchanged'
      ? `You had already asked for ${said} this one: nothing changed.`
      : v.outcome === 'replaced'
        ? `Changed: you now ask for ${said} this one.`
        : `Noted: ${said} this one.`;
  return page(
    'Noted',
    html`<h1>Thank you</h1>
<p class="status" role="status">${status}</p>
${paperCard(v.paper)}
<p>Your next email's "For you" picks take it into account.</p>
<p class="muted">Changed your mind?</p>
${voteForm(v.action, v.vote === 'more' ? 'less' : 'more', true)}`,
    { listName: v.listName, noindex: true },
  );
}

export interface ForYouPreferences {
  seedPapers: string[];
  /** Seed papers paperboy has not seen yet. */
  pendingSeeds: string[];
  authorId?: string;
  votes: { more: number; less: number };
  /** Form values to show again after a refused save. */
  typed?: { seedPapers?: string; authorId?: string };
  /** The reset form's action (the preferences token). */
  resetAction: string;
  /** The preferences page's signed form token: the reset is refused without it, like a save. */
  formToken: string;
  halfLifeDays: number;
  maxSeeds: number;
}

/** The For you fields of the preferences form. */
export function forYouFields(v: ForYouPreferences): Raw {
  const seeds = v.typed?.seedPapers ?? v.seedPapers.join('\n');
  return html`<fieldset aria-describedby="for-you-note"><legend>For you</legend>
<p class="muted" id="for-you-note">A few papers picked for you lead your email, from your "more like this" and "less like this" votes (the links under each paper), the papers you give here and your arXiv author id. Votes fade: one counts half after ${v.halfLifeDays} days. What you give here stays until you change it.</p>
<label for="seed_papers">Papers you like (arXiv ids or links, one per line, up to ${v.maxSeeds})</label>
<textarea id="seed_papers" name="seed_papers" rows="4" spellcheck="false" placeholder="2401.12345&#10;https://arxiv.org/abs/2312.00001">${seeds}</textarea>
${v.pendingSeeds.length > 0 ? html`<p class="muted">Not in our archive yet, so not counted until they appear in a feed we read: ${v.pendingSeeds.join(', ')}.</p>` : ''}
<label for="author_id">Your arXiv author id (optional)</label>
<input id="author_id" type="text" name="author_id" autocomplete="off" spellcheck="false" maxlength="80" placeholder="hinton_g_1" value="${v.typed?.authorId ?? v.authorId ?? ''}" aria-describedby="author-id-note">
<p class="muted" id="author-id-note">The id of your arXiv author page (arxiv.org/a/<strong>hinton_g_1</strong>): surname, first initial and a number. Papers by an author with that surname and initial are picked for you; we cannot tell apart two people who share them.</p>
</fieldset>`;
}

/** The reset, a form of its own below the preferences form. */
export function forYouReset(v: ForYouPreferences): Raw {
  const votes = v.votes.more + v.votes.less;
  return html`<form method="post" action="${v.resetAction}" class="card">
<h2>Reset "For you"</h2>
<p>${votes === 0 ? 'You have not voted on any paper yet.' : `You have voted on ${votes} ${votes === 1 ? 'paper' : 'papers'} (${v.votes.more} more like this, ${v.votes.less} less like this).`} A reset forgets your votes, the papers you gave and your author id; your email then has no For you part until you vote again.</p>
<input type="hidden" name="form_token" value="${v.formToken}">
<input type="hidden" name="reset" value="for-you">
<button type="submit" class="secondary">Reset my For you</button>
</form>`;
}
