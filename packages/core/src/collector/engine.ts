// The collection engine: one monitored, time-boxed run over chunk leases.
//
//   start execution → catalog (new leagues and seasons: ids above the known
//   ones; the whole catalog on its cadence) → claim chunk (lease)
//   → discover (season schedule, every stage layout) → fixtures due after the
//   checkpoint → fixtures/multi (≤ 50 ids, includes) → its answer, unread, to
//   upsert_fixture_response with the checkpoint (one RPC; Postgres parses and
//   checks it) → … → release lease → next chunk … → finish execution.
//
// Inside the edge function the run also counts its CPU and memory
// (ResourceBudget) and stops at a batch boundary before the platform would
// kill it, like it stops before its wall-clock budget.
//
// When a fixture is due is the database's decision (docs/collection.md): at
// kickoff, while live, after full time on the settle windows, and when the
// schedule moves it. fixtures/latest is not used: its 10-second window needs a
// call every 10 seconds and it never reports corrections to events or scores.
//
// Every write under a lease is lease-checked in the database, so a collector
// that lost its lease (crash, pause) writes nothing more; the next claimer
// resumes from the checkpoint. Runtime-neutral: web APIs only.
import { describeError, isWatermarkError, toError } from "../errors/index.ts";
import type { EtlMonitor } from "../monitoring/etl-monitor.ts";
import type { ConsoleOptions } from "../monitoring/logger.ts";
import { EtlLogger } from "../monitoring/logger.ts";
import type { PerformanceTracker } from "../monitoring/performance-tracker.ts";
import type { RpcClient } from "../rpc/client.ts";
import type { LogLevel } from "../rpc/schemas.ts";
import type { SportmonksClient, SportmonksRequestEvent, SportmonksWaitEvent } from "../sportmonks/client.ts";
import {
  SportmonksAuthError,
  SportmonksError,
  SportmonksIncludeError,
  SportmonksPlanError,
  SportmonksRateLimited,
} from "../sportmonks/errors.ts";
import { InMemoryRateLimitStore, type RateLimitStore } from "../sportmonks/rate-limit.ts";
import { FIXTURE_INCLUDES, type League, type Season } from "../sportmonks/schemas.ts";
import type { FixtureAnswerRelay } from "./answer-relay.ts";
import { type CollectOptions, type ResolvedCollectOptions, resolveCollectOptions } from "./options.ts";
import { describeQueue, TimeBudget } from "./plan.ts";
import { DbRateLimitStore } from "./rate-limit-store.ts";
import { ResourceBudget, type ResourceProbe, runtimeResourceProbe } from "./resource-budget.ts";
import type { FixtureResponseWriter, SchedulePreviewer, ScheduleResponseWriter } from "./response-pipe.ts";
import {
  ApiUsageMeter,
  type CollectCounters,
  type CollectResult,
  type DryRunChunk,
  emptyCounters,
  isRateLimited,
  type StopReason,
} from "./result.ts";
import type { ClaimedChunk, CollectorRpcs } from "./rpcs.ts";

/** What collect() hands the Sportmonks client factory. */
export interface SportmonksHooks {
  onRequest: ApiUsageMeter["onRequest"];
  onWait: ApiUsageMeter["onWait"];
  /** Database-backed (in-memory for a dry run, which writes nothing). */
  rateLimitStore: RateLimitStore;
  /** The longest rate-limit pause that still fits the run's budget. */
  maxRateLimitWaitMs: number;
}

export interface CollectProgress {
  phase: "catalog" | "claim" | "batch" | "release" | "done";
  chunkId?: string;
  /** Fixtures of the current chunk needing work when it was claimed (after discovery). */
  chunkPending?: number;
  /** Fixtures handled in the current chunk so far. */
  chunkDone?: number;
  counters: CollectCounters;
  message: string;
}

export interface CollectorDeps {
  /** Service-role client with the collector registry (createRpcClient({ registry: collectorRpcs, … })). */
  rpc: RpcClient<CollectorRpcs>;
  /** Builds the Sportmonks client with collect()'s hooks (usage meter, persisted rate limits). */
  sportmonks: (hooks: SportmonksHooks) => SportmonksClient;
  /** Sends a fixtures/multi answer, unread, to upsert_fixture_response (fixtureResponseWriter). */
  writeFixtureResponse: FixtureResponseWriter;
  /**
   * When set, fixtures/multi answers are fetched by the database through pg_net
   * (fixtureAnswerRelay) instead of piped through this process: the edge
   * function's choice, as its CPU is capped at 2 s a request.
   */
  relayFixtureAnswer?: FixtureAnswerRelay;
  /** Sends a season schedule answer, unread, to pipe_schedule_response (scheduleResponseWriter). */
  writeScheduleResponse: ScheduleResponseWriter;
  /** Sends a season schedule answer, unread, to pipe_schedule_preview (schedulePreviewer): dry runs. */
  previewSchedule: SchedulePreviewer;
  /** Reads CPU and memory use (default: the runtime's own counters, runtimeResourceProbe). */
  resources?: ResourceProbe;
  /** A monitor not started yet: collect() starts and finishes its execution. Unused by dry runs. */
  monitor: EtlMonitor;
  /** Console mirror of the logs (default: INFO to stderr). */
  console?: ConsoleOptions;
  /** Aborting stops the run at the next batch boundary: lease released, execution CANCELLED. */
  signal?: AbortSignal;
  onProgress?: (progress: CollectProgress) => void;
  /** Called once the monitored execution is recorded, with its id (not for dry runs). */
  onStarted?: (executionId: string) => void;
  now?: () => number;
}

const CLOSING_LEVEL = { COMPLETED: "INFO", CANCELLED: "WARNING", FAILED: "ERROR" } as const satisfies Record<
  CollectResult["status"],
  LogLevel
>;

/** Batches of work ids one list_chunk_work call fetches. */
const WORK_BATCHES_PER_QUERY = 10;

/** Thrown inside a run to stop it with a reason; never escapes collect(). */
class StopRun extends Error {
  constructor(
    readonly reason: StopReason,
    message: string,
    readonly fatal = false,
  ) {
    super(message);
  }
}

/**
 * Runs one collection. Resolves with the result for every outcome the run can
 * record (COMPLETED, FAILED, CANCELLED); rejects only for invalid options or
 * when the execution could not even be started.
 */
export async function collect(deps: CollectorDeps, input: CollectOptions = {}): Promise<CollectResult> {
  const options = resolveCollectOptions(input);
  const run = new CollectionRun(deps, options);
  return options.dryRun ? run.dryRun() : run.execute();
}

class CollectionRun {
  private readonly now: () => number;
  private readonly started: number;
  private readonly budget: TimeBudget;
  private readonly resources: ResourceBudget;
  private readonly meter: ApiUsageMeter;
  private readonly counters = emptyCounters();
  private readonly errors: string[] = [];
  private readonly internalAbort = new AbortController();
  private readonly claimedIds: string[] = [];
  private sportmonks!: SportmonksClient;
  private logger!: EtlLogger;
  private metrics: PerformanceTracker | undefined;
  /** The run's database-backed rate-limit store (not for dry runs). */
  private rateLimits: DbRateLimitStore | undefined;
  private executionId: string | null = null;

  constructor(
    private readonly deps: CollectorDeps,
    private readonly options: ResolvedCollectOptions,
  ) {
    this.now = deps.now ?? Date.now;
    this.meter = new ApiUsageMeter(this.now);
    this.started = this.now();
    this.budget = new TimeBudget(this.now, options.timeBudgetMs);
    this.resources = new ResourceBudget(deps.resources ?? runtimeResourceProbe(), {
      cpuMs: options.cpuBudgetMs,
      memoryBytes: options.memoryBudgetMb === undefined ? undefined : options.memoryBudgetMb * 1024 * 1024,
    });
  }

  private get fixtureAnswers(): CollectResult["fixtureAnswers"] {
    return this.deps.relayFixtureAnswer ? "database" : "pipe";
  }

  private get aborted(): boolean {
    return Boolean(this.deps.signal?.aborted || this.internalAbort.signal.aborted);
  }

  private buildClient(store: RateLimitStore): SportmonksClient {
    return this.deps.sportmonks({
      onRequest: (event) => {
        this.meter.onRequest(event);
        this.recordRequest(event);
      },
      onWait: (event) => {
        this.meter.onWait(event);
        if (event.reason !== "budget_reserve") this.recordRetry(event);
      },
      rateLimitStore: store,
      // Waiting past the budget is pointless: the run stops and the next one starts after the reset.
      maxRateLimitWaitMs: Math.max(0, Math.min(60_000, Math.floor(this.options.timeBudgetMs / 4))),
    });
  }

  /**
   * One `sportmonks.latency_ms` sample per HTTP attempt, tagged with what it
   * ended as: health's source_api section reads calls, errors, 429s, latency
   * and the last success from these (docs/operations.md, Health).
   */
  private recordRequest(event: SportmonksRequestEvent): void {
    const outcome = event.error === null ? "ok" : isRateLimited(event) ? "rate_limited" : event.error;
    const tags = {
      entity: event.entity ?? "unknown",
      endpoint: event.endpoint,
      outcome,
      ...(event.status === null ? {} : { status: event.status }),
    };
    this.metrics?.recordMetric("sportmonks.latency_ms", event.durationMs, { unit: "ms", kind: "timing", tags }).catch(() => {
      // Like the client's own hooks, observation never changes the run.
    });
  }

  /** A retry is about to happen: one log line (shown by --verbose) and one `sportmonks.retries` count. */
  private recordRetry(event: SportmonksWaitEvent): void {
    const reason = event.error ?? event.reason;
    const tags = { entity: event.entity ?? "unknown", endpoint: event.endpoint, reason };
    this.logger
      .info(`retrying ${event.endpoint} (attempt ${event.attempt + 1}) after ${reason}${event.status ? ` HTTP ${event.status}` : ""}`, {
        ...tags,
        status: event.status ?? null,
        attempt: event.attempt + 1,
        wait_ms: event.waitMs,
      })
      .catch(() => {});
    this.metrics?.incrementCounter("sportmonks.retries", 1, tags).catch(() => {});
  }

  private progress(phase: CollectProgress["phase"], message: string, extra: Partial<CollectProgress> = {}): void {
    try {
      this.deps.onProgress?.({ phase, message, counters: { ...this.counters }, ...extra });
    } catch {
      // A progress display never changes the run.
    }
  }

  // ------------------------------------------------------------------ real run

  async execute(): Promise<CollectResult> {
    const { monitor, rpc } = this.deps;
    const o = this.options;
    this.executionId = await monitor.start({
      config: {
        league_id: o.leagueId ?? null,
        season_id: o.seasonId ?? null,
        max_chunks: o.maxChunks ?? null,
        max_fixtures: o.maxFixtures ?? null,
        batch_size: o.batchSize,
        min_fixtures: o.minFixtures ?? null,
        clear_checkpoint: o.clearCheckpoint,
        time_budget_ms: o.timeBudgetMs,
        owner: o.owner,
        trigger: o.trigger,
      },
      correlationId: o.correlationId,
    });
    const executionId = this.executionId;
    try {
      this.deps.onStarted?.(executionId);
    } catch {
      // Like a progress display, a start listener never changes the run.
    }
    this.logger = monitor.logger.child({ component: "collector" });
    this.metrics = monitor.metrics;
    this.rateLimits = new DbRateLimitStore(rpc);
    this.sportmonks = this.buildClient(this.rateLimits);

    const stopHeartbeats = monitor.keepAlive({
      intervalMs: o.heartbeatIntervalMs,
      progress: () => this.finishCounters(),
      // Reaped (no longer RUNNING): stop at the next boundary; the work no longer counts.
      onLost: (err) => this.internalAbort.abort(err),
    });
    let stop: StopRun;
    try {
      await this.logger.info("collection started", { options: { ...o, correlationId: undefined } });
      stop = await this.work();
    } catch (caught) {
      const error = toError(caught);
      stop = caught instanceof StopRun ? caught : new StopRun("failed", describeError(error), true);
    } finally {
      stopHeartbeats();
    }

    const status: CollectResult["status"] = stop.fatal ? "FAILED" : stop.reason === "cancelled" ? "CANCELLED" : "COMPLETED";
    if (stop.fatal) this.errors.push(stop.message);
    const durationMs = this.now() - this.started;
    await this.closeExecution(executionId, status, stop, durationMs);
    this.progress("done", `${status.toLowerCase()}: ${stop.message}`);
    return this.result(status, stop, durationMs);
  }

  private finishCounters() {
    const c = this.counters;
    return {
      totalFixtures: c.fixturesRequested,
      processedFixtures: c.fixturesRequested,
      successfulFixtures: c.fixturesInserted + c.fixturesUpdated + c.fixturesUnchanged,
      failedFixtures: c.fixturesFailed,
      totalChunks: c.chunksClaimed,
      processedChunks: c.chunksCompleted,
      rowsWritten: c.rowsWritten,
    };
  }

  private async closeExecution(executionId: string, status: CollectResult["status"], stop: StopRun, durationMs: number): Promise<void> {
    const c = this.counters;
    try {
      // Saves are thinned during the run: the dispatcher reads the budget as the run left it.
      await this.rateLimits?.flush();
    } catch (err) {
      this.errors.push(`saving rate limits: ${describeError(err)}`);
    }
    try {
      // The closing line's level follows the status, so level-filtered views see failed runs.
      await this.logger.log(CLOSING_LEVEL[status], `collection ${status.toLowerCase()}`, {
        stop_reason: stop.reason,
        message: stop.message,
        counters: { ...c },
        api: { ...this.meter.usage },
        // This thread's CPU and memory, against the function's 2 s and 256 MB (the backfill bench reads them).
        resources: this.resources.use(),
        fixture_answers: this.fixtureAnswers,
      });
      const metrics = this.metrics;
      if (metrics) {
        for (const [entity, e] of Object.entries(this.meter.usage.byEntity)) {
          const tags = { entity };
          await metrics.recordMetric("sportmonks.calls", e.calls, { unit: "count", kind: "counter", tags });
          await metrics.recordMetric("sportmonks.errors", e.errors, { unit: "count", kind: "counter", tags });
          await metrics.recordMetric("sportmonks.rate_limited", e.rateLimited, { unit: "count", kind: "counter", tags });
          const remaining = this.meter.usage.remainingByEntity[entity];
          if (remaining !== undefined) await metrics.setGauge("sportmonks.rate_limit_remaining", remaining, "count", tags);
        }
        await metrics.recordMetric("collector.api_calls", this.meter.usage.calls, { unit: "count", kind: "counter" });
        await metrics.recordMetric("collector.api_429", this.meter.usage.rateLimited, { unit: "count", kind: "counter" });
        await metrics.recordMetric("collector.fixtures_collected", c.fixturesInserted + c.fixturesUpdated + c.fixturesUnchanged, {
          unit: "count",
          kind: "counter",
        });
        await metrics.recordMetric("collector.fixtures_failed", c.fixturesFailed, { unit: "count", kind: "counter" });
        if (durationMs > 0) {
          await metrics.recordMetric("collector.fixtures_per_second", (c.fixturesRequested * 1000) / durationMs, { unit: "fixtures/s" });
        }
      }
      await this.deps.rpc.call("report_collection_status", {
        execution_id: executionId,
        duration_seconds: durationMs / 1000,
        rows_written: c.rowsWritten,
        succeeded: status !== "FAILED",
        error_message: status === "FAILED" ? stop.message.slice(0, 2000) : undefined,
      });
    } catch (err) {
      this.errors.push(`closing the run: ${describeError(err)}`);
    }
    try {
      await this.deps.monitor.finish(status, {
        ...this.finishCounters(),
        errorMessage: status === "COMPLETED" ? undefined : stop.message,
      });
    } catch (err) {
      this.errors.push(`finish_etl_execution: ${describeError(err)}`);
    }
  }

  /** The run's main loop; returns why it stopped. */
  private async work(): Promise<StopRun> {
    const o = this.options;
    if (o.clearCheckpoint) await this.clearCheckpoints();
    if (o.requeue || o.requeueFixtureIds) await this.requeue();
    await this.syncCatalog();
    while (true) {
      if (this.aborted) return new StopRun("cancelled", this.abortMessage());
      if (o.maxChunks !== undefined && this.counters.chunksClaimed >= o.maxChunks)
        return new StopRun("max_chunks", `claimed ${o.maxChunks} chunks`);
      if (o.maxFixtures !== undefined && this.counters.fixturesRequested >= o.maxFixtures) {
        return new StopRun("max_fixtures", `fetched ${o.maxFixtures} fixtures`);
      }
      if (!this.budget.fitsAnotherBatch()) return new StopRun("time_budget", "time budget reached");
      const limit = this.resources.check();
      if (limit) return new StopRun(limit.reason, limit.message);
      const claim = await this.deps.rpc.call("claim_chunk", {
        owner: `${o.owner}/${this.executionId}`,
        lease_seconds: o.leaseSeconds,
        league_id: o.leagueId,
        season_id: o.seasonId,
        min_fixtures: o.minFixtures,
        execution_id: this.executionId ?? undefined,
        exclude_chunk_ids: this.claimedIds,
      });
      if (!claim) return new StopRun("no_work", await this.whyNoWork());
      this.claimedIds.push(claim.chunk_id);
      this.counters.chunksClaimed++;
      const stop = await this.workChunk(claim);
      if (stop) return stop;
    }
  }

  private abortMessage(): string {
    const reason = this.deps.signal?.aborted ? this.deps.signal.reason : this.internalAbort.signal.reason;
    return reason ? describeError(reason) : "cancelled";
  }

  private async clearCheckpoints(): Promise<void> {
    const cleared = await this.deps.rpc.call("clear_chunk_checkpoints", {
      league_id: this.options.leagueId,
      season_id: this.options.seasonId,
      reason: `--clear-checkpoint by ${this.options.owner} (${this.executionId})`,
    });
    await this.logger.info("checkpoints cleared", cleared);
  }

  private async requeue(): Promise<void> {
    const o = this.options;
    const requeued = await this.deps.rpc.call("requeue_collection", {
      league_id: o.requeue ? o.leagueId : undefined,
      season_id: o.requeue ? o.seasonId : undefined,
      fixture_ids: o.requeueFixtureIds,
      reason: `requeued by ${o.owner} (${this.executionId})`,
    });
    await this.logger.info("requeued for collection", requeued);
  }

  /**
   * Leagues and seasons → chunks, every run, for a call or two: ids grow, so
   * only ids above the known ones are asked for; the whole catalog is read on
   * its cadence (flags such as is_current and finished change) or on request.
   * A failed read is logged and the run goes on with the chunks it has.
   */
  private async syncCatalog(): Promise<void> {
    this.progress("catalog", "checking leagues and seasons");
    try {
      const read = await this.readCatalog();
      if (!read.full && read.leagues.length === 0 && read.seasons.length === 0) return;
      const synced = await this.deps.rpc.call("sync_collection_catalog", {
        leagues: read.leagues,
        seasons: read.seasons,
        full_refresh: read.full,
        execution_id: this.executionId ?? undefined,
      });
      await this.logger.info(read.full ? "catalog read whole" : "new leagues or seasons", { ...synced, skipped: read.skipped });
    } catch (err) {
      this.rethrowIfRunStopping(err);
      const message = `catalog: ${describeError(err)}`;
      this.errors.push(message);
      await this.logger.warning("catalog read failed; collecting the chunks already known", { error: message });
    }
  }

  /**
   * The catalog reads of syncCatalog (a dry run makes the same reads and writes
   * nothing). New seasons bring a whole leagues read (one page), so every season
   * is synced with its league; a season whose league is not listed is skipped.
   */
  private async readCatalog(): Promise<{ full: boolean; leagues: League[]; seasons: Season[]; skipped: number[] }> {
    const cursor = await this.deps.rpc.call("get_catalog_cursor", {});
    const full = this.options.refreshCatalog || cursor.full_refresh_due;
    const seasons = await this.sportmonks
      .seasons({ populate: true, idAfter: full ? undefined : (cursor.season_id_after ?? undefined) })
      .toArray();
    const leagueIdAfter = full || seasons.length > 0 ? undefined : (cursor.league_id_after ?? undefined);
    const leagues = await this.sportmonks.leagues({ populate: true, idAfter: leagueIdAfter }).toArray();
    const listed = new Set(leagues.map((l) => l.id));
    return {
      full,
      leagues,
      seasons: seasons.filter((s) => listed.has(s.league_id)),
      skipped: seasons.filter((s) => !listed.has(s.league_id)).map((s) => s.id),
    };
  }

  /** "No chunk needs work", said with what the database holds back and until when. */
  private async whyNoWork(): Promise<string> {
    const o = this.options;
    try {
      const queue = await this.deps.rpc.call("list_chunk_queue", {
        league_id: o.leagueId,
        season_id: o.seasonId,
        min_fixtures: o.minFixtures,
        max_rows: 10000,
      });
      return describeQueue(queue.filter((q) => !this.claimedIds.includes(q.chunk_id)));
    } catch {
      return "no chunk needs work";
    }
  }

  /** Errors that end the run rather than a chunk or a batch. */
  private rethrowIfRunStopping(err: unknown): void {
    // A spurious 429 (budget left) that outlasted the retries fails its batch like a 5xx; the run goes on.
    if (err instanceof SportmonksRateLimited && !err.transient) {
      throw new StopRun("rate_limited", `${err.message}${err.resetsAt ? ` (resets at ${err.resetsAt.toISOString()})` : ""}`);
    }
    // A bad key or an include the plan refuses fails every call alike: stop once, saying what to change.
    if (err instanceof SportmonksAuthError || err instanceof SportmonksIncludeError) throw new StopRun("failed", err.message, true);
    if (!(err instanceof SportmonksError)) throw err;
  }

  /** Works one claimed chunk; returns a StopRun when the whole run must stop. */
  private async workChunk(claim: ClaimedChunk): Promise<StopRun | null> {
    const o = this.options;
    const log = this.logger.child({ chunkId: claim.chunk_id });
    const lease = { chunk_id: claim.chunk_id, lease_token: claim.lease_token };
    let leaseExpiresAt = this.now() + o.leaseSeconds * 1000;
    let after = claim.checkpoint.last_fixture_id;
    let pending = claim.fixtures_pending ?? 0;
    let done = 0;
    let queued: number[] = [];
    /** The last work query answered fewer ids than it asked for: once they are done, so is the chunk. */
    let lastPage = false;
    await log.info(claim.taken_over_from ? "chunk taken over after its lease expired; resuming from the checkpoint" : "chunk claimed", {
      priority: claim.priority,
      checkpoint: claim.checkpoint,
      previous_owner: claim.taken_over_from,
    });
    this.progress("claim", `claimed ${claim.chunk_id}`, { chunkId: claim.chunk_id });

    const release = async (outcome: "done" | "pending" | "failed" | "not_in_plan", error?: string) => {
      const released = await this.deps.rpc.call("release_chunk", {
        ...lease,
        outcome,
        error,
        execution_id: this.executionId ?? undefined,
      });
      if (outcome === "done") this.counters.chunksCompleted++;
      else if (outcome === "failed") this.counters.chunksFailed++;
      else if (outcome === "not_in_plan") this.counters.chunksNotInPlan++;
      else this.counters.chunksLeftPending++;
      await log.info(`chunk released ${outcome}`, released);
      this.progress("release", `${claim.chunk_id}: ${outcome}`, { chunkId: claim.chunk_id, chunkPending: pending, chunkDone: done });
    };

    try {
      if (claim.needs_discovery) {
        // The schedule streams from the API into pipe_schedule_response, which reads and registers it.
        let registered: Awaited<ReturnType<ScheduleResponseWriter>>;
        try {
          registered = await this.sportmonks.seasonSchedulePiped(claim.season_id, (body) => this.deps.writeScheduleResponse(lease, body));
          this.resources.recordDiscovery();
        } catch (err) {
          // An answer Postgres refused (WM001 names the field) fails the chunk like a malformed one; other database errors stop the run.
          if (!isWatermarkError(err, "invalid_parameter")) this.rethrowIfRunStopping(err);
          const message = `schedule of season ${claim.season_id}: ${describeError(err)}`;
          this.errors.push(`${claim.chunk_id}: ${message}`);
          if (err instanceof SportmonksPlanError) {
            await log.warning("season not covered by the plan; not tried again until the plan recheck", { error: message });
            await release("not_in_plan", message);
          } else {
            await log.error("discovery failed; chunk backs off", { error: message });
            await release("failed", message);
          }
          return null;
        }
        if (registered.rate_limit) await this.sportmonks.recordRateLimit(registered.rate_limit, { from: "schedule", saved: true });
        const { rate_limit: _rateLimit, ...discovered } = registered;
        this.counters.fixturesDiscovered += registered.registered;
        pending = registered.fixtures_pending ?? 0;
        await log.info("fixtures discovered", discovered);
        if ((registered.fixtures_total ?? 0) < claim.min_fixtures) {
          this.counters.chunksBelowMinFixtures++;
          await release("pending");
          return null;
        }
      }

      while (true) {
        if (this.aborted) {
          await release("pending");
          return new StopRun("cancelled", this.abortMessage());
        }
        const left = o.maxFixtures === undefined ? o.batchSize : o.maxFixtures - this.counters.fixturesRequested;
        if (left <= 0) {
          await release("pending");
          return new StopRun("max_fixtures", `fetched ${o.maxFixtures} fixtures`);
        }
        if (!this.budget.fitsAnotherBatch()) {
          await release("pending");
          return new StopRun("time_budget", "time budget reached; the next run resumes from the checkpoint");
        }
        const limit = this.resources.check();
        if (limit) {
          await release("pending");
          return new StopRun(limit.reason, limit.message);
        }
        // A batch's CPU is all of it: the work query, the pipe, the log line.
        this.resources.startBatch();
        // Work ids for several batches per query (the lease keeps the chunk ours): one call fewer per batch.
        if (queued.length === 0) {
          const maxRows = Math.min(o.batchSize * WORK_BATCHES_PER_QUERY, o.maxFixtures === undefined ? Number.POSITIVE_INFINITY : left);
          queued = await this.deps.rpc.call("list_chunk_work", { chunk_id: claim.chunk_id, after_fixture_id: after, max_rows: maxRows });
          lastPage = queued.length < maxRows;
        }
        const ids = queued.splice(0, Math.min(o.batchSize, left));
        if (ids.length === 0) {
          await release("done");
          return null;
        }
        if (leaseExpiresAt - this.now() < (o.leaseSeconds * 1000) / 2) {
          await this.deps.rpc.call("renew_chunk_lease", { ...lease, lease_seconds: o.leaseSeconds });
          leaseExpiresAt = this.now() + o.leaseSeconds * 1000;
        }
        const batchStarted = this.now();
        const lastId = ids[ids.length - 1] as number;
        const batch = { ids, chunkId: claim.chunk_id, lease, checkpoint: { last_fixture_id: lastId } };
        const result = await this.writeBatch(batch);
        this.budget.recordBatch(this.now() - batchStarted);
        after = lastId;
        done += ids.length;
        const c = this.counters;
        c.fixturesRequested += ids.length;
        c.fixturesInserted += result.inserted;
        c.fixturesUpdated += result.updated;
        c.fixturesUnchanged += result.unchanged;
        c.fixturesFailed += result.failed;
        c.rowsWritten += result.rows_written;
        await log.info("batch upserted", {
          fixtures: ids.length,
          first_fixture_id: ids[0],
          last_fixture_id: lastId,
          ...result,
          checkpoint: undefined,
          duration_ms: this.now() - batchStarted,
        });
        this.resources.endBatch();
        this.progress("batch", `${claim.chunk_id}: ${done} fixtures`, { chunkId: claim.chunk_id, chunkPending: pending, chunkDone: done });
        // The chunk's work ended with a short page: released now, without a query that would answer nothing.
        if (queued.length === 0 && lastPage) {
          await release("done");
          return null;
        }
      }
    } catch (err) {
      if (isWatermarkError(err, "lease_lost")) {
        // Someone else owns the chunk now; everything we wrote is consistent up to our last checkpoint.
        this.counters.chunksLeaseLost++;
        this.errors.push(`${claim.chunk_id}: ${describeError(err)}`);
        await log.warning("lease lost; leaving the chunk to its new owner", { error: describeError(err) });
        return null;
      }
      if (err instanceof SportmonksPlanError) {
        const message = `fixtures of season ${claim.season_id}: ${describeError(err)}`;
        this.errors.push(`${claim.chunk_id}: ${message}`);
        await log.warning("season not covered by the plan; not tried again until the plan recheck", { error: message });
        await release("not_in_plan", message);
        return null;
      }
      // Whatever stops the run, the chunk keeps its checkpoint and is claimable at once.
      await release("pending").catch((releaseErr: unknown) => {
        this.errors.push(`${claim.chunk_id}: release after error failed: ${describeError(releaseErr)}`);
      });
      if (err instanceof StopRun) return err;
      throw err;
    }
  }

  /**
   * One batch: fixtures/multi, its answer piped unread into pipe_fixture_response
   * with the checkpoint. A fetch that failed (retries exhausted) or an answer
   * Postgres rejected (WM001, nothing written) fails every id of the batch with
   * backoff and still moves the checkpoint; run-level errors throw StopRun.
   */
  private async writeBatch(batch: {
    ids: number[];
    chunkId: string;
    lease: { chunk_id: string; lease_token: string };
    checkpoint: { last_fixture_id: number };
  }) {
    const executionId = this.executionId ?? undefined;
    const args = { ...batch.lease, fixture_ids: batch.ids, checkpoint: batch.checkpoint, execution_id: executionId };
    // Piped, the answer streams from the API through this process into the database; relayed, the database
    // fetches it through pg_net. The client retries either way when an answer breaks off.
    // Tracked: piped, until the API answered (fetch_batch), then the streamed write (upsert_batch);
    // relayed, the database's fetch and write together (relay_batch).
    const metrics = this.options.trackPerformance ? this.metrics : undefined;
    const relay = this.deps.relayFixtureAnswer;
    const pipe = () => {
      if (relay) {
        // The database fetches and writes in one take: the timer covers both.
        const fetch = () => this.sportmonks.fixturesByIdsRelayed(batch.ids, { include: FIXTURE_INCLUDES }, relay(args));
        return metrics ? metrics.trackOperation("collector.relay_batch", fetch) : fetch();
      }
      const fetching = metrics?.startTimer("collector.fetch_batch");
      return this.sportmonks.fixturesByIdsPiped(batch.ids, { include: FIXTURE_INCLUDES }, async (body) => {
        await fetching?.stop({ status: "ok" }).catch(() => {});
        const write = () => this.deps.writeFixtureResponse(args, body);
        return metrics ? metrics.trackOperation("collector.upsert_batch", write) : write();
      });
    };
    let failure: string;
    try {
      const written = await pipe();
      if (written.rate_limit) {
        // pipe_fixture_response saved it with the batch: the limiter only takes it in.
        await this.sportmonks.recordRateLimit(written.rate_limit, { saved: true });
        this.meter.noteRemaining(written.rate_limit.requested_entity, written.rate_limit.remaining);
      }
      return written;
    } catch (err) {
      if (isWatermarkError(err, "invalid_parameter")) {
        failure = `fixtures/multi answer rejected: ${describeError(err)}`;
        await this.logger.warning("batch answer rejected by the database; its fixtures back off", {
          chunk_id: batch.chunkId,
          fixtures: batch.ids.length,
          error: failure,
        });
      } else {
        this.rethrowIfRunStopping(err);
        // The season is outside the plan: workChunk sets the chunk aside rather than backing off each fixture.
        if (err instanceof SportmonksPlanError) throw err;
        failure = `fixtures/multi: ${describeError(err)}`;
        await this.logger.warning("batch fetch failed; its fixtures back off", {
          chunk_id: batch.chunkId,
          fixtures: batch.ids.length,
          error: failure,
        });
      }
    }
    this.errors.push(`${batch.chunkId}: ${failure}`);
    return this.deps.rpc.call("upsert_fixture_batch", {
      ...batch.lease,
      fixtures: [],
      checkpoint: batch.checkpoint,
      execution_id: executionId,
      failures: batch.ids.map((id) => ({ fixture_id: id, error: failure })),
    });
  }

  // ------------------------------------------------------------------ dry run

  /**
   * Reads only: no execution, no lease, no rows, rate limits kept in memory.
   * The plan is the database's own claim queue (list_chunk_queue: the same
   * chunk_blocker claim_chunk applies, with the live settings), preceded by
   * the chunks the catalog read would create; it stops where the real run
   * would: cancel, max chunks, max fixtures and the time budget.
   */
  async dryRun(): Promise<CollectResult> {
    const o = this.options;
    this.logger = new EtlLogger({ sink: null, context: { component: "collector" }, console: this.deps.console });
    this.sportmonks = this.buildClient(new InMemoryRateLimitStore());
    const plan: DryRunChunk[] = [];
    let stop: StopRun;
    try {
      const settings = await this.deps.rpc.call("get_collection_settings", {});
      await this.logger.info("dry run: reads only, nothing is written", { options: o, settings });
      stop = await this.planChunks(plan, o.minFixtures ?? settings.min_fixtures);
    } catch (caught) {
      stop = caught instanceof StopRun ? caught : new StopRun("failed", describeError(caught), true);
      if (stop.fatal) this.errors.push(stop.message);
    }
    const status: CollectResult["status"] = stop.fatal ? "FAILED" : stop.reason === "cancelled" ? "CANCELLED" : "COMPLETED";
    const durationMs = this.now() - this.started;
    this.progress("done", `dry run ${status.toLowerCase()}`);
    return { ...this.result(status, stop, durationMs), plan };
  }

  private async planChunks(plan: DryRunChunk[], minFixtures: number): Promise<StopRun> {
    const o = this.options;
    const queue = await this.deps.rpc.call("list_chunk_queue", {
      league_id: o.leagueId,
      season_id: o.seasonId,
      min_fixtures: o.minFixtures,
      max_rows: 10000,
    });
    const known = new Set(queue.map((q) => q.season_id));
    const catalog = await this.readCatalog();
    // New chunks have no priority yet, and claim_chunk takes those first.
    const candidates = [
      ...catalog.seasons
        .filter(
          (s) =>
            !known.has(s.id) &&
            (o.leagueId === undefined || s.league_id === o.leagueId) &&
            (o.seasonId === undefined || s.id === o.seasonId),
        )
        .map((s) => ({ chunkId: `${s.league_id}_${s.id}`, seasonId: s.id, due: 0, total: 0, discover: true })),
      ...queue
        .filter((q) => q.claimable)
        .map((q) => ({
          chunkId: q.chunk_id,
          seasonId: q.season_id,
          due: q.fixtures_due,
          total: q.fixtures_total ?? 0,
          discover: q.needs_discovery,
        })),
    ];
    const blocked = queue.filter((q) => !q.claimable);
    if (blocked.length > 0) await this.logger.info(`dry run: ${describeQueue(blocked)}`);
    for (const chunk of candidates) {
      // The same stops, in the same order, as work().
      if (this.aborted) return new StopRun("cancelled", this.abortMessage());
      if (o.maxChunks !== undefined && this.counters.chunksClaimed >= o.maxChunks) {
        return new StopRun("max_chunks", `would claim ${o.maxChunks} chunks`);
      }
      if (o.maxFixtures !== undefined && this.counters.fixturesRequested >= o.maxFixtures) {
        return new StopRun("max_fixtures", `would fetch ${o.maxFixtures} fixtures`);
      }
      if (!this.budget.fitsAnotherBatch()) return new StopRun("time_budget", "time budget reached; the plan is partial");
      this.counters.chunksClaimed++;
      let newFixtures = 0;
      if (chunk.discover) {
        const started = this.now();
        let scheduled: number;
        try {
          const preview = await this.sportmonks.seasonSchedulePiped(chunk.seasonId, (body) => this.deps.previewSchedule(body));
          if (preview.rate_limit) await this.sportmonks.recordRateLimit(preview.rate_limit, { from: "schedule" });
          scheduled = preview.fixtures;
        } catch (err) {
          if (!isWatermarkError(err, "invalid_parameter")) this.rethrowIfRunStopping(err);
          const message = `schedule of season ${chunk.seasonId}: ${describeError(err)}`;
          this.errors.push(`${chunk.chunkId}: ${message}`);
          if (err instanceof SportmonksPlanError) this.counters.chunksNotInPlan++;
          else this.counters.chunksFailed++;
          await this.logger.warning("dry run: discovery failed; the real run would set the chunk aside", {
            chunk_id: chunk.chunkId,
            error: message,
          });
          continue;
        }
        this.budget.recordBatch(this.now() - started);
        newFixtures = Math.max(0, scheduled - chunk.total);
        this.counters.fixturesDiscovered += newFixtures;
        // As in workChunk(): a season found smaller than the claim's threshold is released.
        if (scheduled < minFixtures) {
          this.counters.chunksBelowMinFixtures++;
          continue;
        }
      }
      const work = chunk.due + newFixtures;
      if (work === 0) continue;
      const entry = { chunkId: chunk.chunkId, pendingFixtures: chunk.due, newFixtures, multiCalls: Math.ceil(work / o.batchSize) };
      plan.push(entry);
      this.counters.fixturesRequested += work;
      await this.logger.info("dry run: would collect chunk", { ...entry });
      this.progress("claim", `would collect ${chunk.chunkId}: ${work} fixtures`, { chunkId: chunk.chunkId });
    }
    return new StopRun("no_work", "dry run planned");
  }

  private result(status: CollectResult["status"], stop: StopRun, durationMs: number): CollectResult {
    const workLeft = ["max_chunks", "max_fixtures", "time_budget", "rate_limited", "cpu_budget", "memory_budget", "cancelled"].includes(
      stop.reason,
    );
    return {
      executionId: this.executionId,
      status,
      stopReason: stop.reason,
      stopMessage: stop.message,
      workLeft,
      dryRun: this.options.dryRun,
      durationMs,
      counters: { ...this.counters },
      api: structuredClone(this.meter.usage),
      errors: [...this.errors],
      resources: this.resources.use(),
      fixtureAnswers: this.fixtureAnswers,
      ...(this.metrics && this.options.trackPerformance ? { performance: this.metrics.snapshot() } : {}),
    };
  }
}
