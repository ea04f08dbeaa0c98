// Benchmarks by name; add one entry per area.
import { storageBench } from './storage.js';
import { cryptoBench } from './crypto.js';
import { smmVariableBench } from './smm-variable.js';

export const BENCHES: Record<string, () => Promise<void>> = {
  storage: storageBench,
  crypto: cryptoBench,
  'smm-variable': smmVariableBench,
};
