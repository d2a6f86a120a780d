/**
 * A paper's blurb: what it found, in whole sentences within a length budget. An abstract opens
 * with background ("Large language models have…"); the sentence that states the contribution
 * ("we propose / introduce / show…") is what a reader scanning the digest needs, else the
 * closing sentences, which usually state the results.
 */

/** Cuts at a word boundary with an ellipsis. */
export function shorten(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max * 0.5 ? cut.slice(0, space) : cut).replace(/[\s,.;:–—-]+$/, '')}…`;
}

// "e.g. Stable Diffusion" is one sentence: a capital after these does not start a new one
const ABBREVIATION = /(?:\b(?:e\.g|i\.e|cf|vs|al|etc|Fig|Figs|Eq|Eqs|Sec|No|approx|resp)|\b[A-Z])$/;

/**
 * Where sentences end: after . ! ? followed by a space and a capital, a digit or an opening
 * mark, unless the full stop closes an abbreviation or an initial.
 */
function sentenceEnds(clean: string): number[] {
  return [...clean.matchAll(/[.!?](?=\s+[A-Z0-9("'“])/g)]
    .filter((m) => clean[m.index!] !== '.' || !ABBREVIATION.test(clean.slice(Math.max(0, m.index! - 8), m.index!)))
    .map((m) => m.index! + 1);
}

function sentencesOf(clean: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (const end of sentenceEnds(clean)) {
    out.push(clean.slice(start, end).trim());
    start = end;
  }
  const last = clean.slice(start).trim();
  if (last) out.push(last);
  return out;
}

const fold = (text: string) => text.replace(/\s+/g, ' ').trim();

/**
 * The first sentences of a text that fit in `max` characters, so that a blurb never stops
 * mid-sentence; a first sentence longer than that is cut at a word with an ellipsis.
 */
export function firstSentences(text: string, max = 300): string {
  const clean = fold(text);
  if (clean.length <= max) return clean;
  const fits = sentenceEnds(clean).filter((e) => e <= max);
  if (fits.length > 0) return clean.slice(0, fits[fits.length - 1]);
  return shorten(clean, max);
}

/** The first sentence alone when it fits in `max` characters; else as `firstSentences`. */
export function firstSentence(text: string, max = 300): string {
  const clean = fold(text);
  const end = sentenceEnds(clean)[0];
  return end !== undefined && end <= max ? clean.slice(0, end) : firstSentences(clean, max);
}

/** "we propose", "this paper introduces", "Here, we define", "our results show"… */
const CONTRIBUTION =
  /\b(?:we|this (?:paper|work|study|article|report|letter)|our (?:work|paper|study|method|approach|framework|model|results|experiments|analysis))\b[^.;]{0,60}?\b(?:propos|introduc|present|show|find|found|demonstrat|achiev|develop|design|establish|argu|prov|deriv|identif|reveal|report|releas|stud|investigat|analy[sz]|examin|explor|formali[sz]|defin|buil|construct|offer|creat|characteri[sz]|describ|uncover|outperform|improv|reduc|obtain)\w*/i;

/** A sentence that is about where to get things, not what was found. */
const HOUSEKEEPING =
  /https?:\/\/|\bavailable (?:at|on|from)\b|\b(?:code|data|dataset|models?|weights|demo)s? (?:is|are|will be) (?:publicly |openly |freely )?(?:available|released)|^(?:project page|code|github)\b/i;

/** "In this paper, we…", "To fill this gap, we…": a lead-in that means nothing on its own. */
const LEAD_IN =
  /^(?:in this (?:paper|work|study|article|white paper|report|letter)|here|to (?:this end|address (?:this|these)(?: \w+){0,3}|fill (?:this|the) gap|bridge (?:this|the) gap|overcome (?:this|these)(?: \w+){0,3}|tackle (?:this|these)(?: \w+){0,3})|in this context),\s+(?=(?:we|our)\b)/i;

function withoutLeadIn(sentence: string): string {
  const rest = sentence.replace(LEAD_IN, '');
  return rest === sentence ? sentence : rest.charAt(0).toUpperCase() + rest.slice(1);
}

/**
 * The blurb of an abstract: from its contribution sentence on (the sentence alone when
 * `oneSentence`) while the sentences fit in `max`; else the closing sentences that fit, never
 * the opening one. Whole sentences, unless the one to show alone is longer than `max`.
 */
export function abstractBlurb(abstract: string, max = 300, oneSentence = false): string {
  const clean = fold(abstract);
  const sentences = sentencesOf(clean);
  if (sentences.length <= 1) return firstSentences(clean, max);
  const contributions = sentences.map((s, i) => (CONTRIBUTION.test(s) && !HOUSEKEEPING.test(s) ? i : -1)).filter((i) => i >= 0);
  const start = contributions.find((i) => withoutLeadIn(sentences[i]!).length <= max);
  if (start !== undefined) {
    const out = [withoutLeadIn(sentences[start]!)];
    let length = out[0]!.length;
    for (let i = start + 1; !oneSentence && i < sentences.length && !HOUSEKEEPING.test(sentences[i]!); i++) {
      if (length + 1 + sentences[i]!.length > max) break;
      out.push(sentences[i]!);
      length += 1 + sentences[i]!.length;
    }
    return out.join(' ');
  }
  if (contributions.length > 0) return shorten(withoutLeadIn(sentences[contributions[0]!]!), max);
  // no stated contribution: the results, which abstracts put last (before any "code at…")
  let end = sentences.length;
  while (end > 1 && HOUSEKEEPING.test(sentences[end - 1]!)) end--;
  const out: string[] = [];
  let length = -1;
  for (let i = end - 1; i >= 1 && (out.length === 0 || !oneSentence); i--) {
    if (length + 1 + sentences[i]!.length > max) break;
    out.unshift(sentences[i]!);
    length += 1 + sentences[i]!.length;
  }
  return out.length > 0 ? out.join(' ') : shorten(sentences[end - 1]!, max);
}
