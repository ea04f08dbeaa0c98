// Benchmarks by name; add one entry per area.
import { storageBench } from './storage.js';
import { rpmbBench } from './rpmb.js';
import { cryptoBench } from './crypto.js';
import { transportsBench } from './transports.js';
import { smmVariableBench } from './smm-variable.js';
import { tpm2Bench } from './tpm2.js';

export const BENCHES: Record<string, () => Promise<void>> = {
  storage: storageBench,
  rpmb: rpmbBench,
  crypto: cryptoBench,
  transports: transportsBench,
  'smm-variable': smmVariableBench,
  tpm2: tpm2Bench,
};
