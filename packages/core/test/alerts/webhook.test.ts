import { afterEach, describe, expect, it, vi } from "vitest";
import type { SlackMessage } from "../../src/alerts/format.ts";
import { slackWebhookPoster, type WebhookPoster } from "../../src/alerts/webhook.ts";

const url = "https://hooks.slack.com/services/T0SECRET/B0SECRET/xoxSecretToken123";
const secretPath = "/services/T0SECRET/B0SECRET/xoxSecretToken123";
const message: SlackMessage = { text: "hello", blocks: [] };

/** A fetch that fails the way Deno's does: the message names the URL. */
function denoLikeNetworkError(): { fetch: typeof fetch; calls: () => number } {
  let calls = 0;
  const fake = async (input: string | URL | Request) => {
    calls++;
    throw new TypeError(`error sending request for url (${String(input)}): client error (Connect): tcp connect error: Connection refused`);
  };
  return { fetch: fake as typeof fetch, calls: () => calls };
}

function expectNoSecret(error: string): void {
  expect(error).not.toContain("T0SECRET");
  expect(error).not.toContain("xoxSecretToken123");
  expect(error).not.toContain("hooks.slack.com/services");
  expect(error).not.toContain(secretPath);
}

async function failure(post: WebhookPoster, target = url) {
  const result = await post(target, message);
  if (result.ok) throw new Error("expected the post to fail");
  return result;
}

const posters: [string, () => Promise<typeof slackWebhookPoster>][] = [
  ["@slack/webhook", async () => slackWebhookPoster],
  [
    "the plain-fetch fallback",
    async () => {
      // Where the library cannot load (Deno without --allow-sys), the fallback posts.
      vi.resetModules();
      vi.doMock("@slack/webhook", () => {
        throw new Error('Requires sys access to "osRelease"');
      });
      const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
      const mod = await import("../../src/alerts/webhook.ts");
      const poster = mod.slackWebhookPoster;
      // Force the lazy load now, so the fallback is what the tests exercise.
      await poster({ fetch: (async () => new Response("ok")) as typeof fetch })(url, message);
      expect(warn).toHaveBeenCalled();
      return poster;
    },
  ],
];

afterEach(() => {
  vi.doUnmock("@slack/webhook");
  vi.restoreAllMocks();
});

describe.each(posters)("slack webhook poster (%s)", (_name, load) => {
  it("keeps the webhook URL out of network errors (they reach alert_notifications.last_error)", async () => {
    const poster = await load();
    const { fetch } = denoLikeNetworkError();
    const result = await failure(poster({ fetch }));
    expect(result.status).toBeUndefined();
    expect(result.error).toContain("Connection refused");
    expect(result.error).toContain("[redacted webhook url]");
    expectNoSecret(result.error);
  });

  it("redacts the URL in whatever form the error names it, and before cutting the text to length", async () => {
    const poster = await load();
    const padded = "x".repeat(470);
    const fake = (async (input: string | URL | Request) => {
      const href = new URL(String(input)).href;
      throw new Error(`${padded} ${href} path=${new URL(href).pathname}`);
    }) as typeof fetch;
    const result = await failure(poster({ fetch: fake }));
    expect(result.error.length).toBeLessThanOrEqual(500);
    expectNoSecret(result.error);
    expect(result.error).not.toMatch(/T0SEC|xoxSec|hooks\.slack/);
  });

  it("redacts the URL from an HTTP error body too", async () => {
    const poster = await load();
    const fake = (async () => new Response(`no_service for ${url}`, { status: 404 })) as unknown as typeof fetch;
    const result = await failure(poster({ fetch: fake }));
    expect(result.status).toBe(404);
    expect(result.error).toContain("no_service");
    expectNoSecret(result.error);
  });

  it("tries once: a network error or timeout is not retried on the spot (Slack may have taken the post)", async () => {
    const poster = await load();
    const network = denoLikeNetworkError();
    await failure(poster({ fetch: network.fetch }));
    expect(network.calls()).toBe(1);

    let serverCalls = 0;
    const server = (async () => {
      serverCalls++;
      return new Response("internal_error", { status: 503 });
    }) as unknown as typeof fetch;
    const result = await failure(poster({ fetch: server }));
    expect(result.status).toBe(503);
    expect(serverCalls).toBe(1);
  });

  it("passes Slack's Retry-After through on 429", async () => {
    const poster = await load();
    const fake = (async () => new Response("rate_limited", { status: 429, headers: { "retry-after": "30" } })) as unknown as typeof fetch;
    const result = await failure(poster({ fetch: fake }));
    expect(result).toMatchObject({ status: 429, error: "rate_limited", retryAfterSeconds: 30 });
  });

  it("reports success on 200 ok", async () => {
    const poster = await load();
    const fake = (async () => new Response("ok")) as unknown as typeof fetch;
    expect(await poster({ fetch: fake })(url, message)).toEqual({ ok: true });
  });
});

describe("redaction edge cases", () => {
  it("a URL that does not parse is still redacted verbatim", async () => {
    const odd = "not a url but secret-ish 9f8e7d";
    const fake = (async (input: string | URL | Request) => {
      throw new Error(`bad url ${String(input)}`);
    }) as typeof fetch;
    const result = await failure(slackWebhookPoster({ fetch: fake }), odd);
    expect(result.error).not.toContain("9f8e7d");
  });
});
