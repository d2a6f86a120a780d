/** `suppressions …`: the addresses that are never mailed (bounces, complaints, by hand). Bodies load on use. */
import type { Command } from 'commander';

const actions = () => import('../actions/suppressions.ts');

export function registerSuppressionCommands(program: Command): void {
  const suppressions = program
    .command('suppressions')
    .description('list, add and remove addresses that are never mailed (bounced, complained, or added by hand)');

  suppressions
    .command('list')
    .description('every suppressed address with its reason, detail and date, in address order (streamed)')
    .option('--json', 'print a JSON array of { email, reason, detail, createdAt }')
    .action(async (opts: { json?: boolean }) => (await actions()).suppressionsList(opts));

  suppressions
    .command('add')
    .description('never mail this address again; its subscriber, if any, stops getting mail at once')
    .argument('<email>')
    .option('--reason <reason>', 'manual, bounce, complaint, rejected or unsubscribe', 'manual')
    .option('--detail <text>', 'a note kept with the entry (why, who asked)')
    .action(async (email: string, opts: { reason: string; detail?: string }) => (await actions()).suppressionsAdd(email, opts));

  suppressions
    .command('remove')
    .description('take an address off the list; a subscriber stopped by it gets mail again (confirmed, or pending if they never confirmed)')
    .argument('<email>')
    .action(async (email: string) => (await actions()).suppressionsRemove(email));
}
