/**
 * Hugging Face daily papers (`huggingface.co/api/daily_papers?date=…`): a JSON array of
 * `{ paper: {…}, numComments, organization?, … }`. Optional keys are simply absent; a value of
 * the wrong type is ignored, never a crash. Links must be http(s) or are dropped.
 */
import { parseArxivId } from '../../domain/paper.ts';
import { plainText } from '../text.ts';
import { Collector, compact, count, httpUrl, obj, parseDate, str } from './common.ts';
import type { ParseContext, ParseResult } from './types.ts';

export function parseHfDaily(json: unknown, ctx: ParseContext): ParseResult {
  const collector = new Collector(ctx, 'hf-daily');
  const items = Array.isArray(json) ? json : [];
  for (const raw of items) {
    const item = obj(raw);
    if (!item) {
      collector.skip('not an object');
      continue;
    }
    collector.add(readItem(item));
  }
  return {
    format: 'hf-daily',
    title: 'Hugging Face daily papers',
    observations: collector.observations,
    skipped: collector.skipped,
    problems: collector.problems(),
  };
}

function readItem(item: Record<string, unknown>) {
  // The daily list wraps each paper; /api/papers answers with the paper objects themselves.
  const paper = obj(item.paper) ?? item;
  const rawId = str(paper.id);
  const arxivId = parseArxivId(rawId);

  const authors = Array.isArray(paper.authors)
    ? paper.authors.map((a) => plainText(str(obj(a)?.name) ?? (typeof a === 'string' ? a : undefined), 'text')).filter(Boolean)
    : [];

  const org = obj(item.organization) ?? obj(paper.organization);
  const organization = str(org?.fullname) ?? str(org?.name);
  const keywords = Array.isArray(paper.ai_keywords)
    ? paper.ai_keywords.filter((k): k is string => typeof k === 'string' && k.trim() !== '').map((k) => k.trim())
    : undefined;
  const submittedOnDailyAt = parseDate(str(paper.submittedOnDailyAt) ?? str(item.submittedOnDailyAt));
  const publishedAt = parseDate(str(paper.publishedAt) ?? str(item.publishedAt));
  const aiSummary = plainText(str(paper.ai_summary), 'text') || undefined;

  return compact({
    keys: compact({ arxivId, url: arxivId ? undefined : httpUrl(rawId && `https://huggingface.co/papers/${rawId}`) }),
    title: plainText(str(paper.title) ?? str(item.title), 'text'),
    abstract: plainText(str(paper.summary) ?? str(item.summary), 'text'),
    authors,
    links: compact({
      hf: rawId ? `https://huggingface.co/papers/${encodeURIComponent(rawId)}` : undefined,
      abstract: arxivId ? `https://arxiv.org/abs/${arxivId}` : undefined,
      pdf: arxivId ? `https://arxiv.org/pdf/${arxivId}` : undefined,
      code: httpUrl(paper.githubRepo),
      project: httpUrl(paper.projectPage),
    }),
    announcedAt: submittedOnDailyAt,
    publishedAt,
    signal: compact({
      upvotes: count(paper.upvotes),
      comments: count(item.numComments) ?? count(paper.numComments),
      githubStars: count(paper.githubStars),
      aiSummary,
      aiKeywords: keywords && keywords.length > 0 ? keywords : undefined,
      organization: organization?.trim() || undefined,
      submittedOnDailyAt,
    }),
  });
}
