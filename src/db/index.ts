/**
 * The database's one door (issue #15): outside src/db, code reaches storage through the Store and
 * the record types it returns, imported from here. Queries, connections and migrations stay private.
 */
export { MIGRATION_NAMES, explainDatabaseError } from './connect.ts';
export type { DeliveryOutcome, DeliveryStatus, PendingDelivery } from './queries/deliveries.ts';
export type { VariantRecord } from './queries/editions.ts';
export type { DeliveryRef } from './queries/feedback.ts';
export type { ReaderSettings, Vote } from './queries/forYou.ts';
export type { PaperWrite, RankingUpdate } from './queries/papers.ts';
export type { IngestCounts } from './queries/sources.ts';
export type { Frequency, Subscriber } from './queries/subscribers.ts';
export type { SuppressionReason } from './queries/suppressions.ts';
export { Store } from './store.ts';
