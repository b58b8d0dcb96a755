// The /v3/football endpoints the simulator serves, each with the rate-limit
// entity the real API bills it to.

import type { Catalog } from "./catalog.ts";
import { LEAGUE_INCLUDES } from "./catalog.ts";
import { DAY, formatDate } from "./clock.ts";
import type { FixtureScript } from "./dataset.ts";
import { changedWithin, FIXTURE_INCLUDES, kickoffAt, momentAt, type RenderContext, renderFixture, STATES } from "./fixture-view.ts";
import {
  error,
  MAX_PER_PAGE,
  type Pagination,
  POPULATE_PER_PAGE,
  paginate,
  parseFilters,
  parseIncludes,
  REAL_FIXTURE_INCLUDES,
  REAL_LEAGUE_INCLUDES,
  type RouteError,
} from "./request-options.ts";

export const MAX_MULTI_IDS = 50;
export const MAX_BETWEEN_DAYS = 100;

export type RouteResult = { kind: "data"; data: unknown; pagination?: Pagination } | { kind: "miss" } | RouteError;

export interface RouteContext {
  query: URLSearchParams;
  nowMs: number;
  /** Absolute URL of this endpoint (without query), for `next_page`. */
  pageUrl: string;
  render: RenderContext;
  /** How far back `fixtures/latest` looks, in simulated ms. */
  latestWindowMs: number;
}

export interface Route {
  endpoint: string;
  entity: string;
  pattern: RegExp;
  handle(params: string[], ctx: RouteContext): RouteResult;
}

/** 403 with code 5007: the league is listed, but the plan does not cover its schedules and fixtures. */
const notInPlan = (what: string): RouteError =>
  error(403, `You do not have access to this ${what} in your current subscription. (resource not in plan)`, 5007);

export function buildRoutes(catalog: Catalog): Route[] {
  const fixtureIncludes = (ctx: RouteContext) => parseIncludes(ctx.query, FIXTURE_INCLUDES, REAL_FIXTURE_INCLUDES);
  const noIncludes = (ctx: RouteContext) => parseIncludes(ctx.query, [], [], { disabled: true });

  /**
   * The page `?page`/`?per_page` ask for, each item rendered; an empty list is the API's
   * "no results" miss. `filters=idAfter:<id>` keeps higher ids; `filters=populate` drops
   * includes and allows pages of 1,000.
   */
  const pageOf = <T extends { id: number }>(
    items: T[],
    ctx: RouteContext,
    render: (item: T, populate: boolean) => unknown,
  ): RouteResult => {
    const { idAfter, populate } = parseFilters(ctx.query);
    const kept = idAfter === null ? items : items.filter((item) => item.id > idAfter);
    const page = paginate(kept, ctx.query, ctx.pageUrl, populate ? POPULATE_PER_PAGE : MAX_PER_PAGE);
    if (page === "miss") return { kind: "miss" };
    if ("kind" in page) return page;
    return { kind: "data", data: page.items.map((item) => render(item, populate)), pagination: page.pagination };
  };

  const fixtureList = (items: FixtureScript[], ctx: RouteContext): RouteResult => {
    const includes = fixtureIncludes(ctx);
    if (!(includes instanceof Set)) return includes;
    const filters = parseFilters(ctx.query).ids;
    const leagues = filters.get("fixtureleagues");
    const seasons = filters.get("fixtureseasons");
    const states = filters.get("fixturestates");
    const filtered = items.filter(
      (f) =>
        (!leagues || leagues.has(f.leagueId)) &&
        (!seasons || seasons.has(f.seasonId)) &&
        (!states || states.has(momentAt(f, ctx.nowMs).stateId)),
    );
    return pageOf(filtered, ctx, (f, populate) => renderFixture(f, populate ? new Set() : includes, ctx.render));
  };

  const fixtureArray = (items: FixtureScript[], ctx: RouteContext): RouteResult => {
    const includes = fixtureIncludes(ctx);
    if (!(includes instanceof Set)) return includes;
    if (items.length === 0) return { kind: "miss" };
    return { kind: "data", data: items.map((f) => renderFixture(f, includes, ctx.render)) };
  };

  /**
   * Fixtures kicking off (as shown now: a rescheduled fixture moves) from `start` through `end`, by kickoff.
   * The dates are compared with the kickoffs as served, so the range finds what the API shows on those dates.
   */
  const between = (start: string, end: string, ctx: RouteContext): RouteResult => {
    const range = parseDateRange(start, end);
    if ("kind" in range) return range;
    const items = catalog
      .fixtures(ctx.nowMs)
      .map((f) => ({ f, kickoff: ctx.render.stamps.served(kickoffAt(f, ctx.nowMs)) }))
      .filter(({ kickoff }) => kickoff >= range.fromMs && kickoff < range.toMs)
      .sort((a, b) => a.kickoff - b.kickoff || a.f.id - b.f.id)
      .map(({ f }) => f);
    return fixtureList(items, ctx);
  };

  const leagueIncludes = (ctx: RouteContext) => parseIncludes(ctx.query, LEAGUE_INCLUDES, REAL_LEAGUE_INCLUDES);

  return [
    {
      endpoint: "leagues",
      entity: "League",
      pattern: /^leagues$/,
      handle: (_, ctx) => {
        const includes = leagueIncludes(ctx);
        if (!(includes instanceof Set)) return includes;
        return pageOf(catalog.leagues(ctx.nowMs), ctx, (l, populate) =>
          catalog.renderLeague(l, ctx.nowMs, populate ? new Set() : includes),
        );
      },
    },
    {
      endpoint: "leagues/{id}",
      entity: "League",
      pattern: /^leagues\/(\d+)$/,
      handle: ([id], ctx) => {
        const includes = leagueIncludes(ctx);
        if (!(includes instanceof Set)) return includes;
        const league = catalog.leagueById(Number(id), ctx.nowMs);
        return league ? { kind: "data", data: catalog.renderLeague(league, ctx.nowMs, includes) } : { kind: "miss" };
      },
    },
    {
      endpoint: "seasons",
      entity: "Season",
      pattern: /^seasons$/,
      handle: (_, ctx) => {
        const includes = noIncludes(ctx);
        if (!(includes instanceof Set)) return includes;
        const leagues = parseFilters(ctx.query).ids.get("seasonleagues");
        const seasons = catalog.seasons(ctx.nowMs).filter((s) => !leagues || leagues.has(s.leagueId));
        return pageOf(seasons, ctx, (s) => catalog.renderSeason(s, ctx.nowMs));
      },
    },
    {
      endpoint: "seasons/{id}",
      entity: "Season",
      pattern: /^seasons\/(\d+)$/,
      handle: ([id], ctx) => {
        const includes = noIncludes(ctx);
        if (!(includes instanceof Set)) return includes;
        const season = catalog.seasonById(Number(id), ctx.nowMs);
        return season ? { kind: "data", data: catalog.renderSeason(season, ctx.nowMs) } : { kind: "miss" };
      },
    },
    {
      endpoint: "schedules/seasons/{id}",
      entity: "Schedule",
      pattern: /^schedules\/seasons\/(\d+)$/,
      handle: ([id], ctx) => {
        const includes = noIncludes(ctx);
        if (!(includes instanceof Set)) return includes;
        const season = catalog.seasonById(Number(id), ctx.nowMs);
        if (!season) return { kind: "miss" };
        if (!season.inPlan) return notInPlan("season");
        return { kind: "data", data: catalog.renderSchedule(season, ctx.render) };
      },
    },
    {
      endpoint: "fixtures",
      entity: "Fixture",
      pattern: /^fixtures$/,
      handle: (_, ctx) => fixtureList(catalog.fixtures(ctx.nowMs), ctx),
    },
    {
      endpoint: "fixtures/multi/{ids}",
      entity: "Fixture",
      pattern: /^fixtures\/multi\/([^/]+)$/,
      handle: ([raw], ctx) => {
        const parts = (raw ?? "").split(",").map((p) => p.trim());
        if (parts.some((p) => !/^\d+$/.test(p))) return error(400, "The ids must be a comma-separated list of fixture ids.");
        const ids = [...new Set(parts.map(Number))];
        if (ids.length > MAX_MULTI_IDS) {
          return error(400, `You can request a maximum of ${MAX_MULTI_IDS} fixture ids at once; ${ids.length} were requested.`);
        }
        // Fixtures outside the plan are left out, like ids that do not exist.
        const found = ids
          .map((id) => catalog.fixtureById(id, ctx.nowMs))
          .filter((f): f is FixtureScript => f?.inPlan === true)
          .sort((a, b) => a.id - b.id);
        return fixtureArray(found, ctx);
      },
    },
    {
      endpoint: "fixtures/between/{start}/{end}",
      entity: "Fixture",
      pattern: /^fixtures\/between\/([^/]+)\/([^/]+)$/,
      handle: ([start, end], ctx) => between(start ?? "", end ?? "", ctx),
    },
    {
      endpoint: "fixtures/date/{date}",
      entity: "Fixture",
      pattern: /^fixtures\/date\/([^/]+)$/,
      handle: ([date], ctx) => between(date ?? "", date ?? "", ctx),
    },
    {
      endpoint: "fixtures/latest",
      entity: "Fixture",
      pattern: /^fixtures\/latest$/,
      handle: (_, ctx) => {
        const since = ctx.nowMs - ctx.latestWindowMs;
        return fixtureArray(
          catalog.fixtures(ctx.nowMs).filter((f) => changedWithin(f, since, ctx.nowMs, ctx.render.stamps)),
          ctx,
        );
      },
    },
    {
      endpoint: "fixtures/{id}",
      entity: "Fixture",
      pattern: /^fixtures\/(\d+)$/,
      handle: ([id], ctx) => {
        const includes = fixtureIncludes(ctx);
        if (!(includes instanceof Set)) return includes;
        const fixture = catalog.fixtureById(Number(id), ctx.nowMs);
        if (!fixture) return { kind: "miss" };
        if (!fixture.inPlan) return notInPlan("fixture");
        return { kind: "data", data: renderFixture(fixture, includes, ctx.render) };
      },
    },
    {
      endpoint: "states",
      entity: "State",
      pattern: /^states$/,
      handle: (_, ctx) => {
        const includes = noIncludes(ctx);
        if (!(includes instanceof Set)) return includes;
        return pageOf([...STATES], ctx, (state) => state);
      },
    },
  ];
}

/** Inclusive YYYY-MM-DD range → [fromMs, toMs) of at most 100 days. */
function parseDateRange(start: string, end: string): { fromMs: number; toMs: number } | RouteError {
  const parse = (value: string) => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return null;
    const ms = Date.parse(`${value}T00:00:00Z`);
    return Number.isNaN(ms) || formatDate(ms) !== value ? null : ms;
  };
  const fromMs = parse(start);
  const endMs = parse(end);
  if (fromMs === null || endMs === null) return error(400, "Dates must be valid and in YYYY-MM-DD format.");
  if (endMs < fromMs) return error(400, "The end date must be on or after the start date.");
  if ((endMs - fromMs) / DAY > MAX_BETWEEN_DAYS) {
    return error(400, `The requested date range exceeds the maximum of ${MAX_BETWEEN_DAYS} days.`);
  }
  return { fromMs, toMs: endMs + DAY };
}
