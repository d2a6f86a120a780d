/**
 * `npm run bench [-- SUITE…]`: the timing goals of the issues, measured on this machine and
 * written to docs/benchmarks.md, one section per suite. Each suite is a module of its own
 * in this folder; with no argument every suite runs.
 */
const SUITES = ['ingest', 'render', 'send', 'load', 'feedback', 'web', 'foryou'] as const;

const asked = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = asked.filter((a) => !(SUITES as readonly string[]).includes(a));
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark suite ${unknown.join(', ')}: choose from ${SUITES.join(', ')}\n`);
  process.exit(1);
}
for (const suite of asked.length > 0 ? asked : SUITES) {
  process.stderr.write(`== bench ${suite}\n`);
  await import(`./${suite}.ts`);
}
