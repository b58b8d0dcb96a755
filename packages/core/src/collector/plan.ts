// Pure pieces of the collector that need neither the API nor the database:
// when the run must stop to finish inside its time budget. (What a schedule or
// a fixtures/multi answer holds is Postgres's to read: schedule_entries,
// upsert_fixture_response.)
import type { ChunkQueueEntry } from "./rpcs.ts";

/**
 * Decides when to stop so the last batch, the lease release and the finish fit
 * in the budget: the margin is twice the slowest batch seen (or the initial
 * guess) plus a fixed reserve for the closing calls.
 */
export class TimeBudget {
  readonly deadline: number;
  #slowestBatchMs: number;

  constructor(
    private readonly now: () => number,
    budgetMs: number,
    initialBatchEstimateMs = 5_000,
    private readonly closingReserveMs = 3_000,
  ) {
    this.deadline = now() + budgetMs;
    this.#slowestBatchMs = initialBatchEstimateMs;
  }

  recordBatch(ms: number): void {
    this.#slowestBatchMs = Math.max(this.#slowestBatchMs, ms);
  }

  remainingMs(): number {
    return this.deadline - this.now();
  }

  /** True while another batch (fetch + upsert) still fits before the closing reserve. */
  fitsAnotherBatch(): boolean {
    return this.remainingMs() > 2 * this.#slowestBatchMs + this.closingReserveMs;
  }
}

const BLOCKER_PHRASES: Record<NonNullable<ChunkQueueEntry["blocked_by"]>, string> = {
  leased: "held by another run",
  backoff: "backing off after a failure",
  not_in_plan: "not covered by the plan",
  below_min_fixtures: "below min_fixtures",
  no_work: "with nothing due",
};

/**
 * Why claim_chunk found nothing, from the database's own queue: e.g. "no chunk
 * needs work now: 2 held by another run (until 12:03:10Z); 5 with nothing due
 * (next at 14:00:00Z)".
 */
export function describeQueue(queue: readonly ChunkQueueEntry[]): string {
  if (queue.length === 0) return "no chunk needs work: no chunk matches";
  const groups = new Map<string, { count: number; until: string | null }>();
  for (const entry of queue) {
    const key = entry.blocked_by ?? "claimable";
    const group = groups.get(key) ?? { count: 0, until: null };
    group.count++;
    if (entry.blocked_until && (group.until === null || entry.blocked_until < group.until)) group.until = entry.blocked_until;
    groups.set(key, group);
  }
  const parts = [...groups.entries()].map(([key, g]) => {
    const phrase = key === "claimable" ? "claimable" : BLOCKER_PHRASES[key as keyof typeof BLOCKER_PHRASES];
    const when = g.until ? ` (${key === "no_work" ? "next at" : "until"} ${g.until})` : "";
    return `${g.count} ${phrase}${when}`;
  });
  return `no chunk needs work now: ${parts.join("; ")}`;
}
