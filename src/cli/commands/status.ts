/** `status`: what the pipeline is doing now, from any machine on the same Redis and database. */
import type { Command } from 'commander';

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description(
      "queue depths and workers per stage, the current editions' progress (sent / pending / failed / suppressed / skipped, rate, ETA), each source's health, the suppression list's size",
    )
    .option('--json', 'print the report as JSON: { at, redis, database, queues: [...], editions: [...], sources: [...], suppressions }')
    .addHelpText(
      'after',
      '\nRun it from a second terminal (or another machine with the same REDIS_URL and DATABASE_URL) while an edition is sent.\nExit codes: 0 shown; 1 could not reach Redis or the database.',
    )
    .action(async (opts: { json?: boolean }) => {
      const { EXIT, output, withApp } = await import('../runtime.ts');
      const { formatStatus, statusReport } = await import('../../status/report.ts');
      process.exitCode = await withApp(async (app) => {
        const report = await statusReport(app);
        if (opts.json) output.json(report);
        else for (const line of formatStatus(report)) output.line(line);
        return EXIT.ok;
      });
    });
}
