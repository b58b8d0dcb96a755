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

/**
 * Parses `include=a;b` against what the simulator serves on this endpoint.
 * 5000: known include not allowed here; 5001: no such include; 5002: not in the plan.
 */
export function parseIncludes(
  query: URLSearchParams,
  simulated: readonly string[],
  realForEntity: readonly string[] = [],
): Set<string> | RouteError {
  const raw = query.get("include");
  const result = new Set<string>();
  if (!raw) return result;
  for (const name of raw
    .split(/[;,]/)
    .map((n) => n.trim())
    .filter(Boolean)) {
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

/** `filters=fixtureLeagues:8,82;fixtureStates:5` → name → ids. Unknown filters are ignored. */
export function parseFilters(query: URLSearchParams): Map<string, Set<number>> {
  const filters = new Map<string, Set<number>>();
  for (const part of (query.get("filters") ?? "").split(";")) {
    const [name, values] = part.split(":");
    if (!name || !values) continue;
    const ids = values.split(",").map(Number).filter(Number.isInteger);
    filters.set(name.trim().toLowerCase(), new Set(ids));
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

/** Slices a page; per_page above 50 is capped at 50 as the API documents its range (1–50). */
export function paginate<T>(
  items: T[],
  query: URLSearchParams,
  pageUrl: string,
): { items: T[]; pagination: Pagination } | RouteError | "miss" {
  const page = positiveInt(query, "page", 1);
  if (typeof page !== "number") return page;
  const perPageRaw = positiveInt(query, "per_page", DEFAULT_PER_PAGE);
  if (typeof perPageRaw !== "number") return perPageRaw;
  const perPage = Math.min(perPageRaw, MAX_PER_PAGE);
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
