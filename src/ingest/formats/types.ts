import type { PaperObservation, SourceKind } from '../../domain/paper.ts';

/** The formats recognised by content (never by file name or URL). */
export type FeedFormat = 'arxiv-rss' | 'arxiv-api' | 'hf-daily' | 'biorxiv-api' | 'rss' | 'rdf' | 'atom';

export interface ParseContext {
  /** The source's name, recorded in each observation's signal. */
  source: string;
  /** The configured kind; `rss` accepts any feed format, the others their own family. */
  kind: SourceKind;
  /** When the body was fetched (ISO-8601): the signals' `observedAt`. */
  observedAt: string;
  /** The HTTP Content-Type, when there was one (its charset is a hint for decoding). */
  contentType?: string;
}

export interface ParseResult {
  format: FeedFormat;
  /** The feed's own title, when it has one. */
  title?: string;
  observations: PaperObservation[];
  /** Items left out (no id or title, or invalid): counted, never stored half-made. */
  skipped: number;
  /**
   * Problems that did not stop the parse (truncated document, a declared encoding that was
   * wrong, skipped items and why). Non-empty means the source is reported with its cause.
   */
  problems: string[];
}

/** Nothing usable in the body: the message names the cause and, where there is one, the fix. */
export class FeedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'FeedError';
  }
}
