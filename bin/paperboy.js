#!/usr/bin/env node
// Runs the TypeScript sources directly (tsx), so a fresh clone needs no build step.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

// tsx reads compiler settings (the JSX runtime among them) from the working directory's
// tsconfig.json unless told which one: cron and PAPERBOY_CONFIG users run from anywhere
// the AWS SDK prints a multi-line NodeVersionSupportWarning under Node < 22 in every process
// that makes an SES client, which breaks JSON log readers; `paperboy doctor` reports it once
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
const { main } = await import('../src/cli/main.ts');
const code = await main(process.argv.slice(2));
// ioredis and pg keep timers; every resource is closed by now, so leave at once
process.exit(code);
