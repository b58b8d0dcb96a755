// Follows a collection through the RPCs only (the same calls work on a Supabase
// project): chunks, executions and collect invocations since `since`, until every
// chunk has been collected once and no run is left RUNNING.
import type { ChunkProgress } from "@watermark/core/collector";
import type { ExecutionRow, RpcClient } from "@watermark/core/rpc";
import type { CollectionOverview, InvocationRow, StartRpcs } from "./rpcs.ts";

export interface Snapshot {
  overview: CollectionOverview;
  chunks: ChunkProgress[];
  executions: ExecutionRow[];
  invocations: InvocationRow[];
}

async function allChunks(rpc: RpcClient<StartRpcs>): Promise<ChunkProgress[]> {
  const chunks: ChunkProgress[] = [];
  for (;;) {
    const page = await rpc.call("list_chunks", { max_rows: 1000, after_chunk_id: chunks.at(-1)?.chunk_id });
    chunks.push(...page);
    if (page.length < 1000) return chunks;
  }
}

async function takeSnapshot(rpc: RpcClient<StartRpcs>, since: Date): Promise<Snapshot> {
  await rpc.call("harvest_function_invocations", {});
  const [overview, chunks, executions, invocations] = await Promise.all([
    rpc.call("get_collection_overview", {}),
    allChunks(rpc),
    rpc.call("list_etl_executions", { pipeline: "watermark", max_rows: 100 }),
    rpc.call("list_function_invocations", { function_name: "collect", max_rows: 200 }),
  ]);
  return {
    overview,
    chunks,
    executions: executions.filter((e) => Date.parse(e.started_at) >= since.getTime()),
    invocations: invocations.filter((i) => Date.parse(i.requested_at) >= since.getTime()),
  };
}

/** A chunk needs nothing more from this run: a pass finished, or it is set aside (failed, not in the plan). */
const chunkCollected = (c: ChunkProgress) => c.completed_at !== null || c.status === "failed" || c.status === "not_in_plan";

function isFinished(s: Snapshot): boolean {
  return (
    s.chunks.length > 0 &&
    s.chunks.every(chunkCollected) &&
    !s.chunks.some((c) => c.status === "running") &&
    s.executions.length > 0 &&
    !s.executions.some((e) => e.status === "RUNNING")
  );
}

/** The schedule cannot work (credential, URL, function down): no run started and every invocation failed. */
function scheduleBroken(s: Snapshot): InvocationRow | undefined {
  const answered = s.invocations.filter((i) => i.status !== "queued");
  if (s.executions.length > 0 || answered.length === 0 || answered.some((i) => i.status === "succeeded")) return undefined;
  return answered[0];
}

function progressLine(s: Snapshot, width = 24): string {
  const done = s.chunks.filter(chunkCollected).length;
  const total = s.chunks.length;
  const filled = total === 0 ? 0 : Math.round((done / total) * width);
  const running = s.executions.filter((e) => e.status === "RUNNING").length;
  const ok = s.invocations.filter((i) => i.status === "succeeded").length;
  const f = s.overview.fixtures;
  const bar = `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
  const parts = [
    total === 0 ? "chunks: discovering" : `chunks ${done}/${total}`,
    `fixtures ${f.collected}/${f.discovered}`,
    `runs ${s.executions.length} (${running} running)`,
    `invocations ${s.invocations.length} (${ok} ok)`,
  ];
  return `${bar} ${parts.join(" · ")}`;
}

export interface FollowOptions {
  since: Date;
  timeoutMs: number;
  /** Where progress goes; a TTY gets one line rewritten in place. */
  out: NodeJS.WriteStream;
  intervalMs?: number;
}

export class FollowError extends Error {
  constructor(
    message: string,
    readonly last: Snapshot | undefined,
  ) {
    super(message);
  }
}

export async function followCollection(rpc: RpcClient<StartRpcs>, options: FollowOptions): Promise<Snapshot> {
  const deadline = Date.now() + options.timeoutMs;
  let previous = "";
  let last: Snapshot | undefined;
  const show = (line: string) => {
    if (options.out.isTTY) options.out.write(`\r${line.padEnd(previous.length)}`);
    else if (line !== previous) options.out.write(`${line}\n`);
    previous = line;
  };
  try {
    for (;;) {
      last = await takeSnapshot(rpc, options.since);
      show(progressLine(last));
      if (isFinished(last)) return last;
      const broken = scheduleBroken(last);
      if (broken) {
        throw new FollowError(
          `the collect invocation ${broken.id} ${broken.status}${broken.status_code ? ` (HTTP ${broken.status_code})` : ""}: ${broken.error ?? "no detail"}`,
          last,
        );
      }
      if (Date.now() > deadline) {
        throw new FollowError(`not every chunk was collected within ${Math.round(options.timeoutMs / 60_000)} min`, last);
      }
      await new Promise((r) => setTimeout(r, options.intervalMs ?? 2000));
    }
  } finally {
    if (options.out.isTTY && previous) options.out.write("\n");
  }
}
