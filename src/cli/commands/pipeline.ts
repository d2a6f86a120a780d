/** `run`, `ingest`, `edition …`, `preview`, `worker`: the pipeline's commands (bodies load on use, so --help is fast). */
import type { Command } from 'commander';

const actions = () => import('../actions/pipeline.ts');
const STAGE_NAMES = 'ingest, rank, render, send, mail';
/** The `--json` of the long commands: the same words everywhere. */
export const JSON_LINES_HELP =
  'write JSON lines on stdout instead: progress events { type: "progress", stage, done, total, … } (at most one a second) and last the result { type: "result", exitCode, … }; notes and errors stay on stderr';

/** One rule for every steering command (`edition pause|resume|cancel|resend`), in each one's --help. */
const STEERING_EXIT_CODES =
  '\nExit codes: 0 when the edition is now in the state asked for (also when it already was: pausing a paused edition, cancelling a cancelled one); 1 when the request cannot apply (the edition is not built, had no papers, was sent or cancelled; resend: also while it is paused, or to a reader who is not a confirmed subscriber), with the reason and the command that would help.';

export function registerPipelineCommands(program: Command): void {
  program
    .command('run')
    .description('the whole main job: ingest all sources, rank, build the edition, render, send, and wait until every delivery is settled')
    .option('--once', 'run one pass and exit (without it: run every worker and scheduler until stopped)')
    .option('--date <YYYY-MM-DD>', 'edition day to build and send (default: the current edition day)')
    .option('--json', `with --once: ${JSON_LINES_HELP}`)
    .addHelpText(
      'after',
      '\nExit codes: 0 all done; 2 finished but a source or a delivery failed (each is named); 1 could not run (no result line with --json).\n--json result: { type: "result", exitCode, date, sources: [{ name, status, new, updated, unchanged, skipped, error, problems }], editions: [{ id, kind, date, status, build, sections, papers, total, sent, sentByThisRun, pending, failed, skipped, possiblySentTwice, later, nextAt, failures: [{ email, error }] }] }',
    )
    .action(async (opts: { once?: boolean; date?: string; json?: boolean }) => (await actions()).runCommand(opts));

  program
    .command('ingest')
    .description('fetch sources now and report per source: new / updated / unchanged / error; new papers are ranked before it returns')
    .option(
      '--source <NAME|URL|FILE>',
      'one configured source, or any feed URL or file (its format is recognised by content: arXiv RSS or Atom, RSS 1.0/2.0, Atom, HF daily papers JSON, bioRxiv API JSON)',
    )
    .option('--json', JSON_LINES_HELP)
    .addHelpText(
      'after',
      '\nExit codes: 0 every source read; 2 a source failed (each is named with its cause); 1 could not run (no result line with --json).\n--json result: { type: "result", exitCode, sources: [{ name, status, new, updated, unchanged, skipped, error, problems }] }',
    )
    .action(async (opts: { source?: string; json?: boolean }) => (await actions()).ingestCommand(opts));

  const edition = program.command('edition').description('build, send and show editions');

  edition
    .command('build')
    .description('freeze the edition of a day: papers grouped by topic, ranked, top N per topic; a frozen edition is left as it is')
    .option('--date <YYYY-MM-DD>', 'edition day (default: the current edition day)')
    .option('--weekly', 'build the weekly edition ending on that day (the best of its seven daily editions)')
    .option('--force', 'rebuild an edition that is frozen but not yet sent')
    .action(async (opts: { date?: string; weekly?: boolean; force?: boolean }) => (await actions()).editionBuild(opts));

  edition
    .command('send')
    .description('render and send an edition; idempotent: a second call sends nothing new')
    .option('--date <YYYY-MM-DD>', 'edition day (default: the current edition day)')
    .option('--weekly', 'the weekly edition ending on that day')
    .option('--wait', 'return when every delivery is settled, running the render and send workers in-process when none is connected')
    .option('--json', JSON_LINES_HELP)
    .addHelpText(
      'after',
      '\n--json result: { type: "result", exitCode, editions: [{ id, kind, date, status, total, sent, sentByThisRun, pending, failed, skipped, possiblySentTwice, later, nextAt, failures: [{ email, error }] }] } (without --wait: the counts when queued, and queued: true)',
    )
    .action(async (opts: { date?: string; weekly?: boolean; wait?: boolean; json?: boolean }) => (await actions()).editionSend(opts));

  edition
    .command('show')
    .description('show an edition: its sections and papers, and how its sending went')
    .option('--date <YYYY-MM-DD>', 'edition day (default: the current edition day)')
    .option('--weekly', 'the weekly edition ending on that day')
    .option('--json', 'print { date, sections: [{ topic, title, papers: [{ id, title, score }] }] }')
    .action(async (opts: { date?: string; weekly?: boolean; json?: boolean }) => (await actions()).editionShow(opts));

  const steer = () => import('../actions/steer.ts');
  for (const [name, description] of [
    ['pause', 'pause the sending of an edition: every send worker stops within about a second; `edition resume` continues where it stopped'],
    ['resume', 'resume the sending of a paused edition (paused by the operator, or by the mail provider refusing to send)'],
    ['cancel', 'cancel an edition in flight: its deliveries not yet sent are skipped'],
  ] as const) {
    edition
      .command(name)
      .description(description)
      .option('--date <YYYY-MM-DD>', 'edition day (default: the current edition day)')
      .option('--weekly', 'the weekly edition ending on that day')
      .addHelpText('after', STEERING_EXIT_CODES)
      .action(async (opts: { date?: string; weekly?: boolean }) => {
        const a = await steer();
        await (name === 'pause' ? a.editionPause : name === 'resume' ? a.editionResume : a.editionCancel)(opts);
      });
  }
  edition
    .command('resend')
    .description(
      'send an edition to one confirmed reader and wait for it: again (the same message, Message-ID included), or for the first time to a reader who subscribed after it went out',
    )
    .requiredOption('--date <YYYY-MM-DD>', 'edition day')
    .requiredOption('--to <EMAIL>', 'the subscriber to send it to')
    .option('--weekly', 'the weekly edition ending on that day')
    .addHelpText('after', STEERING_EXIT_CODES)
    .action(async (opts: { date: string; to: string; weekly?: boolean }) => (await steer()).editionResend(opts));

  program
    .command('preview')
    .description('render one variant of an edition to an HTML file (and the plain text beside it), or serve every email type with sample data (--serve)')
    .option('--date <YYYY-MM-DD>', 'edition day (default: the current edition day)')
    .option('--weekly', 'the weekly edition ending on that day')
    .option('--topics <a,b>', 'the sections a subscriber with these topics gets (default: all)')
    .option('--sections-first <a,b>', "the sections such a subscriber put first, in order (default: none, by the day's best paper)")
    .option('--out <FILE.html>', 'where to write the HTML')
    .option(
      '--serve',
      'serve every email (digests, confirm, welcome, preferences changed, test) with sample data on 127.0.0.1; re-renders and reloads when a template changes',
    )
    .option('--port <n>', 'port for --serve (default: 3100)')
    .addHelpText(
      'after',
      '\nExamples:\n  paperboy preview --date 2026-11-26 --topics language-models --out preview.html\n  paperboy preview --serve --port 3100   (also: npm run email:dev)',
    )
    .action(async (opts: { date?: string; weekly?: boolean; topics?: string; sectionsFirst?: string; out?: string; serve?: boolean; port?: string }) =>
      (await actions()).previewCommand(opts),
    );

  program
    .command('worker')
    .description('run long-lived workers for some stages (default: all); SIGTERM lets in-flight jobs finish, then exits 0')
    .argument('[stages...]', `any of ${STAGE_NAMES}, or all`)
    .addHelpText(
      'after',
      "\nStopping: the first SIGTERM (or Ctrl-C) lets the jobs in flight finish, then exits 0; a second stops at once.\nIt waits at most workers.stopTimeoutSeconds (config, default 45): past it, as when Redis does not answer,\nit says why and exits 1, and another worker takes over a batch it held once the batch's lock expires.",
    )
    .action(async (stages: string[]) => (await actions()).workerCommand(stages));
}
