import { afterEach, describe, expect, it, vi } from "vitest";
import { WatermarkError } from "../../src/errors/index.ts";
import { type BatchOptions, BatchQueue, isTransientError } from "../../src/monitoring/batch-queue.ts";

const noWait = async () => {};
const options = (o: Partial<BatchOptions> = {}): BatchOptions => ({
  maxBatchSize: 3,
  maxAgeMs: 1_000,
  maxBuffered: 6,
  maxInFlight: 1,
  retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 1 },
  ...o,
});
const networkDown = () => new Error("fetch failed");
const badInput = () => new WatermarkError({ code: "WM001", message: "events[0].level: unknown level" });

afterEach(() => vi.useRealTimers());

describe("BatchQueue", () => {
  it("sends in order, in batches of at most maxBatchSize", async () => {
    const sent: number[][] = [];
    const q = new BatchQueue<number>(async (b) => void sent.push([...b]), options({ maxBuffered: 100 }));
    for (let i = 0; i < 7; i++) await q.push(i);
    await q.flush();
    expect(sent.flat()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(Math.max(...sent.map((b) => b.length))).toBeLessThanOrEqual(3);
    expect(q.size).toBe(0);
  });

  it("retries a transient failure with backoff and keeps the order", async () => {
    const sent: number[] = [];
    let failures = 2;
    const retries: number[] = [];
    const q = new BatchQueue<number>(
      async (b) => {
        if (failures-- > 0) throw networkDown();
        sent.push(...b);
      },
      options(),
      { sleep: noWait, onRetry: (_e, attempt) => retries.push(attempt) },
    );
    q.push(1);
    q.push(2);
    await q.flush();
    expect(sent).toEqual([1, 2]);
    expect(retries).toEqual([1, 2]);
  });

  it("never drops a batch that failed for good: flush rejects, items stay, the next flush sends them first", async () => {
    const sent: number[] = [];
    let fail = true;
    const q = new BatchQueue<number>(
      async (b) => {
        if (fail) throw networkDown();
        sent.push(...b);
      },
      options(),
      { sleep: noWait },
    );
    q.push(1);
    q.push(2);
    await expect(q.flush()).rejects.toThrow("fetch failed");
    expect(q.pending()).toEqual([1, 2]);
    fail = false;
    q.push(3);
    await q.flush();
    expect(sent).toEqual([1, 2, 3]);
  });

  it("does not retry an error about the input", async () => {
    let attempts = 0;
    const q = new BatchQueue<number>(
      async () => {
        attempts++;
        throw badInput();
      },
      options(),
      { sleep: noWait },
    );
    q.push(1);
    await expect(q.flush()).rejects.toMatchObject({ code: "WM001" });
    expect(attempts).toBe(1);
    expect(q.size).toBe(1);
  });

  it("keeps at most maxInFlight sends in flight even when flushes overlap", async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const sent: number[] = [];
    const q = new BatchQueue<number>(
      async (b) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 1));
        sent.push(...b);
        inFlight--;
      },
      options({ maxBuffered: 100, maxInFlight: 2 }),
    );
    const flushes: Promise<void>[] = [];
    for (let i = 0; i < 20; i++) {
      q.push(i);
      flushes.push(q.flush());
    }
    await Promise.all(flushes);
    expect(maxInFlight).toBe(2);
    expect(sent.sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
  });

  it("applies back-pressure when full: push waits for room instead of dropping", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const sent: number[] = [];
    const q = new BatchQueue<number>(async (b) => {
      await gate;
      sent.push(...b);
    }, options());
    for (let i = 0; i < 5; i++) await q.push(i);
    let settled = false;
    const full = q.push(5).then(() => {
      settled = true;
    });
    await new Promise((r) => setTimeout(r, 5));
    expect(settled).toBe(false);
    expect(q.size).toBe(6);
    release();
    await full;
    expect(q.size).toBeLessThan(6);
    await q.flush();
    expect(sent).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it("flushes by age", async () => {
    vi.useFakeTimers();
    const sent: number[] = [];
    const q = new BatchQueue<number>(async (b) => void sent.push(...b), options());
    q.push(1);
    expect(sent).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(sent).toEqual([1]);
  });

  it("retries a failed background flush later and reports it", async () => {
    vi.useFakeTimers();
    const sent: number[] = [];
    const reported: unknown[] = [];
    let fail = true;
    const q = new BatchQueue<number>(
      async (b) => {
        if (fail) throw networkDown();
        sent.push(...b);
      },
      options({ retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } }),
      { onBackgroundError: (e) => reported.push(e) },
    );
    q.push(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(reported).toHaveLength(1);
    expect(q.size).toBe(1);
    fail = false;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(sent).toEqual([1]);
  });

  it("refuses pushes after close", async () => {
    const q = new BatchQueue<number>(async () => {}, options());
    await q.close();
    expect(() => q.push(1)).toThrow(/closed/);
  });
});

/** A receiver that stores like the database does: in sequence order, each number once, gaps refused (transient). */
function sequencedReceiver() {
  const stored: number[] = [];
  let last = 0;
  return {
    stored,
    store(batch: number[], firstSeq: number) {
      if (firstSeq > last + 1) throw new WatermarkError({ code: "40001", message: `first_seq: ${firstSeq} cannot follow ${last} yet` });
      stored.push(...batch.slice(last - firstSeq + 1));
      last = Math.max(last, firstSeq + batch.length - 1);
    },
  };
}

describe("BatchQueue pipelining", () => {
  it("numbers items in push order and confirms batches oldest first, whatever order the answers come in", async () => {
    const receiver = sequencedReceiver();
    const answers: Array<{ firstSeq: number; answer: () => void }> = [];
    const q = new BatchQueue<number>(
      (b, firstSeq) =>
        new Promise<void>((resolve) => {
          receiver.store(b, firstSeq);
          answers.push({ firstSeq, answer: resolve });
        }),
      options({ maxBuffered: 100, maxInFlight: 3 }),
    );
    for (let i = 1; i <= 9; i++) await q.push(i);
    await new Promise((r) => setTimeout(r, 1));
    expect(answers.map((a) => a.firstSeq)).toEqual([1, 4, 7]);
    answers[2]?.answer();
    answers[1]?.answer();
    await new Promise((r) => setTimeout(r, 1));
    expect(q.size).toBe(9);
    answers[0]?.answer();
    await q.flush();
    expect(q.size).toBe(0);
    expect(receiver.stored).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("resends a batch whose confirmation was lost with the same numbers, so it is stored once", async () => {
    const receiver = sequencedReceiver();
    const sends: number[] = [];
    let loseNext = true;
    const q = new BatchQueue<number>(
      async (b, firstSeq) => {
        sends.push(firstSeq);
        receiver.store(b, firstSeq);
        if (firstSeq === 4 && loseNext) {
          loseNext = false;
          throw new Error("fetch failed: socket hang up");
        }
      },
      options({ maxBuffered: 100, maxInFlight: 2 }),
      { sleep: noWait },
    );
    for (let i = 1; i <= 8; i++) await q.push(i);
    await q.flush();
    expect(receiver.stored).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(sends.filter((s) => s === 4)).toHaveLength(2);
  });

  it("after a failed batch resends from it, not from a later one, keeping the order", async () => {
    const receiver = sequencedReceiver();
    const sends: number[] = [];
    let failFour = true;
    const q = new BatchQueue<number>(
      async (b, firstSeq) => {
        sends.push(firstSeq);
        if (firstSeq === 4 && failFour) {
          failFour = false;
          throw new Error("fetch failed");
        }
        await new Promise((r) => setTimeout(r, 1));
        receiver.store(b, firstSeq);
      },
      options({ maxBuffered: 100, maxInFlight: 3 }),
      { sleep: noWait },
    );
    for (let i = 1; i <= 9; i++) await q.push(i);
    await q.flush();
    expect(receiver.stored).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // 7 was refused (4 missing) or never sent before the retry; after it, 4 goes first.
    expect(sends.slice(sends.lastIndexOf(4))).toEqual([4, 7]);
  });

  it("keeps items while the receiver is down and delivers them, once and in order, when it is back", async () => {
    const receiver = sequencedReceiver();
    let down = true;
    const q = new BatchQueue<number>(
      async (b, firstSeq) => {
        if (down) throw new Error("connect ECONNREFUSED 127.0.0.1:54321");
        receiver.store(b, firstSeq);
      },
      options({ maxBuffered: 100, maxInFlight: 2 }),
      { sleep: noWait },
    );
    for (let i = 1; i <= 7; i++) await q.push(i);
    await expect(q.flush()).rejects.toThrow(/ECONNREFUSED/);
    expect(q.pending()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    down = false;
    await q.push(8);
    await q.flush();
    expect(receiver.stored).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(q.size).toBe(0);
  });
});

describe("isTransientError", () => {
  it("retries network and server errors, not contract errors", () => {
    expect(isTransientError(new Error("fetch failed"))).toBe(true);
    expect(isTransientError(new WatermarkError({ code: "PGRST000", message: "x", status: 503 }))).toBe(true);
    expect(isTransientError(new WatermarkError({ code: "40001", message: "serialization failure" }))).toBe(true);
    expect(isTransientError(badInput())).toBe(false);
    expect(isTransientError(new WatermarkError({ code: "42501", message: "denied", status: 403 }))).toBe(false);
  });
});
