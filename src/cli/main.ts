import { Command, CommanderError } from 'commander';
import { registerDataCommands } from './commands/data.ts';
import { registerMailCommands } from './commands/mail.ts';
import { registerOpsCommands } from './commands/ops.ts';
import { registerPipelineCommands } from './commands/pipeline.ts';
import { registerSuppressionCommands } from './commands/suppressions.ts';
import { registerStatusCommand } from './commands/status.ts';
import { registerForYouCommands } from './commands/forYou.ts';
import { jsonLogs, noteLogger } from '../lib/log.ts';
import { describeError, EXIT, output, toleratePipeClose, useBuiltInDefaults, UsageError } from './runtime.ts';
import { withoutNul } from '../lib/input.ts';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('paperboy')
    .description('Research-paper feeds turned into a daily email: ingest → rank → edition → render → send.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    // under LOG_FORMAT=json commander's own messages (a usage mistake) are JSON lines like the rest
    .configureOutput({ writeErr: (text) => output.note(text.trimEnd(), 'error') })
    .option(
      '--defaults',
      'run on the built-in defaults (no sources, no topics) when there is no paperboy.config.json here and PAPERBOY_CONFIG is unset; without it such a folder is refused',
    )
    .hook('preAction', (cmd) => {
      if (cmd.opts().defaults) useBuiltInDefaults();
    })
    .exitOverride()
    .addHelpText(
      'after',
      `
Environment: PAPERBOY_CONFIG (default ./paperboy.config.json), DATA_DIR (default ./data),
DATABASE_URL (sqlite:PATH | postgres://…), REDIS_URL (unset: a private redis-server is started),
MAIL_TRANSPORT (outbox | ses), OUTBOX_DIR, MAIL_FROM, PUBLIC_URL, SECRET_KEY, ADMIN_TOKEN, PORT, LOG_LEVEL, LOG_FORMAT.`,
    );
  registerPipelineCommands(program);
  registerDataCommands(program);
  registerOpsCommands(program);
  registerSuppressionCommands(program);
  registerStatusCommand(program);
  registerMailCommands(program);
  registerForYouCommands(program);
  for (const cmd of program.commands) {
    cmd.exitOverride();
    for (const sub of cmd.commands) sub.exitOverride();
  }
  return program;
}

/** Runs the CLI; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  if (jsonLogs()) {
    // Node's own warnings (deprecations, listeners) would be plain lines among the JSON
    process.removeAllListeners('warning');
    process.on('warning', (w) => noteLogger().warn(w.message, { warning: w.name }));
  }
  const program = buildProgram();
  toleratePipeClose();
  try {
    // the one door of every argument: a NUL (never typed, refused by PostgreSQL) is dropped here
    await program.parseAsync(withoutNul(argv), { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here with code 0; usage mistakes were already printed
      return err.exitCode === 0 ? EXIT.ok : EXIT.failed;
    }
    output.note(`paperboy: ${err instanceof UsageError ? err.message : describeError(err)}`, 'error');
    return EXIT.failed;
  }
}
