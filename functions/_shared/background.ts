// Work that continues after the response: the edge runtime keeps the instance
// alive for promises given to EdgeRuntime.waitUntil (up to its wall clock);
// under plain Deno or Node the process stays up anyway.
declare const EdgeRuntime: { waitUntil(promise: Promise<unknown>): void } | undefined;

export function runInBackground(name: string, task: Promise<unknown>): void {
  const guarded = task.catch((err: unknown) => console.error(`${name}: background work failed`, err));
  if (typeof EdgeRuntime !== "undefined" && typeof EdgeRuntime.waitUntil === "function") EdgeRuntime.waitUntil(guarded);
}
