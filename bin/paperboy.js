#!/usr/bin/env node
// Runs the TypeScript sources directly (tsx), so a fresh clone needs no build step.
import { fileURLToPath } from 'node:url';

// The database driver is Node's own node:sqlite (22.16 and later); an older Node would fail
// deep in a command with a message about a missing module
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 16)) {
  const message = `paperboy needs Node.js 22.16 or later (22 or 24 LTS); this is Node.js ${process.versions.node} at ${process.execPath}. Install a supported Node.js (https://nodejs.org, or \`npx node@22\`) and run paperboy with it.`;
  // under LOG_FORMAT=json every line on stderr is a JSON object, this one too
  process.stderr.write(`${process.env.LOG_FORMAT === 'json' ? JSON.stringify({ level: 'error', time: new Date().toISOString(), msg: message }) : message}\n`);
  process.exit(1);
}
const { register } = await import('tsx/esm/api');

// tsx reads compiler settings (the JSX runtime among them) from the working directory's
// tsconfig.json unless told which one: cron and PAPERBOY_CONFIG users run from anywhere
register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
const { main } = await import('../src/cli/main.ts');
const code = await main(process.argv.slice(2));
// ioredis and pg keep timers; every resource is closed by now, so leave at once
process.exit(code);
