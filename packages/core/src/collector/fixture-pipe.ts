// The collector's write path as a pipe: a fixtures/multi answer streams from
// the API straight into pipe_fixture_response as the request body, unread, so
// the function neither decodes, parses nor re-serialises a payload, nor holds
// one in memory; Postgres parses it once and owns every rule about it
// (migration 0003, upsert_fixture_response). The batch's own arguments travel
// in the x-watermark-batch header. PostgREST passes the body of a function
// whose only parameter is an unnamed jsonb as it came.
import { fromApiError, WatermarkError } from "../errors/index.ts";
import { formatPath } from "../rpc/client.ts";
import { SportmonksMalformedResponse, SportmonksNetworkError } from "../sportmonks/errors.ts";
import type { Checkpoint } from "./rpcs.ts";
import { collectionRpcs } from "./rpcs.ts";

export interface FixtureResponseArgs {
  chunk_id: string;
  lease_token: string;
  /** The ids sent to fixtures/multi. */
  fixture_ids: number[];
  checkpoint: Checkpoint;
  execution_id?: string;
}

const resultSchema = collectionRpcs.upsert_fixture_response.result;
export type FixtureResponseResult = ReturnType<typeof resultSchema.parse>;

/**
 * Writes one fixtures/multi answer (its HTTP 200 body, as it arrives) under the
 * chunk's lease. A body that breaks off, or that Postgres finds is not JSON,
 * throws a retryable Sportmonks error (the client fetches the batch again);
 * the database's refusals throw as WatermarkError (WM001 names the field).
 */
export type FixtureResponseWriter = (args: FixtureResponseArgs, response: ReadableStream<Uint8Array>) => Promise<FixtureResponseResult>;

export interface FixtureResponseWriterOptions {
  /** SUPABASE_URL. */
  url: string;
  /** The service role key: sent as `apikey` and as the bearer token. */
  serviceRoleKey: string;
  fetch?: typeof fetch;
}

export const BATCH_HEADER = "x-watermark-batch";

/** Postgres (22P02) or PostgREST (PGRST102) saying the body is not JSON: the answer arrived cut off. */
const NOT_JSON = new Set(["22P02", "PGRST102"]);

export function fixtureResponseWriter(options: FixtureResponseWriterOptions): FixtureResponseWriter {
  const endpoint = `${options.url.replace(/\/+$/, "")}/rest/v1/rpc/pipe_fixture_response`;
  const send = options.fetch ?? ((input, init) => fetch(input, init));
  return async (args, response) => {
    let answer: Response;
    try {
      answer = await send(endpoint, {
        method: "POST",
        headers: {
          apikey: options.serviceRoleKey,
          Authorization: `Bearer ${options.serviceRoleKey}`,
          "Content-Type": "application/json",
          Accept: "application/json",
          [BATCH_HEADER]: JSON.stringify(args),
        },
        body: response,
        duplex: "half",
      } as RequestInit);
    } catch (error) {
      throw new SportmonksNetworkError(
        `fixtures/multi/{ids}: the answer broke off while it streamed to the database (${describe(error)})`,
        {
          endpoint: "fixtures/multi/{ids}",
          cause: error,
        },
      );
    }
    const text = await answer.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new Error(`pipe_fixture_response: HTTP ${answer.status} with a body that is not JSON (${text.slice(0, 200)})`);
    }
    if (!answer.ok) {
      const error = fromApiError(json, answer.status);
      if (error instanceof WatermarkError && NOT_JSON.has(error.code)) {
        throw new SportmonksMalformedResponse(`fixtures/multi/{ids}: body is not JSON (${error.message})`, {
          endpoint: "fixtures/multi/{ids}",
          status: 200,
        });
      }
      throw error;
    }
    const result = resultSchema.safeParse(json);
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new Error(
        `pipe_fixture_response returned an unexpected result (${formatPath(issue?.path ?? [])}: ${issue?.message}); is the database migrated?`,
        { cause: result.error },
      );
    }
    return result.data;
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
