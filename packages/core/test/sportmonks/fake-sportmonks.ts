// A scripted HTTP server speaking the Sportmonks v3 envelope, for client tests
// that need exact control over each response (status, headers, broken bodies,
// hangs). Scenario tests against the real simulator live with the collector.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  authorization: string | undefined;
}

export interface ScriptedResponse {
  status?: number;
  headers?: Record<string, string>;
  /** Objects are sent as JSON, strings as they are (to send broken JSON). */
  body?: unknown;
  /** Never answer (the client must time out). */
  hang?: boolean;
}

export type Handler = (request: RecordedRequest, index: number) => ScriptedResponse;

export interface FakeSportmonks {
  url: string;
  requests: RecordedRequest[];
  /** Replace the handler (default: 200 with an empty list). */
  handle(handler: Handler): void;
  close(): Promise<void>;
}

export async function startFakeSportmonks(): Promise<FakeSportmonks> {
  const requests: RecordedRequest[] = [];
  let handler: Handler = () => ({ body: envelope([]) });
  const hanging = new Set<IncomingMessage>();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://fake.invalid");
    const recorded: RecordedRequest = {
      method: req.method ?? "GET",
      path: url.pathname,
      query: url.searchParams,
      authorization: req.headers.authorization,
    };
    requests.push(recorded);
    const response = handler(recorded, requests.length - 1);
    if (response.hang) {
      hanging.add(req);
      return;
    }
    const body = typeof response.body === "string" ? response.body : JSON.stringify(response.body ?? {});
    res.writeHead(response.status ?? 200, { "content-type": "application/json", ...response.headers });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v3/football`,
    requests,
    handle(next) {
      handler = next;
    },
    async close() {
      for (const req of hanging) req.socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

export const rateLimit = (remaining = 2999, resetsInSeconds = 3600, entity = "Fixture") => ({
  resets_in_seconds: resetsInSeconds,
  remaining,
  requested_entity: entity,
});

export function envelope(data: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    data,
    subscription: [
      { meta: [], plans: [{ plan: "Football Free Plan", sport: "Football", category: "Standard" }], add_ons: [], widgets: [] },
    ],
    rate_limit: rateLimit(),
    timezone: "UTC",
    ...extra,
  };
}

/** The v3 miss: HTTP 200, a message, no data. */
export function miss(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    message:
      "No result(s) found matching your request. Either the query did not return any results or you don't have access to it via your current subscription.",
    subscription: [],
    rate_limit: rateLimit(),
    timezone: "UTC",
    ...extra,
  };
}

export function fixture(id: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    sport_id: 1,
    league_id: 501,
    season_id: 19735,
    stage_id: 77457866,
    group_id: null,
    aggregate_id: null,
    round_id: 275093,
    state_id: 5,
    venue_id: 336296,
    name: "Hearts vs St. Johnstone",
    starting_at: "2023-03-04 15:00:00",
    result_info: "Hearts won after full-time.",
    leg: "1/1",
    details: null,
    length: 90,
    placeholder: false,
    has_odds: true,
    starting_at_timestamp: 1677942000,
    ...overrides,
  };
}
