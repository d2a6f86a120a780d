/**
 * Measures topic assignment on the labelled set and writes the figures to docs/ranking.md.
 *
 *   node --import tsx scripts/evaluate-topics.ts            # evaluate, write docs/ranking.md
 *   node --import tsx scripts/evaluate-topics.ts --no-write # evaluate, print only
 *   node --import tsx scripts/evaluate-topics.ts --errors=dev   # also list the errors (dev|held|all)
 *   node --import tsx scripts/evaluate-topics.ts --config other.json --labels other-set.json --out /tmp/r.md
 *   (--repeat N: loops over the labelled set for the speed figure, default 30)
 *
 * The labelled set is split deterministically into a dev half (look at its errors when tuning)
 * and a held-out half (only read its figures): within each label, papers are ordered by the
 * FNV-1a hash of their id and alternate dev, held-out, dev, … so both halves keep the label mix.
 *
 * In docs/ranking.md only the block between the `topics:begin` / `topics:end` markers is
 * replaced, so the rest of the file (e.g. the score documentation) is kept.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseConfig } from '../src/config/load.ts';
import type { Config } from '../src/config/schema.ts';
import type { SourceSignal } from '../src/domain/paper.ts';
import { TopicClassifier, type ClassifiablePaper, type Classification } from '../src/rank/topics.ts';

interface Labelled {
  id: string;
  title: string;
  abstract: string;
  categories: string[];
  primaryCategory?: string;
  aiKeywords?: string[];
  source: string;
  label: string;
  alsoFits?: string[];
  note?: string;
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const option = (name: string): string | undefined => {
  const eq = args.find((a) => a.startsWith(`--${name}=`));
  if (eq) return eq.slice(name.length + 3);
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] && !args[i + 1]!.startsWith('--') ? args[i + 1] : undefined;
};

const configPath = path.resolve(root, option('config') ?? 'paperboy.config.json');
const labelsPath = path.resolve(root, option('labels') ?? 'test/fixtures/ranking/labelled-papers.json');
const docPath = path.resolve(root, option('out') ?? 'docs/ranking.md');
const repeat = Number(option('repeat') ?? 30);
const showErrors = option('errors') ?? (flag('errors') ? 'dev' : undefined);

export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The ids of the dev half: per label, ordered by hash of the id, every other paper. */
export function devIds(items: Labelled[]): Set<string> {
  const byLabel = new Map<string, Labelled[]>();
  for (const it of items) byLabel.set(it.label, [...(byLabel.get(it.label) ?? []), it]);
  const dev = new Set<string>();
  for (const list of byLabel.values()) {
    list
      .slice()
      .sort((a, b) => fnv1a(a.id) - fnv1a(b.id) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .forEach((it, i) => {
        if (i % 2 === 0) dev.add(it.id);
      });
  }
  return dev;
}

export function asPaper(it: Labelled): ClassifiablePaper {
  const signals: Record<string, SourceSignal> = it.aiKeywords
    ? { hf: { source: 'hf', kind: 'hf-daily', observedAt: '2026-01-01T00:00:00Z', aiKeywords: it.aiKeywords } }
    : {};
  return { title: it.title, abstract: it.abstract, categories: it.categories, primaryCategory: it.primaryCategory, signals };
}

const pct = (num: number, den: number) => (den === 0 ? '–' : `${((100 * num) / den).toFixed(1)} %`);
const fixed = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '–');
const cell = (s: string) => s.replace(/\|/g, '\\|');

/** The scoring rules, with this config's values, for operators tuning their own taxonomy. */
function howItWorks(config: Config): string {
  const r = config.rank;
  const list = (m: Record<string, number>, n = 12) => {
    const entries = Object.entries(m).filter(([, w]) => w > 0);
    return (
      entries
        .slice(0, n)
        .map(([k, w]) => `\`${k}\` ${w}`)
        .join(', ') + (entries.length > n ? `, … (${entries.length} in all)` : '')
    );
  };
  const weighted = config.topics.filter((t) => t.weight !== 1).map((t) => `\`${t.id}\` ${t.weight}`);
  const ownMin = config.topics.filter((t) => t.minScore !== undefined).map((t) => `\`${t.id}\` ${t.minScore}`);
  return `## How topics are scored

Each paper is scored in one pass over the words of its title, abstract and HF \`ai_keywords\`
(linear in its length); \`paperboy papers explain ID\` prints every match below with its points.

1. **Scope gate** (\`rank.scope\`). The paper's evidence of being in scope is summed from
   \`scope.categories\` (the primary category at full weight, other listed categories at
   \`rank.secondaryCategoryWeight\` = ${r.secondaryCategoryWeight}), \`scope.keywords\` (scored like topic keywords, below) and
   \`scope.sources\` (a source kind or name that reported the paper). Below \`scope.minScore\`
   (here ${r.scope.minScore}; default 0 = gate off) the paper goes to the fallback topic \`${config.fallbackTopic.id}\`
   whatever its topic scores, and \`explain\` says \`out of scope: evidence …\`. The shipped gate
   keeps papers without ML evidence (classical statistics, software testing without ML, physics)
   out of the ML sections. Here: categories ${list(r.scope.categories)}; sources ${list(r.scope.sources)};
   keywords ${list(r.scope.keywords, 10)}. Buzzwords are weak on purpose (\`ai\` ${r.scope.keywords['ai'] ?? '–'}).
2. **Categories.** Each topic's \`categories\` add their weight for the primary category and
   ${r.secondaryCategoryWeight} × their weight for every other listed category. Feeds without a primary category
   (arXiv RSS) count the first listed one as primary.
3. **Keywords**, matched on Porter stems (\`agents\` = \`agent\` = \`agentic\`):
   a title match counts \`rank.titleWeight\` = ${r.titleWeight} × its weight (once per phrase); abstract matches
   count once each, at most \`rank.maxAbstractHits\` = ${r.maxAbstractHits} times per phrase; HF \`ai_keywords\` count
   like abstract words, at most \`rank.maxKeywordHits\` = ${r.maxKeywordHits} times per phrase.
   - At one position only the longest phrase of a topic counts: "large language models" is one
     mention, not also "language model". Hence a longer phrase with **weight 0 masks** a word of
     another sense: \`"representation alignment": 0\` keeps REPA-style diffusion papers from scoring
     for alignment, \`"shapley values": 0\` keeps data valuation away from human values.
   - \`"=word"\` matches the word as written, not its stem, for words whose stem is too broad:
     \`optimizer\` stems to \`optim\` (= optimal, optimization), \`hardness\` to \`hard\`,
     \`expressivity\` to \`express\`, \`embedding\` to \`embed\` (= embedded systems),
     \`fairness\` to \`fair\`, \`simulator\` to \`simul\`.
   - \`"*ending"\` matches one word with that ending: \`*bench\` is RewardBench, ToolBench.
4. **Title cues** (\`titleKeywords\`): in the title, these weights replace the keyword weight; a
   phrase listed only there counts only in titles. They carry the labelling rule "the
   contribution decides": "benchmark", "evaluation", "dataset" head a benchmark paper's title
   but appear in every abstract.
5. **Topic weight** (\`weight\`, default 1) multiplies the topic's total. ${weighted.length ? `Here: ${weighted.join(', ')}` : 'None set here'}: LLM words are in most
   abstracts, so the language-models section keeps LLM papers whose contribution is not a
   benchmark, alignment, RL, efficiency, … (prompting, agents, retrieval, tokenization).
6. **Exclusions** (\`exclude\`): a phrase found (stemmed) in the title or abstract vetoes the topic
   entirely; \`explain\` lists it. The shipped taxonomy needs none; use them for a phrase that
   must never land a paper in a section.
7. **Minimum score.** A topic below \`rank.minTopicScore\` = ${r.minTopicScore} (or its own \`minScore\`${ownMin.length ? `; here ${ownMin.join(', ')}` : ''}) is
   dropped; with none left the paper goes to \`${config.fallbackTopic.id}\`. Applications needs more because a domain
   named once as motivation ("e.g. in healthcare") is not an application.
8. **Primary and secondary topics.** The best score is the primary topic; ties go to the topic
   listed first in the taxonomy, so the same input always gives the same answer. Every other
   topic with at least \`rank.secondaryRatio\` = ${r.secondaryRatio} × the primary's score is a secondary topic.

Tuning your own taxonomy: label 80+ papers of your feeds (\`{ id, title, abstract, categories,
primaryCategory?, aiKeywords?, label, alsoFits? }\`), run this script with \`--labels\` and
\`--config\`, read \`--errors=dev\` and fix vocabulary (check what a keyword stems to; prefer
phrases), then read the held-out figure once.`;
}

function main(): void {
  // `… | head` closes stdout early: stop printing quietly, still write the document
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
  const config = parseConfig(JSON.parse(readFileSync(configPath, 'utf8')), configPath);
  const classifier = TopicClassifier.fromConfig(config);
  const items = JSON.parse(readFileSync(labelsPath, 'utf8')) as Labelled[];
  const dev = devIds(items);
  const topicIds = classifier.sectionOrder();
  for (const it of items) if (!topicIds.includes(it.label)) topicIds.push(it.label);

  const papers = items.map(asPaper);
  const results: Classification[] = papers.map((p) => classifier.classify(p));

  // agreement
  const halves = { all: (_: Labelled) => true, dev: (it: Labelled) => dev.has(it.id), held: (it: Labelled) => !dev.has(it.id) };
  const agreement = Object.fromEntries(
    Object.entries(halves).map(([name, inHalf]) => {
      let n = 0;
      let strict = 0;
      let lenient = 0;
      items.forEach((it, i) => {
        if (!inHalf(it)) return;
        n++;
        const got = results[i]!.primary;
        if (got === it.label) strict++;
        if (got === it.label || (it.alsoFits ?? []).includes(got)) lenient++;
      });
      return [name, { n, strict, lenient }];
    }),
  ) as Record<keyof typeof halves, { n: number; strict: number; lenient: number }>;

  // per topic, confusion matrix, error pairs
  const confusion = new Map<string, Map<string, number>>();
  const pairs = new Map<string, { n: number; titles: string[] }>();
  items.forEach((it, i) => {
    const got = results[i]!.primary;
    const row = confusion.get(it.label) ?? new Map<string, number>();
    row.set(got, (row.get(got) ?? 0) + 1);
    confusion.set(it.label, row);
    if (got !== it.label) {
      const key = `${it.label} → ${got}`;
      const pair = pairs.get(key) ?? { n: 0, titles: [] };
      pair.n++;
      if (pair.titles.length < 2) pair.titles.push(it.title);
      pairs.set(key, pair);
    }
  });
  const perTopic = topicIds.map((id) => {
    const support = items.filter((it) => it.label === id).length;
    const predicted = results.filter((r) => r.primary === id).length;
    const tp = items.filter((it, i) => it.label === id && results[i]!.primary === id).length;
    const precision = predicted ? tp / predicted : NaN;
    const recall = support ? tp / support : NaN;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : NaN;
    return { id, support, predicted, tp, precision, recall, f1 };
  });
  const topPairs = [...pairs.entries()].sort((a, b) => b[1].n - a[1].n || (a[0] < b[0] ? -1 : 1)).slice(0, 15);

  // speed: the labelled set `repeat` times, classification only; the median of three such loops
  // (the machine may be busy with other work)
  let sink = 0;
  const loops = [0, 1, 2].map(() => {
    const started = process.hrtime.bigint();
    for (let r = 0; r < repeat; r++) for (const p of papers) sink += classifier.classify(p).topics.length;
    return Number(process.hrtime.bigint() - started) / 1e9;
  });
  const seconds = loops.sort((a, b) => a - b)[1]!;
  const perSecond = Math.round((repeat * papers.length) / seconds);
  if (sink < 0) console.log(sink);

  const line = (name: keyof typeof agreement) => {
    const a = agreement[name];
    return `${name.padEnd(5)} n=${String(a.n).padStart(3)}  strict ${pct(a.strict, a.n).padStart(7)}  lenient ${pct(a.lenient, a.n).padStart(7)}`;
  };
  console.log(line('all'));
  console.log(line('dev'));
  console.log(line('held'));
  console.log(`speed ${perSecond} papers/s (${repeat} × ${papers.length} papers in ${seconds.toFixed(2)} s, median of 3)`);
  for (const t of perTopic)
    console.log(`  ${t.id.padEnd(24)} n=${String(t.support).padStart(3)} P ${fixed(t.precision)} R ${fixed(t.recall)} F1 ${fixed(t.f1)}`);

  if (showErrors) {
    items.forEach((it, i) => {
      const inHalf = showErrors === 'all' || (showErrors === 'dev' ? dev.has(it.id) : !dev.has(it.id));
      const r = results[i]!;
      if (!inHalf || r.primary === it.label) return;
      const lenient = (it.alsoFits ?? []).includes(r.primary) ? ' (lenient ok)' : '';
      console.log(`\n${it.label} → ${r.primary}${lenient} | ${it.title}`);
      console.log(
        `   scope ${r.scope.score} (${r.scope.matches.map((m) => `${m.reason} +${m.points}`).join('; ')}) | ${r.topics.map((t) => `${t.id} ${t.score}`).join(', ')}`,
      );
      const byTopic = new Map<string, string[]>();
      for (const m of r.matches) byTopic.set(m.topic, [...(byTopic.get(m.topic) ?? []), `${m.reason} +${m.points}`]);
      for (const [topic, reasons] of byTopic) if (topic === it.label || topic === r.primary) console.log(`   ${topic}: ${reasons.join('; ')}`);
    });
  }

  if (flag('no-write')) return;

  const abbrev = (id: string) =>
    id
      .split('-')
      .map((w) => w.slice(0, 4))
      .join('-');
  const nodeVersion = (() => {
    try {
      return execFileSync(process.execPath, ['--version'], { encoding: 'utf8' }).trim();
    } catch {
      return process.version;
    }
  })();
  const cores = os.availableParallelism?.() ?? os.cpus().length;
  const relLabels = path.relative(root, labelsPath);
  const relConfig = path.relative(root, configPath);
  const a = agreement;
  const md: string[] = [];
  md.push('<!-- topics:begin (written by scripts/evaluate-topics.ts; edits inside this block are overwritten) -->');
  md.push('# Topic assignment: how it works and how well');
  md.push('');
  md.push('> Re-run (no npm needed), from the repository root:');
  md.push('> `node --import tsx scripts/evaluate-topics.ts`');
  md.push('> (add `--no-write` to only print, `--errors=dev` to list the dev-half errors with their matches,');
  md.push('> `--config FILE` to measure your own taxonomy). It rewrites this block of `docs/ranking.md`.');
  md.push('');
  md.push(`Measured ${new Date().toISOString().slice(0, 10)} on this machine (${cores} cores, Node ${nodeVersion}), with`);
  md.push(`\`node --import tsx scripts/evaluate-topics.ts\`: config \`${relConfig}\`, labelled set \`${relLabels}\``);
  md.push(`(${items.length} papers; labels and labelling rules in \`test/fixtures/ranking/README.md\`).`);
  md.push('');
  md.push('## Agreement with the labels');
  md.push('');
  md.push('*Strict*: the primary topic is the label. *Lenient*: the primary topic is the label or one of the');
  md.push("label's `alsoFits` (other defensible topics). The set is split deterministically into a **dev** half");
  md.push('(read its errors while tuning) and a **held-out** half (read its figures only): per label, papers');
  md.push('ordered by the FNV-1a hash of their id alternate dev / held-out, so both halves keep the label mix.');
  md.push('How closely the shipped taxonomy kept to that is told under "How the shipped taxonomy was tuned".');
  md.push('');
  md.push('| papers | n | strict | lenient |');
  md.push('|---|---:|---:|---:|');
  md.push(`| all | ${a.all.n} | **${pct(a.all.strict, a.all.n)}** (${a.all.strict}) | ${pct(a.all.lenient, a.all.n)} (${a.all.lenient}) |`);
  md.push(`| dev | ${a.dev.n} | ${pct(a.dev.strict, a.dev.n)} (${a.dev.strict}) | ${pct(a.dev.lenient, a.dev.n)} (${a.dev.lenient}) |`);
  md.push(`| held-out | ${a.held.n} | ${pct(a.held.strict, a.held.n)} (${a.held.strict}) | ${pct(a.held.lenient, a.held.n)} (${a.held.lenient}) |`);
  md.push('');
  md.push(`Speed: ${perSecond.toLocaleString('en-US')} papers/s classifying (the labelled set ${repeat} times in one process, one core; median of 3 loops),`);
  md.push(`i.e. ${((5000 / perSecond) * 1000).toFixed(0)} ms for 5,000 papers. Classification is linear in the length of a paper.`);
  md.push('');
  md.push('## Per topic (strict, all papers)');
  md.push('');
  md.push('| topic | support | predicted | correct | precision | recall | F1 |');
  md.push('|---|---:|---:|---:|---:|---:|---:|');
  for (const t of perTopic) md.push(`| \`${t.id}\` | ${t.support} | ${t.predicted} | ${t.tp} | ${fixed(t.precision)} | ${fixed(t.recall)} | ${fixed(t.f1)} |`);
  md.push('');
  md.push('Small topics (support under 10) move by 10–20 points with one paper; `language-models` has only 5');
  md.push('labelled papers (most LLM papers are labelled by their contribution: a benchmark, alignment, RL, …).');
  md.push('');
  md.push('## Confusion matrix');
  md.push('');
  md.push('Rows: label; columns: primary topic assigned.');
  md.push('');
  md.push(`| label \\ got | ${topicIds.map(abbrev).join(' | ')} |`);
  md.push(`|---|${topicIds.map(() => '---:').join('|')}|`);
  for (const label of topicIds) {
    const row = confusion.get(label);
    if (!row) continue;
    md.push(`| \`${label}\` | ${topicIds.map((got) => (row.get(got) ? (got === label ? `**${row.get(got)}**` : String(row.get(got))) : '·')).join(' | ')} |`);
  }
  md.push('');
  md.push('## The 15 most frequent errors');
  md.push('');
  md.push('| label → assigned | papers | examples |');
  md.push('|---|---:|---|');
  for (const [key, p] of topPairs) md.push(`| ${key} | ${p.n} | ${p.titles.map((t) => `“${cell(t)}”`).join('<br>')} |`);
  md.push('');
  md.push(howItWorks(config));
  md.push('<!-- topics:end -->');
  const block = md.join('\n');

  mkdirSync(path.dirname(docPath), { recursive: true });
  let text = block + '\n';
  if (existsSync(docPath)) {
    const old = readFileSync(docPath, 'utf8');
    const begin = old.indexOf('<!-- topics:begin');
    const endMarker = '<!-- topics:end -->';
    const end = old.indexOf(endMarker);
    if (begin >= 0 && end > begin) text = old.slice(0, begin) + block + old.slice(end + endMarker.length);
    else text = `${block}\n\n${old}`;
  }
  writeFileSync(docPath, text);
  console.log(`wrote ${path.relative(root, docPath)}`);
}

// run only as a script, not when imported (e.g. for devIds)
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) main();
