// The edge function's hard limits, counted from inside: 2 s of CPU per request
// and 256 MB of memory. Exceeding either kills the worker (546 WORKER_LIMIT)
// with no chance to release the lease or finish the run, so the collector
// stops at a batch boundary while both still leave room for the closing calls.
//
// CPU time: the runtime's own counter where it has one. `process.threadCpuUsage`
// counts this thread only (an edge worker is a thread); `process.cpuUsage`
// counts the whole process, which on a runtime hosting several workers
// over-counts: the run stops early, never late. Where neither exists the
// budget falls back to a calibrated estimate per batch and per discovery
// (measured with `npm run bench -- collect`, rounded up). Memory: the isolate's
// heap plus external buffers (response bodies), per isolate where the runtime
// hosts several. Web APIs only: the probe is feature-detected, never imported.

/** Reads this worker's resource use; null where the runtime cannot tell. */
export interface ResourceProbe {
  /** CPU milliseconds used so far (any origin: only differences are used). */
  cpuMs(): number | null;
  /** Bytes held now (heap + external buffers). */
  memoryBytes(): number | null;
}

interface ProcessLike {
  threadCpuUsage?: () => { user: number; system: number };
  cpuUsage?: () => { user: number; system: number };
  memoryUsage?: () => { heapUsed: number; external: number };
}

/** The probe of the runtime this code runs in (Node, Deno, the Supabase edge runtime). */
export function runtimeResourceProbe(): ResourceProbe {
  const proc = (globalThis as { process?: ProcessLike }).process;
  const usage = proc?.threadCpuUsage ?? proc?.cpuUsage;
  return {
    cpuMs() {
      if (!usage || !proc) return null;
      try {
        const u = usage.call(proc);
        return (u.user + u.system) / 1000;
      } catch {
        return null;
      }
    },
    memoryBytes() {
      try {
        const m = proc?.memoryUsage?.();
        return m ? m.heapUsed + m.external : null;
      } catch {
        return null;
      }
    },
  };
}

/** Estimates used where the runtime has no CPU counter (rounded up from the bench's figures). */
export const CPU_ESTIMATE_MS = { batch: 15, discovery: 60 } as const;

export interface ResourceLimits {
  /** CPU milliseconds the run may use; the platform allows 2,000 per request. */
  cpuMs?: number;
  /** Bytes the run may hold; the platform allows 256 MB. */
  memoryBytes?: number;
}

export type ResourceStop = { reason: "cpu_budget" | "memory_budget"; message: string };

export interface ResourceUse {
  cpuMs: number;
  /** True when cpuMs is the calibrated estimate (no CPU counter in this runtime). */
  cpuEstimated: boolean;
  /** CPU of the fixtures/multi batches (fetch and write), all together and the most expensive one. */
  batchCpuMs: number;
  maxBatchCpuMs: number;
  batches: number;
  peakMemoryBytes: number | null;
}

/** Reserve kept for what follows the last batch: releasing the lease, closing logs and metrics, finishing the run. */
const CLOSING_CPU_MS = 150;

export class ResourceBudget {
  readonly #probe: ResourceProbe;
  readonly #limits: ResourceLimits;
  readonly #startCpu: number | null;
  #estimatedMs = 0;
  #batchStart: number | null = null;
  /** The CPU reading check() just took: the batch it clears starts from it (one probe call fewer per batch). */
  #checkedCpu: number | null = null;
  #maxBatchMs = 0;
  #batchMs = 0;
  #batches = 0;
  #peakMemory: number | null = null;

  constructor(probe: ResourceProbe, limits: ResourceLimits = {}) {
    this.#probe = probe;
    this.#limits = limits;
    this.#startCpu = probe.cpuMs();
    this.#sampleMemory();
  }

  #sampleMemory(): number | null {
    const bytes = this.#probe.memoryBytes();
    if (bytes !== null) this.#peakMemory = Math.max(this.#peakMemory ?? 0, bytes);
    return bytes;
  }

  #cpuUsed(): number {
    const now = this.#startCpu === null ? null : this.#probe.cpuMs();
    return now === null || this.#startCpu === null ? this.#estimatedMs : now - this.#startCpu;
  }

  /** A season schedule was piped into the database and registered. */
  recordDiscovery(): void {
    this.#estimatedMs += CPU_ESTIMATE_MS.discovery;
    this.#sampleMemory();
  }

  /** A batch starts: right after check() cleared it, from check()'s reading. */
  startBatch(): void {
    this.#batchStart = this.#checkedCpu ?? this.#cpuUsed();
    this.#checkedCpu = null;
  }

  /** The batch ended. Memory is not sampled here: check() samples it before the next batch, use() after the last. */
  endBatch(): void {
    this.#estimatedMs += CPU_ESTIMATE_MS.batch;
    const used = this.#cpuUsed();
    if (this.#batchStart !== null) {
      this.#batchMs += used - this.#batchStart;
      this.#maxBatchMs = Math.max(this.#maxBatchMs, used - this.#batchStart);
    }
    this.#batchStart = null;
    this.#batches++;
  }

  /** Why the run must stop before its next batch, or null while another batch fits. */
  check(): ResourceStop | null {
    const memory = this.#sampleMemory();
    const { cpuMs, memoryBytes } = this.#limits;
    this.#checkedCpu = null;
    if (memoryBytes !== undefined && memory !== null && memory > memoryBytes) {
      return {
        reason: "memory_budget",
        message: `memory budget reached: ${mb(memory)} MB held, budget ${mb(memoryBytes)} MB; the next run resumes from the checkpoint`,
      };
    }
    if (cpuMs !== undefined) {
      const used = this.#cpuUsed();
      this.#checkedCpu = used;
      // Another batch must fit twice over (a slower one may follow) with the closing calls.
      const next = 2 * Math.max(this.#maxBatchMs, CPU_ESTIMATE_MS.batch) + CLOSING_CPU_MS;
      if (used + next > cpuMs) {
        return {
          reason: "cpu_budget",
          message: `CPU budget reached: ${Math.round(used)} ms used${this.#startCpu === null ? " (estimated)" : ""}, budget ${cpuMs} ms; the next run resumes from the checkpoint`,
        };
      }
    }
    return null;
  }

  use(): ResourceUse {
    this.#sampleMemory();
    return {
      cpuMs: Math.round(this.#cpuUsed() * 10) / 10,
      cpuEstimated: this.#startCpu === null,
      batchCpuMs: Math.round(this.#batchMs * 10) / 10,
      maxBatchCpuMs: Math.round(this.#maxBatchMs * 10) / 10,
      batches: this.#batches,
      peakMemoryBytes: this.#peakMemory,
    };
  }
}

function mb(bytes: number): number {
  return Math.round(bytes / 1024 / 1024);
}
