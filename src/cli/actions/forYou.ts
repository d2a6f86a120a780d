/** The body of `paperboy explain --reader EMAIL`. */
import { ForYouChooser, MIN_SCORE, type Contribution, type PaperVerdict } from '../../personal/chooser.ts';
import { decayFactor } from '../../personal/profile.ts';
import { readerSettings } from '../../personal/profiles.ts';
import { editionId, type EditionContent } from '../../domain/edition.ts';
import { variantTopics } from '../../render/renderVariant.ts';
import { EXIT, output, parseDateOption, UsageError, withData } from '../runtime.ts';

function contributionText(c: Contribution): string {
  const what = c.kind === 'term' ? `term "${c.feature}"` : c.kind === 'author id' ? `author id ${c.feature}` : `${c.kind} ${c.feature}`;
  return `${what} ${c.points >= 0 ? '+' : ''}${c.points}${c.kind === 'author id' ? '' : ` (${c.from})`}`;
}

const REASON: Record<PaperVerdict['status'], string> = {
  picked: 'picked',
  'top today': 'in "Top today" (For you never repeats it)',
  'not in your topics': "not in the reader's topics",
  'voted on': 'the reader voted on it already',
  'lower score': 'a lower score than the papers picked',
  'no match': `matches too little of the profile (score under ${MIN_SCORE})`,
};

export async function explainReader(opts: { reader: string; date?: string; weekly?: boolean; json?: boolean }): Promise<void> {
  process.exitCode = await withData(async (app) => {
    const subscriber = await app.store.subscribers.getByEmail(opts.reader);
    if (!subscriber) throw new UsageError(`no subscriber ${opts.reader}: see \`paperboy subscribers list\` for the addresses on the list`);
    const kind = opts.weekly ? 'weekly' : 'daily';
    const date = parseDateOption(opts.date) ?? (await app.store.editions.latestDate(kind));
    if (!date) throw new UsageError(`there is no ${kind} edition yet: build one first (paperboy edition build${opts.weekly ? ' --weekly' : ''})`);
    const edition = await app.store.editions.get(editionId(kind, date));
    if (!edition || edition.status === 'empty')
      throw new UsageError(
        `there is no ${kind} edition of ${date}${edition ? ' (the day had no papers)' : `: build it first (paperboy edition build --date ${date}${opts.weekly ? ' --weekly' : ''})`}`,
      );

    const settings = await readerSettings(app.store, subscriber.id);
    const profile = settings.profile;
    const delivery = await app.store.deliveries.get(edition.id, subscriber.id);
    const sent = delivery?.forYou ? ((await app.store.forYou.fragment(edition.id, delivery.forYou))?.paperIds ?? []) : delivery ? [] : undefined;
    const topics = variantTopics(edition.content, subscriber.topics);
    const verdicts = profile
      ? new ForYouChooser(edition.content, { size: app.config.forYou.size, halfLifeDays: app.config.forYou.halfLifeDays, at: edition.frozenAt }).explain(
          profile,
          topics,
        )
      : [];
    const picked = verdicts.filter((v) => v.status === 'picked');
    const notPicked = verdicts.filter((v) => v.status !== 'picked');
    const decay = profile ? decayFactor(profile.asOf, edition.frozenAt, app.config.forYou.halfLifeDays) : 1;
    const summary = profile
      ? {
          votesMore: profile.counts.more,
          votesLess: profile.counts.less,
          seedPapers: settings.seedPapers,
          seedPapersNotSeen: settings.pendingSeeds,
          authorId: settings.authorId ?? null,
          builtAt: profile.asOf,
          voteWeightAtEdition: Math.round(decay * 1000) / 1000,
          halfLifeDays: app.config.forYou.halfLifeDays,
        }
      : null;

    if (opts.json) {
      output.json({
        reader: subscriber.email,
        edition: edition.id,
        kind,
        date,
        enabled: app.config.forYou.enabled,
        profile: summary,
        sent: sent ?? null,
        picked,
        notPicked,
      });
      return EXIT.ok;
    }
    output.line(`For you of ${subscriber.email} in the ${kind} edition of ${date}`);
    if (!app.config.forYou.enabled) output.line('For you is off in the config (forYou.enabled: false): no email carries a For you block.');
    if (!profile) {
      output.line('no profile: no votes, no seed paper we know, no author id. Their email has no For you block.');
      return EXIT.ok;
    }
    const parts = [
      `${profile.counts.more} "more like this" and ${profile.counts.less} "less like this" votes`,
      `${settings.seedPapers.length} seed ${settings.seedPapers.length === 1 ? 'paper' : 'papers'}${settings.pendingSeeds > 0 ? ` (${settings.pendingSeeds} not seen yet)` : ''}`,
    ];
    if (settings.authorId) parts.push(`author id ${settings.authorId}`);
    output.line(
      `profile: ${parts.join(', ')}; built ${profile.asOf}; votes count ×${summary!.voteWeightAtEdition} at this edition (half-life ${app.config.forYou.halfLifeDays} days)`,
    );
    const chosen = picked.map((v) => v.id);
    if (sent === undefined) output.line('the edition has not been sent to this reader (no delivery yet)');
    else if (sent.join(' ') !== chosen.join(' '))
      output.line(
        `their email of this edition carried: ${sent.length > 0 ? sent.join(', ') : 'no For you block'}; the profile changed since (the scores below are today's)`,
      );
    output.line('');
    if (picked.length === 0) output.line(`picked: nothing (no paper of their topics outside "Top today" scores ${MIN_SCORE} or more)`);
    else output.line('picked:');
    picked.forEach((v, i) => {
      output.line(`  ${i + 1}. ${v.id}  score ${v.score}  ${v.title}`);
      output.line(
        `       ${v.contributions.slice(0, 6).map(contributionText).join('; ')}${v.contributions.length > 6 ? `; and ${v.contributions.length - 6} smaller` : ''}`,
      );
    });
    output.line('');
    output.line('not picked:');
    const shown = notPicked.filter((v) => v.status === 'top today' || v.status === 'lower score' || v.status === 'voted on').slice(0, 15);
    for (const v of shown) {
      output.line(`  ${v.id}  score ${v.score}  ${REASON[v.status]}  ${v.title}`);
      if (v.contributions.length > 0) output.line(`       ${v.contributions.slice(0, 3).map(contributionText).join('; ')}`);
    }
    const rest = notPicked.length - shown.length;
    if (rest > 0) {
      const counts = new Map<string, number>();
      for (const v of notPicked.filter((x) => !shown.includes(x))) counts.set(REASON[v.status], (counts.get(REASON[v.status]) ?? 0) + 1);
      output.line(`  and ${rest} more: ${[...counts].map(([why, n]) => `${n} ${why}`).join('; ')}`);
    }
    return EXIT.ok;
  });
}
