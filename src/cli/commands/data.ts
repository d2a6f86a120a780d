/** `papers …`, `sources`, `subscribers …`: looking at and managing the data (bodies load on use). */
import type { Command } from 'commander';
import { JSON_LINES_HELP } from './pipeline.ts';

const actions = () => import('../actions/data.ts');

export function registerDataCommands(program: Command): void {
  const papers = program.command('papers').description('list, search and explain ingested papers');

  papers
    .command('list')
    .description('papers with their sources, topics, score and edition day')
    .option('--date <YYYY-MM-DD>', 'only the papers of this edition day')
    .option('--query <text>', 'only papers whose title or abstract contains the text')
    .option('--limit <n>', 'at most n papers')
    .option('--json', 'print a JSON array of { id, title, sources, topics, score, editionDate, … }')
    .action(async (opts: { date?: string; query?: string; limit?: string; json?: boolean }) => (await actions()).papersList(opts));

  papers
    .command('search')
    .description('full-text search over every ingested paper (title, authors, abstract), best match first')
    .argument('<query>', 'words to look for; all must match (on PostgreSQL: "quoted phrases", -excluded words, or)')
    .option('--from <YYYY-MM-DD>', 'only papers of this edition day or later')
    .option('--to <YYYY-MM-DD>', 'only papers of this edition day or earlier')
    .option('--topic <id>', 'only papers filed under this topic')
    .option('--limit <n>', 'papers per page (default 20)')
    .option('--page <n>', 'page of results (default 1)')
    .option('--json', 'print { query, total, page, papers: [{ id, title, sources, topics, score, editionDate, … }] }')
    .action(async (query: string, opts: { from?: string; to?: string; topic?: string; limit?: string; page?: string; json?: boolean }) =>
      (await actions()).papersSearch(query, opts),
    );

  papers
    .command('explain')
    .description('why a paper got its topics and score: which categories and words matched, which signals counted')
    .argument('<id>', 'paper id (arXiv id, doi:…, or URL)')
    .action(async (id: string) => (await actions()).papersExplain(id));

  program
    .command('sources')
    .description("each source's last success, last error and counts")
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => (await actions()).sourcesCommand(opts));

  const subscribers = program.command('subscribers').description('add, import, export, list and remove subscribers');

  subscribers
    .command('add')
    .description('add a subscriber (pending until confirmed, unless --confirmed), or update the topics of a known one')
    .argument('<email>')
    .option('--topics <a,b>', 'topic ids (default: every topic)')
    .option('--sections-first <a,b>', 'topic ids whose sections lead their email, in this order (default: by the day\'s best paper; "" clears)')
    .option('--frequency <daily|weekly>', 'how often they get mail (default: daily)')
    .option('--confirmed', 'mark as confirmed (they asked for it elsewhere): they get the next edition')
    .option('--timezone <zone>', "the reader's IANA time zone, e.g. Asia/Tokyo (default: none chosen, sent when the edition goes out)")
    .option('--hour <0-23>', 'the local hour they get each edition, with send.atReadersHour (default: 7 once a time zone is given)')
    .action(
      async (email: string, opts: { topics?: string; sectionsFirst?: string; frequency?: string; confirmed?: boolean; timezone?: string; hour?: string }) =>
        (await actions()).subscribersAdd(email, opts),
    );

  subscribers
    .command('import')
    .description(
      'add subscribers from a CSV file with a header row naming its columns: email, and any of status, topics, frequency, section_order, timezone, delivery_hour (lists separated by ";" or spaces), as `export` writes them; a row whose status is unsubscribed or suppressed stays so',
    )
    .argument('<file.csv>')
    .option(
      '--confirmed',
      'mark the imported subscribers confirmed (they asked elsewhere): the rows with no status or status confirmed, never an unsubscribed, suppressed or pending one',
    )
    .option('--json', JSON_LINES_HELP)
    .addHelpText('after', '\n--json result: { type: "result", exitCode, file, added, updated, rejected, notResubscribed, rejections: [{ line, reason }] }')
    .action(async (file: string, opts: { confirmed?: boolean; json?: boolean }) => (await actions()).subscribersImport(file, opts));

  subscribers
    .command('export')
    .description(
      'print every subscriber as CSV (email,status,topics,frequency,created_at,confirmed_at,section_order,timezone,delivery_hour; the time only when the reader chose one), streamed',
    )
    .action(async () => (await actions()).subscribersExport());

  subscribers
    .command('list')
    .description('list subscribers')
    .option('--json', 'print a JSON array of { email, status, topics, frequency, … }')
    .action(async (opts: { json?: boolean }) => (await actions()).subscribersList(opts));

  subscribers
    .command('remove')
    .description('delete a subscriber and their settings')
    .argument('<email>')
    .action(async (email: string) => (await actions()).subscribersRemove(email));
}
