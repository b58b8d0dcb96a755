// The pg_net stand-in: the same SQL surface, and a worker that really delivers queued requests.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPgNetWorker } from "../../scripts/local/pgnet-worker.ts";
import { freePort } from "../../scripts/local/ports.ts";
import { createTestStack, type TestStack } from "../support/test-stack.ts";

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

let stack: TestStack;
let receiver: Server;
let receiverUrl: string;
const received: Received[] = [];

beforeAll(async () => {
  stack = await createTestStack("pgnet");
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      // /slow never answers in time; everything else answers at once.
      if (req.url?.startsWith("/slow")) return;
      res.writeHead(req.url?.startsWith("/missing") ? 404 : 201, { "Content-Type": "application/json", "X-Receiver": "yes" });
      res.end(JSON.stringify({ ok: true, path: req.url }));
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});

afterAll(async () => {
  receiver?.closeAllConnections();
  receiver?.close();
  await stack?.close();
});

interface ResponseRow {
  id: string;
  status_code: number | null;
  content_type: string | null;
  headers: Record<string, string> | null;
  content: string | null;
  timed_out: boolean | null;
  error_msg: string | null;
}

/** Waits until the worker has recorded the response (delivery is asynchronous, as with pg_net). */
async function responseFor(id: string): Promise<ResponseRow> {
  for (let i = 0; i < 200; i++) {
    const [row] = await stack.query<ResponseRow>("select * from net._http_response where id = $1", [id]);
    if (row) return row;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no net._http_response row for request ${id}`);
}

describe("SQL surface", () => {
  it("has pg_net's signatures and defaults", async () => {
    const rows = await stack.query<{ signature: string }>(
      `select p.oid::regprocedure::text || ' ' || pg_get_function_arguments(p.oid) as signature
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname = 'net' and p.proname in ('http_post', 'http_get') order by p.proname`,
    );
    expect(rows.map((r) => r.signature)).toEqual([
      "net.http_get(text,jsonb,jsonb,integer) url text, params jsonb DEFAULT '{}'::jsonb, headers jsonb DEFAULT '{}'::jsonb, timeout_milliseconds integer DEFAULT 5000",
      `net.http_post(text,jsonb,jsonb,jsonb,integer) url text, body jsonb DEFAULT '{}'::jsonb, params jsonb DEFAULT '{}'::jsonb, headers jsonb DEFAULT '{"Content-Type": "application/json"}'::jsonb, timeout_milliseconds integer DEFAULT 5000`,
    ]);
  });

  it("queues a request and returns its id without performing it", async () => {
    const [queued] = await stack.query<{ id: string }>(
      `select net.http_post(url := $1, body := '{"n": 1}', params := '{"q": "a b"}') as id`,
      [`${receiverUrl}/queued`],
    );
    const rows = await stack.query(
      "select method, url, headers, convert_from(body, 'UTF8') as body, timeout_milliseconds from net.http_request_queue where id = $1",
      [queued?.id],
    );
    expect(rows).toEqual([
      {
        method: "POST",
        url: `${receiverUrl}/queued?q=a%20b`,
        headers: { "Content-Type": "application/json" },
        body: '{"n": 1}',
        timeout_milliseconds: 5000,
      },
    ]);
    await stack.query("delete from net.http_request_queue");
  });

  it("rejects a POST whose Content-Type is not JSON, like pg_net", async () => {
    await expect(stack.query(`select net.http_post($1, '{}', '{}', '{"Content-Type": "text/plain"}')`, [receiverUrl])).rejects.toThrow(
      'Content-Type header must be "application/json"',
    );
  });
});

describe("wake-up", () => {
  it("sends a request when the transaction that queued it commits, not on the next poll, like pg_net", async () => {
    // Polling once an hour: only the commit's wake-up can make this request leave in time.
    const worker = startPgNetWorker({ databaseUrl: stack.databaseUrl, pollIntervalMs: 3_600_000 });
    try {
      await worker.runOnce();
      await new Promise((r) => setTimeout(r, 300));
      const [queued] = await stack.query<{ id: string }>("select net.http_post($1) as id", [`${receiverUrl}/woken`]);
      expect(await responseFor(queued?.id as string)).toMatchObject({ status_code: 201 });
    } finally {
      await worker.stop();
    }
  });
});

describe("worker", () => {
  beforeAll(() => {
    stack.startPgNetWorker();
  });

  it("delivers a queued POST with its headers and body, records the response and empties the queue", async () => {
    const [queued] = await stack.query<{ id: string }>(
      `select net.http_post($1, '{"hello": "world"}'::jsonb, headers := '{"Content-Type": "application/json", "Authorization": "Bearer trigger"}') as id`,
      [`${receiverUrl}/hook`],
    );
    const response = await responseFor(queued?.id as string);
    expect(response).toMatchObject({
      status_code: 201,
      content_type: "application/json",
      content: JSON.stringify({ ok: true, path: "/hook" }),
      timed_out: false,
      error_msg: null,
    });
    expect(response.headers).toMatchObject({ "x-receiver": "yes" });
    const delivered = received.find((r) => r.url === "/hook");
    expect(delivered).toMatchObject({ method: "POST", body: '{"hello": "world"}' });
    expect(delivered?.headers).toMatchObject({ authorization: "Bearer trigger", "content-type": "application/json" });
    expect(await stack.query("select id from net.http_request_queue where id = $1", [queued?.id])).toEqual([]);
  });

  it("records GETs and HTTP error statuses as responses", async () => {
    const [queued] = await stack.query<{ id: string }>(`select net.http_get($1, '{"x": "1"}') as id`, [`${receiverUrl}/missing`]);
    expect(await responseFor(queued?.id as string)).toMatchObject({ status_code: 404, timed_out: false });
    expect(received.find((r) => r.url === "/missing?x=1")).toMatchObject({ method: "GET" });
  });

  it("gives up after timeout_milliseconds and records timed_out", async () => {
    const [queued] = await stack.query<{ id: string }>(`select net.http_post($1, timeout_milliseconds := 200) as id`, [
      `${receiverUrl}/slow`,
    ]);
    const response = await responseFor(queued?.id as string);
    expect(response).toMatchObject({ status_code: null, timed_out: true, content: null });
    expect(response.error_msg).toMatch(/^Timeout of 200 ms reached/);
  });

  it("records a connection failure in error_msg", async () => {
    const closedPort = await freePort();
    const [queued] = await stack.query<{ id: string }>(`select net.http_get($1) as id`, [`http://127.0.0.1:${closedPort}/nothing-listens`]);
    expect(await responseFor(queued?.id as string)).toMatchObject({
      status_code: null,
      timed_out: false,
      error_msg: "Couldn't connect to server",
    });
  });

  it("purges responses older than pg_net's 6 hour ttl", async () => {
    await stack.query(
      `insert into net._http_response (id, status_code, created) values (-1, 200, now() - interval '7 hours'), (-2, 200, now() - interval '5 hours')`,
    );
    const worker = stack.startPgNetWorker();
    await worker.runOnce();
    const rows = await stack.query<{ id: string }>("select id from net._http_response where id < 0 order by id");
    expect(rows.map((r) => r.id)).toEqual(["-2"]);
  });
});
