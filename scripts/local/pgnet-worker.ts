// The pg_net stand-in's background worker: takes queued requests from net.http_request_queue,
// performs them with their timeout, records net._http_response rows, purges responses older
// than pg_net.ttl (6 hours) — what pg_net's worker does, for the one database it serves.
// Like pg_net, it is woken when a transaction that queued a request commits (the stand-in's
// request functions NOTIFY pg_net_wake), so a request leaves at once, not on the next poll;
// the poll only catches rows inserted into the queue directly.
import pg from "pg";

export interface PgNetWorkerOptions {
  /** Superuser URL of the database to serve (pg_net serves `pg_net.database_name`, default postgres). */
  databaseUrl: string;
  /** Idle poll when no wake-up comes (default 1000 ms). */
  pollIntervalMs?: number;
  /** Requests taken per round (pg_net.batch_size). */
  batchSize?: number;
  log?: (line: string) => void;
}

export interface PgNetWorker {
  /** Runs one round now: deliver what is queued, then purge expired responses. Returns requests delivered. */
  runOnce(): Promise<number>;
  stop(): Promise<void>;
}

interface QueuedRequest {
  id: string;
  method: string;
  url: string;
  headers: Record<string, unknown> | null;
  body: Buffer | null;
  timeout_milliseconds: number;
}

interface ResponseRow {
  id: string;
  status_code: number | null;
  content_type: string | null;
  headers: Record<string, string> | null;
  content: string | null;
  timed_out: boolean;
  error_msg: string | null;
}

/** curl's wording for the failures pg_net reports in error_msg. */
function describeFailure(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  switch (cause?.code) {
    case "ECONNREFUSED":
      return "Couldn't connect to server";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "Couldn't resolve host name";
    case "ECONNRESET":
    case "UND_ERR_SOCKET":
      return "Failure when receiving data from the peer";
    default:
      return cause?.message ?? (err instanceof Error ? err.message : String(err));
  }
}

async function performRequest(request: QueuedRequest): Promise<ResponseRow> {
  const started = performance.now();
  const headers = new Headers();
  for (const [k, v] of Object.entries(request.headers ?? {})) headers.set(k, typeof v === "string" ? v : JSON.stringify(v));
  const method = request.method.toUpperCase();
  try {
    const res = await fetch(request.url, {
      method,
      headers,
      body: method === "GET" || request.body === null ? undefined : new Uint8Array(request.body),
      signal: AbortSignal.timeout(request.timeout_milliseconds),
      redirect: "follow",
    });
    const content = await res.text();
    const responseHeaders: Record<string, string> = {};
    res.headers.forEach((value, key) => {
      responseHeaders[key] = value;
    });
    return {
      id: request.id,
      status_code: res.status,
      content_type: res.headers.get("content-type"),
      headers: responseHeaders,
      content,
      timed_out: false,
      error_msg: null,
    };
  } catch (err) {
    const timedOut = err instanceof DOMException && err.name === "TimeoutError";
    const elapsed = (performance.now() - started).toFixed(3);
    return {
      id: request.id,
      status_code: null,
      content_type: null,
      headers: null,
      content: null,
      timed_out: timedOut,
      error_msg: timedOut ? `Timeout of ${request.timeout_milliseconds} ms reached. Total time: ${elapsed} ms` : describeFailure(err),
    };
  }
}

export function startPgNetWorker(options: PgNetWorkerOptions): PgNetWorker {
  const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 2, application_name: "pg_net worker (stand-in)" });
  pool.on("error", () => {});
  const log = options.log ?? (() => {});
  const batchSize = options.batchSize ?? 200;
  let stopped = false;
  let round: Promise<number> = Promise.resolve(0);
  // Set when a wake-up arrives during a round, so the loop goes again at once.
  let woken = false;
  let wake: () => void = () => {
    woken = true;
  };
  const listener = new pg.Client({ connectionString: options.databaseUrl, application_name: "pg_net worker (stand-in) listener" });
  listener.on("error", (err) => log(`listener failed: ${err.message}; polling only`));
  listener.on("notification", () => wake());
  const listening = listener
    .connect()
    .then(() => listener.query("listen pg_net_wake"))
    .catch((err: unknown) => log(`cannot listen for wake-ups: ${err instanceof Error ? err.message : String(err)}; polling only`));

  async function deliver(): Promise<number> {
    // Taking a request deletes it from the queue, as pg_net's worker does.
    const { rows } = await pool.query<QueuedRequest>(
      `delete from net.http_request_queue
       where id in (select id from net.http_request_queue order by id limit $1 for update skip locked)
       returning id, method, url, headers, body, timeout_milliseconds`,
      [batchSize],
    );
    if (rows.length === 0) return 0;
    const responses = await Promise.all(rows.map(performRequest));
    await pool.query(
      `insert into net._http_response (id, status_code, content_type, headers, content, timed_out, error_msg)
       select id, status_code, content_type, headers, content, timed_out, error_msg
       from jsonb_to_recordset($1::jsonb) as r(id bigint, status_code integer, content_type text, headers jsonb, content text,
                                                timed_out boolean, error_msg text)`,
      [JSON.stringify(responses)],
    );
    for (const r of responses) log(`request ${r.id}: ${r.status_code ?? r.error_msg}`);
    return rows.length;
  }

  async function purge(): Promise<void> {
    await pool.query(
      `delete from net._http_response
       where created < now() - coalesce(nullif(current_setting('pg_net.ttl', true), ''), '6 hours')::interval`,
    );
  }

  async function runOnce(): Promise<number> {
    const delivered = await deliver();
    await purge();
    return delivered;
  }

  function idle(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, options.pollIntervalMs ?? 1000);
      function done() {
        clearTimeout(timer);
        wake = () => {
          woken = true;
        };
        resolve();
      }
      wake = done;
    });
  }

  async function loop(): Promise<void> {
    await listening;
    while (!stopped) {
      woken = false;
      round = runOnce().catch((err: unknown) => {
        log(`round failed: ${err instanceof Error ? err.message : String(err)}`);
        return 0;
      });
      const delivered = await round;
      if (delivered === 0 && !woken && !stopped) await idle();
    }
  }
  const running = loop();

  return {
    runOnce: () => runOnce(),
    async stop() {
      stopped = true;
      wake();
      await running;
      await listener.end().catch(() => {});
      await pool.end();
    },
  };
}
