// The collector's reads of large answers as pipes: a fixtures/multi answer or
// a season schedule streams from the API straight into a Postgres function as
// the request body, unread, so the function neither decodes, parses nor
// re-serialises a payload, nor holds one in memory; Postgres parses it once
// and owns every rule about it (migration 0003: upsert_fixture_response,
// schedule_entries). The call's own arguments travel as JSON in a header.
// PostgREST passes the body of a function whose only parameter is an unnamed
// jsonb as it came.
import type { z } from "zod";
import { fromApiError, WatermarkError } from "../errors/index.ts";
import { formatPath } from "../rpc/client.ts";
import { SportmonksMalformedResponse, SportmonksNetworkError } from "../sportmonks/errors.ts";
import type { Checkpoint } from "./rpcs.ts";
import { collectionRpcs, schedulePreviewSchema, scheduleResponseResultSchema } from "./rpcs.ts";

export interface FixtureResponseArgs {
  chunk_id: string;
  lease_token: string;
  /** The ids sent to fixtures/multi. */
  fixture_ids: number[];
  checkpoint: Checkpoint;
  execution_id?: string;
}

export interface ScheduleResponseArgs {
  chunk_id: string;
  lease_token: string;
}

const fixtureResult = collectionRpcs.upsert_fixture_response.result;
export type FixtureResponseResult = z.output<typeof fixtureResult>;
const scheduleResult = scheduleResponseResultSchema;
export type ScheduleResponseResult = z.output<typeof scheduleResult>;
const previewResult = schedulePreviewSchema;
export type SchedulePreviewResult = z.output<typeof previewResult>;

/**
 * Writes one fixtures/multi answer (its HTTP 200 body, as it arrives) under the
 * chunk's lease. A body that breaks off, or that Postgres finds is not JSON,
 * throws a retryable Sportmonks error (the client fetches the batch again);
 * the database's refusals throw as WatermarkError (WM001 names the field).
 */
export type FixtureResponseWriter = (args: FixtureResponseArgs, response: ReadableStream<Uint8Array>) => Promise<FixtureResponseResult>;

/** Registers a season schedule answer (its HTTP 200 body, as it arrives) under the chunk's lease; errors as FixtureResponseWriter. */
export type ScheduleResponseWriter = (args: ScheduleResponseArgs, response: ReadableStream<Uint8Array>) => Promise<ScheduleResponseResult>;

/** Counts what a season schedule answer holds, registering nothing (dry runs). */
export type SchedulePreviewer = (response: ReadableStream<Uint8Array>) => Promise<SchedulePreviewResult>;

export interface ResponsePipeOptions {
  /** SUPABASE_URL. */
  url: string;
  /** The service role key: sent as `apikey` and as the bearer token. */
  serviceRoleKey: string;
  fetch?: typeof fetch;
}

export const BATCH_HEADER = "x-watermark-batch";
export const LEASE_HEADER = "x-watermark-lease";

/** Postgres (22P02) or PostgREST (PGRST102) saying the body is not JSON: the answer arrived cut off. */
const NOT_JSON = new Set(["22P02", "PGRST102"]);

export function fixtureResponseWriter(options: ResponsePipeOptions): FixtureResponseWriter {
  const pipe = responsePipe(options, "pipe_fixture_response", "fixtures/multi/{ids}", fixtureResult);
  return (args, response) => pipe(response, { [BATCH_HEADER]: JSON.stringify(args) });
}

export function scheduleResponseWriter(options: ResponsePipeOptions): ScheduleResponseWriter {
  const pipe = responsePipe(options, "pipe_schedule_response", "schedules/seasons/{id}", scheduleResult);
  return (args, response) => pipe(response, { [LEASE_HEADER]: JSON.stringify(args) });
}

export function schedulePreviewer(options: ResponsePipeOptions): SchedulePreviewer {
  const pipe = responsePipe(options, "pipe_schedule_preview", "schedules/seasons/{id}", previewResult);
  return (response) => pipe(response, {});
}

/** POSTs an answer's body, as it streams, to `rpc`; the database's answer is checked with `schema`. */
function responsePipe<S extends z.ZodType>(options: ResponsePipeOptions, rpc: string, endpoint: string, schema: S) {
  const url = `${options.url.replace(/\/+$/, "")}/rest/v1/rpc/${rpc}`;
  const send = options.fetch ?? ((input, init) => fetch(input, init));
  return async (body: ReadableStream<Uint8Array>, headers: Record<string, string>): Promise<z.output<S>> => {
    let answer: Response;
    try {
      answer = await send(url, {
        method: "POST",
        headers: {
          apikey: options.serviceRoleKey,
          Authorization: `Bearer ${options.serviceRoleKey}`,
          "Content-Type": "application/json",
          Accept: "application/json",
          ...headers,
        },
        body,
        duplex: "half",
      } as RequestInit);
    } catch (error) {
      throw new SportmonksNetworkError(`${endpoint}: the answer broke off while it streamed to the database (${describe(error)})`, {
        endpoint,
        cause: error,
      });
    }
    const text = await answer.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new Error(`${rpc}: HTTP ${answer.status} with a body that is not JSON (${text.slice(0, 200)})`);
    }
    if (!answer.ok) {
      const error = fromApiError(json, answer.status);
      if (error instanceof WatermarkError && NOT_JSON.has(error.code)) {
        throw new SportmonksMalformedResponse(`${endpoint}: body is not JSON (${error.message})`, { endpoint, status: 200 });
      }
      throw error;
    }
    const result = schema.safeParse(json);
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new Error(
        `${rpc} returned an unexpected result (${formatPath(issue?.path ?? [])}: ${issue?.message}); is the database migrated?`,
        {
          cause: result.error,
        },
      );
    }
    return result.data;
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
