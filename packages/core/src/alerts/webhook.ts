// Posting one message to a Slack incoming webhook. @slack/webhook does the
// HTTP (it runs on web fetch, so it works in Deno through `npm:`); this module
// turns its outcomes into a small result the outbox can record.
import { IncomingWebhook } from "@slack/webhook";
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
  /** Immediate retries inside one attempt for 5xx and network errors (4xx never). */
  retries?: number;
  fetch?: typeof fetch;
}

interface SlackErrorShape {
  code?: string;
  statusCode?: number;
  body?: string;
  original?: { message?: string };
  message?: string;
}

function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.min(Math.ceil(seconds), 86400) : undefined;
}

export function slackWebhookPoster(options: SlackPosterOptions = {}): WebhookPoster {
  const baseFetch = options.fetch ?? globalThis.fetch;
  return async (url, message) => {
    let retryAfterSeconds: number | undefined;
    // Slack's Retry-After header is not exposed by the library's error: read it on the way through.
    const observingFetch: typeof fetch = async (input, init) => {
      const response = await baseFetch(input, init);
      if (response.status === 429) retryAfterSeconds = parseRetryAfter(response.headers.get("retry-after"));
      return response;
    };
    const webhook = new IncomingWebhook(url, {
      fetch: observingFetch,
      timeout: options.timeoutMs ?? 10_000,
      retryConfig: { retries: options.retries ?? 2, minTimeout: 200, maxTimeout: 1000, factor: 2 },
    });
    try {
      await webhook.send(message);
      return { ok: true };
    } catch (err) {
      const e = (err ?? {}) as SlackErrorShape;
      if (e.code === "slack_webhook_http_error" && typeof e.statusCode === "number") {
        return { ok: false, status: e.statusCode, error: (e.body || `HTTP ${e.statusCode}`).slice(0, 500), retryAfterSeconds };
      }
      return { ok: false, error: (e.original?.message ?? e.message ?? String(err)).slice(0, 500) };
    }
  };
}
