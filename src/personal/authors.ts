/**
 * Authors as For you compares them: by surname and first initial, spelt as arXiv spells its
 * public author ids (`hinton_g_1`: the surname and the first initial dumbed down to a-z, then
 * a sequence number). Feeds give names only, never ids, so an author id matches every author
 * of that surname and initial: two people who share them are one to For you, and the
 * sequence number (which tells them apart on arXiv) is not used.
 */

/** Letters that no Unicode decomposition takes to a-z. */
const LATIN: Record<string, string> = { ł: 'l', ø: 'o', æ: 'ae', œ: 'oe', ß: 'ss', đ: 'd', ð: 'd', þ: 'th', ı: 'i' };

/** Lower-case a-z only: accents stripped, anything else removed (arXiv's own rule for its ids). */
export function dumbDown(text: string): string {
  return text
    .toLowerCase()
    .replace(/[łøæœßđðþı]/g, (c) => LATIN[c]!)
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z]/g, '');
}

export interface AuthorId {
  /** As arXiv writes it: `hinton_g_1`. */
  id: string;
  /** The part For you matches: `hinton_g`. */
  key: string;
}

const AUTHOR_ID = /^(?:https?:\/\/(?:www\.)?arxiv\.org\/a\/)?([a-z]+)_([a-z])_(\d{1,4})(?:\.(?:html|atom2?))?\/?$/;

/** An arXiv author id, or its page's URL (`https://arxiv.org/a/hinton_g_1`); undefined when it is neither. */
export function parseAuthorId(value: string): AuthorId | undefined {
  const m = AUTHOR_ID.exec(value.trim().toLowerCase());
  if (!m) return undefined;
  return { id: `${m[1]}_${m[2]}_${m[3]}`, key: `${m[1]}_${m[2]}` };
}

const SUFFIXES = new Set(['jr', 'sr', 'ii', 'iii', 'iv']);

/**
 * The keys a name can match: the last one, two and three surname words with the first
 * initial ("Laurens van der Maaten" → `maaten_l`, `dermaaten_l`, `vandermaaten_l`), since an
 * author id's surname may be one word or several run together. Initials ("E." in
 * "Geoffrey E. Hinton") are not surname words. "Surname, First" is read too. The first key
 * (last word only) is the one votes learn from.
 */
export function authorKeys(name: string): string[] {
  let first: string | undefined;
  let surname: string[];
  const comma = name.indexOf(',');
  if (comma > 0) {
    surname = name.slice(0, comma).split(/\s+/);
    first = name
      .slice(comma + 1)
      .trim()
      .split(/[\s.]+/)[0];
  } else {
    const words = name.trim().split(/\s+/);
    first = words[0]?.split('.')[0];
    surname = words.slice(1);
  }
  const initial = dumbDown(first ?? '').slice(0, 1);
  const words = surname.filter((w) => !w.endsWith('.') && dumbDown(w).length > 1 && !SUFFIXES.has(dumbDown(w))).map(dumbDown);
  if (!initial || words.length === 0) return [];
  const keys: string[] = [];
  for (let k = 1; k <= Math.min(3, words.length); k++) keys.push(`${words.slice(-k).join('')}_${initial}`);
  return keys;
}
