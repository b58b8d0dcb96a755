// Sportmonks Football v3 client: the endpoints the collector needs, every
// response parsed with zod, typed errors, per-entity rate limiting fed by the
// API's `rate_limit` object, bounded retries with full-jitter backoff, and a
// per-request timeout. Web APIs only (fetch, AbortController, setTimeout) so
// Node and the Deno edge functions share it.
import { z } from "zod";
import {
  SPORTMONKS_CODES,
  SPORTMONKS_INCLUDE_CODES,
  SportmonksAuthError,
  SportmonksError,
  type SportmonksErrorKind,
  SportmonksIncludeError,
  SportmonksInvalidArgument,
  SportmonksMalformedResponse,
  SportmonksNetworkError,
  SportmonksNotFound,
  SportmonksPlanError,
  SportmonksRateLimited,
  SportmonksRequestError,
  SportmonksServerError,
  SportmonksTimeout,
} from "./errors.ts";
import { includeProblem, rejectedInclude } from "./include-errors.ts";
import { nextPageParams, type Page, Paged } from "./paged.ts";
import { InMemoryRateLimitStore, RateLimiter, type RateLimitStore } from "./rate-limit.ts";
import { backoffDelayMs, defaultSleep, parseRetryAfterMs } from "./retry.ts";
import {
  type Envelope,
  envelopeSchema,
  type Fixture,
  fixtureSchema,
  type League,
  leagueSchema,
  type RateLimit,
  rateLimitSchema,
  type ScheduleStage,
  type Season,
  scheduleStageSchema,
  seasonSchema,
} from "./schemas.ts";

export const SPORTMONKS_DEFAULT_BASE_URL = "https://api.sportmonks.com/v3/football";
/** `fixtures/multi` takes at most 50 ids. */
export const SPORTMONKS_MAX_MULTI_IDS = 50;
/** `per_page` is capped at 50. */
export const SPORTMONKS_MAX_PER_PAGE = 50;
/** With `filters=populate` (no includes), `per_page` goes up to 1,000. */
export const SPORTMONKS_MAX_POPULATE_PER_PAGE = 1000;
/** `fixtures/between` spans at most 100 days. */
export const SPORTMONKS_MAX_BETWEEN_DAYS = 100;

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** One HTTP attempt, for metrics. Never carries the API key. */
export interface SportmonksRequestEvent {
  /** Endpoint template, e.g. `fixtures/multi/{ids}` (low cardinality). */
  endpoint: string;
  entity: string | null;
  /** HTTP status; null when no response arrived (timeout, network). */
  status: number | null;
  durationMs: number;
  /** 1 for the first try. */
  attempt: number;
  /** `rate_limit.remaining` from this response, when it had one. */
  rateLimitRemaining: number | null;
  /** The error kind this attempt ended with; null on success. */
  error: SportmonksErrorKind | null;
}

/** A pause the client takes, so the collector can log why it is idle. */
export interface SportmonksWaitEvent {
  endpoint: string;
  entity: string | null;
  waitMs: number;
  reason: "budget_reserve" | "rate_limited" | "backoff";
  /** The attempt that just ended (a retry follows the wait), or the one about to start (budget_reserve). */
  attempt: number;
  /** Before a retry: what the failed attempt ended with. */
  error?: SportmonksErrorKind;
  status?: number | null;
}

export interface SportmonksClientOptions {
  apiKey: string;
  /** Default: the public v3 football base URL. Any server that follows the v3 API works. */
  baseUrl?: string;
  fetch?: FetchLike;
  /** Per attempt, headers and body included. Default 30 000. */
  timeoutMs?: number;
  /** Retries after the first attempt for retryable failures. Default 3. */
  maxRetries?: number;
  /** Backoff base and cap. Defaults 500 and 30 000. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Requests kept back per entity before pausing for the reset. Default 10. */
  rateLimitReserve?: number;
  /**
   * Longest the client sleeps for a rate-limit reset; a longer reset throws
   * SportmonksRateLimited (with `resetsAt`) so a time-boxed run can stop. Default 60 000.
   */
  maxRateLimitWaitMs?: number;
  rateLimitStore?: RateLimitStore;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1). */
  random?: () => number;
  onRequest?: (event: SportmonksRequestEvent) => void;
  onWait?: (event: SportmonksWaitEvent) => void;
}

const optionsSchema = z.object({
  apiKey: z.string().trim().min(1, "must be a non-empty string; set SPORTMONKS_API_KEY to your Sportmonks API token"),
  baseUrl: z
    .url({ protocol: /^https?$/, error: "must be an http(s) URL, e.g. the public v3 football base URL" })
    .default(SPORTMONKS_DEFAULT_BASE_URL),
  timeoutMs: z.number().int().positive().default(30_000),
  maxRetries: z.number().int().min(0).max(10).default(3),
  baseDelayMs: z.number().int().nonnegative().default(500),
  maxDelayMs: z.number().int().nonnegative().default(30_000),
  rateLimitReserve: z.number().int().nonnegative().default(10),
  maxRateLimitWaitMs: z.number().int().nonnegative().default(60_000),
});

interface EndpointSpec {
  /** Template used in errors and metrics. */
  name: string;
  /** The rate-limit entity assumed until a response names it. */
  entity: string;
}

const ENDPOINTS = {
  leagues: { name: "leagues", entity: "League" },
  seasons: { name: "seasons", entity: "Season" },
  schedule: { name: "schedules/seasons/{id}", entity: "Schedule" },
  fixturesMulti: { name: "fixtures/multi/{ids}", entity: "Fixture" },
  fixturesBetween: { name: "fixtures/between/{start}/{end}", entity: "Fixture" },
  fixturesLatest: { name: "fixtures/latest", entity: "Fixture" },
} as const satisfies Record<string, EndpointSpec>;

/** The reads the client can pipe unread to a sink. */
export type PipedEndpoint = "fixturesMulti" | "schedule";

export interface IncludeOption {
  /** Includes, joined with `;` (e.g. FIXTURE_INCLUDES). */
  include?: readonly string[];
}
export interface PageOption {
  /** 1..50, default 50. */
  perPage?: number;
}
/** Catalog reads (leagues, seasons) that cost a call or two. */
export interface CatalogOptions {
  /** 1..50, default 50; with `populate` 1..1000, default 1000. */
  perPage?: number;
  /** Only records with a higher id (`filters=idAfter:<id>`): ids grow, so these are the new ones. */
  idAfter?: number;
  /** `filters=populate`: pages of up to 1,000 rows, includes disabled. */
  populate?: boolean;
}
export interface SeasonOptions extends CatalogOptions {
  /** One league's seasons (`filters=seasonLeagues:<id>`). */
  leagueId?: number;
}

/** An HTTP answer with its body as received, or (piped 200) still arriving in `stream`. */
interface RawResponse {
  status: number;
  body: Uint8Array;
  stream: ReadableStream<Uint8Array> | null;
  retryAfter: string | null;
  /** Ends the attempt's timeout. */
  release: () => void;
  /** A relayed 200: what the relay made of it (fixturesByIdsRelayed). */
  taken?: { value: unknown };
}

/** The request a relay sends on the client's behalf: the attempt's URL, headers and timeout. */
export interface RelayedRequest {
  url: string;
  headers: Record<string, string>;
  timeoutMs: number;
}

/**
 * What a relay got: a 200 it took (its own result), any other HTTP answer as it
 * came, a 200 whose body was not JSON, or no answer at all.
 */
export type RelayedAnswer<T> =
  | { taken: T }
  | { status: number; body: string; retryAfter: string | null }
  | { malformed: true; bytes: number }
  | { failed: true; timedOut: boolean; error: string };

/** Fetches one request somewhere else (the collector's database, through pg_net) and answers what came back. */
export type Relay<T> = (request: RelayedRequest) => Promise<RelayedAnswer<T>>;

/** A sink's own failure: thrown to the caller as it is, never retried by the client. */
class SinkError extends Error {
  constructor(cause: unknown) {
    super("the sink failed", { cause });
  }
}

/** Facts about one attempt, gathered as it goes so failures are reported too. */
interface Attempt {
  status: number | null;
  rateLimit: RateLimit | null;
}

export class SportmonksClient {
  readonly baseUrl: string;
  readonly #apiKey: string;
  readonly #fetch: FetchLike;
  readonly #options: z.infer<typeof optionsSchema>;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;
  readonly #onRequest?: (event: SportmonksRequestEvent) => void;
  readonly #onWait?: (event: SportmonksWaitEvent) => void;
  readonly #limiter: RateLimiter;
  /** Entity names learned from responses (`requested_entity`), by endpoint template. */
  readonly #entityByEndpoint = new Map<string, string>();

  constructor(options: SportmonksClientOptions) {
    const parsed = optionsSchema.safeParse(options);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new SportmonksInvalidArgument(`${issue?.path.join(".") || "options"}: ${issue?.message ?? "invalid"}`);
    }
    this.#options = parsed.data;
    this.#apiKey = parsed.data.apiKey;
    this.baseUrl = parsed.data.baseUrl.replace(/\/+$/, "");
    this.#fetch = options.fetch ?? ((url, init) => fetch(url, init));
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? defaultSleep;
    this.#random = options.random ?? Math.random;
    this.#onRequest = options.onRequest;
    this.#onWait = options.onWait;
    this.#limiter = new RateLimiter({
      store: options.rateLimitStore ?? new InMemoryRateLimitStore(),
      reserve: parsed.data.rateLimitReserve,
      now: this.#now,
    });
  }

  /** All leagues in the subscription, or those after `idAfter`. */
  leagues(options: CatalogOptions = {}): Paged<League> {
    return this.#list(ENDPOINTS.leagues, "leagues", catalogParams(options), leagueSchema);
  }

  /** All seasons, or one league's, or those after `idAfter`; the filters combine. */
  seasons(options: SeasonOptions = {}): Paged<Season> {
    const league = options.leagueId === undefined ? [] : [`seasonLeagues:${positiveId("leagueId", options.leagueId)}`];
    return this.#list(ENDPOINTS.seasons, "seasons", catalogParams(options, league), seasonSchema);
  }

  /**
   * A season's schedule: stages with their fixtures under rounds, the stage, or
   * aggregates (see scheduleStageSchema). A season without a schedule (a miss) is [].
   */
  async seasonSchedule(seasonId: number): Promise<ScheduleStage[]> {
    const path = `schedules/seasons/${positiveId("seasonId", seasonId)}`;
    try {
      const { data } = await this.#get(ENDPOINTS.schedule, path, new URLSearchParams(), z.array(scheduleStageSchema));
      return data;
    } catch (error) {
      if (isMiss(error)) return [];
      throw error;
    }
  }

  /** Fixtures by id (at most 50), with includes. Ids the API does not know are simply absent. */
  async fixturesByIds(ids: readonly number[], options: IncludeOption = {}): Promise<Fixture[]> {
    const unique = multiIds(ids);
    if (unique.length === 0) return [];
    const params = includeParams(options);
    return this.#list(ENDPOINTS.fixturesMulti, `fixtures/multi/${unique.join(",")}`, params, fixtureSchema).toArray();
  }

  /**
   * fixtures/multi for these ids (at most 50), its HTTP 200 body handed unread
   * to `sink` as the stream that is still arriving: for a caller that stores
   * the answer without parsing it (the collector pipes it into Postgres). The
   * sink's result is returned. Errors, limits and retries as fixturesByIds: a
   * sink that fails with a SportmonksError (a cut-off body, an answer the
   * store found not to be JSON) is retried like a failed request; any other
   * error of the sink is thrown as it is. The answer's `rate_limit` is the
   * sink's to hand back through recordRateLimit.
   */
  async fixturesByIdsPiped<T>(
    ids: readonly number[],
    options: IncludeOption,
    sink: (body: ReadableStream<Uint8Array>) => Promise<T>,
  ): Promise<T> {
    const unique = multiIds(ids);
    if (unique.length === 0) throw new SportmonksInvalidArgument("ids: at least one fixture id is needed");
    return this.#getPiped(ENDPOINTS.fixturesMulti, `fixtures/multi/${unique.join(",")}`, includeParams(options), sink);
  }

  /**
   * fixtures/multi for these ids (at most 50), fetched by `relay` rather than
   * by this process: the collector's database fetches it through pg_net and
   * writes a 200 itself, so the answer's bytes never pass through here. A 200
   * the relay took returns its result; every other answer is read, limited and
   * retried as fixturesByIds. Errors the relay throws (the database refusing
   * the answer) are thrown as they are, never retried.
   */
  async fixturesByIdsRelayed<T>(ids: readonly number[], options: IncludeOption, relay: Relay<T>): Promise<T> {
    const unique = multiIds(ids);
    if (unique.length === 0) throw new SportmonksInvalidArgument("ids: at least one fixture id is needed");
    const spec = ENDPOINTS.fixturesMulti;
    return this.#request(
      spec,
      `fixtures/multi/${unique.join(",")}`,
      includeParams(options),
      async (response, includes, facts) => {
        if (response.taken) return response.taken.value as T;
        await this.#interpret(spec, response, includes, facts);
        throw new SportmonksRequestError(`${spec.name}: unexpected HTTP ${response.status} for a read`, {
          endpoint: spec.name,
          status: response.status,
        });
      },
      (url) => this.#relay(spec, url, relay),
    );
  }

  /**
   * A season's schedule, its HTTP 200 body handed unread to `sink` as the
   * stream that is still arriving (the collector pipes it into Postgres, which
   * reads every stage layout). A miss (200, a message, no data) reaches the
   * sink too. Errors, limits and retries as fixturesByIdsPiped.
   */
  async seasonSchedulePiped<T>(seasonId: number, sink: (body: ReadableStream<Uint8Array>) => Promise<T>): Promise<T> {
    return this.#getPiped(ENDPOINTS.schedule, `schedules/seasons/${positiveId("seasonId", seasonId)}`, new URLSearchParams(), sink);
  }

  /**
   * A `rate_limit` read from a piped answer outside the client: the limiter
   * takes it as its own, and the endpoint (`from`) learns its entity. `saved`:
   * the database already stored it with the answer, so the store only notes it.
   */
  async recordRateLimit(rateLimit: RateLimit, options: { from?: PipedEndpoint; saved?: boolean } = {}): Promise<void> {
    const parsed = rateLimitSchema.safeParse(rateLimit);
    if (!parsed.success) throw new SportmonksInvalidArgument(`rateLimit: ${parsed.error.issues[0]?.message ?? "invalid"}`);
    this.#entityByEndpoint.set(ENDPOINTS[options.from ?? "fixturesMulti"].name, parsed.data.requested_entity);
    await this.#limiter.record(parsed.data, options.saved ?? false);
  }

  /** Fixtures whose kickoff lies between two dates (YYYY-MM-DD, at most 100 days apart). */
  fixturesBetween(start: string | Date, end: string | Date, options: IncludeOption & PageOption = {}): Paged<Fixture> {
    const from = isoDate("start", start);
    const to = isoDate("end", end);
    const days = (Date.parse(to) - Date.parse(from)) / 86_400_000;
    if (days < 0) throw new SportmonksInvalidArgument(`end: ${to} is before start ${from}; swap them`);
    if (days > SPORTMONKS_MAX_BETWEEN_DAYS) {
      throw new SportmonksInvalidArgument(
        `end: ${from}..${to} spans ${days} days, fixtures/between allows at most ${SPORTMONKS_MAX_BETWEEN_DAYS}; split the range`,
        { endpoint: ENDPOINTS.fixturesBetween.name },
      );
    }
    const params = includeParams(options, pageParams(options));
    return this.#list(ENDPOINTS.fixturesBetween, `fixtures/between/${from}/${to}`, params, fixtureSchema);
  }

  /** Fixtures the API changed recently (`fixtures/latest`). */
  latestFixtures(options: IncludeOption = {}): Promise<Fixture[]> {
    return this.#list(ENDPOINTS.fixturesLatest, "fixtures/latest", includeParams(options), fixtureSchema).toArray();
  }

  /** A paginated list. A miss (200 + message) ends the list: an empty page is not an error. */
  #list<S extends z.ZodType>(spec: EndpointSpec, path: string, params: URLSearchParams, item: S): Paged<z.output<S>> {
    const client = this;
    return new Paged(async function* (): AsyncGenerator<Page<z.output<S>>> {
      const current = new URLSearchParams(params);
      const seen = new Set<string>();
      while (true) {
        let result: { data: z.output<S>[]; envelope: Envelope };
        try {
          result = await client.#get(spec, path, current, z.array(item));
        } catch (error) {
          if (isMiss(error)) return;
          throw error;
        }
        const { data, envelope } = result;
        yield { items: data, pagination: envelope.pagination ?? null, rateLimit: envelope.rate_limit ?? null };
        const next = nextPageParams(envelope.pagination);
        if (!next) return;
        const key = next.toString();
        if (seen.has(key)) {
          throw new SportmonksMalformedResponse(`${spec.name}: pagination says has_more but points back to a page already read (${key})`, {
            endpoint: spec.name,
            status: 200,
          });
        }
        seen.add(key);
        current.delete("page");
        current.delete("cursor");
        for (const [name, value] of next) current.set(name, value);
      }
    });
  }

  /** One logical GET whose data is parsed with `dataSchema`. */
  #get<S extends z.ZodType>(
    spec: EndpointSpec,
    path: string,
    params: URLSearchParams,
    dataSchema: S,
  ): Promise<{ data: z.output<S>; envelope: Envelope }> {
    return this.#request(spec, path, params, async (response, includes, facts) => {
      const envelope = await this.#interpret(spec, response, includes, facts);
      const data = dataSchema.safeParse(envelope.data);
      if (!data.success) {
        const issue = data.error.issues[0];
        throw new SportmonksMalformedResponse(
          `${spec.name}: data does not match the v3 schema at data.${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}`,
          { endpoint: spec.name, status: facts.status },
        );
      }
      return { data: data.data, envelope };
    });
  }

  /** One logical GET whose HTTP 200 body streams, unread, into `sink`. */
  #getPiped<T>(
    spec: EndpointSpec,
    path: string,
    params: URLSearchParams,
    sink: (body: ReadableStream<Uint8Array>) => Promise<T>,
  ): Promise<T> {
    return this.#request(
      spec,
      path,
      params,
      async (response, includes, facts) => {
        if (response.stream) {
          try {
            return await sink(response.stream);
          } catch (error) {
            // A cut-off body surfaces here, in the sink's own request: retried like a failed read.
            if (error instanceof SportmonksError) throw error;
            throw new SinkError(error);
          }
        }
        await this.#interpret(spec, response, includes, facts);
        throw new SportmonksRequestError(`${spec.name}: unexpected HTTP ${response.status} for a read`, {
          endpoint: spec.name,
          status: response.status,
        });
      },
      true,
    );
  }

  /** Budget check, attempts with retries; `read` turns each response into the result or a typed error. */
  async #request<T>(
    spec: EndpointSpec,
    path: string,
    params: URLSearchParams,
    read: (response: RawResponse, includes: readonly string[], facts: Attempt) => Promise<T>,
    send: boolean | ((url: string) => Promise<RawResponse>) = false,
  ): Promise<T> {
    const query = params.toString();
    const url = `${this.baseUrl}/${path}${query ? `?${query}` : ""}`;
    const includes = params.get("include")?.split(";") ?? [];
    for (let attempt = 1; ; attempt++) {
      const entity = this.#entityFor(spec);
      await this.#awaitBudget(spec, entity, attempt);
      const facts: Attempt = { status: null, rateLimit: null };
      const started = this.#now();
      let release = () => {};
      try {
        const response = typeof send === "function" ? await send(url) : await this.#send(spec, url, send);
        release = response.release;
        facts.status = response.status;
        const result = await read(response, includes, facts);
        this.#report(spec, this.#entityFor(spec), facts, started, attempt, null);
        return result;
      } catch (caught) {
        if (caught instanceof SinkError) {
          // The API answered; what failed is the sink's (e.g. the database refused the answer).
          this.#report(spec, this.#entityFor(spec), facts, started, attempt, null);
          throw caught.cause;
        }
        const error = this.#normalise(spec, caught);
        // A miss (200, "no result") is an answer, not a failed call: the caller reads it as an empty list.
        this.#report(spec, this.#entityFor(spec), facts, started, attempt, isMiss(error) ? null : error.kind);
        if (!error.retryable || attempt > this.#options.maxRetries) throw error;
        await this.#pauseBeforeRetry(spec, error, attempt);
      } finally {
        release();
      }
    }
  }

  /** Turn a response into an envelope or a typed error. */
  async #interpret(spec: EndpointSpec, response: RawResponse, includes: readonly string[], facts: Attempt): Promise<Envelope> {
    const json = parseJson(response.body);
    const parsed = json === undefined ? null : envelopeSchema.safeParse(json);
    const envelope = parsed?.success ? parsed.data : null;
    const status = response.status;
    const code = envelope?.code ?? null;
    const limited = status === 429 || code === SPORTMONKS_CODES.rateLimit;
    // A 429 whose own rate_limit shows budget left is spurious: its numbers (the
    // reset is the Retry-After) are not the entity's window, so they are not kept.
    const transient429 = limited && (envelope?.rate_limit?.remaining ?? 0) > 0;
    if (envelope?.rate_limit) {
      facts.rateLimit = envelope.rate_limit;
      this.#entityByEndpoint.set(spec.name, envelope.rate_limit.requested_entity);
      if (!transient429) await this.#limiter.record(envelope.rate_limit);
    }
    const details = { endpoint: spec.name, status, code };
    const said = envelope?.message ? `: Sportmonks says "${this.#redact(envelope.message).slice(0, 300)}"` : "";

    if (limited) {
      const entity = envelope?.rate_limit?.requested_entity ?? this.#entityFor(spec);
      const waitMs =
        parseRetryAfterMs(response.retryAfter, this.#now()) ?? (envelope?.rate_limit ? envelope.rate_limit.resets_in_seconds * 1000 : null);
      const resetsAt = waitMs === null ? null : new Date(this.#now() + waitMs);
      if (transient429) {
        throw new SportmonksRateLimited(
          `${spec.name}: HTTP 429 for entity ${entity} with ${envelope?.rate_limit?.remaining} requests left (transient)${said}`,
          { ...details, entity, resetsAt, transient: true },
        );
      }
      if (resetsAt) await this.#limiter.exhausted(entity, resetsAt);
      throw new SportmonksRateLimited(`${spec.name}: rate limit reached for entity ${entity}${said}`, { ...details, entity, resetsAt });
    }
    const answer = `HTTP ${status}${code ? `, code ${code}` : ""}`;
    if (code !== null && SPORTMONKS_INCLUDE_CODES.has(code)) {
      const include = rejectedInclude(envelope?.message, includes);
      const { problem, fix } = includeProblem(code, include, includes);
      throw new SportmonksIncludeError(`${spec.name}: ${problem} (${answer})${said}; ${fix}`, { ...details, include });
    }
    if (status === 401) {
      throw new SportmonksAuthError(`${spec.name}: API key rejected (${answer})${said}; check SPORTMONKS_API_KEY`, details);
    }
    if (status === 403 || code === SPORTMONKS_CODES.insufficientResources) {
      throw new SportmonksPlanError(
        `${spec.name}: not covered by the plan (${answer})${said}; add it to the subscription or leave it out of the collection`,
        details,
      );
    }
    if (status >= 500) throw new SportmonksServerError(`${spec.name}: server error HTTP ${status}${said}`, details);
    if (code === SPORTMONKS_CODES.paginationLimit) {
      throw new SportmonksNotFound(`${spec.name}: page does not exist (${answer})${said}`, details);
    }
    if (status === 404) throw new SportmonksNotFound(`${spec.name}: not found (${answer})${said}`, details);
    if (status < 200 || status > 299) {
      throw new SportmonksRequestError(`${spec.name}: request rejected with HTTP ${status}${said}`, details);
    }
    if (json === undefined) {
      throw new SportmonksMalformedResponse(`${spec.name}: body is not JSON (${response.body.byteLength} bytes)`, details);
    }
    if (!envelope) {
      const issue = parsed?.success === false ? parsed.error.issues[0] : undefined;
      throw new SportmonksMalformedResponse(
        `${spec.name}: envelope does not match the v3 schema at ${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "not an object"}`,
        details,
      );
    }
    if (code !== null) throw new SportmonksRequestError(`${spec.name}: Sportmonks error code ${code}${said}`, details);
    if (envelope.data === undefined) {
      if (envelope.message !== undefined) throw new SportmonksNotFound(`${spec.name}: no result${said}`, details);
      throw new SportmonksMalformedResponse(`${spec.name}: response has neither data nor message`, details);
    }
    return envelope;
  }

  /**
   * fetch with a per-attempt timeout covering headers and body. With `pipe`, a
   * 200's body is left unread as `stream` and the timeout keeps running until
   * `release()`, so a body that stalls while the sink reads it is cut off too.
   */
  async #send(spec: EndpointSpec, url: string, pipe = false): Promise<RawResponse> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.#options.timeoutMs);
    const release = () => clearTimeout(timer);
    let piped = false;
    try {
      const response = await this.#fetch(url, {
        method: "GET",
        // identity: a compressed answer would have to be inflated here, costing the function CPU per byte.
        headers: { Authorization: this.#apiKey, Accept: "application/json", ...(pipe ? { "Accept-Encoding": "identity" } : {}) },
        signal: controller.signal,
      });
      const retryAfter = response.headers.get("retry-after");
      if (pipe && response.status === 200 && response.body) {
        piped = true;
        // Handed on untouched: a runtime can then move it to the next request without passing it through JS.
        return { status: 200, body: new Uint8Array(0), stream: response.body, retryAfter, release };
      }
      const body = new Uint8Array(await response.arrayBuffer());
      return { status: response.status, body, stream: null, retryAfter, release };
    } catch (error) {
      if (controller.signal.aborted) {
        throw new SportmonksTimeout(`${spec.name}: no complete response within ${this.#options.timeoutMs} ms`, {
          endpoint: spec.name,
        });
      }
      throw new SportmonksNetworkError(`${spec.name}: request failed before a response (${errorName(error)})`, {
        endpoint: spec.name,
        cause: error,
      });
    } finally {
      if (!piped) release();
    }
  }

  /** One attempt through a relay: its answer as the RawResponse #send would give, its failures typed alike. */
  async #relay<T>(spec: EndpointSpec, url: string, relay: Relay<T>): Promise<RawResponse> {
    const request = { url, headers: { Authorization: this.#apiKey, Accept: "application/json" }, timeoutMs: this.#options.timeoutMs };
    let answer: RelayedAnswer<T>;
    try {
      answer = await relay(request);
    } catch (error) {
      throw error instanceof SportmonksError ? error : new SinkError(error);
    }
    const release = () => {};
    if ("taken" in answer)
      return { status: 200, body: new Uint8Array(0), stream: null, retryAfter: null, release, taken: { value: answer.taken } };
    if ("malformed" in answer) {
      throw new SportmonksMalformedResponse(`${spec.name}: body is not JSON (${answer.bytes} bytes)`, { endpoint: spec.name, status: 200 });
    }
    if ("failed" in answer) {
      if (answer.timedOut) {
        throw new SportmonksTimeout(`${spec.name}: no complete response within ${request.timeoutMs} ms`, { endpoint: spec.name });
      }
      throw new SportmonksNetworkError(`${spec.name}: request failed before a response (${this.#redact(answer.error).slice(0, 300)})`, {
        endpoint: spec.name,
      });
    }
    return { status: answer.status, body: new TextEncoder().encode(answer.body), stream: null, retryAfter: answer.retryAfter, release };
  }

  /** Pause while the entity is down to its reserve; refuse when the reset is too far away. */
  async #awaitBudget(spec: EndpointSpec, entity: string, attempt: number): Promise<void> {
    const permit = await this.#limiter.acquire(entity);
    if (permit.waitMs <= 0) return;
    if (permit.waitMs > this.#options.maxRateLimitWaitMs) {
      throw new SportmonksRateLimited(
        `${spec.name}: entity ${entity} is down to its reserve of ${this.#options.rateLimitReserve} requests until ${permit.resetsAt?.toISOString()}; resume after the reset`,
        { endpoint: spec.name, entity, resetsAt: permit.resetsAt },
      );
    }
    this.#emitWait({ endpoint: spec.name, entity, waitMs: permit.waitMs, reason: "budget_reserve", attempt });
    await this.#sleep(permit.waitMs);
  }

  async #pauseBeforeRetry(spec: EndpointSpec, error: SportmonksError, attempt: number): Promise<void> {
    const cause = { error: error.kind, status: error.status ?? null };
    if (error instanceof SportmonksRateLimited && error.resetsAt) {
      const waitMs = Math.max(0, error.resetsAt.getTime() - this.#now());
      if (waitMs <= this.#options.maxRateLimitWaitMs) {
        this.#emitWait({ endpoint: spec.name, entity: error.entity, waitMs, reason: "rate_limited", attempt, ...cause });
        await this.#sleep(waitMs);
        return;
      }
      // A spent budget that resets too late stops here; a spurious 429 with a long Retry-After backs off instead.
      if (!error.transient) throw error;
    }
    const waitMs = backoffDelayMs(attempt, this.#options.baseDelayMs, this.#options.maxDelayMs, this.#random);
    this.#emitWait({ endpoint: spec.name, entity: this.#entityFor(spec), waitMs, reason: "backoff", attempt, ...cause });
    await this.#sleep(waitMs);
  }

  #entityFor(spec: EndpointSpec): string {
    return this.#entityByEndpoint.get(spec.name) ?? spec.entity;
  }

  #normalise(spec: EndpointSpec, error: unknown): SportmonksError {
    if (error instanceof SportmonksError) return error;
    // Anything else (a store that threw, a bug) is not retried: surface it with its cause.
    return new SportmonksRequestError(`${spec.name}: ${this.#redact(errorName(error))}`, { endpoint: spec.name, cause: error });
  }

  #report(spec: EndpointSpec, entity: string, facts: Attempt, started: number, attempt: number, error: SportmonksErrorKind | null): void {
    if (!this.#onRequest) return;
    const event: SportmonksRequestEvent = {
      endpoint: spec.name,
      entity,
      status: facts.status,
      durationMs: Math.max(0, this.#now() - started),
      attempt,
      rateLimitRemaining: facts.rateLimit?.remaining ?? null,
      error,
    };
    try {
      this.#onRequest(event);
    } catch {
      // A metrics hook must never fail the request it reports on.
    }
  }

  #emitWait(event: SportmonksWaitEvent): void {
    try {
      this.#onWait?.(event);
    } catch {
      // Same as #report: observation never changes the outcome.
    }
  }

  #redact(text: string): string {
    return text.split(this.#apiKey).join("[redacted]");
  }
}

function parseJson(body: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(body));
  } catch {
    return undefined;
  }
}

/** The distinct ids of one fixtures/multi call (at most 50). */
function multiIds(ids: readonly number[]): number[] {
  if (!Array.isArray(ids)) throw new SportmonksInvalidArgument("ids: must be an array of fixture ids");
  const unique = [...new Set(ids.map((id, i) => positiveId(`ids[${i}]`, id)))];
  if (unique.length > SPORTMONKS_MAX_MULTI_IDS) {
    throw new SportmonksInvalidArgument(
      `ids: ${unique.length} ids given, fixtures/multi takes at most ${SPORTMONKS_MAX_MULTI_IDS}; split them into batches of ${SPORTMONKS_MAX_MULTI_IDS}`,
      { endpoint: ENDPOINTS.fixturesMulti.name },
    );
  }
  return unique;
}

function errorName(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function positiveId(field: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0) {
    throw new SportmonksInvalidArgument(`${field}: ${JSON.stringify(value)} is not a positive integer id`);
  }
  return value;
}

/** A miss: HTTP 200 with a message, no code and no data. Not an error for a list or a schedule. */
function isMiss(error: unknown): boolean {
  return error instanceof SportmonksNotFound && error.status === 200 && error.code === null;
}

function pageParams(options: PageOption, max = SPORTMONKS_MAX_PER_PAGE, why = `the API caps per_page at ${max}`): URLSearchParams {
  const perPage = options.perPage ?? max;
  if (!Number.isInteger(perPage) || perPage < 1 || perPage > max) {
    throw new SportmonksInvalidArgument(`perPage: ${perPage} is outside 1..${max}; ${why}`);
  }
  return new URLSearchParams({ per_page: String(perPage) });
}

/** Page size and `filters` (static and dynamic filters chain with `;`) of a catalog read. */
function catalogParams(options: CatalogOptions, more: readonly string[] = []): URLSearchParams {
  if (options.populate !== undefined && typeof options.populate !== "boolean") {
    throw new SportmonksInvalidArgument(`populate: ${JSON.stringify(options.populate)} is not true or false`);
  }
  const params = options.populate
    ? pageParams(options, SPORTMONKS_MAX_POPULATE_PER_PAGE, `filters=populate caps per_page at ${SPORTMONKS_MAX_POPULATE_PER_PAGE}`)
    : pageParams(
        options,
        SPORTMONKS_MAX_PER_PAGE,
        `the API caps per_page at ${SPORTMONKS_MAX_PER_PAGE} (${SPORTMONKS_MAX_POPULATE_PER_PAGE} with populate)`,
      );
  const filters = [
    ...(options.populate ? ["populate"] : []),
    ...(options.idAfter === undefined ? [] : [`idAfter:${positiveId("idAfter", options.idAfter)}`]),
    ...more,
  ];
  if (filters.length > 0) params.set("filters", filters.join(";"));
  return params;
}

const INCLUDE_NAME = /^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$/;

function includeParams(options: IncludeOption, params = new URLSearchParams()): URLSearchParams {
  const include = options.include ?? [];
  if (!Array.isArray(include)) throw new SportmonksInvalidArgument("include: must be an array of include names");
  include.forEach((name, i) => {
    if (typeof name !== "string" || !INCLUDE_NAME.test(name)) {
      throw new SportmonksInvalidArgument(
        `include[${i}]: ${JSON.stringify(name)} is not an include name like "events" or "lineups.player"`,
      );
    }
  });
  if (include.length > 0) params.set("include", [...new Set(include)].join(";"));
  return params;
}

/** A calendar date as YYYY-MM-DD (Dates are taken in UTC); rejects impossible dates like 2025-02-30. */
function isoDate(field: string, value: string | Date): string {
  const text = value instanceof Date ? (Number.isNaN(value.getTime()) ? "" : value.toISOString().slice(0, 10)) : value;
  const time = typeof text === "string" && /^\d{4}-\d{2}-\d{2}$/.test(text) ? Date.parse(`${text}T00:00:00Z`) : Number.NaN;
  if (Number.isNaN(time) || new Date(time).toISOString().slice(0, 10) !== text) {
    throw new SportmonksInvalidArgument(`${field}: ${JSON.stringify(value)} is not a date; use YYYY-MM-DD`);
  }
  return text;
}
