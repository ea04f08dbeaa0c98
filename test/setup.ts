// Pins fast-check's seed for the project's own property tests, so their
// names and inputs are the same on every run (override with FWSEC_TEST_SEED).
import fc from 'fast-check';

const seed = Number(process.env.FWSEC_TEST_SEED ?? 20261122);
fc.configureGlobal({ seed, numRuns: Number(process.env.FWSEC_TEST_RUNS ?? 100) });
