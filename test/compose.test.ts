/** docker-compose.yml is what operators start from: it must validate and keep Redis safe for queues. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { findOnPath } from '../src/lib/process.ts';
import { repoRoot } from './harness/index.ts';

const compose = YAML.parse(readFileSync(path.join(repoRoot, 'docker-compose.yml'), 'utf8'), { merge: true });

describe('docker-compose.yml', () => {
  // Debian's docker-compose validates without a Docker engine; CI installs it, a laptop may not have it
  it.skipIf(!findOnPath('docker-compose') && !process.env.CI)('is accepted by `docker-compose config`', () => {
    const run = (env: NodeJS.ProcessEnv) =>
      spawnSync('docker-compose', ['-f', path.join(repoRoot, 'docker-compose.yml'), 'config', '-q'], { encoding: 'utf8', cwd: repoRoot, env });
    const r = run({ ...process.env, SECRET_KEY: 'a-long-random-secret-for-the-test' });
    expect(r.status, r.stderr).toBe(0);
    // without SECRET_KEY it refuses: a default key would let anyone forge unsubscribe links
    const { SECRET_KEY: _unset, ...withoutSecret } = process.env;
    const refused = run(withoutSecret);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/SECRET_KEY/);
  });

  it('runs Redis with AOF and maxmemory-policy noeviction', () => {
    const command: string[] = compose.services.redis.command;
    expect(command.join(' ')).toMatch(/--appendonly yes/);
    expect(command.join(' ')).toMatch(/--maxmemory-policy noeviction/);
  });

  it('keeps Redis and PostgreSQL off the host network: only the web service publishes a port', () => {
    const published = Object.entries(compose.services as Record<string, { ports?: unknown[] }>)
      .filter(([, s]) => s.ports?.length)
      .map(([name]) => name);
    expect(published).toEqual(['web']);
  });

  it('gives every service a health check, and lets every worker stage scale (no fixed name, no host port)', () => {
    for (const [name, service] of Object.entries(
      compose.services as Record<string, { healthcheck?: { test?: unknown[] }; container_name?: string; ports?: unknown[] }>,
    )) {
      expect(service.healthcheck?.test, `${name}: healthcheck`).toBeDefined();
      if (name !== 'web' && name !== 'redis' && name !== 'postgres') {
        expect(service.container_name, `${name}: container_name`).toBeUndefined();
        expect(service.ports, `${name}: ports`).toBeUndefined();
      }
    }
    // the workers' check reads the heartbeat file that `paperboy worker` writes
    expect(compose.services.send.environment.PAPERBOY_HEARTBEAT_FILE).toBe('/tmp/paperboy-heartbeat');
    expect(compose.services.send.healthcheck.test.join(' ')).toContain('/tmp/paperboy-heartbeat');
    expect(compose.services.web.healthcheck.test.join(' ')).toContain('/readyz');
  });

  it('has a worker for every pipeline stage and the web service, all on the shared Redis and PostgreSQL', () => {
    for (const stage of ['ingest', 'rank', 'render', 'send', 'mail']) expect(compose.services[stage].command).toEqual(['worker', stage]);
    expect(compose.services.web.command[0]).toBe('serve');
    for (const name of ['ingest', 'rank', 'render', 'send', 'mail', 'web']) {
      expect(compose.services[name].environment.REDIS_URL).toBe('redis://redis:6379');
      expect(compose.services[name].environment.DATABASE_URL).toMatch(/^postgres:\/\/.*@postgres:5432\//);
    }
  });
});
