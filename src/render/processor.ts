/**
 * The render stage: each distinct variant of an edition is rendered once (a topic set and a
 * section order that readers share), never once per reader. The send stage's fan-out
 * (src/send/fanout.ts) asks an EditionRender which variant each reader gets.
 */
import type { StageContext } from '../app.ts';
import { PermanentJobError } from '../queues/index.ts';
import type { Edition } from '../domain/edition.ts';
import { RenderError, variantFirst, variantKey, variantTopics } from './renderVariant.ts';
import { VariantStore } from './variants.ts';
import { parseSectionOrder, parseTopicSet, sectionOrderKey, topicSetKey } from '../domain/readerChoice.ts';

/** A reader's variant: its key, the topics it shows, and its render while that is under way. */
export interface ReaderVariant {
  key: string;
  /** Empty when the edition has nothing in the reader's topics: no message for them. */
  topics: string[];
  ready?: Promise<unknown>;
}

/** The variants of one edition, each worked out and rendered the first time a reader needs it. */
export class EditionRender {
  private readonly variants: VariantStore;
  // readers share a few choices (topic set and section order): each choice's sections, variant
  // key and render are worked out once, not once per reader
  private readonly byChoice = new Map<string, ReaderVariant>();

  constructor(
    private readonly ctx: StageContext,
    readonly edition: Edition,
  ) {
    this.variants = new VariantStore(ctx, edition);
  }

  /**
   * Runs a render. A template that cannot render fails the same way on every retry: its cause
   * is recorded where `edition send --wait` and `status` read it, and the job fails for good.
   */
  async guarded<T>(render: () => Promise<T>): Promise<T> {
    try {
      return await render();
    } catch (err) {
      if (!(err instanceof RenderError)) throw err;
      await this.ctx.store.editions.setRenderError(this.edition.id, err.message, this.ctx.clock.now().toISOString());
      throw new PermanentJobError(err.message);
    }
  }

  /** The variant of a reader's stored choice (both spellings canonical: topicSetKey, sectionOrderKey). */
  variantOf(topicSet: string, sectionOrder: string): ReaderVariant {
    // neither spelling holds a newline
    const choice = `${topicSet}\n${sectionOrder}`;
    let v = this.byChoice.get(choice);
    if (!v) {
      const { content } = this.edition;
      const topics = variantTopics(content, parseTopicSet(topicSet));
      const first = variantFirst(content, topics, parseSectionOrder(sectionOrder));
      v = { key: variantKey(topics, first), topics, ready: topics.length > 0 ? this.guarded(() => this.variants.ensure(topics, first)) : undefined };
      this.byChoice.set(choice, v);
    }
    return v;
  }

  /** Waits for a variant to be stored, the first time only. */
  async stored(v: ReaderVariant): Promise<void> {
    if (!v.ready) return;
    await v.ready;
    v.ready = undefined;
  }

  /**
   * Renders the variant of every choice the edition's readers hold today, before any delivery is
   * queued: a template that cannot render fails the job with nothing half sent. A reader who
   * changes their choice later brings a variant first seen in the fan-out, rendered there.
   * Returns how many variants the edition has.
   */
  async renderAll(): Promise<number> {
    const { store } = this.ctx;
    const rendered = new Set<string>();
    for (const choice of await store.subscribers.distinctChoices(this.edition.kind === 'daily' ? 'daily' : 'weekly', this.edition.date)) {
      const variant = this.variantOf(topicSetKey(choice.topics), sectionOrderKey(choice.sectionOrder));
      if (!variant.ready) continue; // nothing of theirs in this edition
      await this.stored(variant);
      rendered.add(variant.key);
    }
    if (this.edition.renderError) await store.editions.setRenderError(this.edition.id, undefined, this.ctx.clock.now().toISOString());
    return rendered.size;
  }
}
