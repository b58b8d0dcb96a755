// POST /functions/v1/collect: pg_cron (trigger credential) or a service-role
// caller starts a monitored, time-boxed collection. Answers 202 with the
// execution id as soon as the execution is recorded, then keeps collecting
// within the function's wall clock.
import { type CollectorDeps, type CollectResult, collect, createCollectorDeps } from "@watermark/core/collector";
import type { EnvSource } from "@watermark/core/config";
import { isWatermarkError } from "@watermark/core/errors";
import type { ExecutionTrigger } from "@watermark/core/rpc";
import { runInBackground, shutdownSignal } from "../_shared/background.ts";
import { envReader, platformEnv } from "../_shared/env.ts";
import { type FetchHandler, HttpError, jsonResponse, withErrorHandling } from "../_shared/http.ts";
import { readJsonBody, requireMethod } from "../_shared/request.ts";
import { type Caller, type TriggerAuthenticator, triggerAuthenticator } from "../_shared/trigger-auth.ts";
import {
  type CollectBody,
  type CollectEnv,
  collectBodySchema,
  collectEnvSchema,
  FUNCTION_CPU_BUDGET_MS,
  FUNCTION_MEMORY_BUDGET_MB,
} from "./options.ts";

export interface CollectHandlerOptions {
  /** Where the environment comes from (default: Deno.env / process.env). */
  env?: () => EnvSource;
  /** Replaces the collector's dependencies (tests). */
  deps?: (env: CollectEnv, caller: Caller) => CollectorDeps;
  /** Gets each run's outcome once it ends (tests, logs). */
  onFinished?: (result: CollectResult) => void;
}

/**
 * Sent by watermark.invoke_function() with the trigger it recorded in
 * function_invocations: `schedule` for a pg_cron job, `backlog` for a run the
 * backlog dispatcher chained, `manual` for request_function_invocation(). All
 * travel with pg_cron's credential, so the credential cannot tell them apart.
 */
export const INVOCATION_TRIGGER_HEADER = "x-watermark-invocation-trigger";

/**
 * One rule for the execution's trigger: for a trigger-credential call, what the
 * invocation record says (the header above; without it, pg_cron's credential
 * means `schedule`); `api` for any other caller.
 */
function describeCaller(caller: Caller, request: Request): { trigger: ExecutionTrigger; correlationId?: string } {
  if (caller.kind !== "trigger") return { trigger: "api" };
  const recorded = request.headers.get(INVOCATION_TRIGGER_HEADER);
  const fallback = caller.credential === "pg_cron" ? "schedule" : "api";
  return {
    trigger: recorded === "schedule" || recorded === "backlog" || recorded === "manual" ? recorded : fallback,
    correlationId: caller.invocationId ? `invocation:${caller.invocationId}` : undefined,
  };
}

export function createCollectHandler(options: CollectHandlerOptions = {}): { fetch: FetchHandler } {
  const readEnvOnce = envReader(collectEnvSchema, options.env ?? platformEnv);
  // Built once per instance, on the first request (after the environment is read).
  let authenticate: TriggerAuthenticator | undefined;
  let bodySchema: ReturnType<typeof collectBodySchema> | undefined;
  const shutdown = shutdownSignal();

  const handle = async (request: Request): Promise<Response> => {
    requireMethod(request, "POST");
    const env = readEnvOnce();
    authenticate ??= triggerAuthenticator({ supabaseUrl: env.SUPABASE_URL, serviceRoleKey: env.SUPABASE_SERVICE_ROLE_KEY });
    const caller = await authenticate(request);
    bodySchema ??= collectBodySchema(env.WATERMARK_FUNCTION_WALL_CLOCK_SECONDS);
    const body: CollectBody = await readJsonBody(request, bodySchema);
    const { trigger, correlationId } = describeCaller(caller, request);

    const deps =
      options.deps?.(env, caller) ??
      createCollectorDeps({
        supabaseUrl: env.SUPABASE_URL,
        serviceRoleKey: env.SUPABASE_SERVICE_ROLE_KEY,
        sportmonksApiKey: env.SPORTMONKS_API_KEY,
        sportmonksBaseUrl: env.SPORTMONKS_BASE_URL,
        fixtureAnswers: env.WATERMARK_FIXTURE_ANSWERS,
        trigger,
        console: { level: "WARNING" },
        signal: shutdown,
      });
    let executionStarted!: (executionId: string) => void;
    const started = new Promise<string>((resolve) => {
      executionStarted = resolve;
    });
    const onStarted = (executionId: string) => {
      executionStarted(executionId);
      deps.onStarted?.(executionId);
    };
    const run = collect(
      { ...deps, onStarted },
      {
        timeBudgetMs: body.time_budget_seconds * 1000,
        cpuBudgetMs: FUNCTION_CPU_BUDGET_MS,
        memoryBudgetMb: FUNCTION_MEMORY_BUDGET_MB,
        leagueId: body.league_id,
        seasonId: body.season_id,
        maxChunks: body.max_chunks,
        maxFixtures: body.max_fixtures,
        batchSize: body.batch_size,
        minFixtures: body.min_fixtures,
        dryRun: body.dry_run,
        trigger,
        correlationId,
        owner: `collect-function:${crypto.randomUUID().slice(0, 8)}`,
      },
    );
    runInBackground(
      "collect",
      run.then((result) => {
        options.onFinished?.(result);
        console.log(
          JSON.stringify({
            event: "collect finished",
            execution_id: result.executionId,
            status: result.status,
            stop: result.stopReason,
            resources: result.resources,
          }),
        );
      }),
    );

    let executionId: string | null;
    try {
      // A dry run records no execution: answer at once. Otherwise answer once the
      // execution exists, or with the error if it could not be started.
      executionId = body.dry_run ? null : await Promise.race([started, run.then((result) => result.executionId)]);
    } catch (err) {
      if (isWatermarkError(err, "invalid_parameter")) throw new HttpError("invalid_body", err.message, { cause: err });
      console.error("collect: the execution could not be started", err);
      throw new HttpError("upstream_unavailable", "the collection could not be started (database unreachable?); try again later", {
        cause: err,
      });
    }
    return jsonResponse({ execution_id: executionId, dry_run: body.dry_run, time_budget_seconds: body.time_budget_seconds, trigger }, 202);
  };
  return { fetch: withErrorHandling("collect", handle) };
}
