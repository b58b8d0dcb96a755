// Timing and printing helpers shared by the benchmarks.

export async function timed<T>(fn: () => Promise<T>): Promise<{ result: T; seconds: number }> {
  const start = performance.now();
  const result = await fn();
  return { result, seconds: (performance.now() - start) / 1000 };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Median latency in ms of `fn` over `runs` calls, after `warmup` unmeasured ones. */
export async function latencyMs(fn: () => Promise<unknown>, runs = 30, warmup = 5): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  return median(samples);
}

const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

export function row(label: string, value: string): void {
  console.log(`  ${label.padEnd(44)} ${value}`);
}

export function rate(label: string, count: number, seconds: number, unit = "events/s"): number {
  const perSecond = count / seconds;
  row(label, `${fmt(perSecond)} ${unit}  (${fmt(count)} in ${fmt(seconds, 2)} s)`);
  return perSecond;
}

/** Prints a ratio against its target; returns whether the target holds. */
export function ratio(label: string, value: number, target: { atLeast?: number; atMost?: number }): boolean {
  const ok = (target.atLeast === undefined || value >= target.atLeast) && (target.atMost === undefined || value <= target.atMost);
  const goal = target.atLeast !== undefined ? `target ≥ ${target.atLeast}` : `target ≤ ${target.atMost}`;
  row(label, `${fmt(value, 2)}  (${goal}: ${ok ? "met" : "NOT MET"})`);
  return ok;
}

export function heading(title: string): void {
  console.log(`\n${title}`);
}

export { fmt };
