// The collection engine: one monitored, time-boxed run over chunk leases.
//
//   start execution → fixtures/latest marks changes → claim chunk (lease)
//   → discover (season schedule) → fixtures needing work after the checkpoint
//   → fixtures/multi (≤ 50 ids, includes) → upsert batch + checkpoint (one RPC)
//   → … → release lease → next chunk … → finish execution with the counters.
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
import type { SportmonksClient } from "../sportmonks/client.ts";
import { SportmonksAuthError, SportmonksError, SportmonksIncludeError, SportmonksRateLimited } from "../sportmonks/errors.ts";
import { InMemoryRateLimitStore, type RateLimitStore } from "../sportmonks/rate-limit.ts";
import { FIXTURE_INCLUDES, type Fixture, scheduleFixtures } from "../sportmonks/schemas.ts";
import { type CollectOptions, DATABASE_DEFAULT_MIN_FIXTURES, type ResolvedCollectOptions, resolveCollectOptions } from "./options.ts";
import { splitBatch, TimeBudget, toScheduleRow } from "./plan.ts";
import { DbRateLimitStore } from "./rate-limit-store.ts";
import { ApiUsageMeter, type CollectCounters, type CollectResult, type DryRunChunk, emptyCounters, type StopReason } from "./result.ts";
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
  phase: "catalog" | "latest" | "claim" | "batch" | "release" | "done";
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
  private readonly meter = new ApiUsageMeter();
  private readonly counters = emptyCounters();
  private readonly errors: string[] = [];
  private readonly internalAbort = new AbortController();
  private readonly claimedIds: string[] = [];
  private sportmonks!: SportmonksClient;
  private logger!: EtlLogger;
  private metrics: PerformanceTracker | undefined;
  private executionId: string | null = null;

  constructor(
    private readonly deps: CollectorDeps,
    private readonly options: ResolvedCollectOptions,
  ) {
    this.now = deps.now ?? Date.now;
    this.started = this.now();
    this.budget = new TimeBudget(this.now, options.timeBudgetMs);
  }

  private get aborted(): boolean {
    return Boolean(this.deps.signal?.aborted || this.internalAbort.signal.aborted);
  }

  private buildClient(store: RateLimitStore): SportmonksClient {
    return this.deps.sportmonks({
      onRequest: this.meter.onRequest,
      onWait: this.meter.onWait,
      rateLimitStore: store,
      // Waiting past the budget is pointless: the run stops and the next one starts after the reset.
      maxRateLimitWaitMs: Math.max(0, Math.min(60_000, Math.floor(this.options.timeBudgetMs / 4))),
    });
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
    this.sportmonks = this.buildClient(new DbRateLimitStore(rpc));

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
      await this.logger.info(`collection ${status.toLowerCase()}`, {
        stop_reason: stop.reason,
        message: stop.message,
        counters: { ...c },
        api: { ...this.meter.usage },
      });
      const metrics = this.metrics;
      if (metrics) {
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
    await this.ensureCatalog();
    if (o.checkLatest) await this.markLatest();
    while (true) {
      if (this.aborted) return new StopRun("cancelled", this.abortMessage());
      if (o.maxChunks !== undefined && this.counters.chunksClaimed >= o.maxChunks)
        return new StopRun("max_chunks", `claimed ${o.maxChunks} chunks`);
      if (o.maxFixtures !== undefined && this.counters.fixturesRequested >= o.maxFixtures) {
        return new StopRun("max_fixtures", `fetched ${o.maxFixtures} fixtures`);
      }
      if (!this.budget.fitsAnotherBatch()) return new StopRun("time_budget", "time budget reached");
      const claim = await this.deps.rpc.call("claim_chunk", {
        owner: `${o.owner}/${this.executionId}`,
        lease_seconds: o.leaseSeconds,
        league_id: o.leagueId,
        season_id: o.seasonId,
        min_fixtures: o.minFixtures,
        execution_id: this.executionId ?? undefined,
        exclude_chunk_ids: this.claimedIds,
      });
      if (!claim) return new StopRun("no_work", "no chunk needs work");
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

  /** Leagues and seasons → chunks, when none match the filters yet (or on request). */
  private async ensureCatalog(): Promise<void> {
    const o = this.options;
    if (!o.refreshCatalog) {
      const existing = await this.deps.rpc.call("list_chunks", { league_id: o.leagueId, season_id: o.seasonId, max_rows: 1 });
      if (existing.length > 0) return;
    }
    this.progress("catalog", "discovering leagues and seasons");
    const { leagues, seasons } = await this.fetchCatalog();
    const synced = await this.deps.rpc.call("sync_collection_catalog", { leagues, seasons });
    await this.logger.info("catalog synced", synced);
  }

  private async fetchCatalog() {
    const o = this.options;
    const leagues = (await this.sportmonks.leagues().toArray()).filter((l) => o.leagueId === undefined || l.id === o.leagueId);
    const seasons = (await this.sportmonks.seasons(o.leagueId === undefined ? {} : { leagueId: o.leagueId }).toArray()).filter(
      (s) => (o.seasonId === undefined || s.id === o.seasonId) && leagues.some((l) => l.id === s.league_id),
    );
    return { leagues, seasons };
  }

  /** fixtures/latest: what changed recently needs collecting again. A failure here is not fatal. */
  private async markLatest(): Promise<void> {
    this.progress("latest", "checking fixtures/latest");
    let latest: Fixture[];
    try {
      latest = await this.sportmonks.latestFixtures();
    } catch (err) {
      this.rethrowIfRunStopping(err);
      await this.logger.warning("fixtures/latest failed; changes are picked up by the needs-work rules instead", {
        error: describeError(err),
      });
      return;
    }
    if (latest.length === 0) return;
    const marked = await this.deps.rpc.call("mark_fixtures_changed", {
      fixtures: latest.map((f) => ({ id: f.id, state_id: f.state_id })),
    });
    this.counters.fixturesMarkedChanged += marked.marked;
    await this.logger.info("fixtures/latest marked changed fixtures", marked);
  }

  /** Errors that end the run rather than a chunk or a batch. */
  private rethrowIfRunStopping(err: unknown): void {
    if (err instanceof SportmonksRateLimited) {
      throw new StopRun("rate_limited", `${err.message}${err.resetsAt ? ` (resets at ${err.resetsAt.toISOString()})` : ""}`);
    }
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
    await log.info(claim.taken_over_from ? "chunk taken over after its lease expired; resuming from the checkpoint" : "chunk claimed", {
      priority: claim.priority,
      checkpoint: claim.checkpoint,
      previous_owner: claim.taken_over_from,
    });
    this.progress("claim", `claimed ${claim.chunk_id}`, { chunkId: claim.chunk_id });

    const release = async (outcome: "done" | "pending" | "failed", error?: string) => {
      const released = await this.deps.rpc.call("release_chunk", {
        ...lease,
        outcome,
        error,
        execution_id: this.executionId ?? undefined,
      });
      if (outcome === "done") this.counters.chunksCompleted++;
      else if (outcome === "failed") this.counters.chunksFailed++;
      else this.counters.chunksLeftPending++;
      await log.info(`chunk released ${outcome}`, released);
      this.progress("release", `${claim.chunk_id}: ${outcome}`, { chunkId: claim.chunk_id, chunkPending: pending, chunkDone: done });
    };

    try {
      if (claim.needs_discovery) {
        let fixtures: ReturnType<typeof scheduleFixtures>;
        try {
          fixtures = scheduleFixtures(await this.sportmonks.seasonSchedule(claim.season_id));
        } catch (err) {
          this.rethrowIfRunStopping(err);
          const message = `schedule of season ${claim.season_id}: ${describeError(err)}`;
          this.errors.push(`${claim.chunk_id}: ${message}`);
          await log.error("discovery failed; chunk backs off", { error: message });
          await release("failed", message);
          return null;
        }
        const registered = await this.deps.rpc.call("register_chunk_fixtures", { ...lease, fixtures: fixtures.map(toScheduleRow) });
        this.counters.fixturesDiscovered += registered.registered;
        pending = registered.fixtures_pending ?? 0;
        await log.info("fixtures discovered", registered);
        const threshold = o.minFixtures;
        if (threshold !== undefined && (registered.fixtures_total ?? 0) < threshold) {
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
        const ids = await this.deps.rpc.call("list_chunk_work", {
          chunk_id: claim.chunk_id,
          after_fixture_id: after,
          max_rows: Math.min(o.batchSize, left),
        });
        if (ids.length === 0) {
          await release("done");
          return null;
        }
        if (leaseExpiresAt - this.now() < (o.leaseSeconds * 1000) / 2) {
          await this.deps.rpc.call("renew_chunk_lease", { ...lease, lease_seconds: o.leaseSeconds });
          leaseExpiresAt = this.now() + o.leaseSeconds * 1000;
        }
        const batchStarted = this.now();
        const fetched = await this.fetchBatch(ids, claim.chunk_id);
        const split = fetched.ok ? splitBatch(ids, fetched.fixtures, claim.season_id) : { rows: [], failures: fetched.failures };
        const lastId = ids[ids.length - 1] as number;
        const upsert = () =>
          this.deps.rpc.call("upsert_fixture_batch", {
            ...lease,
            fixtures: split.rows,
            checkpoint: { last_fixture_id: lastId },
            execution_id: this.executionId ?? undefined,
            failures: split.failures,
          });
        const result =
          o.trackPerformance && this.metrics ? await this.metrics.trackOperation("collector.upsert_batch", upsert) : await upsert();
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
        this.progress("batch", `${claim.chunk_id}: ${done} fixtures`, { chunkId: claim.chunk_id, chunkPending: pending, chunkDone: done });
      }
    } catch (err) {
      if (isWatermarkError(err, "lease_lost")) {
        // Someone else owns the chunk now; everything we wrote is consistent up to our last checkpoint.
        this.counters.chunksLeaseLost++;
        this.errors.push(`${claim.chunk_id}: ${describeError(err)}`);
        await log.warning("lease lost; leaving the chunk to its new owner", { error: describeError(err) });
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

  /** fixtures/multi for one batch. Retries exhausted → every id fails with backoff; run-level errors throw StopRun. */
  private async fetchBatch(
    ids: number[],
    chunkId: string,
  ): Promise<{ ok: true; fixtures: Fixture[] } | { ok: false; failures: { fixture_id: number; error: string }[] }> {
    const fetch = () => this.sportmonks.fixturesByIds(ids, { include: FIXTURE_INCLUDES });
    try {
      const fixtures =
        this.options.trackPerformance && this.metrics ? await this.metrics.trackOperation("collector.fetch_batch", fetch) : await fetch();
      return { ok: true, fixtures };
    } catch (err) {
      this.rethrowIfRunStopping(err);
      const message = `fixtures/multi: ${describeError(err)}`;
      this.errors.push(`${chunkId}: ${message}`);
      await this.logger.warning("batch fetch failed; its fixtures back off", { chunk_id: chunkId, fixtures: ids.length, error: message });
      return { ok: false, failures: ids.map((id) => ({ fixture_id: id, error: message })) };
    }
  }

  // ------------------------------------------------------------------ dry run

  /**
   * Reads only: no execution, no lease, no rows, rate limits kept in memory.
   * Walks the chunks the way the real run claims them and stops where it would:
   * cancel, max chunks (every chunk claim_chunk would hand out counts, including
   * one released below min_fixtures after discovery), and the time budget.
   */
  async dryRun(): Promise<CollectResult> {
    const o = this.options;
    this.logger = new EtlLogger({ sink: null, context: { component: "collector" }, console: this.deps.console });
    this.sportmonks = this.buildClient(new InMemoryRateLimitStore());
    const plan: DryRunChunk[] = [];
    let stop: StopRun;
    try {
      await this.logger.info("dry run: reads only, nothing is written", { options: o });
      stop = await this.planChunks(plan);
    } catch (caught) {
      stop = caught instanceof StopRun ? caught : new StopRun("failed", describeError(caught), true);
      if (stop.fatal) this.errors.push(stop.message);
    }
    const status: CollectResult["status"] = stop.fatal ? "FAILED" : stop.reason === "cancelled" ? "CANCELLED" : "COMPLETED";
    const durationMs = this.now() - this.started;
    this.progress("done", `dry run ${status.toLowerCase()}`);
    return { ...this.result(status, stop, durationMs), plan };
  }

  private async planChunks(plan: DryRunChunk[]): Promise<StopRun> {
    const o = this.options;
    const chunks = await this.listAllChunks();
    if (chunks.length === 0) {
      const { seasons } = await this.fetchCatalog();
      for (const season of seasons) {
        chunks.push({ chunkId: `${season.league_id}_${season.id}`, seasonId: season.id, pending: 0, discovered: false, total: null });
      }
    }
    // claim_chunk's threshold for chunks whose size is known. No RPC exposes the
    // live collection_settings row, so without --min-fixtures this is the
    // migration's default (a test keeps the two equal).
    const claimThreshold = o.minFixtures ?? DATABASE_DEFAULT_MIN_FIXTURES;
    for (const chunk of chunks) {
      // The same stops, in the same order, as work().
      if (this.aborted) return new StopRun("cancelled", this.abortMessage());
      if (o.maxChunks !== undefined && this.counters.chunksClaimed >= o.maxChunks) {
        return new StopRun("max_chunks", `would claim ${o.maxChunks} chunks`);
      }
      if (o.maxFixtures !== undefined && this.counters.fixturesRequested >= o.maxFixtures) {
        return new StopRun("max_fixtures", `would fetch ${o.maxFixtures} fixtures`);
      }
      if (!this.budget.fitsAnotherBatch()) return new StopRun("time_budget", "time budget reached; the plan is partial");
      // Chunks claim_chunk passes over cost nothing and count for nothing.
      if (chunk.discovered && ((chunk.total !== null && chunk.total < claimThreshold) || chunk.pending === 0)) continue;
      this.counters.chunksClaimed++;
      let newFixtures = 0;
      if (!chunk.discovered) {
        const started = this.now();
        let fixtures: ReturnType<typeof scheduleFixtures>;
        try {
          fixtures = scheduleFixtures(await this.sportmonks.seasonSchedule(chunk.seasonId));
        } catch (err) {
          this.rethrowIfRunStopping(err);
          const message = `schedule of season ${chunk.seasonId}: ${describeError(err)}`;
          this.errors.push(`${chunk.chunkId}: ${message}`);
          this.counters.chunksFailed++;
          await this.logger.warning("dry run: discovery failed; the real run would back the chunk off", {
            chunk_id: chunk.chunkId,
            error: message,
          });
          continue;
        }
        this.budget.recordBatch(this.now() - started);
        newFixtures = fixtures.length;
        this.counters.fixturesDiscovered += newFixtures;
        // As in workChunk(): after discovery only an explicit minFixtures releases the chunk.
        if (o.minFixtures !== undefined && newFixtures < o.minFixtures) {
          this.counters.chunksBelowMinFixtures++;
          continue;
        }
      }
      const work = chunk.pending + newFixtures;
      if (work === 0) continue;
      const entry = { chunkId: chunk.chunkId, pendingFixtures: chunk.pending, newFixtures, multiCalls: Math.ceil(work / o.batchSize) };
      plan.push(entry);
      this.counters.fixturesRequested += work;
      await this.logger.info("dry run: would collect chunk", { ...entry });
      this.progress("claim", `would collect ${chunk.chunkId}: ${work} fixtures`, { chunkId: chunk.chunkId });
    }
    return new StopRun("no_work", "dry run planned");
  }

  private async listAllChunks() {
    const o = this.options;
    const out: { chunkId: string; seasonId: number; pending: number; discovered: boolean; total: number | null }[] = [];
    let after: string | undefined;
    while (true) {
      const page = await this.deps.rpc.call("list_chunks", {
        league_id: o.leagueId,
        season_id: o.seasonId,
        max_rows: 1000,
        after_chunk_id: after,
      });
      for (const c of page) {
        out.push({
          chunkId: c.chunk_id,
          seasonId: c.season_id,
          pending: c.fixtures_pending,
          discovered: c.discovered_at !== null,
          total: c.fixtures_total,
        });
      }
      if (page.length < 1000) break;
      after = page[page.length - 1]?.chunk_id;
    }
    return out;
  }

  private result(status: CollectResult["status"], stop: StopRun, durationMs: number): CollectResult {
    const workLeft = ["max_chunks", "max_fixtures", "time_budget", "rate_limited", "cancelled"].includes(stop.reason);
    return {
      executionId: this.executionId,
      status,
      stopReason: stop.reason,
      workLeft,
      dryRun: this.options.dryRun,
      durationMs,
      counters: { ...this.counters },
      api: structuredClone(this.meter.usage),
      errors: [...this.errors],
      ...(this.metrics && this.options.trackPerformance ? { performance: this.metrics.snapshot() } : {}),
    };
  }
}
