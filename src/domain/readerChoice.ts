/**
 * A reader's choice as the database stores it and the variants key it: the topic set and the
 * sections-first order, each in one canonical spelling, so that equal choices compare equal in
 * SQL (DISTINCT finds the variants) and in the render stage's memo.
 */

/** The stored spelling of a topic set: sorted and comma-joined, so equal sets compare equal in SQL. */
export function topicSetKey(topics: readonly string[]): string {
  return [...new Set(topics.map((t) => t.trim()).filter(Boolean))].sort().join(',');
}

export function parseTopicSet(key: string): string[] {
  return key === '' ? [] : key.split(',');
}

/**
 * The stored spelling of a section order: a JSON array, trimmed, first of each id kept, so
 * that equal orders compare equal in SQL. Order matters here, unlike in a topic set.
 */
export function sectionOrderKey(topics: readonly string[]): string {
  return JSON.stringify([...new Set(topics.map((t) => t.trim()).filter(Boolean))]);
}

export function parseSectionOrder(key: string | null | undefined): string[] {
  return parseIdList(key);
}

/** A stored JSON array of ids; anything else, or nothing, is an empty list. */
export function parseIdList(json: string | null | undefined): string[] {
  if (!json) return [];
  try {
    const ids: unknown = JSON.parse(json);
    return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : [];
  } catch {
    return [];
  }
}
