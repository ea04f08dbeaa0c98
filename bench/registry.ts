// Benchmarks by name; add one entry per area.
import { storageBench } from './storage.js';
import { transportsBench } from './transports.js';

export const BENCHES: Record<string, () => Promise<void>> = {
  storage: storageBench,
  transports: transportsBench,
};
