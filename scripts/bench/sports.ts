// The write path with and without deriving the sports model (issue 10 §5):
// upsert_fixture_batch rows/s over HTTP, batches of 50, for new fixtures (every
// child inserted) and for corrections (every fixture's events changed, so every
// child is replaced), once with the derivation triggers and once without.
import { collectorRpcs } from "../../packages/core/src/collector/index.ts";
import { createRpcClient } from "../../packages/core/src/rpc/index.ts";
import { collectionEnv } from "../../tests/collection/support.ts";
import { heading, rate, row, timed } from "./measure.ts";

type Payload = Record<string, unknown> & { id: number; league_id: number; season_id: number; events: unknown };

const TRIGGERS = ["fixtures_queue_insert", "fixtures_queue_update", "fixtures_derive_at_commit"];

export async function benchSports(options: { quick: boolean }): Promise<boolean> {
  const env = await collectionEnv("bench-sports", {
    seed: 13,
    leagues: options.quick ? 1 : 3,
    seasonsPerLeague: 1,
    teamsPerLeague: 20,
    cups: 0,
  });
  try {
    await env.run();
    const db = env.stack;
    const chunks = await db.query<{ chunk_id: string; season_id: string }>(
      "select chunk_id, season_id from watermark.chunks order by chunk_id",
    );
    // The stored payload as the collector sends it (the stored columns of each fixture).
    const payloads = new Map<string, Payload[]>();
    for (const c of chunks) {
      const rows = await db.query<{ p: Payload }>(
        `select jsonb_build_object('id', id, 'league_id', league_id, 'season_id', season_id, 'stage_id', stage_id, 'round_id', round_id,
           'state_id', state_id, 'name', name, 'starting_at', to_char(starting_at, 'YYYY-MM-DD HH24:MI:SS'), 'leg', leg,
           'events', events, 'lineups', lineups, 'statistics', statistics, 'participants', participants, 'scores', scores) as p
           from watermark.fixtures where season_id = $1 and collected_at is not null order by id`,
        [c.season_id],
      );
      payloads.set(
        c.chunk_id,
        rows.map((r) => r.p),
      );
    }
    const total = [...payloads.values()].reduce((n, p) => n + p.length, 0);
    const [children] = await db.query<{ n: string }>(
      `select (select count(*) from watermark.fixture_events) + (select count(*) from watermark.fixture_lineups)
            + (select count(*) from watermark.fixture_statistics) + (select count(*) from watermark.fixture_scores)
            + (select count(*) from watermark.fixture_participants) as n`,
    );
    const rpc = createRpcClient({ url: db.supabaseUrl, apiKey: db.keys.serviceRole, registry: collectorRpcs });
    const token = "00000000-0000-4000-8000-00000000be4c";
    await db.query(
      `update watermark.chunks set lease_token = $1, lease_owner = 'bench', lease_expires_at = now() + interval '1 hour', status = 'running'`,
      [token],
    );

    const setTriggers = (on: boolean) =>
      db.query(`alter table watermark.fixtures ${TRIGGERS.map((t) => `${on ? "enable" : "disable"} trigger ${t}`).join(", ")}`);
    const pass = async (mark: string) =>
      timed(async () => {
        for (const [chunkId, list] of payloads) {
          for (let i = 0; i < list.length; i += 50) {
            const fixtures = list.slice(i, i + 50).map((p) => (mark ? { ...p, events: markEvents(p.events, mark) } : p));
            await rpc.call("upsert_fixture_batch", { chunk_id: chunkId, lease_token: token, fixtures, checkpoint: {} });
          }
        }
      });

    heading(
      `Write path with and without the sports model (${total.toLocaleString("en-US")} fixtures, ${Number(children?.n).toLocaleString("en-US")} child rows)`,
    );
    const figures: Record<string, number> = {};
    for (const derive of [true, false]) {
      await setTriggers(derive);
      await db.query("delete from watermark.fixtures");
      const label = derive ? "with derivation" : "without";
      figures[`insert ${label}`] = rate(`upsert, new fixtures, ${label}`, total, (await pass("")).seconds, "rows/s");
      figures[`correct ${label}`] = rate(`upsert, corrected events, ${label}`, total, (await pass("corrected")).seconds, "rows/s");
    }
    await setTriggers(true);
    row("new fixtures: with ÷ without", ((figures["insert with derivation"] ?? 0) / (figures["insert without"] ?? 1)).toFixed(2));
    row("corrections: with ÷ without", ((figures["correct with derivation"] ?? 0) / (figures["correct without"] ?? 1)).toFixed(2));
    // No target of its own: the figures show what derivation costs the write path.
    return true;
  } finally {
    await env.close();
  }
}

/** A correction that touches every event (its info), so the content hash and the events change. */
function markEvents(events: unknown, mark: string): unknown {
  return Array.isArray(events) ? events.map((e: Record<string, unknown>) => ({ ...e, info: mark })) : events;
}
