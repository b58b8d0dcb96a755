// The collector's pure pieces: the time budget,
// option validation and when rate limits are worth persisting.
import { describe, expect, it } from "vitest";
import { resolveCollectOptions } from "../../src/collector/options.ts";
import { TimeBudget } from "../../src/collector/plan.ts";
import { shouldSave } from "../../src/collector/rate-limit-store.ts";
import { WatermarkError } from "../../src/errors/index.ts";

describe("TimeBudget", () => {
  it("stops while twice the slowest batch plus the closing reserve still fits", () => {
    let now = 0;
    const budget = new TimeBudget(() => now, 20_000, 1_000, 3_000);
    expect(budget.fitsAnotherBatch()).toBe(true);
    budget.recordBatch(4_000);
    now = 8_999;
    expect(budget.fitsAnotherBatch()).toBe(true);
    now = 9_000;
    expect(budget.fitsAnotherBatch()).toBe(false);
  });
});

describe("resolveCollectOptions", () => {
  it("applies the defaults", () => {
    expect(resolveCollectOptions({})).toMatchObject({ batchSize: 50, dryRun: false, clearCheckpoint: false, leaseSeconds: 120 });
  });
  it("names the option and the fix", () => {
    expect(() => resolveCollectOptions({ batchSize: 51 })).toThrow("batchSize: must be at most 50 (fixtures/multi takes at most 50 ids)");
    expect(() => resolveCollectOptions({ leagueId: -1 } as never)).toThrow(/^leagueId: /);
    expect(() => resolveCollectOptions({ typo: 1 } as never)).toThrow(/typo/);
  });
  it("throws WM001 through invalidParameter: the whole object is named `options`, the hint says nothing started", () => {
    const caught = (() => {
      try {
        resolveCollectOptions({ typo: 1 } as never);
      } catch (err) {
        return err;
      }
    })();
    expect(caught).toBeInstanceOf(WatermarkError);
    expect(caught).toMatchObject({ code: "WM001", hint: "collect(): fix the option; nothing was started" });
    expect((caught as Error).message).toMatch(/^options: .*typo/);
  });
});

describe("shouldSave (rate limits worth persisting)", () => {
  const at = (ms: number) => new Date(ms);
  const policy = { lowWater: 100, saveEvery: 50, lowWaterEvery: 10, floor: 10, resetToleranceMs: 5000 };
  it("saves the first state, a new window, sizeable drops and a spent budget only", () => {
    expect(shouldSave(undefined, { remaining: 2000, resetsAt: at(0) }, policy)).toBe(true);
    expect(shouldSave({ remaining: 2000, resetsAt: at(0) }, { remaining: 1990, resetsAt: at(1000) }, policy)).toBe(false);
    expect(shouldSave({ remaining: 2000, resetsAt: at(0) }, { remaining: 1950, resetsAt: at(0) }, policy)).toBe(true);
    expect(shouldSave({ remaining: 2000, resetsAt: at(0) }, { remaining: 3000, resetsAt: at(3_600_000) }, policy)).toBe(true);
    expect(shouldSave({ remaining: 0, resetsAt: at(0) }, { remaining: 0, resetsAt: at(0) }, policy)).toBe(false);
  });
  it("below the low water saves every few requests, not every one, and always at the floor", () => {
    expect(shouldSave({ remaining: 101, resetsAt: at(0) }, { remaining: 100, resetsAt: at(0) }, policy)).toBe(false);
    expect(shouldSave({ remaining: 40, resetsAt: at(0) }, { remaining: 31, resetsAt: at(0) }, policy)).toBe(false);
    expect(shouldSave({ remaining: 40, resetsAt: at(0) }, { remaining: 30, resetsAt: at(0) }, policy)).toBe(true);
    expect(shouldSave({ remaining: 12, resetsAt: at(0) }, { remaining: 10, resetsAt: at(0) }, policy)).toBe(true);
    expect(shouldSave({ remaining: 10, resetsAt: at(0) }, { remaining: 9, resetsAt: at(0) }, policy)).toBe(true);
  });
});
