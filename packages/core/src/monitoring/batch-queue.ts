// An ordered, bounded buffer sent in batches, several batches in flight at once.
// Every item gets a sequence number (1, 2, 3... in push order) and each batch is
// sent with the number of its first item, so the receiver can store batches in
// order and ignore a resent one it already stored. Items leave the buffer only
// once their batch is confirmed, oldest batch first; when a batch fails, every
// batch from it on is resent after a backoff. Nothing is dropped, order is kept.
// A full buffer makes producers wait for room instead.
import { WatermarkError } from "../errors/index.ts";

export interface RetryOptions {
  /** Attempts per flush of one batch, first try included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface BatchOptions {
  /** Send as soon as this many items wait; also the most sent in one call. */
  maxBatchSize: number;
  /** Flush items that have waited this long. */
  maxAgeMs: number;
  /** Producers awaiting `push` wait for room once this many items are unconfirmed. */
  maxBuffered: number;
  /** Batches sent and not yet confirmed at once (1: one at a time). */
  maxInFlight: number;
  retry: RetryOptions;
}

export const defaultBatchOptions: BatchOptions = {
  // Measured (npm run bench): per-request overhead dominates below ~1000 events;
  // 1000 keeps request bodies around 200 KB.
  maxBatchSize: 1_000,
  maxAgeMs: 2_000,
  maxBuffered: 10_000,
  // The database stores one writer's batches one at a time (~20 ms per 1000 events), and
  // getting the next batch there (serialise, HTTP, the API, parse and check) takes about
  // as long: with two in flight the next one often arrives late and the database idles;
  // a third keeps one waiting its turn (measured: 1.1-1.6x two's rate). Raise it when
  // the network round trip is longer than storing one batch.
  maxInFlight: 3,
  retry: { attempts: 5, baseDelayMs: 250, maxDelayMs: 8_000 },
};

/** Sends one batch whose first item has sequence number `firstSeq`; resolves once the receiver stored it. */
export type SendBatch<T> = (batch: T[], firstSeq: number) => Promise<void>;

export interface BatchQueueHooks {
  /** Waits between attempts (injectable so tests need not wait). */
  sleep?: (ms: number) => Promise<void>;
  /** Called before each retry. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  /** Called when a background (size/age-triggered) send gave up; the items stay buffered. */
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

interface InFlight {
  count: number;
  /** The send's error, or undefined once confirmed. */
  outcome: Promise<unknown>;
}

interface Waiter {
  /** Resolve once every item up to this sequence number is confirmed. */
  seq: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class BatchQueue<T> {
  /** Unconfirmed items, oldest first; the first `dispatched` of them are in flight. */
  private readonly items: T[] = [];
  private confirmed = 0;
  private dispatched = 0;
  private inFlight: InFlight[] = [];
  /** Items up to this sequence number go out even as a short batch (a flush asked for them). */
  private flushUpTo = 0;
  private retrying = false;
  private running = false;
  private waiters: Waiter[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(
    private readonly send: SendBatch<T>,
    private readonly options: BatchOptions = defaultBatchOptions,
    private readonly hooks: BatchQueueHooks = {},
  ) {
    if (options.maxBatchSize < 1 || options.maxBuffered < options.maxBatchSize || options.maxInFlight < 1 || options.retry.attempts < 1) {
      throw new RangeError("batch options: need maxBatchSize ≥ 1, maxBuffered ≥ maxBatchSize, maxInFlight ≥ 1 and retry.attempts ≥ 1");
    }
  }

  /** Items not yet confirmed by the receiver. */
  get size(): number {
    return this.items.length;
  }

  /** A copy of the unconfirmed items, oldest first (to salvage them after a final failure). */
  pending(): T[] {
    return [...this.items];
  }

  /**
   * Buffers one item. Resolves at once (after one turn of the event loop when it
   * sent a batch) unless the buffer is full, in which case it resolves when
   * confirmations made room (rejects if sending fails for good).
   */
  push(item: T): Promise<void> {
    if (this.closed) throw new Error("this buffer is closed: create a new monitor/logger to keep writing");
    this.items.push(item);
    if (this.items.length >= this.options.maxBuffered) {
      const room = this.waitFor(this.confirmed + this.items.length - this.options.maxBuffered + 1);
      this.run();
      return room;
    }
    if (this.items.length - this.dispatched < this.options.maxBatchSize) {
      this.armTimer();
      return Promise.resolve();
    }
    const sending = this.inFlight.length;
    this.run();
    // A batch just went out: let the event loop send it before the caller produces more,
    // so a producer that never waits on I/O still overlaps with the database.
    return this.inFlight.length > sending ? new Promise((resolve) => setTimeout(resolve, 0)) : Promise.resolve();
  }

  /** Sends everything buffered, in order; rejects (items kept) when a batch fails for good. */
  flush(): Promise<void> {
    this.disarmTimer();
    const last = this.confirmed + this.items.length;
    if (last === this.confirmed) return Promise.resolve();
    this.flushUpTo = Math.max(this.flushUpTo, last);
    const done = this.waitFor(last);
    this.run();
    return done;
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

  private waitFor(seq: number): Promise<void> {
    return new Promise((resolve, reject) => this.waiters.push({ seq, resolve, reject }));
  }

  /** Sends what may go now and, unless already running, confirms batches until none is in flight. */
  private run(): void {
    this.dispatch();
    if (this.running) return;
    this.running = true;
    void this.confirmInFlight();
  }

  private async confirmInFlight(): Promise<void> {
    try {
      // A push while this awaited may have dispatched a batch, relying on this loop (running
      // was true) to confirm it: check and stop in one synchronous step.
      do await this.confirmLoop();
      while (this.inFlight.length > 0);
      this.running = false;
      this.armTimer();
    } catch (err) {
      this.running = false;
      this.flushUpTo = this.confirmed;
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w.reject(err);
      if (waiters.length > 0) return;
      this.hooks.onBackgroundError?.(err);
      // Try again later rather than drop: the items are still at the head.
      this.armTimer();
    }
  }

  /** Starts sends while the pipeline has room: full batches, and a short one a flush asked for. */
  private dispatch(): void {
    while (!this.retrying && this.inFlight.length < this.options.maxInFlight) {
      const firstSeq = this.confirmed + this.dispatched + 1;
      const count = Math.min(this.options.maxBatchSize, this.items.length - this.dispatched);
      if (count === 0 || (count < this.options.maxBatchSize && firstSeq > this.flushUpTo)) return;
      const batch = this.items.slice(this.dispatched, this.dispatched + count);
      this.dispatched += count;
      const outcome = Promise.resolve()
        .then(() => this.send(batch, firstSeq))
        .then(
          () => undefined,
          (err: unknown) => err ?? new Error("send failed without an error"),
        );
      this.inFlight.push({ count, outcome });
    }
  }

  private async confirmLoop(): Promise<void> {
    const { attempts, baseDelayMs, maxDelayMs } = this.options.retry;
    for (let attempt = 1; ; ) {
      const head = this.inFlight[0];
      if (!head) return;
      const error = await head.outcome;
      if (error === undefined) {
        this.inFlight.shift();
        this.items.splice(0, head.count);
        this.dispatched -= head.count;
        this.confirmed += head.count;
        attempt = 1;
        this.resolveWaiters();
        this.dispatch();
        continue;
      }
      // Batches after the failed one may have been stored or not: once they settled,
      // resend from the failed one (the receiver skips what it already has).
      this.retrying = true;
      try {
        await Promise.all(this.inFlight.map((b) => b.outcome));
        this.inFlight = [];
        this.dispatched = 0;
        if (attempt >= attempts || !isTransientError(error)) throw error;
        // Exponential backoff with jitter, so many writers do not retry in step.
        const delay = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
        this.hooks.onRetry?.(error, attempt, delay);
        await (this.hooks.sleep ?? sleep)(delay);
        attempt++;
      } finally {
        this.retrying = false;
      }
      this.dispatch();
    }
  }

  private resolveWaiters(): void {
    const done = this.waiters.filter((w) => w.seq <= this.confirmed);
    this.waiters = this.waiters.filter((w) => w.seq > this.confirmed);
    for (const w of done) w.resolve();
  }

  private armTimer(): void {
    if (this.timer !== undefined || this.closed || this.items.length === this.dispatched) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush().catch((err: unknown) => {
        this.hooks.onBackgroundError?.(err);
        this.armTimer();
      });
    }, this.options.maxAgeMs);
  }

  private disarmTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
