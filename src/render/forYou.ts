/**
 * For you blocks ("fragments"): one per distinct choice of papers in an edition, HTML and
 * text, stored beside the variants and spliced into each email that carries one at send time.
 * Each paper's card is rendered once per edition (MJML compiles the cards a page of readers
 * needs in one document, cut apart at markers), so a new choice costs a string join, not a
 * render: 100,000 readers with 30,000 profiles cost a few compiles, not 30,000.
 */
import { createHash } from 'node:crypto';
import type { ReactElement } from 'react';
import type { StageContext } from '../app.ts';
import { PLACEHOLDER, type ForYouFragment } from '../mail/placeholders.ts';
import { ForYouChooser } from '../personal/chooser.ts';
import { parseProfile } from '../personal/profile.ts';
import type { Edition, EditionContent } from '../domain/edition.ts';
import { forYouPaper, viewOptionsOf, type ForYouPaper, type ViewOptions } from '../../templates/email/view.ts';
import { forYouTextCard, forYouTextHeader } from '../../templates/email/digestText.ts';
import { RenderError } from './renderVariant.ts';

/** A choice's key: the same papers in the same order, the same block. */
export function fragmentKey(paperIds: readonly string[]): string {
  return createHash('sha1').update(paperIds.join('\n')).digest('hex').slice(0, 12);
}

/** A block as the store keeps it (edition_fragments): the choice's key and papers, HTML and text. */
export interface ForYouBlock extends ForYouFragment {
  key: string;
  paperIds: string[];
}

const CUT = '%%PB_CUT%%';

interface Piece {
  html: string;
  text: string;
}

/** Renders an edition's For you blocks; keeps each paper's card for the next choices. */
export class ForYouRenderer {
  private readonly cards = new Map<string, Piece>();
  private header?: Piece;

  constructor(
    private readonly content: EditionContent,
    private readonly opts: ViewOptions,
  ) {}

  private paper(id: string): ForYouPaper {
    const paper = forYouPaper(this.content, id, this.opts.publicUrl);
    if (!paper) throw new RenderError(`For you: paper ${id} is not in the edition of ${this.content.date}`);
    return paper;
  }

  /** Renders the cards of `ids` not rendered yet (and the header, the first time), in one MJML compile. */
  private async renderCards(ids: string[]): Promise<void> {
    const missing = [...new Set(ids)].filter((id) => !this.cards.has(id));
    if (missing.length === 0 && this.header) return;
    const papers = missing.map((id) => this.paper(id));
    const [{ createElement }, layout, { ForYouHeader }, { PaperCard }, { compileEmail, MjRaw }] = await Promise.all([
      import('react'),
      import('../../templates/email/Layout.tsx'),
      import('../../templates/email/Digest.tsx'),
      import('../../templates/email/Paper.tsx'),
      import('../../templates/email/mjml.ts'),
    ]);
    const cut = (key: string) => createElement(MjRaw, { key, dangerouslySetInnerHTML: { __html: CUT } });
    const rows: ReactElement[] = [cut('c0'), createElement(ForYouHeader, { key: 'h', preferencesUrl: PLACEHOLDER.preferencesUrl }), cut('c1')];
    papers.forEach((p, i) => rows.push(createElement(PaperCard, { key: `p${i}`, paper: p }), cut(`c${i + 2}`)));
    let html: string;
    try {
      // the digest's shell and column: the rows come out as they would inside the digest
      ({ html } = await compileEmail(
        createElement(layout.EmailShell, {
          title: 'For you',
          preheader: '',
          children: createElement(layout.Block, { padding: '16px 20px 0', children: rows }),
        }),
      ));
    } catch (err) {
      throw new RenderError(`rendering the For you cards of ${this.content.date} failed: ${(err as Error).message}`, { cause: err });
    }
    const parts = html.split(CUT).map((s) => s.trim());
    if (parts.length !== papers.length + 3)
      throw new RenderError(`rendering the For you cards of ${this.content.date} lost a card (${parts.length - 3} of ${papers.length})`);
    this.header ??= { html: parts[1]!, text: forYouTextHeader(PLACEHOLDER.preferencesUrl) };
    papers.forEach((p, i) => this.cards.set(p.id, { html: parts[i + 2]!, text: forYouTextCard(p) }));
  }

  /** The blocks of these choices (paper ids, in order), rendering what is missing. */
  async fragments(choices: string[][]): Promise<ForYouBlock[]> {
    await this.renderCards(choices.flat());
    return choices.map((ids) => ({
      key: fragmentKey(ids),
      paperIds: ids,
      html: this.header!.html + ids.map((id) => this.cards.get(id)!.html).join(''),
      text: this.header!.text + ids.map((id) => this.cards.get(id)!.text).join('\n'),
    }));
  }
}

/** The render stage's side: each choice's block stored once before any delivery names it. */
export class FragmentStore {
  private readonly stored = new Set<string>();
  private readonly renderer: ForYouRenderer;

  constructor(
    private readonly ctx: StageContext,
    private readonly edition: Edition,
  ) {
    this.renderer = new ForYouRenderer(edition.content, viewOptionsOf(ctx.config, ctx.env));
  }

  /** Makes sure these choices' blocks are stored (another worker may have stored some already). */
  async ensure(choices: Map<string, string[]>): Promise<void> {
    const unknown = [...choices.keys()].filter((k) => !this.stored.has(k));
    if (unknown.length === 0) return;
    const there = await this.ctx.store.forYou.fragmentKeys(this.edition.id, unknown);
    const missing = unknown.filter((k) => !there.has(k));
    if (missing.length > 0)
      await this.ctx.store.forYou.saveFragments(
        this.edition.id,
        await this.renderer.fragments(missing.map((k) => choices.get(k)!)),
        this.ctx.clock.now().toISOString(),
      );
    for (const k of unknown) this.stored.add(k);
  }
}

/**
 * The fan-out's side: for one page of readers (in id order), each reader's For you papers
 * from their profile (one range read for the page) and their block's key, with the blocks
 * stored before the page's deliveries name them. Readers without a profile, or whose
 * profile matches nothing of their variant that day, get no key and no block.
 */
export class ForYouFanout {
  private readonly chooser: ForYouChooser;
  private readonly fragments: FragmentStore;
  private readonly store: StageContext['store'];

  constructor(ctx: StageContext, edition: Edition) {
    this.chooser = new ForYouChooser(edition.content, { size: ctx.config.forYou.size, halfLifeDays: ctx.config.forYou.halfLifeDays, at: edition.frozenAt });
    this.fragments = new FragmentStore(ctx, edition);
    this.store = ctx.store;
  }

  /** `readers`: ids in ascending order, each with the sections of their variant. */
  async choose(readers: { id: number; topics: string[] }[]): Promise<Map<number, string>> {
    const keys = new Map<number, string>();
    if (readers.length === 0) return keys;
    const profiles = await this.store.forYou.profilesBetween(readers[0]!.id, readers[readers.length - 1]!.id);
    if (profiles.size === 0) return keys;
    const choices = new Map<string, string[]>();
    for (const r of readers) {
      const profile = parseProfile(profiles.get(r.id));
      if (!profile || r.topics.length === 0) continue;
      const ids = this.chooser.choose(profile, r.topics);
      if (ids.length === 0) continue;
      const key = fragmentKey(ids);
      choices.set(key, ids);
      keys.set(r.id, key);
    }
    await this.fragments.ensure(choices);
    return keys;
  }
}
