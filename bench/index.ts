// npm run bench: every benchmark of the project, one after the other.
// Usage: npm run bench [-- NAME...]   (names: see BENCHES)
import { BENCHES } from './registry.js';

const wanted = process.argv.slice(2);
const started = performance.now();
for (const [name, bench] of Object.entries(BENCHES)) {
  if (wanted.length && !wanted.includes(name)) continue;
  console.log(`\n## ${name}`);
  await bench();
}
console.log(`\nbench total: ${((performance.now() - started) / 1000).toFixed(1)} s`);
