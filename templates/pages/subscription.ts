import { html, page, raw } from './layout.ts';

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
  );
}

export function unsubscribedPage(listName: string, preferencesUrl: string): string {
  return page(
    'Unsubscribed',
    html`<h1>You are unsubscribed</h1>
<p>You will get no more ${listName}. Changed your mind? <a href="${preferencesUrl}">Subscribe again from your preferences</a>.</p>`,
  );
}

export interface PreferencesView {
  listName: string;
  email: string;
  action: string;
  topics: { id: string; name: string; description: string; checked: boolean }[];
  frequency: 'daily' | 'weekly';
  saved: boolean;
}

export function preferencesPage(v: PreferencesView): string {
  return page(
    `Your ${v.listName} preferences`,
    html`<h1>Your preferences</h1>
<p class="muted">${maskEmail(v.email)}</p>
${v.saved ? html`<p role="status"><strong>Saved.</strong></p>` : ''}
<form method="post" action="${v.action}">
<fieldset><legend>Topics (none ticked: every topic)</legend>
${v.topics.map((t) => html`<label><input type="checkbox" name="topics" value="${t.id}"${t.checked ? raw(' checked') : ''}> ${t.name}</label><br><span class="muted">${t.description}</span><br>`)}
</fieldset>
<fieldset><legend>How often</legend>
<label><input type="radio" name="frequency" value="daily"${v.frequency === 'daily' ? raw(' checked') : ''}> Daily</label>
<label><input type="radio" name="frequency" value="weekly"${v.frequency === 'weekly' ? raw(' checked') : ''}> Weekly (the best of the week)</label>
</fieldset>
<button type="submit">Save</button>
</form>`,
  );
}

/** `a***@example.org`: enough to recognise, not enough to harvest. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${email[0]}***${email.slice(at)}`;
}
