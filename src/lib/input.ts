/**
 * Text and numbers from outside (query strings, form fields, CLI arguments, feeds), held to one
 * rule at each door they come in by, so that no call site has to remember it.
 */

/**
 * PostgreSQL text cannot hold U+0000 ("invalid byte sequence for encoding UTF8: 0x00"), and no
 * reader ever typed one: it is dropped from every string of a value (keys of objects included).
 */
export function withoutNul<T>(value: T): T {
  if (typeof value === 'string') return (value.includes('\0') ? value.replaceAll('\0', '') : value) as T;
  if (Array.isArray(value)) return value.map((v) => withoutNul(v)) as T;
  if (value !== null && typeof value === 'object' && isPlainObject(value)) {
    const out: Record<string, unknown> = Object.getPrototypeOf(value) === null ? Object.create(null) : {};
    for (const [k, v] of Object.entries(value)) out[withoutNul(k)] = withoutNul(v);
    return out as T;
  }
  return value;
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === null || proto === Object.prototype;
}

export type WholeNumber = { ok: true; value: number } | { ok: false; problem: string };

/**
 * A whole number written in digits only, from `min` to `max`: `7` and `07` are 7; `""`, `0x3`,
 * `1e1`, `+7`, ` 7`, `7.0` and `-1` are refused (JavaScript's Number() takes most of them, and
 * an empty field would be 0). The problem names the field, what came and what is expected.
 */
export function wholeNumber(name: string, raw: unknown, min: number, max: number): WholeNumber {
  if (typeof raw === 'string' && /^[0-9]{1,16}$/.test(raw)) {
    const value = Number(raw);
    if (value >= min && value <= max) return { ok: true, value };
  }
  const range = `a whole number from ${min} to ${max}`;
  if (typeof raw === 'string')
    return { ok: false, problem: `${name} "${raw.length > 40 ? `${raw.slice(0, 40)}…` : raw}" is not ${range} (write it in digits only)` };
  return { ok: false, problem: `${name} is ${raw === undefined ? 'missing' : 'given more than once'}: give ${range}` };
}
