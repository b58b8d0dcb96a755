// ResourceBudget's bookkeeping against a scripted probe: how a batch's CPU is
// counted and which readings the peak memory sees. The stops themselves are
// tested end to end (tests/collection/resource-limits.test.ts).
import { describe, expect, it } from "vitest";
import { ResourceBudget, type ResourceProbe } from "../../src/collector/resource-budget.ts";

/** A probe answering from scripted readings, counting how often it is read. */
function scriptedProbe(cpu: number[], memory: number[]) {
  const reads = { cpu: 0, memory: 0 };
  const probe: ResourceProbe = {
    cpuMs: () => cpu[Math.min(reads.cpu++, cpu.length - 1)] ?? null,
    memoryBytes: () => memory[Math.min(reads.memory++, memory.length - 1)] ?? null,
  };
  return { probe, reads };
}

describe("ResourceBudget", () => {
  it("counts a batch from the reading that cleared it to the one after it: two CPU readings a batch", () => {
    // Readings: start, check, end of batch 1, check, end of batch 2.
    const { probe, reads } = scriptedProbe([100, 110, 125, 140, 180], [1]);
    const budget = new ResourceBudget(probe, { cpuMs: 2_000 });
    for (let batch = 0; batch < 2; batch++) {
      expect(budget.check()).toBeNull();
      budget.startBatch();
      budget.endBatch();
    }
    expect(reads.cpu).toBe(5);
    expect(budget.use()).toMatchObject({ batches: 2, batchCpuMs: 15 + 40, maxBatchCpuMs: 40, cpuMs: 80 });
  });

  it("reads the CPU itself when a batch starts without a check just before it", () => {
    const { probe } = scriptedProbe([0, 5, 30], [1]);
    const budget = new ResourceBudget(probe);
    // No CPU limit: check() has nothing to read the CPU for.
    expect(budget.check()).toBeNull();
    budget.startBatch();
    budget.endBatch();
    expect(budget.use()).toMatchObject({ batches: 1, batchCpuMs: 25 });
  });

  it("samples memory before each batch and once more when asked for its use, so the peak covers the end of the run", () => {
    const { probe, reads } = scriptedProbe([0], [10, 20, 30, 45]);
    const budget = new ResourceBudget(probe, { memoryBytes: 100 });
    expect(budget.check()).toBeNull();
    budget.startBatch();
    budget.endBatch();
    expect(budget.check()).toBeNull();
    budget.startBatch();
    budget.endBatch();
    expect(reads.memory).toBe(3);
    expect(budget.use().peakMemoryBytes).toBe(45);
  });
});
