// The collector's write path as a pipe: the bytes of a fixtures/multi answer go
// to upsert_fixture_response as they came, inside a request body built around
// them ({"chunk_id": …, "response": <bytes>}), so the function never decodes,
// parses or re-serialises a payload; Postgres parses it once and owns every
// rule about it (migration 0003).
import { fromApiError } from "../errors/index.ts";
import { formatPath } from "../rpc/client.ts";
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

/** Writes one fixtures/multi answer (its raw HTTP 200 body) under the chunk's lease. */
export type FixtureResponseWriter = (args: FixtureResponseArgs, response: Uint8Array) => Promise<FixtureResponseResult>;

export interface FixtureResponseWriterOptions {
  /** SUPABASE_URL. */
  url: string;
  /** The service role key: sent as `apikey` and as the bearer token. */
  serviceRoleKey: string;
  fetch?: typeof fetch;
}

export function fixtureResponseWriter(options: FixtureResponseWriterOptions): FixtureResponseWriter {
  const endpoint = `${options.url.replace(/\/+$/, "")}/rest/v1/rpc/upsert_fixture_response`;
  const send = options.fetch ?? ((input, init) => fetch(input, init));
  return async (args, response) => {
    // JSON.stringify of the small arguments only; `response` goes last so the bytes close the object.
    const prefix = JSON.stringify({ ...args }).slice(0, -1);
    const body = new Blob([`${prefix},"response":`, response as Uint8Array<ArrayBuffer>, "}"], { type: "application/json" });
    const answer = await send(endpoint, {
      method: "POST",
      headers: {
        apikey: options.serviceRoleKey,
        Authorization: `Bearer ${options.serviceRoleKey}`,
        "Content-Type": "application/json",
        Accept: "application/json",
      },
      body,
    });
    const text = await answer.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new Error(`upsert_fixture_response: HTTP ${answer.status} with a body that is not JSON (${text.slice(0, 200)})`);
    }
    if (!answer.ok) throw fromApiError(json, answer.status);
    const result = resultSchema.safeParse(json);
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new Error(
        `upsert_fixture_response returned an unexpected result (${formatPath(issue?.path ?? [])}: ${issue?.message}); is the database migrated?`,
        { cause: result.error },
      );
    }
    return result.data;
  };
}
