/** JSON columns the queries share the reading of. */

/** A stored JSON array of strings (ids); anything else, or nothing, is an empty list. */
export function parseStringList(json: string | null | undefined): string[] {
  if (!json) return [];
  try {
    const ids: unknown = JSON.parse(json);
    return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : [];
  } catch {
    return [];
  }
}
