import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { WatermarkError } from "../../src/errors/index.ts";
import {
  createRpcClient,
  fetchTransport,
  formatPath,
  invalidParameter,
  monitoringRpcs,
  type RpcTransport,
  rpcClientFromTransport,
} from "../../src/rpc/index.ts";

function recording(result: unknown): { calls: [string, Record<string, unknown>][]; transport: RpcTransport } {
  const calls: [string, Record<string, unknown>][] = [];
  return {
    calls,
    transport: async (name, args) => {
      calls.push([name, args]);
      return result;
    },
  };
}

describe("rpc client", () => {
  it("formats paths the way the database names fields", () => {
    expect(formatPath(["events", 3, "level"])).toBe("events[3].level");
    expect(formatPath(["metric_value"])).toBe("metric_value");
  });

  it("sends a per-call access token in place of the client's, so one client serves every caller", async () => {
    const seen: (string | null)[] = [];
    const fetch = (async (_input: RequestInfo | URL, init?: RequestInit) => {
      seen.push(new Headers(init?.headers).get("authorization"));
      return new Response(JSON.stringify({ status: "healthy" }), { status: 200, headers: { "Content-Type": "application/json" } });
    }) as typeof globalThis.fetch;
    const rpc = createRpcClient({
      url: "http://127.0.0.1:1",
      apiKey: "anon-key",
      fetch,
      registry: { ping: { args: z.object({}), result: z.looseObject({}) } },
    });
    await rpc.call("ping", {});
    await rpc.call("ping", {}, { accessToken: "viewer-jwt" });
    await rpc.call("ping", {}, { accessToken: "operator-jwt" });
    await rpc.call("ping", {});
    expect(seen).toEqual(["Bearer anon-key", "Bearer viewer-jwt", "Bearer operator-jwt", "Bearer anon-key"]);
  });

  it("turns a zod failure into WM001 naming the field, or the root for the whole object", () => {
    const schema = z.object({ events: z.array(z.object({ level: z.string() })) }).strict();
    const nested = schema.safeParse({ events: [{ level: 1 }] });
    const unknown = schema.safeParse({ events: [], typo: 1 });
    if (nested.success || unknown.success) throw new Error("expected failures");
    expect(invalidParameter("log_etl_events", nested.error, { what: "log event" })).toMatchObject({
      code: "WM001",
      message: expect.stringMatching(/^events\[0\]\.level: /),
      hint: "log_etl_events: fix the log event; it was rejected before sending",
    });
    expect(invalidParameter("x", unknown.error).message).toMatch(/^\(arguments\): .*typo/);
    expect(invalidParameter("x", unknown.error, { root: "options", hint: "h" })).toMatchObject({
      message: expect.stringMatching(/^options: /),
      hint: "h",
    });
  });

  it("skips its own argument check only when the caller says the arguments were checked", async () => {
    const { calls, transport } = recording(1);
    const client = rpcClientFromTransport(monitoringRpcs, transport);
    const events = [{ level: "INFO", component: "c", message: "m", extra_key_the_schema_would_strip: true }];
    await client.call("log_etl_events", { events } as never, { prevalidated: true });
    await client.call("log_etl_events", { events } as never);
    // Prevalidated arguments go out as given; checked ones as the schema parsed them.
    expect(calls[0]?.[1]).toEqual({ events });
    expect(calls[1]?.[1]).not.toEqual({ events });
  });

  it("rejects bad arguments as WM001 with the field, sending nothing", async () => {
    const { calls, transport } = recording(1);
    const client = rpcClientFromTransport(monitoringRpcs, transport);
    const bad = client.call("log_etl_events", {
      events: [
        { level: "INFO", component: "c", message: "m" },
        { level: "NOTICE" as never, component: "c", message: "m" },
      ],
    });
    await expect(bad).rejects.toBeInstanceOf(WatermarkError);
    await expect(bad).rejects.toMatchObject({ code: "WM001", field: "events[1].level" });
    await expect(
      client.call("record_etl_metric", { execution_id: "etl_1", metric_name: "x", metric_value: Number.NaN }),
    ).rejects.toMatchObject({
      field: "metric_value",
    });
    await expect(client.call("log_etl_event", { level: "INFO", component: " ", message: "m" })).rejects.toMatchObject({
      field: "component",
    });
    await expect(client.call("log_etl_event", { level: "INFO", component: "c", message: "m", duration_ms: -1 })).rejects.toMatchObject({
      field: "duration_ms",
    });
    expect(calls).toEqual([]);
  });

  it("sends parsed arguments and parses results", async () => {
    const { calls, transport } = recording("etl_20261122_101010_abcdef");
    const client = rpcClientFromTransport(monitoringRpcs, transport);
    await expect(client.call("start_etl_execution", { pipeline: "p", trigger: "api" })).resolves.toBe("etl_20261122_101010_abcdef");
    expect(calls).toEqual([["start_etl_execution", { pipeline: "p", trigger: "api" }]]);
  });

  it("fails clearly on an unexpected result shape", async () => {
    const client = rpcClientFromTransport(monitoringRpcs, recording({ not: "a number" }).transport);
    await expect(client.call("log_etl_events", { events: [{ level: "INFO", component: "c", message: "m" }] })).rejects.toThrow(
      /log_etl_events returned an unexpected result/,
    );
  });
});

describe("fetchTransport (the collector's bare fetch)", () => {
  it("posts the arguments, returns the body (null for 204), and throws PostgREST's errors as WatermarkError with their code", async () => {
    const seen: { url?: string; auth?: string; apikey?: string; body: string }[] = [];
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk) => {
        body += chunk;
      });
      req.on("end", () => {
        seen.push({ url: req.url, auth: req.headers.authorization, apikey: req.headers.apikey as string, body });
        if (req.url?.endsWith("/renew_chunk_lease")) {
          res.writeHead(400, { "Content-Type": "application/json" });
          res.end(
            JSON.stringify({ code: "WM004", message: "lease_lost: the lease on chunk 1_10 expired", details: null, hint: "claim again" }),
          );
        } else if (req.url?.endsWith("/save_api_rate_limit")) {
          res.writeHead(204).end();
        } else if (req.url?.endsWith("/broken")) {
          res.writeHead(502).end("<html>bad gateway</html>");
        } else {
          res.writeHead(200, { "Content-Type": "application/json" }).end("[101, 102]");
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      const send = fetchTransport({ url, apiKey: "service-key" });
      expect(await send("list_chunk_work", { chunk_id: "1_10" }, {})).toEqual([101, 102]);
      expect(seen[0]).toEqual({
        url: "/rest/v1/rpc/list_chunk_work",
        auth: "Bearer service-key",
        apikey: "service-key",
        body: '{"chunk_id":"1_10"}',
      });
      expect(await send("save_api_rate_limit", {}, {})).toBeNull();
      const lost = (await send("renew_chunk_lease", {}, {}).catch((e: Error) => e)) as Error;
      expect(lost).toBeInstanceOf(WatermarkError);
      expect(lost).toMatchObject({ code: "WM004", status: 400, hint: "claim again" });
      expect(lost.message).toMatch(/^lease_lost/);
      await expect(send("broken", {}, {})).rejects.toThrow("broken: HTTP 502 with a body that is not JSON (<html>bad gateway</html>)");
    } finally {
      server.close();
    }
    await expect(fetchTransport({ url, apiKey: "k" })("gone", {}, {})).rejects.toThrow(/^gone: the request failed/);
  });
});
