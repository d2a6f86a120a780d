/**
 * paperboy's shape, enforced (issue #15). `npm run lint:deps` runs it; CI runs `npm run lint`.
 *
 * LAYERS lists the folders bottom to top. A module may import its own layer's folder and any
 * layer below it, never one above (`layer-N-upward`); folders that share a layer are peers and
 * never import each other (`peers-*`). Entry points (bin/, bench/, scripts/, test/) sit above
 * everything: they may import any module, and no module imports them.
 *
 * Paths are the tree's (README "Code layout"). There are no exceptions: CI fails on any violation.
 */
const LAYERS = [
  // 0: generic helpers, no project import: html escaping, timeouts, retry, URL redaction, input
  // parsing, logging, local dirs, free ports and binaries on the PATH
  { name: 'lib', paths: ['^src/lib/'] },
  // 1: the shared vocabulary: Paper, EditionContent, time (zones, edition days, Clock), reader choices, bylines
  { name: 'domain', paths: ['^src/domain/'] },
  // 2: settings: the config file's schema and the environment
  { name: 'config', paths: ['^src/config/'] },
  // 3: adapters, peers: the database, the queues (BullMQ on Redis), the mail transports
  { name: 'infra', paths: ['^src/db/', '^src/queues/', '^src/mail/'], peers: true },
  // 4: boot: App, DataApp, StageContext (what a stage may use)
  { name: 'app', paths: ['^src/app[.]ts$'] },
  // 5: the email templates (React + MJML) and their view model
  { name: 'email-templates', paths: ['^templates/email/'] },
  // 6-10: the pipeline's stages, in pipeline order: a stage may use an earlier one, never a later
  // one; `personal` (the "For you" profiles, branch foryou) reads rank's tokens and feeds render
  { name: 'ingest', paths: ['^src/ingest/'] },
  { name: 'rank', paths: ['^src/rank/'] },
  { name: 'personal', paths: ['^src/personal/'] },
  { name: 'render', paths: ['^src/render/'] },
  { name: 'send', paths: ['^src/send/'] },
  // 11: the web pages' templates
  { name: 'page-templates', paths: ['^templates/pages/'] },
  // 12: what serves people, peers: the web service, status, doctor
  { name: 'surfaces', paths: ['^src/web/', '^src/status/', '^src/doctor([.]ts$|/)'], peers: true },
  // 13: the stage registry and the BullMQ workers (today's top-level workers/)
  { name: 'workers', paths: ['^src/workers/'] },
  // 14: the command line
  { name: 'cli', paths: ['^src/cli/'] },
];

const any = (paths) => paths.map((p) => `(${p})`).join('|');
const above = (i) => LAYERS.slice(i + 1).flatMap((l) => l.paths);

const layerRules = LAYERS.flatMap((layer, i) => {
  const rules = [];
  if (i < LAYERS.length - 1) {
    rules.push({
      name: `layer-${String(i).padStart(2, '0')}-${layer.name}-upward`,
      comment: `${layer.name} may import only its own layer and the layers below it (${LAYERS.slice(0, i).map((l) => l.name).join(', ') || 'none'})`,
      severity: 'error',
      from: { path: any(layer.paths) },
      to: { path: any(above(i)) },
    });
  }
  if (layer.peers) {
    for (const p of layer.paths) {
      rules.push({
        name: `peers-${layer.name}-${p.replace(/[^a-z]/g, '')}`,
        comment: `the folders of the ${layer.name} layer are peers: none imports another`,
        severity: 'error',
        from: { path: p },
        to: { path: any(layer.paths.filter((q) => q !== p)) },
      });
    }
  }
  return rules;
});

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'every-module-in-a-layer',
      comment: 'a product module outside every layer escapes the rules: put it in a layer folder (and in README "Code layout")',
      severity: 'error',
      from: { path: '^(src|templates)/', pathNot: any(LAYERS.flatMap((l) => l.paths)) },
      to: {},
    },
    {
      // the rule above sees only modules that import something; this one sees a module without
      // imports (a leaf such as a constants file) as soon as anything imports it
      name: 'every-imported-module-in-a-layer',
      comment: 'a product module outside every layer escapes the rules: put it in a layer folder (and in README "Code layout")',
      severity: 'error',
      from: {},
      to: { path: '^(src|templates)/', pathNot: any(LAYERS.flatMap((l) => l.paths)) },
    },
    {
      name: 'no-circular',
      comment: 'no import cycle, type-only ones included: they keep folders from being read bottom-up',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'src-not-to-entry-points',
      comment: 'the product never imports its entry points, benches, scripts or tests (nor a top-level workers/: it lives in src/workers/)',
      severity: 'error',
      from: { path: '^(src|templates)/' },
      to: { path: '^(bin|bench|scripts|test|workers)/' },
    },
    {
      name: 'db-internals-private',
      comment: 'outside src/db, the database is reached through the Store and its record types only (src/db/index.ts)',
      severity: 'error',
      from: { path: '^(src|templates)/', pathNot: '^src/db/' },
      to: { path: '^src/db/', pathNot: '^src/db/index[.]ts$' },
    },
    {
      name: 'sql-only-in-db',
      comment: 'kysely, pg and node:sqlite belong to src/db: a named query instead of SQL elsewhere',
      severity: 'error',
      from: { path: '^(src|templates|workers)/', pathNot: '^src/db/' },
      to: { path: '^(node_modules/(kysely|pg)/|sqlite$|node:sqlite$)' },
    },
    {
      name: 'redis-only-in-queues',
      comment: 'bullmq and ioredis belong to src/queues and the workers; stages throw the queues module\'s PermanentJobError',
      severity: 'error',
      from: { path: '^(src|templates)/', pathNot: '^src/(queues|workers)/' },
      to: { path: '^node_modules/(bullmq|ioredis)/' },
    },
    {
      name: 'aws-only-in-mail',
      comment: 'the SES clients belong to src/mail (doctor asks src/mail/ses.ts)',
      severity: 'error',
      from: { path: '^(src|templates|workers)/', pathNot: '^src/mail/' },
      to: { path: '^node_modules/@aws-sdk/' },
    },
    {
      name: 'domain-and-lib-are-pure',
      comment: 'domain and lib hold no I/O client: no database, queue, HTTP server or mail client',
      severity: 'error',
      from: { path: '^src/(domain|lib)/' },
      to: { path: '^node_modules/(kysely|pg|bullmq|ioredis|fastify|@fastify|@aws-sdk|react|react-dom|mjml)/' },
    },
    {
      name: 'no-dev-deps-in-product',
      comment: 'what ships (npm ci --omit=dev in the Dockerfile) imports no devDependency',
      severity: 'error',
      from: { path: '^(src|templates|workers|bin)/', pathNot: '[.]test[.]tsx?$' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'unit-tests-boot-nothing',
      comment: 'a unit test (vitest project "unit") imports no harness that reaches the shared redis-server or PostgreSQL',
      severity: 'error',
      from: { path: '[.]unit[.]test[.]tsx?$' },
      to: { path: '^test/harness/(index|servers|global-setup)[.]ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(data|[.]ci)/' },
    // the TypeScript sources as written: type-only imports count (they are what makes a folder
    // readable bottom-up), `import type` included
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.js', '.cjs', '.mjs', '.json'],
    },
    moduleSystems: ['es6', 'cjs'],
    reporterOptions: {
      archi: { collapsePattern: '^(src/[^/]+|templates/[^/]+|workers|bench|scripts|test|bin)' },
    },
  },
};

// read by test/shape.unit.test.ts, which checks README's "Code layout" table against it
// (not enumerable: dependency-cruiser's schema allows no other key)
Object.defineProperty(module.exports, 'layers', { value: LAYERS, enumerable: false });
