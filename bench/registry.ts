// Benchmarks by name; add one entry per area.
import { storageBench } from './storage.js';
import { rpmbBench } from './rpmb.js';
import { smmVariableBench } from './smm-variable.js';

export const BENCHES: Record<string, () => Promise<void>> = {
  storage: storageBench,
  rpmb: rpmbBench,
  'smm-variable': smmVariableBench,
};
