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
  return err instanceof Error ? err.message : String(err);
}

/**
 * The webhook URL is a secret (whoever has it can post to the channel), and
 * fetch errors name it (Deno: "error sending request for url (https://…)").
 * Every error string a poster returns ends up in alert_notifications.last_error,
 * which viewers read, so the URL, its normalised form and its secret path are
 * cut out first.
 */
function redactor(url: string): (text: string) => string {
  const secrets = new Set<string>([url]);
  try {
    const parsed = new URL(url);
    secrets.add(parsed.href);
    const secretPart = parsed.pathname + parsed.search;
    if (secretPart.length > 1) {
      secrets.add(secretPart);
      try {
        secrets.add(decodeURIComponent(secretPart));
      } catch {
        // Malformed escapes: the encoded form is already covered.
      }
    }
  } catch {
    // Not a URL: the raw string is all there is to hide.
  }
  // Longest first, so a full URL is replaced whole rather than leaving its host behind.
  const ordered = [...secrets].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
  return (text) => ordered.reduce((out, secret) => out.split(secret).join("[redacted webhook url]"), text);
}

let library: Promise<WebhookClass | Error> | undefined;
function loadLibrary(): Promise<WebhookClass | Error> {
  library ??= import("@slack/webhook").then(
    (m) => m.IncomingWebhook,
    (err: unknown) => {
      console.warn(`@slack/webhook could not load (${errorText(err).slice(0, 500)}); posting with fetch instead`);
      return err instanceof Error ? err : new Error(String(err));
    },
  );
  return library;
}

export function slackWebhookPoster(options: SlackPosterOptions = {}): WebhookPoster {
  const baseFetch = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;
  return async (url, message) => {
    const redact = redactor(url);
    const result = await post(url, message);
    // Cut to length only after redacting, so no fragment of the URL survives the cut.
    return result.ok ? result : { ...result, error: redact(result.error).slice(0, 500) };
  };

  async function post(url: string, message: SlackMessage): Promise<PostResult> {
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
        return { ok: false, status: e.statusCode, error: e.body || `HTTP ${e.statusCode}`, retryAfterSeconds };
      }
      return { ok: false, error: e.original?.message ?? errorText(err) };
    }
  }
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
      error: body || `HTTP ${response.status}`,
      retryAfterSeconds: retryAfter(),
    };
  } catch (err) {
    return { ok: false, error: errorText(err) };
  }
}
