/** The subscriber's pages: subscribe, confirm, preferences, unsubscribe. */
import { html, page, raw, type Raw } from './layout.ts';
import { forYouFields, forYouReset, type ForYouPreferences } from './forYou.ts';

export interface TopicChoice {
  id: string;
  name: string;
  description: string;
  checked: boolean;
}

export interface LatestEdition {
  date: string;
  papers: { id: string; title: string; href: string; authors: string; topic: string }[];
}

/** `a***@example.org`: enough to recognise, not enough to harvest. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${email[0]}***${email.slice(at)}`;
}

function topicBoxes(topics: TopicChoice[], legend: string): Raw {
  return html`<fieldset><legend>${legend}</legend>
${topics.map((t) => html`<label class="choice"><input type="checkbox" name="topics" value="${t.id}"${t.checked ? raw(' checked') : ''}><span>${t.name}<br><span class="muted">${t.description}</span></span></label>`)}
</fieldset>`;
}

/** How many "Sections first" choices the preferences page offers (more if the reader already has more). */
export const SECTIONS_FIRST_CHOICES = 3;

// each select's label is its whole accessible name: "Then", "Then" would not say which is which
const ORDINALS = ['First', 'Second', 'Third', 'Fourth', 'Fifth'];

/**
 * The sections a reader wants first, as plain selects (no script): "First", "Second", "Third".
 * Each offers every topic, since the topic boxes above may change in the same save.
 */
function sectionsFirstSelects(topics: TopicChoice[], order: string[]): Raw {
  const count = Math.max(SECTIONS_FIRST_CHOICES, order.length);
  return html`<fieldset aria-describedby="sections-first-note"><legend>Sections first</legend>
<p class="muted" id="sections-first-note">Sections you choose here come first in your email, in this order; the others follow by the day's best paper. A topic you do not get, or with no papers that day, is skipped.</p>
${Array.from({ length: count }, (_, i) => {
  const chosen = order[i] ?? '';
  return html`<div><label for="sections-first-${i + 1}">${ORDINALS[i] ?? `Number ${i + 1}`}</label>
<select id="sections-first-${i + 1}" name="sections_first">
<option value=""${chosen === '' ? raw(' selected') : ''}>By the day's best paper</option>
${topics.map((t) => html`<option value="${t.id}"${t.id === chosen ? raw(' selected') : ''}>${t.name}</option>`)}
</select></div>`;
})}
</fieldset>`;
}

function frequencyRadios(frequency: 'daily' | 'weekly'): Raw {
  return html`<fieldset><legend>How often</legend>
<label class="choice"><input type="radio" name="frequency" value="daily"${frequency === 'daily' ? raw(' checked') : ''}><span>Daily</span></label>
<label class="choice"><input type="radio" name="frequency" value="weekly"${frequency === 'weekly' ? raw(' checked') : ''}><span>Weekly (the best of the week)</span></label>
</fieldset>`;
}

function timezoneSelect(zones: string[], selected: string, guess: boolean): Raw {
  return html`<label for="timezone">Time zone</label>
<select id="timezone" name="timezone"${guess ? raw(' data-guess-timezone') : ''} data-chosen="${guess ? 'false' : 'true'}">
${zones.map((z) => html`<option value="${z}"${z === selected ? raw(' selected') : ''}>${z.replace(/_/g, ' ')}</option>`)}
</select>`;
}

export interface HomeView {
  listName: string;
  topics: TopicChoice[];
  zones: string[];
  defaultZone: string;
  latest?: LatestEdition;
  email?: string;
  error?: string;
}

export function homePage(v: HomeView): string {
  return page(
    `${v.listName}: the day's trending papers by email`,
    html`<h1>The day's trending research papers, in your inbox</h1>
<p>One email each morning (or each week) with the papers people are reading, grouped by topic and ranked. Pick your topics; unsubscribe with one click.</p>
<form class="card" method="post" action="/subscribe" novalidate>
<h2 id="subscribe">Subscribe</h2>
${v.error ? html`<p class="alert" role="alert" id="email-error">${v.error}</p>` : ''}
<label for="email">Email address</label>
<input id="email" type="email" name="email" autocomplete="email" required maxlength="254" value="${v.email ?? ''}"${v.error ? raw(' aria-invalid="true" aria-describedby="email-error"') : ''}>
${topicBoxes(v.topics, 'Topics (none ticked: every topic)')}
${frequencyRadios('daily')}
${timezoneSelect(v.zones, v.defaultZone, true)}
<button type="submit">Subscribe</button>
<p class="muted">We send one email to confirm; nothing else until you click its link.</p>
</form>
${
  v.latest
    ? html`<h2>Latest edition: <a href="/editions/${v.latest.date}">${v.latest.date}</a></h2>
<ul class="plain">${v.latest.papers.map((p) => html`<li class="paper"><h3><a href="${p.href}">${p.title}</a></h3><span class="muted">${p.authors} · ${p.topic}</span></li>`)}</ul>
<p><a href="/editions">Every edition</a></p>`
    : html`<p class="muted">The first edition has not been published yet.</p>`
}`,
    { listName: v.listName, scripts: ['/assets/timezone.js'] },
  );
}

export function checkInboxPage(listName: string): string {
  return page(
    'Check your inbox',
    html`<h1>Check your inbox</h1>
<p class="status" role="status">If the address can receive ${listName}, an email with a confirmation link is on its way. Open it to start your subscription.</p>
<p class="muted">Nothing arrived after a few minutes? Look in the spam folder, or subscribe again: we send at most three confirmation emails a day to one address.</p>`,
    { listName, noindex: true },
  );
}

/** `when`: how the welcome email says it ("daily at 07:00 Asia/Tokyo"). */
export function confirmedPage(listName: string, preferencesUrl: string, changed: boolean, when: string): string {
  return page(
    changed ? 'Subscription updated' : 'You are subscribed',
    html`<h1>${changed ? 'Your subscription is updated' : 'You are subscribed'}</h1>
<p class="status" role="status">${changed ? `Your new choices apply from the next edition: ${when}.` : `${listName} will reach you ${when}. A welcome email is on its way.`}</p>
<p><a href="${preferencesUrl}">Choose topics, delivery hour and time zone</a></p>`,
    { listName, noindex: true },
  );
}

/**
 * What the confirmation link opens: one button that POSTs, since a GET (a mail scanner, a link
 * preview) must not use up the one-time link. `change`: a confirmed reader confirming new choices.
 */
export function confirmPage(listName: string, email: string, action: string, change: boolean): string {
  return page(
    change ? 'Confirm your new choices' : 'Confirm your subscription',
    html`<h1>${change ? 'Confirm your new choices' : 'Confirm your subscription'}</h1>
<p>${change ? html`Apply the choices you made on the subscribe form to <strong>${listName}</strong> for <strong>${maskEmail(email)}</strong>?` : html`Start sending <strong>${listName}</strong> to <strong>${maskEmail(email)}</strong>?`}</p>
<form method="post" action="${action}">
<button type="submit">${change ? 'Confirm my choices' : 'Confirm my subscription'}</button>
</form>
<p class="muted">Nothing changes until you press the button. Did not ask for this? Close this page: without the button, nothing is sent.</p>`,
    { listName, noindex: true },
  );
}

export function unsubscribePage(listName: string, email: string, action: string): string {
  return page(
    `Unsubscribe from ${listName}`,
    html`<h1>Unsubscribe</h1>
<p>Stop sending <strong>${listName}</strong> to <strong>${maskEmail(email)}</strong>?</p>
<form method="post" action="${action}">
<input type="hidden" name="confirm" value="yes">
<button type="submit">Unsubscribe</button>
</form>
<p class="muted">Nothing changes until you press the button.</p>`,
    { listName, noindex: true },
  );
}

/** Carries no token: coming back takes the form on the home page and a fresh confirmation email. */
export function unsubscribedPage(listName: string): string {
  return page(
    'Unsubscribed',
    html`<h1>You are unsubscribed</h1>
<p class="status" role="status">You will get no more ${listName}.</p>
<p>Changed your mind? <a href="/#subscribe">Subscribe again</a>: we will send a confirmation email first.</p>`,
    { listName, noindex: true },
  );
}

export interface PreferencesView {
  listName: string;
  email: string;
  action: string;
  /** The form's hidden token: proof on POST that it came from this page (see signFormToken). */
  formToken: string;
  topics: TopicChoice[];
  /** Topic ids whose sections the reader put first, in order; absent or empty: by the day's best paper. */
  sectionOrder?: string[];
  frequency: 'daily' | 'weekly';
  zones: string[];
  timezone: string;
  deliveryHour: number;
  /**
   * When the edition reaches this reader: `at-hour` at their chosen hour, `on-release` when it
   * goes out (they never chose a time; `send.atReadersHour`), `on-release-for-all` when it
   * goes out because the operator sends every edition to everyone at once.
   */
  delivery: 'at-hour' | 'on-release' | 'on-release-for-all';
  pausedUntil?: string;
  today: string;
  /**
   * 'changed': saved and a note emailed; 'unchanged': the same choices were saved again;
   * 'for-you': only the For you fields changed (no note); 'reset': For you was reset.
   */
  saved?: 'changed' | 'unchanged' | 'for-you' | 'reset';
  error?: string;
  /** The For you part; absent when the operator turned For you off. */
  forYou?: ForYouPreferences;
}

const SAVED: Record<NonNullable<PreferencesView['saved']>, string> = {
  changed: 'A note confirming the change is on its way to your inbox.',
  unchanged: 'Nothing had changed.',
  'for-you': 'Your For you picks use it from your next email.',
  reset: 'For you is reset: your votes, the papers you gave and your author id are forgotten.',
};

export function preferencesPage(v: PreferencesView): string {
  return page(
    `Your ${v.listName} preferences`,
    html`<h1>Your preferences</h1>
<p class="muted">${maskEmail(v.email)}</p>
${v.saved ? html`<p class="status" role="status"><strong>${v.saved === 'reset' ? 'Reset.' : 'Saved.'}</strong> ${SAVED[v.saved]}</p>` : ''}
${v.error ? html`<p class="alert" role="alert">${v.error}</p>` : ''}
<form method="post" action="${v.action}">
<input type="hidden" name="form_token" value="${v.formToken}">
${topicBoxes(v.topics, 'Topics (none ticked: every topic)')}
${sectionsFirstSelects(v.topics, v.sectionOrder ?? [])}
${frequencyRadios(v.frequency)}
<fieldset><legend>Delivery</legend>
${
  v.delivery === 'on-release'
    ? html`<p class="muted" id="delivery-note">You have not chosen a delivery time, so each edition reaches you as soon as it goes out. Choose an hour and time zone and save to get it at your hour instead.</p>`
    : v.delivery === 'on-release-for-all'
      ? html`<p class="muted" id="delivery-note">Each edition reaches every reader as soon as it goes out; the hour and time zone are kept for when editions go out at each reader's hour.</p>`
      : ''
}
<div class="row">
<div><label for="hour">Hour</label>
<select id="hour" name="hour">${Array.from({ length: 24 }, (_, h) => html`<option value="${h}"${h === v.deliveryHour ? raw(' selected') : ''}>${String(h).padStart(2, '0')}:00</option>`)}</select></div>
<div>${timezoneSelect(v.zones, v.timezone, false)}</div>
</div>
<label for="paused_until">Pause until (no email before this day; empty: not paused)</label>
<input id="paused_until" type="date" name="paused_until" min="${v.today}" value="${v.pausedUntil ?? ''}">
</fieldset>
${v.forYou ? forYouFields(v.forYou) : ''}
<button type="submit">Save</button>
</form>
${v.forYou ? forYouReset(v.forYou) : ''}
<p class="muted">Want no more email? Use the unsubscribe link at the bottom of any edition.</p>`,
    { listName: v.listName, noindex: true },
  );
}
