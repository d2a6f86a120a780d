/**
 * Table shapes as Kysely sees them. JSON columns are stored as text on both SQLite and
 * PostgreSQL so that one schema and one set of queries serve both; timestamps are ISO-8601
 * UTC strings, edition dates are YYYY-MM-DD.
 */
import type { Generated } from 'kysely';

/** The two databases paperboy runs on; a migration branches on it where their SQL differs. */
export type Dialect = 'sqlite' | 'postgres';

export interface PapersTable {
  id: string;
  title: string;
  abstract: string;
  /** JSON string[] */
  authors: string;
  /** JSON string[] */
  categories: string;
  primary_category: string | null;
  /** JSON PaperLinks */
  links: string;
  doi: string | null;
  journal_ref: string | null;
  announce_type: string | null;
  announced_at: string | null;
  published_at: string | null;
  first_seen_at: string;
  updated_at: string;
  /** JSON string[]: names of the sources that reported this paper */
  sources: string;
  /** Kind of the source whose title, abstract and authors are kept (the most authoritative seen). */
  text_source: string;
  /** JSON Record<source name, SourceSignal> */
  signals: string;
  content_hash: string;
  edition_date: string | null;
  primary_topic: string | null;
  /** JSON TopicScore[] */
  topics: string;
  score: number | null;
  ranked_at: string | null;
}

export interface PaperAliasesTable {
  alias: string;
  paper_id: string;
}

export interface SourceStateTable {
  name: string;
  etag: string | null;
  last_modified: string | null;
  last_attempt_at: string | null;
  last_success_at: string | null;
  last_error: string | null;
  last_error_at: string | null;
  /** JSON IngestCounts of the last run */
  last_counts: string | null;
  papers_total: number;
}

export interface SubscribersTable {
  id: Generated<number>;
  email: string;
  status: 'pending' | 'confirmed' | 'unsubscribed' | 'suppressed';
  /** Sorted, comma-joined topic ids; '' means every topic. Canonical so that DISTINCT finds the variants. */
  topics: string;
  frequency: 'daily' | 'weekly';
  timezone: string;
  delivery_hour: number;
  /** 1 when the reader chose `timezone` and `delivery_hour`; 0: the operator's default (sent with the edition). */
  delivery_time_chosen: Generated<number>;
  created_at: string;
  updated_at: string;
  confirmed_at: string | null;
  /** JSON PendingRequest: a subscription request waiting for its confirmation. */
  pending_request: string | null;
  confirm_requests: Generated<number>;
  confirm_requests_day: string | null;
  /** YYYY-MM-DD: no edition before this day. */
  paused_until: string | null;
  /** JSON string[]: topic ids the reader wants first, in their order; '[]': by each section's best paper. Canonical (`sectionOrderKey`) so that DISTINCT finds the variants. */
  section_order: Generated<string>;
}

export interface EditionsTable {
  id: string;
  kind: 'daily' | 'weekly';
  date: string;
  /** `empty`: the day had no papers, so no edition is sent, but the day counts as frozen. */
  status: 'frozen' | 'rendering' | 'sending' | 'sent' | 'empty';
  /** JSON EditionContent: sections and the paper snapshots they show */
  content: string;
  frozen_at: string;
  /** Fan-out checkpoint: the last subscriber id whose delivery was queued. */
  fanout_cursor: number;
  fanout_done: number;
  sent_at: string | null;
  updated_at: string;
  /** Set while sending is paused (by the operator or the reputation guard), with why. */
  paused_at: string | null;
  pause_reason: string | null;
  /** Set when the operator cancelled the edition: its open deliveries are skipped. */
  cancelled_at: string | null;
  /** Why rendering failed for good; the CLI reports it instead of waiting. */
  render_error: string | null;
}

export interface SuppressionsTable {
  /** Lower-cased. */
  email: string;
  reason: 'bounce' | 'complaint' | 'unsubscribe' | 'manual' | 'rejected';
  detail: string | null;
  created_at: string;
}

export interface EditionVariantsTable {
  edition_id: string;
  variant_key: string;
  /** JSON string[]: the topic sections of this variant */
  topics: string;
  subject: string;
  html: string;
  text: string;
  rendered_at: string;
}

export interface DeliveriesTable {
  edition_id: string;
  subscriber_id: number;
  variant_key: string;
  message_id: string;
  status: 'pending' | 'sending' | 'sent' | 'failed' | 'skipped';
  attempts: number;
  error: string | null;
  provider_id: string | null;
  updated_at: string;
  sent_at: string | null;
  /** Set when a stale "sending" delivery was claimed again: possibly sent twice. */
  reclaimed_at: string | null;
  /** Not to be sent before this instant (the reader's hour); null: at once. */
  send_after: string | null;
  /** The key of the For you fragment (`edition_fragments`) this delivery carries; null: none. */
  for_you: string | null;
}

/** An SNS message handled by a webhook (idempotency and replay refusal). */
export interface SnsMessagesTable {
  message_id: string;
  topic_arn: string;
  type: string;
  received_at: string;
}

/** One row per (delivery, kind of SES event): the first of each kind counts. */
export interface DeliveryFeedbackTable {
  edition_id: string;
  subscriber_id: number;
  kind: 'delivered' | 'bounced' | 'soft-bounced' | 'complained';
  /** The diagnostic (bounce) or feedback type (complaint). */
  detail: string | null;
  created_at: string;
}

/** Per-edition counts of SES events, read by the reputation guard. */
export interface EditionFeedbackTable {
  edition_id: string;
  delivered: number;
  bounced: number;
  soft_bounced: number;
  complained: number;
  /** When the guard paused this edition; it pauses an edition once, so a resume sticks. */
  guard_tripped_at: string | null;
  updated_at: string;
}

/** A reader's "more like this" / "less like this" on one paper; a second vote replaces the first. */
export interface ReaderVotesTable {
  subscriber_id: number;
  paper_id: string;
  vote: 'more' | 'less';
  /** The edition whose email carried the link, when known. */
  edition_id: string | null;
  /** When the vote (or the vote it replaced with the opposite) was cast: its age decays it. */
  created_at: string;
}

/** What a reader gave for For you, and the profile built from it and their votes. */
export interface ReaderProfilesTable {
  subscriber_id: number;
  /** JSON string[]: arXiv ids the reader gave as papers they like. */
  seed_papers: string;
  /** An arXiv author id such as `hinton_g_1`, as given. */
  author_id: string | null;
  /** Seed papers not in the papers table yet: the profile is rebuilt once they are. */
  pending_seeds: number;
  /** JSON Profile (src/personal/profile.ts); null while nothing gives it a weight. */
  profile: string | null;
  updated_at: string;
}

/** One For you block of an edition: the same papers, the same HTML and text, for every reader who gets them. */
export interface EditionFragmentsTable {
  edition_id: string;
  fragment_key: string;
  /** JSON string[]: the papers, in the block's order. */
  paper_ids: string;
  html: string;
  text: string;
  rendered_at: string;
}

export interface Database {
  papers: PapersTable;
  paper_aliases: PaperAliasesTable;
  source_state: SourceStateTable;
  subscribers: SubscribersTable;
  editions: EditionsTable;
  edition_variants: EditionVariantsTable;
  deliveries: DeliveriesTable;
  suppressions: SuppressionsTable;
  sns_messages: SnsMessagesTable;
  delivery_feedback: DeliveryFeedbackTable;
  edition_feedback: EditionFeedbackTable;
  reader_votes: ReaderVotesTable;
  reader_profiles: ReaderProfilesTable;
  edition_fragments: EditionFragmentsTable;
}
