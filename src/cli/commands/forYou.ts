/** `explain --reader EMAIL`: why a reader's For you block holds what it holds. Body loads on use. */
import type { Command } from 'commander';

const actions = () => import('../actions/forYou.ts');

export function registerForYouCommands(program: Command): void {
  program
    .command('explain')
    .description("why each paper of a reader's For you block was picked for them in an edition, and why the others were not")
    .requiredOption('--reader <email>', 'the subscriber')
    .option('--date <YYYY-MM-DD>', 'the edition day (default: the latest edition)')
    .option('--weekly', 'the weekly edition of that day instead of the daily one')
    .option(
      '--json',
      'print { reader, edition, profile, sent, picked: [{ id, title, score, contributions }], notPicked: [{ id, title, score, status, contributions }] }',
    )
    .addHelpText(
      'after',
      `
Each paper's score is the sum of its contributions: the reader's weight of a topic, a term
(a stemmed word of titles and abstracts: "diffus" stands for diffusion, diffusive…) or an
author, times how much the paper has of it; votes fade with forYou.halfLifeDays, seed papers
and the author id do not. A paper is not picked when it is in "Top today", outside the
reader's topics, voted on already, below the picked ones, or matches nothing of the profile.
The scores are those of the profile as it is now; when it changed after the edition's email
was prepared, the papers that email carried are shown too.`,
    )
    .action(async (opts: { reader: string; date?: string; weekly?: boolean; json?: boolean }) => (await actions()).explainReader(opts));
}
