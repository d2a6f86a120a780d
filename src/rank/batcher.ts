import type { Ranker, RankOutcome } from './ranker.ts';

/**
 * Gathers the papers of the jobs running at the same moment into one `rankMany` call: one
 * read and one transaction for up to `max` papers instead of one each. A job still carries
 * one paper id and succeeds or fails on its own.
 */
export class RankBatcher {
  private pending: { id: string; resolve: (o: RankOutcome | undefined) => void; reject: (e: unknown) => void }[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ranker: Ranker,
    private readonly max = 100,
    private readonly waitMs = 5,
  ) {}

  rank(id: string): Promise<RankOutcome | undefined> {
    return new Promise((resolve, reject) => {
      this.pending.push({ id, resolve, reject });
      if (this.pending.length >= this.max) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.waitMs);
    });
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending.splice(0);
    if (batch.length === 0) return;
    this.ranker.rankMany(batch.map((b) => b.id)).then(
      (out) => batch.forEach((b) => b.resolve(out.get(b.id))),
      (err) => batch.forEach((b) => b.reject(err)),
    );
  }
}
