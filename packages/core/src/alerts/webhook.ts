// Posting one message to a Slack incoming webhook. @slack/webhook does the
// HTTP (it runs on web fetch, so it works in Deno through `npm:`); this module
// turns its outcomes into a small result the outbox can record.
//
// The library reads os.release() when it loads, which Deno refuses without
// `--allow-sys=osRelease`. It is therefore loaded lazily, and where it cannot
// load, the same protocol is spoken with plain fetch (POST JSON, 200 "ok", an
// error word in the body otherwise) so alerts still go out.
import type { FetchFunction, IncomingWebhook } from "@slack/webhook";
import type { SlackMessage } from "./format.ts";

export type PostResult =
  | { ok: true }
  | {
      ok: false;
      /** HTTP status, or undefined when no response came back (network, timeout). */
      status?: number;
      /** Slack's answer (e.g. `invalid_payload`, `no_service`) or the network error. */
      error: string;
      /** From Slack's Retry-After on 429. */
      retryAfterSeconds?: number;
    };

/** Posts a message to a webhook URL; never throws. Tests substitute their own. */
export type WebhookPoster = (url: string, message: SlackMessage) => Promise<PostResult>;

export interface SlackPosterOptions {
  /** Per-request timeout (ms). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

interface SlackErrorShape {
  code?: string;
  statusCode?: number;
  body?: string;
  original?: { message?: string };
  message?: string;
}

type WebhookClass = typeof IncomingWebhook;

function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.min(Math.ceil(seconds), 86400) : undefined;
}

function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).slice(0, 500);
}

let library: Promise<WebhookClass | Error> | undefined;
function loadLibrary(): Promise<WebhookClass | Error> {
  library ??= import("@slack/webhook").then(
    (m) => m.IncomingWebhook,
    (err: unknown) => {
      console.warn(`@slack/webhook could not load (${errorText(err)}); posting with fetch instead`);
      return err instanceof Error ? err : new Error(String(err));
    },
  );
  return library;
}

export function slackWebhookPoster(options: SlackPosterOptions = {}): WebhookPoster {
  const baseFetch = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;
  return async (url, message) => {
    let retryAfterSeconds: number | undefined;
    // Slack's Retry-After header is not exposed by the library's error: read it on the way through.
    const observingFetch = async (input: string | URL, init?: RequestInit) => {
      const response = await baseFetch(input, init);
      if (response.status === 429) retryAfterSeconds = parseRetryAfter(response.headers.get("retry-after"));
      return response;
    };
    const Webhook = await loadLibrary();
    if (Webhook instanceof Error) return postWithFetch(observingFetch, url, message, timeoutMs, () => retryAfterSeconds);
    const webhook = new Webhook(url, {
      // The library's FetchResponse is a structural subset of the web Response.
      fetch: observingFetch as unknown as FetchFunction,
      timeout: timeoutMs,
      // No retries here: a timeout may come after Slack accepted the post, and an
      // immediate retry would post it twice. The outbox retries with backoff.
      retryConfig: { retries: 0 },
    });
    try {
      await webhook.send(message);
      return { ok: true };
    } catch (err) {
      const e = (err ?? {}) as SlackErrorShape;
      if (e.code === "slack_webhook_http_error" && typeof e.statusCode === "number") {
        return { ok: false, status: e.statusCode, error: (e.body || `HTTP ${e.statusCode}`).slice(0, 500), retryAfterSeconds };
      }
      return { ok: false, error: e.original?.message?.slice(0, 500) ?? errorText(err) };
    }
  };
}

/** The incoming-webhook protocol without the library (one try; the outbox retries). */
async function postWithFetch(
  doFetch: (input: string, init: RequestInit) => Promise<Response>,
  url: string,
  message: SlackMessage,
  timeoutMs: number,
  retryAfter: () => number | undefined,
): Promise<PostResult> {
  try {
    const response = await doFetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(message),
      redirect: "error",
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = await response.text();
    if (response.ok) return { ok: true };
    return {
      ok: false,
      status: response.status,
      error: (body || `HTTP ${response.status}`).slice(0, 500),
      retryAfterSeconds: retryAfter(),
    };
  } catch (err) {
    return { ok: false, error: errorText(err) };
  }
}
