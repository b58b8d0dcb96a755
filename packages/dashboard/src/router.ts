// Hash routes: each page has its own URL (#/runs/<id>?level=ERROR), so links, reloads and the
// back button work on a static page. Filters live in the query part and change it in place.

export type PageName = "overview" | "pipelines" | "pipeline" | "runs" | "run" | "alerts" | "data" | "audit";

export interface Route {
  page: PageName;
  /** The pipeline or execution the page is about. */
  id?: string;
  params: URLSearchParams;
}

const sections: Record<string, [PageName, PageName]> = {
  overview: ["overview", "overview"],
  pipelines: ["pipelines", "pipeline"],
  runs: ["runs", "run"],
  alerts: ["alerts", "alerts"],
  data: ["data", "data"],
  audit: ["audit", "audit"],
};

export function parseRoute(hash: string): Route {
  const [path = "", query = ""] = hash.replace(/^#\/?/, "").split("?", 2);
  const [section = "", rawId] = path.split("/", 2);
  const pages = sections[section] ?? sections.overview;
  const id = rawId ? decodeURIComponent(rawId) : undefined;
  return { page: id && pages ? pages[1] : (pages?.[0] ?? "overview"), id: id || undefined, params: new URLSearchParams(query) };
}

/** Same page and subject: a refresh or a filter change, not a navigation. */
export function routeKey(route: Route): string {
  return `${route.page}/${route.id ?? ""}`;
}

export function href(section: keyof typeof sections, id?: string): string {
  return `#/${section}${id ? `/${encodeURIComponent(id)}` : ""}`;
}

/** The section a page belongs to, for the navigation's current item. */
export function sectionOf(page: PageName): string {
  return page === "pipeline" ? "pipelines" : page === "run" ? "runs" : page;
}

/** Rewrites the current URL's filters without a history entry (back goes to the previous page, not the previous filter). */
export function replaceParams(route: Route, changes: Record<string, string | undefined>): void {
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined || v === "") route.params.delete(k);
    else route.params.set(k, v);
  }
  const path = location.hash.replace(/^#/, "").split("?", 1)[0] ?? "";
  const query = route.params.toString();
  history.replaceState(null, "", `#${path}${query ? `?${query}` : ""}`);
}
