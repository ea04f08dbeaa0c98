// Benchmarks by name; add one entry per area.
import { storageBench } from './storage.js';
import { tpm2Bench } from './tpm2.js';

export const BENCHES: Record<string, () => Promise<void>> = {
  storage: storageBench,
  tpm2: tpm2Bench,
};
