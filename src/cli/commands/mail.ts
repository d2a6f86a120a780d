/** `mail test`: one message through the configured transport (bodies load on use). */
import type { Command } from 'commander';

export function registerMailCommands(program: Command): void {
  const mail = program.command('mail').description('transactional mail: confirmations, welcomes, test messages');
  mail
    .command('test')
    .description(
      'send one test message through the configured transport (MAIL_TRANSPORT), by the mail queue; runs the mail worker in-process when none is connected',
    )
    .requiredOption('--to <EMAIL>', 'the address to send the test message to')
    .addHelpText('after', '\nExit codes: 0 sent (the transport accepted it); 1 not sent (the cause is printed).')
    .action(async (opts: { to: string }) => (await import('../actions/mail.ts')).mailTest(opts));
}
