// Measurement helpers: ops/s and latency percentiles, printed as a table.

export interface Stats {
  name: string;
  ops: number;
  seconds: number;
  opsPerSec: number;
  p50us: number;
  p99us: number;
  maxUs: number;
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs `op` for `iterations` (after `warmup`), timing each call. */
export async function measure(name: string, op: () => Promise<unknown>, iterations: number, warmup = Math.min(200, iterations)): Promise<Stats> {
  for (let i = 0; i < warmup; i++) await op();
  const lat: number[] = new Array(iterations);
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) {
    const s = performance.now();
    await op();
    lat[i] = (performance.now() - s) * 1000;
  }
  const seconds = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  return {
    name,
    ops: iterations,
    seconds,
    opsPerSec: iterations / seconds,
    p50us: percentile(lat, 50),
    p99us: percentile(lat, 99),
    maxUs: lat[lat.length - 1] ?? 0,
  };
}

export function table(rows: Stats[]): void {
  const w = Math.max(...rows.map((r) => r.name.length), 10);
  console.log(`${'case'.padEnd(w)}  ${'ops/s'.padStart(10)}  ${'p50 µs'.padStart(9)}  ${'p99 µs'.padStart(9)}  ${'max µs'.padStart(9)}  ${'ops'.padStart(7)}`);
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(w)}  ${r.opsPerSec.toFixed(0).padStart(10)}  ${r.p50us.toFixed(1).padStart(9)}  ${r.p99us.toFixed(1).padStart(9)}  ${r.maxUs.toFixed(0).padStart(9)}  ${String(r.ops).padStart(7)}`,
    );
  }
}

/** Wall time of a whole command, in seconds. */
export async function wall(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

/** One raw echo round trip over a carrier: write `bytes` bytes, resolve once as many came back. */
export function echoRoundTrip(write: (b: Buffer) => void, onData: (cb: (b: Buffer) => void) => void, bytes: number): () => Promise<void> {
  let pending: (() => void) | undefined;
  let got = 0;
  onData((d) => {
    got += d.length;
    if (got >= bytes && pending) {
      got -= bytes;
      const p = pending;
      pending = undefined;
      p();
    }
  });
  const msg = Buffer.alloc(bytes, 1);
  return () =>
    new Promise<void>((res) => {
      pending = res;
      write(msg);
    });
}
