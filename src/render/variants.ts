import type { StageContext } from '../app.ts';
import type { VariantRecord } from '../db/index.ts';
import type { Edition } from '../domain/edition.ts';
import { viewOptionsOf } from '../../templates/email/view.ts';
import { renderVariant, variantKey } from './renderVariant.ts';

/**
 * Variants of one edition, rendered at most once each: looked up in the database first, and
 * rendered and stored when missing (a subscriber may change topics after the fan-out began).
 */
export class VariantStore {
  private readonly cache = new Map<string, Promise<VariantRecord>>();

  constructor(
    private readonly ctx: StageContext,
    private readonly edition: Edition,
  ) {}

  /** The variant for these sections (`first` of them first), rendered and stored if it is not yet. */
  ensure(topics: string[], first: string[] = []): Promise<VariantRecord> {
    const key = variantKey(topics, first);
    let found = this.cache.get(key);
    if (!found) {
      found = this.load(key, topics, first);
      // a failed render is not cached: the retry renders again
      found.catch(() => this.cache.delete(key));
      this.cache.set(key, found);
    }
    return found;
  }

  /** A variant the fan-out made sure of. */
  byKey(key: string): Promise<VariantRecord> {
    let found = this.cache.get(key);
    if (!found) {
      found = this.ctx.store.editions.getVariant(this.edition.id, key).then((v) => {
        if (!v) throw new Error(`variant ${key} of edition ${this.edition.id} is missing: it is rendered before its deliveries are queued`);
        return v;
      });
      found.catch(() => this.cache.delete(key));
      this.cache.set(key, found);
    }
    return found;
  }

  private async load(key: string, topics: string[], first: string[]): Promise<VariantRecord> {
    const stored = await this.ctx.store.editions.getVariant(this.edition.id, key);
    if (stored) return stored;
    const rendered = await renderVariant(this.edition.content, topics, viewOptionsOf(this.ctx.config, this.ctx.env), first);
    const record: VariantRecord = { editionId: this.edition.id, variantKey: key, ...rendered, renderedAt: this.ctx.clock.now().toISOString() };
    await this.ctx.store.editions.saveVariant(record);
    // two workers may render the same variant at once: the stored one wins, so all mail matches
    return (await this.ctx.store.editions.getVariant(this.edition.id, key)) ?? record;
  }
}
