// Progress on stderr: a one-line bar redrawn in place on a TTY, plain lines
// (one per chunk event) otherwise, so logs and CI output stay readable.
import type { CollectProgress } from "../../packages/core/src/collector/engine.ts";

export interface ProgressWriter {
  update(progress: CollectProgress): void;
  end(): void;
}

export function progressWriter(stream: NodeJS.WriteStream): ProgressWriter {
  return stream.isTTY ? ttyBar(stream) : plainLines(stream);
}

function summary(p: CollectProgress): string {
  const c = p.counters;
  const collected = c.fixturesInserted + c.fixturesUpdated + c.fixturesUnchanged;
  return `chunks ${c.chunksCompleted}/${c.chunksClaimed} · fixtures ${collected} ok, ${c.fixturesFailed} failed`;
}

function ttyBar(stream: NodeJS.WriteStream): ProgressWriter {
  let drawn = false;
  return {
    update(p) {
      const width = 24;
      const ratio = p.chunkPending ? Math.min(1, (p.chunkDone ?? 0) / p.chunkPending) : p.phase === "release" ? 1 : 0;
      const filled = Math.round(ratio * width);
      const bar = `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
      const chunk = p.chunkId ? `${p.chunkId} ${p.chunkDone ?? 0}/${p.chunkPending ?? "?"}` : p.message;
      const line = `${bar} ${chunk} · ${summary(p)}`;
      stream.write(`\r\x1b[2K${line.slice(0, (stream.columns ?? 120) - 1)}`);
      drawn = true;
    },
    end() {
      if (drawn) stream.write("\n");
    },
  };
}

function plainLines(stream: NodeJS.WriteStream): ProgressWriter {
  return {
    update(p) {
      if (p.phase === "batch") return;
      stream.write(`collect: ${p.message} (${summary(p)})\n`);
    },
    end() {},
  };
}
