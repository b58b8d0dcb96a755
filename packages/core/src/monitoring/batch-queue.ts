// An ordered, bounded buffer flushed in batches by one sender at a time.
// Items leave the buffer only once the sender confirmed them: a failed batch
// is retried with backoff and stays at the head, so nothing is dropped and
// order is kept. A full buffer makes producers wait for the flush instead.
import { WatermarkError } from "../errors/index.ts";

export interface RetryOptions {
  /** Attempts per flush of one batch, first try included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface BatchOptions {
  /** Flush as soon as this many items wait; also the most sent in one call. */
  maxBatchSize: number;
  /** Flush items that have waited this long. */
  maxAgeMs: number;
  /** Producers awaiting `push` wait for a flush once this many items wait. */
  maxBuffered: number;
  retry: RetryOptions;
}

export const defaultBatchOptions: BatchOptions = {
  // Measured (npm run bench): per-request overhead dominates below ~1000 events;
  // 1000 keeps request bodies around 300 KB.
  maxBatchSize: 1_000,
  maxAgeMs: 2_000,
  maxBuffered: 10_000,
  retry: { attempts: 5, baseDelayMs: 250, maxDelayMs: 8_000 },
};

export interface BatchQueueHooks {
  /** Waits between attempts (injectable so tests need not wait). */
  sleep?: (ms: number) => Promise<void>;
  /** Called before each retry. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  /** Called when a background (size/age-triggered) flush gave up; the items stay buffered. */
  onBackgroundError?: (error: unknown) => void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Retry network failures, 5xx and transient SQLSTATE classes; an API error about the input is final. */
export function isTransientError(err: unknown): boolean {
  if (!(err instanceof WatermarkError)) return true;
  if (err.kind !== undefined) return false;
  if (err.status !== undefined && (err.status >= 500 || err.status === 408 || err.status === 429)) return true;
  // connection exception, transaction rollback (serialization/deadlock), insufficient resources, operator intervention
  return /^(08|40|53|57)/.test(err.code);
}

export class BatchQueue<T> {
  private readonly items: T[] = [];
  private chain: Promise<void> = Promise.resolve();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(
    private readonly send: (batch: T[]) => Promise<void>,
    private readonly options: BatchOptions = defaultBatchOptions,
    private readonly hooks: BatchQueueHooks = {},
  ) {
    if (options.maxBatchSize < 1 || options.maxBuffered < options.maxBatchSize || options.retry.attempts < 1) {
      throw new RangeError("batch options: need maxBatchSize ≥ 1, maxBuffered ≥ maxBatchSize and retry.attempts ≥ 1");
    }
  }

  /** Items not yet confirmed by the sender. */
  get size(): number {
    return this.items.length;
  }

  /** A copy of the unconfirmed items, oldest first (to salvage them after a final failure). */
  pending(): T[] {
    return [...this.items];
  }

  /**
   * Buffers one item. Resolves at once unless the buffer is full, in which
   * case it resolves when a flush has made room (rejects if that flush fails).
   */
  push(item: T): Promise<void> {
    if (this.closed) throw new Error("this buffer is closed: create a new monitor/logger to keep writing");
    this.items.push(item);
    if (this.items.length >= this.options.maxBuffered) return this.flush();
    if (this.items.length >= this.options.maxBatchSize) this.flushInBackground();
    else this.armTimer();
    return Promise.resolve();
  }

  /** Sends everything buffered, in order; rejects (items kept) when a batch fails for good. */
  flush(): Promise<void> {
    this.disarmTimer();
    const run = this.chain.then(() => this.drain());
    // The chain continues after a failure; the caller of this flush gets the error.
    this.chain = run.catch(() => {});
    return run;
  }

  /** Flushes, then refuses new items. */
  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      this.closed = true;
      this.disarmTimer();
    }
  }

  private flushInBackground(): void {
    this.flush().catch((err: unknown) => {
      this.hooks.onBackgroundError?.(err);
      // Try again later rather than drop: the items are still at the head.
      if (!this.closed) this.armTimer();
    });
  }

  private armTimer(): void {
    if (this.timer !== undefined || this.items.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flushInBackground();
    }, this.options.maxAgeMs);
  }

  private disarmTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async drain(): Promise<void> {
    while (this.items.length > 0) {
      const batch = this.items.slice(0, this.options.maxBatchSize);
      await this.sendWithRetry(batch);
      this.items.splice(0, batch.length);
    }
  }

  private async sendWithRetry(batch: T[]): Promise<void> {
    const { attempts, baseDelayMs, maxDelayMs } = this.options.retry;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.send(batch);
        return;
      } catch (err) {
        if (attempt >= attempts || !isTransientError(err)) throw err;
        // Exponential backoff with jitter, so many writers do not retry in step.
        const delay = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
        this.hooks.onRetry?.(err, attempt, delay);
        await (this.hooks.sleep ?? sleep)(delay);
      }
    }
  }
}
