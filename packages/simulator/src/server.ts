// The HTTP front: authentication, faults, per-entity rate limits, the response
// envelope, plus the test-only control endpoints under /__ (never under /v3).

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Catalog } from "./catalog.ts";
import { MINUTE, SimClock } from "./clock.ts";
import { buildDataset, type Dataset } from "./dataset.ts";
import { type FaultConfig, FaultInjector, type FaultKind, type FaultSettings } from "./faults.ts";
import { FIXTURE_INCLUDES, type RenderContext, renderFixture } from "./fixture-view.ts";
import { resolveOptions, type SimulatorOptions } from "./options.ts";
import { RateLimiter, type RateLimitState } from "./rate-limiter.ts";
import { NO_RESULTS_MESSAGE } from "./request-options.ts";
import { buildRoutes, type Route, type RouteResult } from "./routes.ts";
import { bump, emptyStats, type SimulatorStats, type StatsCounters } from "./stats.ts";

const API_PREFIX = "/v3/football/";
const ALL_FIXTURE_INCLUDES: ReadonlySet<string> = new Set(FIXTURE_INCLUDES);
const SPURIOUS_RETRY_AFTER_SECONDS = 1;
const MAX_CONTROL_BODY = 64 * 1024;

export interface Truth {
  /** Simulated now as served (on the real clock with `realClockStamps`), ISO 8601. */
  now: string;
  /** Every league shown now (in the plan or not) as `leagues?include=seasons` returns it, by id. */
  leagues: Record<string, unknown>[];
  /** Every season shown now (in the plan or not) as `seasons` returns it, by id. */
  seasons: Record<string, unknown>[];
  /** Ids of the leagues listed but outside the plan (their schedules and fixtures answer 5007). */
  leaguesOutsidePlan: number[];
  /** Every fixture of the plan shown now, as `fixtures/{id}?include=<all>` returns it, by id. */
  fixtures: Record<string, unknown>[];
  /** Every two-legged tie of the plan shown now, as the schedule has it (legs, result, winner), by id. */
  aggregates: Record<string, unknown>[];
}

export interface Simulator {
  /** http://127.0.0.1:<port> */
  url: string;
  /** The value for SPORTMONKS_BASE_URL: `${url}/v3/football`. */
  baseUrl: string;
  port: number;
  apiKey: string;
  dataset: Dataset;
  /** Simulated (world) epoch ms, never mapped by `realClockStamps`: the instant `advanceTime` moves. */
  now(): number;
  truth(): Truth;
  stats(): SimulatorStats;
  setFaults(settings: FaultSettings): FaultConfig;
  /** Moves simulated time forward by `ms` simulated milliseconds. */
  advanceTime(ms: number): number;
  /** Stops simulated time for good (world epoch ms it stopped at); the API's answers stop changing. */
  freeze(): number;
  close(): Promise<void>;
}

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export async function startSimulator(input: SimulatorOptions = {}): Promise<Simulator> {
  const options = resolveOptions(input);
  const dataset = buildDataset({
    seed: options.seed,
    leagues: options.leagues,
    seasonsPerLeague: options.seasonsPerLeague,
    teamsPerLeague: options.teamsPerLeague,
    cups: options.cups,
    leaguesOutsidePlan: options.leaguesOutsidePlan,
    anchorMs: options.nowMs,
    nextSeasonAtMs: options.nextSeasonAtMs,
    newLeagueAtMs: options.newLeagueAtMs,
    incidents: { postponed: options.postponementRate, cancelled: options.cancellationRate, abandoned: options.abandonmentRate },
    correctionRate: options.correctionRate,
    correctionDelayMs: { min: options.correctionDelayMinutes.min * MINUTE, max: options.correctionDelayMinutes.max * MINUTE },
  });
  const clock = new SimClock(options.nowMs, options.timeScale, options.realClockStamps);
  const { stamps } = clock;
  const catalog = new Catalog(dataset, stamps);
  const routes = buildRoutes(catalog);
  const limiter = new RateLimiter(options.hourlyLimit);
  const faults = new FaultInjector(options.seed);
  if (options.faults) faults.update(options.faults);
  let stats: StatsCounters = emptyStats();
  const pending = new Set<NodeJS.Timeout>();

  /** The counters plus each entity's current rate-limit window. */
  const statsNow = (): SimulatorStats => {
    const rateLimits: SimulatorStats["rateLimits"] = {};
    for (const [entity, w] of limiter.openWindows(clock.now())) {
      rateLimits[entity] = {
        used: w.used,
        limit: options.hourlyLimit,
        remaining: w.remaining,
        resetsInSeconds: clock.toClientSeconds(w.resetsInMs),
      };
    }
    return { ...structuredClone(stats), rateLimits };
  };

  /** Renders at one instant; a league or season is rendered once per context, however many fixtures include it. */
  const renderContext = (nowMs: number): RenderContext => {
    const leagues = new Map<number, unknown>();
    const seasons = new Map<number, unknown>();
    const once = (cache: Map<number, unknown>, id: number, render: () => unknown) => {
      if (!cache.has(id)) cache.set(id, render());
      return structuredClone(cache.get(id));
    };
    return {
      nowMs,
      stamps,
      playerDetails: options.playerDetails,
      leagueOf: (id) =>
        once(leagues, id, () => {
          const league = catalog.leagueById(id, nowMs);
          return league ? catalog.renderLeague(league, nowMs) : null;
        }),
      seasonOf: (id) =>
        once(seasons, id, () => {
          const season = catalog.seasonById(id, nowMs);
          return season ? catalog.renderSeason(season, nowMs) : null;
        }),
    };
  };

  const truth = (): Truth => {
    const nowMs = clock.now();
    const ctx = renderContext(nowMs);
    const leagues = catalog.leagues(nowMs);
    return {
      now: stamps.iso(nowMs),
      leagues: leagues.map((l) => catalog.renderLeague(l, nowMs, new Set(["seasons"]))),
      seasons: catalog.seasons(nowMs).map((s) => catalog.renderSeason(s, nowMs)),
      leaguesOutsidePlan: leagues.filter((l) => !l.inPlan).map((l) => l.id),
      fixtures: catalog.fixtures(nowMs).map((f) => renderFixture(f, ALL_FIXTURE_INCLUDES, ctx)),
      aggregates: catalog.aggregates(nowMs).map((a) => catalog.renderAggregate(a, ctx, true)),
    };
  };

  const later = (ms: number, action: () => void) => {
    const timer = setTimeout(() => {
      pending.delete(timer);
      action();
    }, ms);
    pending.add(timer);
  };

  const json = (status: number, body: unknown, headers: Record<string, string> = {}): Reply => ({
    status,
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

  const envelopeMeta = (nowMs: number, entity: string, limit: RateLimitState) => ({
    subscription: [
      {
        meta: { trial_ends_at: null, ends_at: null, current_timestamp: stamps.epochSeconds(nowMs) },
        plans: [{ plan: "Simulator", sport: "Football", category: "Advanced" }],
        add_ons: [],
        widgets: [],
      },
    ],
    rate_limit: {
      resets_in_seconds: clock.toClientSeconds(limit.resetsInMs),
      remaining: limit.remaining,
      requested_entity: entity,
    },
    timezone: "UTC",
  });

  const toReply = (result: RouteResult, nowMs: number, route: Route, limit: RateLimitState): Reply => {
    const meta = envelopeMeta(nowMs, route.entity, limit);
    if (result.kind === "miss") return json(200, { message: NO_RESULTS_MESSAGE, ...meta });
    if (result.kind === "error") {
      return json(
        result.status,
        result.code === undefined ? { message: result.message, ...meta } : { message: result.message, code: result.code, ...meta },
      );
    }
    if (route.entity === "Fixture") {
      stats.fixturesServed += Array.isArray(result.data) ? result.data.length : 1;
    }
    return json(200, result.pagination ? { data: result.data, pagination: result.pagination, ...meta } : { data: result.data, ...meta });
  };

  const handleApi = (
    req: IncomingMessage,
    url: URL,
    origin: string,
  ): Reply | { fault: "timeout" } | { fault: "slow" | "truncated"; reply: Reply } => {
    stats.requests++;
    const path = url.pathname.slice(API_PREFIX.length).replace(/\/+$/, "");
    let route: Route | undefined;
    let params: string[] = [];
    for (const candidate of routes) {
      const match = candidate.pattern.exec(path);
      if (match) {
        route = candidate;
        params = match.slice(1).map(decodeURIComponent);
        break;
      }
    }
    if (!route) return json(404, { message: `The requested endpoint '${url.pathname}' does not exist.` });
    bump(stats.byEndpoint, route.endpoint);

    const header = req.headers.authorization?.trim();
    const token = header || url.searchParams.get("api_token");
    if (token !== options.apiKey) {
      stats.unauthorized++;
      return json(401, { message: "Unauthenticated." });
    }

    const nowMs = clock.now();
    const { kind: fault, detail } = faults.draw();
    if (fault) bump(stats.faults, fault);
    if (fault === "timeout") return { fault: "timeout" };
    if (fault === "server_error") {
      const status = [500, 502, 503][detail % 3] as number;
      if (status === 500) return json(500, { message: "Server Error" });
      return { status, headers: { "content-type": "text/html" }, body: `<html><body><h1>${status}</h1></body></html>` };
    }
    if (fault === "rate_limit") {
      const limit = limiter.peek(route.entity, nowMs);
      return json(
        429,
        {
          message: "Too Many Attempts.",
          code: 5005,
          ...envelopeMeta(nowMs, route.entity, { ...limit, resetsInMs: clock.fromClientSeconds(SPURIOUS_RETRY_AFTER_SECONDS) }),
        },
        { "retry-after": String(SPURIOUS_RETRY_AFTER_SECONDS) },
      );
    }

    const limit = limiter.consume(route.entity, nowMs);
    if (!limit.allowed) {
      stats.rateLimited++;
      const retryAfter = clock.toClientSeconds(limit.resetsInMs);
      return json(
        429,
        {
          message: "You have reached the rate limit for this entity. The limit resets every hour.",
          code: 5005,
          ...envelopeMeta(nowMs, route.entity, limit),
        },
        { "retry-after": String(retryAfter) },
      );
    }
    bump(stats.byEntity, route.entity);
    const pageUrl = `${origin}${url.pathname.replace(/\/+$/, "")}`;
    const result = route.handle(params, {
      query: url.searchParams,
      nowMs,
      pageUrl,
      render: renderContext(nowMs),
      latestWindowMs: clock.fromClientSeconds(options.latestWindowSeconds),
    });
    const reply = toReply(result, nowMs, route, limit);
    if (fault === "slow" || fault === "truncated") return { fault, reply };
    return reply;
  };

  const handleControl = async (req: IncomingMessage, url: URL): Promise<Reply> => {
    const route = `${req.method} ${url.pathname.replace(/\/+$/, "")}`;
    switch (route) {
      case "GET /__health":
        return json(200, { ok: true, now: stamps.iso(clock.now()) });
      case "GET /__truth":
      case "GET /__truth/fixtures": {
        const snapshot = truth();
        return json(200, route === "GET /__truth" ? snapshot : { now: snapshot.now, data: snapshot.fixtures });
      }
      case "GET /__stats":
        return json(200, statsNow());
      case "POST /__stats/reset":
        stats = emptyStats();
        return json(200, statsNow());
      case "GET /__faults":
        return json(200, faults.snapshot());
      case "POST /__faults":
        return json(200, faults.update(await readJson(req)));
      case "POST /__advance": {
        const body = (await readJson(req)) as { seconds?: unknown } | null;
        const seconds = body?.seconds;
        if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0) {
          return json(400, { message: 'seconds: must be a non-negative number of simulated seconds, e.g. {"seconds": 3600}' });
        }
        clock.advance(seconds * 1000);
        return json(200, { now: stamps.iso(clock.now()) });
      }
      default:
        return json(404, { message: `No control endpoint ${route}; see packages/simulator/README.md` });
    }
  };

  const send = (res: ServerResponse, reply: Reply, truncate = false) => {
    const body = truncate ? reply.body.slice(0, Math.max(1, Math.floor(reply.body.length / 2))) : reply.body;
    bump(stats.byStatus, String(reply.status));
    res.writeHead(reply.status, { ...reply.headers, "content-length": String(Buffer.byteLength(body)) });
    res.end(body);
  };

  const server = createServer((req, res) => {
    const origin = `http://${req.headers.host ?? "127.0.0.1"}`;
    const url = new URL(req.url ?? "/", origin);
    if (url.pathname.startsWith("/__")) {
      handleControl(req, url).then(
        (reply) => send(res, reply),
        (error: unknown) => send(res, json(400, { message: error instanceof Error ? error.message : String(error) })),
      );
      return;
    }
    if (!url.pathname.startsWith(API_PREFIX) || req.method !== "GET") {
      send(res, json(404, { message: `The requested endpoint '${url.pathname}' does not exist.` }));
      return;
    }
    const outcome = handleApi(req, url, origin);
    if ("fault" in outcome) {
      if (outcome.fault === "timeout") {
        later(faults.snapshot().timeoutMs, () => req.socket.destroy());
      } else if (outcome.fault === "slow") {
        later(faults.snapshot().slowMs, () => send(res, outcome.reply));
      } else {
        send(res, outcome.reply, true);
      }
      return;
    }
    send(res, outcome);
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    baseUrl: `${url}/v3/football`,
    port,
    apiKey: options.apiKey,
    dataset,
    now: () => clock.now(),
    truth,
    stats: statsNow,
    setFaults: (settings) => faults.update(settings),
    advanceTime: (ms) => {
      if (!Number.isFinite(ms) || ms < 0) throw new Error("advanceTime: ms must be a non-negative number of simulated milliseconds");
      clock.advance(ms);
      return clock.now();
    },
    freeze: () => clock.freeze(),
    close: async () => {
      for (const timer of pending) clearTimeout(timer);
      pending.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_CONTROL_BODY) throw new Error(`body: larger than ${MAX_CONTROL_BODY} bytes; send a small JSON object`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new Error("body: not valid JSON; send a JSON object", { cause });
  }
}

export type { FaultKind };
