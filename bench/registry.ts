// Benchmarks by name; add one entry per area.
import { storageBench } from './storage.js';

export const BENCHES: Record<string, () => Promise<void>> = {
  storage: storageBench,
};
