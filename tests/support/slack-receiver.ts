// A local HTTP server speaking Slack's incoming-webhook protocol: POST JSON →
// 200 "ok"; errors as Slack answers them (400 invalid_payload, 404 no_service,
// 429 rate_limited with Retry-After, 500 internal_error). It can fail on
// purpose: a fixed sequence, a failure rate, or "down" until told otherwise.
// Failed posts are NOT recorded: like Slack, a failure shows nothing.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedMessage {
  path: string;
  body: { text?: string; blocks?: Array<Record<string, unknown>> };
  receivedAt: Date;
}

export type Failure = { status: 400 | 404 | 429 | 500 | 503; body?: string; retryAfter?: number };

const slackBodies: Record<number, string> = {
  400: "invalid_payload",
  404: "no_service",
  429: "rate_limited",
  500: "internal_error",
  503: "service_unavailable",
};

export interface SlackReceiverOptions {
  /** Probability (0..1) that a post fails with 500; deterministic with `seed`. */
  failureRate?: number;
  seed?: number;
}

export interface SlackReceiver {
  /** http://127.0.0.1:<port>/services/T000/B000/XXXX */
  url: string;
  messages: ReceivedMessage[];
  /** Every POST, including the failed ones. */
  attempts: number;
  /** The next posts fail with these, in order. */
  failNext(...failures: Failure[]): void;
  /** Every post fails (503) until up() is called. */
  down(): void;
  up(): void;
  setFailureRate(rate: number): void;
  /** Messages whose text or blocks mention `needle`. */
  messagesMentioning(needle: string): ReceivedMessage[];
  close(): Promise<void>;
}

export async function startSlackReceiver(options: SlackReceiverOptions = {}): Promise<SlackReceiver> {
  const queued: Failure[] = [];
  let isDown = false;
  let failureRate = options.failureRate ?? 0;
  // Small deterministic PRNG (mulberry32) so a failing run can be replayed.
  let state = options.seed ?? 42;
  const random = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const receiver: SlackReceiver = {
    url: "",
    messages: [],
    attempts: 0,
    failNext: (...failures) => queued.push(...failures),
    down: () => {
      isDown = true;
    },
    up: () => {
      isDown = false;
    },
    setFailureRate: (rate) => {
      failureRate = rate;
    },
    messagesMentioning: (needle) => receiver.messages.filter((m) => JSON.stringify(m.body).includes(needle)),
    close: () => new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      receiver.attempts++;
      const answer = (status: number, body: string, headers: Record<string, string> = {}) => {
        res.writeHead(status, { "Content-Type": "text/html", ...headers });
        res.end(body);
      };
      if (req.method !== "POST") return answer(405, "invalid_method");
      const failure: Failure | undefined =
        queued.shift() ?? (isDown ? { status: 503 } : random() < failureRate ? { status: 500 } : undefined);
      if (failure) {
        const headers: Record<string, string> = failure.retryAfter !== undefined ? { "Retry-After": String(failure.retryAfter) } : {};
        return answer(failure.status, failure.body ?? slackBodies[failure.status] ?? "error", headers);
      }
      let body: ReceivedMessage["body"];
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        return answer(400, "invalid_payload");
      }
      if (typeof body !== "object" || body === null || (!body.text && !body.blocks)) return answer(400, "no_text");
      receiver.messages.push({ path: req.url ?? "/", body, receivedAt: new Date() });
      answer(200, "ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T000/B000/XXXX`;
  return receiver;
}
