import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import type { z } from 'zod';
import { redactUrl } from '../lib/redact.ts';
import { describeJsonError } from './jsonError.ts';
import { configSchema, envSchema, type Config } from './schema.ts';

/** A configuration problem: nothing may start until it is fixed. */
export class ConfigError extends Error {
  constructor(
    readonly where: string,
    readonly problems: string[],
    message = `${where} is not valid; nothing was started:\n${problems.map((p) => `  - ${p}`).join('\n')}\nFix the value(s) above and run the command again.`,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

function formatPath(issuePath: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of issuePath) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(top level)' : out;
}

function valueAt(input: unknown, issuePath: ReadonlyArray<PropertyKey>): { found: boolean; value?: unknown } {
  let current: unknown = input;
  for (const key of issuePath) {
    if (current === null || typeof current !== 'object' || !(key in (current as object))) return { found: false };
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return { found: true, value: current };
}

function describeValue(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * How a wrong environment variable's value is shown: never a secret. A URL keeps everything but
 * its password; a key or token is described by its length only.
 */
function describeEnvValue(value: unknown, key: PropertyKey | undefined): string {
  if (typeof value !== 'string') return describeValue(value);
  if (key === 'SECRET_KEY' || key === 'ADMIN_TOKEN') return `${value.length} characters`;
  if (typeof key === 'string' && key.endsWith('_URL')) return describeValue(redactUrl(value));
  return describeValue(value);
}

/** One line per zod issue: the path, the reason, and the value that was given. */
export function formatIssues(
  issues: z.core.$ZodIssue[],
  input: unknown,
  describe: (value: unknown, key: PropertyKey | undefined) => string = describeValue,
): string[] {
  return issues.map((issue) => {
    const where = formatPath(issue.path);
    const { found, value } = valueAt(input, issue.path);
    let reason = issue.message;
    if (issue.code === 'unrecognized_keys') {
      reason = `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}: remove or correct them (see src/config/schema.ts for the valid keys)`;
      return `${where}: ${reason}`;
    }
    const got = found ? ` (got ${describe(value, issue.path.at(-1))})` : ' (missing)';
    return `${where}: ${reason}${got}`;
  });
}

export function parseConfig(input: unknown, where: string): Config {
  const result = configSchema.safeParse(input);
  if (!result.success) throw new ConfigError(where, formatIssues(result.error.issues, input));
  return result.data;
}

/** The config source named when there is no config file and `--defaults` was given. */
export const BUILT_IN_DEFAULTS = '(built-in defaults: no config file)';

/** The example config shipped with paperboy, which the error for a missing config points to. */
export const EXAMPLE_CONFIG = fileURLToPath(new URL('../../paperboy.config.json', import.meta.url));

export interface LoadOptions {
  /**
   * `--defaults`: no config file means the built-in defaults (no sources, no topics). Without
   * it a folder with no config file is refused: a command run from the wrong folder (cron
   * starts in $HOME) must not create a second, empty installation there.
   */
  builtInDefaults?: boolean;
}

/**
 * Reads the config file. A missing file is an error, unless it was not asked for by name and
 * the built-in defaults were (`--defaults`).
 */
export function loadConfigFile(filePath: string, explicit: boolean, opts: LoadOptions = {}): { config: Config; source: string } {
  if (!existsSync(filePath)) {
    if (explicit) {
      throw new ConfigError(`PAPERBOY_CONFIG=${filePath}`, [`the file does not exist: create it, or unset PAPERBOY_CONFIG to use ./paperboy.config.json`]);
    }
    if (!opts.builtInDefaults) throw missingConfigError(path.dirname(filePath));
    return { config: parseConfig({}, 'the built-in default configuration'), source: BUILT_IN_DEFAULTS };
  }
  const text = readConfigText(filePath);
  let input: unknown;
  try {
    input = /\.ya?ml$/i.test(filePath) ? YAML.parse(text) : JSON.parse(text);
  } catch (err) {
    throw new ConfigError(filePath, [`cannot be parsed: ${parseErrorOf(text, filePath, err as Error)}`]);
  }
  // an empty file, `null` or a scalar would otherwise run silently on the defaults, with no sources
  if (input === null || input === undefined || typeof input !== 'object' || Array.isArray(input)) {
    const got = input === undefined || (typeof input === 'string' && input.trim() === '') ? 'an empty file' : `${JSON.stringify(input)}`;
    throw new ConfigError(filePath, [
      `(top level): a config is an object with at least "sources" (the feeds to read) and usually "topics", "edition" and "limits" (got ${got}); start from the paperboy.config.json of the repository`,
    ]);
  }
  return { config: parseConfig(input, filePath), source: filePath };
}

/** Where the text stops being JSON, with the line shown (YAML's own message already says so). */
function parseErrorOf(text: string, filePath: string, err: Error): string {
  const mistake = /\.ya?ml$/i.test(filePath) ? undefined : describeJsonError(text);
  if (!mistake) return err.message;
  const excerpt = mistake.excerpt
    .split('\n')
    .map((l) => `      ${l}`)
    .join('\n');
  return `line ${mistake.line}, column ${mistake.column}: ${mistake.reason}\n${excerpt}`;
}

function missingConfigError(folder: string): ConfigError {
  const problem = `no paperboy.config.json (or .yaml) in ${folder}, and PAPERBOY_CONFIG is unset`;
  return new ConfigError(
    folder,
    [problem],
    `${problem}: nothing was started.\n` +
      `Make one from the example shipped with paperboy, then edit its sources and topics:\n` +
      `  cp ${EXAMPLE_CONFIG} ${path.join(folder, 'paperboy.config.json')}\n` +
      `or run from the folder of your config file, or name it: PAPERBOY_CONFIG=/path/to/paperboy.config.json.\n` +
      `To run on the built-in defaults (no sources, no topics) anyway, add --defaults.`,
  );
}

/** The file's text, without a byte-order mark (editors on Windows add one; JSON.parse rejects it). */
function readConfigText(filePath: string): string {
  let text: string;
  try {
    if (statSync(filePath).isDirectory()) {
      throw new ConfigError(filePath, [
        `is a folder, not a file: point PAPERBOY_CONFIG at the paperboy.config.json (or .yaml) file itself, e.g. ${path.join(filePath, 'paperboy.config.json')}`,
      ]);
    }
    text = readFileSync(filePath, 'utf8');
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const fix = code === 'EACCES' || code === 'EPERM' ? 'give the user running paperboy read permission on it' : 'check the path in PAPERBOY_CONFIG';
    throw new ConfigError(filePath, [`cannot be read (${code ?? (err as Error).message}): ${fix}`]);
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

export type MailTransport = 'outbox' | 'ses';

/** Everything that comes from the environment, resolved to absolute values. */
export interface Environment {
  configPath: string;
  configExplicit: boolean;
  dataDir: string;
  databaseUrl: string;
  redisUrl?: string;
  queuePrefix: string;
  mailTransport: MailTransport;
  outboxDir: string;
  sesRegion?: string;
  sesEndpoint?: string;
  mailFrom: string;
  publicUrl: string;
  secretKey?: string;
  adminToken?: string;
  /** SNS topics the webhooks accept (SNS_TOPIC_ARNS); empty refuses every topic. */
  snsTopicArns: string[];
  port: number;
}

export function loadEnvironment(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Environment {
  const result = envSchema.safeParse(env);
  if (!result.success) throw new ConfigError('the environment', formatIssues(result.error.issues, env, describeEnvValue));
  const e = result.data;
  const dataDir = path.resolve(cwd, e.DATA_DIR ?? 'data');
  // without PAPERBOY_CONFIG: ./paperboy.config.json, else a .yaml / .yml beside it
  const configPath = path.resolve(
    cwd,
    e.PAPERBOY_CONFIG ??
      ['paperboy.config.json', 'paperboy.config.yaml', 'paperboy.config.yml'].find((f) => existsSync(path.resolve(cwd, f))) ??
      'paperboy.config.json',
  );
  let databaseUrl = e.DATABASE_URL ?? `sqlite:${path.join(dataDir, 'paperboy.db')}`;
  if (databaseUrl.startsWith('sqlite:')) {
    const file = databaseUrl.slice('sqlite:'.length);
    databaseUrl = file === ':memory:' ? databaseUrl : `sqlite:${path.resolve(cwd, file)}`;
  }
  return {
    configPath,
    configExplicit: e.PAPERBOY_CONFIG !== undefined,
    dataDir,
    databaseUrl,
    redisUrl: e.REDIS_URL,
    queuePrefix: e.QUEUE_PREFIX ?? 'paperboy',
    mailTransport: e.MAIL_TRANSPORT ?? 'outbox',
    outboxDir: path.resolve(cwd, e.OUTBOX_DIR ?? path.join(dataDir, 'outbox')),
    sesRegion: e.SES_REGION,
    sesEndpoint: e.SES_ENDPOINT,
    mailFrom: e.MAIL_FROM ?? 'paperboy <paperboy@localhost>',
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT ?? 3000}`).replace(/\/+$/, ''),
    secretKey: e.SECRET_KEY,
    adminToken: e.ADMIN_TOKEN,
    snsTopicArns: (e.SNS_TOPIC_ARNS ?? '')
      .split(',')
      .map((arn) => arn.trim())
      .filter(Boolean),
    port: Number(e.PORT ?? 3000),
  };
}

export interface Settings {
  config: Config;
  configSource: string;
  env: Environment;
}

/**
 * Bulk mail must carry the sender's postal address (CAN-SPAM, and the like elsewhere): a
 * warning, said at every start and by `paperboy doctor`, while it is missing for SES.
 */
export function postalAddressWarning(settings: Settings): string | undefined {
  if (settings.env.mailTransport !== 'ses' || settings.config.mail.postalAddress?.trim()) return undefined;
  return `mail.postalAddress is not set in ${settings.configSource}: bulk mail sent through SES must show the sender's postal address (set "mail": { "postalAddress": "…" })`;
}

/** Validates the environment and the config file; throws ConfigError naming every bad value. */
export function loadSettings(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd(), opts: LoadOptions = {}): Settings {
  const environment = loadEnvironment(env, cwd);
  const { config, source } = loadConfigFile(environment.configPath, environment.configExplicit, opts);
  if (environment.mailTransport === 'ses') {
    const missing = (['SES_REGION', 'MAIL_FROM', 'PUBLIC_URL', 'SECRET_KEY'] as const).filter((k) => !env[k]);
    if (missing.length > 0) {
      throw new ConfigError(
        'the environment',
        missing.map((k) => `${k}: required when MAIL_TRANSPORT=ses (missing)`),
      );
    }
  }
  return { config, configSource: source, env: environment };
}
