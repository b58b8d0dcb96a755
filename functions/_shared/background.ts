// Work that continues after the response: the edge runtime keeps the instance
// alive for promises given to EdgeRuntime.waitUntil (up to its wall clock);
// under plain Deno or Node the process stays up anyway.
declare const EdgeRuntime: { waitUntil(promise: Promise<unknown>): void } | undefined;

export function runInBackground(name: string, task: Promise<unknown>): void {
  const guarded = task.catch((err: unknown) => console.error(`${name}: background work failed`, err));
  if (typeof EdgeRuntime !== "undefined" && typeof EdgeRuntime.waitUntil === "function") EdgeRuntime.waitUntil(guarded);
}

/**
 * Aborts when the edge runtime announces it will stop this instance (wall clock
 * reached, redeploy), so long work can stop cleanly: release leases, finish runs.
 */
export function shutdownSignal(): AbortSignal {
  const controller = new AbortController();
  const target = globalThis as { addEventListener?: (type: string, listener: () => void) => void };
  target.addEventListener?.("beforeunload", () => controller.abort(new Error("the edge runtime is shutting this instance down")));
  return controller.signal;
}
