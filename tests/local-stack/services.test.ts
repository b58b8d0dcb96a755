// The stack's background services: a recorded pid is ours only while its command line still names
// our entry (pids are reused after a reboot), and a service inherits only what its runtime needs.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { functionServerSpec } from "../../scripts/local/functions-server.ts";
import { isRunning, serviceBaseEnv, serviceMarker, settingsFingerprint, startService, stopService } from "../../scripts/local/services.ts";

const entry = path.join(import.meta.dirname, "fixtures/env-service/main.mjs");
const cleanup: number[] = [];

afterAll(() => {
  for (const pid of cleanup) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {}
  }
});

async function until(what: () => boolean, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; !what(); ) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("isRunning", () => {
  it("is true only for a live pid whose command line has the marker", () => {
    const ownArgument = readFileSync("/proc/self/cmdline", "utf8").split("\0").filter(Boolean).at(-1) ?? "";
    expect(isRunning({ pid: process.pid, marker: ownArgument })).toBe(true);
    expect(isRunning({ pid: process.pid, marker: "scripts/local/gateway.ts" })).toBe(false);
    // A record without a marker (written by an older `up`) is never taken for ours, unless the caller knows the marker.
    expect(isRunning({ pid: process.pid })).toBe(false);
    expect(isRunning({ pid: process.pid }, ownArgument)).toBe(true);
    expect(isRunning({ pid: 2 ** 22 + 7, marker: "x" })).toBe(false);
  });
});

describe("startService / stopService", () => {
  it("passes the service only the inherited variables and its spec's env, and stops only its own process", async () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), "services-test-")), "env.json");
    process.env.WATERMARK_SERVICES_TEST_SECRET = "must not leak";
    let record: ReturnType<typeof startService>;
    try {
      record = startService({ name: "services-test", command: [process.execPath, entry], env: { ENV_SERVICE_OUT: out, ONLY_HERE: "1" } });
    } finally {
      delete process.env.WATERMARK_SERVICES_TEST_SECRET;
    }
    cleanup.push(record.pid);
    expect(record.marker).toBe(entry);
    await until(() => existsSync(out) && readFileSync(out, "utf8").length > 0);
    const env = JSON.parse(readFileSync(out, "utf8")) as Record<string, string>;
    expect(env.ONLY_HERE).toBe("1");
    expect(env.PATH).toBe(process.env.PATH);
    expect(env.WATERMARK_SERVICES_TEST_SECRET).toBeUndefined();
    expect(Object.keys(env).every((k) => k in serviceBaseEnv() || k === "ONLY_HERE" || k === "ENV_SERVICE_OUT")).toBe(true);

    // The same pid recorded for another service (a reused pid) is left alone.
    await stopService({ pid: record.pid, marker: "scripts/local/gateway.ts" });
    expect(isRunning(record)).toBe(true);
    await stopService(record);
    expect(isRunning(record)).toBe(false);
  });

  it("never signals a pid recorded without a marker", async () => {
    const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { detached: true, stdio: "ignore" });
    const pid = child.pid as number;
    cleanup.push(pid);
    await stopService({ pid });
    expect(child.exitCode).toBeNull();
    expect(child.signalCode).toBeNull();
    child.kill("SIGKILL");
  });
});

describe("service settings", () => {
  it("the inherited env keeps what node, tsx and deno need and drops the rest", () => {
    const base = serviceBaseEnv({
      PATH: "/bin",
      HOME: "/root",
      DENO_DIR: "/cache/deno",
      XDG_CACHE_HOME: "/cache",
      TMPDIR: "/tmp",
      LANG: "C.UTF-8",
      HTTPS_PROXY: "http://proxy:3128",
      SUPABASE_SERVICE_ROLE_KEY: "secret",
      SPORTMONKS_API_KEY: "token",
      AWS_SECRET_ACCESS_KEY: "secret",
      NODE_OPTIONS: "--inspect",
    });
    expect(base).toEqual({
      PATH: "/bin",
      HOME: "/root",
      DENO_DIR: "/cache/deno",
      XDG_CACHE_HOME: "/cache",
      TMPDIR: "/tmp",
      LANG: "C.UTF-8",
      HTTPS_PROXY: "http://proxy:3128",
    });
  });

  it("function settings override the stack's, undefined removes one, and the fingerprint ignores order", () => {
    const spec = functionServerSpec(
      "collect",
      5000,
      { SUPABASE_URL: "http://127.0.0.1:1" },
      {
        SPORTMONKS_API_KEY: "k",
        SUPABASE_URL: "http://other",
        WATERMARK_FUNCTION_PORT: undefined,
      },
    );
    expect(spec.env).toMatchObject({ SPORTMONKS_API_KEY: "k", SUPABASE_URL: "http://other" });
    expect("WATERMARK_FUNCTION_PORT" in spec.env).toBe(false);
    expect(serviceMarker(spec)).toMatch(/supabase\/functions\/collect\/index\.ts$/);
    expect(settingsFingerprint({ a: "1", b: "2" })).toBe(settingsFingerprint({ b: "2", a: "1" }));
    expect(settingsFingerprint({ a: "1" })).not.toBe(settingsFingerprint({ a: "2" }));
    expect(settingsFingerprint({ a: undefined })).not.toBe(settingsFingerprint({}));
  });
});
