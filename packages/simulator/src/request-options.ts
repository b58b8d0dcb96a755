// Query options shared by the endpoints: includes, pagination and filters,
// with the API's in-body error codes for bad includes and pages.

export interface RouteError {
  kind: "error";
  status: number;
  message: string;
  code?: number;
}

export const NO_RESULTS_MESSAGE =
  "No result(s) found matching your request. Either the query did not return any results or you don't have access to it via your current subscription.";

export const MAX_PER_PAGE = 50;
export const DEFAULT_PER_PAGE = 25;
/** With `filters=populate` a page holds up to 1,000 records. */
export const POPULATE_PER_PAGE = 1000;

/** Fixture includes the real API offers that this simulator's "plan" does not: they answer 5002. */
export const REAL_FIXTURE_INCLUDES = [
  "sport",
  "round",
  "stage",
  "group",
  "aggregate",
  "league",
  "season",
  "coaches",
  "tvStations",
  "venue",
  "state",
  "weatherReport",
  "lineups",
  "events",
  "timeline",
  "comments",
  "trends",
  "statistics",
  "periods",
  "participants",
  "odds",
  "premiumOdds",
  "inplayOdds",
  "prematchNews",
  "postmatchNews",
  "metadata",
  "sidelined",
  "predictions",
  "referees",
  "formations",
  "ballCoordinates",
  "scores",
  "xGFixture",
  "pressure",
  "expectedLineups",
  "predictedLineups",
  "matchfacts",
];
export const REAL_LEAGUE_INCLUDES = ["sport", "country", "stages", "latest", "upcoming", "inplay", "today", "currentSeason", "seasons"];
const ALL_REAL_INCLUDES = new Set([...REAL_FIXTURE_INCLUDES, ...REAL_LEAGUE_INCLUDES].map((n) => n.toLowerCase()));

export function error(status: number, message: string, code?: number): RouteError {
  return { kind: "error", status, message, code };
}

/** "A total of 3 nested includes" (fixtures/multi docs): `events.player.country` is the deepest allowed. */
export const MAX_INCLUDE_DEPTH = 3;

/**
 * Parses `include=a;b` against what the simulator serves on this endpoint.
 * 5008: nested deeper than MAX_INCLUDE_DEPTH; 5013: the endpoint takes no includes at all;
 * 5000: a real include of another entity; 5001: no such include; 5002: not in the plan.
 */
export function parseIncludes(
  query: URLSearchParams,
  simulated: readonly string[],
  realForEntity: readonly string[] = [],
  options: { disabled?: boolean } = {},
): Set<string> | RouteError {
  const raw = query.get("include");
  const result = new Set<string>();
  if (!raw) return result;
  for (const name of raw
    .split(/[;,]/)
    .map((n) => n.trim())
    .filter(Boolean)) {
    if (name.split(".").length > MAX_INCLUDE_DEPTH) {
      return error(400, `The include '${name}' nests deeper than the ${MAX_INCLUDE_DEPTH} levels allowed.`, 5008);
    }
    if (options.disabled) return error(400, `The include '${name}' is not available on this endpoint: it takes no includes.`, 5013);
    const canonical = simulated.find((s) => s.toLowerCase() === name.toLowerCase());
    if (canonical) {
      result.add(canonical);
      continue;
    }
    const base = name.split(".")[0]?.toLowerCase() ?? "";
    if (name.includes(".") && simulated.some((s) => s.toLowerCase() === base)) {
      return error(403, `You do not have access to the nested include '${name}' in your current subscription.`, 5002);
    }
    if (realForEntity.some((r) => r.toLowerCase() === name.toLowerCase())) {
      return error(403, `You do not have access to the '${name}' include in your current subscription.`, 5002);
    }
    if (ALL_REAL_INCLUDES.has(name.toLowerCase())) {
      return error(400, `The requested include '${name}' is not allowed on this endpoint.`, 5000);
    }
    return error(400, `The requested include '${name}' does not exist.`, 5001);
  }
  return result;
}

export interface Filters {
  /** `populate`: no includes, pages of up to POPULATE_PER_PAGE. */
  populate: boolean;
  /** `idAfter:<id>`: only records with a higher id. */
  idAfter: number | null;
  /** Dynamic filters, e.g. `fixtureLeagues:8,82` → fixtureleagues → {8, 82}. */
  ids: Map<string, Set<number>>;
}

/**
 * `filters=populate;idAfter:123;fixtureLeagues:8,82` (filters chained with `;`).
 * Unknown filters are ignored.
 */
export function parseFilters(query: URLSearchParams): Filters {
  const filters: Filters = { populate: false, idAfter: null, ids: new Map() };
  for (const part of (query.get("filters") ?? "").split(";")) {
    const [rawName, values] = part.split(":");
    const name = rawName?.trim().toLowerCase();
    if (!name) continue;
    if (name === "populate") {
      filters.populate = true;
      continue;
    }
    if (!values) continue;
    const ids = values.split(",").map(Number).filter(Number.isInteger);
    if (name === "idafter") filters.idAfter = ids[0] ?? null;
    else filters.ids.set(name, new Set(ids));
  }
  return filters;
}

export interface Pagination {
  count: number;
  per_page: number;
  current_page: number;
  next_page: string | null;
  has_more: boolean;
}

function positiveInt(query: URLSearchParams, name: string, fallback: number): number | RouteError {
  const raw = query.get(name);
  if (raw === null || raw === "") return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) return error(400, `The ${name} parameter must be a positive integer.`);
  return Number(raw);
}

/** Slices a page; per_page above the maximum (50, or 1,000 with populate) is capped, not rejected. */
export function paginate<T>(
  items: T[],
  query: URLSearchParams,
  pageUrl: string,
  maxPerPage = MAX_PER_PAGE,
): { items: T[]; pagination: Pagination } | RouteError | "miss" {
  const page = positiveInt(query, "page", 1);
  if (typeof page !== "number") return page;
  const perPageRaw = positiveInt(query, "per_page", DEFAULT_PER_PAGE);
  if (typeof perPageRaw !== "number") return perPageRaw;
  const perPage = Math.min(perPageRaw, maxPerPage);
  if (items.length === 0) return "miss";
  const lastPage = Math.ceil(items.length / perPage);
  if (page > lastPage) return error(400, "The page you are requesting does not exist.", 5003);
  const slice = items.slice((page - 1) * perPage, page * perPage);
  const hasMore = page < lastPage;
  let nextPage: string | null = null;
  if (hasMore) {
    const next = new URLSearchParams(query);
    next.delete("api_token");
    next.set("page", String(page + 1));
    nextPage = `${pageUrl}?${next.toString()}`;
  }
  return {
    items: slice,
    pagination: { count: slice.length, per_page: perPage, current_page: page, next_page: nextPage, has_more: hasMore },
  };
}
