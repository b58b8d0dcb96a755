// fixtures/multi answers fetched by Postgres through pg_net (migration 00031:
// request_fixture_answer, take_fixture_answer), so their bytes never pass
// through the edge function, whose CPU is capped at 2 s a request: it sends
// two small calls per batch instead of moving megabytes. A 200 is written by
// the database as pipe_fixture_response writes it, and an answer it refuses
// throws the database's error; any other answer comes back for the Sportmonks
// client to read (SportmonksClient.fixturesByIdsRelayed).
import { fromApiError } from "../errors/index.ts";
import type { RpcClient } from "../rpc/client.ts";
import type { Relay, RelayedAnswer } from "../sportmonks/client.ts";
import { SportmonksTimeout } from "../sportmonks/errors.ts";
import type { FixtureResponseArgs, FixtureResponseResult } from "./response-pipe.ts";
import type { CollectorRpcs, FixtureAnswer } from "./rpcs.ts";

/** Longest one take_fixture_answer call waits in the database before the collector asks again. */
const WAIT_PER_TAKE_MS = 5_000;
/** How long past the API call's own timeout an answer may stay pending: pg_net's worker is down or swamped. */
const PENDING_GRACE_MS = 15_000;
/** pg_net's timeout bounds (request_fixture_answer checks them). */
const MIN_TIMEOUT_MS = 1_000;
const MAX_TIMEOUT_MS = 300_000;

/**
 * Both calls' arguments come from checked parts (the claim's lease, the work
 * query's ids, the client's URL): zod's second pass would cost the function CPU
 * on every batch, and the database checks them all again anyway.
 */
const PREVALIDATED = { prevalidated: true } as const;

/** A relay for one batch: its lease, ids and checkpoint travel with the answer into upsert_fixture_response. */
export type FixtureAnswerRelay = (args: FixtureResponseArgs) => Relay<FixtureResponseResult>;

export function fixtureAnswerRelay(rpc: RpcClient<CollectorRpcs>, now: () => number = Date.now): FixtureAnswerRelay {
  return (args) => async (request) => {
    const timeoutMs = Math.min(Math.max(request.timeoutMs, MIN_TIMEOUT_MS), MAX_TIMEOUT_MS);
    const requestId = await rpc.call(
      "request_fixture_answer",
      {
        chunk_id: args.chunk_id,
        lease_token: args.lease_token,
        url: request.url,
        headers: request.headers,
        timeout_milliseconds: timeoutMs,
      },
      PREVALIDATED,
    );
    const giveUpAt = now() + timeoutMs + PENDING_GRACE_MS;
    for (;;) {
      const answer = await rpc.call(
        "take_fixture_answer",
        {
          request_id: requestId,
          chunk_id: args.chunk_id,
          lease_token: args.lease_token,
          fixture_ids: args.fixture_ids,
          checkpoint: args.checkpoint,
          execution_id: args.execution_id,
          wait_milliseconds: WAIT_PER_TAKE_MS,
        },
        PREVALIDATED,
      );
      // The database refused the answer (WM001 names the field, WM004 a lost lease): its error, as if raised.
      if ("refused" in answer) throw fromApiError(answer.refused, 400);
      if (!("pending" in answer)) return relayed(answer);
      if (now() >= giveUpAt) {
        throw new SportmonksTimeout(
          `fixtures/multi: pg_net has not answered request ${requestId} within ${timeoutMs + PENDING_GRACE_MS} ms; ` +
            "check that its background worker runs (pg_stat_activity, backend_type 'pg_net …')",
          { endpoint: "fixtures/multi/{ids}" },
        );
      }
    }
  };
}

function relayed(answer: Exclude<FixtureAnswer, { pending: true } | { refused: unknown }>): RelayedAnswer<FixtureResponseResult> {
  if ("written" in answer) return { taken: answer.written };
  if ("malformed" in answer) return { malformed: true, bytes: answer.bytes };
  if ("failed" in answer) return { failed: true, timedOut: answer.timed_out, error: answer.error };
  return { status: answer.status, body: answer.body ?? "", retryAfter: answer.retry_after };
}
